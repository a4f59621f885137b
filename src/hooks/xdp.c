/* XDP: the frame (struct xdp_md over a page of low memory), running a
 * program on it, and the helpers that move its edges.
 *
 * The frame is laid out as the kernel's BPF_PROG_TEST_RUN lays it out: a
 * 4 KiB page whose first 256 bytes are headroom (the first 40 of them the
 * kernel's struct xdp_frame, which nothing may overwrite) and whose last 320
 * are the skb_shared_info tailroom.  data_meta <= data <= data_end inside.
 * The limits and error codes of bpf_xdp_adjust_head/_tail/_meta are those of
 * net/core/filter.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "helpers/helpers.h"
#include "hooks/hook_helpers.h"
#include "hooks/hooks.h"
#include "maps/map.h"

int skep_xdp_frame_new(struct skep_xdp_frame **out)
{
	struct skep_xdp_frame *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->buf = hook_lowmem_alloc(SKEP_XDP_FRAME_SIZE);
	if (!f->buf) {
		free(f);
		return -ENOMEM;
	}
	f->data_meta = f->data = f->data_end = f->buf + SKEP_XDP_HEADROOM;
	hook_xdp_sync(f);
	*out = f;
	return 0;
}

void skep_xdp_frame_free(struct skep_xdp_frame *f)
{
	if (!f)
		return;
	hook_lowmem_free(f->buf, SKEP_XDP_FRAME_SIZE);
	free(f);
}

void hook_xdp_sync(struct skep_xdp_frame *f)
{
	f->md.data = (uint32_t)(uintptr_t)f->data;
	f->md.data_end = (uint32_t)(uintptr_t)f->data_end;
	f->md.data_meta = (uint32_t)(uintptr_t)f->data_meta;
}

int skep_xdp_frame_set(struct skep_xdp_frame *f, const void *data, size_t len,
		       uint32_t ingress_ifindex, uint32_t rx_queue_index)
{
	if (len < HOOK_ETH_HLEN || len > SKEP_XDP_MAX_DATA)
		return -EINVAL;
	f->data_meta = f->data = f->buf + SKEP_XDP_HEADROOM;
	f->data_end = f->data + len;
	memcpy(f->data, data, len);
	f->md.ingress_ifindex = ingress_ifindex;
	f->md.rx_queue_index = rx_queue_index;
	f->md.egress_ifindex = 0;
	hook_xdp_sync(f);
	return 0;
}

/* What a run left: its verdict and the frame as the program left it. */
static void xdp_result(const struct skep_xdp_frame *f, const struct hook_run *run,
		       uint64_t retval, struct skep_xdp_result *res)
{
	res->action = (uint32_t)retval;
	res->data = f->data;
	res->len = (uint32_t)(f->data_end - f->data);
	res->meta_len = (uint32_t)(f->data - f->data_meta);
	res->redirect = res->action == XDP_REDIRECT ? run->redirect.kind : SKEP_REDIRECT_NONE;
	res->redirect_target = run->redirect.target;
	res->redirect_key = run->redirect.key;
	res->redirect_map = run->redirect.map;
}

int skep_xdp_run(struct skep_prog *prog, struct skep_xdp_frame *f,
		 const struct skep_run_opts *opts, struct skep_xdp_result *res)
{
	struct skep_run_opts ro;
	struct hook_run run = {.kind = HOOK_XDP, .xdp = f};
	struct hook_run *outer = hook_current;
	struct skep_run_result r;
	int err;

	/* Field by field: a whole-struct copy per packet costs more than a
	 * small program's run. */
	hook_run_opts(&ro, opts, (uint64_t)(uintptr_t)&f->md);
	if (ro.mode == SKEP_EXEC_CHECKED || ro.mode == SKEP_EXEC_JIT_CHECKED) {
		f->regions[0] = (struct skep_region){&f->md, sizeof(f->md), 0, hook_region_ctx};
		f->regions[1] = (struct skep_region){f->data_meta, (size_t)(f->data_end - f->data_meta),
						     1, hook_region_packet};
		ro.regions = f->regions;
		ro.nr_regions = 2;
	} else {
		ro.regions = NULL;
		ro.nr_regions = 0;
	}
	hook_xdp_sync(f);
	hook_current = &run;
	err = skep_prog_run(prog, &ro, &r);
	hook_current = outer;
	if (err)
		return err;
	xdp_result(f, &run, r.retval, res);
	return 0;
}

/* skep_xdp_run_each: the caller's callbacks around prog_run_each(). */
struct xdp_each {
	struct hook_run run;
	int (*next)(void *arg, struct skep_xdp_frame *f);
	void (*done)(void *arg, struct skep_xdp_frame *f, const struct skep_xdp_result *res);
	void *arg;
	int err; /* what next() ended with, if it was an error */
};

static int xdp_each_step(void *p, const struct skep_run_result *prev, const uint8_t **packet,
			 size_t *packet_len)
{
	struct xdp_each *x = p;
	struct skep_xdp_frame *f = x->run.xdp;
	struct skep_xdp_result res;
	int more;

	if (prev) {
		xdp_result(f, &x->run, prev->retval, &res);
		x->done(x->arg, f, &res);
	}
	if ((more = x->next(x->arg, f)) <= 0) {
		x->err = more;
		return 0;
	}
	x->run.redirect = (struct hook_redirect){0};
	hook_xdp_sync(f);
	return 1;
}

/* Checked runs register the frame's regions: each goes through skep_xdp_run. */
static int xdp_each_checked(struct skep_prog *prog, struct skep_xdp_frame *f,
			    const struct skep_run_opts *opts, struct xdp_each *x)
{
	struct skep_xdp_result res;
	int more, err;

	while ((more = x->next(x->arg, f)) > 0) {
		if ((err = skep_xdp_run(prog, f, opts, &res)))
			return err;
		x->done(x->arg, f, &res);
	}
	return more;
}

int skep_xdp_run_each(struct skep_prog *prog, struct skep_xdp_frame *f,
		      const struct skep_run_opts *opts,
		      int (*next)(void *arg, struct skep_xdp_frame *f),
		      void (*done)(void *arg, struct skep_xdp_frame *f,
				   const struct skep_xdp_result *res),
		      void *arg)
{
	struct xdp_each x = {.run = {.kind = HOOK_XDP, .xdp = f}, next, done, arg, 0};
	struct hook_run *outer = hook_current;
	struct skep_run_opts ro;
	struct skep_run_result r;
	int err;

	if (!prog || !f || !next || !done)
		return -EINVAL;
	hook_run_opts(&ro, opts, (uint64_t)(uintptr_t)&f->md);
	if (ro.mode != SKEP_EXEC_INTERP && ro.mode != SKEP_EXEC_JIT)
		return xdp_each_checked(prog, f, opts, &x);
	hook_current = &x.run;
	err = prog_run_each(prog, &ro, xdp_each_step, &x, &r);
	hook_current = outer;
	return err ? err : x.err;
}

struct skep_xdp_frame *hook_xdp_of(uint64_t r1, struct skep_call_ctx *cx, const char *helper)
{
	struct hook_run *run = hook_current;

	if (run && run->kind == HOOK_XDP && r1 == (uint64_t)(uintptr_t)&run->xdp->md)
		return run->xdp;
	helper_abort(cx, -EINVAL, "%s: r1 is not the context of an XDP run", helper);
	return NULL;
}

/* The packet moved: the UAPI fields and a checked run's region follow. */
static void xdp_moved(struct skep_xdp_frame *f, struct skep_call_ctx *cx)
{
	hook_xdp_sync(f);
	hook_region_move(cx, f->data_meta, (size_t)(f->data_end - f->data_meta));
}

/* Addresses as integers: the bounds are checked before any pointer is made. */
#define XA(p) ((intptr_t)(uintptr_t)(p))

HELPER_FN(xdp_adjust_head)
{
	struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_xdp_adjust_head");
	intptr_t off = (int32_t)r2, metalen, data;

	if (!f)
		return 0;
	metalen = f->data - f->data_meta;
	data = XA(f->data) + off;
	if (data < XA(f->buf) + HOOK_XDP_FRAME_HDR + metalen || data > XA(f->data_end) - HOOK_ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (metalen)
		memmove(f->data_meta + off, f->data_meta, (size_t)metalen);
	f->data_meta += off;
	f->data += off;
	xdp_moved(f, cx);
	return 0;
}

HELPER_FN(xdp_adjust_tail)
{
	struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_xdp_adjust_tail");
	intptr_t off = (int32_t)r2, end;

	if (!f)
		return 0;
	end = XA(f->data_end) + off;
	if (end > XA(f->buf) + SKEP_XDP_FRAME_SIZE - SKEP_XDP_TAILROOM)
		return (uint64_t)-EINVAL;
	if (end < XA(f->data) + HOOK_ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (off > 0) /* the kernel clears what it reveals */
		memset(f->data_end, 0, (size_t)off);
	f->data_end += off;
	xdp_moved(f, cx);
	return 0;
}

HELPER_FN(xdp_adjust_meta)
{
	struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_xdp_adjust_meta");
	intptr_t off = (int32_t)r2, meta, metalen;

	if (!f)
		return 0;
	meta = XA(f->data_meta) + off;
	if (meta < XA(f->buf) + HOOK_XDP_FRAME_HDR || meta > XA(f->data))
		return (uint64_t)-EINVAL;
	metalen = XA(f->data) - meta;
	if ((metalen & 3) || metalen > HOOK_XDP_META_MAX)
		return (uint64_t)-EACCES;
	f->data_meta += off;
	xdp_moved(f, cx);
	return 0;
}

HELPER_FN(xdp_get_buff_len)
{
	struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_xdp_get_buff_len");

	return f ? (uint64_t)(f->data_end - f->data) : 0;
}

/* bpf_redirect: one id, two helpers in the kernel (XDP's and tc's). */
HELPER_FN(redirect)
{
	struct hook_run *run = hook_current;

	if (!run)
		return helper_abort(cx, -EINVAL, "bpf_redirect: not in a packet program's run");
	if (run->kind == HOOK_XDP) {
		if (r2)
			return XDP_ABORTED;
		run->redirect = (struct hook_redirect){SKEP_REDIRECT_IFINDEX, (uint32_t)r1, 0, 0, NULL};
		return XDP_REDIRECT;
	}
	if (r2 & ~(uint64_t)BPF_F_INGRESS)
		return TC_ACT_SHOT;
	run->redirect = (struct hook_redirect){SKEP_REDIRECT_IFINDEX, (uint32_t)r1, 0, r2, NULL};
	return TC_ACT_REDIRECT;
}

/* The action bits of bpf_redirect_map's flags: what to return when the
 * lookup misses (XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX). */
#define XDP_ACTION_MASK 3ull

HELPER_FN(redirect_map)
{
	struct hook_run *run = hook_current;
	struct skep_map *m = helper_map(cx, r1, "bpf_redirect_map");
	uint64_t mask = 0;
	uint32_t key = (uint32_t)r2, target;
	const uint8_t *v;
	enum skep_redirect_kind kind;

	if (!m)
		return 0;
	if (!run || run->kind != HOOK_XDP)
		return helper_abort(cx, -EINVAL, "bpf_redirect_map: not in an XDP run");
	switch (m->type) {
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
		mask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
		kind = SKEP_REDIRECT_IFINDEX;
		break;
	case BPF_MAP_TYPE_CPUMAP:
		kind = SKEP_REDIRECT_CPU;
		break;
	default:
		return XDP_ABORTED; /* the verifier refuses other maps */
	}
	if (r3 & ~(XDP_ACTION_MASK | mask))
		return XDP_ABORTED;
	v = m->ops->lookup(m, &key, cx->cpu);
	if (!v && !(r3 & BPF_F_BROADCAST)) { /* a broadcast needs no entry at key */
		run->redirect = (struct hook_redirect){0};
		return r3 & XDP_ACTION_MASK;
	}
	if (v && kind == SKEP_REDIRECT_IFINDEX)
		memcpy(&target, v, 4);
	else
		target = key; /* a CPU, or a broadcast with no entry at key */
	run->redirect = (struct hook_redirect){kind, target, key,
					       r3 & (BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS), m};
	return XDP_REDIRECT;
}

const char *skep_xdp_action_name(uint32_t action)
{
	static const char *const names[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					    "XDP_REDIRECT"};

	return action < 5 ? names[action] : NULL;
}

const char *skep_tc_action_name(int32_t action)
{
	static const char *const names[] = {"TC_ACT_OK",     "TC_ACT_RECLASSIFY", "TC_ACT_SHOT",
					    "TC_ACT_PIPE",   "TC_ACT_STOLEN",     "TC_ACT_QUEUED",
					    "TC_ACT_REPEAT", "TC_ACT_REDIRECT",   "TC_ACT_TRAP"};

	if (action == -1)
		return "TC_ACT_UNSPEC";
	return action >= 0 && action < 9 ? names[action] : NULL;
}

/* bpf_xdp_pointer's checks: -EFAULT for offsets or lengths over 64 KiB,
 * -EINVAL past the packet.  On an error the buffer is left alone. */
static int xdp_bytes_check(struct skep_xdp_frame *f, uint32_t off, uint32_t len)
{
	if (off > 0xffff || len > 0xffff)
		return -EFAULT;
	if ((uint64_t)off + len > (uint64_t)(f->data_end - f->data))
		return -EINVAL;
	return 0;
}

HELPER_FN(xdp_load_bytes)
{
	struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_xdp_load_bytes");
	int err;

	if (!f || !helper_mem(cx, r3, (uint32_t)r4, 1, "bpf_xdp_load_bytes", "r3 (buf)"))
		return 0;
	if ((err = xdp_bytes_check(f, (uint32_t)r2, (uint32_t)r4)))
		return (uint64_t)(int64_t)err;
	if ((uint32_t)r4)
		memcpy((void *)(uintptr_t)r3, f->data + (uint32_t)r2, (uint32_t)r4);
	return 0;
}

HELPER_FN(xdp_store_bytes)
{
	struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_xdp_store_bytes");
	int err;

	if (!f || !helper_mem(cx, r3, (uint32_t)r4, 0, "bpf_xdp_store_bytes", "r3 (buf)"))
		return 0;
	if ((err = xdp_bytes_check(f, (uint32_t)r2, (uint32_t)r4)))
		return (uint64_t)(int64_t)err;
	if ((uint32_t)r4)
		memmove(f->data + (uint32_t)r2, (const void *)(uintptr_t)r3, (uint32_t)r4);
	return 0;
}

/* bpf_perf_event_output from a packet program: the upper 32 bits of the
 * flags (BPF_F_CTXLEN_MASK) ask for that many bytes of the packet after the
 * program's own data in the sample (the kernel's bpf_xdp_event_output and
 * bpf_skb_event_output).  Outside packet runs, and without a length, it is
 * the plain helper. */
HELPER_FN(pkt_perf_event_output)
{
	struct hook_run *run = hook_current;
	uint64_t ctxlen = (r3 & BPF_F_CTXLEN_MASK) >> 32;
	const uint8_t *pkt;
	uint64_t have;
	struct skep_map *m;
	uint8_t stackbuf[2048], *buf;
	int err;

	if (!run || !ctxlen)
		return helper_perf_event_output(r1, r2, r3, r4, r5, cx);
	if (run->kind == HOOK_XDP) {
		struct skep_xdp_frame *f = hook_xdp_of(r1, cx, "bpf_perf_event_output");
		if (!f)
			return 0;
		pkt = f->data;
		have = (uint64_t)(f->data_end - f->data);
	} else {
		struct hook_skb *s = hook_skb_of(r1, cx, "bpf_perf_event_output");
		if (!s)
			return 0;
		pkt = s->data;
		have = s->len;
	}
	if (!(m = helper_map(cx, r2, "bpf_perf_event_output")) ||
	    !helper_mem(cx, r4, r5, 0, "bpf_perf_event_output", "r4 (data)"))
		return 0;
	if (r3 & ~(uint64_t)(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK))
		return (uint64_t)-EINVAL;
	if (ctxlen > have)
		return (uint64_t)-EFAULT;
	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return helper_abort(cx, -EINVAL, "bpf_perf_event_output: not a perf event array");
	buf = r5 + ctxlen <= sizeof(stackbuf) ? stackbuf : malloc(r5 + ctxlen);
	if (!buf)
		return (uint64_t)-ENOMEM;
	if (r5)
		memcpy(buf, (const void *)(uintptr_t)r4, r5);
	memcpy(buf + r5, pkt, ctxlen);
	err = map_perf_output(m, r3 & ~(uint64_t)BPF_F_CTXLEN_MASK, cx->cpu, buf, r5 + ctxlen);
	if (buf != stackbuf)
		free(buf);
	return (uint64_t)(int64_t)err;
}
