// SPDX-License-Identifier: GPL-2.0
/* A stateless DDoS scrubber: header parsing only, no maps.  Drops what no
 * legitimate traffic looks like, passes the rest:
 * - IPv4 fragments (offset or more-fragments set) and IPv4 headers shorter
 *   than 20 bytes or longer than the packet;
 * - TTL / hop limit 0;
 * - TCP with impossible flag sets (SYN+FIN, SYN+RST, no flags, FIN+PSH+URG);
 * - UDP from the usual reflection amplifiers' ports (chargen 19, DNS 53 to
 *   high ports is fine, NTP 123, SSDP 1900, memcached 11211);
 * - truncated TCP/UDP headers.
 * The benchmark's header-parsing filter (make bench). */
#include "net.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_URG 0x20

static __always_inline int bad_tcp(__u8 flags)
{
	if (!(flags & 0x3f))
		return 1;
	if ((flags & (TCP_SYN | TCP_FIN)) == (TCP_SYN | TCP_FIN))
		return 1;
	if ((flags & (TCP_SYN | TCP_RST)) == (TCP_SYN | TCP_RST))
		return 1;
	return (flags & (TCP_FIN | TCP_PSH | TCP_URG)) == (TCP_FIN | TCP_PSH | TCP_URG);
}

static __always_inline int reflector(__u16 sport)
{
	return sport == 19 || sport == 123 || sport == 1900 || sport == 11211;
}

SEC("xdp")
int xdp_scrub(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l4;
	__u16 proto;
	__u8 l4proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	proto = eth->h_proto;
	l4 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l4;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		proto = vh->proto;
		l4 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l4;
		__u32 hl;
		if ((void *)(ip + 1) > data_end)
			return XDP_DROP;
		hl = ip->ihl * 4;
		if (hl < sizeof(*ip) || l4 + hl > data_end)
			return XDP_DROP;
		if (ip->frag_off & bpf_htons(0x3fff))
			return XDP_DROP;
		if (!ip->ttl)
			return XDP_DROP;
		l4proto = ip->protocol;
		l4 += hl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l4;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		if (!ip6->hop_limit)
			return XDP_DROP;
		l4proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return XDP_PASS;
	}
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;
		if ((void *)(th + 1) > data_end)
			return XDP_DROP;
		return bad_tcp(((__u8 *)th)[13]) ? XDP_DROP : XDP_PASS;
	}
	if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;
		if ((void *)(uh + 1) > data_end)
			return XDP_DROP;
		return reflector(bpf_ntohs(uh->source)) ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
