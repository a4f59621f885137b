/* Capture files for the packet subcommands (test-run --pcap, xdp run): read
 * every Ethernet packet of a pcap/pcapng file into memory, and write packets
 * out.  Kept apart from <linux/bpf.h>, whose struct bpf_insn libpcap's
 * headers also define. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "cli.h"

int cli_pcap_load(const char *path, struct cli_packet **out, size_t *n)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!pc) {
		fprintf(stderr, "skep: %s: %s\n", path, eb);
		return CLI_USAGE;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "skep: %s: link type %s; packet programs take Ethernet frames\n",
			path, pcap_datalink_val_to_name(pcap_datalink(pc)));
		pcap_close(pc);
		return CLI_USAGE;
	}
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		struct cli_packet *p;
		if (*n == cap) {
			p = realloc(*out, (cap = cap ? 2 * cap : 256) * sizeof(*p));
			if (!p) {
				rc = -1;
				break;
			}
			*out = p;
		}
		p = &(*out)[*n];
		p->data = malloc(h->caplen ? h->caplen : 1);
		if (!p->data) {
			rc = -1;
			break;
		}
		memcpy(p->data, d, h->caplen);
		p->len = h->caplen;
		p->wire_len = h->len;
		p->ts_sec = h->ts.tv_sec;
		p->ts_usec = h->ts.tv_usec;
		(*n)++;
	}
	if (rc == -1)
		fprintf(stderr, "skep: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	return rc == -1 ? CLI_USAGE : 0;
}

void cli_packets_free(struct cli_packet *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].data);
	free(p);
}

struct cli_pcap_out {
	pcap_t *pc;
	pcap_dumper_t *d;
};

struct cli_pcap_out *cli_pcap_create(const char *path)
{
	struct cli_pcap_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->pc = pcap_open_dead(DLT_EN10MB, 262144);
	o->d = o->pc ? pcap_dump_open(o->pc, path) : NULL;
	if (!o->d) {
		fprintf(stderr, "skep: %s: %s\n", path, o->pc ? pcap_geterr(o->pc) : "no memory");
		if (o->pc)
			pcap_close(o->pc);
		free(o);
		return NULL;
	}
	return o;
}

void cli_pcap_write(struct cli_pcap_out *o, const struct cli_packet *meta, const uint8_t *data,
		    uint32_t len)
{
	struct pcap_pkthdr h = {.caplen = len, .len = len};

	if (!o)
		return;
	h.ts.tv_sec = (time_t)meta->ts_sec;
	h.ts.tv_usec = (suseconds_t)meta->ts_usec;
	/* The wire length follows what the program did to the captured part. */
	if (meta->wire_len > meta->len)
		h.len = len + (meta->wire_len - meta->len);
	pcap_dump((u_char *)o->d, &h, data);
}

void cli_pcap_close(struct cli_pcap_out *o)
{
	if (!o)
		return;
	pcap_dump_close(o->d);
	pcap_close(o->pc);
	free(o);
}
