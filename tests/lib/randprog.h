/* Random eBPF programs for differential tests: the same bytecode is run by two
 * engines (skep and the kernel, the interpreter and the JIT) and the final
 * states are compared byte for byte.
 *
 * randprog_generate() turns a seed and options into a program *body*: a
 * straight run of struct bpf_insn slots that the kernel verifier accepts and
 * that works on
 *
 *   r9   a pointer to memory of randprog_layout().size bytes (the caller's
 *        packet, buffer or region), never written by the body
 *   r10  the stack; the body uses r10-RANDPROG_STACK_BYTES .. r10-1
 *
 * It sets r0-r8 to random values, fills its stack area, runs the random
 * instructions (forward jumps only, so it always terminates), and ends with
 * an epilogue that stores r0-r8 and its stack area into the memory at r9, so
 * the whole final state can be compared as memory.  The body does not exit:
 * the caller wraps it (sets r9 before it, puts r0 and exit after it).  Jumps
 * in the body never leave it; the last ones land on the epilogue.
 *
 * Memory layout at r9 (offsets from randprog_layout()):
 *
 *   [0, data_size)                  read and written at random by the body
 *   [regs_off, regs_off + 8 * 9)    r0-r8 after the body, little-endian u64s
 *   [stack_off, stack_off + 64)     the bytes at r10-64 .. r10-1
 *
 * Everything is a pure function of (seed, options): a failing program is
 * reproduced by generating it again from its seed.
 */
#ifndef SKEP_TESTS_RANDPROG_H
#define SKEP_TESTS_RANDPROG_H

#include <stddef.h>
#include <stdint.h>

#include "isa/bpf_compat.h"

/* What the random part may contain.  The set-up and the epilogue always use
 * mov, lddw, loads at r9 and r10 and stores; these bits only select the
 * random part. */
enum randprog_feature {
	RANDPROG_ALU = 1u << 0,	      /* add sub mul or and xor mov neg, 32/64, imm/reg */
	RANDPROG_DIVMOD = 1u << 1,    /* div mod sdiv smod */
	RANDPROG_SHIFT = 1u << 2,     /* lsh rsh arsh (by imm below the width, or by reg) */
	RANDPROG_MOVSX = 1u << 3,     /* sign-extending moves */
	RANDPROG_BYTEORDER = 1u << 4, /* le be bswap */
	RANDPROG_LDDW = 1u << 5,      /* 64-bit constants */
	RANDPROG_JMP = 1u << 6,	      /* forward conditional jumps, JMP and JMP32, imm/reg */
	RANDPROG_JA = 1u << 7,	      /* ja and gotol (as the else of an if/else) */
	RANDPROG_MAY_GOTO = 1u << 8,  /* forward may_goto */
	RANDPROG_MEM = 1u << 9,	      /* loads and stores at r9, any alignment */
	RANDPROG_STACK = 1u << 10,    /* loads and stores at r10, aligned */
	RANDPROG_LDSX = 1u << 11,     /* sign-extending loads (with MEM or STACK) */
	RANDPROG_ATOMIC = 1u << 12,   /* atomic add/or/and/xor/fetch/xchg/cmpxchg on the stack */
	RANDPROG_ACQREL = 1u << 13,   /* load-acquire / store-release on the stack */
	RANDPROG_ALL = (1u << 14) - 1,
};

/* Ways around known bugs of an engine under test, so that one bug does not
 * drown everything else.  Each costs coverage: test what it hides directly. */
enum randprog_quirk {
	/* Follow every 32-bit cmpxchg with w0 = w0.  Linux (6.18, x86-64) makes
	 * the JIT zero-extend r0 after a 32-bit cmpxchg only when the verifier
	 * walked a 64-bit read of r0 on that path; when state pruning cuts the
	 * path short, r0 keeps its upper half on success (x86's cmpxchg writes
	 * eax only on failure). */
	RANDPROG_QUIRK_CMPXCHG32_ZEXT = 1u << 0,
};

#define RANDPROG_NR_REGS 9 /* r0-r8: what the body computes with */
#define RANDPROG_PTR_REG 9 /* the memory pointer the caller provides */
#define RANDPROG_STACK_BYTES 64

struct randprog_opts {
	uint32_t data_size; /* bytes at r9 the body reads and writes: >= 8, at most 4096 */
	/* Random instructions after the set-up, at most 4096.  The kernel
	 * verifier walks every path: up to ~128 it accepts every program, at
	 * a few hundred some exceed its budget of 1M processed instructions. */
	uint32_t nr_insns;
	uint32_t features; /* enum randprog_feature bits; 0 means RANDPROG_ALL */
	uint32_t quirks;   /* enum randprog_quirk bits; 0 for a correct engine */
};

struct randprog_layout {
	size_t regs_off;  /* r0-r8 after the body */
	size_t stack_off; /* the stack area after the body */
	size_t size;	  /* bytes the memory at r9 must have */
};

void randprog_layout(const struct randprog_opts *opts, struct randprog_layout *layout);

/* Slots randprog_generate() may write at most. */
size_t randprog_max_insns(const struct randprog_opts *opts);

/* Where the parts of a generated body start, in slots. */
struct randprog_info {
	size_t random_start;   /* the random part; before it, the set-up */
	size_t epilogue_start; /* the epilogue; the body ends RANDPROG_EPILOGUE_SLOTS later */
};

#define RANDPROG_EPILOGUE_SLOTS (RANDPROG_NR_REGS + 2 * (RANDPROG_STACK_BYTES / 8))

/* Writes the body (set-up, random part, epilogue) for this seed into insns
 * and, if info is not NULL, where its parts start.  Returns the slot count,
 * or 0 if cap is too small or opts out of range.  Only the random part may be
 * edited (e.g. instructions turned into `ja +0` to shrink a failing case):
 * without the set-up the verifier sees uninitialised registers and stack. */
size_t randprog_generate(uint64_t seed, const struct randprog_opts *opts, struct bpf_insn *insns,
			 size_t cap, struct randprog_info *info);

/* The epilogue alone (r0-r8 and the stack area stored at r9), for callers
 * that write their own bodies; returns the slot count, or 0 if cap is too
 * small.  The body must have initialised r0-r8 and the stack area. */
size_t randprog_epilogue(const struct randprog_opts *opts, struct bpf_insn *insns, size_t cap);

/* Initial bytes for the memory at r9, from a stream of the seed separate from
 * the program's: random words mixed with edge values (0, -1, INT_MIN...). */
void randprog_fill(uint64_t seed, void *buf, size_t len);

/* What byte `off` of the memory holds after the run: "mem[17]",
 * "r3 byte 2", "stack r10-24". */
void randprog_describe(const struct randprog_opts *opts, size_t off, char *buf, size_t size);

/* A third opinion when two engines disagree: a plain, slow evaluator of the
 * instructions randprog emits, written apart from skep's interpreter.  Runs
 * `insns` (a body, or any program without calls) with r9 = mem and r10 = the
 * top of its own stack until exit or the end of the slots; regs gets r0-r10
 * at the end (r10 as an offset: 0).  Returns 0, or -1 for an instruction
 * outside what it knows (calls, legacy packet loads, map references), a
 * memory access outside mem and the stack, or a jump outside the program. */
int randprog_eval(const struct bpf_insn *insns, size_t n, void *mem, size_t mem_size,
		  uint64_t regs[11]);

/* The generator's PRNG (splitmix64), for callers that want more of the same. */
struct randprog_rng {
	uint64_t state;
};

static inline void randprog_rng_seed(struct randprog_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t randprog_rng_next(struct randprog_rng *rng);

/* One instruction slot. */
static inline struct bpf_insn randprog_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
					    int32_t imm)
{
	struct bpf_insn insn = {
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return insn;
}

#endif
