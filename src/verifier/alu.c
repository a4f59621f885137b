/* ALU instructions: scalar arithmetic goes to bounds.c; this file applies
 * the kernel's rules for pointers.  Only 64-bit add and subtract of a
 * scalar move a pointer (and pointer - pointer gives a scalar); a bounded
 * variable part is kept beside the fixed offset so that later accesses can
 * be checked against it; packet pointers that gain a variable part get a
 * fresh id, since their proven range no longer applies. */
#include <inttypes.h>

#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

static const char *alu_op_name(int op)
{
	static const char *const names[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
					      "neg", "%=", "^=", "=", "s>>=", "end", "?", "?"};
	return names[(op >> 4) & 15];
}

int verifier_check_read(struct verifier_env *env, struct vstate *st, int regno)
{
	const struct vreg *r = &vregs(st)[regno];

	if (r->type == VT_NOT_INIT && r->off > 0)
		return verifier_error(env, "r%d is read after the call at insn %d, which left r1-r5 "
				      "undefined; save what you need in r6-r9 or on the stack",
				      regno, r->off - 1);
	if (r->type == VT_NOT_INIT)
		return verifier_error(env, "r%d is read before it is written (uninitialised)", regno);
	return 0;
}

static int alu_ptr_allowed(struct verifier_env *env, const struct vreg *p, int regno)
{
	if (p->maybe_null)
		return verifier_error(env,
				      "pointer arithmetic on r%d (%s or null) before a null check; "
				      "check it against 0 first",
				      regno, verifier_type_name(p->type));
	switch (p->type) {
	case VT_STACK:
	case VT_MAP_VALUE:
	case VT_PACKET:
	case VT_PACKET_META:
	case VT_MEM:
	case VT_CTX:
		return 0;
	default:
		return verifier_error(env, "pointer arithmetic on r%d (%s) is not allowed", regno,
				      verifier_type_name(p->type));
	}
}

/* ptr +/- scalar.  Constants move the fixed offset; anything else joins
 * the variable part, which must have a bounded minimum (as the kernel). */
static int alu_ptr_scalar(struct verifier_env *env, struct vreg *dst, const struct vreg *ptr,
			  const struct vreg *s, int sub, int regno)
{
	struct vreg p = *ptr;
	int err = alu_ptr_allowed(env, &p, regno);

	if (err)
		return err;
	if (reg_is_const(s)) {
		int64_t c = (int64_t)s->var.value;
		int64_t off = sub ? (int64_t)p.off - c : (int64_t)p.off + c;
		if (c <= -V_MAX_VAR_OFF || c >= V_MAX_VAR_OFF || off <= -V_MAX_VAR_OFF ||
		    off >= V_MAX_VAR_OFF)
			return verifier_error(env, "adding %" PRId64 " makes the %s pointer in r%d "
					      "out of bounds", c, verifier_type_name(p.type), regno);
		p.off = (int32_t)off;
		*dst = p;
		return 0;
	}
	if (s->smin == INT64_MIN || s->smin <= -V_MAX_VAR_OFF)
		return verifier_error(env,
				      "math between %s pointer and a register with unbounded min "
				      "value is not allowed (r%d in [%" PRId64 ", %" PRId64 "]); "
				      "bound it first, e.g. with &=",
				      verifier_type_name(p.type), regno, s->smin, s->smax);
	struct vreg v = p;
	v.type = VT_SCALAR;
	scalar_add_sub(&v, s, sub);
	p.var = v.var;
	p.smin = v.smin, p.smax = v.smax, p.umin = v.umin, p.umax = v.umax;
	p.s32min = v.s32min, p.s32max = v.s32max, p.u32min = v.u32min, p.u32max = v.u32max;
	if (p.smin == INT64_MIN || p.smin <= -V_MAX_VAR_OFF)
		return verifier_error(env, "the %s pointer in r%d would have an unbounded minimum",
				      verifier_type_name(p.type), regno);
	if (p.type == VT_PACKET || p.type == VT_PACKET_META) {
		p.id = ++env->id_gen;
		p.range = 0;
	}
	*dst = p;
	return 0;
}

static int alu_pointer(struct verifier_env *env, struct vstate *st, const struct isa_insn *in,
		       struct vreg *dst, const struct vreg *src, int op, int is64)
{
	int dp = dst->type != VT_SCALAR, sp = src->type != VT_SCALAR;

	if (op == BPF_MOV) {
		if (is64) {
			*dst = *src;
		} else {
			/* A truncated pointer is a number (as the kernel allows root). */
			reg_mark_unknown(dst);
			reg_zext32(dst);
		}
		return 0;
	}
	if (!is64)
		return verifier_error(env, "32-bit pointer arithmetic on r%d is not allowed",
				      dp ? in->dst : in->src);
	if (op != BPF_ADD && op != BPF_SUB)
		return verifier_error(env, "r%d: operator %s on a pointer (%s) is not allowed",
				      dp ? in->dst : in->src, alu_op_name(op),
				      verifier_type_name(dp ? dst->type : src->type));
	if (dp && sp) {
		if (op == BPF_ADD)
			return verifier_error(env, "r%d: pointer += pointer is not allowed", in->dst);
		reg_mark_unknown(dst); /* ptr - ptr: a distance */
		return 0;
	}
	if (sp) {
		if (op == BPF_SUB)
			return verifier_error(env, "r%d: subtracting a pointer from a scalar is not "
					      "allowed", in->dst);
		struct vreg s = *dst;
		return alu_ptr_scalar(env, dst, src, &s, 0, in->src);
	}
	struct vreg s = *src;
	return alu_ptr_scalar(env, dst, dst, &s, op == BPF_SUB, in->dst);
}

static int alu_check_imm(struct verifier_env *env, const struct isa_insn *in, int op, int is64)
{
	int width = is64 ? 64 : 32;

	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (in->imm < 0 || in->imm >= width))
		return verifier_error_inval(env, "invalid shift by %d (must be 0..%d)", in->imm,
					    width - 1);
	if ((op == BPF_DIV || op == BPF_MOD) && in->imm == 0)
		return verifier_error_inval(env, "division by zero (immediate 0)");
	return 0;
}

static int alu_unary(struct verifier_env *env, struct vstate *st, const struct isa_insn *in,
		     const struct isa_op *o)
{
	struct vreg *dst = &vregs(st)[in->dst];
	int err = verifier_check_read(env, st, in->dst);

	if (err)
		return err;
	if (dst->type != VT_SCALAR)
		return verifier_error(env, "r%d: %s on a pointer (%s) is not allowed", in->dst,
				      o->form == ISA_FORM_NEG ? "negation" : "byte swap",
				      verifier_type_name(dst->type));
	if (o->form == ISA_FORM_NEG) {
		struct vreg z;
		reg_mark_const(&z, 0);
		struct vreg d = *dst;
		z.id = 0;
		scalar_alu(&z, &d, BPF_SUB, isa_is_alu64(o->code), 0);
		*dst = z;
	} else {
		int swap = isa_is_alu64(o->code) || (o->code & BPF_TO_BE);
		scalar_end(dst, in->imm, swap, -1);
	}
	dst->id = 0;
	return 0;
}

int verifier_check_alu(struct verifier_env *env, struct vstate *st, const struct isa_insn *in)
{
	const struct isa_op *o = &isa_ops[in->op];
	int op = o->code & 0xf0, is64 = isa_is_alu64(o->code), err;
	struct vreg *regs = vregs(st), src;

	if (o->form == ISA_FORM_NEG || o->form == ISA_FORM_END)
		return alu_unary(env, st, in, o);
	if (o->form == ISA_FORM_ALU_IMM) {
		err = alu_check_imm(env, in, op, is64);
		if (err)
			return err;
		reg_mark_const(&src, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	} else {
		err = verifier_check_read(env, st, in->src);
		if (err)
			return err;
		src = regs[in->src];
	}
	struct vreg *dst = &regs[in->dst];
	if (op != BPF_MOV && (err = verifier_check_read(env, st, in->dst)))
		return err;
	if (op == BPF_MOV && in->off) { /* movsx */
		if (src.type != VT_SCALAR)
			return verifier_error(env, "r%d: sign extension of a pointer (%s) is not "
					      "allowed", in->src, verifier_type_name(src.type));
		scalar_movsx(dst, &src, in->off, is64);
		return 0;
	}
	if (op == BPF_MOV && is64 && src.type == VT_SCALAR && o->form == ISA_FORM_ALU_REG &&
	    !reg_is_const(&src)) {
		/* Link the copy: bounds learned on one hold for the other. */
		if (!regs[in->src].id)
			regs[in->src].id = ++env->id_gen;
		*dst = regs[in->src];
		return 0;
	}
	if (op == BPF_MOV && src.type == VT_SCALAR) {
		src.id = 0;
		reg_mark_unknown(dst);
		scalar_alu(dst, &src, BPF_MOV, is64, 0);
		return 0;
	}
	if (dst->type != VT_SCALAR || src.type != VT_SCALAR)
		return alu_pointer(env, st, in, dst, &src, op, is64);
	scalar_alu(dst, &src, op, is64, in->off == 1);
	dst->id = 0;
	return 0;
}

/* lddw: a constant, a map, a map value's address or a function's. */
int verifier_check_lddw(struct verifier_env *env, struct vstate *st, const struct isa_insn *in)
{
	struct vreg *r = &vregs(st)[in->dst];
	const struct bpf_insn *raw = &env->raw[st->insn];
	uint32_t idx = (uint32_t)raw[0].imm;

	switch (raw->src_reg) {
	case 0:
		reg_mark_const(r, in->imm64);
		return 0;
	case BPF_PSEUDO_FUNC:
		reg_mark_ptr(r, VT_FUNC);
		r->func = in->target;
		return 0;
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		break;
	default:
		return verifier_error_inval(env, "lddw with src %d (BTF ids) is not supported",
					    raw->src_reg);
	}
	if (idx >= env->nr_maps)
		return verifier_error_inval(env, "lddw refers to map %u, but the program has %zu "
					    "map%s", idx, env->nr_maps, env->nr_maps == 1 ? "" : "s");
	reg_mark_ptr(r, VT_MAP_PTR);
	r->map = (uint8_t)idx;
	if (raw->src_reg == BPF_PSEUDO_MAP_FD || raw->src_reg == BPF_PSEUDO_MAP_IDX) {
		r->type = VT_MAP_PTR;
		return 0;
	}
	const struct vmapinfo *m = &env->maps[idx];
	uint32_t off = (uint32_t)raw[1].imm;
	if (m->type != BPF_MAP_TYPE_ARRAY || off >= m->value_size)
		return verifier_error_inval(env, "lddw map value: map %u must be an array and "
					    "offset %u below its value size %u", idx, off,
					    m->value_size);
	r->type = VT_MAP_VALUE;
	r->mem_size = m->value_size;
	r->off = (int32_t)off;
	return 0;
}
