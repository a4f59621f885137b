/* skep-bench-cbpf: tcpdump filters over a capture held in memory.
 *
 * For each filter expression (exprs.h): packets per second through libpcap's
 * own interpreter (pcap_offline_filter, what tcpdump -r runs), skep's
 * interpreter and skep's JIT (the converted program, through
 * skep_cbpf_filter_packets, the per-packet context included), gcc -O2's build
 * of the same classic BPF program (gen_native.c writes it as C), and the
 * kernel's JIT running the converted program (BPF_PROG_TEST_RUN of a
 * BPF_PROG_TYPE_SCHED_CLS, whose packet starts at the Ethernet header as a
 * capture's does; timed by the kernel itself over repeats of a sample of the
 * packets, so the system call is not counted).  Every engine's matches are
 * checked against libpcap's.
 *
 * Two tables: every packet, which memory bandwidth bounds (a loop that reads
 * only each packet's ethertype says by how much), and the first NR_CACHED
 * packets, which stay in the L2 cache, so that the engines' code is compared.
 *
 *   skep-bench-cbpf [CAPTURE]   default: 1,000,000 generated Ethernet packets
 *
 * Part of `make bench` (it takes tens of seconds, so it is no test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>
/* <pcap.h> and <linux/bpf.h> both define a struct bpf_insn: the kernel's is
 * renamed here (the two are never mixed in this file). */
#define bpf_insn linux_bpf_insn
#include "../../tests/lib/kernel_bpf.h"
#undef bpf_insn
#include "exprs.h"
#include "native.h"
#include "packets.h"
#include "skep/cbpf.h"

#define NR_GEN 1000000
#define ROUNDS 3
#define NR_CACHED 8192
#define CACHED_ROUNDS 200
#define KSAMPLE 20000 /* packets the kernel runs */
#define KREPEAT 50

/* One expression in every engine. */
struct filter {
	const char *expr;
	struct bpf_program bp; /* libpcap's compile */
	struct skep_cbpf_insn *prog;
	size_t len;
	struct skep_vm *vm;
	struct skep_cbpf_filter *interp, *jit;
	bench_native_fn native;
	double kernel_ns; /* per packet; 0: not run */
	int bad;	  /* a mismatch found outside the timed passes */
};

enum engine { E_PCAP, E_INTERP, E_JIT, E_GCC, NR_ENGINES };

/* One pass over the packets; how many matched. */
typedef size_t (*pass_fn)(const struct packets *pk, const struct filter *f);

static size_t pass_pcap(const struct packets *pk, const struct filter *f)
{
	size_t m = 0;

	for (size_t i = 0; i < pk->n; i++)
		m += pcap_offline_filter(&f->bp, &pk->hdr[i], pk->data[i]) != 0;
	return m;
}

/* Called as libpcap's is: through a pointer, per packet, from its header. */
static size_t pass_gcc(const struct packets *pk, const struct filter *f)
{
	bench_native_fn fn = f->native;
	size_t m = 0;

	for (size_t i = 0; i < pk->n; i++)
		m += fn(pk->data[i], pk->hdr[i].caplen, pk->hdr[i].len) != 0;
	return m;
}

/* skep's batch runner, BATCH at a time (the packet descriptors are built
 * once, as libpcap's headers are). */
#define BATCH 1024
static size_t pass_skep(const struct packets *pk, struct skep_cbpf_filter *sf)
{
	static uint32_t v[BATCH];
	size_t m = 0;

	for (size_t i = 0; i < pk->n; i += BATCH) {
		size_t n = pk->n - i < BATCH ? pk->n - i : BATCH;
		skep_cbpf_filter_packets(sf, pk->desc + i, n, v);
		for (size_t j = 0; j < n; j++)
			m += v[j] != 0;
	}
	return m;
}

static size_t pass_interp(const struct packets *pk, const struct filter *f)
{
	return pass_skep(pk, f->interp);
}

static size_t pass_jit(const struct packets *pk, const struct filter *f)
{
	return pass_skep(pk, f->jit);
}

/* The floor: no filter can touch less of a packet than its ethertype, so
 * this loop's rate is the most any filter gets when memory is the limit. */
static size_t pass_floor(const struct packets *pk, const struct filter *f)
{
	size_t m = 0;

	(void)f;

	for (size_t i = 0; i < pk->n; i++) {
		const u_char *d = pk->data[i];
		m += pk->hdr[i].caplen >= 14 && (d[12] << 8 | d[13]) == 0x0800;
	}
	return m;
}

/* Best of rounds passes, in seconds; *matched from the last. */
static double best_of(pass_fn pass, const struct packets *pk, const struct filter *f, int rounds,
		      size_t *matched)
{
	double best = 1e9;

	for (int r = 0; r < rounds; r++) {
		double t0 = now_s();
		*matched = pass(pk, f);
		double t = now_s() - t0;
		best = t < best ? t : best;
	}
	return best;
}

/* ns per packet in the kernel's JIT, over a sample; 0 when it cannot run. */
static double time_kernel(const struct packets *pk, const struct skep_cbpf_insn *prog, size_t len,
			  int *mismatch)
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
		struct kbpf_run run = {.data_in = pk->data[i],
				       .data_size_in = pk->hdr[i].caplen,
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

static struct skep_cbpf_filter *open_skep(struct skep_vm *vm, const struct skep_cbpf_insn *p,
					  size_t n, enum skep_exec_mode mode)
{
	char log[4096] = "";
	struct skep_cbpf_opts o = {
		.sz = sizeof(o), .exec = mode, .log_buf = log, .log_size = sizeof(log)};
	struct skep_cbpf_filter *f;

	if (skep_cbpf_filter_new(vm, p, n, &o, &f)) {
		fprintf(stderr, "skep-bench-cbpf: %s", log);
		return NULL;
	}
	return f;
}

/* gcc's build must be of the program libpcap just compiled, and return what
 * libpcap returns for every packet, not only as often. */
static int check_native(const struct packets *pk, struct filter *f, const struct bench_native *n)
{
	size_t wrong = 0;

	if (strcmp(n->expr, f->expr) || n->nr_insns != f->bp.bf_len ||
	    n->hash != bench_native_hash(f->bp.bf_insns, f->bp.bf_len)) {
		fprintf(stderr, "skep-bench-cbpf: '%s': gcc's build is of another program\n",
			f->expr);
		return 1;
	}
	for (size_t i = 0; i < pk->n; i++)
		wrong += n->fn(pk->data[i], pk->hdr[i].caplen, pk->hdr[i].len) !=
			 (uint32_t)pcap_offline_filter(&f->bp, &pk->hdr[i], pk->data[i]);
	if (wrong)
		fprintf(stderr,
			"skep-bench-cbpf: '%s': gcc's build differs from libpcap on %zu packets\n",
			f->expr, wrong);
	return wrong != 0;
}

static int filter_open(struct filter *f, size_t i, const struct packets *pk, int kernel)
{
	pcap_t *pd = pcap_open_dead(BENCH_CBPF_LINKTYPE, BENCH_CBPF_SNAPLEN);
	char log[512] = "";
	int kbad = 0, err;

	f->expr = bench_cbpf_exprs[i];
	err = pcap_compile(pd, &f->bp, f->expr, 1, 0);
	if (err)
		snprintf(log, sizeof(log), "%s", pcap_geterr(pd));
	else
		err = skep_cbpf_compile(f->expr, BENCH_CBPF_LINKTYPE, BENCH_CBPF_SNAPLEN, &f->prog,
					&f->len, log, sizeof(log));
	pcap_close(pd);
	if (err)
		return fprintf(stderr, "skep-bench-cbpf: '%s': %s\n", f->expr, log), -1;
	f->vm = skep_vm_new();
	f->interp = open_skep(f->vm, f->prog, f->len, SKEP_EXEC_INTERP);
	f->jit = open_skep(f->vm, f->prog, f->len, SKEP_EXEC_JIT);
	if (!f->interp || !f->jit || i >= bench_cbpf_nr_native)
		return -1;
	f->native = bench_cbpf_native[i].fn;
	f->bad = check_native(pk, f, &bench_cbpf_native[i]);
	if (kernel)
		f->kernel_ns = time_kernel(pk, f->prog, f->len, &kbad);
	f->bad |= kbad != 0;
	return 0;
}

static void filter_close(struct filter *f)
{
	skep_cbpf_filter_free(f->interp);
	skep_cbpf_filter_free(f->jit);
	skep_vm_free(f->vm);
	free(f->prog);
	pcap_freecode(&f->bp);
}

static const pass_fn passes[NR_ENGINES] = {pass_pcap, pass_interp, pass_jit, pass_gcc};

/* One row; 1 on a mismatch.  *jit_pcap and *jit_gcc: the JIT's rate over
 * libpcap's and over gcc's. */
static int row(const struct packets *pk, const struct filter *f, int rounds, int width,
	       double *jit_pcap, double *jit_gcc)
{
	size_t m[NR_ENGINES];
	double t[NR_ENGINES];
	int bad = f->bad;

	for (int e = 0; e < NR_ENGINES; e++) {
		t[e] = best_of(passes[e], pk, f, rounds, &m[e]);
		bad |= m[e] != m[E_PCAP];
	}
	*jit_pcap = t[E_PCAP] / t[E_JIT];
	*jit_gcc = t[E_GCC] / t[E_JIT];
	printf("%-*s %7zu", width, f->expr, m[E_PCAP]);
	for (int e = 0; e < NR_ENGINES; e++)
		printf(" %7.1f", pk->n / t[e] / 1e6);
	if (f->kernel_ns > 0)
		printf(" %7.1f", 1e3 / f->kernel_ns);
	else
		printf(" %7s", "-");
	printf(" %7.1fx %6.2fx%s\n", *jit_pcap, *jit_gcc, bad ? " MISMATCH" : "");
	return bad;
}

/* A table of every filter over pk; 1 on a mismatch. */
static int table(const struct packets *pk, struct filter *fs, size_t nf, int rounds,
		 const char *floor)
{
	int width = 6, bad = 0;
	double jp, jg, worst = 1e9, lo = 1e9, hi = 0;
	size_t m;
	double t = best_of(pass_floor, pk, NULL, rounds, &m);

	for (size_t i = 0; i < nf; i++)
		width = (int)strlen(fs[i].expr) > width ? (int)strlen(fs[i].expr) : width;
	printf("%zu packets, %.2f MB with their headers; Mpps, best of %d passes\n", pk->n,
	       packets_bytes(pk) / 1e6, rounds);
	printf("%s floor: %.1f Mpps (a loop that reads only each packet's ethertype; %zu IPv4)\n",
	       floor, pk->n / t / 1e6, m);
	printf("%-*s %7s %7s %7s %7s %7s %7s %8s %7s\n", width, "filter", "matched", "libpcap",
	       "interp", "jit", "gcc -O2", "kernel", "jit/pcap", "jit/gcc");
	for (size_t i = 0; i < nf; i++) {
		bad |= row(pk, &fs[i], rounds, width, &jp, &jg);
		worst = jp < worst ? jp : worst;
		lo = jg < lo ? jg : lo;
		hi = jg > hi ? jg : hi;
	}
	printf("worst jit/libpcap: %.1fx; jit/gcc: %.2fx to %.2fx\n", worst, lo, hi);
	return bad;
}

static void footer(void)
{
	/* clang-format off */
	printf("matched: packets libpcap passes (every engine must agree, or MISMATCH)\n"
	       "libpcap: pcap_offline_filter, libpcap's interpreter (what tcpdump -r runs)\n"
	       "interp, jit: skep_cbpf_filter_packets on the converted program, %d packets a call\n"
	       "gcc -O2: the same cBPF program as C (gen_native.c), called per packet as libpcap is\n"
	       "kernel: its JIT on the converted program (SCHED_CLS test-run of %d packets x %d\n"
	       "        repeats, timed by the kernel); measured once, shown in both tables: as each\n"
	       "        packet repeats, it is cache-resident in both\n"
	       "floor: a native loop reading only each packet's ethertype, the most any filter gets\n"
	       "jit/pcap, jit/gcc: the JIT's rate over libpcap's, over gcc's (above 1: JIT faster)\n",
	       BATCH, KSAMPLE, KREPEAT);
	/* clang-format on */
}

int main(int argc, char **argv)
{
	struct packets pk = {0}, head;
	struct filter fs[BENCH_CBPF_NR_EXPRS] = {0};
	char why[256];
	int kernel = kbpf_available(why, sizeof(why)), bad = 0;

	if ((argc > 1 ? packets_read(&pk, argv[1]) : packets_generate(&pk, NR_GEN)) ||
	    packets_describe(&pk))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < BENCH_CBPF_NR_EXPRS; i++)
		if (filter_open(&fs[i], i, &pk, kernel))
			return 2;
	printf("packets: %s\n", argc > 1 ? argv[1] : "generated Ethernet mix");
	if (!kernel)
		printf("kernel: skipped (%s)\n", why);
	printf("\n== every packet, from memory ==\n");
	bad |= table(&pk, fs, BENCH_CBPF_NR_EXPRS, ROUNDS, "memory");
	head = packets_head(&pk, NR_CACHED);
	printf("\n== the first %zu packets, from the L2 cache ==\n", head.n);
	bad |= table(&head, fs, BENCH_CBPF_NR_EXPRS, CACHED_ROUNDS, "cache");
	printf("\n");
	footer();
	for (size_t i = 0; i < BENCH_CBPF_NR_EXPRS; i++)
		filter_close(&fs[i]);
	packets_free(&pk);
	return bad;
}
