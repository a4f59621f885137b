/* Memory accesses: loads, stores and atomics through a pointer register,
 * and the memory arguments of helpers.  Each pointer type has its rule:
 *   stack      fixed offset inside the frame's 512 bytes, aligned; reads
 *              only of written bytes; 8-byte stores of registers are
 *              spills that a later 8-byte load fills back exactly
 *   map value  and helper memory: [off + min, off + max + size) inside the size
 *   packet     [off, off + size) inside the range a comparison with the
 *              packet end proved
 *   ctx        unmodified pointer, an offset and size the program type allows
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

const char *verifier_type_name(int type)
{
	static const char *const names[VT_COUNT] = {
		"uninitialised", "scalar", "ctx", "stack pointer", "map pointer", "map value",
		"packet", "packet end", "packet metadata", "memory", "function"};
	return type >= 0 && type < VT_COUNT ? names[type] : "?";
}

struct vslot *verifier_stack_slots(struct vframe *f, int nslots)
{
	if (nslots <= f->nslots)
		return f->slots;
	struct vslot *s = realloc(f->slots, (size_t)nslots * sizeof(*s));
	if (!s)
		return NULL;
	memset(s + f->nslots, 0, (size_t)(nslots - f->nslots) * sizeof(*s));
	f->slots = s;
	f->nslots = nslots;
	return s;
}

static int slot_of(int off) { return (-off - 1) / 8; }
static int byte_of(int off) { return off + 8 * (slot_of(off) + 1); }

static void stack_note_depth(struct verifier_env *env, struct vframe *f, int off)
{
	if (-off > env->func_depth[f->func])
		env->func_depth[f->func] = -off;
}

static int stack_bounds(struct verifier_env *env, const struct vreg *p, int regno, int insn_off,
			int size, int *out)
{
	if (!tnum_is_const(p->var))
		return verifier_error(env, "r%d: a helper cannot take a stack pointer with a "
				      "variable offset; use a constant offset from r10", regno);
	int64_t off = (int64_t)p->off + (int64_t)p->var.value + insn_off;
	if (off < -V_STACK || off + size > 0)
		return verifier_error(env, "stack access of %d bytes at r10%+" PRId64 " is outside "
				      "the %d-byte stack", size, off, V_STACK);
	if (off % size)
		return verifier_error(env, "misaligned stack access of %d bytes at r10%+" PRId64,
				      size, off);
	*out = (int)off;
	return 0;
}

/* A spill that bytes are about to cut into becomes plain data. */
static void slot_unspill(struct vslot *s)
{
	int z = reg_is_const(&s->spill) && s->spill.var.value == 0;

	for (int b = 0; b < 8; b++)
		if (s->kind[b] == SLOT_SPILL)
			s->kind[b] = z ? SLOT_ZERO : SLOT_MISC;
}

/* Bytes [off, off+size) become plain data (zero if `zero`). */
static int stack_mark(struct vframe *f, int off, int size, int zero)
{
	if (!verifier_stack_slots(f, slot_of(off) + 1))
		return -ENOMEM;
	for (int o = off; o < off + size; o++) {
		struct vslot *s = &f->slots[slot_of(o)];
		if (s->kind[byte_of(o)] == SLOT_SPILL)
			slot_unspill(s);
		s->kind[byte_of(o)] = zero ? SLOT_ZERO : SLOT_MISC;
	}
	return 0;
}

/* A register stored whole (8 bytes), or a scalar stored narrower at an
 * offset aligned to its size: a load of exactly those bytes gets it back. */
static int stack_spill(struct vframe *f, int off, int size, const struct vreg *val)
{
	if (!verifier_stack_slots(f, slot_of(off) + 1))
		return -ENOMEM;
	struct vslot *s = &f->slots[slot_of(off)];
	int b = byte_of(off);
	for (int i = 0; i < 8; i++)
		if (s->kind[i] == SLOT_SPILL) {
			slot_unspill(s);
			break;
		}
	memset(s->kind + b, SLOT_SPILL, (size_t)size);
	s->spill_off = (uint8_t)b;
	s->spill_size = (uint8_t)size;
	s->spill = *val;
	if (size < 8) {
		scalar_end(&s->spill, size * 8, 0, 1);
		s->spill.id = 0;
	}
	return 0;
}

static int stack_write(struct verifier_env *env, struct vframe *f, int off, int size,
		       const struct vreg *val, int value_regno)
{
	stack_note_depth(env, f, off);
	if (val && (size == 8 || val->type == VT_SCALAR))
		return stack_spill(f, off, size, val);
	if (val && val->type != VT_SCALAR)
		return verifier_error(env, "r%d: a %s can only be spilled to the stack as 8 "
				      "aligned bytes, not %d", value_regno,
				      verifier_type_name(val->type), size);
	return stack_mark(f, off, size, 0);
}

/* The bytes of a spilled constant, as a narrower load sees them. */
static uint64_t spill_bytes(const struct vreg *r, int byte, int size)
{
	uint64_t v = r->var.value >> (8 * byte);

	return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static int stack_read(struct verifier_env *env, struct vframe *f, int off, int size,
		      struct vreg *dst, int sext)
{
	int slot = slot_of(off), zeros = 0;

	for (int o = off; o < off + size; o++) {
		int k = slot_of(o) < f->nslots ? f->slots[slot_of(o)].kind[byte_of(o)] : SLOT_INVALID;
		if (k == SLOT_INVALID)
			return verifier_error(env, "reads %d byte%s of stack at r10%+d, but byte "
					      "r10%+d was never written", size, size == 1 ? "" : "s",
					      off, o);
		zeros += k == SLOT_ZERO;
	}
	struct vslot *s = &f->slots[slot];
	int b = byte_of(off);
	if (s->kind[b] == SLOT_SPILL) {
		if (b == s->spill_off && size == s->spill_size) {
			if (sext && size < 8)
				scalar_movsx(dst, &s->spill, size * 8, 1);
			else
				*dst = s->spill;
			return 0;
		}
		if (s->spill.type != VT_SCALAR)
			return verifier_error(env, "reads %d bytes of a %s spilled at r10%+d; a "
					      "spilled pointer must be read back whole (8 bytes)",
					      size, verifier_type_name(s->spill.type), slot * -8 - 8);
		if (reg_is_const(&s->spill) && !sext && s->spill_size == 8) {
			reg_mark_const(dst, spill_bytes(&s->spill, b, size));
			return 0;
		}
	} else if (zeros == size) {
		reg_mark_const(dst, 0);
		return 0;
	}
	scalar_loaded(dst, size, sext);
	return 0;
}

/* A stack access whose offset varies (an array on the stack indexed by a
 * bounded scalar), as the kernel allows privileged programs: every byte it
 * may read must have been written; a write may land anywhere in its range,
 * so it initialises nothing, turns zeros into plain data and breaks any
 * spill it may hit.  A load gives an unknown scalar. */
static int stack_var_access(struct verifier_env *env, struct vframe *f, const struct vreg *p,
			    int regno, int insn_off, int size, int write, const struct vreg *val,
			    struct vreg *dst)
{
	int64_t base = (int64_t)p->off + insn_off;

	if (p->smin <= -V_STACK || p->smax >= V_STACK)
		return verifier_error(env, "r%d: the variable stack offset is unbounded ([%" PRId64
				      ", %" PRId64 "])", regno, p->smin, p->smax);
	int64_t lo = base + p->smin, hi = base + p->smax + size;
	if (lo < -V_STACK || hi > 0)
		return verifier_error(env, "r%d: a %d-byte stack access at r10%+" PRId64 " + [%" PRId64
				      ", %" PRId64 "] may leave the %d-byte stack", regno, size, base,
				      p->smin, p->smax, V_STACK);
	struct tnum at = tnum_add(tnum_const((uint64_t)base), p->var);
	if (at.value & (uint64_t)(size - 1) || at.mask & (uint64_t)(size - 1))
		return verifier_error(env, "r%d: the variable stack access of %d bytes may be "
				      "misaligned", regno, size);
	if (write && val && val->type != VT_SCALAR)
		return verifier_error(env, "r%d: a pointer cannot be stored at a variable stack "
				      "offset", regno);
	stack_note_depth(env, f, (int)lo);
	if (!verifier_stack_slots(f, slot_of((int)lo) + 1))
		return -ENOMEM;
	for (int o = (int)lo; o < (int)hi; o++) {
		struct vslot *s = &f->slots[slot_of(o)];
		int k = s->kind[byte_of(o)];
		if (!write && k == SLOT_INVALID)
			return verifier_error(env, "r%d: the variable stack read may read r10%+d, "
					      "which was never written", regno, o);
		if (write && k == SLOT_SPILL)
			slot_unspill(s);
		if (write && s->kind[byte_of(o)] == SLOT_ZERO)
			s->kind[byte_of(o)] = SLOT_MISC;
	}
	if (!write)
		scalar_loaded(dst, size, 0);
	return 0;
}

static int region_check(struct verifier_env *env, const struct vreg *p, int regno, int insn_off,
			int size, uint32_t limit, const char *what, int write)
{
	const char *verb = write ? "writes" : "reads";
	int64_t off = (int64_t)p->off + insn_off;

	if (p->smin < 0)
		return verifier_error(env, "r%d: the variable offset of the %s pointer may be "
				      "negative (min %" PRId64 "); bound it with an unsigned check",
				      regno, what, p->smin);
	if (p->umax >= (uint64_t)V_MAX_VAR_OFF)
		return verifier_error(env, "r%d: the variable offset of the %s pointer is "
				      "unbounded (max %" PRIu64 ")", regno, what, p->umax);
	int64_t lo = off + (int64_t)p->umin, hi = off + (int64_t)p->umax + size;
	if (lo < 0 || hi > (int64_t)limit) {
		if (tnum_is_const(p->var))
			return verifier_error(env, "%s %d byte%s at offset %" PRId64 " of a %u-byte %s",
					      verb, size, size == 1 ? "" : "s", off + (int64_t)p->umin,
					      limit, what);
		return verifier_error(env, "%s %d bytes at offset %" PRId64 " + [%" PRIu64
				      ", %" PRIu64 "] of a %u-byte %s: up to byte %" PRId64,
				      verb, size, off, p->umin, p->umax, limit, what, hi);
	}
	return 0;
}

static int packet_check(struct verifier_env *env, const struct vreg *p, int regno,
			int insn_off, int size, int write)
{
	const char *what = p->type == VT_PACKET ? "packet" : "packet metadata";
	int64_t off = (int64_t)p->off + insn_off;

	if (!env->ctx || env->ctx->direct_packet < (write ? 2 : 1))
		return verifier_error(env, "this program type (%s) cannot %s packet data directly",
				      verifier_prog_type_name(env->prog_type),
				      write ? "write" : "read");
	if (p->smin < 0)
		return verifier_error(env, "r%d: the variable offset of the packet pointer may be "
				      "negative", regno);
	if (off < 0)
		return verifier_error(env, "%s %d byte%s at %s offset %" PRId64 ", before its start",
				      write ? "writes" : "reads", size, size == 1 ? "" : "s", what, off);
	if (off + size > p->range) {
		char var[96] = "";
		if (!tnum_is_const(p->var))
			snprintf(var, sizeof(var), " + r (r in [%" PRIu64 ", %" PRIu64 "])", p->umin,
				 p->umax);
		return verifier_error(env, "%s %d byte%s at %s offset %" PRId64 "%s, but only %d "
				      "byte%s proven in bounds (compare %s + %" PRId64 " with %s "
				      "first)", write ? "writes" : "reads", size, size == 1 ? "" : "s",
				      what, off, var,
				      p->range, p->range == 1 ? " is" : "s are",
				      p->type == VT_PACKET ? "data" : "data_meta", off + size,
				      p->type == VT_PACKET ? "data_end" : "data");
	}
	return 0;
}

static int ctx_access(struct verifier_env *env, struct vstate *st, const struct vreg *p,
		      int regno, int insn_off, int size, int write, struct vreg *dst)
{
	const char *why = "";

	if (p->off || !tnum_is_const(p->var) || p->var.value)
		return verifier_error(env, "r%d: access through a modified ctx pointer (offset %d) "
				      "is not allowed; use the unmodified r1 with an offset",
				      regno, p->off);
	const struct ctx_field *f = ctx_field_find(env->ctx, insn_off, size, write, &why);
	if (!f)
		return verifier_error(env, "%s %d byte%s at offset %d of %s: %s",
				      write ? "writes" : "reads", size, size == 1 ? "" : "s", insn_off,
				      env->ctx->name, why);
	env->aux[st->insn].ctx_access = 1;
	env->aux[st->insn].ctx_off = (int16_t)insn_off;
	if (!write) {
		if (f->type == VT_SCALAR)
			scalar_loaded(dst, size, 0);
		else
			reg_mark_ptr(dst, f->type);
	}
	return 0;
}

static int mem_base_check(struct verifier_env *env, const struct vreg *p, int regno, int write)
{
	if (p->type == VT_NOT_INIT)
		return verifier_error(env, "r%d is used as a pointer before it is written", regno);
	if (p->type == VT_SCALAR)
		return verifier_error(env, "r%d is a scalar, not a pointer: cannot %s memory "
				      "through it", regno, write ? "write" : "read");
	if (p->maybe_null)
		return verifier_error(env, "r%d may be NULL (%s or null): compare it with 0 before "
				      "this access", regno, verifier_type_name(p->type));
	return 0;
}

/* One access of `size` bytes at [regno + insn_off].  Loads set *dst. */
static int mem_access(struct verifier_env *env, struct vstate *st, int regno, int insn_off,
		      int size, int write, const struct vreg *val, int value_regno, struct vreg *dst,
		      int sext)
{
	struct vreg p = vregs(st)[regno];
	int err = mem_base_check(env, &p, regno, write), off;

	if (err)
		return err;
	switch (p.type) {
	case VT_STACK:
		if (!tnum_is_const(p.var))
			return stack_var_access(env, st->frames[p.frameno], &p, regno, insn_off, size,
						write, val, dst);
		if ((err = stack_bounds(env, &p, regno, insn_off, size, &off)))
			return err;
		if (write)
			return stack_write(env, st->frames[p.frameno], off, size, val, value_regno);
		return stack_read(env, st->frames[p.frameno], off, size, dst, sext);
	case VT_MAP_VALUE:
		if (write && (env->maps[p.map].flags & BPF_F_RDONLY_PROG))
			return verifier_error(env, "writes into map %u, which is read-only for "
					      "programs", p.map);
		err = region_check(env, &p, regno, insn_off, size, p.mem_size, "map value", write);
		if (!err && env->maps[p.map].has_spin_lock) {
			int64_t lo = (int64_t)p.off + insn_off + (int64_t)p.umin;
			int64_t hi = (int64_t)p.off + insn_off + (int64_t)p.umax + size;
			int64_t l = env->maps[p.map].spin_lock_off;
			if (lo < l + 4 && hi > l)
				return verifier_error(env, "the bpf_spin_lock in map %u's value cannot "
						      "be accessed directly, only with the lock helpers",
						      p.map);
		}
		break;
	case VT_MEM:
		if (write && p.rdonly)
			return verifier_error(env, "r%d points to read-only memory (a map key)", regno);
		err = region_check(env, &p, regno, insn_off, size, p.mem_size, "memory", write);
		break;
	case VT_PACKET:
	case VT_PACKET_META:
		err = packet_check(env, &p, regno, insn_off, size, write);
		break;
	case VT_CTX:
		return ctx_access(env, st, &p, regno, insn_off, size, write, dst);
	default:
		return verifier_error(env, "r%d is a %s: memory cannot be accessed through it",
				      regno, verifier_type_name(p.type));
	}
	if (!err && !write)
		scalar_loaded(dst, size, sext);
	return err;
}

static int mem_atomic(struct verifier_env *env, struct vstate *st, const struct isa_insn *in,
		      int size)
{
	struct vreg *regs = vregs(st), p = regs[in->dst], old;
	int imm = in->imm, err;

	if ((err = verifier_check_read(env, st, in->src)))
		return err;
	if (regs[in->src].type != VT_SCALAR)
		return verifier_error(env, "r%d: atomic operands must be scalars, not a %s", in->src,
				      verifier_type_name(regs[in->src].type));
	if (imm == BPF_CMPXCHG && ((err = verifier_check_read(env, st, 0))))
		return err;
	if (imm == BPF_CMPXCHG && regs[0].type != VT_SCALAR)
		return verifier_error(env, "r0: cmpxchg compares with a scalar, not a %s",
				      verifier_type_name(regs[0].type));
	if ((err = mem_base_check(env, &p, in->dst, 1)))
		return err;
	if (p.type != VT_STACK && p.type != VT_MAP_VALUE && p.type != VT_MEM)
		return verifier_error(env, "atomic operations on a %s (r%d) are not allowed",
				      verifier_type_name(p.type), in->dst);
	if (tnum_is_const(p.var) && (p.off + (int64_t)p.var.value + in->off) % size)
		return verifier_error(env, "misaligned atomic access of %d bytes", size);
	if ((err = mem_access(env, st, in->dst, in->off, size, 0, NULL, -1, &old, 0)))
		return err;
	if (old.type != VT_SCALAR)
		return verifier_error(env, "atomic operation on a spilled %s",
				      verifier_type_name(old.type));
	if ((err = mem_access(env, st, in->dst, in->off, size, 1, NULL, -1, NULL, 0)))
		return err;
	if (imm == BPF_CMPXCHG)
		scalar_loaded(&regs[0], size, 0);
	else if (imm & BPF_FETCH)
		scalar_loaded(&regs[in->src], size, 0);
	return 0;
}

int verifier_check_mem(struct verifier_env *env, struct vstate *st, const struct isa_insn *in)
{
	const struct isa_op *o = &isa_ops[in->op];
	int size = isa_mem_size(o->code), err;
	struct vreg *regs = vregs(st), val, dst;

	switch (o->form) {
	case ISA_FORM_LDX:
	case ISA_FORM_LDACQ:
		if ((err = mem_access(env, st, in->src, in->off, size, 0, NULL, -1, &dst,
				      (o->code & 0xe0) == BPF_MEMSX)))
			return err;
		regs[in->dst] = dst;
		return 0;
	case ISA_FORM_ST:
		reg_mark_const(&val, (uint64_t)(int64_t)in->imm);
		return mem_access(env, st, in->dst, in->off, size, 1, &val, -1, NULL, 0);
	case ISA_FORM_STX:
	case ISA_FORM_STREL:
		if ((err = verifier_check_read(env, st, in->src)))
			return err;
		val = regs[in->src];
		return mem_access(env, st, in->dst, in->off, size, 1, &val, in->src, NULL, 0);
	case ISA_FORM_ATOMIC:
		if (size != 4 && size != 8)
			return verifier_error_inval(env, "atomic operations are 4 or 8 bytes");
		return mem_atomic(env, st, in, size);
	}
	return verifier_error_inval(env, "unexpected memory instruction");
}

/* LD_ABS/LD_IND: the legacy skb loads; r6 must be the context. */
int verifier_check_ld_abs(struct verifier_env *env, struct vstate *st, const struct isa_insn *in)
{
	const struct isa_op *o = &isa_ops[in->op];
	struct vreg *regs = vregs(st);
	int err;

	if (env->ctx && !env->ctx->ld_abs)
		return verifier_error(env, "legacy packet loads (LD_ABS/LD_IND) are not allowed "
				      "for %s programs", verifier_prog_type_name(env->prog_type));
	if (env->ctx && regs[6].type != VT_CTX)
		return verifier_error(env, "LD_ABS/LD_IND need r6 = the context, but r6 is %s",
				      verifier_type_name(regs[6].type));
	if (o->form == ISA_FORM_LD_IND) {
		if ((err = verifier_check_read(env, st, in->src)))
			return err;
		if (regs[in->src].type != VT_SCALAR)
			return verifier_error(env, "LD_IND offset r%d must be a scalar", in->src);
	}
	for (int r = 1; r <= 5; r++)
		reg_mark_not_init(&regs[r]);
	scalar_loaded(&regs[0], isa_mem_size(o->code), 0);
	return 0;
}

int verifier_check_helper_mem(struct verifier_env *env, struct vstate *st, int regno,
			      uint64_t size_min, uint64_t size_max, int write, int zero_ok)
{
	struct vreg p = vregs(st)[regno];
	int err = mem_base_check(env, &p, regno, write), off;

	(void)size_min;
	if (err)
		return err;
	if (size_max == 0 && zero_ok)
		return 0;
	if (size_max >= (uint64_t)V_MAX_VAR_OFF)
		return verifier_error(env, "r%d: the memory size is unbounded", regno + 1);
	int size = (int)size_max;
	switch (p.type) {
	case VT_STACK: {
		if ((err = stack_bounds(env, &p, regno, 0, 1, &off)))
			return err;
		if (off + size > 0)
			return verifier_error(env, "r%d: %d bytes at r10%+d go past the top of the stack",
					      regno, size, off);
		struct vframe *f = st->frames[p.frameno];
		stack_note_depth(env, f, off);
		if (write)
			return stack_mark(f, off, size, 0);
		for (int o = off; o < off + size; o++)
			if (slot_of(o) >= f->nslots ||
			    f->slots[slot_of(o)].kind[byte_of(o)] == SLOT_INVALID)
				return verifier_error(env, "r%d: the helper reads %d bytes at r10%+d, "
						      "but byte r10%+d was never written", regno,
						      size, off, o);
		return 0;
	}
	case VT_MAP_VALUE:
	case VT_MEM:
		if (write && (p.rdonly || (p.type == VT_MAP_VALUE &&
					   (env->maps[p.map].flags & BPF_F_RDONLY_PROG))))
			return verifier_error(env, "r%d: the helper would write into read-only memory",
					      regno);
		return region_check(env, &p, regno, 0, size, p.mem_size,
				    p.type == VT_MEM ? "memory" : "map value", write);
	case VT_PACKET:
	case VT_PACKET_META:
		return packet_check(env, &p, regno, 0, size, write);
	default:
		return verifier_error(env, "r%d: a helper needs memory here, not a %s", regno,
				      verifier_type_name(p.type));
	}
}

int verifier_stack_const(struct vstate *st, int regno, int size, uint64_t *val)
{
	const struct vreg *p = &vregs(st)[regno];

	if (p->type != VT_STACK || !tnum_is_const(p->var))
		return 0;
	int64_t off = (int64_t)p->off + (int64_t)p->var.value;
	if (off < -V_STACK || off + size > 0 || off % size)
		return 0;
	struct vframe *f = st->frames[p->frameno];
	int o = (int)off, slot = slot_of(o), b = byte_of(o), zeros = 0;
	if (slot >= f->nslots)
		return 0;
	const struct vslot *s = &f->slots[slot];
	for (int i = b; i < b + size; i++)
		zeros += s->kind[i] == SLOT_ZERO;
	if (zeros == size) {
		*val = 0;
		return 1;
	}
	if (s->kind[b] != SLOT_SPILL || !reg_is_const(&s->spill))
		return 0;
	if (b == s->spill_off && size == s->spill_size) {
		*val = s->spill.var.value;
		return 1;
	}
	if (s->spill_size == 8) {
		*val = spill_bytes(&s->spill, b, size);
		return 1;
	}
	return 0;
}
