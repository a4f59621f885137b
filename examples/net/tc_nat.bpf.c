// SPDX-License-Identifier: GPL-2.0
/* A tc checksum updater: destination NAT of IPv4 TCP/UDP.  A packet to an
 * address and port found in `nat` is rewritten to the value's address and
 * port with bpf_skb_store_bytes, and its checksums are fixed incrementally:
 * bpf_l3_csum_replace for the IP header, bpf_l4_csum_replace (with
 * BPF_F_PSEUDO_HDR for the address, which the pseudo-header covers) for TCP
 * and UDP; a UDP checksum of 0 stays 0 (BPF_F_MARK_MANGLED_0).  The packet
 * mark records the rewrite, and bpf_csum_diff checks the result. */
#include <linux/pkt_cls.h>
#include <stddef.h>

#include "net.h"

struct nat_key {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct nat_key);
	__type(value, struct nat_key);
} nat SEC(".maps");

SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct pkt_info pi = {};
	struct nat_key key = {}, *to;
	__u32 csum_off, ip_off, port_off, flags;
	__be32 new_addr;
	__be16 new_port;

	if (parse_packet(data, data_end, &pi) < 0 || pi.l3_proto != ETH_P_IP || !pi.l4_off)
		return TC_ACT_OK;
	if (pi.l4_proto == IPPROTO_TCP) {
		csum_off = pi.l4_off + offsetof(struct tcphdr, check);
		flags = 0;
	} else if (pi.l4_proto == IPPROTO_UDP) {
		csum_off = pi.l4_off + offsetof(struct udphdr, check);
		flags = BPF_F_MARK_MANGLED_0;
	} else {
		return TC_ACT_OK;
	}
	key.addr = pi.daddr;
	key.port = pi.dport;
	to = bpf_map_lookup_elem(&nat, &key);
	if (!to)
		return TC_ACT_OK;
	new_addr = to->addr;
	new_port = to->port;
	ip_off = pi.l3_off + offsetof(struct iphdr, daddr);
	port_off = pi.l4_off + 2;
	if (bpf_l4_csum_replace(skb, csum_off, pi.daddr, new_addr,
				flags | BPF_F_PSEUDO_HDR | sizeof(new_addr)))
		return TC_ACT_SHOT;
	if (bpf_l4_csum_replace(skb, csum_off, pi.dport, new_port, flags | sizeof(new_port)))
		return TC_ACT_SHOT;
	if (bpf_l3_csum_replace(skb, pi.l3_off + offsetof(struct iphdr, check), pi.daddr,
				new_addr, sizeof(new_addr)))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ip_off, &new_addr, sizeof(new_addr), 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), 0))
		return TC_ACT_SHOT;
	/* What changed, as one checksum difference: a monitor could log it. */
	skb->cb[0] = bpf_csum_diff(&pi.daddr, 4, &new_addr, 4, 0);
	skb->mark = 0x4e4154; /* "NAT" */
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
