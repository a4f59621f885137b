/* Calls and exits.  A helper call is checked argument by argument against
 * the helper's prototype (src/helpers: the kernel's argument and return
 * types); afterwards r1-r5 are unreadable and r0 is what the prototype
 * returns.  Helpers that take a callback (bpf_loop, for_each_map_elem)
 * walk the callback as a function called from the helper, any number of
 * times: each return from the callback goes back to the call, until a
 * repeat adds nothing new (pruning).  bpf-to-bpf calls push a frame with
 * its own stack; exit pops it or, in the main function, ends the path,
 * where every acquired reference (ring buffer sample) must be released. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "hooks/hook_helpers.h"
#include "isa/bpf_compat.h"
#include "skep/maps.h"
#include "verifier/verifier.h"

struct call_meta {
	const struct helper_proto *proto;
	int map;           /* argument map index, or -1 */
	int mem_reg;       /* the pointer of a (mem, size) pair */
	int mem_write, mem_null;
	uint32_t release;  /* reference the call releases */
	uint64_t alloc_size;
	int32_t callback;  /* first slot of a callback, or -1 */
	int const_key_ok;  /* lookup in an array with a constant key below max_entries */
	int cb_ctx_reg;
};

static const char *helper_name(const struct call_meta *m)
{
	return m->proto ? m->proto->name : "helper";
}

/* Which map types a map helper works on (check_map_func_compatibility). */
static int call_map_compatible(uint32_t helper, uint32_t mt)
{
	int lookup_like = helper == BPF_FUNC_map_lookup_elem || helper == BPF_FUNC_map_update_elem ||
			  helper == BPF_FUNC_map_delete_elem;

	switch (helper) {
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_query:
		return mt == BPF_MAP_TYPE_RINGBUF;
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_perf_event_read:
	case BPF_FUNC_perf_event_read_value:
		return mt == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	case BPF_FUNC_get_stackid:
		return mt == BPF_MAP_TYPE_STACK_TRACE;
	case BPF_FUNC_tail_call:
		return mt == BPF_MAP_TYPE_PROG_ARRAY;
	case BPF_FUNC_map_push_elem:
	case BPF_FUNC_map_peek_elem:
		return mt == BPF_MAP_TYPE_QUEUE || mt == BPF_MAP_TYPE_STACK ||
		       mt == BPF_MAP_TYPE_BLOOM_FILTER;
	case BPF_FUNC_map_pop_elem:
		return mt == BPF_MAP_TYPE_QUEUE || mt == BPF_MAP_TYPE_STACK;
	case BPF_FUNC_map_lookup_percpu_elem:
		return mt == BPF_MAP_TYPE_PERCPU_ARRAY || mt == BPF_MAP_TYPE_PERCPU_HASH ||
		       mt == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	}
	if (!lookup_like)
		return 1;
	switch (mt) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_STACK_TRACE: /* only bpf_get_stackid */
		return 0;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
		return helper != BPF_FUNC_map_lookup_elem;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS: /* updates come from user space only */
		return helper == BPF_FUNC_map_lookup_elem || helper == BPF_FUNC_map_delete_elem;
	}
	return 1;
}

/* Helpers that act on one kind of context (the kernel's per-type func_proto
 * tables): an XDP helper given an skb would misread it. */
static int call_allowed(uint32_t id, uint32_t t)
{
	int kprobe = t == BPF_PROG_TYPE_KPROBE;
	int tracing = kprobe || t == BPF_PROG_TYPE_TRACEPOINT || t == BPF_PROG_TYPE_PERF_EVENT ||
		      t == BPF_PROG_TYPE_RAW_TRACEPOINT ||
		      t == BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE || t == BPF_PROG_TYPE_TRACING ||
		      t == BPF_PROG_TYPE_LSM;
	int xdp = t == BPF_PROG_TYPE_XDP;
	int tc = t == BPF_PROG_TYPE_SCHED_CLS || t == BPF_PROG_TYPE_SCHED_ACT;

	switch (id) {
	case BPF_FUNC_xdp_adjust_head:
	case BPF_FUNC_xdp_adjust_tail:
	case BPF_FUNC_xdp_adjust_meta:
	case BPF_FUNC_xdp_get_buff_len:
	case BPF_FUNC_redirect_map:
		return xdp;
	case BPF_FUNC_redirect:
	case BPF_FUNC_fib_lookup:
		return xdp || tc;
	case BPF_FUNC_skb_load_bytes:
		return tc || t == BPF_PROG_TYPE_SOCKET_FILTER;
	case BPF_FUNC_skb_store_bytes:
	case BPF_FUNC_l3_csum_replace:
	case BPF_FUNC_l4_csum_replace:
	case BPF_FUNC_skb_change_tail:
	case BPF_FUNC_skb_change_head:
	case BPF_FUNC_skb_pull_data:
		return tc;
	case BPF_FUNC_csum_diff:
		return xdp || tc;
	/* bpf_tracing_func_proto and the per-type tables of kernel/trace/bpf_trace.c */
	case BPF_FUNC_get_stackid:
	case BPF_FUNC_get_stack:
	case BPF_FUNC_perf_event_read:
	case BPF_FUNC_perf_event_read_value:
	case BPF_FUNC_probe_write_user:
	case BPF_FUNC_send_signal:
	case BPF_FUNC_send_signal_thread:
	case BPF_FUNC_get_ns_current_pid_tgid:
		return tracing;
	case BPF_FUNC_override_return:
		return kprobe;
	case BPF_FUNC_perf_prog_read_value:
		return t == BPF_PROG_TYPE_PERF_EVENT;
	case BPF_FUNC_get_func_ip:
		return kprobe || t == BPF_PROG_TYPE_TRACING;
	case BPF_FUNC_get_attach_cookie:
		return kprobe || t == BPF_PROG_TYPE_TRACEPOINT || t == BPF_PROG_TYPE_PERF_EVENT ||
		       t == BPF_PROG_TYPE_RAW_TRACEPOINT || t == BPF_PROG_TYPE_TRACING ||
		       t == BPF_PROG_TYPE_LSM;
	case BPF_FUNC_tail_call:
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_get_func_arg:
	case BPF_FUNC_get_func_ret:
	case BPF_FUNC_get_func_arg_cnt:
		return t != BPF_PROG_TYPE_UNSPEC;
	}
	return 1;
}

static void pkt_invalidate(struct vreg *r, void *arg)
{
	(void)arg;
	if (r->type == VT_PACKET || r->type == VT_PACKET_END || r->type == VT_PACKET_META)
		reg_mark_unknown(r);
}

static int arg_map_mem(struct verifier_env *env, struct vstate *st, int regno,
		       struct call_meta *m, int key, int write)
{
	if (m->map < 0)
		return verifier_error(env, "%s: r%d needs a map argument before it",
				      helper_name(m), regno);
	const struct vmapinfo *mi = &env->maps[m->map];
	uint32_t size = key ? mi->key_size : mi->value_size;
	return verifier_check_helper_mem(env, st, regno, size, size, write, 0);
}

static int arg_size(struct verifier_env *env, struct vstate *st, int regno, struct call_meta *m,
		    int zero_ok)
{
	const struct vreg *r = &vregs(st)[regno];

	if (r->type != VT_SCALAR)
		return verifier_error(env, "%s: r%d must be a size (a scalar), not a %s",
				      helper_name(m), regno, verifier_type_name(r->type));
	if (r->smin < 0)
		return verifier_error(env, "%s: the size in r%d may be negative (min %" PRId64 "); "
				      "bound it with an unsigned check or &=", helper_name(m),
				      regno, r->smin);
	if (!zero_ok && r->umin == 0)
		return verifier_error(env, "%s: the size in r%d may be 0, which it does not "
				      "allow (range [%" PRIu64 ", %" PRIu64 "])", helper_name(m),
				      regno, r->umin, r->umax);
	if (m->mem_reg < 0)
		return 0;
	if (m->mem_null)
		return r->umax == 0 ? 0 : verifier_error(env, "%s: r%d is NULL but the size in "
							 "r%d may be non-zero", helper_name(m),
							 m->mem_reg, regno);
	return verifier_check_helper_mem(env, st, m->mem_reg, r->umin, r->umax, m->mem_write,
					 zero_ok);
}

/* A read-only map holds a NUL-terminated string at a constant offset. */
static int arg_const_str(struct verifier_env *env, const struct vreg *r, int regno,
			 struct call_meta *m)
{
	if (r->type != VT_MAP_VALUE || r->maybe_null || !tnum_is_const(r->var))
		return verifier_error(env, "%s: r%d must point into a read-only map value at a "
				      "constant offset", helper_name(m), regno);
	const struct vmapinfo *mi = &env->maps[r->map];
	if (!(mi->flags & BPF_F_RDONLY_PROG))
		return verifier_error(env, "%s: r%d's map must be read-only (BPF_F_RDONLY_PROG) to "
				      "hold a constant string", helper_name(m), regno);
	uint64_t off = (uint64_t)r->off + r->var.value;
	uint8_t *buf = calloc(1, mi->value_size + 1);
	uint32_t key = 0;
	int ok = buf && mi->map && off < mi->value_size && !skep_map_lookup(mi->map, &key, buf) &&
		 memchr(buf + off, 0, mi->value_size - off);
	free(buf);
	return ok ? 0 : verifier_error(env, "%s: the string at r%d is not NUL-terminated in its "
				       "map value", helper_name(m), regno);
}

static int arg_ptr_kind(struct verifier_env *env, struct vstate *st, int regno, int base,
			struct call_meta *m)
{
	const struct vreg *r = &vregs(st)[regno];

	switch (base) {
	case ARG_PTR_TO_CTX:
		if (r->type != VT_CTX || r->off || !tnum_is_const(r->var) || r->var.value)
			return verifier_error(env, "%s: r%d must be the unmodified context, not a %s",
					      helper_name(m), regno, verifier_type_name(r->type));
		return 0;
	case ARG_PTR_TO_FUNC:
		if (r->type != VT_FUNC)
			return verifier_error(env, "%s: r%d must be a callback function, not a %s",
					      helper_name(m), regno, verifier_type_name(r->type));
		m->callback = r->func;
		return 0;
	case ARG_PTR_TO_STACK:
		if (r->type != VT_STACK && !(reg_is_const(r) && r->var.value == 0))
			return verifier_error(env, "%s: r%d must be a stack pointer or NULL, not a %s",
					      helper_name(m), regno, verifier_type_name(r->type));
		m->cb_ctx_reg = regno;
		return 0;
	case ARG_PTR_TO_CONST_STR:
		return arg_const_str(env, r, regno, m);
	case ARG_PTR_TO_SPIN_LOCK: {
		const struct vmapinfo *mi = r->type == VT_MAP_VALUE ? &env->maps[r->map] : NULL;
		if (!mi || r->maybe_null || !mi->has_spin_lock || !tnum_is_const(r->var) ||
		    (uint64_t)r->off + r->var.value != mi->spin_lock_off)
			return verifier_error(env, "%s: r%d must point at the bpf_spin_lock of a map "
					      "value", helper_name(m), regno);
		return 0;
	}
	case ARG_PTR_TO_ALLOC_MEM:
		if (r->type != VT_MEM || !r->ref_id || r->maybe_null || r->off ||
		    !tnum_is_const(r->var) || r->var.value)
			return verifier_error(env, "%s: r%d must be an unmodified, null-checked ring "
					      "buffer sample, not a %s%s", helper_name(m), regno,
					      verifier_type_name(r->type),
					      r->maybe_null ? " that may be NULL" : "");
		m->release = r->ref_id;
		return 0;
	case ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (!reg_is_const(r))
			return verifier_error(env, "%s: the size in r%d must be a known constant",
					      helper_name(m), regno);
		m->alloc_size = r->var.value;
		return 0;
	case ARG_PTR_TO_LONG:
		return verifier_check_helper_mem(env, st, regno, 8, 8, 1, 0);
	}
	return verifier_error_inval(env, "%s: argument type %d is not known to the verifier",
				    helper_name(m), base);
}

static int call_check_arg(struct verifier_env *env, struct vstate *st, int regno, uint16_t t,
			  struct call_meta *m)
{
	int base = t & 0xff, nullable = !!(t & HELPER_MAYBE_NULL);
	const struct vreg *r = &vregs(st)[regno];

	/* Anything includes what was never written: the helper gets some
	 * number (the kernel does not check trace_printk's variadic r3-r5). */
	if (base == ARG_DONTCARE || base == ARG_ANYTHING)
		return 0;
	if (r->type == VT_NOT_INIT)
		return verifier_error(env, "%s: argument r%d is not initialised", helper_name(m),
				      regno);
	switch (base) {
	case ARG_ANYTHING:
		return 0;
	case ARG_CONST_MAP_PTR:
		if (r->type != VT_MAP_PTR)
			return verifier_error(env, "%s: r%d must be a map (from lddw), not a %s",
					      helper_name(m), regno, verifier_type_name(r->type));
		if (r->maybe_null)
			return verifier_error(env, "%s: r%d is an inner map that may be NULL: compare "
					      "it with 0 first", helper_name(m), regno);
		m->map = r->map;
		if (!call_map_compatible(m->proto->id, env->maps[r->map].type))
			return verifier_error(env, "%s cannot be used with map %u (type %u)",
					      helper_name(m), r->map, env->maps[r->map].type);
		return 0;
	case ARG_PTR_TO_MAP_KEY: {
		int err = arg_map_mem(env, st, regno, m, 1, 0);
		uint64_t key;
		const struct vmapinfo *mi = &env->maps[m->map];
		if (!err && m->proto->id == BPF_FUNC_map_lookup_elem &&
		    (mi->type == BPF_MAP_TYPE_ARRAY || mi->type == BPF_MAP_TYPE_PERCPU_ARRAY) &&
		    verifier_stack_const(st, regno, 4, &key) && key < mi->max_entries)
			m->const_key_ok = 1;
		return err;
	}
	case ARG_PTR_TO_MAP_VALUE:
	case ARG_PTR_TO_UNINIT_MAP_VALUE:
		return arg_map_mem(env, st, regno, m, 0, base == ARG_PTR_TO_UNINIT_MAP_VALUE);
	case ARG_PTR_TO_MEM:
	case ARG_PTR_TO_UNINIT_MEM:
		m->mem_reg = regno;
		m->mem_write = base == ARG_PTR_TO_UNINIT_MEM;
		m->mem_null = nullable && reg_is_const(r) && r->var.value == 0;
		if (!m->mem_null && r->type == VT_SCALAR)
			return verifier_error(env, "%s: r%d must point to memory, not a scalar",
					      helper_name(m), regno);
		return 0;
	case ARG_CONST_SIZE:
	case ARG_CONST_SIZE_OR_ZERO:
		return arg_size(env, st, regno, m, base == ARG_CONST_SIZE_OR_ZERO);
	}
	if (nullable && reg_is_const(r) && r->var.value == 0)
		return 0;
	return arg_ptr_kind(env, st, regno, base, m);
}

struct release_arg {
	uint32_t id;
};

static void release_mark(struct vreg *r, void *arg)
{
	if (r->ref_id && r->ref_id == ((struct release_arg *)arg)->id)
		reg_mark_unknown(r);
}

static void call_release(struct vstate *st, uint32_t id)
{
	struct release_arg a = {id};

	for (int i = 0; i < st->nrefs; i++)
		if (st->refs[i].id == id) {
			st->refs[i] = st->refs[--st->nrefs];
			break;
		}
	vstate_for_each_reg(st, release_mark, &a);
}

static int call_set_ret(struct verifier_env *env, struct vstate *st, struct call_meta *m)
{
	struct vreg *r0 = &vregs(st)[0];

	switch (m->proto->ret) {
	case RET_VOID:
		reg_mark_not_init(r0);
		return 0;
	case RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (env->maps[m->map].inner >= 0) { /* map-in-map: an inner map, or NULL */
			reg_mark_ptr(r0, VT_MAP_PTR);
			r0->map = (uint8_t)env->maps[m->map].inner;
			r0->maybe_null = 1;
			r0->id = ++env->id_gen;
			return 0;
		}
		reg_mark_ptr(r0, VT_MAP_VALUE);
		r0->map = (uint8_t)m->map;
		r0->mem_size = env->maps[m->map].value_size;
		/* An array element with a known index in range always exists (the
		 * kernel knows this too since 6.x). */
		r0->maybe_null = !m->const_key_ok;
		r0->id = ++env->id_gen;
		return 0;
	case RET_PTR_TO_ALLOC_MEM_OR_NULL:
		if (st->nrefs >= V_MAX_REFS)
			return verifier_error(env, "more than %d ring buffer samples held at once",
					      V_MAX_REFS);
		reg_mark_ptr(r0, VT_MEM);
		r0->mem_size = (uint32_t)m->alloc_size;
		r0->maybe_null = 1;
		r0->id = ++env->id_gen;
		r0->ref_id = r0->id;
		st->refs[st->nrefs++] = (struct vref){r0->ref_id, st->insn};
		return 0;
	default:
		reg_mark_unknown(r0);
		return 0;
	}
}

/* Enter a callback: a new frame whose registers are what the helper passes. */
static int call_enter_callback(struct verifier_env *env, struct vstate *st, struct call_meta *m)
{
	struct vreg *caller = vregs(st);

	if (st->curframe + 1 >= V_MAX_FRAMES)
		return verifier_error(env, "call stack too deep: more than %d frames", V_MAX_FRAMES);
	struct vframe *f = vframe_new(m->callback, st->insn);
	if (!f)
		return -ENOMEM;
	f->cb_helper = st->insn;
	struct vreg ctx = caller[m->cb_ctx_reg > 0 ? m->cb_ctx_reg : 3];
	if (m->proto->id == BPF_FUNC_for_each_map_elem) {
		const struct vmapinfo *mi = &env->maps[m->map];
		reg_mark_ptr(&f->regs[1], VT_MAP_PTR);
		f->regs[1].map = (uint8_t)m->map;
		reg_mark_ptr(&f->regs[2], VT_MEM);
		f->regs[2].mem_size = mi->key_size;
		f->regs[2].rdonly = 1;
		reg_mark_ptr(&f->regs[3], VT_MAP_VALUE);
		f->regs[3].map = (uint8_t)m->map;
		f->regs[3].mem_size = mi->value_size;
		f->regs[4] = ctx;
	} else {
		reg_mark_unknown(&f->regs[1]);
		f->regs[1].umax = UINT32_MAX;
		reg_bounds_sync(&f->regs[1]);
		f->regs[2] = ctx;
	}
	f->regs[10].frameno = (uint8_t)(st->curframe + 1);
	st->frames[++st->curframe] = f;
	st->insn = m->callback;
	st->cb_entry = 1;
	return 0;
}

static int call_is_callback_helper(const struct helper_proto *p)
{
	for (int i = 0; i < 5; i++)
		if ((p->args[i] & 0xff) == ARG_PTR_TO_FUNC)
			return 1;
	return 0;
}

/* bpf_spin_lock: one lock at a time, released before exit, and no other
 * calls while it is held (the kernel's rules; a path that took it twice
 * would deadlock). */
static int call_check_lock(struct verifier_env *env, struct vstate *st, uint32_t id)
{
	if (id == BPF_FUNC_spin_lock) {
		if (st->lock_insn)
			return verifier_error(env, "bpf_spin_lock while the lock taken at insn %d is "
					      "still held", st->lock_insn - 1);
		st->lock_insn = st->insn + 1;
		return 0;
	}
	if (id == BPF_FUNC_spin_unlock) {
		if (!st->lock_insn)
			return verifier_error(env, "bpf_spin_unlock without a lock held");
		st->lock_insn = 0;
		return 0;
	}
	if (st->lock_insn)
		return verifier_error(env, "helper calls are not allowed while holding the lock "
				      "taken at insn %d", st->lock_insn - 1);
	return 0;
}

int verifier_check_helper(struct verifier_env *env, struct vstate *st, const struct isa_insn *in)
{
	uint32_t id = (uint32_t)in->imm;
	skep_helper_fn fn = vm_helper_lookup(env->vm, id);
	struct call_meta m = {.map = -1, .mem_reg = -1, .callback = -1};
	int err;

	if (!fn && id == SKEP_POISON_CORE)
		return verifier_error(env, "the loader could not resolve this instruction's CO-RE "
				      "relocation against the kernel's BTF (libbpf poisons it too)");
	if (!fn && id == SKEP_POISON_EXTERN)
		return verifier_error(env, "this instruction uses an extern kernel symbol (a kfunc "
				      "or __ksym), which skep does not provide");
	if (!fn)
		return verifier_error(env, "call to unknown helper %u (not registered in the VM)", id);
	m.proto = helper_proto_of(id);
	if (m.proto && m.proto->fn != fn)
		m.proto = NULL; /* replaced by the embedder: no prototype */
	if (m.proto && !call_allowed(id, env->prog_type))
		return verifier_error(env, "helper %s is not available to %s programs", m.proto->name,
				      verifier_prog_type_name(env->prog_type));
	if ((err = call_check_lock(env, st, id)))
		return err;
	if (m.proto) {
		for (int i = 0; i < 5; i++) {
			if (m.proto->args[i] == ARG_DONTCARE)
				break;
			if ((err = call_check_arg(env, st, i + 1, m.proto->args[i], &m)))
				return err;
		}
		if (m.release)
			call_release(st, m.release);
	}
	if (m.callback >= 0 && call_is_callback_helper(m.proto)) {
		env->aux[st->insn].prune = 2; /* repeats are bounded by the helper */
		env->aux[st->insn + 1].prune = 1;
		/* The path on which the helper never calls back. */
		struct vstate skip;
		if ((err = vstate_copy(&skip, st)))
			return err;
		for (int r = 1; r <= 5; r++)
			reg_mark_not_init(&vregs(&skip)[r]);
		reg_mark_unknown(&vregs(&skip)[0]);
		skip.insn = st->insn + 1;
		err = verifier_push(env, &skip);
		vstate_free(&skip);
		return err ? err : call_enter_callback(env, st, &m);
	}
	for (int r = 1; r <= 5; r++) {
		reg_mark_not_init(&vregs(st)[r]);
		vregs(st)[r].off = st->insn + 1; /* for the message of a later read */
	}
	if (hook_helper_changes_pkt_data(id))
		vstate_for_each_reg(st, pkt_invalidate, NULL); /* the packet may have moved */
	if (!m.proto) {
		reg_mark_unknown(&vregs(st)[0]);
		err = 0;
	} else {
		err = call_set_ret(env, st, &m);
	}
	st->insn++;
	return err;
}

int verifier_check_local_call(struct verifier_env *env, struct vstate *st,
			      const struct isa_insn *in)
{
	if (st->lock_insn)
		return verifier_error(env, "function calls are not allowed while holding the lock "
				      "taken at insn %d", st->lock_insn - 1);
	if (st->curframe + 1 >= V_MAX_FRAMES)
		return verifier_error(env, "call stack too deep: more than %d frames (the kernel's "
				      "limit)", V_MAX_FRAMES);
	struct vframe *f = vframe_new(in->target, st->insn);
	if (!f)
		return -ENOMEM;
	struct vreg *caller = vregs(st);
	for (int r = 1; r <= 5; r++)
		f->regs[r] = caller[r];
	f->regs[10].frameno = (uint8_t)(st->curframe + 1);
	st->frames[++st->curframe] = f;
	st->insn = in->target;
	return 0;
}

/* The kernel checks no return value for XDP, tc or socket filters (an
 * unknown XDP action aborts at run time): neither does skep, but -v says so. */
static void exit_note_range(struct verifier_env *env, const struct vreg *r0)
{
	if (env->prog_type == BPF_PROG_TYPE_XDP && (r0->type != VT_SCALAR || r0->umax > XDP_REDIRECT))
		verifier_log(env, 1, "note: r0 may be outside XDP's actions 0..4 here; the kernel "
			     "accepts this and counts an unknown action as XDP_ABORTED at run time");
}

static int exit_main(struct verifier_env *env, struct vstate *st)
{
	exit_note_range(env, &vcur(st)->regs[0]);
	if (st->nrefs)
		return verifier_error(env, "the ring buffer sample reserved at insn %d is neither "
				      "submitted nor discarded on this path", st->refs[0].insn);
	return 1;
}

/* Back from a callback: r0 must say continue (0) or stop (1); then the
 * helper may call again (walked from the call instruction) or return. */
static int exit_callback(struct verifier_env *env, struct vstate *st, struct vframe *f)
{
	const struct vreg *r0 = &f->regs[0];

	if (r0->type != VT_SCALAR || r0->umax > 1)
		return verifier_error(env, "a callback must return 0 or 1, but r0 is %s", r0->type ==
				      VT_SCALAR ? "a scalar that may be larger than 1" :
				      verifier_type_name(r0->type));
	st->curframe--;
	st->insn = f->cb_helper;
	free(f->slots);
	free(f);
	st->frames[st->curframe + 1] = NULL;
	return 0;
}

int verifier_check_exit(struct verifier_env *env, struct vstate *st)
{
	struct vframe *f = vcur(st);
	struct vreg r0 = f->regs[0];

	if (r0.type == VT_NOT_INIT)
		return verifier_error(env, "r0 is not set at exit: the %s has no return value",
				      st->curframe ? "function" : "program");
	if (st->lock_insn)
		return verifier_error(env, "exit with the lock taken at insn %d still held",
				      st->lock_insn - 1);
	if (!st->curframe)
		return exit_main(env, st);
	if (f->cb_helper >= 0)
		return exit_callback(env, st, f);
	if (r0.type == VT_STACK && r0.frameno == st->curframe)
		return verifier_error(env, "the function returns a pointer to its own stack");
	st->curframe--;
	struct vreg *caller = vregs(st);
	caller[0] = r0;
	for (int r = 1; r <= 5; r++) {
		reg_mark_not_init(&caller[r]);
		caller[r].off = f->callsite + 1;
	}
	st->insn = f->callsite + 1;
	free(f->slots);
	free(f);
	st->frames[st->curframe + 1] = NULL;
	return 0;
}
