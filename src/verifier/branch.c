/* Conditional jumps.  Both sides of a comparison of scalars are refined:
 * the jump side learns `a OP b`, the fall-through side its negation; a side
 * whose refinement leaves no possible value is never taken (that is how
 * branches on known values are decided).  Pointer comparisons do three
 * things, as in the kernel: a check of an or-null pointer against 0 makes
 * it a pointer on one side and 0 on the other (for every copy, by id);
 * packet + N compared with packet end proves N bytes in bounds (for every
 * packet pointer with the same id); other pointer comparisons refine
 * nothing and both sides are walked. */
#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

#define V_JNSET 0x100 /* "a & b == 0": the false side of JSET */

struct view {
	uint64_t umin, umax, ulim;
	int64_t smin, smax, slo, shi;
	struct tnum t;
};

static void view_get(const struct vreg *r, int is32, struct view *v)
{
	if (is32) {
		*v = (struct view){r->u32min, r->u32max, UINT32_MAX, r->s32min, r->s32max,
				   INT32_MIN, INT32_MAX, tnum_subreg(r->var)};
	} else {
		*v = (struct view){r->umin, r->umax, UINT64_MAX, r->smin, r->smax,
				   INT64_MIN, INT64_MAX, r->var};
	}
}

static int view_put(struct vreg *r, const struct view *v, int is32)
{
	if (v->umin > v->umax || v->smin > v->smax)
		return -1;
	if (is32) {
		r->u32min = (uint32_t)v->umin, r->u32max = (uint32_t)v->umax;
		r->s32min = (int32_t)v->smin, r->s32max = (int32_t)v->smax;
		r->var = tnum_with_subreg(r->var, v->t);
	} else {
		r->umin = v->umin, r->umax = v->umax, r->smin = v->smin, r->smax = v->smax;
		r->var = v->t;
	}
	return reg_bounds_sync(r);
}

static int view_is_const(const struct view *v) { return tnum_is_const(v->t); }

static uint64_t umax_(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t umin_(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t smax_(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t smin_(int64_t a, int64_t b) { return a < b ? a : b; }

static int refine_eq(struct view *a, struct view *b)
{
	int conflict = 0;

	a->umin = b->umin = umax_(a->umin, b->umin);
	a->umax = b->umax = umin_(a->umax, b->umax);
	a->smin = b->smin = smax_(a->smin, b->smin);
	a->smax = b->smax = smin_(a->smax, b->smax);
	a->t = b->t = tnum_intersect(a->t, b->t, &conflict);
	return conflict ? -1 : 0;
}

/* a != c for a constant c: trims c off either end of a's ranges. */
static int refine_ne_const(struct view *a, const struct view *b)
{
	uint64_t c = b->t.value;
	int64_t sc = a->ulim == UINT32_MAX ? (int64_t)(int32_t)(uint32_t)c : (int64_t)c;

	if (view_is_const(a) && a->t.value == c)
		return -1;
	if (a->umin == c && a->umin < a->umax)
		a->umin++;
	else if (a->umax == c && a->umin < a->umax)
		a->umax--;
	if (a->smin == sc && a->smin < a->smax)
		a->smin++;
	else if (a->smax == sc && a->smin < a->smax)
		a->smax--;
	return 0;
}

/* a > b (strict) or a >= b, unsigned. */
static int refine_ugt(struct view *a, struct view *b, int strict)
{
	if (strict && (b->umin == a->ulim || a->umax == 0))
		return -1;
	a->umin = umax_(a->umin, b->umin + (uint64_t)strict);
	b->umax = umin_(b->umax, a->umax - (uint64_t)strict);
	return 0;
}

static int refine_sgt(struct view *a, struct view *b, int strict)
{
	if (strict && (b->smin == a->shi || a->smax == a->slo))
		return -1;
	a->smin = smax_(a->smin, b->smin + strict);
	b->smax = smin_(b->smax, a->smax - strict);
	return 0;
}

static int refine_set(struct view *a, const struct view *b, int set)
{
	if (!view_is_const(b))
		return 0;
	uint64_t c = b->t.value;
	if (set) {
		if (!((a->t.value | a->t.mask) & c))
			return -1;
		if (!(c & (c - 1)))
			a->t = (struct tnum){a->t.value | c, a->t.mask & ~c};
		return 0;
	}
	if (a->t.value & c)
		return -1;
	a->t.mask &= ~c;
	return 0;
}

/* Learn `a OP b` in one width; -1 when it cannot hold. */
static int refine_views(struct view *a, struct view *b, int op)
{
	switch (op) {
	case BPF_JEQ:
		return refine_eq(a, b);
	case BPF_JNE:
		if (view_is_const(b))
			return refine_ne_const(a, b);
		if (view_is_const(a))
			return refine_ne_const(b, a);
		return 0;
	case BPF_JSET:
		return refine_set(a, b, 1);
	case V_JNSET:
		return refine_set(a, b, 0);
	case BPF_JGT:
		return refine_ugt(a, b, 1);
	case BPF_JGE:
		return refine_ugt(a, b, 0);
	case BPF_JLT:
		return refine_ugt(b, a, 1);
	case BPF_JLE:
		return refine_ugt(b, a, 0);
	case BPF_JSGT:
		return refine_sgt(a, b, 1);
	case BPF_JSGE:
		return refine_sgt(a, b, 0);
	case BPF_JSLT:
		return refine_sgt(b, a, 1);
	case BPF_JSLE:
		return refine_sgt(b, a, 0);
	}
	return 0;
}

static int cond_negate(int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JSET: return V_JNSET;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	}
	return op;
}

struct link_arg {
	const struct vreg *r;
};

static void link_copy(struct vreg *r, void *arg)
{
	const struct vreg *src = ((struct link_arg *)arg)->r;

	if (r->type == VT_SCALAR && r->id == src->id)
		*r = *src;
}

void verifier_sync_linked(struct vstate *st, const struct vreg *r)
{
	struct link_arg a = {r};

	if (r->type == VT_SCALAR && r->id)
		vstate_for_each_reg(st, link_copy, &a);
}

/* The operands of one side refined: -1 if the side is impossible. */
static int cond_compute(const struct vreg *a0, const struct vreg *b0, int op, int is32,
			struct vreg *a, struct vreg *b)
{
	struct view va, vb;

	*a = *a0, *b = *b0;
	view_get(a, is32, &va);
	view_get(b, is32, &vb);
	if (refine_views(&va, &vb, op) || view_put(a, &va, is32) || view_put(b, &vb, is32))
		return -1;
	return 0;
}

static void cond_apply(struct vstate *st, const struct isa_insn *in, const struct vreg *a,
		       const struct vreg *b, int src_reg)
{
	struct vreg *regs = vregs(st);

	regs[in->dst] = *a;
	verifier_sync_linked(st, a);
	if (src_reg) {
		regs[in->src] = *b;
		verifier_sync_linked(st, b);
	}
}

struct null_arg {
	uint32_t id;
	int is_null;
};

static void null_mark(struct vreg *r, void *arg)
{
	struct null_arg *a = arg;

	if (!r->maybe_null || r->id != a->id)
		return;
	if (a->is_null) {
		reg_mark_const(r, 0);
		return;
	}
	r->maybe_null = 0;
}

static void cond_mark_null(struct vstate *st, uint32_t id, uint32_t ref_id, int is_null)
{
	struct null_arg a = {id, is_null};

	vstate_for_each_reg(st, null_mark, &a);
	if (!is_null || !ref_id)
		return;
	/* A reservation that failed holds nothing to release. */
	for (int i = 0; i < st->nrefs; i++)
		if (st->refs[i].id == ref_id) {
			st->refs[i] = st->refs[--st->nrefs];
			break;
		}
}

struct pkt_arg {
	int type;
	uint32_t id;
	int32_t range;
};

static void pkt_mark(struct vreg *r, void *arg)
{
	struct pkt_arg *a = arg;

	if (r->type == a->type && r->id == a->id && r->range < a->range)
		r->range = a->range;
}

/* p <= end holds in st (strict: p < end): the bytes below p's offset (and
 * one more when strict) are in the packet, for every pointer of p's id. */
static void cond_pkt_good(struct vstate *st, const struct vreg *p, int strict)
{
	if (p->off < 0)
		return;
	if (p->umax > V_MAX_PACKET_OFF || p->umax + (uint64_t)p->off > V_MAX_PACKET_OFF)
		return;
	struct pkt_arg a = {p->type, p->id, p->off + strict};
	vstate_for_each_reg(st, pkt_mark, &a);
}

/* p against the packet end, or metadata against the packet start itself
 * (data + k would not bound the metadata). */
static int is_pkt_pair(const struct vreg *a, const struct vreg *b)
{
	if (a->type == VT_PACKET && b->type == VT_PACKET_END)
		return 1;
	return a->type == VT_PACKET_META && b->type == VT_PACKET && b->off == 0 &&
	       tnum_is_const(b->var) && b->var.value == 0;
}

/* The packet comparisons the kernel learns from (try_match_pkt_pointers). */
static void cond_pkt(struct vstate *fall, struct vstate *jump, const struct vreg *a,
		     const struct vreg *b, int op)
{
	if (is_pkt_pair(a, b)) {
		switch (op) {
		case BPF_JGT: cond_pkt_good(fall, a, 0); break;
		case BPF_JLT: cond_pkt_good(jump, a, 1); break;
		case BPF_JGE: cond_pkt_good(fall, a, 1); break;
		case BPF_JLE: cond_pkt_good(jump, a, 0); break;
		}
	} else if (is_pkt_pair(b, a)) {
		switch (op) {
		case BPF_JGT: cond_pkt_good(jump, b, 1); break;
		case BPF_JLT: cond_pkt_good(fall, b, 0); break;
		case BPF_JGE: cond_pkt_good(jump, b, 0); break;
		case BPF_JLE: cond_pkt_good(fall, b, 1); break;
		}
	}
}

static int reg_never_null(const struct vreg *r)
{
	return !r->maybe_null && (r->type == VT_MAP_VALUE || r->type == VT_MEM);
}

static int cond_pointers(struct verifier_env *env, struct vstate *st, struct vstate *other,
			 const struct vreg *a, const struct vreg *b, int op, int is32, int *fall,
			 int *jump)
{
	int b_zero = reg_is_const(b) && b->var.value == 0;

	if (is32 || (op != BPF_JEQ && op != BPF_JNE) || !b_zero || a->type == VT_SCALAR) {
		if (!is32)
			cond_pkt(st, other, a, b, op);
		return 0;
	}
	if (a->maybe_null) {
		cond_mark_null(other, a->id, a->ref_id, op == BPF_JEQ);
		cond_mark_null(st, a->id, a->ref_id, op != BPF_JEQ);
		return 0;
	}
	if (reg_never_null(a)) {
		*fall = op == BPF_JEQ;
		*jump = op == BPF_JNE;
	}
	(void)env;
	return 0;
}

int verifier_check_cond(struct verifier_env *env, struct vstate *st, const struct isa_insn *in,
			struct vstate *other, int *fall, int *jump)
{
	const struct isa_op *o = &isa_ops[in->op];
	int op = o->code & 0xf0, is32 = isa_is_jmp32(o->code), err;
	struct vreg imm, *regs = vregs(st);
	const struct vreg *b = &imm;

	if ((err = verifier_check_read(env, st, in->dst)))
		return err;
	if (o->form == ISA_FORM_JMP_REG) {
		if ((err = verifier_check_read(env, st, in->src)))
			return err;
		b = &regs[in->src];
	} else {
		reg_mark_const(&imm, is32 ? (uint64_t)(uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
	}
	*fall = *jump = 1;
	const struct vreg *a = &regs[in->dst];
	if (a->type != VT_SCALAR || b->type != VT_SCALAR) {
		if ((err = vstate_copy(other, st)))
			return err;
		struct vreg ac = *a, bc = *b;
		if (ac.type == VT_SCALAR && bc.type != VT_SCALAR) /* 0 == ptr */
			err = cond_pointers(env, st, other, &bc, &ac, op, is32, fall, jump);
		else
			err = cond_pointers(env, st, other, &ac, &bc, op, is32, fall, jump);
		if (err || !*jump)
			vstate_free(other);
		return err;
	}
	struct vreg ja, jb, fa, fb;
	int src_reg = o->form == ISA_FORM_JMP_REG;
	*jump = !cond_compute(a, b, op, is32, &ja, &jb);
	*fall = !cond_compute(a, b, cond_negate(op), is32, &fa, &fb);
	if (*jump && (err = vstate_copy(other, st)))
		return err;
	if (*jump)
		cond_apply(other, in, &ja, &jb, src_reg);
	if (*fall)
		cond_apply(st, in, &fa, &fb, src_reg);
	return 0;
}
