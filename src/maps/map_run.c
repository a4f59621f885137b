/* Maps during a run (see map_run.h). */
#include <errno.h>

#include "core/core.h"
#include "maps/map.h"
#include "maps/map_run.h"

int map_callctx_add(struct skep_call_ctx *cx, struct skep_map *m)
{
	void *addr;
	size_t size;

	if (map_callctx_known(cx, m))
		return 0;
	if (cx->nr_maps >= CALLCTX_MAX_MAPS)
		return -E2BIG;
	if (cx->checked) {
		map_values_region(m, &addr, &size);
		if (size && skep_call_ctx_add_region(cx, addr, size, !map_prog_rdonly(m),
						     m->name[0] ? m->name : "map"))
			return -E2BIG;
	}
	cx->maps[cx->nr_maps++] = m;
	return 0;
}

int map_callctx_add_all(struct skep_call_ctx *cx, struct skep_prog *prog)
{
	for (size_t i = 0; i < prog->nr_maps; i++) {
		int err = prog->maps[i] ? map_callctx_add(cx, prog->maps[i]) : 0;
		if (err)
			return err;
	}
	return 0;
}

int map_callctx_known(const struct skep_call_ctx *cx, const struct skep_map *m)
{
	for (size_t i = 0; i < cx->nr_maps; i++)
		if (cx->maps[i] == m)
			return 1;
	return 0;
}
