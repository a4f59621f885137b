/* Helpers that work on maps: elements, queues and stacks, tail calls through
 * a PROG_ARRAY, spin locks in values, and ring buffer samples.
 *
 * A program's map argument is the struct skep_map * an lddw loaded (or a
 * map-in-map lookup returned).  Per-CPU maps use the slot of the CPU the run
 * was given (skep_run_opts.cpu).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "maps/map.h"
#include "maps/map_run.h"

#define MAX_TAIL_CALLS 33 /* the kernel's MAX_TAIL_CALL_CNT */

HELPER_FN(map_lookup_elem)
{
	struct skep_map *m = helper_map(cx, r1, "bpf_map_lookup_elem");
	void *v;

	if (!m || !helper_mem(cx, r2, m->key_size, 0, "bpf_map_lookup_elem", "r2 (key)"))
		return 0;
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY)
		return 0;
	v = m->ops->lookup(m, (const void *)(uintptr_t)r2, cx->cpu);
	/* An inner map becomes one the run may use (and, checked, touch). */
	if (v && cx->checked && map_is_obj_holder(m->type) &&
	    map_callctx_add(cx, v))
		return helper_abort(cx, -E2BIG, "bpf_map_lookup_elem: too many maps in one run");
	return (uint64_t)(uintptr_t)v;
}

HELPER_FN(map_lookup_percpu_elem)
{
	struct skep_map *m = helper_map(cx, r1, "bpf_map_lookup_percpu_elem");

	if (!m || !helper_mem(cx, r2, m->key_size, 0, "bpf_map_lookup_percpu_elem", "r2 (key)"))
		return 0;
	if (!map_is_percpu(m->type) || r3 >= m->nr_cpus)
		return 0;
	return (uint64_t)(uintptr_t)m->ops->lookup(m, (const void *)(uintptr_t)r2, (uint32_t)r3);
}

HELPER_FN(map_update_elem)
{
	struct skep_map *m = helper_map(cx, r1, "bpf_map_update_elem");

	if (!m || !helper_mem(cx, r2, m->key_size, 0, "bpf_map_update_elem", "r2 (key)") ||
	    !helper_mem(cx, r3, m->value_size, 0, "bpf_map_update_elem", "r3 (value)"))
		return 0;
	if (m->flags & BPF_F_RDONLY_PROG)
		return (uint64_t)-EPERM;
	if (!m->ops->update || map_is_obj_holder(m->type))
		return (uint64_t)-EINVAL;
	if ((r4 & BPF_F_LOCK) && m->lock_off < 0)
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)m->ops->update(m, (const void *)(uintptr_t)r2,
						 (const void *)(uintptr_t)r3, r4, cx->cpu);
}

HELPER_FN(map_delete_elem)
{
	struct skep_map *m = helper_map(cx, r1, "bpf_map_delete_elem");

	if (!m || !helper_mem(cx, r2, m->key_size, 0, "bpf_map_delete_elem", "r2 (key)"))
		return 0;
	if (m->flags & BPF_F_RDONLY_PROG)
		return (uint64_t)-EPERM;
	return (uint64_t)(int64_t)m->ops->delete_elem(m, (const void *)(uintptr_t)r2);
}

HELPER_FN(map_push_elem)
{
	struct skep_map *m = helper_map(cx, r1, "bpf_map_push_elem");

	if (!m || !helper_mem(cx, r2, m->value_size, 0, "bpf_map_push_elem", "r2 (value)"))
		return 0;
	if (!m->ops->push)
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)m->ops->push(m, (const void *)(uintptr_t)r2, r3);
}

static uint64_t helper_pop_common(struct skep_call_ctx *cx, uint64_t r1, uint64_t r2, int remove,
				  const char *name)
{
	struct skep_map *m = helper_map(cx, r1, name);
	int bloom;

	if (!m)
		return 0;
	/* A bloom filter's peek reads the value it asks about. */
	bloom = m->type == BPF_MAP_TYPE_BLOOM_FILTER;
	if (!helper_mem(cx, r2, m->value_size, !bloom, name, "r2 (value)"))
		return 0;
	if (!m->ops->pop)
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)m->ops->pop(m, (void *)(uintptr_t)r2, remove);
}

HELPER_FN(map_pop_elem)
{
	return helper_pop_common(cx, r1, r2, 1, "bpf_map_pop_elem");
}

HELPER_FN(map_peek_elem)
{
	return helper_pop_common(cx, r1, r2, 0, "bpf_map_peek_elem");
}

/* Only the interpreter honours cx->pending so far; the target's code replaces
 * the running program's (see interp.c), keeping r1 and the stack frame. */
HELPER_FN(tail_call)
{
	struct skep_map *m = helper_map(cx, r2, "bpf_tail_call");
	uint32_t idx = (uint32_t)r3;
	struct skep_prog *target;

	if (!m)
		return 0;
	if (m->type != BPF_MAP_TYPE_PROG_ARRAY)
		return (uint64_t)-EINVAL;
	if (idx >= m->max_entries || cx->tail_calls >= MAX_TAIL_CALLS)
		return (uint64_t)-ENOENT;
	target = m->ops->lookup(m, &idx, 0);
	if (!target)
		return (uint64_t)-ENOENT;
	if (cx->checked && map_callctx_add_all(cx, target))
		return helper_abort(cx, -E2BIG, "bpf_tail_call: too many maps in one run");
	cx->tail_calls++;
	cx->prog = target;
	cx->tail_code = &target->code;
	cx->pending = CALLCTX_TAIL_CALL;
	return 0;
}

/* Attempts at a held lock before a checked run gives up (a fraction of a
 * second: programs hold these locks for a few instructions). */
#define CHECKED_LOCK_TRIES (1ul << 18)

HELPER_FN(spin_lock)
{
	if (!helper_mem(cx, r1, 4, 1, "bpf_spin_lock", "r1 (lock)"))
		return 0;
	if (!cx->checked) {
		map_spin_lock((uint32_t *)(uintptr_t)r1);
		return 0;
	}
	/* Unverified: the word may be no lock at all, or one this run holds
	 * already; stop rather than spin for ever. */
	if (map_spin_lock_bounded((uint32_t *)(uintptr_t)r1, CHECKED_LOCK_TRIES))
		return helper_abort(cx, -EDEADLK,
				    "bpf_spin_lock: the word at 0x%" PRIx64
				    " stays taken (locked twice, never released, or not a lock)",
				    r1);
	return 0;
}

HELPER_FN(spin_unlock)
{
	if (!helper_mem(cx, r1, 4, 1, "bpf_spin_unlock", "r1 (lock)"))
		return 0;
	map_spin_unlock((uint32_t *)(uintptr_t)r1);
	return 0;
}

static struct skep_map *helper_ringbuf(struct skep_call_ctx *cx, uint64_t r, const char *name)
{
	struct skep_map *m = helper_map(cx, r, name);

	if (m && m->type != BPF_MAP_TYPE_RINGBUF) {
		helper_abort(cx, -EINVAL, "%s: the map is not a ring buffer", name);
		return NULL;
	}
	return m;
}

HELPER_FN(ringbuf_output)
{
	struct skep_map *m = helper_ringbuf(cx, r1, "bpf_ringbuf_output");
	void *sample;

	if (!m || !helper_mem(cx, r2, r3, 0, "bpf_ringbuf_output", "r2 (data)"))
		return 0;
	if (r4 & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return (uint64_t)-EINVAL;
	sample = map_ringbuf_reserve(m, r3);
	if (!sample)
		return (uint64_t)-EAGAIN;
	memcpy(sample, (const void *)(uintptr_t)r2, r3);
	map_ringbuf_commit(m, sample, 0, r4);
	return 0;
}

HELPER_FN(ringbuf_reserve)
{
	struct skep_map *m = helper_ringbuf(cx, r1, "bpf_ringbuf_reserve");

	if (!m || r3)
		return 0;
	/* Remember the ring: submit and discard get only the sample. */
	if (map_callctx_add(cx, m))
		return helper_abort(cx, -E2BIG, "bpf_ringbuf_reserve: too many maps in one run");
	return (uint64_t)(uintptr_t)map_ringbuf_reserve(m, r2);
}

static uint64_t helper_ringbuf_commit(struct skep_call_ctx *cx, uint64_t sample, uint64_t flags,
				      int discard, const char *name)
{
	for (size_t i = 0; i < cx->nr_maps; i++) {
		if (map_ringbuf_owns(cx->maps[i], (const void *)(uintptr_t)sample)) {
			map_ringbuf_commit(cx->maps[i], (void *)(uintptr_t)sample, discard, flags);
			return 0;
		}
	}
	return helper_abort(cx, -EINVAL, "%s: 0x%llx is not a reserved ring buffer sample", name,
			    (unsigned long long)sample);
}

HELPER_FN(ringbuf_submit)
{
	return helper_ringbuf_commit(cx, r1, r2, 0, "bpf_ringbuf_submit");
}

HELPER_FN(ringbuf_discard)
{
	return helper_ringbuf_commit(cx, r1, r2, 1, "bpf_ringbuf_discard");
}

HELPER_FN(ringbuf_query)
{
	struct skep_map *m = helper_ringbuf(cx, r1, "bpf_ringbuf_query");

	return m ? map_ringbuf_query(m, r2) : 0;
}

HELPER_FN(perf_event_output)
{
	struct skep_map *m = helper_map(cx, r2, "bpf_perf_event_output");

	if (!m || !helper_mem(cx, r4, r5, 0, "bpf_perf_event_output", "r4 (data)"))
		return 0;
	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return helper_abort(cx, -EINVAL, "bpf_perf_event_output: not a perf event array");
	return (uint64_t)(int64_t)map_perf_output(m, r3, cx->cpu, (const void *)(uintptr_t)r4, r5);
}
