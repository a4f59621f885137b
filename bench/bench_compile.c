/* The JIT's compile time: a 100,000-instruction program of ALU operations,
 * stack loads and stores and forward branches (short and long, so the
 * shrinking passes have work), loaded, then compiled; ns per instruction. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "skep/skep.h"

#define COMPILE_INSNS 100000

static struct skep_insn compile_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
				     int32_t imm)
{
	return (struct skep_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off,
				  .imm = imm};
}

/* A varied straight-line body with branches of several lengths. */
static void compile_fill(struct skep_insn *p, size_t n)
{
	static const uint8_t alu[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_OR, BPF_AND,
				      BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH};
	uint64_t st = 42;
	size_t i = 0;

	for (uint8_t r = 0; r <= 9; r++)
		p[i++] = compile_insn(BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, r * 7 + 1);
	while (i < n - 1) {
		st = st * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t x = (uint32_t)(st >> 33), dst = x % 10, src = (x >> 4) % 10;
		size_t left = n - 1 - i;

		switch (x % 6) {
		case 0:
		case 1:
			p[i++] = compile_insn(BPF_ALU64 | alu[(x >> 8) % 9] | BPF_X, dst, src, 0, 0);
			break;
		case 2:
			p[i++] = compile_insn(BPF_ALU | alu[(x >> 8) % 9] | BPF_K, dst, 0, 0,
					      (int32_t)(x >> 12) & 31);
			break;
		case 3:
			p[i++] = compile_insn(BPF_STX | BPF_MEM | BPF_DW, 10, src, -8 * (1 + x % 8), 0);
			break;
		case 4:
			p[i++] = compile_insn(BPF_LDX | BPF_MEM | BPF_DW, dst, 10, -8 * (1 + x % 8), 0);
			break;
		default: {
			int16_t jump = (int16_t)((x >> 8) % (x & 1 ? 8 : 400));
			if ((size_t)jump >= left)
				jump = 0;
			p[i++] = compile_insn(BPF_JMP | BPF_JGT | BPF_X, dst, src, jump, 0);
		}
		}
	}
	p[i] = compile_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

void bench_compile(void)
{
	struct skep_insn *p = calloc(COMPILE_INSNS, sizeof(*p));
	struct skep_vm *vm = skep_vm_new();
	double best_load = 1e18, best_jit = 1e18;
	char log[1024];

	if (!p || !vm) {
		printf("compile: out of memory\n");
		goto out;
	}
	compile_fill(p, COMPILE_INSNS);
	for (int round = 0; round < 5; round++) {
		struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
		struct skep_prog *prog;
		struct skep_jited j;
		uint64_t t0 = bench_now_ns(), t1, t2;

		if (skep_prog_load(vm, p, COMPILE_INSNS, &lo, &prog)) {
			printf("compile: the program does not load: %s\n", log);
			goto out;
		}
		t1 = bench_now_ns();
		if (skep_prog_jited(prog, 0, &j, log, sizeof(log))) {
			printf("compile: the JIT fails: %s\n", log);
			skep_prog_free(prog);
			goto out;
		}
		t2 = bench_now_ns();
		best_load = (double)(t1 - t0) < best_load ? (double)(t1 - t0) : best_load;
		best_jit = (double)(t2 - t1) < best_jit ? (double)(t2 - t1) : best_jit;
		skep_prog_free(prog);
	}
	printf("\nJIT compile time, %d-instruction program (best of 5): decode + interpreter "
	       "build %.0f ns/insn, x86-64 JIT %.0f ns/insn (target < 1000)\n",
	       COMPILE_INSNS, best_load / COMPILE_INSNS, best_jit / COMPILE_INSNS);
out:
	skep_vm_free(vm);
	free(p);
}
