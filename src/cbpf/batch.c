/* Filtering many packets at once.
 *
 * skep_prog_run() sets up every run from scratch: a call context of a few
 * kilobytes zeroed, a log, result and stack.  For a filter that runs in a few
 * nanoseconds per packet that set-up costs more than the filter.  A batch
 * sets up one environment and reuses it for every packet, calling the engine
 * through its stage interface (interp_run() of interp/interp.h, jit_run() of
 * jit/jit.h) with only the packet and its context changed between runs.
 *
 * Only the unchecked modes take this path; checked runs go packet by packet
 * through skep_prog_run(), which registers their memory regions.  The set-up
 * is skep_prog_run()'s for unchecked runs (src/core/prog.c): keep them in step.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cbpf/cbpf.h"
#include "cbpf/filter.h"
#include "core/callctx.h"
#include "core/core.h"
#include "core/log.h"
#include "isa/bpf_compat.h"
#include "jit/jit.h"

/* Packets ahead to prefetch: their first bytes are what filters read. */
#define BATCH_PREFETCH 4

struct batch {
	struct skep_cbpf_filter *f;
	const struct jit_prog *jit; /* NULL: the interpreter */
	struct interp_env env;
	struct __sk_buff skb;
};

static int batch_one(struct batch *b, const struct skep_cbpf_packet *pkt, uint32_t *verdict)
{
	struct skep_run_result res = {.fault_insn = -1};
	int err;

	if (b->f->needs_ctx)
		cbpf_skb_fill(&b->skb, sizeof(b->skb), pkt);
	b->env.cx->packet = pkt->data;
	b->env.cx->packet_len = pkt->caplen;
	if (b->jit)
		err = jit_run(b->jit, &b->env, NULL, &res);
	else
		err = interp_run(&b->f->prog->code, &b->env, &res);
	*verdict = err ? 0 : (uint32_t)res.retval;
	return err;
}

int skep_cbpf_filter_packets(struct skep_cbpf_filter *f, const struct skep_cbpf_packet *pkts,
			     size_t n, uint32_t *verdicts)
{
	_Alignas(16) uint8_t stack[SKEP_MAX_FRAMES * SKEP_STACK_SIZE];
	struct skep_log log = log_init(NULL, 0);
	struct skep_call_ctx cx = {.prog = f->prog, .log = &log};
	struct batch b = {.f = f};
	int err = 0;

	if (f->mode != SKEP_CBPF_SOCKET)
		return -EINVAL;
	if (f->exec != SKEP_EXEC_INTERP && f->exec != SKEP_EXEC_JIT) {
		for (size_t i = 0; i < n && !err; i++)
			err = skep_cbpf_filter_packet(f, &pkts[i], &verdicts[i]);
		return err;
	}
	if (f->exec == SKEP_EXEC_JIT) {
		/* compiled when the filter was made (its warm-up run) */
		b.jit = __atomic_load_n(&f->prog->jit, __ATOMIC_ACQUIRE);
		if (!b.jit)
			return -EINVAL;
	}
	memset(&b.skb, 0, sizeof(b.skb));
	b.env = (struct interp_env){
		.args = {(uint64_t)(uintptr_t)&b.skb},
		.stack = stack,
		.budget = SKEP_DEFAULT_INSN_BUDGET,
		.cx = &cx,
		.log = &log,
	};
	if (b.jit && !f->needs_ctx) {
		/* Nothing changes between packets but the packet: the loop runs
		 * in native code.  A failed run gets verdict 0, as below. */
		size_t done;
		err = jit_run_batch(b.jit, &b.env, pkts, n, sizeof(*pkts),
				    offsetof(struct skep_cbpf_packet, data),
				    offsetof(struct skep_cbpf_packet, caplen), verdicts, &done);
		if (err && done < n)
			verdicts[done] = 0;
		return err;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (i + BATCH_PREFETCH < n)
			__builtin_prefetch(pkts[i + BATCH_PREFETCH].data);
		err = batch_one(&b, &pkts[i], &verdicts[i]);
	}
	return err;
}
