/* Where the JIT puts code: loop heads (targets of backward jumps) start on a
 * 16-byte boundary, the padding before them is never run as part of the loop,
 * and the program computes what the interpreter computes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../lib/harness.h"
#include "jit_test.h"

/* r0 = sum of 1..n for n = r2, counted down: a loop whose head is insn 2. */
static void loop_prog(struct tprog *p, int pad_before)
{
	tp_mov(p, 0, 0);
	for (int i = 0; i < pad_before; i++)
		tp_mov(p, 3, i); /* moves the loop head to varying offsets */
	size_t head = p->n;
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -1);
	tp_op(p, BPF_JMP | BPF_JNE | BPF_K, 2, 0, (int16_t)(head - p->n - 1), 0);
	tp_exit(p);
}

int main(void)
{
	struct harness h = {0};
	struct skep_vm *vm = skep_vm_new();

	for (int pad = 0; pad < 12; pad++) {
		struct tprog p = {0};
		struct skep_load_opts lo = {.sz = sizeof(lo)};
		struct skep_run_opts ro = {.sz = sizeof(ro), .args = {0, 100}};
		struct skep_run_result ri, rj;
		struct skep_prog *prog;
		struct skep_jited j;
		char name[64], log[256] = "";
		size_t head = 1 + (size_t)pad;

		loop_prog(&p, pad);
		snprintf(name, sizeof(name), "loop head aligned (%d moves before it)", pad);
		if (skep_prog_load(vm, (struct skep_insn *)p.insns, p.n, &lo, &prog) ||
		    skep_prog_jited(prog, 0, &j, log, sizeof(log))) {
			harness_fail(&h, name, "load or compile: %s", log);
			tp_free(&p);
			continue;
		}
		harness_check(&h, ((uintptr_t)j.code + j.insn_off[head]) % 16 == 0, name,
			      "head at offset %u", j.insn_off[head]);
		ro.mode = SKEP_EXEC_INTERP;
		skep_prog_run(prog, &ro, &ri);
		ro.mode = SKEP_EXEC_JIT;
		skep_prog_run(prog, &ro, &rj);
		snprintf(name, sizeof(name), "padded loop computes the sum (%d)", pad);
		harness_check(&h, ri.retval == 5050 && rj.retval == 5050, name,
			      "interp %llu, jit %llu", (unsigned long long)ri.retval,
			      (unsigned long long)rj.retval);
		skep_prog_free(prog);
		tp_free(&p);
	}
	skep_vm_free(vm);
	return harness_exit(&h);
}
