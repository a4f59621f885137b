/* Helpers that call back into the program: bpf_loop and
 * bpf_for_each_map_elem.  A callback returning 1 stops the iteration;
 * both return how many times the callback ran. */
#include <errno.h>
#include <string.h>

#include "core/callback.h"
#include "helpers/helpers.h"
#include "maps/map.h"

#define LOOP_MAX (1u << 23) /* the kernel's BPF_MAX_LOOPS */

HELPER_FN(loop)
{
	uint64_t args[5] = {0, r3}, ret, i;

	if (r4)
		return (uint64_t)-EINVAL;
	if (r1 > LOOP_MAX)
		return (uint64_t)-E2BIG;
	for (i = 0; i < r1; i++) {
		args[0] = i;
		if (callback_call(cx, r2, args, &ret))
			return 0;
		if (ret)
			return i + 1;
	}
	return i;
}

struct each_arg {
	struct skep_call_ctx *cx;
	uint64_t fn, ctx;
	int err;
	/* the key the callback sees: a copy it may read, in checked runs too */
	_Alignas(8) uint8_t key[512];
};

static int each_one(struct skep_map *m, void *key, void *value, void *arg)
{
	struct each_arg *e = arg;
	uint64_t args[5] = {(uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)e->key,
			    (uint64_t)(uintptr_t)value, e->ctx}, ret = 0;

	memcpy(e->key, key, m->key_size);
	if (callback_call(e->cx, e->fn, args, &ret)) {
		e->err = 1;
		return 1;
	}
	return ret != 0;
}

HELPER_FN(for_each_map_elem)
{
	struct skep_map *m = helper_map(cx, r1, "bpf_for_each_map_elem");
	struct each_arg e = {cx, r2, r3, 0, {0}};
	long n;

	if (!m)
		return 0;
	if (r4)
		return (uint64_t)-EINVAL;
	if (!m->ops->for_each || m->key_size > sizeof(e.key))
		return (uint64_t)-EINVAL;
	if (cx->checked && skep_call_ctx_add_region(cx, e.key, sizeof(e.key), 0, "callback key"))
		return helper_abort(cx, -E2BIG, "bpf_for_each_map_elem: too many memory regions");
	n = m->ops->for_each(m, cx->cpu, each_one, &e);
	if (cx->checked) /* the key copy goes away with this frame */
		for (size_t i = cx->nr_regions; i-- > 0;)
			if (cx->regions[i].addr == e.key) {
				cx->regions[i] = cx->regions[--cx->nr_regions];
				break;
			}
	return e.err ? 0 : (uint64_t)n;
}
