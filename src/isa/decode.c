/* Decoding raw slots into table rows, with the structural checks the kernel
 * makes before its verifier proper runs: known opcodes, zero reserved fields,
 * registers r0-r10, complete lddw pairs, jump and call targets inside the
 * program (and inside the same subprogram), never into the second half of an
 * lddw, no write to the read-only frame pointer, and no subprogram whose last
 * slot can fall through past its end.
 */
#include "isa/isa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define ISA_MAX_SLOTS (1u << 20)

/* Which fields a form leaves unused; they must be zero. */
enum { F_DST = 1, F_SRC = 2, F_OFF = 4, F_IMM = 8 };

static unsigned isa_form_unused(enum isa_form form)
{
	switch (form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ST:
	case ISA_FORM_JMP_IMM:
		return F_SRC;
	case ISA_FORM_ALU_REG:
	case ISA_FORM_LDX:
	case ISA_FORM_STX:
	case ISA_FORM_JMP_REG:
		return F_IMM;
	case ISA_FORM_NEG:
		return F_SRC | F_OFF | F_IMM;
	case ISA_FORM_END:
	case ISA_FORM_LDDW:
		return F_SRC | F_OFF;
	case ISA_FORM_LD_ABS:
		return F_DST | F_SRC | F_OFF;
	case ISA_FORM_LD_IND:
		return F_DST | F_OFF;
	case ISA_FORM_ATOMIC:
	case ISA_FORM_LDACQ:
	case ISA_FORM_STREL:
		return 0;
	case ISA_FORM_JA:
		return F_DST | F_SRC | F_IMM;
	case ISA_FORM_JA32:
		return F_DST | F_SRC | F_OFF;
	case ISA_FORM_MAY_GOTO:
		return F_DST | F_SRC | F_IMM;
	case ISA_FORM_CALL:
	case ISA_FORM_CALL_LOCAL:
		return F_DST | F_SRC | F_OFF;
	case ISA_FORM_CALL_KFUNC:
		return F_DST | F_SRC;
	case ISA_FORM_CALLX:
		return F_SRC | F_OFF | F_IMM;
	case ISA_FORM_EXIT:
		return F_DST | F_SRC | F_OFF | F_IMM;
	}
	return 0;
}

/* The field a row's discriminator lives in is checked by the lookup, not here. */
static unsigned isa_match_field(const struct isa_op *op)
{
	static const unsigned field[] = {0, F_OFF, F_IMM, F_SRC};
	return field[op->match];
}

static int isa_check_unused(const struct isa_op *op, const struct bpf_insn *in, size_t i,
			    struct skep_log *log)
{
	unsigned unused = isa_form_unused(op->form) & ~isa_match_field(op);

	if ((unused & F_DST) && in->dst_reg)
		log_printf(log, "insn %zu: %s uses reserved field dst_reg (%u), must be 0", i,
			   op->name, in->dst_reg);
	else if ((unused & F_SRC) && in->src_reg)
		log_printf(log, "insn %zu: %s uses reserved field src_reg (%u), must be 0", i,
			   op->name, in->src_reg);
	else if ((unused & F_OFF) && in->off)
		log_printf(log, "insn %zu: %s uses reserved field off (%d), must be 0", i, op->name,
			   in->off);
	else if ((unused & F_IMM) && in->imm)
		log_printf(log, "insn %zu: %s uses reserved field imm (%d), must be 0", i, op->name,
			   in->imm);
	else
		return 0;
	return -EINVAL;
}

/* Explain why no row matched: unknown opcode, or a known one with a field
 * value that selects no instruction. */
static void isa_log_unknown(const struct bpf_insn *in, size_t i, struct skep_log *log)
{
	for (int r = 0; r < ISA_OP_COUNT; r++) {
		const struct isa_op *op = &isa_ops[r];
		if (op->code != in->code)
			continue;
		if (op->match == ISA_MATCH_OFF)
			log_printf(log, "insn %zu: opcode 0x%02x does not allow off %d", i, in->code,
				   in->off);
		else if (op->match == ISA_MATCH_IMM)
			log_printf(log, "insn %zu: opcode 0x%02x does not allow imm %d (0x%x)", i,
				   in->code, in->imm, (unsigned)in->imm);
		else
			log_printf(log, "insn %zu: opcode 0x%02x does not allow src_reg %u", i,
				   in->code, in->src_reg);
		return;
	}
	log_printf(log, "insn %zu: unknown opcode 0x%02x", i, in->code);
}

/* Does this instruction write its dst register? */
static int isa_writes_dst(const struct isa_op *op)
{
	switch (op->form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ALU_REG:
	case ISA_FORM_NEG:
	case ISA_FORM_END:
	case ISA_FORM_LDDW:
	case ISA_FORM_LDX:
	case ISA_FORM_LDACQ:
		return 1;
	default:
		return 0;
	}
}

static int isa_check_regs(const struct isa_op *op, const struct bpf_insn *in, size_t i,
			  struct skep_log *log)
{
	if (in->dst_reg > 10 || (in->src_reg > 10 && op->form != ISA_FORM_LDDW &&
				 op->match != ISA_MATCH_SRC)) {
		log_printf(log, "insn %zu: register r%u does not exist (r0-r10 only)", i,
			   in->dst_reg > 10 ? in->dst_reg : in->src_reg);
		return -EINVAL;
	}
	if (in->dst_reg == BPF_REG_10 && isa_writes_dst(op)) {
		log_printf(log, "insn %zu: %s writes r10, the read-only frame pointer", i, op->name);
		return -EINVAL;
	}
	if (op->form == ISA_FORM_ATOMIC && (op->mval & BPF_FETCH) && op->mval != BPF_CMPXCHG &&
	    in->src_reg == BPF_REG_10) {
		log_printf(log, "insn %zu: %s fetches into r10, the read-only frame pointer", i,
			   op->name);
		return -EINVAL;
	}
	return 0;
}

/* Control transfers and function pointers carry a slot-relative target. */
static int isa_has_target(const struct isa_op *op, const struct bpf_insn *in)
{
	switch (op->form) {
	case ISA_FORM_JA:
	case ISA_FORM_MAY_GOTO:
	case ISA_FORM_JMP_IMM:
	case ISA_FORM_JMP_REG:
	case ISA_FORM_JA32:
	case ISA_FORM_CALL_LOCAL:
		return 1;
	case ISA_FORM_LDDW:
		return in->src_reg == BPF_PSEUDO_FUNC;
	default:
		return 0;
	}
}

static int64_t isa_raw_target(const struct isa_op *op, const struct bpf_insn *in, size_t i)
{
	int uses_imm = op->form == ISA_FORM_JA32 || op->form == ISA_FORM_CALL_LOCAL ||
		       op->form == ISA_FORM_LDDW;
	return (int64_t)i + 1 + (uses_imm ? in->imm : in->off);
}

static int isa_decode_slot(const struct bpf_insn *raw, size_t len, size_t i, struct isa_insn *out,
			   struct skep_log *log)
{
	const struct bpf_insn *in = &raw[i];
	int row = isa_lookup(in);
	const struct isa_op *op;

	if (row < 0) {
		isa_log_unknown(in, i, log);
		return -EINVAL;
	}
	op = &isa_ops[row];
	/* callx: bpf_conformance and newer LLVM put the register in dst, LLVM 14
	 * in imm. Accept both; the decoded form always has it in dst. */
	struct bpf_insn callx;
	if (op->form == ISA_FORM_CALLX && in->imm && !in->dst_reg) {
		if (in->imm < 0 || in->imm > 10) {
			log_printf(log, "insn %zu: callx register r%d does not exist", i, in->imm);
			return -EINVAL;
		}
		callx = *in;
		callx.dst_reg = (uint8_t)in->imm;
		callx.imm = 0;
		in = &callx;
	}
	if (isa_check_unused(op, in, i, log) || isa_check_regs(op, in, i, log))
		return -EINVAL;
	out->op = (int16_t)row;
	out->dst = in->dst_reg;
	out->src = in->src_reg;
	out->off = in->off;
	out->imm = in->imm;
	out->imm64 = (uint64_t)(int64_t)in->imm;
	out->target = -1;
	if (op->form == ISA_FORM_LDDW) {
		const struct bpf_insn *hi = &raw[i + 1];
		if (i + 1 >= len) {
			log_printf(log, "insn %zu: lddw is missing its second slot", i);
			return -EINVAL;
		}
		if (hi->code || hi->dst_reg || hi->src_reg || hi->off) {
			log_printf(log, "insn %zu: second slot of lddw at insn %zu must have "
					"code, registers and offset 0", i, i + 1);
			return -EINVAL;
		}
		out->imm64 = (uint32_t)in->imm | ((uint64_t)(uint32_t)hi->imm << 32);
	}
	return 0;
}

/* Map each slot to the subprogram it belongs to (index into sorted starts). */
static int isa_check_targets(struct isa_prog *p, struct skep_log *log)
{
	size_t n = p->len;
	uint32_t *sub = calloc(n, sizeof(*sub));
	uint32_t cur = 0;
	int err = 0;

	if (!sub)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i && p->is_func_start[i])
			cur++;
		sub[i] = cur;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct isa_insn *in = &p->insns[i];
		if (in->op < 0 || in->target < 0)
			continue;
		enum isa_form f = isa_ops[in->op].form;
		int is_call = f == ISA_FORM_CALL_LOCAL || f == ISA_FORM_LDDW;
		if (!is_call && sub[in->target] != sub[i]) {
			log_printf(log, "insn %zu: jump to insn %d leaves the subprogram", i,
				   in->target);
			err = -EINVAL;
		}
	}
	/* The last slot of each subprogram must not fall through. */
	for (size_t i = 0; i < n && !err; i++) {
		if (i + 1 < n && !p->is_func_start[i + 1])
			continue;
		const struct isa_insn *last = &p->insns[i];
		enum isa_form f = last->op < 0 ? ISA_FORM_LDDW : (enum isa_form)isa_ops[last->op].form;
		if (f != ISA_FORM_EXIT && f != ISA_FORM_JA && f != ISA_FORM_JA32) {
			log_printf(log, "insn %zu: last instruction of %s is not exit or goto; "
					"execution can fall off the end", i,
				   i + 1 == n ? "the program" : "a subprogram");
			err = -EINVAL;
		}
	}
	free(sub);
	return err;
}

static int isa_resolve_targets(struct isa_prog *p, const struct bpf_insn *raw, struct skep_log *log)
{
	for (size_t i = 0; i < p->len; i++) {
		struct isa_insn *in = &p->insns[i];
		if (in->op < 0)
			continue;
		const struct isa_op *op = &isa_ops[in->op];
		if (!isa_has_target(op, &raw[i]))
			continue;
		int64_t t = isa_raw_target(op, &raw[i], i);
		if (t < 0 || (uint64_t)t >= p->len) {
			log_printf(log, "insn %zu: %s target %lld is outside the program (0..%zu)", i,
				   op->name, (long long)t, p->len - 1);
			return -EINVAL;
		}
		if (p->insns[t].op < 0) {
			log_printf(log, "insn %zu: %s target %lld is the second half of an lddw", i,
				   op->name, (long long)t);
			return -EINVAL;
		}
		in->target = (int32_t)t;
		if (op->form == ISA_FORM_CALL_LOCAL || op->form == ISA_FORM_LDDW)
			p->is_func_start[t] = 1;
	}
	return isa_check_targets(p, log);
}

int isa_decode(const struct bpf_insn *raw, size_t len, struct isa_prog *out, struct skep_log *log)
{
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		log_printf(log, "program is empty");
		return -EINVAL;
	}
	if (len > ISA_MAX_SLOTS) {
		log_printf(log, "program has %zu instructions, more than the limit of %u", len,
			   ISA_MAX_SLOTS);
		return -E2BIG;
	}
	out->len = len;
	out->insns = calloc(len, sizeof(*out->insns));
	out->is_func_start = calloc(len, 1);
	if (!out->insns || !out->is_func_start)
		goto fail;
	out->is_func_start[0] = 1;
	for (size_t i = 0; i < len; i++) {
		err = isa_decode_slot(raw, len, i, &out->insns[i], log);
		if (err)
			goto fail;
		if (isa_ops[out->insns[i].op].form == ISA_FORM_LDDW) {
			i++;
			out->insns[i] = (struct isa_insn){.op = -1, .target = -1};
		}
	}
	err = isa_resolve_targets(out, raw, log);
	if (err)
		goto fail;
	return 0;
fail:
	isa_prog_free(out);
	return err;
}

void isa_prog_free(struct isa_prog *prog)
{
	free(prog->insns);
	free(prog->is_func_start);
	memset(prog, 0, sizeof(*prog));
}
