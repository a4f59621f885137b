/* Translation of one eBPF instruction slot to x86-64: the dispatch on the
 * opcode table's form, ALU operations, byte order, 64-bit constants, jumps
 * and may_goto.  Division and shifts are in jit_x86_arith.c, memory in
 * jit_x86_mem.c, calls and function frames in jit_calls.c.
 *
 * The ALU maps one to one: x86 32-bit operations zero-extend their result
 * exactly as eBPF's 32-bit ALU does, and x86 sign-extends 32-bit immediates
 * in 64-bit operations exactly as eBPF does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"
#include "jit/jit_x86.h"

void jit_fail(struct jit_state *s, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (s->err)
		return;
	s->err = err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_printf(s->log, "insn %zu: %s", s->slot, msg);
}

/* A fresh blinding key per constant: a splitmix64 stream from a random seed,
 * restarted every pass so that every pass emits the same sizes. */
static uint64_t jit_blind_key(struct jit_state *s)
{
	uint64_t z = (s->blind_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Constant blinding: the program's constant never appears in the code as
 * itself (a program author could otherwise plant chosen bytes in executable
 * memory), only xor-ed with a random key.  reg is never JIT_T1. */
void jit_load_const(struct jit_state *s, int reg, uint64_t v)
{
	struct x86_buf *e = &s->e;
	uint64_t k = s->harden ? jit_blind_key(s) : 0;

	if (!s->harden) {
		x86_mov_imm64(e, reg, v);
	} else if (v <= UINT32_MAX) {
		x86_mov_ri32(e, reg, (uint32_t)(v ^ k));
		x86_alu_ri(e, 4, X86_XOR, reg, (int32_t)(uint32_t)k);
	} else if (x86_fits32((int64_t)v)) {
		/* sign extension commutes with xor */
		x86_mov_ri_sx(e, reg, (int32_t)(uint32_t)(v ^ k));
		x86_alu_ri(e, 8, X86_XOR, reg, (int32_t)(uint32_t)k);
	} else {
		x86_movabs(e, reg, v ^ k);
		x86_movabs(e, JIT_T1, k);
		x86_alu_rr(e, 8, X86_XOR, reg, JIT_T1);
	}
}

void jit_branch(struct jit_state *s, size_t t, int cc)
{
	jit_branch_to(s, s->addr[t], cc);
}

void jit_branch_to(struct jit_state *s, uint32_t to, int cc)
{
	struct x86_buf *e = &s->e;
	/* Where this branch sat in the previous pass's layout. */
	int64_t here = (int64_t)s->addr[s->slot] + (int64_t)(e->len - s->next[s->slot]);
	int64_t rel8 = to - (here + (cc < 0 ? X86_JMP8_LEN : X86_JCC8_LEN));
	int64_t rel32 = to - (here + (cc < 0 ? X86_JMP32_LEN : X86_JCC32_LEN));

	if (!s->first && !s->all_long && x86_fits8(rel8)) {
		if (cc < 0)
			x86_jmp_rel8(e, (int8_t)rel8);
		else
			x86_jcc_rel8(e, cc, (int8_t)rel8);
	} else if (cc < 0) {
		x86_jmp_rel32(e, (int32_t)rel32);
	} else {
		x86_jcc_rel32(e, cc, (int32_t)rel32);
	}
}

/* Stubs sit after the functions: their offsets come from the previous pass,
 * the branch's own position from this one; both agree once the passes settle. */
static int32_t jit_stub_rel(struct jit_state *s, enum jit_stub stub, size_t len)
{
	return (int32_t)((int64_t)s->stub[stub] - (int64_t)(s->e.len + len));
}

void jit_stub_call(struct jit_state *s, enum jit_stub stub)
{
	x86_call_rel32(&s->e, jit_stub_rel(s, stub, X86_CALL32_LEN));
}

/* In the fused batch loop an out-of-bounds packet load ends the item at a
 * label of the loop's own instead of unwinding through the stub. */
void jit_stub_jmp(struct jit_state *s, enum jit_stub stub)
{
	if (s->fuse.on && stub == JIT_STUB_PKT_OOB)
		jit_branch_to(s, s->fuse.oob, -1);
	else
		x86_jmp_rel32(&s->e, jit_stub_rel(s, stub, X86_JMP32_LEN));
}

void jit_stub_jcc(struct jit_state *s, enum x86_cc cc, enum jit_stub stub)
{
	if (s->fuse.on && stub == JIT_STUB_PKT_OOB)
		jit_branch_to(s, s->fuse.oob, cc);
	else
		x86_jcc_rel32(&s->e, cc, jit_stub_rel(s, stub, X86_JCC32_LEN));
}

static void jit_emit_mov(struct jit_state *s, const struct isa_insn *in, int sz, int src,
			 int is_imm)
{
	const struct isa_op *op = &isa_ops[in->op];
	int dst = jit_reg(in->dst);

	if (op->mval) /* movsx: off holds the source width in bits */
		x86_movsx_rr(&s->e, sz, op->mval / 8, dst, src);
	else if (is_imm)
		jit_load_const(s, dst, sz == 8 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	else if (sz == 4 || dst != src) /* a 32-bit mov to itself still zero-extends */
		x86_mov_rr(&s->e, sz, dst, src);
}

/* le: host (little-endian) to little-endian, which only truncates;
 * be and bswap: a byte swap of the low 16, 32 or 64 bits. */
static void jit_emit_end(struct jit_state *s, const struct isa_insn *in)
{
	const struct isa_op *op = &isa_ops[in->op];
	int swap = isa_is_alu64(op->code) || (op->code & BPF_TO_BE);
	int dst = jit_reg(in->dst);
	struct x86_buf *e = &s->e;

	switch (op->mval) {
	case 16:
		if (swap)
			x86_shift_ri(e, 2, X86_ROL, dst, 8);
		x86_movzx_rr(e, 2, dst, dst);
		break;
	case 32:
		if (swap)
			x86_bswap(e, 4, dst);
		else
			x86_mov_rr(e, 4, dst, dst);
		break;
	default:
		if (swap)
			x86_bswap(e, 8, dst);
		break;
	}
}

void jit_emit_alu(struct jit_state *s, const struct isa_insn *in)
{
	/* x86 operation + 1 of the ALU operations that map one to one */
	static const int8_t simple[16] = {
		[BPF_ADD >> 4] = X86_ADD + 1, [BPF_SUB >> 4] = X86_SUB + 1,
		[BPF_OR >> 4] = X86_OR + 1,   [BPF_AND >> 4] = X86_AND + 1,
		[BPF_XOR >> 4] = X86_XOR + 1,
	};
	const struct isa_op *op = &isa_ops[in->op];
	int sz = isa_is_alu64(op->code) ? 8 : 4, bop = BPF_OP(op->code);
	int dst = jit_reg(in->dst), src = jit_reg(in->src);
	int is_imm = op->form == ISA_FORM_ALU_IMM;
	struct x86_buf *e = &s->e;

	if (op->form == ISA_FORM_END) {
		jit_emit_end(s, in);
		return;
	}
	if (op->form == ISA_FORM_NEG) {
		x86_neg(e, sz, dst);
		return;
	}
	if (is_imm && s->harden && bop != BPF_MOV) {
		jit_load_const(s, JIT_T2, sz == 8 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
		src = JIT_T2;
		is_imm = 0;
	}
	if (simple[bop >> 4]) {
		enum x86_alu x = (enum x86_alu)(simple[bop >> 4] - 1);
		if (is_imm)
			x86_alu_ri(e, sz, x, dst, in->imm);
		else
			x86_alu_rr(e, sz, x, dst, src);
		return;
	}
	switch (bop) {
	case BPF_MUL:
		if (is_imm)
			x86_imul_rri(e, sz, dst, dst, in->imm);
		else
			x86_imul_rr(e, sz, dst, src);
		break;
	case BPF_MOV:
		jit_emit_mov(s, in, sz, src, is_imm);
		break;
	case BPF_DIV:
	case BPF_MOD:
		jit_emit_divmod(s, in, sz, src, is_imm);
		break;
	default: /* BPF_LSH, BPF_RSH, BPF_ARSH */
		jit_emit_shift(s, in, sz, src, is_imm);
		break;
	}
}

/* The constant as loading resolved it: a map, a map value's address, or for
 * a function (src 4) the interpreter's address of it, which callx and
 * callbacks recognise in either engine.  Only plain constants are blinded:
 * the others are addresses, not values the program chose. */
static void jit_emit_lddw(struct jit_state *s, const struct isa_insn *in)
{
	uint64_t k = s->code->insns[s->slot].k;

	if (in->src == 0)
		jit_load_const(s, jit_reg(in->dst), k);
	else
		x86_mov_imm64(&s->e, jit_reg(in->dst), k);
}

static void jit_emit_jcond(struct jit_state *s, const struct isa_insn *in)
{
	/* clang-format off */
	static const uint8_t cc[16] = {
		[BPF_JEQ >> 4] = X86_CC_E,  [BPF_JNE >> 4] = X86_CC_NE, [BPF_JSET >> 4] = X86_CC_NE,
		[BPF_JGT >> 4] = X86_CC_A,  [BPF_JGE >> 4] = X86_CC_AE, [BPF_JLT >> 4] = X86_CC_B,
		[BPF_JLE >> 4] = X86_CC_BE, [BPF_JSGT >> 4] = X86_CC_G, [BPF_JSGE >> 4] = X86_CC_GE,
		[BPF_JSLT >> 4] = X86_CC_L, [BPF_JSLE >> 4] = X86_CC_LE,
	};
	/* clang-format on */
	const struct isa_op *op = &isa_ops[in->op];
	int sz = isa_is_jmp32(op->code) ? 4 : 8, bop = BPF_OP(op->code);
	int dst = jit_reg(in->dst), src = jit_reg(in->src);
	int is_set = bop == BPF_JSET, is_imm = op->form == ISA_FORM_JMP_IMM;
	struct x86_buf *e = &s->e;

	if ((size_t)in->target == s->slot + 1)
		return; /* taken or not, the next slot runs */
	if (is_imm && s->harden && in->imm) {
		jit_load_const(s, JIT_T2, sz == 8 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
		src = JIT_T2;
		is_imm = 0;
	}
	if (!is_imm && is_set)
		x86_test_rr(e, sz, dst, src);
	else if (!is_imm)
		x86_alu_rr(e, sz, X86_CMP, dst, src);
	else if (is_set)
		x86_test_ri(e, sz, dst, in->imm);
	else if (in->imm == 0) /* same flags as cmp dst, 0 for every condition used */
		x86_test_rr(e, sz, dst, dst);
	else
		x86_alu_ri(e, sz, X86_CMP, dst, in->imm);
	jit_branch(s, (size_t)in->target, cc[bop >> 4]);
}

/* if (counter == 0) goto target; counter--.  The counter is this frame's. */
static void jit_emit_may_goto(struct jit_state *s, const struct isa_insn *in)
{
	x86_alu_mi(&s->e, 4, X86_CMP, X86_RSP, 0, 0);
	jit_branch(s, (size_t)in->target, X86_CC_E);
	x86_alu_mi(&s->e, 4, X86_SUB, X86_RSP, 0, 1);
}

/* Checked code pays for a basic block on entering it; the stub reports the leader. */
static void jit_emit_budget(struct jit_state *s, uint32_t n)
{
	struct x86_buf *e = &s->e;

	x86_alu_mi(e, 8, X86_SUB, JIT_RUN, JIT_RUN_OFF(budget), (int32_t)n);
	x86_jcc_rel8(e, X86_CC_AE, X86_CALL32_LEN);
	jit_stub_call(s, JIT_STUB_BUDGET);
}

/* Pad with the recommended multi-byte NOPs to a 16-byte boundary: a loop
 * whose head straddles a fetch block runs measurably slower (compilers align
 * loops for the same reason).  Only run on entering the loop. */
void jit_emit_align(struct x86_buf *e)
{
	static const uint8_t nops[9][9] = {
		{0x90},
		{0x66, 0x90},
		{0x0f, 0x1f, 0x00},
		{0x0f, 0x1f, 0x40, 0x00},
		{0x0f, 0x1f, 0x44, 0x00, 0x00},
		{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
		{0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
		{0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
		{0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	};
	size_t pad = (16 - e->len % 16) % 16;

	while (pad) {
		size_t n = pad > 9 ? 9 : pad;
		for (size_t k = 0; k < n; k++)
			x86_byte(e, nops[n - 1][k]);
		pad -= n;
	}
}

void jit_emit_slot(struct jit_state *s, size_t i)
{
	const struct isa_insn *in = &s->isa->insns[i];

	s->slot = i;
	if (s->isa->is_func_start[i] && !s->fuse.on) {
		s->next_ent[i] = (uint32_t)s->e.len;
		jit_emit_prologue(s);
	}
	if (s->loop_head[i])
		jit_emit_align(&s->e);
	s->next[i] = (uint32_t)s->e.len;
	if (in->op < 0)
		return; /* second half of an lddw */
	if (s->checked && s->block[i])
		jit_emit_budget(s, s->block[i]);
	switch (isa_ops[in->op].form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ALU_REG:
	case ISA_FORM_NEG:
	case ISA_FORM_END:
		jit_emit_alu(s, in);
		break;
	case ISA_FORM_LDDW:
		jit_emit_lddw(s, in);
		break;
	case ISA_FORM_LD_ABS:
	case ISA_FORM_LD_IND:
		jit_emit_ldpkt(s, in);
		break;
	case ISA_FORM_LDX:
	case ISA_FORM_ST:
	case ISA_FORM_STX:
	case ISA_FORM_LDACQ:
	case ISA_FORM_STREL:
		jit_emit_mem(s, in);
		break;
	case ISA_FORM_ATOMIC:
		jit_emit_atomic(s, in);
		break;
	case ISA_FORM_JA:
	case ISA_FORM_JA32:
		if ((size_t)in->target != i + 1)
			jit_branch(s, (size_t)in->target, -1);
		return;
	case ISA_FORM_MAY_GOTO:
		jit_emit_may_goto(s, in);
		break;
	case ISA_FORM_JMP_IMM:
	case ISA_FORM_JMP_REG:
		jit_emit_jcond(s, in);
		break;
	case ISA_FORM_CALL:
		jit_emit_call(s, in);
		break;
	case ISA_FORM_CALL_LOCAL:
		jit_emit_call_local(s, in);
		break;
	case ISA_FORM_CALL_KFUNC:
		jit_stub_call(s, JIT_STUB_KFUNC);
		break;
	case ISA_FORM_CALLX:
		jit_emit_callx(s, in);
		break;
	case ISA_FORM_EXIT:
		if (s->fuse.on)
			jit_fuse_exit(s);
		else
			jit_emit_exit(s);
		break;
	}
}
