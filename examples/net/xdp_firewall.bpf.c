// SPDX-License-Identifier: GPL-2.0
/* An XDP firewall: drops IPv4 packets from blocked source addresses (an LPM
 * trie of prefixes) and TCP/UDP packets to blocked destination ports (a hash
 * of ports), passes the rest, and counts packets per verdict in a per-CPU
 * array.  Malformed IP headers are dropped; non-IP traffic (ARP...) passes.
 *
 * Fill the maps from user space: `blocked_ports` key = port (u16, network
 * order), value = u8 1; `blocked_v4` key = {u32 prefixlen; u32 addr}. */
#include "net.h"

struct lpm_v4 {
	__u32 prefixlen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be16);
	__type(value, __u8);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4);
	__type(value, __u8);
} blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 action)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &action);

	if (n)
		*n += 1;
	return action;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt_info pi = {};

	if (parse_packet(data, data_end, &pi) < 0)
		return count(XDP_DROP);
	if (pi.l3_proto == ETH_P_IP) {
		struct lpm_v4 key = {.prefixlen = 32, .addr = pi.saddr};
		if (bpf_map_lookup_elem(&blocked_v4, &key))
			return count(XDP_DROP);
	}
	if (pi.dport && bpf_map_lookup_elem(&blocked_ports, &pi.dport))
		return count(XDP_DROP);
	return count(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
