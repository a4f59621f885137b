/* The cBPF checker and converter, case by case.
 *
 * check/...    programs the kernel accepts or refuses (each verdict here was
 *              taken from the kernel: SO_ATTACH_FILTER and seccomp install),
 *              and that the refusal names the instruction;
 * run/...      what converted programs compute, in every execution mode,
 *              against hand-worked classic BPF semantics;
 * seccomp/...  the seccomp context and the action names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "../lib/harness.h"
#include "skep/cbpf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RET_K(k) BPF_STMT(BPF_RET | BPF_K, k)
#define ALLOW SECCOMP_RET_ALLOW

struct check_case {
	const char *name;
	enum skep_cbpf_mode mode;
	int ok;
	const char *msg; /* in the log when refused */
	struct skep_cbpf_insn prog[8];
	size_t len;
};

/* clang-format off */
static const struct check_case check_cases[] = {
	{"ret k", SKEP_CBPF_SOCKET, 1, NULL, {RET_K(1)}, 1},
	{"ret a", SKEP_CBPF_SOCKET, 1, NULL, {BPF_STMT(BPF_RET | BPF_A, 0)}, 1},
	{"ret x is no kernel opcode", SKEP_CBPF_SOCKET, 0, "insn 0: unknown opcode 0x0e",
	 {BPF_STMT(BPF_RET | BPF_X, 0)}, 1},
	{"empty", SKEP_CBPF_SOCKET, 0, "1 to 4096", {RET_K(0)}, 0},
	{"last is not ret", SKEP_CBPF_SOCKET, 0, "insn 1: the program must end",
	 {RET_K(0), BPF_STMT(BPF_LD | BPF_IMM, 1)}, 2},
	{"opcode above 0xff", SKEP_CBPF_SOCKET, 0, "insn 0: unknown opcode",
	 {BPF_STMT(0x106, 0)}, 1},
	{"div by constant 0", SKEP_CBPF_SOCKET, 0, "insn 0: 'div #k' by the constant 0",
	 {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET_K(0)}, 2},
	{"mod by constant 0", SKEP_CBPF_SOCKET, 0, "insn 0",
	 {BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0), RET_K(0)}, 2},
	{"div by x", SKEP_CBPF_SOCKET, 1, NULL, {BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), RET_K(0)}, 2},
	{"lsh 31", SKEP_CBPF_SOCKET, 1, NULL, {BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 31), RET_K(0)}, 2},
	{"lsh 32", SKEP_CBPF_SOCKET, 0, "insn 0: shift by 32",
	 {BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET_K(0)}, 2},
	{"rsh 32", SKEP_CBPF_SOCKET, 0, "insn 0", {BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 32), RET_K(0)}, 2},
	{"ja to the last", SKEP_CBPF_SOCKET, 1, NULL, {BPF_STMT(BPF_JMP | BPF_JA, 1), RET_K(0), RET_K(1)}, 3},
	{"ja past the end", SKEP_CBPF_SOCKET, 0, "insn 0: ja +2 lands past the end",
	 {BPF_STMT(BPF_JMP | BPF_JA, 2), RET_K(0), RET_K(1)}, 3},
	{"ja backwards", SKEP_CBPF_SOCKET, 0, "insn 1: ja -2 jumps backwards",
	 {BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)-2), RET_K(1)}, 3},
	{"jt past the end", SKEP_CBPF_SOCKET, 0, "insn 0: jeq #k jumps to +2/+0",
	 {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0), RET_K(0), RET_K(1)}, 3},
	{"jf past the end", SKEP_CBPF_SOCKET, 0, "insn 0",
	 {BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 5), RET_K(0), RET_K(1)}, 3},
	{"M[16]", SKEP_CBPF_SOCKET, 0, "insn 0: M[16] out of range",
	 {BPF_STMT(BPF_ST, 16), RET_K(0)}, 2},
	{"M[] read before write", SKEP_CBPF_SOCKET, 0, "insn 0: ld M[k] reads M[3]",
	 {BPF_STMT(BPF_LD | BPF_MEM, 3), RET_K(0)}, 2},
	{"M[] written first", SKEP_CBPF_SOCKET, 1, NULL,
	 {BPF_STMT(BPF_STX, 3), BPF_STMT(BPF_LD | BPF_MEM, 3), RET_K(0)}, 3},
	{"M[] written on one path only", SKEP_CBPF_SOCKET, 0, "insn 3: ldx M[k] reads M[0]",
	 {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), BPF_STMT(BPF_ST, 0),
	  BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_LDX | BPF_MEM, 0), RET_K(0)}, 5},
	/* reachable only from where M[0] was written, but the write does not
	 * flow past the RET before it: the kernel refuses, and so do we */
	{"M[] after a ret (the kernel's rule)", SKEP_CBPF_SOCKET, 0, "insn 4",
	 {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2), BPF_STMT(BPF_ST, 0),
	  BPF_STMT(BPF_JMP | BPF_JA, 1), RET_K(1), BPF_STMT(BPF_LD | BPF_MEM, 0), RET_K(0)}, 6},
	{"ancillary protocol", SKEP_CBPF_SOCKET, 1, NULL,
	 {BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL), RET_K(0)}, 2},
	{"ancillary unknown", SKEP_CBPF_SOCKET, 0, "insn 0: ld [k]: offset -4094 is no known",
	 {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 2), RET_K(0)}, 2},
	{"ancillary past the last", SKEP_CBPF_SOCKET, 0, "insn 0",
	 {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_MAX), RET_K(0)}, 2},
	{"negative offset (SKF_NET_OFF)", SKEP_CBPF_SOCKET, 1, NULL,
	 {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 4), RET_K(0)}, 2},
	{"seccomp ld nr", SKEP_CBPF_SECCOMP, 1, NULL,
	 {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), RET_K(ALLOW)}, 2},
	{"seccomp ld unaligned", SKEP_CBPF_SECCOMP, 0, "insn 0: ld [2]: a seccomp filter",
	 {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET_K(ALLOW)}, 2},
	{"seccomp ld past seccomp_data", SKEP_CBPF_SECCOMP, 0, "insn 0",
	 {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET_K(ALLOW)}, 2},
	{"seccomp ldh", SKEP_CBPF_SECCOMP, 0, "insn 0: 'ldh [k]' is not allowed in a seccomp",
	 {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET_K(ALLOW)}, 2},
	{"seccomp ld ind", SKEP_CBPF_SECCOMP, 0, "insn 0",
	 {BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET_K(ALLOW)}, 2},
	{"seccomp msh", SKEP_CBPF_SECCOMP, 0, "insn 0",
	 {BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), RET_K(ALLOW)}, 2},
	{"seccomp mod", SKEP_CBPF_SECCOMP, 0, "insn 0: 'mod #k'",
	 {BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET_K(ALLOW)}, 2},
	{"seccomp div x", SKEP_CBPF_SECCOMP, 1, NULL,
	 {BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), RET_K(ALLOW)}, 2},
	{"seccomp len", SKEP_CBPF_SECCOMP, 1, NULL,
	 {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0)}, 2},
};
/* clang-format on */

static void test_check(struct harness *h)
{
	for (size_t i = 0; i < N(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		char log[512] = "", name[128];
		struct skep_cbpf_opts o = {.sz = sizeof(o), .mode = c->mode, .log_buf = log,
					   .log_size = sizeof(log)};
		int err = skep_cbpf_check(c->prog, c->len, &o);

		snprintf(name, sizeof(name), "check/%s", c->name);
		if (c->ok)
			harness_check(h, err == 0, name, "refused: %s", log);
		else
			harness_check(h, err == -EINVAL && strstr(log, c->msg), name,
				      "error %d, log \"%s\", want \"%s\"", err, log, c->msg);
	}
}

static void test_check_long(struct harness *h)
{
	struct skep_cbpf_insn *p = calloc(SKEP_CBPF_MAXINSNS + 1, sizeof(*p));
	struct skep_cbpf_opts o = {.sz = sizeof(o)};

	for (size_t i = 0; i <= SKEP_CBPF_MAXINSNS; i++)
		p[i] = (struct skep_cbpf_insn)RET_K(0);
	harness_check(h, skep_cbpf_check(p, SKEP_CBPF_MAXINSNS, &o) == 0, "check/4096 insns", "refused");
	harness_check(h, skep_cbpf_check(p, SKEP_CBPF_MAXINSNS + 1, &o) == -EINVAL, "check/4097 insns",
		      "accepted");
	free(p);
}

struct run_case {
	const char *name;
	uint32_t want;
	struct skep_cbpf_insn prog[10];
	size_t len;
	const uint8_t *pkt;
	size_t pkt_len;
};

/* An Ethernet/IPv4/TCP frame: 14 + 20 + 20 bytes. */
static const uint8_t frame[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0x0a, 0x00,
	0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x04, 0xd2, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x00, 0x00, 0x00, 0x01,
};

#define LD(sz, mode, k) BPF_STMT(BPF_LD | (sz) | (mode), k)
#define ALU(op, src, k) BPF_STMT(BPF_ALU | (op) | (src), k)
#define RET_A BPF_STMT(BPF_RET | BPF_A, 0)
#define F frame, sizeof(frame)

/* clang-format off */
static const struct run_case run_cases[] = {
	{"ldh [12] (network order)", 0x0800, {LD(BPF_H, BPF_ABS, 12), RET_A}, 2, F},
	{"ld [26] (source address)", 0x0a000001, {LD(BPF_W, BPF_ABS, 26), RET_A}, 2, F},
	{"ldb [23]", 6, {LD(BPF_B, BPF_ABS, 23), RET_A}, 2, F},
	{"ld [k] out of range ends with 0", 0,
	 {LD(BPF_W, BPF_ABS, 52), RET_K(7)}, 2, F},
	{"ld [k] up to the last byte", 1,
	 {LD(BPF_W, BPF_ABS, 50), RET_A}, 2, F},
	{"ldxb 4*([14]&0xf) keeps A", 20 + 0x0800,
	 {LD(BPF_H, BPF_ABS, 12), BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
	  BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A}, 4, F},
	{"ldh [x+16] (destination port)", 80,
	 {BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), LD(BPF_H, BPF_IND, 16), RET_A}, 3, F},
	{"ld [x+k] out of range ends with 0", 0,
	 {BPF_STMT(BPF_LDX | BPF_IMM, 40), LD(BPF_W, BPF_IND, 12), RET_K(9)}, 3, F},
	{"ldx msh out of range ends with 0", 0,
	 {BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 60), RET_K(9)}, 2, F},
	{"ld #len is the wire length", 1000, {LD(BPF_W, BPF_LEN, 0), RET_A}, 2, F},
	{"ldx #len", 1000, {BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_MISC | BPF_TXA, 0),
	 RET_A}, 3, F},
	{"A and X start at 0", 0, {BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0), RET_A}, 2, F},
	{"div x by 0 ends with 0", 0,
	 {LD(BPF_W, BPF_IMM, 10), ALU(BPF_DIV, BPF_X, 0), RET_K(5)}, 3, F},
	{"mod x by 0 ends with 0", 0,
	 {LD(BPF_W, BPF_IMM, 10), ALU(BPF_MOD, BPF_X, 0), RET_K(5)}, 3, F},
	{"div x", 3, {LD(BPF_W, BPF_IMM, 10), BPF_STMT(BPF_LDX | BPF_IMM, 3),
	 ALU(BPF_DIV, BPF_X, 0), RET_A}, 4, F},
	{"mod k", 1, {LD(BPF_W, BPF_IMM, 10), ALU(BPF_MOD, BPF_K, 3), RET_A}, 3, F},
	{"unsigned 32-bit division", 0x7fffffff,
	 {LD(BPF_W, BPF_IMM, 0xfffffffe), ALU(BPF_DIV, BPF_K, 2), RET_A}, 3, F},
	{"neg", 0xfffffffb, {LD(BPF_W, BPF_IMM, 5), ALU(BPF_NEG, 0, 0), RET_A}, 3, F},
	{"32-bit wrap", 2, {LD(BPF_W, BPF_IMM, 0xffffffff), ALU(BPF_ADD, BPF_K, 3), RET_A}, 3, F},
	{"mul wraps", 0xfffffffe, {LD(BPF_W, BPF_IMM, 0x7fffffff), ALU(BPF_MUL, BPF_K, 2), RET_A}, 3, F},
	{"lsh x masks the count (the kernel's rule)", 2,
	 {LD(BPF_W, BPF_IMM, 1), BPF_STMT(BPF_LDX | BPF_IMM, 33), ALU(BPF_LSH, BPF_X, 0), RET_A}, 4, F},
	{"rsh k", 0x0fffffff, {LD(BPF_W, BPF_IMM, 0xffffffff), ALU(BPF_RSH, BPF_K, 4), RET_A}, 3, F},
	{"and or xor", 0x5a ^ 0x0f,
	 {LD(BPF_W, BPF_IMM, 0xff), ALU(BPF_AND, BPF_K, 0x5a), ALU(BPF_OR, BPF_K, 0x0),
	  ALU(BPF_XOR, BPF_K, 0x0f), RET_A}, 5, F},
	{"jgt with k >= 2^31 is unsigned", 1,
	 {LD(BPF_W, BPF_IMM, 0xfffffff0), BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x80000000, 0, 1),
	  RET_K(1), RET_K(2)}, 4, F},
	{"jeq k with jt 0", 2,
	 {LD(BPF_W, BPF_IMM, 3), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 1), RET_K(2), RET_K(1)}, 4, F},
	{"jge x", 2,
	 {LD(BPF_W, BPF_IMM, 3), BPF_STMT(BPF_LDX | BPF_IMM, 4),
	  BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), RET_K(1), RET_K(2)}, 5, F},
	{"jset with jt 0 jf 1", 2,
	 {LD(BPF_W, BPF_IMM, 6), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 4, 0, 1), RET_K(2), RET_K(1)},
	 4, F},
	{"jset false", 1,
	 {LD(BPF_W, BPF_IMM, 6), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1), RET_K(2), RET_K(1)},
	 4, F},
	{"jt == jf", 7,
	 {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1), RET_K(1), RET_K(7)}, 3, F},
	{"ja", 3, {BPF_STMT(BPF_JMP | BPF_JA, 1), RET_K(2), RET_K(3)}, 3, F},
	{"st / ld M[15]", 42,
	 {LD(BPF_W, BPF_IMM, 42), BPF_STMT(BPF_ST, 15), LD(BPF_W, BPF_IMM, 0),
	  LD(BPF_W, BPF_MEM, 15), RET_A}, 5, F},
	{"stx / ldx M[0]", 43,
	 {BPF_STMT(BPF_LDX | BPF_IMM, 43), BPF_STMT(BPF_STX, 0), BPF_STMT(BPF_LDX | BPF_IMM, 0),
	  BPF_STMT(BPF_LDX | BPF_MEM, 0), BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A}, 6, F},
	{"tax", 9, {LD(BPF_W, BPF_IMM, 9), BPF_STMT(BPF_MISC | BPF_TAX, 0), LD(BPF_W, BPF_IMM, 0),
	 BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A}, 5, F},
	{"ret k takes 32 bits", 0xffffffff, {RET_K(0xffffffff)}, 1, F},
	{"SKF_AD_PROTOCOL = the EtherType", 0x0800,
	 {LD(BPF_W, BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL), RET_A}, 2, F},
	{"SKF_AD_PKTTYPE of a broadcast", 1,
	 {LD(BPF_W, BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE), RET_A}, 2, F},
	{"SKF_AD_ALU_XOR_X", 6,
	 {LD(BPF_W, BPF_IMM, 5), BPF_STMT(BPF_LDX | BPF_IMM, 3),
	  LD(BPF_W, BPF_ABS, SKF_AD_OFF + SKF_AD_ALU_XOR_X), RET_A}, 4, F},
	{"SKF_AD_MARK, VLAN_TAG_PRESENT: 0 in a capture", 0,
	 {LD(BPF_W, BPF_ABS, SKF_AD_OFF + SKF_AD_MARK), BPF_STMT(BPF_MISC | BPF_TAX, 0),
	  LD(BPF_W, BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
	  BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0), RET_A}, 5, F},
	{"SKF_AD_CPU", 0, {LD(BPF_W, BPF_ABS, SKF_AD_OFF + SKF_AD_CPU), RET_A}, 2, F},
	{"empty packet: loads end with 0", 0, {LD(BPF_B, BPF_ABS, 0), RET_K(1)}, 2, frame, 0},
	{"dead code is left out and harmless", 5,
	 {BPF_STMT(BPF_JMP | BPF_JA, 2), BPF_STMT(BPF_LD | BPF_MEM, 0), RET_A, RET_K(5)}, 4, F},
};
/* clang-format on */

static const enum skep_exec_mode all_modes[] = {SKEP_EXEC_INTERP, SKEP_EXEC_CHECKED, SKEP_EXEC_JIT,
						SKEP_EXEC_JIT_CHECKED};

static void test_run(struct harness *h, struct skep_vm *vm)
{
	for (size_t i = 0; i < N(run_cases); i++) {
		const struct run_case *c = &run_cases[i];
		struct skep_cbpf_packet pkt = {1, c->pkt, c->pkt_len, c->pkt_len ? 1000 : 0};
		char name[160], log[1024] = "", why[1200] = "";

		for (size_t m = 0; m < N(all_modes) && !why[0]; m++) {
			struct skep_cbpf_opts o = {.sz = sizeof(o), .exec = all_modes[m],
						   .log_buf = log, .log_size = sizeof(log)};
			struct skep_cbpf_filter *f;
			uint32_t v = 0;
			int err = skep_cbpf_filter_new(vm, c->prog, c->len, &o, &f);

			if (!err)
				err = skep_cbpf_filter_packet(f, &pkt, &v);
			if (err || v != c->want)
				snprintf(why, sizeof(why), "mode %zu: got %#x (error %d), want %#x %s",
					 m, v, err, c->want, log);
			skep_cbpf_filter_free(f);
		}
		snprintf(name, sizeof(name), "run/%s", c->name);
		harness_check(h, !why[0], name, "%s", why);
	}
}

/* Ancillary loads a struct __sk_buff cannot answer are refused by name. */
static void test_unsupported(struct harness *h)
{
	static const struct { int anc; const char *name; } anc[] = {
		{SKF_AD_HATYPE, "SKF_AD_HATYPE"}, {SKF_AD_NLATTR, "SKF_AD_NLATTR"},
		{SKF_AD_NLATTR_NEST, "SKF_AD_NLATTR_NEST"}, {SKF_AD_PAY_OFFSET, "SKF_AD_PAY_OFFSET"},
	};
	for (size_t i = 0; i < N(anc); i++) {
		struct skep_cbpf_insn p[] = {LD(BPF_W, BPF_IMM, 0),
					     LD(BPF_W, BPF_ABS, SKF_AD_OFF + anc[i].anc), RET_A};
		char log[512] = "", name[96];
		struct skep_cbpf_opts o = {.sz = sizeof(o), .log_buf = log, .log_size = sizeof(log)};
		struct skep_insn *out = NULL;
		size_t n;
		int err = skep_cbpf_convert(p, 3, &o, &out, &n);

		snprintf(name, sizeof(name), "convert/%s refused", anc[i].name);
		harness_check(h, err == -EOPNOTSUPP && strstr(log, "insn 1") && strstr(log, anc[i].name),
			      name, "error %d, log %s", err, log);
		free(out);
	}
}

/* The converted program is what cbpf.h promises: r6 = r1 first, A and X zeroed. */
static void test_shape(struct harness *h)
{
	struct skep_cbpf_insn p[] = {BPF_STMT(BPF_JMP | BPF_JA, 1), RET_K(1), RET_K(2)};
	struct skep_cbpf_opts o = {.sz = sizeof(o)};
	struct skep_insn *out = NULL;
	size_t n = 0;
	int err = skep_cbpf_convert(p, 3, &o, &out, &n);

	/* the ja stays (now +0), the dead ret #1 goes */
	harness_check(h, !err && n == 6 && out[3].code == 0x05 && out[3].off == 0 &&
				 out[4].imm == 2 && out[0].code == 0xbf && out[0].dst_reg == 6 &&
				 out[0].src_reg == 1 && out[1].code == 0xb4 && out[1].dst_reg == 0 &&
				 out[2].code == 0xb4 && out[2].dst_reg == 7,
		      "convert/prologue and dead code", "error %d, %zu insns", err, n);
	free(out);
}

static uint32_t seccomp_run(struct skep_vm *vm, const struct skep_cbpf_insn *p, size_t n,
			    const struct skep_seccomp_data *sd, enum skep_exec_mode mode, int *err)
{
	struct skep_cbpf_opts o = {.sz = sizeof(o), .mode = SKEP_CBPF_SECCOMP, .exec = mode};
	struct skep_cbpf_filter *f;
	uint32_t a = 0;

	*err = skep_cbpf_filter_new(vm, p, n, &o, &f);
	if (!*err)
		*err = skep_cbpf_filter_seccomp(f, sd, &a);
	skep_cbpf_filter_free(f);
	return a;
}

static void test_seccomp(struct harness *h, struct skep_vm *vm)
{
	/* ERRNO(args[1] high word + len) when nr == 39 and arch matches */
	struct skep_cbpf_insn p[] = {
		LD(BPF_W, BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 0, 7),
		LD(BPF_W, BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 5),
		LD(BPF_W, BPF_ABS, 16 + 8 + 4),
		BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
		RET_A,
		RET_K(ALLOW),
	};
	struct skep_seccomp_data sd = {.nr = 39, .arch = 0xc000003e, .args = {0, 0x700000001}};
	char name[64];
	int err;

	for (size_t m = 0; m < N(all_modes); m++) {
		uint32_t a = seccomp_run(vm, p, N(p), &sd, all_modes[m], &err);
		snprintf(name, sizeof(name), "seccomp/reads seccomp_data, mode %zu", m);
		harness_check(h, !err && a == (SECCOMP_RET_ERRNO | (7 + 64)), name,
			      "error %d, action %#x", err, a);
	}
	sd.nr = 40;
	harness_check(h, seccomp_run(vm, p, N(p), &sd, SKEP_EXEC_INTERP, &err) == ALLOW && !err,
		      "seccomp/other syscall allowed", "error %d", err);
}

static void test_action_names(struct harness *h)
{
	static const struct { uint32_t v; const char *name; } names[] = {
		{SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS"}, {SECCOMP_RET_KILL_THREAD, "KILL_THREAD"},
		{SECCOMP_RET_TRAP | 5, "TRAP"},             {SECCOMP_RET_ERRNO | 13, "ERRNO(13)"},
		{SECCOMP_RET_ERRNO | 0xffff, "ERRNO(4095)"}, {SECCOMP_RET_USER_NOTIF, "USER_NOTIF"},
		{SECCOMP_RET_TRACE | 7, "TRACE(7)"},        {SECCOMP_RET_LOG, "LOG"},
		{SECCOMP_RET_ALLOW, "ALLOW"},               {0x12340000, "KILL_PROCESS"},
	};
	for (size_t i = 0; i < N(names); i++) {
		char buf[64], name[96];
		skep_seccomp_action_name(names[i].v, buf, sizeof(buf));
		snprintf(name, sizeof(name), "seccomp/name %#x", names[i].v);
		harness_check(h, !strcmp(buf, names[i].name), name, "%s, want %s", buf,
			      names[i].name);
	}
}

int main(void)
{
	struct harness h = {0};
	struct skep_vm *vm = skep_vm_new();

	test_check(&h);
	test_check_long(&h);
	test_run(&h, vm);
	test_unsupported(&h);
	test_shape(&h);
	test_seccomp(&h, vm);
	test_action_names(&h);
	skep_vm_free(vm);
	return harness_exit(&h);
}
