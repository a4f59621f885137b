/* Scalar values: known bits (tnum) plus signed and unsigned ranges in 64 and
 * 32 bits.  Every operation computes each view as tightly as it can cheaply,
 * then reg_bounds_sync() lets the views tighten each other (a range that
 * does not cross the sign boundary is both a signed and an unsigned range;
 * known upper bits tie the 32-bit and 64-bit views together). */
#include <limits.h>

#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

static void reg_ranges_unbounded(struct vreg *r)
{
	r->smin = INT64_MIN, r->smax = INT64_MAX;
	r->umin = 0, r->umax = UINT64_MAX;
	r->s32min = INT32_MIN, r->s32max = INT32_MAX;
	r->u32min = 0, r->u32max = UINT32_MAX;
}

void reg_var_unbounded(struct vreg *r)
{
	reg_ranges_unbounded(r);
	reg_bounds_sync(r);
}

void reg_mark_not_init(struct vreg *r)
{
	*r = (struct vreg){.type = VT_NOT_INIT};
	r->var = tnum_unknown();
	reg_ranges_unbounded(r);
}

void reg_mark_unknown(struct vreg *r)
{
	reg_mark_not_init(r);
	r->type = VT_SCALAR;
}

void reg_mark_const(struct vreg *r, uint64_t v)
{
	*r = (struct vreg){.type = VT_SCALAR};
	r->var = tnum_const(v);
	r->umin = r->umax = v;
	r->smin = r->smax = (int64_t)v;
	r->u32min = r->u32max = (uint32_t)v;
	r->s32min = r->s32max = (int32_t)(uint32_t)v;
}

void reg_mark_ptr(struct vreg *r, int type)
{
	reg_mark_const(r, 0);
	r->type = (uint8_t)type;
}

int reg_is_const(const struct vreg *r)
{
	return r->type == VT_SCALAR && tnum_is_const(r->var);
}

static uint64_t umax64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t umin64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t smax64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t smin64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Ranges from known bits: the sign bit unknown gives the most negative. */
static void bounds_from_tnum(struct vreg *r)
{
	struct tnum t = r->var, s = tnum_subreg(t);
	uint64_t sign = 1ull << 63;
	uint32_t sign32 = 1u << 31;

	r->umin = umax64(r->umin, t.value);
	r->umax = umin64(r->umax, t.value | t.mask);
	r->smin = smax64(r->smin, (int64_t)(t.value | (t.mask & sign)));
	r->smax = smin64(r->smax, (int64_t)(t.value | (t.mask & ~sign)));
	if ((uint32_t)s.value > r->u32min)
		r->u32min = (uint32_t)s.value;
	if ((uint32_t)(s.value | s.mask) < r->u32max)
		r->u32max = (uint32_t)(s.value | s.mask);
	int32_t lo = (int32_t)(uint32_t)(s.value | (s.mask & sign32));
	int32_t hi = (int32_t)(uint32_t)(s.value | (s.mask & ~sign32));
	if (lo > r->s32min)
		r->s32min = lo;
	if (hi < r->s32max)
		r->s32max = hi;
}

/* Signed and unsigned views of one width tighten each other when the range
 * stays on one side of the sign boundary. */
static void bounds_deduce64(struct vreg *r)
{
	if ((r->umin >> 63) == (r->umax >> 63)) {
		r->smin = smax64(r->smin, (int64_t)r->umin);
		r->smax = smin64(r->smax, (int64_t)r->umax);
	}
	if ((r->smin < 0) == (r->smax < 0)) {
		r->umin = umax64(r->umin, (uint64_t)r->smin);
		r->umax = umin64(r->umax, (uint64_t)r->smax);
	}
}

static void bounds_deduce32(struct vreg *r)
{
	if ((r->u32min >> 31) == (r->u32max >> 31)) {
		if ((int32_t)r->u32min > r->s32min)
			r->s32min = (int32_t)r->u32min;
		if ((int32_t)r->u32max < r->s32max)
			r->s32max = (int32_t)r->u32max;
	}
	if ((r->s32min < 0) == (r->s32max < 0)) {
		if ((uint32_t)r->s32min > r->u32min)
			r->u32min = (uint32_t)r->s32min;
		if ((uint32_t)r->s32max < r->u32max)
			r->u32max = (uint32_t)r->s32max;
	}
}

/* When the upper 32 bits are the same for every value, the low halves of
 * the 64-bit bounds are 32-bit bounds, and the 32-bit bounds tighten them. */
static void bounds_cross(struct vreg *r)
{
	if ((r->umin >> 32) == (r->umax >> 32)) {
		uint64_t hi = r->umin & ~0xffffffffull;
		if ((uint32_t)r->umin > r->u32min)
			r->u32min = (uint32_t)r->umin;
		if ((uint32_t)r->umax < r->u32max)
			r->u32max = (uint32_t)r->umax;
		r->umin = umax64(r->umin, hi | r->u32min);
		r->umax = umin64(r->umax, hi | r->u32max);
	}
	if ((r->smin >> 32) == (r->smax >> 32)) {
		uint64_t hi = (uint64_t)r->smin & ~0xffffffffull;
		if ((uint32_t)r->smin > r->u32min)
			r->u32min = (uint32_t)r->smin;
		if ((uint32_t)r->smax < r->u32max)
			r->u32max = (uint32_t)r->smax;
		r->smin = smax64(r->smin, (int64_t)(hi | r->u32min));
		r->smax = smin64(r->smax, (int64_t)(hi | r->u32max));
	}
	/* A 64-bit range inside one 32-bit signed range. */
	if (r->smin >= INT32_MIN && r->smax <= INT32_MAX) {
		if (r->smin > r->s32min)
			r->s32min = (int32_t)r->smin;
		if (r->smax < r->s32max)
			r->s32max = (int32_t)r->smax;
	}
}

static int bounds_empty(const struct vreg *r)
{
	return r->smin > r->smax || r->umin > r->umax || r->s32min > r->s32max ||
	       r->u32min > r->u32max;
}

int reg_bounds_sync(struct vreg *r)
{
	int conflict = 0;

	for (int pass = 0; pass < 3; pass++) {
		struct vreg before = *r;
		bounds_from_tnum(r);
		bounds_deduce32(r);
		bounds_deduce64(r);
		bounds_cross(r);
		bounds_deduce32(r);
		bounds_deduce64(r);
		if (bounds_empty(r))
			return -1;
		r->var = tnum_intersect(r->var, tnum_range(r->umin, r->umax), &conflict);
		struct tnum low = tnum_intersect(tnum_subreg(r->var),
						 tnum_range(r->u32min, r->u32max), &conflict);
		r->var = tnum_with_subreg(r->var, low);
		if (conflict)
			return -1;
		if (before.umin == r->umin && before.umax == r->umax && before.smin == r->smin &&
		    before.smax == r->smax && before.u32min == r->u32min &&
		    before.u32max == r->u32max && before.s32min == r->s32min &&
		    before.s32max == r->s32max && tnum_equal(before.var, r->var))
			break;
	}
	return 0;
}

/* The 32-bit view as a whole zero-extended 64-bit value. */
void reg_zext32(struct vreg *r)
{
	uint32_t lo = r->u32min, hi = r->u32max;

	r->var = tnum_subreg(r->var);
	r->umin = lo, r->umax = hi;
	r->smin = lo, r->smax = hi;
	reg_bounds_sync(r);
}

/* A 64-bit result truncated to its low 32 bits and zero-extended.  Every
 * operation keeps its 32-bit view valid for the low half of its result. */
static void reg_trunc32(struct vreg *r)
{
	r->var = tnum_subreg(r->var);
	r->umin = 0, r->umax = UINT32_MAX, r->smin = 0, r->smax = UINT32_MAX;
	if (reg_bounds_sync(r))
		reg_mark_unknown(r);
	reg_zext32(r);
}

static void add_ranges(struct vreg *d, const struct vreg *s, int sub)
{
	int64_t a, b;
	int32_t a32, b32;

	if (!sub) {
		if (__builtin_add_overflow(d->smin, s->smin, &a) ||
		    __builtin_add_overflow(d->smax, s->smax, &b))
			a = INT64_MIN, b = INT64_MAX;
		uint64_t ulo = d->umin + s->umin, uhi = d->umax + s->umax;
		if (uhi < d->umax || ulo < d->umin || (d->umax > 0 && uhi < s->umax))
			ulo = 0, uhi = UINT64_MAX;
		if (__builtin_add_overflow(d->s32min, s->s32min, &a32) ||
		    __builtin_add_overflow(d->s32max, s->s32max, &b32))
			a32 = INT32_MIN, b32 = INT32_MAX;
		uint32_t u32lo = d->u32min + s->u32min, u32hi = d->u32max + s->u32max;
		if ((uint64_t)d->u32max + s->u32max > UINT32_MAX)
			u32lo = 0, u32hi = UINT32_MAX;
		d->umin = ulo, d->umax = uhi, d->u32min = u32lo, d->u32max = u32hi;
	} else {
		if (__builtin_sub_overflow(d->smin, s->smax, &a) ||
		    __builtin_sub_overflow(d->smax, s->smin, &b))
			a = INT64_MIN, b = INT64_MAX;
		if (d->umin < s->umax)
			d->umin = 0, d->umax = UINT64_MAX;
		else
			d->umin -= s->umax, d->umax -= s->umin;
		if (__builtin_sub_overflow(d->s32min, s->s32max, &a32) ||
		    __builtin_sub_overflow(d->s32max, s->s32min, &b32))
			a32 = INT32_MIN, b32 = INT32_MAX;
		if (d->u32min < s->u32max)
			d->u32min = 0, d->u32max = UINT32_MAX;
		else
			d->u32min -= s->u32max, d->u32max -= s->u32min;
	}
	d->smin = a, d->smax = b, d->s32min = a32, d->s32max = b32;
}

void scalar_add_sub(struct vreg *dst, const struct vreg *src, int sub)
{
	dst->var = sub ? tnum_sub(dst->var, src->var) : tnum_add(dst->var, src->var);
	add_ranges(dst, src, sub);
	if (reg_bounds_sync(dst))
		reg_var_unbounded(dst);
}

/* Operations whose result is best described by known bits plus a simple
 * unsigned bound; ranges are recomputed from scratch. */
static void scalar_bitwise(struct vreg *d, const struct vreg *s, int op)
{
	uint64_t umin = 0, umax = UINT64_MAX;

	switch (op) {
	case BPF_AND:
		d->var = tnum_and(d->var, s->var);
		umax = umin64(d->umax, s->umax);
		if (d->smin >= 0 || s->smin >= 0)
			umax = umin64(umax, umax64(d->smin >= 0 ? (uint64_t)d->smax : 0,
						   s->smin >= 0 ? (uint64_t)s->smax : 0));
		break;
	case BPF_OR:
		d->var = tnum_or(d->var, s->var);
		umin = umax64(d->umin, s->umin);
		break;
	case BPF_XOR:
		d->var = tnum_xor(d->var, s->var);
		break;
	}
	reg_ranges_unbounded(d);
	d->umin = umin, d->umax = umax;
	if (reg_bounds_sync(d))
		reg_var_unbounded(d);
}

static void scalar_mul(struct vreg *d, const struct vreg *s)
{
	uint64_t lo = d->umin * s->umin, hi;
	int over = __builtin_mul_overflow(d->umax, s->umax, &hi);

	d->var = tnum_mul(d->var, s->var);
	reg_ranges_unbounded(d);
	if (!over)
		d->umin = lo, d->umax = hi;
	if (reg_bounds_sync(d))
		reg_var_unbounded(d);
}

static void scalar_shift(struct vreg *d, const struct vreg *s, int op, unsigned width)
{
	if (!tnum_is_const(s->var) || s->var.value >= width) {
		reg_mark_unknown(d);
		return;
	}
	unsigned k = (unsigned)s->var.value;
	uint64_t umin = d->umin, umax = d->umax;
	int64_t smin = d->smin, smax = d->smax;

	reg_ranges_unbounded(d);
	if (op == BPF_LSH) {
		d->var = tnum_lshift(d->var, k);
		if (k < 64 && (umax << k) >> k == umax)
			d->umin = umin << k, d->umax = umax << k;
	} else if (op == BPF_RSH) {
		d->var = tnum_rshift(d->var, k);
		d->umin = umin >> k, d->umax = umax >> k;
	} else {
		d->var = tnum_arshift(d->var, k, 64);
		d->smin = smin >> k, d->smax = smax >> k;
	}
	if (reg_bounds_sync(d))
		reg_var_unbounded(d);
}

/* 64-bit semantics on whatever the operands hold. */
static void scalar_alu64(struct vreg *d, const struct vreg *s, int op, int sdiv)
{
	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
		scalar_add_sub(d, s, op == BPF_SUB);
		break;
	case BPF_MUL:
		scalar_mul(d, s);
		break;
	case BPF_AND:
	case BPF_OR:
	case BPF_XOR:
		scalar_bitwise(d, s, op);
		break;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		scalar_shift(d, s, op, 64);
		break;
	case BPF_DIV:
	case BPF_MOD:
		/* Not reached: scalar_alu() gives up on division (kernel-like). */
		reg_mark_unknown(d);
		break;
	case BPF_MOV:
		*d = *s;
		d->id = 0;
		break;
	case BPF_NEG:
		if (reg_is_const(d))
			reg_mark_const(d, -d->var.value);
		else
			reg_mark_unknown(d);
		break;
	default:
		reg_mark_unknown(d);
	}
}

/* A 32-bit ARSH sees bit 31 as the sign. */
static void scalar_arsh32(struct vreg *d, const struct vreg *s)
{
	if (!tnum_is_const(s->var) || s->var.value >= 32) {
		reg_mark_unknown(d);
		reg_zext32(d);
		return;
	}
	unsigned k = (unsigned)s->var.value;
	int32_t lo = d->s32min >> k, hi = d->s32max >> k;
	struct tnum t = tnum_arshift(tnum_subreg(d->var), k, 32);

	reg_mark_unknown(d);
	d->var = t;
	d->s32min = lo, d->s32max = hi;
	if (reg_bounds_sync(d))
		reg_mark_unknown(d);
	reg_zext32(d);
}

/* What the kernel (6.18) computes no range for: division and remainder,
 * and shifts by anything but a constant below the width.  The result is
 * a full 64-bit unknown even for 32-bit ops, as there: what the kernel
 * rejects for safety, skep must reject too, so it is no more precise. */
static int scalar_untracked(const struct vreg *src, int op, int is64)
{
	if (op == BPF_DIV || op == BPF_MOD)
		return 1;
	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) {
		struct tnum t = is64 ? src->var : tnum_subreg(src->var);
		return !tnum_is_const(t) || t.value >= (is64 ? 64u : 32u);
	}
	return 0;
}

void scalar_alu(struct vreg *dst, const struct vreg *src, int op, int is64, int sdiv)
{
	(void)sdiv;
	if (scalar_untracked(src, op, is64)) {
		reg_mark_unknown(dst);
		return;
	}
	if (is64) {
		scalar_alu64(dst, src, op, sdiv);
		return;
	}
	if (op == BPF_ADD || op == BPF_SUB) {
		/* The 32-bit bounds of an add are those of the low halves. */
		scalar_add_sub(dst, src, op == BPF_SUB);
		struct tnum t = tnum_subreg(dst->var);
		uint32_t ulo = dst->u32min, uhi = dst->u32max;
		int32_t slo = dst->s32min, shi = dst->s32max;
		reg_mark_unknown(dst);
		dst->var = t;
		dst->u32min = ulo, dst->u32max = uhi, dst->s32min = slo, dst->s32max = shi;
		if (reg_bounds_sync(dst))
			reg_mark_unknown(dst);
		reg_zext32(dst);
		return;
	}
	if (op == BPF_ARSH) {
		scalar_arsh32(dst, src);
		return;
	}
	struct vreg s = *src;
	reg_zext32(dst);
	reg_zext32(&s);
	if (sdiv && (op == BPF_DIV || op == BPF_MOD)) {
		reg_mark_unknown(dst);
		reg_zext32(dst);
		return;
	}
	if (op == BPF_LSH || op == BPF_RSH) {
		if (!tnum_is_const(s.var) || s.var.value >= 32) {
			reg_mark_unknown(dst);
			reg_zext32(dst);
			return;
		}
	}
	scalar_alu64(dst, &s, op, 0);
	reg_trunc32(dst);
}

void scalar_movsx(struct vreg *dst, const struct vreg *src, int bits, int is64)
{
	int64_t lo = -(1ll << (bits - 1)), hi = (1ll << (bits - 1)) - 1;
	int fits = src->smin >= lo && src->smax <= hi;
	struct vreg r = *src;

	reg_mark_unknown(dst);
	dst->var = tnum_sext(r.var, (unsigned)bits);
	if (fits)
		dst->smin = r.smin, dst->smax = r.smax;
	else
		dst->smin = lo, dst->smax = hi;
	if (reg_bounds_sync(dst))
		reg_mark_unknown(dst);
	if (!is64)
		reg_trunc32(dst);
}

static uint64_t bswap_n(uint64_t v, int bits)
{
	if (bits == 16)
		return __builtin_bswap16((uint16_t)v);
	if (bits == 32)
		return __builtin_bswap32((uint32_t)v);
	return __builtin_bswap64(v);
}

/* le/be/bswap: truncation to `bits` (a no-op swap on this little-endian
 * host for le) or a byte swap. */
void scalar_end(struct vreg *dst, int bits, int swap, int is64)
{
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;

	if (is64 < 0) { /* a byte-order instruction: untracked, as in the kernel */
		reg_mark_unknown(dst);
		return;
	}
	if (reg_is_const(dst)) {
		uint64_t v = dst->var.value & mask;
		reg_mark_const(dst, swap ? bswap_n(v, bits) : v);
		return;
	}
	if (!swap) {
		struct vreg m;
		reg_mark_const(&m, mask);
		scalar_bitwise(dst, &m, BPF_AND);
		return;
	}
	reg_mark_unknown(dst);
	dst->umax = mask;
	reg_bounds_sync(dst);
	(void)is64;
}

void scalar_loaded(struct vreg *r, int size, int sext)
{
	reg_mark_unknown(r);
	if (size == 8)
		return;
	if (sext) {
		r->smin = -(1ll << (size * 8 - 1));
		r->smax = (1ll << (size * 8 - 1)) - 1;
	} else {
		r->umax = (1ull << (size * 8)) - 1;
	}
	reg_bounds_sync(r);
}
