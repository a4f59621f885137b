// SPDX-License-Identifier: GPL-2.0
/* A header rewriter with bpf_xdp_adjust_head: IPv4-in-IPv4 (IPIP) encap and
 * decap at XDP.
 *
 * - An IPIP packet (outer protocol 4) is decapsulated: the outer IPv4 header
 *   goes, the Ethernet header moves up, the packet passes (XDP_PASS).
 * - Any other IPv4 packet whose destination is in 10.99.0.0/16 is
 *   encapsulated towards 192.0.2.1 from 192.0.2.2: 20
 *   bytes are pushed in front, the outer header written with its checksum,
 *   and the packet goes back out (XDP_TX).  It also leaves 4 bytes of
 *   metadata (bpf_xdp_adjust_meta) saying "encapsulated", as a later stage
 *   would read it.
 * - Everything else passes untouched. */
#include "net.h"

#define TUN_SRC 0xc0000202 /* 192.0.2.2 */
#define TUN_DST 0xc0000201 /* 192.0.2.1 */

static __always_inline __u16 ip_csum(struct iphdr *ip)
{
	__u32 sum = 0;
	__u16 *w = (__u16 *)ip;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline int decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr eth_copy;
	struct ethhdr *eth = data;
	struct iphdr *outer = data + sizeof(*eth);

	if ((void *)(outer + 1) > data_end || outer->ihl != 5)
		return XDP_PASS;
	__builtin_memcpy(&eth_copy, eth, sizeof(eth_copy));
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, &eth_copy, sizeof(*eth));
	return XDP_PASS;
}

static __always_inline int encap(struct xdp_md *ctx, struct iphdr *inner_copy)
{
	void *data, *data_end, *meta;
	struct ethhdr eth_copy;
	struct ethhdr *eth;
	struct iphdr *outer;
	__u32 *mark;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(&eth_copy, eth, sizeof(eth_copy));
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = data + sizeof(*eth);
	if ((void *)(outer + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, &eth_copy, sizeof(*eth));
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = inner_copy->tos;
	outer->tot_len = bpf_htons(bpf_ntohs(inner_copy->tot_len) + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF */
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = bpf_htonl(TUN_SRC);
	outer->daddr = bpf_htonl(TUN_DST);
	outer->check = ip_csum(outer);
	if (bpf_xdp_adjust_meta(ctx, -4))
		return XDP_TX; /* no room for metadata: still send it */
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	mark = meta;
	if ((void *)(mark + 1) > data)
		return XDP_TX;
	*mark = 0x4950; /* "IP" */
	return XDP_TX;
}

SEC("xdp")
int xdp_tunnel(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct iphdr inner;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->protocol == IPPROTO_IPIP)
		return decap(ctx);
	if ((bpf_ntohl(ip->daddr) & 0xffff0000) != 0x0a630000) /* 10.99.0.0/16 */
		return XDP_PASS;
	__builtin_memcpy(&inner, ip, sizeof(inner));
	return encap(ctx, &inner);
}

char LICENSE[] SEC("license") = "GPL";
