// SPDX-License-Identifier: GPL-2.0
/* A socket filter in the classic style, with the legacy packet loads
 * (LD_ABS, here clang's load_byte/load_half builtins): offsets start at the
 * network header.  Keeps IPv4 UDP datagrams (the whole packet) and IPv4 TCP
 * segments' first 64 bytes; drops the rest (returns 0). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	__u32 proto;

	if (skb->protocol != __builtin_bswap16(ETH_P_IP))
		return 0;
	if ((load_byte(skb, 0) >> 4) != 4)
		return 0;
	proto = load_byte(skb, 9);
	if (proto == IPPROTO_UDP)
		return skb->len;
	if (proto == IPPROTO_TCP && load_half(skb, 2) > 0)
		return 64;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
