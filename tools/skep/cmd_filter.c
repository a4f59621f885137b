/* skep filter: tcpdump filter expressions on skep.
 *
 * libpcap compiles the expression into classic BPF for the capture's link
 * type (as tcpdump does); skep checks it, converts it to eBPF and runs it in
 * the JIT over the packets of a pcap or pcapng file, writing the ones it
 * keeps.  -d/-dd/-ddd print the classic program with libpcap's bpf_dump(),
 * which is what tcpdump prints.
 *
 * This file includes <pcap.h>, so it must not include the ISA headers (both
 * define struct bpf_insn); eBPF text comes through cbpf/print.h.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cbpf/print.h"
#include "cli.h"
#include "skep/cbpf.h"

#define FILTER_SNAPLEN 262144 /* tcpdump's default snapshot length */

struct filter_args {
	int dump;         /* -d: 1, -dd: 2, -ddd: 3 */
	int ebpf, count, json;
	const char *in, *out, *linktype;
	enum skep_exec_mode mode;
	int mode_forced;
	char *expr;
};

static void filter_usage(FILE *f)
{
	fprintf(f,
		"usage: skep filter [-d|-dd|-ddd] [--ebpf] [-r IN] [-w OUT] [--count] [--json]\n"
		"                   [-y LINKTYPE] [--jit | --interp | --checked | --jit-checked]\n"
		"                   EXPR...\n\n"
		"Compiles the tcpdump filter expression EXPR with libpcap, checks and converts\n"
		"the classic BPF to eBPF and runs it on skep (the JIT by default).\n"
		"  -d, -dd, -ddd  print the classic BPF exactly as tcpdump -d, -dd, -ddd do\n"
		"  --ebpf         print the converted eBPF\n"
		"  -r IN          filter the packets of IN (pcap or pcapng; \"-\" is stdin)\n"
		"  -w OUT         write the packets the filter keeps to OUT (pcap; \"-\" is stdout)\n"
		"  --count        print how many packets matched (the default with -r and no -w)\n"
		"  --json         print the count as {\"packets\": N, \"matched\": N, ...}\n"
		"  -y LINKTYPE    link type without -r (a DLT name such as EN10MB, the default)\n"
		"  --jit, --interp, --checked, --jit-checked   how to run the filter\n"
		"Progress goes to stderr once a run takes longer than a second.\n");
}

/* EXPR is every remaining word, joined by spaces, as tcpdump takes it. */
static char *filter_join(int argc, char **argv)
{
	size_t n = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = calloc(1, n);
	for (int i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int filter_parse(int argc, char **argv, struct filter_args *a)
{
	static const struct option opts[] = {
		{"ebpf", no_argument, NULL, 'e'},        {"count", no_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},        {"jit", no_argument, NULL, 'J'},
		{"interp", no_argument, NULL, 'I'},      {"checked", no_argument, NULL, 'C'},
		{"jit-checked", no_argument, NULL, 'K'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*a = (struct filter_args){.mode = SKEP_EXEC_JIT};
	while ((c = getopt_long(argc, argv, "dr:w:y:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->dump++;
			break;
		case 'r':
			a->in = optarg;
			break;
		case 'w':
			a->out = optarg;
			break;
		case 'y':
			a->linktype = optarg;
			break;
		case 'e':
			a->ebpf = 1;
			break;
		case 'c':
			a->count = 1;
			break;
		case 'j':
			a->json = a->count = 1;
			break;
		case 'J':
		case 'I':
		case 'C':
		case 'K':
			a->mode = c == 'J' ? SKEP_EXEC_JIT
				  : c == 'I' ? SKEP_EXEC_INTERP
				  : c == 'C' ? SKEP_EXEC_CHECKED
					     : SKEP_EXEC_JIT_CHECKED;
			a->mode_forced = 1;
			break;
		case 'h':
			filter_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (a->out && !a->in)
		return fprintf(stderr, "skep: -w needs -r: which packets to write?\n"), -1;
	if (a->dump > 3)
		a->dump = 3;
	a->expr = filter_join(argc - optind, argv + optind);
	return a->expr ? 0 : -1;
}

static void filter_print_ebpf(const struct skep_insn *insns, size_t len)
{
	char text[256];

	for (size_t i = 0; i < len;) {
		int n = cbpf_ebpf_line(insns, len, i, text, sizeof(text));
		printf("%4zu: %s\n", i, text);
		i += (size_t)(n > 0 ? n : 1);
	}
}

/* -d / --ebpf, or (with neither and no -r) a one-line account. */
static int filter_show(const struct filter_args *a, const struct skep_cbpf_insn *prog, size_t len)
{
	struct bpf_program bp = {(u_int)len, (struct bpf_insn *)(uintptr_t)prog};
	char log[4096] = "";
	struct skep_cbpf_opts co = {.sz = sizeof(co), .log_buf = log, .log_size = sizeof(log)};
	struct skep_insn *ebpf = NULL;
	size_t n = 0;
	int err;

	if (a->dump)
		bpf_dump(&bp, a->dump);
	if (a->dump && !a->ebpf)
		return CLI_OK;
	err = skep_cbpf_convert(prog, len, &co, &ebpf, &n);
	if (err) {
		fprintf(stderr, "skep: the filter cannot run on skep:\n%s", log);
		return CLI_NEGATIVE;
	}
	if (a->ebpf)
		filter_print_ebpf(ebpf, n);
	else
		printf("%zu classic BPF instructions -> %zu eBPF instructions\n", len, n);
	free(ebpf);
	return CLI_OK;
}

static double filter_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct filter_stats {
	uint64_t packets, matched;
	double start, last_report;
	int reported;
};

/* Once a run passes a second, a line a second on stderr. */
static void filter_progress(struct filter_stats *st, int final)
{
	double now = filter_now();
	int tty = isatty(2);

	if (final) {
		if (st->reported && tty)
			fputc('\n', stderr);
		return;
	}
	if (now - st->last_report < 1.0)
		return;
	st->last_report = now;
	st->reported = 1;
	fprintf(stderr, "%sskep: %" PRIu64 " packets, %" PRIu64 " matched (%.2f Mpps)%s",
		tty ? "\r" : "", st->packets, st->matched,
		st->packets / (now - st->start) / 1e6, tty ? "" : "\n");
}

static void filter_report(const struct filter_args *a, const struct filter_stats *st)
{
	double secs = filter_now() - st->start;
	double ns = st->packets ? secs * 1e9 / (double)st->packets : 0;
	/* with -w - the packets own stdout */
	FILE *f = a->out && !strcmp(a->out, "-") ? stderr : stdout;

	if (a->json)
		fprintf(f, "{\"packets\": %" PRIu64 ", \"matched\": %" PRIu64
			   ", \"ns_per_packet\": %.1f}\n",
			st->packets, st->matched, ns);
	else if (a->count || !a->out)
		fprintf(f, "%" PRIu64 " packets matched of %" PRIu64 "\n", st->matched,
			st->packets);
}

/* Packets wait in a chunk so that the filter runs on many at once (libpcap
 * hands each packet's bytes only for the length of its callback, so they are
 * copied). */
#define CHUNK_PKTS 256
#define CHUNK_BYTES (1u << 20)

struct chunk {
	struct skep_cbpf_filter *f;
	pcap_dumper_t *d;
	pcap_t *p;
	struct filter_stats *st;
	int linktype, failed;
	size_t n, used;
	struct pcap_pkthdr hdr[CHUNK_PKTS];
	struct skep_cbpf_packet pkt[CHUNK_PKTS];
	uint32_t verdict[CHUNK_PKTS];
	uint8_t bytes[CHUNK_BYTES];
};

static int chunk_flush(struct chunk *c)
{
	int err = skep_cbpf_filter_packets(c->f, c->pkt, c->n, c->verdict);

	if (err) {
		fprintf(stderr, "skep: packet %" PRIu64 ": the filter failed: %s\n",
			c->st->packets + 1, strerror(-err));
		return CLI_NEGATIVE;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (!c->verdict[i])
			continue;
		c->st->matched++;
		if (c->d)
			pcap_dump((u_char *)c->d, &c->hdr[i], c->pkt[i].data);
	}
	c->st->packets += c->n;
	c->n = c->used = 0;
	filter_progress(c->st, 0);
	return CLI_OK;
}

/* pcap_loop's callback: queue one packet; a packet too big for a chunk goes
 * through on its own. */
static void chunk_add(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct chunk *c = (struct chunk *)user;

	if ((c->n == CHUNK_PKTS || c->used + h->caplen > CHUNK_BYTES) && chunk_flush(c))
		goto fail;
	c->hdr[c->n] = *h;
	c->pkt[c->n] = (struct skep_cbpf_packet){c->linktype, data, h->caplen, h->len};
	if (h->caplen <= CHUNK_BYTES) {
		memcpy(c->bytes + c->used, data, h->caplen);
		c->pkt[c->n].data = c->bytes + c->used;
		c->used += h->caplen;
		c->n++;
		return;
	}
	c->n++;
	if (!chunk_flush(c))
		return;
fail:
	c->failed = 1;
	pcap_breakloop(c->p);
}

/* Filter every packet of the open capture; the dumper may be NULL. */
static int filter_loop(struct skep_cbpf_filter *f, pcap_t *p, pcap_dumper_t *d,
		       struct filter_stats *st)
{
	struct chunk *c = malloc(sizeof(*c));
	int rc;

	if (!c)
		return CLI_USAGE;
	*c = (struct chunk){.f = f, .d = d, .st = st, .p = p, .linktype = pcap_datalink(p)};
	st->start = st->last_report = filter_now();
	rc = pcap_loop(p, -1, chunk_add, (u_char *)c);
	if (!c->failed && chunk_flush(c))
		c->failed = 1;
	filter_progress(st, 1);
	if (rc == -1)
		fprintf(stderr, "skep: %s\n", pcap_geterr(p));
	rc = c->failed ? CLI_NEGATIVE : rc == -1 ? CLI_USAGE : CLI_OK;
	free(c);
	return rc;
}

/* A filter in the chosen mode; without an explicit mode, the interpreter
 * stands in when the JIT cannot take the program. */
static int filter_open(const struct filter_args *a, struct skep_vm *vm,
		       const struct skep_cbpf_insn *prog, size_t len, struct skep_cbpf_filter **f)
{
	char log[4096] = "", log2[4096] = "";
	struct skep_cbpf_opts co = {.sz = sizeof(co), .exec = a->mode, .log_buf = log,
				    .log_size = sizeof(log)};
	int err = skep_cbpf_filter_new(vm, prog, len, &co, f);

	if (err && a->mode == SKEP_EXEC_JIT && !a->mode_forced) {
		co.exec = SKEP_EXEC_INTERP;
		co.log_buf = log2;
		co.log_size = sizeof(log2);
		if (!skep_cbpf_filter_new(vm, prog, len, &co, f)) {
			fprintf(stderr, "skep: the JIT cannot run this filter; using the "
					"interpreter:\n%s", log);
			return 0;
		}
	}
	if (err)
		fprintf(stderr, "skep: the filter cannot run on skep:\n%s", log);
	return err;
}

static int filter_file(const struct filter_args *a, pcap_t *p, const struct skep_cbpf_insn *prog,
		       size_t len)
{
	struct skep_vm *vm = skep_vm_new();
	struct skep_cbpf_filter *f = NULL;
	pcap_dumper_t *d = NULL;
	struct filter_stats st = {0};
	int rc = CLI_NEGATIVE;

	if (!vm)
		return CLI_USAGE;
	if (filter_open(a, vm, prog, len, &f))
		goto out;
	if (a->out && !(d = pcap_dump_open(p, a->out))) {
		fprintf(stderr, "skep: %s\n", pcap_geterr(p));
		rc = CLI_USAGE;
		goto out;
	}
	rc = filter_loop(f, p, d, &st);
	if (d && (pcap_dump_flush(d) || ferror(pcap_dump_file(d)))) {
		fprintf(stderr, "skep: cannot write %s\n", a->out);
		rc = CLI_USAGE;
	}
	if (rc == CLI_OK)
		filter_report(a, &st);
out:
	if (d)
		pcap_dump_close(d);
	skep_cbpf_filter_free(f);
	skep_vm_free(vm);
	return rc;
}

/* The capture (with -r) and the link type and snapshot length to compile for. */
static int filter_input(const struct filter_args *a, pcap_t **p, int *linktype, int *snaplen)
{
	char err[PCAP_ERRBUF_SIZE] = "";

	*p = NULL;
	*linktype = DLT_EN10MB;
	*snaplen = FILTER_SNAPLEN;
	if (a->in) {
		*p = pcap_open_offline(a->in, err);
		if (!*p) {
			fprintf(stderr, "skep: %s\n", err);
			return -1;
		}
		*linktype = pcap_datalink(*p);
		*snaplen = pcap_snapshot(*p);
	} else if (a->linktype) {
		*linktype = pcap_datalink_name_to_val(a->linktype);
		if (*linktype < 0) {
			fprintf(stderr, "skep: unknown link type '%s'\n", a->linktype);
			return -1;
		}
	}
	return 0;
}

int cmd_filter(int argc, char **argv)
{
	struct filter_args a;
	struct skep_cbpf_insn *prog = NULL;
	size_t len = 0;
	char log[PCAP_ERRBUF_SIZE + 256] = "";
	pcap_t *p = NULL;
	int linktype, snaplen, rc = CLI_USAGE;

	if (filter_parse(argc, argv, &a)) {
		filter_usage(stderr);
		return CLI_USAGE;
	}
	if (filter_input(&a, &p, &linktype, &snaplen))
		goto out;
	if (skep_cbpf_compile(a.expr, linktype, snaplen, &prog, &len, log, sizeof(log))) {
		fprintf(stderr, "skep: %s", log);
		goto out;
	}
	if (a.dump || a.ebpf || !a.in)
		rc = filter_show(&a, prog, len);
	else
		rc = filter_file(&a, p, prog, len);
	if (fflush(stdout))
		rc = CLI_USAGE;
out:
	if (p)
		pcap_close(p);
	free(prog);
	free(a.expr);
	return rc;
}
