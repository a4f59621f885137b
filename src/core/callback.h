/* Callbacks: a helper (bpf_loop, bpf_for_each_map_elem) running a function
 * of the program that called it, in the same engine mode, on a stack of its
 * own, and returning its r0. */
#ifndef SKEP_CORE_CALLBACK_H
#define SKEP_CORE_CALLBACK_H

#include <stdint.h>

#include "core/callctx.h"

/* fn: the callback's address as lddw src 4 gave it.  0 with *ret = r0, or a
 * negative errno after which the helper must return at once: the run stops
 * (cx->pending is CALLCTX_ABORT) with the reason in the log. */
int callback_call(struct skep_call_ctx *cx, uint64_t fn, const uint64_t args[5], uint64_t *ret);

#endif
