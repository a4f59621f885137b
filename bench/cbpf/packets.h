/* skep-bench-cbpf's packets: a capture held in memory, as libpcap hands it
 * to pcap_offline_filter (a header and a data pointer per packet) and as
 * skep takes it (struct skep_cbpf_packet), both built before any timing. */
#ifndef SKEP_BENCH_CBPF_PACKETS_H
#define SKEP_BENCH_CBPF_PACKETS_H

#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "skep/cbpf.h"

struct packets {
	size_t n;
	struct pcap_pkthdr *hdr;
	const u_char **data;
	struct skep_cbpf_packet *desc; /* the same packets as skep takes them */
	uint8_t *store;		       /* the bytes; NULL in a view (packets_head) */
};

/* n generated Ethernet packets (tests/cbpf/pktgen.h, a fixed seed). */
int packets_generate(struct packets *pk, size_t n);
/* Every packet of an Ethernet capture file; -1 after saying why. */
int packets_read(struct packets *pk, const char *path);
/* Fill pk->desc from the headers. */
int packets_describe(struct packets *pk);
/* The first n packets (all if there are fewer), sharing pk's memory. */
struct packets packets_head(const struct packets *pk, size_t n);
/* Bytes one engine's pass touches: the packets and their headers. */
size_t packets_bytes(const struct packets *pk);
void packets_free(struct packets *pk);

/* Thread CPU time: what other processes take of the machine is not counted,
 * as the kernel's test-run timer stops while it reschedules. */
double now_s(void);

#endif
