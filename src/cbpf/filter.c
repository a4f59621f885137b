/* A cBPF filter ready to run: checked, converted and loaded once, then run
 * per packet (socket filters) or per system call (seccomp filters) in the
 * interpreter or the JIT.
 *
 * Each run builds its context on the caller's stack, so one filter may run
 * on many threads at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/cbpf.h"
#include "cbpf/filter.h"
#include "core/core.h"
#include "core/log.h"
#include "isa/bpf_compat.h"

/* bpf_get_prandom_u32 for SKF_AD_RANDOM, when the VM has none of its own:
 * xorshift32 per thread, seeded from the thread's address. */
static uint64_t cbpf_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 struct skep_call_ctx *cx)
{
	static __thread uint32_t state;

	if (!state)
		state = (uint32_t)(uintptr_t)&state | 1;
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

/* Does the program load from its context (r6)?  Most tcpdump filters do not:
 * their packets' contexts then need no filling. */
static int cbpf_reads_ctx(const struct skep_insn *insns, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (BPF_CLASS(insns[i].code) == BPF_LDX && insns[i].src_reg == 6)
			return 1;
	return 0;
}

static int cbpf_calls(const struct skep_insn *insns, size_t len, int32_t id)
{
	for (size_t i = 0; i < len; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].imm == id)
			return 1;
	return 0;
}

static int cbpf_filter_run(struct skep_cbpf_filter *f, void *ctx, size_t ctx_size,
			   const void *packet, size_t packet_len, uint32_t *verdict,
			   const struct skep_cbpf_opts *log_to)
{
	struct skep_region region = {ctx, ctx_size, 0, "ctx"};
	struct skep_run_opts ro = {
		.sz = sizeof(ro),
		.args = {(uint64_t)(uintptr_t)ctx},
		.regions = &region,
		.nr_regions = 1,
		.packet = packet,
		.packet_len = packet_len,
		.mode = f->exec,
		.log_buf = log_to ? log_to->log_buf : NULL,
		.log_size = log_to ? log_to->log_size : 0,
	};
	struct skep_run_result res;
	int err = skep_prog_run(f->prog, &ro, &res);

	*verdict = err ? 0 : (uint32_t)res.retval;
	return err;
}

/* Run once on an empty context (no packet: any load ends the filter), so
 * that the JIT compiles now and says now if it cannot take the program. */
static int cbpf_filter_warm(struct skep_cbpf_filter *f, const struct skep_cbpf_opts *o)
{
	uint8_t ctx[256] = {0};
	uint32_t v;

	if (f->exec != SKEP_EXEC_JIT && f->exec != SKEP_EXEC_JIT_CHECKED)
		return 0;
	return cbpf_filter_run(f, ctx, sizeof(ctx), NULL, 0, &v, o);
}

int skep_cbpf_filter_new(struct skep_vm *vm, const struct skep_cbpf_insn *insns, size_t len,
			 const struct skep_cbpf_opts *opts, struct skep_cbpf_filter **out)
{
	static const struct skep_cbpf_opts none = {.sz = sizeof(none)};
	const struct skep_cbpf_opts *o = opts ? opts : &none;
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = o->log_buf, .log_size = o->log_size};
	struct skep_cbpf_filter *f;
	struct skep_insn *ebpf = NULL;
	size_t n = 0;
	int err;

	*out = NULL;
	err = skep_cbpf_convert(insns, len, o, &ebpf, &n);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (!f) {
		free(ebpf);
		return -ENOMEM;
	}
	f->mode = o->mode;
	f->exec = o->exec;
	f->needs_ctx = cbpf_reads_ctx(ebpf, n);
	if (cbpf_calls(ebpf, n, BPF_FUNC_get_prandom_u32) &&
	    !skep_vm_helper_name(vm, BPF_FUNC_get_prandom_u32))
		err = skep_vm_register_helper(vm, BPF_FUNC_get_prandom_u32, "get_prandom_u32",
					      cbpf_prandom_u32);
	if (!err)
		err = skep_prog_load(vm, ebpf, n, &lo, &f->prog);
	if (!err) {
		/* socket filters run packet after packet (skep_cbpf_filter_packets) */
		f->prog->jit_batch = f->mode == SKEP_CBPF_SOCKET;
		err = cbpf_filter_warm(f, o);
	}
	free(ebpf);
	if (err) {
		skep_cbpf_filter_free(f);
		return err;
	}
	*out = f;
	return 0;
}

void skep_cbpf_filter_free(struct skep_cbpf_filter *f)
{
	if (!f)
		return;
	skep_prog_free(f->prog);
	free(f);
}

struct skep_prog *skep_cbpf_filter_prog(const struct skep_cbpf_filter *f)
{
	return f->prog;
}

int skep_cbpf_filter_packet(struct skep_cbpf_filter *f, const struct skep_cbpf_packet *pkt,
			    uint32_t *verdict)
{
	struct __sk_buff skb;

	if (f->mode != SKEP_CBPF_SOCKET) {
		*verdict = 0;
		return -EINVAL;
	}
	if (f->needs_ctx)
		cbpf_skb_fill(&skb, sizeof(skb), pkt);
	return cbpf_filter_run(f, &skb, sizeof(skb), pkt->data, pkt->caplen, verdict, NULL);
}

int skep_cbpf_filter_seccomp(struct skep_cbpf_filter *f, const struct skep_seccomp_data *sd,
			     uint32_t *action)
{
	struct skep_seccomp_data copy = *sd;

	if (f->mode != SKEP_CBPF_SECCOMP) {
		*action = 0;
		return -EINVAL;
	}
	return cbpf_filter_run(f, &copy, sizeof(copy), NULL, 0, action, NULL);
}
