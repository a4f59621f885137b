/* The cBPF -> eBPF converter.
 *
 * Each classic instruction becomes one to six eBPF instructions with the
 * kernel's classic semantics: A and X are 32-bit (every operation is an ALU32
 * or JMP32 one, so both stay zero-extended in their 64-bit registers), both
 * start at 0, packet loads read network order and end the filter with 0 when
 * out of range (what eBPF LD_ABS/LD_IND do), division or modulo by X == 0 ends
 * the filter with 0.  Jumps are resolved in a second pass, once every classic
 * instruction's first eBPF slot is known; unreachable classic instructions
 * emit nothing, because the kernel's eBPF verifier refuses dead code.
 *
 * Register and stack use are fixed in cbpf/cbpf.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <linux/filter.h>

#include "cbpf/cbpf.h"
#include "core/log.h"
#include "isa/bpf_compat.h"

enum { REG_A = 0, REG_ARG1 = 1, REG_CTX = 6, REG_X = 7, REG_SAVE = 8, REG_FP = 10 };

struct conv_fixup {
	size_t at;       /* the eBPF jump */
	size_t target;   /* the classic instruction it goes to */
};

struct conv {
	const struct skep_cbpf_insn *prog;
	size_t prog_len;
	enum skep_cbpf_mode mode;
	struct skep_insn *out;
	size_t len, cap;
	size_t *start; /* classic index -> first eBPF slot; [prog_len] = the end */
	struct conv_fixup *fix;
	size_t nr_fix, cap_fix;
	int err; /* sticky: once set, nothing more is emitted */
	struct skep_log *log;
};

static int conv_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *bigger;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	bigger = realloc(*buf, n * elem);
	if (!bigger)
		return -ENOMEM;
	*buf = bigger;
	*cap = n;
	return 0;
}

static void emit(struct conv *c, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (c->err)
		return;
	c->err = conv_grow((void **)&c->out, &c->cap, c->len + 1, sizeof(*c->out));
	if (c->err)
		return;
	c->out[c->len++] = (struct skep_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* A jump to classic instruction `target`; the offset is patched at the end. */
static void emit_jump(struct conv *c, uint8_t code, uint8_t dst, uint8_t src, int32_t imm,
		      size_t target)
{
	if (c->err)
		return;
	c->err = conv_grow((void **)&c->fix, &c->cap_fix, c->nr_fix + 1, sizeof(*c->fix));
	if (c->err)
		return;
	c->fix[c->nr_fix++] = (struct conv_fixup){c->len, target};
	emit(c, code, dst, src, 0, imm);
}

static void emit_mov32_imm(struct conv *c, uint8_t dst, uint32_t k)
{
	emit(c, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)k);
}

static void emit_ret_imm(struct conv *c, uint32_t k)
{
	emit_mov32_imm(c, REG_A, k);
	emit(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* dst = the 32-bit word at ctx + off. */
static void emit_ctx_load(struct conv *c, uint8_t dst, size_t off)
{
	emit(c, BPF_LDX | BPF_MEM | BPF_W, dst, REG_CTX, (int16_t)off, 0);
}

/* M[k]: the stack word at r10 - 64 + 4k. */
static int16_t conv_mem_off(uint32_t k)
{
	return (int16_t)(-4 * (SKEP_CBPF_MEMWORDS - (int)k));
}

/* Ancillary loads: what struct __sk_buff or a helper gives a socket filter. */
static void conv_anc(struct conv *c, size_t i, uint32_t anc)
{
	/* clang-format off */
	static const struct { uint32_t anc; size_t off; int swap; } fields[] = {
		{SKF_AD_PROTOCOL,         offsetof(struct __sk_buff, protocol),      1},
		{SKF_AD_PKTTYPE,          offsetof(struct __sk_buff, pkt_type),      0},
		{SKF_AD_IFINDEX,          offsetof(struct __sk_buff, ifindex),       0},
		{SKF_AD_MARK,             offsetof(struct __sk_buff, mark),          0},
		{SKF_AD_QUEUE,            offsetof(struct __sk_buff, queue_mapping), 0},
		{SKF_AD_RXHASH,           offsetof(struct __sk_buff, hash),          0},
		{SKF_AD_VLAN_TAG,         offsetof(struct __sk_buff, vlan_tci),      0},
		{SKF_AD_VLAN_TAG_PRESENT, offsetof(struct __sk_buff, vlan_present),  0},
		{SKF_AD_VLAN_TPID,        offsetof(struct __sk_buff, vlan_proto),    1},
	};
	static const char *const missing[] = {
		[SKF_AD_NLATTR] = "SKF_AD_NLATTR", [SKF_AD_NLATTR_NEST] = "SKF_AD_NLATTR_NEST",
		[SKF_AD_HATYPE] = "SKF_AD_HATYPE", [SKF_AD_PAY_OFFSET] = "SKF_AD_PAY_OFFSET",
	};
	/* clang-format on */

	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		if (fields[f].anc != anc)
			continue;
		emit_ctx_load(c, REG_A, fields[f].off);
		/* protocol and vlan_proto hold the wire's big-endian 16 bits;
		 * classic BPF sees them in host order */
		if (fields[f].swap)
			emit(c, BPF_ALU | BPF_END | BPF_TO_BE, REG_A, 0, 0, 16);
		return;
	}
	switch (anc) {
	case SKF_AD_CPU:
		emit(c, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_smp_processor_id);
		return;
	case SKF_AD_RANDOM:
		emit(c, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32);
		return;
	case SKF_AD_ALU_XOR_X:
		emit(c, BPF_ALU | BPF_XOR | BPF_X, REG_A, REG_X, 0, 0);
		return;
	}
	log_printf(c->log, "insn %zu: ancillary load %s needs what a struct __sk_buff does not "
			   "hold; skep cannot run it", i,
		   anc < sizeof(missing) / sizeof(missing[0]) && missing[anc] ? missing[anc] : "?");
	if (!c->err)
		c->err = -EOPNOTSUPP;
}

/* LD ABS/IND/LEN in the mode's context. */
static void conv_ld_ctx(struct conv *c, size_t i, const struct skep_cbpf_insn *in)
{
	uint8_t size = BPF_SIZE(in->code), mode = BPF_MODE(in->code);

	if (c->mode == SKEP_CBPF_SECCOMP) {
		/* struct seccomp_data in host order; LEN is its size */
		if (mode == BPF_LEN)
			emit_mov32_imm(c, REG_A, sizeof(struct skep_seccomp_data));
		else
			emit_ctx_load(c, REG_A, in->k);
		return;
	}
	if (mode == BPF_LEN)
		emit_ctx_load(c, REG_A, offsetof(struct __sk_buff, len));
	else if (mode == BPF_ABS && in->k >= (uint32_t)SKF_AD_OFF)
		conv_anc(c, i, in->k - (uint32_t)SKF_AD_OFF);
	else if (mode == BPF_ABS)
		emit(c, BPF_LD | BPF_ABS | size, 0, 0, 0, (int32_t)in->k);
	else
		emit(c, BPF_LD | BPF_IND | size, 0, REG_X, 0, (int32_t)in->k);
}

static void conv_ld(struct conv *c, size_t i, const struct skep_cbpf_insn *in)
{
	switch (BPF_MODE(in->code)) {
	case BPF_IMM:
		emit_mov32_imm(c, REG_A, in->k);
		return;
	case BPF_MEM:
		emit(c, BPF_LDX | BPF_MEM | BPF_W, REG_A, REG_FP, conv_mem_off(in->k), 0);
		return;
	default:
		conv_ld_ctx(c, i, in);
	}
}

static void conv_ldx(struct conv *c, const struct skep_cbpf_insn *in)
{
	switch (BPF_MODE(in->code)) {
	case BPF_IMM:
		emit_mov32_imm(c, REG_X, in->k);
		return;
	case BPF_MEM:
		emit(c, BPF_LDX | BPF_MEM | BPF_W, REG_X, REG_FP, conv_mem_off(in->k), 0);
		return;
	case BPF_LEN:
		if (c->mode == SKEP_CBPF_SECCOMP)
			emit_mov32_imm(c, REG_X, sizeof(struct skep_seccomp_data));
		else
			emit_ctx_load(c, REG_X, offsetof(struct __sk_buff, len));
		return;
	}
	/* MSH: X = 4 * (P[k] & 0xf).  The byte load goes through r0, which is A,
	 * and clobbers r1-r5, so A waits in r8. */
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, REG_SAVE, REG_A, 0, 0);
	emit(c, BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, (int32_t)in->k);
	emit(c, BPF_ALU | BPF_AND | BPF_K, REG_A, 0, 0, 0xf);
	emit(c, BPF_ALU | BPF_LSH | BPF_K, REG_A, 0, 0, 2);
	emit(c, BPF_ALU | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0);
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, REG_A, REG_SAVE, 0, 0);
}

static void conv_alu(struct conv *c, const struct skep_cbpf_insn *in)
{
	uint8_t op = BPF_OP(in->code);

	if (op == BPF_NEG) {
		emit(c, BPF_ALU | BPF_NEG, REG_A, 0, 0, 0);
		return;
	}
	if (BPF_SRC(in->code) == BPF_K) {
		emit(c, BPF_ALU | op | BPF_K, REG_A, 0, 0, (int32_t)in->k);
		return;
	}
	if (op == BPF_DIV || op == BPF_MOD) {
		/* classic BPF: dividing by X == 0 ends the filter with 0 */
		emit(c, BPF_JMP32 | BPF_JNE | BPF_K, REG_X, 0, 2, 0);
		emit_ret_imm(c, 0);
	}
	emit(c, BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0);
}

/* The eBPF jump taken when the classic condition is false, or 0 when there is
 * none (JSET has no negation). */
static uint8_t conv_negate(uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	}
	return 0;
}

static void conv_jmp(struct conv *c, size_t i, const struct skep_cbpf_insn *in)
{
	uint8_t op = BPF_OP(in->code), src = BPF_SRC(in->code);
	uint8_t sreg = src == BPF_X ? REG_X : 0;
	int32_t imm = src == BPF_K ? (int32_t)in->k : 0;
	size_t t = i + 1 + in->jt, f = i + 1 + in->jf;

	if (op == BPF_JA) {
		if (in->k)
			emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, i + 1 + in->k);
		return;
	}
	if (t == f) {
		if (in->jt)
			emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, t);
		return;
	}
	/* JMP32 compares the low 32 bits with imm taken as unsigned 32-bit,
	 * exactly classic BPF's comparison of A with k */
	if (in->jf == 0) {
		emit_jump(c, BPF_JMP32 | op | src, REG_A, sreg, imm, t);
	} else if (in->jt == 0 && conv_negate(op)) {
		emit_jump(c, BPF_JMP32 | conv_negate(op) | src, REG_A, sreg, imm, f);
	} else {
		emit_jump(c, BPF_JMP32 | op | src, REG_A, sreg, imm, t);
		emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, f);
	}
}

static void conv_insn(struct conv *c, size_t i)
{
	const struct skep_cbpf_insn *in = &c->prog[i];

	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
		conv_ld(c, i, in);
		return;
	case BPF_LDX:
		conv_ldx(c, in);
		return;
	case BPF_ST:
	case BPF_STX:
		emit(c, BPF_STX | BPF_MEM | BPF_W, REG_FP, BPF_CLASS(in->code) == BPF_ST ? REG_A : REG_X,
		     conv_mem_off(in->k), 0);
		return;
	case BPF_ALU:
		conv_alu(c, in);
		return;
	case BPF_JMP:
		conv_jmp(c, i, in);
		return;
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_K)
			emit_mov32_imm(c, REG_A, in->k);
		emit(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		return;
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			emit(c, BPF_ALU | BPF_MOV | BPF_X, REG_X, REG_A, 0, 0);
		else
			emit(c, BPF_ALU | BPF_MOV | BPF_X, REG_A, REG_X, 0, 0);
		return;
	}
}

static int conv_resolve(struct conv *c)
{
	for (size_t j = 0; j < c->nr_fix; j++) {
		const struct conv_fixup *fx = &c->fix[j];
		long off = (long)c->start[fx->target] - (long)fx->at - 1;

		if (off < INT16_MIN || off > INT16_MAX) {
			log_printf(c->log, "converted program too long: a jump spans %ld slots", off);
			return -E2BIG;
		}
		c->out[fx->at].off = (int16_t)off;
	}
	return 0;
}

int cbpf_convert(const struct skep_cbpf_insn *insns, size_t len, enum skep_cbpf_mode mode,
		 const struct cbpf_info *info, struct skep_insn **out, size_t *out_len,
		 struct skep_log *log)
{
	struct conv c = {.prog = insns, .prog_len = len, .mode = mode, .log = log};
	int err;

	*out = NULL;
	*out_len = 0;
	c.start = calloc(len + 1, sizeof(*c.start));
	if (!c.start)
		return -ENOMEM;
	/* r6 = ctx (LD_ABS reads through it and r1 does not survive it); A = X = 0 */
	emit(&c, BPF_ALU64 | BPF_MOV | BPF_X, REG_CTX, REG_ARG1, 0, 0);
	emit_mov32_imm(&c, REG_A, 0);
	emit_mov32_imm(&c, REG_X, 0);
	for (size_t i = 0; i < len && !c.err; i++) {
		c.start[i] = c.len;
		if (!info || info->reachable[i])
			conv_insn(&c, i);
	}
	c.start[len] = c.len;
	err = c.err ? c.err : conv_resolve(&c);
	if (err == -ENOMEM)
		log_printf(log, "out of memory converting the program");
	free(c.start);
	free(c.fix);
	if (err) {
		free(c.out);
		return err;
	}
	*out = c.out;
	*out_len = c.len;
	return 0;
}

int skep_cbpf_convert(const struct skep_cbpf_insn *insns, size_t len,
		      const struct skep_cbpf_opts *opts, struct skep_insn **out, size_t *out_len)
{
	struct skep_log log = log_init(opts ? opts->log_buf : NULL, opts ? opts->log_size : 0);
	enum skep_cbpf_mode mode = opts ? opts->mode : SKEP_CBPF_SOCKET;
	struct cbpf_info info;
	int err;

	*out = NULL;
	*out_len = 0;
	err = cbpf_check(insns, len, mode, &info, &log);
	if (err)
		return err;
	err = cbpf_convert(insns, len, mode, &info, out, out_len, &log);
	cbpf_info_free(&info);
	return err;
}
