/* What the verifier says: the first error (kept with its instruction and
 * the path that led there, for the explanation api.c writes), and the
 * optional walk log, whose register notation follows the kernel's
 * (R1=ctx() R2=pkt(off=14,r=14) R3=scalar(umax=255,var_off=(0x0; 0xff))). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "verifier/verifier.h"

static int error_record(struct verifier_env *env, int err, const char *fmt, va_list ap)
{
	if (env->err)
		return env->err;
	vsnprintf(env->err_msg, sizeof(env->err_msg), fmt, ap);
	env->err = err;
	env->err_insn = env->at;
	env->err_path = env->cur.path;
	return err;
}

int verifier_error(struct verifier_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int err = error_record(env, -EACCES, fmt, ap);
	va_end(ap);
	return err;
}

int verifier_error_inval(struct verifier_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int err = error_record(env, -EINVAL, fmt, ap);
	va_end(ap);
	return err;
}

void verifier_log(struct verifier_env *env, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (env->log_level < level || !env->log.buf)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_printf(&env->log, "%s", line);
}

static const char *reg_kind(int type)
{
	static const char *const k[VT_COUNT] = {"?", "scalar", "ctx", "fp", "map_ptr",
						"map_value", "pkt", "pkt_end", "pkt_meta", "mem",
						"func"};
	return type >= 0 && type < VT_COUNT ? k[type] : "?";
}

#define ADD(...) (n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__))

static size_t print_bounds(const struct vreg *r, char *buf, size_t size, size_t n)
{
	char t[64];

	if (r->smin != INT64_MIN)
		ADD(",smin=%" PRId64, r->smin);
	if (r->smax != INT64_MAX)
		ADD(",smax=%" PRId64, r->smax);
	if (r->umin)
		ADD(",umin=%" PRIu64, r->umin);
	if (r->umax != UINT64_MAX)
		ADD(",umax=%" PRIu64, r->umax);
	if (r->s32min != INT32_MIN || r->s32max != INT32_MAX)
		ADD(",s32=[%d,%d]", r->s32min, r->s32max);
	if (r->u32min || r->u32max != UINT32_MAX)
		ADD(",u32=[%u,%u]", r->u32min, r->u32max);
	if (r->var.mask != ~0ull) {
		tnum_print(r->var, t, sizeof(t));
		ADD(",var_off=%s", t);
	}
	return n;
}

void verifier_reg_print(const struct verifier_env *env, const struct vreg *r, char *buf,
			size_t size)
{
	size_t n = 0;

	(void)env;
	if (size)
		buf[0] = 0;
	if (r->type == VT_SCALAR && tnum_is_const(r->var)) {
		ADD("%" PRId64, (int64_t)r->var.value);
		return;
	}
	ADD("%s%s(", reg_kind(r->type), r->maybe_null ? "_or_null" : "");
	size_t start = n;
	if (r->type != VT_SCALAR) {
		if (r->off)
			ADD(",off=%d", r->off);
		if (r->type == VT_PACKET || r->type == VT_PACKET_META)
			ADD(",r=%d", r->range);
		if (r->type == VT_MAP_VALUE || r->type == VT_MAP_PTR)
			ADD(",map=%u", r->map);
		if (r->type == VT_MAP_VALUE || r->type == VT_MEM)
			ADD(",sz=%u", r->mem_size);
		if (r->type == VT_STACK && r->frameno)
			ADD(",frame=%u", r->frameno);
		if (r->type == VT_FUNC)
			ADD(",insn=%d", r->func);
		if (!tnum_is_const(r->var) || r->var.value)
			n = print_bounds(r, buf, size, n);
	} else {
		n = print_bounds(r, buf, size, n);
	}
	if (r->id)
		ADD(",id=%u", r->id);
	if (r->ref_id)
		ADD(",ref=%u", r->ref_id);
	ADD(")");
	/* Drop the comma that opens the list. */
	if (n > start && start < size && buf[start] == ',')
		memmove(buf + start, buf + start + 1, strlen(buf + start + 1) + 1);
}

void verifier_describe_reg(const struct verifier_env *env, int regno, const struct vreg *r,
			   char *buf, size_t size)
{
	char v[256];

	verifier_reg_print(env, r, v, sizeof(v));
	snprintf(buf, size, "r%d=%s", regno, v);
}

void verifier_log_state(struct verifier_env *env, const struct vstate *st, int level)
{
	char line[2048], v[256];
	size_t n = 0, size = sizeof(line);
	char *buf = line;
	const struct vframe *f = st->frames[st->curframe];

	if (!env->log.buf)
		return;
	ADD("   ;");
	if (st->curframe)
		ADD(" frame%d:", st->curframe);
	for (int r = 0; r < V_NR_REGS; r++) {
		if (f->regs[r].type == VT_NOT_INIT || (r == 10 && level < 2))
			continue;
		verifier_reg_print(env, &f->regs[r], v, sizeof(v));
		ADD(" R%d=%s", r, v);
	}
	for (int s = 0; level >= 2 && s < f->nslots; s++) {
		const struct vslot *sl = &f->slots[s];
		if (memchr(sl->kind, SLOT_SPILL, 8)) {
			verifier_reg_print(env, &sl->spill, v, sizeof(v));
			ADD(" fp%d=%s", -8 * s - 8 + sl->spill_off, v);
			continue;
		}
		char k[9];
		int any = 0;
		for (int b = 0; b < 8; b++) {
			k[7 - b] = "?mz"[sl->kind[b] < 3 ? sl->kind[b] : 0];
			any |= sl->kind[b] != SLOT_INVALID;
		}
		k[8] = 0;
		if (any)
			ADD(" fp%d=%s", -8 * s - 8, k);
	}
	log_printf(&env->log, "%s", line);
}

void verifier_log_insn(struct verifier_env *env, size_t idx, const struct vstate *st)
{
	char text[128];

	(void)st;
	if (!env->log_level || !env->log.buf)
		return;
	isa_disasm_insn(&env->raw[idx], env->len - idx, idx, ISA_SYNTAX_KERNEL, text, sizeof(text));
	log_printf(&env->log, "%zu: %s", idx, text);
}
