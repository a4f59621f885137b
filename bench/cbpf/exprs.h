/* The tcpdump filter expressions skep-bench-cbpf measures, in one place:
 * the bench compiles them with libpcap at run time, and gen_native compiles
 * them at build time into the gcc -O2 column, so both see the same programs
 * (the bench checks that they did; see native.h). */
#ifndef SKEP_BENCH_CBPF_EXPRS_H
#define SKEP_BENCH_CBPF_EXPRS_H

/* What both compile with: pcap_open_dead(BENCH_CBPF_LINKTYPE, BENCH_CBPF_SNAPLEN),
 * pcap_compile(..., optimize 1, netmask 0). */
#define BENCH_CBPF_LINKTYPE 1 /* DLT_EN10MB */
#define BENCH_CBPF_SNAPLEN 262144

static const char *const bench_cbpf_exprs[] = {
	"ip and tcp port 80",
	"tcp[13] & 2 != 0",
	"host 10.0.0.1",
	"net 192.168.0.0/16 and (tcp port 22 or udp port 53)",
	"vlan 100 and tcp port 80",
	"ip6 and udp port 53",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"not arp and not stp",
};

#define BENCH_CBPF_NR_EXPRS (sizeof(bench_cbpf_exprs) / sizeof(bench_cbpf_exprs[0]))

#endif
