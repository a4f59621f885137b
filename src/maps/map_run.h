/* Maps during a run: what a program's run may touch, for the helpers and the
 * checked engines.  A checked run may only hand helpers the maps it was
 * loaded with (and inner maps it looked up), and may touch their values. */
#ifndef SKEP_MAPS_MAP_RUN_H
#define SKEP_MAPS_MAP_RUN_H

#include "core/callctx.h"

struct skep_prog;

/* Note that the run uses map m; in a checked run its values become a region
 * (read-only with BPF_F_RDONLY_PROG).  0, or -E2BIG when the context is full. */
int map_callctx_add(struct skep_call_ctx *cx, struct skep_map *m);
/* Every map the program was loaded with. */
int map_callctx_add_all(struct skep_call_ctx *cx, struct skep_prog *prog);
/* Is m a map this run may use?  (Unchecked runs trust the program.) */
int map_callctx_known(const struct skep_call_ctx *cx, const struct skep_map *m);

#endif
