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

struct skep_call_ctx {
	struct skep_prog *prog;
	void *user;
	uint32_t cpu;
	size_t nr_regions;
	struct skep_region regions[CALLCTX_MAX_REGIONS];
};

#endif
