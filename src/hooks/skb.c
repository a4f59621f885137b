/* tc (SCHED_CLS, SCHED_ACT) and socket filters: struct __sk_buff over a
 * linear packet in low memory, filled as the kernel's BPF_PROG_TEST_RUN
 * fills it, and the skb helpers.
 *
 * What BPF_PROG_TEST_RUN does (net/bpf/test_run.c) and skep mirrors: the
 * packet arrives on the loopback device (ifindex 1, an all-zero MAC);
 * eth_type_trans() sets pkt_type from the destination MAC and protocol from
 * the EtherType (802.3 lengths give ETH_P_802_3 or ETH_P_802_2); tc programs
 * see the packet from the MAC header, socket filters from the network header
 * (so their LD_ABS offsets start there).  Of the context the caller may
 * give only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len,
 * gso_segs, gso_size and hwtstamp; anything else non-zero is -EINVAL.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "helpers/helpers.h"
#include "hooks/hook_helpers.h"
#include "hooks/hooks.h"

int hook_skb_new(struct hook_skb **out)
{
	struct hook_skb *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->buf = hook_lowmem_alloc(HOOK_SKB_BUF);
	if (!s->buf) {
		free(s);
		return -ENOMEM;
	}
	s->data = s->network = s->buf + HOOK_SKB_HEADROOM;
	*out = s;
	return 0;
}

void hook_skb_free(struct hook_skb *s)
{
	if (!s)
		return;
	hook_lowmem_free(s->buf, HOOK_SKB_BUF);
	free(s);
}

void hook_skb_sync(struct hook_skb *s)
{
	s->md.len = s->len;
	s->md.data = (uint32_t)(uintptr_t)s->data;
	s->md.data_end = (uint32_t)(uintptr_t)(s->data + s->len);
	s->md.data_meta = s->md.data;
}

/* Is [from, to) of the context all zero? */
static int skb_zero(const struct __sk_buff *c, size_t from, size_t to)
{
	const uint8_t *p = (const uint8_t *)c;

	for (size_t i = from; i < to; i++)
		if (p[i])
			return 0;
	return 1;
}

#define SKB_END(f) (offsetof(struct __sk_buff, f) + sizeof(((struct __sk_buff *)0)->f))
#define SKB_OFF(f) offsetof(struct __sk_buff, f)

/* The kernel's convert___skb_to_skb checks. */
static int skb_ctx_ok(const struct __sk_buff *c, uint32_t len, struct skep_log *log)
{
	if (!skb_zero(c, 0, SKB_OFF(mark)) || !skb_zero(c, SKB_END(mark), SKB_OFF(priority)) ||
	    !skb_zero(c, SKB_END(ifindex), SKB_OFF(cb)) ||
	    !skb_zero(c, SKB_END(cb), SKB_OFF(tstamp)) ||
	    !skb_zero(c, SKB_END(gso_segs), SKB_OFF(gso_size)) ||
	    !skb_zero(c, SKB_END(gso_size), SKB_OFF(hwtstamp)) ||
	    !skb_zero(c, SKB_END(hwtstamp), sizeof(*c))) {
		log_printf(log, "ctx: only mark, priority, ingress_ifindex, ifindex, cb, tstamp, "
				"wire_len, gso_segs, gso_size and hwtstamp may be set");
		return -EINVAL;
	}
	if (c->wire_len && (c->wire_len < len || c->wire_len > 65536)) {
		log_printf(log, "ctx: wire_len %u is below the packet's length or above 64 KiB",
			   c->wire_len);
		return -EINVAL;
	}
	if (c->gso_segs > 65535) {
		log_printf(log, "ctx: gso_segs %u is above GSO_MAX_SEGS", c->gso_segs);
		return -EINVAL;
	}
	return 0;
}

/* eth_type_trans(): the EtherType, or what an 802.3 frame means. */
static uint16_t skb_eth_protocol(const uint8_t *pkt, uint32_t len)
{
	uint16_t be;

	if (pkt[12] >= 0x06) { /* >= ETH_P_802_3_MIN: an EtherType */
		memcpy(&be, pkt + 12, 2);
		return be;
	}
	if (len >= HOOK_ETH_HLEN + 2 && pkt[14] == 0xff && pkt[15] == 0xff)
		return (uint16_t)(0x0001 << 8); /* htons(ETH_P_802_3): raw IPX */
	return (uint16_t)(0x0004 << 8);         /* htons(ETH_P_802_2): LLC */
}

/* eth_skb_pkt_type() on the loopback device, whose address and broadcast
 * address are both all zero: ff:ff:ff:ff:ff:ff is not its broadcast, so
 * every group address is PACKET_MULTICAST (seen by running the kernel). */
static uint32_t skb_pkt_type(const uint8_t *mac)
{
	static const uint8_t zero[6];

	if (!memcmp(mac, zero, 6))
		return 0; /* PACKET_HOST */
	if (mac[0] & 1)
		return 2; /* PACKET_MULTICAST */
	return 3; /* PACKET_OTHERHOST */
}

int hook_skb_setup(struct hook_skb *s, int l2, const uint8_t *pkt, uint32_t len,
		   const struct __sk_buff *ctx, struct skep_log *log)
{
	uint8_t *mac = s->buf + HOOK_SKB_HEADROOM;
	struct __sk_buff *md = &s->md;
	int err;

	if (len < HOOK_ETH_HLEN || len > SKEP_SKB_MAX_LEN) {
		log_printf(log, "data: %u bytes; a packet is %d to %d", len, HOOK_ETH_HLEN,
			   SKEP_SKB_MAX_LEN);
		return -EINVAL;
	}
	if (ctx && (err = skb_ctx_ok(ctx, l2 ? len : len - HOOK_ETH_HLEN, log)))
		return err;
	/* Linux 6.x refuses IP packets shorter than their fixed header (the
	 * test run reads the addresses from it): seen by running the kernel. */
	if ((pkt[12] == 0x08 && pkt[13] == 0x00 && len < HOOK_ETH_HLEN + 20) ||
	    (pkt[12] == 0x86 && pkt[13] == 0xdd && len < HOOK_ETH_HLEN + 40)) {
		log_printf(log, "data: an IP packet of %u bytes is shorter than its header", len);
		return -EINVAL;
	}
	memcpy(mac, pkt, len);
	s->l2 = l2;
	s->network = mac + HOOK_ETH_HLEN;
	s->data = l2 ? mac : s->network;
	s->len = l2 ? len : len - HOOK_ETH_HLEN;
	memset(md, 0, sizeof(*md));
	if (ctx) {
		md->mark = ctx->mark;
		md->priority = ctx->priority;
		md->ingress_ifindex = ctx->ingress_ifindex;
		md->ifindex = ctx->ifindex;
		memcpy(md->cb, ctx->cb, sizeof(md->cb));
		md->tstamp = ctx->tstamp;
		md->wire_len = ctx->wire_len;
		md->gso_segs = ctx->gso_segs;
		md->gso_size = ctx->gso_size;
		md->hwtstamp = ctx->hwtstamp;
	}
	if (md->ifindex <= 1)
		md->ifindex = 1; /* the loopback device */
	/* qdisc_skb_cb's pkt_len: set from the context only (0 without one). */
	if (ctx && !md->wire_len)
		md->wire_len = s->len;
	md->pkt_type = skb_pkt_type(mac);
	md->protocol = skb_eth_protocol(mac, len);
	hook_skb_sync(s);
	return 0;
}

int hook_skb_run(struct skep_prog *prog, struct hook_skb *s, const struct skep_run_opts *opts,
		 struct skep_run_result *res)
{
	struct skep_run_opts ro;
	struct hook_run run = {.kind = HOOK_SKB, .skb = s};
	struct hook_run *outer = hook_current;
	int err;

	hook_run_opts(&ro, opts, (uint64_t)(uintptr_t)&s->md);
	/* LD_ABS / LD_IND read from skb->data, over the packet as the run starts. */
	ro.packet = s->data;
	ro.packet_len = s->len;
	s->regions[0] = (struct skep_region){&s->md, sizeof(s->md), 1, hook_region_ctx};
	s->regions[1] = (struct skep_region){s->data, s->len, 1, hook_region_packet};
	ro.regions = s->regions;
	ro.nr_regions = ro.mode == SKEP_EXEC_CHECKED || ro.mode == SKEP_EXEC_JIT_CHECKED ? 2 : 0;
	hook_skb_sync(s);
	hook_current = &run;
	err = skep_prog_run(prog, &ro, res);
	hook_current = outer;
	return err;
}

struct hook_skb *hook_skb_of(uint64_t r1, struct skep_call_ctx *cx, const char *helper)
{
	struct hook_run *run = hook_current;

	if (run && run->kind == HOOK_SKB && r1 == (uint64_t)(uintptr_t)&run->skb->md)
		return run->skb;
	helper_abort(cx, -EINVAL, "%s: r1 is not the context of an skb program's run", helper);
	return NULL;
}

static void skb_moved(struct hook_skb *s, struct skep_call_ctx *cx)
{
	hook_skb_sync(s);
	hook_region_move(cx, s->data, s->len);
	cx->packet = s->data; /* later LD_ABS/LD_IND read the packet as it is now */
	cx->packet_len = s->len;
}

HELPER_FN(skb_load_bytes)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_skb_load_bytes");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	uint8_t *to = (uint8_t *)(uintptr_t)r3;

	if (!s || !helper_mem(cx, r3, len, 1, "bpf_skb_load_bytes", "r3 (to)"))
		return 0;
	if (!len) /* only unverified programs get here: nothing to copy */
		return 0;
	if (off > INT_MAX || (uint64_t)off + len > s->len) {
		memset(to, 0, len);
		return (uint64_t)-EFAULT;
	}
	memcpy(to, s->data + off, len);
	return 0;
}

HELPER_FN(skb_store_bytes)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_skb_store_bytes");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;

	if (!s || !helper_mem(cx, r3, len, 0, "bpf_skb_store_bytes", "r3 (from)"))
		return 0;
	if (r5 & ~(uint64_t)(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH))
		return (uint64_t)-EINVAL;
	if (off > INT_MAX || (uint64_t)off + len > s->len)
		return (uint64_t)-EFAULT;
	/* BPF_F_RECOMPUTE_CSUM updates skb->csum of CHECKSUM_COMPLETE packets:
	 * a test run's packet is CHECKSUM_NONE, the bytes are all there is. */
	if (len)
		memmove(s->data + off, (const void *)(uintptr_t)r3, len);
	if (r5 & BPF_F_INVALIDATE_HASH)
		s->md.hash = 0;
	skb_moved(s, cx);
	return 0;
}

/* __bpf_skb_min_len: the packet may not shrink into its network header. */
static uint32_t skb_min_len(const struct hook_skb *s)
{
	return s->network > s->data ? (uint32_t)(s->network - s->data) : 0;
}

HELPER_FN(skb_change_tail)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_skb_change_tail");
	uint32_t new_len = (uint32_t)r2;
	uint64_t ret = 0;

	if (!s)
		return 0;
	if (r3 || new_len > SKEP_SKB_MAX_LEN || new_len < skb_min_len(s) ||
	    s->data + new_len > s->buf + HOOK_SKB_BUF) {
		ret = (uint64_t)-EINVAL;
	} else {
		if (new_len > s->len)
			memset(s->data + s->len, 0, new_len - s->len);
		s->len = new_len;
	}
	skb_moved(s, cx);
	return ret;
}

HELPER_FN(skb_change_head)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_skb_change_head");
	uint32_t room = (uint32_t)r2, new_len = s ? s->len + room : 0;
	uint64_t ret = 0;

	if (!s)
		return 0;
	if (r3 || new_len > SKEP_SKB_MAX_LEN || new_len < s->len ||
	    (size_t)(s->data - s->buf) < room) {
		ret = (uint64_t)-EINVAL;
	} else {
		s->data -= room;
		memset(s->data, 0, room);
		s->len = new_len;
	}
	skb_moved(s, cx);
	return ret;
}

HELPER_FN(skb_pull_data)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_skb_pull_data");

	if (!s)
		return 0;
	skb_moved(s, cx);
	/* The packet is linear: pulling works unless it asks for more than there is. */
	return r2 > s->len ? (uint64_t)-ENOMEM : 0;
}

int hook_helper_changes_pkt_data(uint32_t id)
{
	switch (id) {
	case BPF_FUNC_xdp_adjust_head:
	case BPF_FUNC_xdp_adjust_tail:
	case BPF_FUNC_xdp_adjust_meta:
	case BPF_FUNC_skb_store_bytes:
	case BPF_FUNC_l3_csum_replace:
	case BPF_FUNC_l4_csum_replace:
	case BPF_FUNC_skb_change_tail:
	case BPF_FUNC_skb_change_head:
	case BPF_FUNC_skb_pull_data:
		return 1;
	default:
		return 0;
	}
}
