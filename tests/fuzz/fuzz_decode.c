/* libFuzzer target: arbitrary bytes as instructions through decode, load and
 * a checked run on a small memory region with a small instruction budget.
 * Whatever the bytes, the process must not crash, leak or read out of bounds. */
#include <stdint.h>
#include <string.h>

#include "skep/skep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char log[1024];
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *prog = NULL;
	struct skep_insn *insns = NULL;
	uint8_t mem[64] = {0};
	size_t n = size / sizeof(struct skep_insn);

	if (!vm)
		return 0;
	if (n) {
		insns = __builtin_alloca(n * sizeof(*insns));
		memcpy(insns, data, n * sizeof(*insns));
	}
	if (n <= 4096 && skep_prog_load(vm, insns, n, &lo, &prog) == 0) {
		struct skep_region region = {mem, sizeof(mem), 1, "mem"};
		struct skep_run_opts ro = {
			.sz = sizeof(ro),
			.args = {(uintptr_t)mem, sizeof(mem)},
			.regions = &region,
			.nr_regions = 1,
			.packet = mem,
			.packet_len = sizeof(mem),
			.mode = SKEP_EXEC_CHECKED,
			.insn_budget = 10000,
			.log_buf = log,
			.log_size = sizeof(log),
		};
		struct skep_run_result res;
		skep_prog_run(prog, &ro, &res);
	}
	skep_prog_free(prog);
	skep_vm_free(vm);
	return 0;
}
