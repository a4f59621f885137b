/* Building small programs that use map helpers, for skep and the kernel
 * alike: an lddw of map i loads maps[i] in skep (src 1, imm = index) and the
 * kernel's map fd (src 1, imm = fd), so each side gets its own mapref[].
 *
 * Convention: r6 points at the value of element 0 of map 0, a "results"
 * array of 32 u64 slots; each operation stores what its helper returned in a
 * slot, so the two sides' return codes can be compared after the run. */
#ifndef SKEP_TESTS_MAPS_PROGBUILD_H
#define SKEP_TESTS_MAPS_PROGBUILD_H

#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>

struct pb {
	struct bpf_insn i[1024];
	int n;
	const int *mapref; /* lddw imm of map index k */
	uint32_t funcs[8]; /* where callbacks start (the kernel wants them in BTF) */
	int nr_funcs;
};

#define PB(...) (b->i[b->n++] = (struct bpf_insn){__VA_ARGS__})

static inline void pb_ld_map(struct pb *b, int reg, int map)
{
	PB(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = reg, .src_reg = BPF_PSEUDO_MAP_FD,
	   .imm = b->mapref[map]);
	PB(.code = 0);
}
static inline void pb_mov(struct pb *b, int reg, int32_t imm)
{
	PB(.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = reg, .imm = imm);
}
static inline void pb_movr(struct pb *b, int dst, int src)
{
	PB(.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = dst, .src_reg = src);
}
static inline void pb_fp(struct pb *b, int reg, int16_t off) /* reg = r10 + off */
{
	pb_movr(b, reg, 10);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = reg, .imm = off);
}
static inline void pb_st32(struct pb *b, int16_t off, int32_t v)
{
	PB(.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = off, .imm = v);
}
static inline void pb_st64(struct pb *b, int16_t off, int32_t v)
{
	PB(.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = off, .imm = v);
}
static inline void pb_call(struct pb *b, int id)
{
	PB(.code = BPF_JMP | BPF_CALL, .imm = id);
}
static inline void pb_save(struct pb *b, int slot) /* results[slot] = r0 */
{
	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 6, .src_reg = 0, .off = (int16_t)(8 * slot));
}
static inline void pb_exit(struct pb *b)
{
	PB(.code = BPF_JMP | BPF_EXIT);
}

/* r6 = &results[0], or return 0 if the lookup fails. */
static inline void pb_prologue(struct pb *b)
{
	pb_st32(b, -4, 0);
	pb_ld_map(b, 1, 0);
	pb_fp(b, 2, -4);
	pb_call(b, BPF_FUNC_map_lookup_elem);
	PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 2);
	pb_mov(b, 0, 0);
	pb_exit(b);
	pb_movr(b, 6, 0);
}
static inline void pb_epilogue(struct pb *b, int32_t ret)
{
	pb_mov(b, 0, ret);
	pb_exit(b);
}

/* The key: a u32 at fp-8, or an LPM key (prefixlen, 4 bytes) at fp-8. */
static inline void pb_key(struct pb *b, uint32_t key, uint32_t lpm_addr, int lpm)
{
	pb_st32(b, -8, (int32_t)key);
	if (lpm)
		pb_st32(b, -4, (int32_t)lpm_addr);
}

static inline void pb_update(struct pb *b, int map, int32_t val, int flags, int slot)
{
	pb_st64(b, -16, val);
	pb_ld_map(b, 1, map);
	pb_fp(b, 2, -8);
	pb_fp(b, 3, -16);
	pb_mov(b, 4, flags);
	pb_call(b, BPF_FUNC_map_update_elem);
	pb_save(b, slot);
}

static inline void pb_delete(struct pb *b, int map, int slot)
{
	pb_ld_map(b, 1, map);
	pb_fp(b, 2, -8);
	pb_call(b, BPF_FUNC_map_delete_elem);
	pb_save(b, slot);
}

/* results[slot] = *(u64 *)value, or -1 when the lookup finds nothing.
 * With add: the value also gets += add, atomically. */
static inline void pb_lookup(struct pb *b, int map, int slot, int32_t add)
{
	pb_ld_map(b, 1, map);
	pb_fp(b, 2, -8);
	pb_call(b, BPF_FUNC_map_lookup_elem);
	PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 2);
	pb_mov(b, 0, -1);
	PB(.code = BPF_JMP | BPF_JA, .off = add ? 3 : 1);
	if (add) {
		pb_mov(b, 1, add);
		PB(.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_ADD);
	}
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 0);
	pb_save(b, slot);
}

/* push val; or pop/peek into fp-16, saving r0 in slot and the value in slot+1. */
static inline void pb_push(struct pb *b, int map, int32_t val, int flags, int slot)
{
	pb_st64(b, -16, val);
	pb_ld_map(b, 1, map);
	pb_fp(b, 2, -16);
	pb_mov(b, 3, flags);
	pb_call(b, BPF_FUNC_map_push_elem);
	pb_save(b, slot);
}
static inline void pb_pop(struct pb *b, int map, int helper, int slot)
{
	pb_st64(b, -16, -1);
	pb_ld_map(b, 1, map);
	pb_fp(b, 2, -16);
	pb_call(b, helper);
	pb_save(b, slot);
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 10, .off = -16);
	pb_save(b, slot + 1);
}

#endif
