/* Random classic BPF programs for the differential tests.
 *
 * Programs are mostly valid (forward jumps in range, a RET last, scratch
 * words usually written before they are read) so that they run, with every
 * opcode, packet loads near the front of the packet where real headers are,
 * and ancillary loads; a share get one deliberate defect (a bad opcode, a
 * jump past the end, a constant division by zero...) to exercise the checker.
 * "Deterministic" programs avoid what the kernel and skep legitimately see
 * differently: the CPU, random numbers, the device, negative offsets (the
 * kernel's link/network-header loads) and, for seccomp, the instruction
 * pointer.  Header-only, like pktgen.h, which it builds on.
 */
#ifndef SKEP_TESTS_CBPF_CBPFGEN_H
#define SKEP_TESTS_CBPF_CBPFGEN_H

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "pktgen.h"
#include "skep/cbpf.h"

struct cbgen_opts {
	int seccomp;
	int deterministic;
	int defects; /* percent of programs with a deliberate defect */
};

#define CBGEN_MAX 48

static inline struct skep_cbpf_insn cbgen_insn(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	struct skep_cbpf_insn in = {code, jt, jf, k};
	return in;
}

static inline uint32_t cbgen_retk(struct pktgen *g, const struct cbgen_opts *o)
{
	static const uint32_t socket_k[] = {0, 1, 14, 60, 0xffff, 0x40000, 0xffffffff};
	static const uint32_t seccomp_k[] = {
		SECCOMP_RET_ALLOW,        SECCOMP_RET_ALLOW,      SECCOMP_RET_ERRNO | 1,
		SECCOMP_RET_ERRNO | 77,   SECCOMP_RET_ERRNO | 0,  SECCOMP_RET_ERRNO | 5000,
		SECCOMP_RET_TRAP | 3,     SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS,
		SECCOMP_RET_LOG,          SECCOMP_RET_TRACE | 9,  0x12340000,
	};
	if (o->seccomp)
		return PG_PICK(g, seccomp_k);
	return pg_chance(g, 20) ? pg_rand(g) : PG_PICK(g, socket_k);
}

/* An LD ABS offset: the packet's front, sometimes an ancillary load. */
static inline uint32_t cbgen_abs_k(struct pktgen *g, const struct cbgen_opts *o)
{
	static const uint32_t det_anc[] = {
		SKF_AD_PROTOCOL, SKF_AD_PKTTYPE, SKF_AD_MARK, SKF_AD_QUEUE, SKF_AD_RXHASH,
		SKF_AD_ALU_XOR_X, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
	};
	static const uint32_t seccomp_det[] = {0, 4, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60};

	if (o->seccomp)
		return o->deterministic ? PG_PICK(g, seccomp_det) : 4 * pg_below(g, 16);
	if (pg_chance(g, 8))
		return (uint32_t)SKF_AD_OFF + (o->deterministic ? PG_PICK(g, det_anc)
								 : 4 * pg_below(g, SKF_AD_MAX / 4));
	if (!o->deterministic && pg_chance(g, 3))
		return (uint32_t)(pg_chance(g, 50) ? SKF_NET_OFF : SKF_LL_OFF) + pg_below(g, 40);
	return pg_chance(g, 95) ? pg_below(g, 72) : pg_rand(g);
}

static inline uint32_t cbgen_alu_k(struct pktgen *g, uint16_t op)
{
	if (op == BPF_DIV || op == BPF_MOD)
		return 1 + pg_below(g, pg_chance(g, 50) ? 16 : 0xfffffffe);
	if (op == BPF_LSH || op == BPF_RSH)
		return pg_below(g, 32);
	return pg_chance(g, 50) ? pg_below(g, 256) : pg_rand(g);
}

/* One instruction at position i of len (not the last). */
static inline struct skep_cbpf_insn cbgen_one(struct pktgen *g, const struct cbgen_opts *o,
					      size_t i, size_t len, uint16_t *written)
{
	static const uint16_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND,
					   BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR};
	static const uint16_t jmp_ops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
	static const uint16_t sizes[] = {BPF_W, BPF_H, BPF_B};
	uint32_t left = (uint32_t)(len - i - 2); /* farthest jump offset in range */
	unsigned r = pg_below(g, 100);
	uint16_t op;

	if (r < 22) {
		uint16_t sz = o->seccomp ? BPF_W : PG_PICK(g, sizes);
		return cbgen_insn(BPF_LD | sz | BPF_ABS, 0, 0, cbgen_abs_k(g, o));
	}
	if (r < 28 && !o->seccomp)
		return cbgen_insn(BPF_LD | PG_PICK(g, sizes) | BPF_IND, 0, 0, pg_below(g, 60));
	if (r < 32 && !o->seccomp)
		return cbgen_insn(BPF_LDX | BPF_B | BPF_MSH, 0, 0, pg_below(g, 40));
	if (r < 38)
		return cbgen_insn(pg_chance(g, 50) ? BPF_LD | BPF_IMM : BPF_LDX | BPF_IMM, 0, 0,
				  pg_chance(g, 50) ? pg_below(g, 64) : pg_rand(g));
	if (r < 41)
		return cbgen_insn(pg_chance(g, 50) ? BPF_LD | BPF_W | BPF_LEN
						   : BPF_LDX | BPF_W | BPF_LEN, 0, 0, 0);
	if (r < 47) {
		uint32_t k = pg_below(g, 16);
		*written |= (uint16_t)(1u << k);
		return cbgen_insn(pg_chance(g, 50) ? BPF_ST : BPF_STX, 0, 0, k);
	}
	if (r < 52) {
		uint32_t k = pg_below(g, 16);
		for (int tries = 0; tries < 16 && *written && !(*written & (1u << k)); tries++)
			k = (k + 1) % 16;
		return cbgen_insn(pg_chance(g, 50) ? BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM, 0, 0, k);
	}
	if (r < 72) {
		do
			op = PG_PICK(g, alu_ops);
		while (o->seccomp && op == BPF_MOD);
		if (op == BPF_NEG)
			return cbgen_insn(BPF_ALU | BPF_NEG, 0, 0, 0);
		if (pg_chance(g, 30))
			return cbgen_insn(BPF_ALU | op | BPF_X, 0, 0, 0);
		return cbgen_insn(BPF_ALU | op | BPF_K, 0, 0, cbgen_alu_k(g, op));
	}
	if (r < 90) {
		uint16_t src = pg_chance(g, 25) ? BPF_X : BPF_K;
		uint32_t cap = left > 255 ? 255 : left;
		return cbgen_insn(BPF_JMP | PG_PICK(g, jmp_ops) | src, (uint8_t)pg_below(g, cap + 1),
				  (uint8_t)pg_below(g, cap + 1),
				  pg_chance(g, 60) ? pg_below(g, 64) : pg_rand(g));
	}
	if (r < 93)
		return cbgen_insn(BPF_JMP | BPF_JA, 0, 0, pg_below(g, left + 1));
	if (r < 96)
		return cbgen_insn(pg_chance(g, 50) ? BPF_RET | BPF_A : BPF_RET | BPF_K, 0, 0,
				  cbgen_retk(g, o));
	return cbgen_insn(pg_chance(g, 50) ? BPF_MISC | BPF_TAX : BPF_MISC | BPF_TXA, 0, 0, 0);
}

/* One defect the kernel refuses. */
static inline void cbgen_defect(struct pktgen *g, const struct cbgen_opts *o,
				struct skep_cbpf_insn *p, size_t len)
{
	struct skep_cbpf_insn *in = &p[pg_below(g, (uint32_t)len)];

	switch (pg_below(g, o->seccomp ? 9 : 8)) {
	case 0:
		in->code = (uint16_t)pg_below(g, 0x120);
		break;
	case 1:
		*in = cbgen_insn(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)pg_rand(g), (uint8_t)pg_rand(g), 0);
		break;
	case 2:
		*in = cbgen_insn(BPF_ALU | (pg_chance(g, 50) ? BPF_DIV : BPF_MOD) | BPF_K, 0, 0, 0);
		break;
	case 3:
		*in = cbgen_insn(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32 + pg_below(g, 40));
		break;
	case 4:
		*in = cbgen_insn(BPF_ST, 0, 0, 16 + pg_below(g, 4));
		break;
	case 5:
		p[len - 1] = cbgen_insn(BPF_LD | BPF_IMM, 0, 0, 0);
		break;
	case 6:
		*in = cbgen_insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + 1 + pg_below(g, 90));
		break;
	case 7:
		*in = cbgen_insn(BPF_JMP | BPF_JA, 0, 0, pg_rand(g));
		break;
	default: /* seccomp only: a packet-only load */
		*in = cbgen_insn(pg_chance(g, 50) ? BPF_LD | BPF_B | BPF_ABS : BPF_LD | BPF_W | BPF_ABS,
				 0, 0, pg_below(g, 70));
	}
}

/* A program into p (CBGEN_MAX slots); returns its length. */
static inline size_t cbgen_prog(struct pktgen *g, const struct cbgen_opts *o,
				struct skep_cbpf_insn *p)
{
	size_t len = 2 + pg_below(g, CBGEN_MAX - 1);
	uint16_t written = 0;

	for (size_t i = 0; i + 1 < len; i++)
		p[i] = cbgen_one(g, o, i, len, &written);
	p[len - 1] = cbgen_insn(pg_chance(g, 50) ? BPF_RET | BPF_A : BPF_RET | BPF_K, 0, 0,
				cbgen_retk(g, o));
	if (pg_chance(g, (unsigned)o->defects))
		cbgen_defect(g, o, p, len);
	return len;
}

#endif
