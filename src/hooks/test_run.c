/* skep_prog_test_run: the kernel's BPF_PROG_TEST_RUN for packet programs.
 *
 * Same inputs, checks, buffers and outputs as net/bpf/test_run.c, so that a
 * program's verdict and output bytes can be compared with the kernel's byte
 * for byte.  As there, repeated runs reuse the one packet: what a run
 * changes, the next run sees.  Packets too big for one frame are multi-buffer
 * ("frags") in the kernel; skep has linear packets only and says so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/log.h"
#include "hooks/hooks.h"

/* The thread's CPU time, not the wall clock: the kernel's test run stops
 * its timer while it yields the CPU, so a busy machine does not inflate its
 * figure; skep's should not be inflated either. */
static double test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int test_unchecked(const struct skep_run_opts *ro)
{
	return ro->mode == SKEP_EXEC_INTERP || ro->mode == SKEP_EXEC_JIT;
}

/* Repeats are set up once (skep_xdp_run_each, prog_run_each), as the
 * kernel's are: a run's figure is then the program's, not skep's set-up.
 * Each repeat runs on the packet the last left. */
struct test_repeat {
	uint32_t left;
	struct skep_xdp_result res; /* XDP: the last run's */
	struct hook_run run;	    /* skb */
};

static int test_xdp_next(void *arg, struct skep_xdp_frame *f)
{
	struct test_repeat *t = arg;

	return t->left ? (t->left--, 1) : 0;
}

static void test_xdp_done(void *arg, struct skep_xdp_frame *f, const struct skep_xdp_result *res)
{
	((struct test_repeat *)arg)->res = *res;
}

static int test_skb_step(void *arg, const struct skep_run_result *prev, const uint8_t **packet,
			 size_t *packet_len)
{
	struct test_repeat *t = arg;

	if (!t->left)
		return 0;
	t->left--;
	t->run.redirect = (struct hook_redirect){0};
	hook_skb_sync(t->run.skb);
	*packet = t->run.skb->data; /* LD_ABS reads skb->data as the run starts */
	*packet_len = t->run.skb->len;
	return 1;
}

static int test_skb_repeat(struct skep_prog *prog, struct hook_skb *s, uint32_t n,
			   const struct skep_run_opts *opts, struct skep_run_result *res)
{
	struct test_repeat t = {.left = n, .run = {.kind = HOOK_SKB, .skb = s}};
	struct hook_run *outer = hook_current;
	struct skep_run_opts ro;
	int err;

	hook_run_opts(&ro, opts, (uint64_t)(uintptr_t)&s->md);
	hook_current = &t.run;
	err = prog_run_each(prog, &ro, test_skb_step, &t, res);
	hook_current = outer;
	return err;
}

/* bpf_ctx_init: a context larger than the struct must be zero beyond it. */
static int test_ctx_in(const struct skep_test_run_opts *o, void *ctx, size_t size,
		       struct skep_log *log)
{
	const uint8_t *in = o->ctx_in;

	memset(ctx, 0, size);
	if (!o->ctx_in || !o->ctx_size_in)
		return 0;
	for (size_t i = size; i < o->ctx_size_in; i++)
		if (in[i]) {
			log_printf(log, "ctx: byte %zu beyond the %zu-byte context is not zero", i,
				   size);
			return -E2BIG;
		}
	memcpy(ctx, in, o->ctx_size_in < size ? o->ctx_size_in : size);
	return 0;
}

/* bpf_test_finish / bpf_ctx_finish: copy out, -ENOSPC when it did not fit. */
static int test_copy_out(void *dst, uint32_t *dst_size, const void *src, uint32_t size)
{
	int err = 0;
	uint32_t n = size;

	if (!dst)
		return 0;
	if (*dst_size < size) {
		n = *dst_size;
		err = -ENOSPC;
	}
	memcpy(dst, src, n);
	*dst_size = size;
	return err;
}

static int test_run_xdp(struct skep_prog *prog, struct skep_test_run_opts *o,
			const struct skep_run_opts *ro, struct skep_log *log)
{
	struct xdp_md ctx;
	struct skep_xdp_frame *f = NULL;
	struct skep_xdp_result res;
	uint32_t headroom = SKEP_XDP_HEADROOM, size = o->data_size_in, meta;
	int have_ctx = o->ctx_in || o->ctx_out, err, err2;
	double t0;

	if ((err = test_ctx_in(o, &ctx, sizeof(ctx), log)))
		return err;
	if (have_ctx) {
		meta = ctx.data;
		if (ctx.data_meta || ctx.data_end != size || ctx.data > ctx.data_end ||
		    (meta & 3) || meta > HOOK_XDP_META_MAX) {
			log_printf(log, "ctx: data_meta must be 0, data_end the data size (%u) and "
					"data a metadata length (a multiple of 4 up to %d)",
				   size, HOOK_XDP_META_MAX);
			return -EINVAL;
		}
		headroom -= meta;
		if (ctx.egress_ifindex || (!ctx.ingress_ifindex && ctx.rx_queue_index)) {
			log_printf(log, "ctx: egress_ifindex must be 0, and rx_queue_index needs "
					"an ingress_ifindex");
			return -EINVAL;
		}
	} else {
		meta = 0;
	}
	if (size > SKEP_XDP_FRAME_SIZE - headroom - SKEP_XDP_TAILROOM) {
		log_printf(log, "data: %u bytes do not fit one frame (at most %u); multi-buffer "
				"frames are not supported",
			   size, SKEP_XDP_FRAME_SIZE - headroom - SKEP_XDP_TAILROOM);
		return -EOPNOTSUPP;
	}
	if (size < HOOK_ETH_HLEN || size - meta < HOOK_ETH_HLEN) {
		log_printf(log, "data: %u bytes after %u of metadata, less than an Ethernet header",
			   size - meta, meta);
		return -EINVAL;
	}
	if ((err = skep_xdp_frame_new(&f)))
		return err;
	memset(f->buf, 0, SKEP_XDP_FRAME_SIZE);
	f->data_meta = f->buf + headroom;
	memcpy(f->data_meta, o->data_in, size);
	f->data = f->data_meta + meta;
	f->data_end = f->data_meta + size;
	/* Without a device from the caller the kernel runs on loopback's queue 0. */
	f->md.ingress_ifindex = ctx.ingress_ifindex ? ctx.ingress_ifindex : 1;
	f->md.rx_queue_index = ctx.rx_queue_index;
	hook_xdp_sync(f);
	t0 = test_now_ns();
	{
		struct test_repeat t = {.left = o->repeat ? o->repeat : 1};
		if ((err = skep_xdp_run_each(prog, f, ro, test_xdp_next, test_xdp_done, &t)))
			goto out;
		res = t.res;
	}
	o->ns_per_run = (test_now_ns() - t0) / (o->repeat ? o->repeat : 1);
	o->retval = res.action;
	ctx.data = (uint32_t)(f->data - f->data_meta);
	ctx.data_end = (uint32_t)(f->data_end - f->data_meta);
	err = test_copy_out(o->data_out, &o->data_size_out, f->data_meta,
			    (uint32_t)(f->data_end - f->data_meta));
	if (have_ctx && (err2 = test_copy_out(o->ctx_out, &o->ctx_size_out, &ctx, sizeof(ctx))))
		err = err ? err : err2;
out:
	skep_xdp_frame_free(f);
	return err;
}

static int test_run_skb(struct skep_prog *prog, struct skep_test_run_opts *o, int l2,
			const struct skep_run_opts *ro, struct skep_log *log)
{
	struct __sk_buff ctx;
	struct hook_skb *s = NULL;
	struct skep_run_result res = {0};
	int have_ctx = o->ctx_in || o->ctx_out, err, err2;
	uint8_t *out;
	uint32_t out_len;
	double t0;

	if ((err = test_ctx_in(o, &ctx, sizeof(ctx), log)))
		return err;
	if (o->data_size_in < HOOK_ETH_HLEN || o->data_size_in > HOOK_SKB_TEST_MAX) {
		log_printf(log, "data: %u bytes; BPF_PROG_TEST_RUN takes %d to %d", o->data_size_in,
			   HOOK_ETH_HLEN, HOOK_SKB_TEST_MAX);
		return -EINVAL;
	}
	if ((err = hook_skb_new(&s)))
		return err;
	if ((err = hook_skb_setup(s, l2, o->data_in, o->data_size_in, have_ctx ? &ctx : NULL, log)))
		goto out;
	t0 = test_now_ns();
	if (test_unchecked(ro)) {
		if ((err = test_skb_repeat(prog, s, o->repeat ? o->repeat : 1, ro, &res)))
			goto out;
	} else {
		for (uint32_t i = 0; i < (o->repeat ? o->repeat : 1); i++)
			if ((err = hook_skb_run(prog, s, ro, &res)))
				goto out;
	}
	o->ns_per_run = (test_now_ns() - t0) / (o->repeat ? o->repeat : 1);
	o->retval = (uint32_t)res.retval;
	out = s->data;
	out_len = s->len;
	if (!l2) { /* the kernel pushes a zeroed Ethernet header back on */
		out -= HOOK_ETH_HLEN;
		out_len += HOOK_ETH_HLEN;
		memset(out, 0, HOOK_ETH_HLEN);
	}
	err = test_copy_out(o->data_out, &o->data_size_out, out, out_len);
	if (have_ctx) { /* convert_skb_to___skb */
		ctx.mark = s->md.mark;
		ctx.priority = s->md.priority;
		ctx.ingress_ifindex = s->md.ingress_ifindex;
		ctx.ifindex = s->md.ifindex;
		ctx.tstamp = s->md.tstamp;
		memcpy(ctx.cb, s->md.cb, sizeof(ctx.cb));
		ctx.wire_len = s->md.wire_len;
		ctx.gso_segs = s->md.gso_segs;
		ctx.hwtstamp = s->md.hwtstamp;
		if ((err2 = test_copy_out(o->ctx_out, &o->ctx_size_out, &ctx, sizeof(ctx))))
			err = err ? err : err2;
	}
out:
	hook_skb_free(s);
	return err;
}

int skep_prog_test_run(struct skep_prog *prog, struct skep_test_run_opts *opts)
{
	struct skep_test_run_opts o = {0};
	struct skep_log log;
	struct skep_run_opts ro = {.sz = sizeof(ro)};
	int err;

	if (!prog || !opts || opts->sz < offsetof(struct skep_test_run_opts, log_buf))
		return -EINVAL;
	memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	log = log_init(o.log_buf, o.log_size);
	ro.mode = o.mode;
	ro.cpu = o.cpu;
	if (o.sz >= offsetof(struct skep_test_run_opts, insn_budget) + sizeof(o.insn_budget))
		ro.insn_budget = o.insn_budget;
	ro.log_buf = o.log_buf;
	ro.log_size = o.log_size;
	if (!o.data_in && o.data_size_in) {
		log_printf(&log, "data_size_in without data_in");
		return -EINVAL;
	}
	switch (o.prog_type) {
	case BPF_PROG_TYPE_XDP:
		err = test_run_xdp(prog, &o, &ro, &log);
		break;
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		err = test_run_skb(prog, &o, 1, &ro, &log);
		break;
	case BPF_PROG_TYPE_SOCKET_FILTER:
		err = test_run_skb(prog, &o, 0, &ro, &log);
		break;
	default:
		log_printf(&log, "program type %u has no packet test run in skep", o.prog_type);
		err = -EOPNOTSUPP;
		break;
	}
	memcpy(opts, &o, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	return err;
}
