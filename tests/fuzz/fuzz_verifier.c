/* libFuzzer target: arbitrary bytes through skep's verifier.  The first byte
 * picks the program type (raw, XDP, socket filter, tc), the rest are
 * instructions that may use three maps (an array, a hash, a ring buffer).
 * Whatever the bytes, verify must not crash, hang or leak; a program it
 * accepts must also run in the checked interpreter without tripping a
 * check (raw programs, on the memory the verifier assumed). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skep/maps.h"
#include "skep/skep.h"
#include "skep/verifier.h"

static struct skep_vm *vm;
static struct skep_map *maps[3];

static void fuzz_init(void)
{
	static const struct skep_map_attr attrs[3] = {
		{.sz = sizeof(struct skep_map_attr), .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
		 .value_size = 16, .max_entries = 4},
		{.sz = sizeof(struct skep_map_attr), .type = BPF_MAP_TYPE_HASH, .key_size = 4,
		 .value_size = 8, .max_entries = 16},
		{.sz = sizeof(struct skep_map_attr), .type = BPF_MAP_TYPE_RINGBUF,
		 .max_entries = 4096},
	};
	vm = skep_vm_new();
	for (int i = 0; i < 3; i++)
		skep_map_create(&attrs[i], &maps[i]);
}

static void fuzz_run_raw(const struct skep_insn *insns, size_t n)
{
	static uint8_t mem[256];
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = maps, .nr_maps = 3};
	struct skep_prog *prog;

	if (skep_prog_load(vm, insns, n, &lo, &prog))
		return;
	struct skep_region region = {mem, sizeof(mem), 1, "mem"};
	struct skep_run_opts ro = {.sz = sizeof(ro), .args = {(uintptr_t)mem, sizeof(mem)},
				   .regions = &region, .nr_regions = 1, .mode = SKEP_EXEC_CHECKED};
	struct skep_run_result res;
	int err = skep_prog_run(prog, &ro, &res);
	if (err == -EFAULT || err == -E2BIG)
		abort(); /* the verifier accepted an unsafe program */
	skep_prog_free(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t types[4] = {0, BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SOCKET_FILTER,
					  BPF_PROG_TYPE_SCHED_CLS};
	char log[2048];

	if (!vm)
		fuzz_init();
	if (size < 1 + sizeof(struct skep_insn))
		return 0;
	size_t n = (size - 1) / sizeof(struct skep_insn);
	if (n > 4096)
		return 0;
	struct skep_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data + 1, n * sizeof(*insns));
	struct skep_verify_opts o = {.sz = sizeof(o), .prog_type = types[data[0] & 3],
				     .maps = maps, .nr_maps = 3, .log_buf = log,
				     .log_size = sizeof(log), .log_level = (data[0] >> 2) & 1,
				     .raw_mem_size = 256};
	struct skep_verify_result r;
	if (!skep_verify(vm, insns, n, &o, &r) && o.prog_type == 0)
		fuzz_run_raw(insns, n);
	free(insns);
	return 0;
}
