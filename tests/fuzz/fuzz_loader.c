/* libFuzzer target: arbitrary bytes as an ELF object through the loader
 * (libelf, BTF, .BTF.ext, relocations, maps, linking, CO-RE against the
 * object's own BTF), then each program that loads run once checked, with a
 * small budget.  Whatever the bytes, no crash, leak or out-of-bounds read.
 * Seed it with the example objects: build/examples/ *.bpf.o. */
#include <stdint.h>
#include <string.h>

#include "skep/object.h"
#include "skep/skep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct skep_vm *vm;
	char log[2048];
	/* CO-RE resolves against a file that is not there: fails fast and the
	 * same way on every machine, instead of parsing vmlinux each time. */
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log),
				      .btf_path = "/nonexistent"};
	struct skep_object *obj = NULL;

	if (!vm && !(vm = skep_vm_new()))
		return 0;
	if (skep_object_open_mem(vm, data, size, &oo, &obj))
		return 0;
	for (size_t i = 0; i < skep_object_prog_count(obj) && i < 8; i++) {
		struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
		uint8_t ctx[256] = {0};
		struct skep_region region = {ctx, sizeof(ctx), 1, "ctx"};
		struct skep_run_opts ro = {.sz = sizeof(ro), .args = {(uintptr_t)ctx},
					   .regions = &region, .nr_regions = 1,
					   .mode = SKEP_EXEC_CHECKED, .insn_budget = 10000};
		struct skep_run_result res;
		struct skep_prog *prog;
		struct skep_line_info li;
		size_t len;
		skep_object_prog_insns(obj, i, &len);
		skep_object_prog_line(obj, i, len ? len - 1 : 0, &li);
		if (!skep_object_prog_load(obj, i, &lo, &prog))
			skep_prog_run(prog, &ro, &res);
	}
	skep_object_free(obj);
	return 0;
}
