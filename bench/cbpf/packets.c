/* skep-bench-cbpf's packets: generated, or read from a capture file, into
 * one block of memory, with libpcap's and skep's descriptions of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../tests/cbpf/pktgen.h"
#include "packets.h"

#define MAX_GEN 256 /* bytes of a generated packet */

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int packets_describe(struct packets *pk)
{
	pk->desc = malloc(pk->n * sizeof(*pk->desc));
	if (!pk->desc)
		return -1;
	for (size_t i = 0; i < pk->n; i++)
		pk->desc[i] = (struct skep_cbpf_packet){1, pk->data[i], pk->hdr[i].caplen,
							pk->hdr[i].len};
	return 0;
}

int packets_generate(struct packets *pk, size_t n)
{
	struct pktgen g = {0x5eed};
	size_t off = 0;

	pk->n = n;
	pk->hdr = calloc(pk->n, sizeof(*pk->hdr));
	pk->data = calloc(pk->n, sizeof(*pk->data));
	pk->store = malloc(pk->n * MAX_GEN);
	if (!pk->hdr || !pk->data || !pk->store)
		return -1;
	for (size_t i = 0; i < pk->n; i++) {
		size_t caplen, len = pg_packet(&g, 1, pk->store + off, MAX_GEN, &caplen);
		pk->hdr[i] = (struct pcap_pkthdr){.caplen = (uint32_t)caplen, .len = (uint32_t)len};
		pk->data[i] = pk->store + off;
		off += caplen;
	}
	return 0;
}

int packets_read(struct packets *pk, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t cap = 1024, used = 0, store_cap = 1 << 20;

	if (!p || pcap_datalink(p) != 1) {
		fprintf(stderr, "skep-bench-cbpf: %s: %s\n", path, p ? "not Ethernet" : err);
		return -1;
	}
	pk->hdr = malloc(cap * sizeof(*pk->hdr));
	pk->store = malloc(store_cap);
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (pk->n == cap)
			pk->hdr = realloc(pk->hdr, (cap *= 2) * sizeof(*pk->hdr));
		while (used + h->caplen > store_cap)
			pk->store = realloc(pk->store, store_cap *= 2);
		pk->hdr[pk->n++] = *h;
		memcpy(pk->store + used, d, h->caplen);
		used += h->caplen;
	}
	pcap_close(p);
	pk->data = malloc(pk->n * sizeof(*pk->data));
	used = 0;
	for (size_t i = 0; i < pk->n; i++, used += pk->hdr[i - 1].caplen)
		pk->data[i] = pk->store + used;
	return 0;
}

struct packets packets_head(const struct packets *pk, size_t n)
{
	struct packets head = *pk;

	head.n = n < pk->n ? n : pk->n;
	head.store = NULL;
	return head;
}

size_t packets_bytes(const struct packets *pk)
{
	/* libpcap's header and data pointer; skep's descriptor is as large. */
	size_t bytes = pk->n * (sizeof(*pk->hdr) + sizeof(*pk->data));

	for (size_t i = 0; i < pk->n; i++)
		bytes += pk->hdr[i].caplen;
	return bytes;
}

void packets_free(struct packets *pk)
{
	if (!pk->store)
		return; /* a view */
	free(pk->hdr);
	free(pk->data);
	free(pk->desc);
	free(pk->store);
}
