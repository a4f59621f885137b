/* libFuzzer target: arbitrary bytes as an unverified program, run by the
 * checked JIT on a small memory region with a small instruction budget.  It
 * must never crash, hang or touch memory outside its regions.
 *
 * Input: a flags byte (bits 0-1 pick the budget), a memory length byte (at
 * most 64; the memory is also the legacy packet), that many memory bytes,
 * then the instruction slots.
 *
 * The checked interpreter runs it too, and for programs whose results are
 * deterministic (no helper calls, no code addresses) the two must agree
 * whenever neither ran out of budget (they charge the budget at different
 * points): same error, same faulting instruction, same r0 and memory.  A
 * disagreement aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skep/skep.h"

#define FUZZ_MEM 64

struct fuzz_out {
	int err;
	struct skep_run_result res;
	uint8_t mem[FUZZ_MEM];
};

static void fuzz_run(struct skep_prog *prog, enum skep_exec_mode mode, const uint8_t *mem,
		     size_t mem_len, uint64_t budget, struct fuzz_out *out)
{
	struct skep_region region = {out->mem, mem_len, 1, "mem"};
	struct skep_run_opts ro = {
		.sz = sizeof(ro),
		.args = {(uint64_t)(uintptr_t)out->mem, mem_len},
		.regions = &region,
		.nr_regions = 1,
		.packet = out->mem,
		.packet_len = mem_len,
		.mode = mode,
		.insn_budget = budget,
	};

	memcpy(out->mem, mem, mem_len);
	out->err = skep_prog_run(prog, &ro, &out->res);
}

/* Helper calls (time, code addresses through callx) and function pointers
 * make results differ between engines without either being wrong. */
static int fuzz_deterministic(const struct skep_prog *prog)
{
	const struct skep_insn *in = skep_prog_insns(prog);

	for (size_t i = 0; i < skep_prog_len(prog); i++) {
		if ((in[i].code & 0xf7) == 0x85) /* call, callx */
			return 0;
		if (in[i].code == 0x18 && in[i].src_reg) /* lddw of anything but a constant */
			return 0;
		if (in[i].code == 0x18)
			i++;
	}
	return 1;
}

static void fuzz_compare(const struct fuzz_out *a, const struct fuzz_out *b, size_t mem_len)
{
	if (a->err == -E2BIG || b->err == -E2BIG)
		return;
	if (a->err != b->err || a->res.fault_insn != b->res.fault_insn)
		abort();
	if (!a->err && (a->res.retval != b->res.retval || memcmp(a->mem, b->mem, mem_len)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t budgets[4] = {1, 100, 5000, 50000};
	static struct skep_vm *vm;
	struct skep_prog *prog = NULL;
	struct fuzz_out *jit, *interp;
	struct skep_insn *insns;
	size_t mem_len, n;
	int err;

	if (size < 2)
		return 0;
	mem_len = data[1] % (FUZZ_MEM + 1);
	if (size < 2 + mem_len)
		return 0;
	if (!vm && !(vm = skep_vm_new()))
		return 0;
	n = (size - 2 - mem_len) / sizeof(*insns);
	insns = malloc(n * sizeof(*insns) + 1); /* aligned copy */
	if (!insns)
		return 0;
	memcpy(insns, data + 2 + mem_len, n * sizeof(*insns));
	err = skep_prog_load(vm, insns, n, NULL, &prog);
	free(insns);
	if (err)
		return 0;
	jit = calloc(1, sizeof(*jit));
	interp = calloc(1, sizeof(*interp));
	if (jit && interp) {
		uint64_t budget = budgets[data[0] & 3];
		fuzz_run(prog, SKEP_EXEC_JIT_CHECKED, data + 2, mem_len, budget, jit);
		fuzz_run(prog, SKEP_EXEC_CHECKED, data + 2, mem_len, budget, interp);
		if (fuzz_deterministic(prog))
			fuzz_compare(interp, jit, mem_len);
	}
	free(jit);
	free(interp);
	skep_prog_free(prog);
	return 0;
}
