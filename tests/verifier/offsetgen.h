/* Programs whose memory offsets are computed: bytes loaded from the packet
 * go through random ALU operations and bounds checks, and the result is
 * added to a packet (or map value) pointer before an access.  They test
 * the scalar tracking where it matters: a verifier that is wrong about a
 * range accepts an access that a run then makes out of bounds. */
#ifndef SKEP_TESTS_VERIFIER_OFFSETGEN_H
#define SKEP_TESTS_VERIFIER_OFFSETGEN_H

#include <stddef.h>

#include "../lib/randprog.h"

#define OG_PROVEN 64 /* packet bytes proven before the computed part */

static inline struct bpf_insn og_alu(struct randprog_rng *g, int dst, int src)
{
	static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND,
				      BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH, BPF_MOV};
	uint8_t op = ops[randprog_rng_next(g) % sizeof(ops)];
	int cls = randprog_rng_next(g) & 1 ? BPF_ALU64 : BPF_ALU;
	int width = cls == BPF_ALU64 ? 64 : 32;
	uint64_t r = randprog_rng_next(g);
	static const int32_t imms[] = {0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 255, 0x7fff,
				       -1, -2, -8, -64, 0x7fffffff, (int32_t)0x80000000};
	int32_t imm = imms[r % (sizeof(imms) / sizeof(imms[0]))];

	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
		imm = (int32_t)((r >> 8) % (uint64_t)width);
	if ((op == BPF_DIV || op == BPF_MOD) && !imm)
		imm = 3;
	if ((r >> 16) & 1)
		return randprog_insn((uint8_t)(cls | op | BPF_X), (uint8_t)dst, (uint8_t)src, 0, 0);
	return randprog_insn((uint8_t)(cls | op | BPF_K), (uint8_t)dst, 0, 0, imm);
}

static inline struct bpf_insn og_cond(struct randprog_rng *g, int reg, int16_t skip)
{
	static const uint8_t ops[] = {BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE,
				      BPF_JSLT, BPF_JSLE, BPF_JEQ, BPF_JNE, BPF_JSET};
	static const int32_t imms[] = {0, 1, 7, 15, 31, 32, 48, 56, 60, 63, 64, 100, -1, -64};
	uint64_t r = randprog_rng_next(g);
	int cls = (r >> 8) & 1 ? BPF_JMP : BPF_JMP32;

	return randprog_insn((uint8_t)(cls | ops[r % sizeof(ops)] | BPF_K), (uint8_t)reg, 0, skip,
			     imms[(r >> 16) % (sizeof(imms) / sizeof(imms[0]))]);
}

/* An XDP program: r2 = data with OG_PROVEN bytes proven, r4/r5 loaded from
 * the packet, some ALU and branches on them, then r2 += r4 and a load of
 * 1-8 bytes at r2 + off (map_base: r2 is instead a 64-byte value of an
 * array, map 0).  Returns the slot count. */
static inline size_t offsetgen(uint64_t seed, struct bpf_insn *p, int map_base)
{
	struct randprog_rng g;
	size_t n = 0;
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};

	randprog_rng_seed(&g, seed);
	p[n++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0);
	p[n++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct xdp_md, data_end), 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 2, 0, 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_ADD | BPF_K, 6, 0, 0, OG_PROVEN);
	p[n++] = randprog_insn(BPF_JMP | BPF_JLE | BPF_X, 6, 3, 2, 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
	p[n++] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	/* One draw per statement: argument evaluation order is unspecified, and
	 * the programs must not depend on the compiler. */
	for (int reg = 4; reg <= 5; reg++) {
		uint8_t sz = sizes[randprog_rng_next(&g) % 4];
		int16_t off = (int16_t)(randprog_rng_next(&g) % 56);
		p[n++] = randprog_insn((uint8_t)(BPF_LDX | BPF_MEM | sz), (uint8_t)reg, 2, off, 0);
	}
	unsigned ops = 2 + (unsigned)(randprog_rng_next(&g) % 8);
	for (unsigned i = 0; i < ops; i++) {
		if (randprog_rng_next(&g) % 3 == 0) {
			/* if (cond) go on; else return 1 */
			int reg = randprog_rng_next(&g) & 1 ? 4 : 5;
			p[n++] = og_cond(&g, reg, 2);
			p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
			p[n++] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		} else {
			int d = randprog_rng_next(&g) & 1 ? 4 : 5;
			p[n++] = og_alu(&g, d, d == 4 ? 5 : 4);
		}
	}
	if (map_base) {
		/* r2 = the value (64 bytes) of element 0 of map 0: an array
		 * lookup with a constant key never fails.  r4 survives in r6. */
		p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 4, 0, 0);
		p[n++] = randprog_insn(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0);
		p[n++] = randprog_insn(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0);
		p[n++] = randprog_insn(0, 0, 0, 0, 0);
		p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
		p[n++] = randprog_insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
		p[n++] = randprog_insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
		p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 0, 0, 0);
		p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, 4, 6, 0, 0);
	}
	p[n++] = randprog_insn(BPF_ALU64 | BPF_ADD | BPF_X, 2, 4, 0, 0);
	uint8_t sz = sizes[randprog_rng_next(&g) % 4];
	int16_t off = (int16_t)(randprog_rng_next(&g) % 8);
	p[n++] = randprog_insn((uint8_t)(BPF_LDX | BPF_MEM | sz), 0, 2, off, 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2);
	p[n++] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

#endif
