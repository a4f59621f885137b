/* Header parsing shared by the packet examples: Ethernet (with up to two
 * VLAN tags), IPv4, IPv6, TCP, UDP.  Every read is bounds-checked against
 * data_end first, as the kernel's verifier demands. */
#ifndef SKEP_EXAMPLES_NET_H
#define SKEP_EXAMPLES_NET_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* What a parse found: the L3 protocol (host order), where L3 and L4 start,
 * the L4 protocol and ports (network order; 0 when absent). */
struct pkt_info {
	__u16 l3_proto;
	__u8 l4_proto;
	__u8 v6;
	__u32 l3_off, l4_off;
	__be32 saddr, daddr; /* IPv4 only */
	__be16 sport, dport;
};

static __always_inline int parse_packet(void *data, void *data_end, struct pkt_info *pi)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vh = data + off;
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > data_end)
			return -1;
		proto = bpf_ntohs(vh->proto);
		off += sizeof(*vh);
	}
	pi->l3_proto = proto;
	pi->l3_off = off;
	if (proto == ETH_P_IP) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > data_end)
			return -1;
		if (ip->ihl < 5)
			return -1;
		pi->saddr = ip->saddr;
		pi->daddr = ip->daddr;
		pi->l4_proto = ip->protocol;
		/* Later fragments carry no L4 header. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return 0;
		off += ip->ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > data_end)
			return -1;
		pi->v6 = 1;
		pi->l4_proto = ip6->nexthdr;
		off += sizeof(*ip6);
	} else {
		return 0;
	}
	pi->l4_off = off;
	if (pi->l4_proto == IPPROTO_TCP || pi->l4_proto == IPPROTO_UDP) {
		__be16 *ports = data + off;
		if ((void *)(ports + 2) > data_end)
			return -1;
		pi->sport = ports[0];
		pi->dport = ports[1];
	}
	return 0;
}

#endif
