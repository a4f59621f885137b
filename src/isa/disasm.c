/* The disassembler: one instruction slot (two for lddw) to text, in either
 * the conformance dialect the assembler reads back, or the syntax of the
 * kernel verifier log and llvm-objdump (`r1 += 5`, `if w1 s< 5 goto -2`).
 *
 * Both are driven by the opcode table: the conformance side prints the row's
 * name and its form's operand layout (syntax.c); the kernel side prints per
 * form around the row's kernel operator.  Any slot the table does not
 * describe, and in the conformance dialect any slot with a non-zero field its
 * mnemonic cannot express, becomes `.insn 0x...`, which the assembler turns
 * back into the very same bytes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "isa/isa.h"
#include "isa/syntax.h"

/* The output buffer; appending never overflows, text is cut instead. */
struct dis_out {
	char *buf;
	size_t size, len;
};

static void dis_printf(struct dis_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dis_printf(struct dis_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->size - o->len ? (size_t)n : o->size - o->len - 1;
}

/* The slot's 64-bit little-endian value, as `.insn` and `-- raw` write it. */
static uint64_t dis_slot_value(const struct bpf_insn *s)
{
	uint8_t bytes[8];
	uint64_t v = 0;

	memcpy(bytes, s, sizeof(bytes));
	for (int i = 7; i >= 0; i--)
		v = v << 8 | bytes[i];
	return v;
}

static int dis_raw(struct dis_out *o, const struct bpf_insn *s)
{
	dis_printf(o, ".insn 0x%016" PRIx64, dis_slot_value(s));
	return 1;
}

static int dis_lddw_hi_ok(const struct bpf_insn *hi)
{
	return !hi->code && !hi->dst_reg && !hi->src_reg && !hi->off;
}

static uint64_t dis_imm64(const struct bpf_insn *s)
{
	return (uint32_t)s[0].imm | (uint64_t)(uint32_t)s[1].imm << 32;
}

/* ---- the conformance dialect ---- */

/* Does the row's mnemonic reproduce every non-zero field of the slot? */
static int dis_conf_exact(const struct isa_op *op, const struct bpf_insn *s)
{
	unsigned fields = isa_row_fields(op);

	if ((s->dst_reg && !(fields & ISA_FIELD_DST)) ||
	    (s->src_reg && !(fields & ISA_FIELD_SRC)) || (s->off && !(fields & ISA_FIELD_OFF)) ||
	    (s->imm && !(fields & ISA_FIELD_IMM)))
		return 0;
	/* lddw_func is written as a distance, which has no room for high bits. */
	if (isa_row_syntax(op)->opnd[1] == ISA_OPND_JMP_IMM && op->form == ISA_FORM_LDDW &&
	    s[1].imm)
		return 0;
	return 1;
}

static void dis_conf_imm64(struct dis_out *o, const struct isa_op *op, uint64_t v)
{
	/* Plain constants in hex (bit patterns, mostly); pseudo ones are ids. */
	if (op->match == ISA_MATCH_SRC && op->mval != 0 && v <= INT32_MAX)
		dis_printf(o, "%" PRIu64, v);
	else
		dis_printf(o, "0x%" PRIx64, v);
}

static void dis_conf_operand(struct dis_out *o, const struct isa_op *op, uint8_t opnd,
			     const struct bpf_insn *s)
{
	switch (opnd) {
	case ISA_OPND_DST:
		dis_printf(o, "%%r%u", s->dst_reg);
		break;
	case ISA_OPND_SRC:
		dis_printf(o, "%%r%u", s->src_reg);
		break;
	case ISA_OPND_IMM:
		dis_printf(o, "%" PRId32, s->imm);
		break;
	case ISA_OPND_IMM64:
		dis_conf_imm64(o, op, dis_imm64(s));
		break;
	case ISA_OPND_OFF:
		dis_printf(o, "%d", s->off);
		break;
	case ISA_OPND_MEM_DST:
	case ISA_OPND_MEM_SRC:
		dis_printf(o, "[%%r%u", opnd == ISA_OPND_MEM_DST ? s->dst_reg : s->src_reg);
		if (s->off)
			dis_printf(o, "%+d", s->off);
		dis_printf(o, "]");
		break;
	case ISA_OPND_JMP_OFF:
		dis_printf(o, "%+d", s->off);
		break;
	case ISA_OPND_JMP_IMM:
		dis_printf(o, "%+" PRId32, s->imm);
		break;
	}
}

static void dis_conformance(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	const struct isa_form_syntax *syn = isa_row_syntax(op);
	int n = syn->nopnds;

	/* The dialect spells callx `call %rN`. */
	dis_printf(o, "%s", op->form == ISA_FORM_CALLX ? "call" : op->name);
	/* An optional trailing offset that is zero is left out, as it was written. */
	if (syn->optional && syn->opnd[n - 1] == ISA_OPND_OFF && !s->off)
		n--;
	for (int i = 0; i < n; i++) {
		dis_printf(o, i ? ", " : " ");
		dis_conf_operand(o, op, syn->opnd[i], s);
	}
}

/* ---- the kernel / llvm-objdump syntax ---- */

/* 'w' names the low half of a register in 32-bit ALU ops and compares. */
static char dis_alu_prefix(const struct isa_op *op)
{
	int cls = isa_class(op->code);
	return cls == BPF_ALU || cls == BPF_JMP32 ? 'w' : 'r';
}

/* "r10 - 8", "r1 + 0": a base register and a signed offset. */
static void dis_addr(struct dis_out *o, unsigned reg, long long off)
{
	dis_printf(o, "r%u %c %lld", reg, off < 0 ? '-' : '+', off < 0 ? -off : off);
}

/* "*(u32 *)(r1 + 4)" */
static void dis_mem(struct dis_out *o, const char *type, unsigned reg, int off)
{
	dis_printf(o, "*(%s *)(", type);
	dis_addr(o, reg, off);
	dis_printf(o, ")");
}

static const char *dis_mem_type(const struct bpf_insn *s)
{
	static const char *const types[4] = {"u32", "u16", "u8", "u64"};
	return types[(s->code >> 3) & 3];
}

static void dis_kernel_alu(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	char w = dis_alu_prefix(op);
	size_t k = strlen(op->kop);
	/* "= (s8)" and "= -" bind to their operand: r1 = (s8)r2, r1 = -r1. */
	const char *gap = k && (op->kop[k - 1] == ')' || op->kop[k - 1] == '-') ? "" : " ";

	switch (op->form) {
	case ISA_FORM_ALU_IMM:
		dis_printf(o, "%c%u %s %" PRId32, w, s->dst_reg, op->kop, s->imm);
		break;
	case ISA_FORM_ALU_REG:
		dis_printf(o, "%c%u %s%s%c%u", w, s->dst_reg, op->kop, gap, w, s->src_reg);
		break;
	case ISA_FORM_NEG:
		dis_printf(o, "%c%u %s%s%c%u", w, s->dst_reg, op->kop, gap, w, s->dst_reg);
		break;
	default: /* END: the conversion is named, and works on the whole register */
		dis_printf(o, "r%u = %s r%u", s->dst_reg, op->kop, s->dst_reg);
		break;
	}
}

static void dis_kernel_lddw(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	uint32_t lo = (uint32_t)s[0].imm, hi = (uint32_t)s[1].imm;

	dis_printf(o, "r%u = ", s->dst_reg);
	if (op->match != ISA_MATCH_SRC || op->mval == 0) {
		dis_printf(o, "0x%" PRIx64 " ll", dis_imm64(s));
		return;
	}
	switch (op->mval) {
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
		dis_printf(o, "map[%s:%" PRIu32 "]", op->mval == BPF_PSEUDO_MAP_FD ? "fd" : "idx",
			   lo);
		break;
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		dis_printf(o, "map[%s:%" PRIu32 "][0]+%" PRIu32,
			   op->mval == BPF_PSEUDO_MAP_VALUE ? "fd" : "idx", lo, hi);
		break;
	case BPF_PSEUDO_FUNC:
		dis_printf(o, "subprog[%+" PRId32 "]", s->imm);
		break;
	default: /* a BTF id, or a future pseudo source: name it by the table */
		dis_printf(o, "%s[%" PRIu32 "]", op->kop, lo);
		break;
	}
}

/* Atomics after llvm-objdump: `lock *(u64 *)(r10 - 8) += r1`,
 * `r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)`, `r1 = xchg_64(r10 - 8, r1)`,
 * `r0 = cmpxchg_64(r10 - 8, r0, r1)`; 32-bit ones name w registers. */
static void dis_kernel_atomic(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	int is32 = isa_mem_size(s->code) == 4;
	char w = is32 ? 'w' : 'r';
	const char *type = dis_mem_type(s);

	if (!(op->mval & BPF_FETCH)) {
		dis_printf(o, "lock ");
		dis_mem(o, type, s->dst_reg, s->off);
		dis_printf(o, " %s %c%u", op->kop, w, s->src_reg);
	} else if (!strncmp(op->kop, "fetch_", 6)) {
		dis_printf(o, "%c%u = atomic_%s((%s *)(", w, s->src_reg, op->kop, type);
		dis_addr(o, s->dst_reg, s->off);
		dis_printf(o, "), %c%u)", w, s->src_reg);
	} else {
		int cmp = op->mval == BPF_CMPXCHG;
		dis_printf(o, "%c%u = %s%s_%d(", w, cmp ? 0 : s->src_reg, op->kop, is32 ? "32" : "",
			   is32 ? 32 : 64);
		dis_addr(o, s->dst_reg, s->off);
		if (cmp)
			dis_printf(o, ", %c0", w);
		dis_printf(o, ", %c%u)", w, s->src_reg);
	}
}

static void dis_kernel_mem(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	switch (op->form) {
	case ISA_FORM_LD_ABS:
		dis_printf(o, "r0 = *(u%d *)skb[%" PRId32 "]", 8 * isa_mem_size(s->code), s->imm);
		break;
	case ISA_FORM_LD_IND:
		dis_printf(o, "r0 = *(u%d *)skb[", 8 * isa_mem_size(s->code));
		dis_addr(o, s->src_reg, s->imm);
		dis_printf(o, "]");
		break;
	case ISA_FORM_LDX:
		dis_printf(o, "r%u = ", s->dst_reg);
		dis_mem(o, op->kop, s->src_reg, s->off);
		break;
	case ISA_FORM_ST:
		dis_mem(o, op->kop, s->dst_reg, s->off);
		dis_printf(o, " = %" PRId32, s->imm);
		break;
	case ISA_FORM_STX:
		dis_mem(o, op->kop, s->dst_reg, s->off);
		dis_printf(o, " = r%u", s->src_reg);
		break;
	case ISA_FORM_LDACQ:
		dis_printf(o, "r%u = load_acquire((%s *)(", s->dst_reg, op->kop);
		dis_addr(o, s->src_reg, s->off);
		dis_printf(o, "))");
		break;
	case ISA_FORM_STREL:
		dis_printf(o, "store_release((%s *)(", op->kop);
		dis_addr(o, s->dst_reg, s->off);
		dis_printf(o, "), r%u)", s->src_reg);
		break;
	default:
		dis_kernel_atomic(o, op, s);
		break;
	}
}

static void dis_kernel_jump(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	char w = dis_alu_prefix(op);

	switch (op->form) {
	case ISA_FORM_JMP_IMM:
		dis_printf(o, "if %c%u %s %" PRId32 " goto %+d", w, s->dst_reg, op->kop, s->imm,
			   s->off);
		break;
	case ISA_FORM_JMP_REG:
		dis_printf(o, "if %c%u %s %c%u goto %+d", w, s->dst_reg, op->kop, w, s->src_reg,
			   s->off);
		break;
	case ISA_FORM_JA:
	case ISA_FORM_MAY_GOTO:
		dis_printf(o, "%s %+d", op->kop, s->off);
		break;
	case ISA_FORM_JA32:
		dis_printf(o, "%s %+" PRId32, op->kop, s->imm);
		break;
	case ISA_FORM_CALL:
		dis_printf(o, "%s %" PRId32, op->kop, s->imm);
		break;
	case ISA_FORM_CALL_LOCAL: /* "call pc+3" */
		dis_printf(o, "%s%+" PRId32, op->kop, s->imm);
		break;
	case ISA_FORM_CALL_KFUNC:
		dis_printf(o, "%s %" PRId32, op->kop, s->imm);
		if (s->off)
			dis_printf(o, " (btf fd index %d)", s->off);
		break;
	case ISA_FORM_CALLX:
		dis_printf(o, "%s r%u", op->kop, s->dst_reg);
		break;
	default:
		dis_printf(o, "%s", op->kop);
		break;
	}
}

static void dis_kernel(struct dis_out *o, const struct isa_op *op, const struct bpf_insn *s)
{
	switch (op->form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ALU_REG:
	case ISA_FORM_NEG:
	case ISA_FORM_END:
		dis_kernel_alu(o, op, s);
		break;
	case ISA_FORM_LDDW:
		dis_kernel_lddw(o, op, s);
		break;
	case ISA_FORM_LD_ABS:
	case ISA_FORM_LD_IND:
	case ISA_FORM_LDX:
	case ISA_FORM_ST:
	case ISA_FORM_STX:
	case ISA_FORM_ATOMIC:
	case ISA_FORM_LDACQ:
	case ISA_FORM_STREL:
		dis_kernel_mem(o, op, s);
		break;
	default:
		dis_kernel_jump(o, op, s);
		break;
	}
}

int isa_disasm_insn(const struct bpf_insn *raw, size_t left, size_t idx, enum isa_syntax syntax,
		    char *buf, size_t size)
{
	char scratch[1];
	struct dis_out o = {buf && size ? buf : scratch, buf && size ? size : sizeof(scratch), 0};
	const struct isa_op *op;
	int row, slots = 1;

	(void)idx; /* targets stay relative in both syntaxes, as llvm-objdump prints them */
	o.buf[0] = '\0';
	if (!raw || !left) {
		dis_printf(&o, "(no instruction)");
		return 1;
	}
	row = isa_lookup(raw);
	if (row < 0)
		return dis_raw(&o, raw);
	op = &isa_ops[row];
	if (op->form == ISA_FORM_LDDW) {
		if (left < 2) {
			if (syntax == ISA_SYNTAX_CONFORMANCE)
				dis_raw(&o, raw), dis_printf(&o, " # ");
			dis_printf(&o, "lddw (missing second slot)");
			return 1;
		}
		if (!dis_lddw_hi_ok(&raw[1]))
			return dis_raw(&o, raw);
		slots = 2;
	}
	if (syntax == ISA_SYNTAX_CONFORMANCE) {
		if (!dis_conf_exact(op, raw))
			return dis_raw(&o, raw);
		dis_conformance(&o, op, raw);
	} else {
		dis_kernel(&o, op, raw);
	}
	return slots;
}
