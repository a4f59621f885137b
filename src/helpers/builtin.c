/* skep's built-in helpers, registered under the kernel's enum bpf_func_id
 * numbers.  Map and packet helpers arrive with the maps and hooks stages. */
#include <time.h>

#include "core/core.h"
#include "isa/bpf_compat.h"

static uint64_t helper_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, struct skep_call_ctx *cx)
{
	struct timespec ts;

	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)cx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t helper_get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
					    uint64_t r5, struct skep_call_ctx *cx)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return skep_call_ctx_cpu(cx);
}

int helpers_register_builtin(struct skep_vm *vm)
{
	static const struct {
		uint32_t id;
		const char *name;
		skep_helper_fn fn;
	} builtin[] = {
		{BPF_FUNC_ktime_get_ns, "ktime_get_ns", helper_ktime_get_ns},
		{BPF_FUNC_get_smp_processor_id, "get_smp_processor_id", helper_get_smp_processor_id},
	};

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		int err = skep_vm_register_helper(vm, builtin[i].id, builtin[i].name, builtin[i].fn);
		if (err)
			return err;
	}
	return 0;
}
