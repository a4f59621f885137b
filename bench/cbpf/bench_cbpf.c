/* skep-bench-cbpf: tcpdump filters over a capture held in memory.
 *
 * For each filter expression: packets per second through libpcap's own
 * interpreter (pcap_offline_filter, what tcpdump -r runs), skep's interpreter
 * and skep's JIT (the converted program, through skep_cbpf_filter_packets, the
 * per-packet context included), and the kernel's JIT running the same
 * converted program (BPF_PROG_TEST_RUN of a BPF_PROG_TYPE_SCHED_CLS, whose
 * packet starts at the Ethernet header as a capture's does; timed by the
 * kernel itself over repeats of a sample of the packets, so the system call
 * is not counted).  Every engine's matches are checked against libpcap's.
 *
 *   skep-bench-cbpf [CAPTURE]   default: 1,000,000 generated Ethernet packets
 *
 * Part of `make bench` (it takes tens of seconds, so it is no test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
/* <pcap.h> and <linux/bpf.h> both define a struct bpf_insn: the kernel's is
 * renamed here (the two are never mixed in this file). */
#define bpf_insn linux_bpf_insn
#include "../../tests/lib/kernel_bpf.h"
#undef bpf_insn
#include "../../tests/cbpf/pktgen.h"
#include "skep/cbpf.h"

#define NR_GEN 1000000
#define ROUNDS 3
#define KSAMPLE 20000 /* packets the kernel runs */
#define KREPEAT 50

static const char *const exprs[] = {
	"ip and tcp port 80",
	"tcp[13] & 2 != 0",
	"host 10.0.0.1",
	"net 192.168.0.0/16 and (tcp port 22 or udp port 53)",
	"vlan 100 and tcp port 80",
	"ip6 and udp port 53",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"not arp and not stp",
};

struct packets {
	size_t n;
	struct pcap_pkthdr *hdr;
	const u_char **data;
	struct skep_cbpf_packet *desc; /* the same packets as skep takes them */
	uint8_t *store;
};

static int packets_describe(struct packets *pk)
{
	pk->desc = malloc(pk->n * sizeof(*pk->desc));
	if (!pk->desc)
		return -1;
	for (size_t i = 0; i < pk->n; i++)
		pk->desc[i] = (struct skep_cbpf_packet){1, pk->data[i], pk->hdr[i].caplen,
							pk->hdr[i].len};
	return 0;
}

/* Thread CPU time: what other processes take of the machine is not counted,
 * as the kernel's test-run timer stops while it reschedules. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int packets_generate(struct packets *pk)
{
	struct pktgen g = {0x5eed};
	size_t off = 0;

	pk->n = NR_GEN;
	pk->hdr = calloc(pk->n, sizeof(*pk->hdr));
	pk->data = calloc(pk->n, sizeof(*pk->data));
	pk->store = malloc(pk->n * 256);
	if (!pk->hdr || !pk->data || !pk->store)
		return -1;
	for (size_t i = 0; i < pk->n; i++) {
		size_t caplen, len = pg_packet(&g, 1, pk->store + off, 256, &caplen);
		pk->hdr[i] = (struct pcap_pkthdr){.caplen = (uint32_t)caplen, .len = (uint32_t)len};
		pk->data[i] = pk->store + off;
		off += caplen;
	}
	return 0;
}

static int packets_read(struct packets *pk, const char *path)
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

/* Best of ROUNDS passes over every packet; *matched from the last. */
static double time_libpcap(const struct packets *pk, const struct bpf_program *bp,
			   size_t *matched)
{
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_s();
		size_t m = 0;
		for (size_t i = 0; i < pk->n; i++)
			m += pcap_offline_filter(bp, &pk->hdr[i], pk->data[i]) != 0;
		double t = now_s() - t0;
		best = t < best ? t : best;
		*matched = m;
	}
	return best;
}

/* skep's batch runner over the same packets, BATCH at a time (the packet
 * descriptors are built once, as libpcap's headers are). */
#define BATCH 1024
static double time_skep(const struct packets *pk, struct skep_cbpf_filter *f, size_t *matched)
{
	static uint32_t v[BATCH];
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_s();
		size_t m = 0;
		for (size_t i = 0; i < pk->n; i += BATCH) {
			size_t n = pk->n - i < BATCH ? pk->n - i : BATCH;
			skep_cbpf_filter_packets(f, pk->desc + i, n, v);
			for (size_t j = 0; j < n; j++)
				m += v[j] != 0;
		}
		double t = now_s() - t0;
		best = t < best ? t : best;
		*matched = m;
	}
	return best;
}

/* ns per packet in the kernel's JIT, over a sample; 0 when it cannot run. */
static double time_kernel(const struct packets *pk, const struct skep_cbpf_insn *prog,
			  size_t len, int *mismatch)
{
	struct skep_cbpf_opts o = {.sz = sizeof(o)};
	struct skep_vm *vm = skep_vm_new();
	struct skep_cbpf_filter *f = NULL;
	struct skep_insn *e;
	size_t ne, runs = 0;
	double ns = 0;
	int fd;

	if (skep_cbpf_convert(prog, len, &o, &e, &ne))
		return 0;
	fd = kbpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, (const struct linux_bpf_insn *)e, ne, NULL, 0);
	free(e);
	if (fd < 0 || skep_cbpf_filter_new(vm, prog, len, &o, &f))
		goto out;
	for (size_t i = 0; i < pk->n && runs < KSAMPLE; i += pk->n / KSAMPLE + 1) {
		struct kbpf_run run = {.data_in = pk->data[i], .data_size_in = pk->hdr[i].caplen,
				       .repeat = KREPEAT};
		struct skep_cbpf_packet p = {1, pk->data[i], pk->hdr[i].caplen, pk->hdr[i].caplen};
		uint32_t v;

		if (kbpf_prog_test_run(fd, &run))
			continue; /* too short for the kernel's test-run skb */
		skep_cbpf_filter_packet(f, &p, &v);
		*mismatch += v != run.retval;
		ns += run.duration;
		runs++;
	}
	ns = runs ? ns / runs : 0;
out:
	if (fd >= 0)
		close(fd);
	skep_cbpf_filter_free(f);
	skep_vm_free(vm);
	return ns;
}

static struct skep_cbpf_filter *open_filter(struct skep_vm *vm, const struct skep_cbpf_insn *p,
					    size_t n, enum skep_exec_mode mode)
{
	char log[4096] = "";
	struct skep_cbpf_opts o = {.sz = sizeof(o), .exec = mode, .log_buf = log,
				   .log_size = sizeof(log)};
	struct skep_cbpf_filter *f;

	if (skep_cbpf_filter_new(vm, p, n, &o, &f)) {
		fprintf(stderr, "skep-bench-cbpf: %s", log);
		return NULL;
	}
	return f;
}

static int bench_expr(const struct packets *pk, const char *expr, int kernel, double *ratio)
{
	pcap_t *pd = pcap_open_dead(1, 262144);
	struct bpf_program bp;
	struct skep_cbpf_insn *prog;
	size_t len, m_pcap, m_interp, m_jit;
	char log[512];
	struct skep_vm *vm = skep_vm_new();
	struct skep_cbpf_filter *fi, *fj;
	double t_pcap, t_interp, t_jit, k_ns = 0;
	int kbad = 0, bad;

	if (pcap_compile(pd, &bp, expr, 1, 0) ||
	    skep_cbpf_compile(expr, 1, 262144, &prog, &len, log, sizeof(log)))
		return fprintf(stderr, "skep-bench-cbpf: '%s': %s\n", expr, pcap_geterr(pd)), -1;
	fi = open_filter(vm, prog, len, SKEP_EXEC_INTERP);
	fj = open_filter(vm, prog, len, SKEP_EXEC_JIT);
	if (!fi || !fj)
		return -1;
	t_pcap = time_libpcap(pk, &bp, &m_pcap);
	t_interp = time_skep(pk, fi, &m_interp);
	t_jit = time_skep(pk, fj, &m_jit);
	if (kernel)
		k_ns = time_kernel(pk, prog, len, &kbad);
	bad = m_interp != m_pcap || m_jit != m_pcap || kbad;
	*ratio = t_pcap / t_jit;
	printf("%-52s %8zu %8.1f %8.1f %8.1f ", expr, m_pcap, pk->n / t_pcap / 1e6,
	       pk->n / t_interp / 1e6, pk->n / t_jit / 1e6);
	if (k_ns > 0)
		printf("%8.1f", 1e3 / k_ns);
	else
		printf("%8s", "-");
	printf(" %7.1fx%s\n", *ratio, bad ? "  MISMATCH" : "");
	skep_cbpf_filter_free(fi);
	skep_cbpf_filter_free(fj);
	skep_vm_free(vm);
	free(prog);
	pcap_freecode(&bp);
	pcap_close(pd);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct packets pk = {0};
	char why[256];
	int kernel = kbpf_available(why, sizeof(why)), bad = 0;
	double ratio = 0, worst = 1e9;

	if ((argc > 1 ? packets_read(&pk, argv[1]) : packets_generate(&pk)) ||
	    packets_describe(&pk))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("%zu packets in memory%s; Mpps (millions of packets per second), best of %d\n",
	       pk.n, argc > 1 ? "" : " (generated Ethernet mix)", ROUNDS);
	if (!kernel)
		printf("kernel: skipped (%s)\n", why);
	printf("%-52s %8s %8s %8s %8s %8s %8s\n", "filter", "matched", "libpcap", "interp", "jit",
	       "kernel", "jit/pcap");
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		bad |= bench_expr(&pk, exprs[i], kernel, &ratio);
		worst = ratio < worst ? ratio : worst;
	}
	printf("libpcap: pcap_offline_filter; interp, jit: skep_cbpf_filter_packets; kernel: its JIT "
	       "on the converted\nprogram (SCHED_CLS test-run, %d packets x %d repeats, timed by the "
	       "kernel)\nworst jit/libpcap: %.1fx\n",
	       KSAMPLE, KREPEAT, worst);
	return bad;
}
