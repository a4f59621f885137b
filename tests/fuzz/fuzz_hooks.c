/* libFuzzer target: arbitrary bytes as an unverified XDP, tc or socket-filter
 * program run as BPF_PROG_TEST_RUN on an arbitrary packet and context, in
 * the checked interpreter and checked native code, with a small instruction
 * budget.  Whatever the program hands the packet helpers (adjust_head/tail/
 * meta, skb bytes, checksums, redirects...), nothing may crash, hang or
 * touch memory outside the packet, the context and the stack (AddressSanitizer
 * watches).
 *
 * Input: a selector byte (bits 0-1 the program type, bit 2 a context given),
 * a packet length byte, that many packet bytes, the context (if given,
 * sizeof(struct __sk_buff) bytes, XDP using the first 24), then the slots.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skep/hooks.h"
#include "skep/skep.h"

struct fuzz_out {
	int err;
	uint32_t retval, len;
	uint8_t data[4096];
};

static void fuzz_one(struct skep_prog *p, uint32_t type, enum skep_exec_mode mode,
		     const uint8_t *pkt, uint32_t len, const void *ctx, uint32_t ctx_len,
		     struct fuzz_out *o)
{
	uint8_t ctx_out[256];
	struct skep_test_run_opts t = {
		.sz = sizeof(t), .prog_type = type, .data_in = pkt, .data_size_in = len,
		.data_out = o->data, .data_size_out = sizeof(o->data), .ctx_in = ctx,
		.ctx_size_in = ctx_len, .ctx_out = ctx ? ctx_out : NULL,
		.ctx_size_out = ctx ? sizeof(ctx_out) : 0, .mode = mode, .insn_budget = 2000,
	};

	o->err = skep_prog_test_run(p, &t);
	o->retval = t.retval;
	o->len = t.data_size_out < sizeof(o->data) ? t.data_size_out : sizeof(o->data);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const uint32_t types[] = {BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS,
					 BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP};
	static struct skep_vm *vm;
	static struct fuzz_out a, b;
	struct __sk_buff ctx;
	struct skep_prog *p;
	uint32_t type, len, ctx_len = 0;
	const uint8_t *pkt;
	size_t at = 2;

	if (n < 2)
		return 0;
	if (!vm)
		vm = skep_vm_new();
	type = types[d[0] & 3];
	len = d[1];
	if (at + len > n)
		return 0;
	pkt = d + at;
	at += len;
	if (d[0] & 4) {
		ctx_len = type == BPF_PROG_TYPE_XDP ? (uint32_t)sizeof(struct xdp_md)
						    : (uint32_t)sizeof(ctx);
		if (at + ctx_len > n)
			return 0;
		memcpy(&ctx, d + at, ctx_len);
		at += ctx_len;
	}
	if ((n - at) % 8)
		return 0;
	/* bpf_spin_lock on a word that is not a free lock spins for ever, checked
	 * or not (the verifier is what keeps programs from it): not this target's
	 * business. */
	for (size_t i = at; i + 8 <= n; i += 8) {
		int32_t imm;
		memcpy(&imm, d + i + 4, 4);
		if (d[i] == (BPF_JMP | BPF_CALL) && (imm == BPF_FUNC_spin_lock || imm == BPF_FUNC_spin_unlock))
			return 0;
	}
	if (skep_prog_load(vm, (const struct skep_insn *)(d + at), (n - at) / 8, NULL, &p))
		return 0;
	fuzz_one(p, type, SKEP_EXEC_CHECKED, pkt, len, ctx_len ? &ctx : NULL, ctx_len, &a);
	fuzz_one(p, type, SKEP_EXEC_JIT_CHECKED, pkt, len, ctx_len ? &ctx : NULL, ctx_len, &b);
	/* No comparison of the two: an unverified program may read registers
	 * it never set, or compute with the addresses of a context and frame
	 * that each run allocates anew. */
	skep_prog_free(p);
	return 0;
}
