/* Register and stack state: frames, copying, and the comparison that
 * pruning rests on.  An old state covers a new one when everything the
 * walk from the old state relied on also holds in the new one: an
 * unwritten register or stack byte in the old state was never read from
 * there, so anything goes; scalars must lie within the old ranges and known
 * bits; pointers must be the same kind with the same offset and at least
 * the same proven packet range; ids that link registers (null checks,
 * packet ranges, copies of a scalar) must link the same registers. */
#include <stdlib.h>
#include <string.h>

#include "verifier/verifier.h"

struct vframe *vframe_new(int32_t func, int32_t callsite)
{
	struct vframe *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	for (int r = 0; r < V_NR_REGS; r++)
		reg_mark_not_init(&f->regs[r]);
	reg_mark_ptr(&f->regs[10], VT_STACK);
	f->func = func;
	f->callsite = callsite;
	f->cb_helper = -1;
	return f;
}

static struct vframe *vframe_dup(const struct vframe *src)
{
	struct vframe *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	*f = *src;
	f->slots = NULL;
	if (src->nslots) {
		f->slots = malloc((size_t)src->nslots * sizeof(*f->slots));
		if (!f->slots) {
			free(f);
			return NULL;
		}
		memcpy(f->slots, src->slots, (size_t)src->nslots * sizeof(*f->slots));
	}
	return f;
}

void vstate_free(struct vstate *st)
{
	for (int i = 0; i < V_MAX_FRAMES; i++) {
		if (!st->frames[i])
			continue;
		free(st->frames[i]->slots);
		free(st->frames[i]);
		st->frames[i] = NULL;
	}
}

int vstate_copy(struct vstate *dst, const struct vstate *src)
{
	*dst = *src;
	memset(dst->frames, 0, sizeof(dst->frames));
	for (int i = 0; i <= src->curframe; i++) {
		dst->frames[i] = vframe_dup(src->frames[i]);
		if (!dst->frames[i]) {
			vstate_free(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

void vstate_for_each_reg(struct vstate *st, void (*fn)(struct vreg *r, void *arg), void *arg)
{
	for (int i = 0; i <= st->curframe; i++) {
		struct vframe *f = st->frames[i];
		for (int r = 0; r < V_NR_REGS; r++)
			fn(&f->regs[r], arg);
		for (int s = 0; s < f->nslots; s++)
			if (memchr(f->slots[s].kind, SLOT_SPILL, 8))
				fn(&f->slots[s].spill, arg);
	}
}

/* ---- ids ---- */

struct id_count {
	uint32_t ids[256];
	uint8_t counts[256];
	int n;
};

static void id_count_one(struct vreg *r, void *arg)
{
	struct id_count *c = arg;

	if (r->type != VT_SCALAR || !r->id)
		return;
	for (int i = 0; i < c->n; i++)
		if (c->ids[i] == r->id) {
			if (c->counts[i] < 2)
				c->counts[i]++;
			return;
		}
	if (c->n < 256) {
		c->ids[c->n] = r->id;
		c->counts[c->n++] = 1;
	} else {
		r->id = 0; /* too many to track: drop the link (loses precision only) */
	}
}

static void id_clear_one(struct vreg *r, void *arg)
{
	struct id_count *c = arg;

	if (r->type != VT_SCALAR || !r->id)
		return;
	for (int i = 0; i < c->n; i++)
		if (c->ids[i] == r->id && c->counts[i] == 1)
			r->id = 0;
}

void vstate_clear_single_ids(struct vstate *st)
{
	struct id_count c;

	c.n = 0;
	vstate_for_each_reg(st, id_count_one, &c);
	vstate_for_each_reg(st, id_clear_one, &c);
}

/* A consistent one-to-one mapping of old ids to new ones. */
struct idmap {
	uint32_t old[64], cur[64];
	int n;
};

static int idmap_check(struct idmap *m, uint32_t old, uint32_t cur)
{
	if (!old)
		return 1;
	if (!cur)
		return 0;
	for (int i = 0; i < m->n; i++) {
		if (m->old[i] == old)
			return m->cur[i] == cur;
		if (m->cur[i] == cur)
			return 0;
	}
	if (m->n == 64)
		return 0;
	m->old[m->n] = old;
	m->cur[m->n++] = cur;
	return 1;
}

/* ---- comparison ---- */

static int range_within(const struct vreg *o, const struct vreg *c)
{
	return o->umin <= c->umin && c->umax <= o->umax && o->smin <= c->smin &&
	       c->smax <= o->smax && o->u32min <= c->u32min && c->u32max <= o->u32max &&
	       o->s32min <= c->s32min && c->s32max <= o->s32max && tnum_contains(o->var, c->var);
}

static int range_equal(const struct vreg *o, const struct vreg *c)
{
	return o->umin == c->umin && c->umax == o->umax && o->smin == c->smin &&
	       c->smax == o->smax && o->u32min == c->u32min && c->u32max == o->u32max &&
	       o->s32min == c->s32min && c->s32max == o->s32max && tnum_equal(o->var, c->var);
}

static int reg_covers(const struct vreg *o, const struct vreg *c, int exact, struct idmap *m)
{
	if (o->type == VT_NOT_INIT)
		return !exact || c->type == VT_NOT_INIT;
	if (o->type != c->type)
		return 0;
	int vars = exact ? range_equal(o, c) : range_within(o, c);
	if (o->type == VT_SCALAR)
		return vars && idmap_check(m, o->id, c->id);
	if (o->maybe_null != c->maybe_null || o->off != c->off || o->map != c->map ||
	    o->rdonly != c->rdonly ||
	    o->mem_size != c->mem_size || o->frameno != c->frameno || o->func != c->func)
		return 0;
	if (!idmap_check(m, o->ref_id, c->ref_id))
		return 0;
	/* Copies of an or-null pointer share an id: the check of one clears all. */
	if (o->maybe_null && !idmap_check(m, o->id, c->id))
		return 0;
	switch (o->type) {
	case VT_PACKET:
	case VT_PACKET_META:
		if (exact ? o->range != c->range : o->range > c->range)
			return 0;
		return range_equal(o, c) && idmap_check(m, o->id, c->id);
	case VT_MAP_VALUE:
	case VT_MEM:
		return vars;
	default:
		return range_equal(o, c);
	}
}

static int slot_covers(const struct vslot *o, const struct vslot *c, int exact,
		       struct idmap *m)
{
	static const struct vslot empty;

	if (!c)
		c = &empty;
	int ospill = memchr(o->kind, SLOT_SPILL, 8) != NULL;
	int cspill = memchr(c->kind, SLOT_SPILL, 8) != NULL;
	if (ospill) {
		if (!cspill || o->spill_off != c->spill_off || o->spill_size != c->spill_size ||
		    !reg_covers(&o->spill, &c->spill, exact, m))
			return 0;
	} else if (exact && cspill) {
		return 0;
	}
	for (int b = 0; b < 8; b++) {
		int ok = o->kind[b], ck = c->kind[b];
		if (ok == SLOT_INVALID) {
			if (exact && ck != SLOT_INVALID)
				return 0;
			continue;
		}
		if (ok == SLOT_SPILL)
			continue; /* compared above */
		if (exact && ck != ok)
			return 0;
		if (ck == SLOT_INVALID)
			return 0;
		if (ok == SLOT_ZERO && ck != SLOT_ZERO)
			return 0;
		if (ck == SLOT_SPILL && ok == SLOT_MISC && c->spill.type == VT_SCALAR)
			continue;
		/* MISC reads as an unknown scalar: a spilled pointer would not. */
		if (ck == SLOT_SPILL && c->spill.type != VT_SCALAR)
			return 0;
	}
	return 1;
}

static int frame_covers(const struct vframe *o, const struct vframe *c, int exact,
			struct idmap *m)
{
	if (o->callsite != c->callsite || o->func != c->func || o->cb_helper != c->cb_helper)
		return 0;
	for (int r = 0; r < V_NR_REGS; r++)
		if (!reg_covers(&o->regs[r], &c->regs[r], exact, m))
			return 0;
	int n = o->nslots > c->nslots ? o->nslots : c->nslots;
	for (int s = 0; s < n; s++) {
		static const struct vslot empty;
		const struct vslot *os = s < o->nslots ? &o->slots[s] : &empty;
		const struct vslot *cs = s < c->nslots ? &c->slots[s] : NULL;
		if (!slot_covers(os, cs, exact, m))
			return 0;
	}
	return 1;
}

int vstate_covers(const struct vstate *old, const struct vstate *cur, int exact)
{
	struct idmap m;

	m.n = 0;
	if (old->curframe != cur->curframe || old->nrefs != cur->nrefs ||
	    old->cb_entry != cur->cb_entry ||
	    !old->lock_insn != !cur->lock_insn)
		return 0;
	for (int i = 0; i < old->nrefs; i++)
		if (!idmap_check(&m, old->refs[i].id, cur->refs[i].id))
			return 0;
	for (int i = 0; i <= old->curframe; i++)
		if (!frame_covers(old->frames[i], cur->frames[i], exact, &m))
			return 0;
	return 1;
}

/* ---- a hash of what exact comparison looks at (ids excluded: they only
 * need to map one to one), so that exact matches are found quickly ---- */

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_reg(uint64_t h, const struct vreg *r)
{
	h = hash_mix(h, r->type);
	if (r->type == VT_NOT_INIT)
		return h;
	h = hash_mix(h, r->var.value ^ (r->var.mask << 1));
	h = hash_mix(h, r->umin ^ (r->umax << 3) ^ (uint64_t)r->smin ^ ((uint64_t)r->smax << 5));
	h = hash_mix(h, ((uint64_t)r->u32min << 32 | r->u32max) ^ (uint64_t)(uint32_t)r->s32min);
	if (r->type == VT_SCALAR)
		return h;
	h = hash_mix(h, (uint64_t)r->maybe_null | (uint64_t)r->frameno << 8 | (uint64_t)r->map << 16);
	return hash_mix(h, (uint64_t)(uint32_t)r->off << 32 ^ r->mem_size ^ (uint64_t)r->range << 40 ^
			       (uint32_t)r->func);
}

uint64_t vstate_hash(const struct vstate *st)
{
	uint64_t h = hash_mix((uint64_t)st->curframe, (uint64_t)st->nrefs | (uint64_t)!st->lock_insn << 8);

	for (int i = 0; i <= st->curframe; i++) {
		const struct vframe *f = st->frames[i];
		h = hash_mix(h, (uint64_t)(uint32_t)f->callsite << 32 | (uint32_t)f->func);
		for (int r = 0; r < V_NR_REGS; r++)
			h = hash_reg(h, &f->regs[r]);
		for (int s = 0; s < f->nslots; s++) {
			const struct vslot *sl = &f->slots[s];
			uint64_t k;
			memcpy(&k, sl->kind, 8);
			if (!k)
				continue;
			h = hash_mix(h, k ^ (uint64_t)s << 56);
			if (memchr(sl->kind, SLOT_SPILL, 8))
				h = hash_reg(hash_mix(h, sl->spill_off | sl->spill_size << 8), &sl->spill);
		}
	}
	return h;
}

/* ---- widening, for repeats bounded by a helper ---- */

/* A scalar of cur not within old's range becomes unknown. */
static void widen_reg(struct vreg *c, const struct vreg *o)
{
	if (c->type == VT_SCALAR && o->type == VT_SCALAR && !range_within(o, c))
		reg_mark_unknown(c);
}

int vstate_widen(struct vstate *cur, const struct vstate *old)
{
	if (old->curframe != cur->curframe)
		return 0;
	for (int i = 0; i <= cur->curframe; i++) {
		struct vframe *c = cur->frames[i];
		const struct vframe *o = old->frames[i];
		if (c->func != o->func || c->callsite != o->callsite)
			return 0;
		for (int r = 0; r < V_NR_REGS; r++)
			if (c->regs[r].type != o->regs[r].type)
				return 0;
	}
	for (int i = 0; i <= cur->curframe; i++) {
		struct vframe *c = cur->frames[i];
		const struct vframe *o = old->frames[i];
		for (int r = 0; r < V_NR_REGS; r++)
			widen_reg(&c->regs[r], &o->regs[r]);
		for (int k = 0; k < c->nslots && k < o->nslots; k++)
			if (memchr(c->slots[k].kind, SLOT_SPILL, 8) &&
			    memchr(o->slots[k].kind, SLOT_SPILL, 8))
				widen_reg(&c->slots[k].spill, &o->slots[k].spill);
	}
	return 1;
}
