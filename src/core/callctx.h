/* The state a running program shares with the helpers it calls.
 *
 * Both execution engines (interpreter and JIT) hand a pointer to this to every
 * helper as its sixth argument.  In checked mode it also holds the memory
 * regions the program may touch: the caller's, the stack, and whatever
 * helpers returned during the run.
 */
#ifndef SKEP_CORE_CALLCTX_H
#define SKEP_CORE_CALLCTX_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

#define CALLCTX_MAX_REGIONS 64
#define CALLCTX_MAX_MAPS 64

struct interp_code;
struct skep_log;
struct skep_map;

/* What the engine must do when a helper returns (cx->pending). */
enum callctx_pending {
	CALLCTX_NONE,
	CALLCTX_TAIL_CALL, /* bpf_tail_call succeeded: go on in tail_code from insn 0 */
	CALLCTX_ABORT,     /* stop the run with abort_err (the log says why) */
};

struct skep_call_ctx {
	struct skep_prog *prog; /* the running program (a tail call changes it) */
	void *user;
	uint32_t cpu;
	size_t nr_regions;
	struct skep_region regions[CALLCTX_MAX_REGIONS];

	/* Maps, tail calls and callbacks (src/maps, src/helpers). */
	int checked;          /* checked run: helpers check every pointer they get */
	struct skep_log *log; /* where helpers explain why they stopped a run */
	int pending;          /* enum callctx_pending, checked after each helper call */
	int abort_err;
	const struct interp_code *tail_code;
	uint32_t tail_calls;
	uint64_t rng; /* bpf_get_prandom_u32's state; 0 until first used */
	/* What legacy LD_ABS/LD_IND read: the runner sets it, and a helper that
	 * moves the packet (skb_change_head, skb_pull_data...) moves it too, so
	 * later loads read the packet as it is then, as in the kernel. */
	const uint8_t *packet;
	size_t packet_len;
	/* Maps the run may use (checked runs: the only valid map pointers, their
	 * values already in regions); ring buffers with reserved samples. */
	size_t nr_maps;
	struct skep_map *maps[CALLCTX_MAX_MAPS];
};

/* A context for one run.  The region and map tables (2.5 KiB) are left
 * uninitialised, only their counts zeroed: clearing them would cost every
 * run more than a small program takes. */
static inline void callctx_init(struct skep_call_ctx *cx, struct skep_prog *prog, void *user,
				uint32_t cpu, struct skep_log *log)
{
	cx->prog = prog;
	cx->user = user;
	cx->cpu = cpu;
	cx->nr_regions = 0;
	cx->checked = 0;
	cx->log = log;
	cx->pending = CALLCTX_NONE;
	cx->abort_err = 0;
	cx->tail_code = NULL;
	cx->tail_calls = 0;
	cx->rng = 0;
	cx->nr_maps = 0;
	cx->packet = NULL;
	cx->packet_len = 0;
}

#endif
