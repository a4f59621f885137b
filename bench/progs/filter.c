/* Benchmark program: an Ethernet/IPv4/TCP firewall over 16 packets of 64
 * bytes (the packet input, bench_input_fill_packets).  Each packet is parsed
 * as an XDP firewall parses one: Ethernet type, IPv4 version, header length
 * and fragment offset, then the TCP or UDP ports and TCP flags, checked
 * against a few rules; returns the verdict counts and a digest of the ports.
 * IPv4 options are dropped and the loop is unrolled so that every packet
 * offset is a constant: the kernel's verifier proves packet accesses from a
 * variable offset only after a fresh data_end check, which this shared
 * (mem, len) signature has no way to make. */
#include "prog.h"

#define PKT_SIZE 64
#define PKTS (BENCH_MEM_LEN / PKT_SIZE)

static inline u32 be16(const u8 *p)
{
	return (u32)p[0] << 8 | p[1];
}

/* 0 drop, 1 pass, 2 not IPv4 TCP/UDP (passed untouched). */
static inline u32 filter_one(const u8 *pkt, u64 *digest)
{
	const u32 l4 = 14 + 20;
	u32 sport, dport, flags;

	if (be16(pkt + 12) != 0x0800)
		return 2;
	if (pkt[14] != 0x45) /* IPv4 without options */
		return 0;
	if (be16(pkt + 20) & 0x1fff) /* a later fragment: no ports to see */
		return 1;
	sport = be16(pkt + l4);
	dport = be16(pkt + l4 + 2);
	*digest = *digest * 31 + (sport ^ dport << 16);
	if (pkt[23] == 17)
		return dport == 53 || sport == 53 || dport == 123;
	if (pkt[23] != 6)
		return 2;
	flags = pkt[l4 + 13];
	if (dport == 23 || dport == 445 || dport == 3389)
		return 0;
	/* New SSH connections only from 10.0.0.0/8. */
	if (dport == 22 && (flags & 0x12) == 0x02 && pkt[26] != 10)
		return 0;
	return dport == 80 || dport == 443 || dport == 22 || (flags & 0x10);
}

BENCH_PROG(filter)
{
	u64 n = bench_clamp(len, BENCH_MEM_LEN) / PKT_SIZE, digest = 0;
	u64 verdicts[3] = {0, 0, 0};

	for (u64 i = 0; i < PKTS; i++) {
		if (i >= n)
			break;
		verdicts[filter_one(mem + i * PKT_SIZE, &digest)]++;
	}
	return digest ^ verdicts[0] << 48 ^ verdicts[1] << 40 ^ verdicts[2] << 32;
}
