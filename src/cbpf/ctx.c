/* The contexts converted cBPF programs read.
 *
 * A socket filter reads a struct __sk_buff: the kernel fills it from the
 * socket buffer; skep fills it from a captured frame and its link-layer
 * header, the way the kernel would have on receiving that frame without VLAN
 * offload (protocol = the EtherType as eth_type_trans gives it, pkt_type from
 * the destination address, len = the frame's length on the wire).  What a
 * capture does not record (ifindex, mark, hash...) stays 0.
 *
 * A seccomp filter reads struct seccomp_data; its verdict is an action and
 * 16 bits of data, named here as <linux/seccomp.h> names them.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/seccomp.h>
#include <pcap/dlt.h>

#include "cbpf/cbpf.h"
#include "isa/bpf_compat.h"

_Static_assert(sizeof(struct skep_seccomp_data) == sizeof(struct seccomp_data),
	       "struct skep_seccomp_data must be struct seccomp_data");

static uint16_t ctx_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ethernet: what eth_type_trans() makes of the header (no VLAN offload: a
 * tagged frame's protocol is its TPID, the tag stays in the bytes). */
static void ctx_ether(struct __sk_buff *skb, const uint8_t *p, size_t caplen)
{
	static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint16_t type;

	if (caplen < ETH_HLEN)
		return;
	type = ctx_be16(p + 12);
	if (type < ETH_P_802_3_MIN) /* a length: 802.3, raw (IPX) or 802.2 LLC */
		type = caplen >= ETH_HLEN + 2 && ctx_be16(p + ETH_HLEN) == 0xffff ? ETH_P_802_3
										 : ETH_P_802_2;
	skb->protocol = htons(type);
	if (p[0] & 1)
		skb->pkt_type = memcmp(p, bcast, ETH_ALEN) ? PACKET_MULTICAST : PACKET_BROADCAST;
	else
		skb->pkt_type = PACKET_HOST;
}

/* Raw IP: the version nibble says which. */
static void ctx_raw_ip(struct __sk_buff *skb, const uint8_t *p, size_t caplen)
{
	if (caplen >= 1 && p[0] >> 4 == 4)
		skb->protocol = htons(ETH_P_IP);
	else if (caplen >= 1 && p[0] >> 4 == 6)
		skb->protocol = htons(ETH_P_IPV6);
}

size_t cbpf_skb_size(void)
{
	return sizeof(struct __sk_buff);
}

void cbpf_skb_fill(void *ctx, size_t ctx_size, const struct skep_cbpf_packet *pkt)
{
	struct __sk_buff *skb = ctx;
	const uint8_t *p = pkt->data;
	size_t caplen = pkt->caplen;

	if (ctx_size < sizeof(*skb))
		return;
	memset(skb, 0, sizeof(*skb));
	skb->len = pkt->wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)pkt->wire_len;
	switch (pkt->linktype) {
	case DLT_EN10MB:
		ctx_ether(skb, p, caplen);
		break;
	case DLT_LINUX_SLL: /* packet type, ..., protocol at 14 */
		if (caplen >= 16) {
			skb->pkt_type = ctx_be16(p);
			skb->protocol = htons(ctx_be16(p + 14));
		}
		break;
	case DLT_LINUX_SLL2: /* protocol at 0, packet type at 10 */
		if (caplen >= 11) {
			skb->protocol = htons(ctx_be16(p));
			skb->pkt_type = p[10];
		}
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		ctx_raw_ip(skb, p, caplen);
		break;
	}
}

void skep_seccomp_action_name(uint32_t action, char *buf, size_t size)
{
	uint32_t data = action & SECCOMP_RET_DATA;

	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, size, "KILL_THREAD");
		break;
	case SECCOMP_RET_TRAP:
		snprintf(buf, size, "TRAP");
		break;
	case SECCOMP_RET_ERRNO:
		/* the kernel caps the errno at MAX_ERRNO */
		snprintf(buf, size, "ERRNO(%u)", data > 4095 ? 4095 : data);
		break;
	case SECCOMP_RET_USER_NOTIF:
		snprintf(buf, size, "USER_NOTIF");
		break;
	case SECCOMP_RET_TRACE:
		snprintf(buf, size, "TRACE(%u)", data);
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, size, "LOG");
		break;
	case SECCOMP_RET_ALLOW:
		snprintf(buf, size, "ALLOW");
		break;
	default: /* SECCOMP_RET_KILL_PROCESS, and what the kernel does with unknown actions */
		snprintf(buf, size, "KILL_PROCESS");
	}
}
