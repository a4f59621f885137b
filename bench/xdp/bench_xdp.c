/* make bench, XDP part: packets per second per core of XDP programs over an
 * in-memory capture in skep, and ns per packet beside the kernel's
 * BPF_PROG_TEST_RUN.
 *
 * The capture is generated (tests/cbpf/pktgen.h: a mix of Ethernet, VLAN,
 * IPv4, IPv6, TCP, UDP, ICMP, ARP, malformed) and held in memory; each packet
 * is copied into an XDP frame and run, as `skep xdp run` does, so the rate
 * includes the copy and the context set-up.  Programs: the header-parsing
 * scrubber (examples/net/xdp_scrub.bpf.c, no maps) and the firewall
 * (xdp_firewall.bpf.c: an LPM trie, a hash and a per-CPU array per packet).
 * The kernel column is BPF_PROG_TEST_RUN's mean per-run time with repeat
 * (the kernel's JIT, the same packets); skep's test-run column is the same
 * measurement through skep_prog_test_run. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/cbpf/pktgen.h"
#include "../../tests/lib/kernel_bpf.h"
#include "skep/hooks.h"
#include "skep/maps.h"
#include "skep/object.h"
#include "skep/skep.h"

#define NR_PACKETS 100000
#define ROUNDS 5
#define KERNEL_SAMPLE 200
#define KERNEL_REPEAT 2000

struct capture {
	uint8_t *data; /* packet i at off[i], len[i] bytes */
	uint32_t *off, *len;
	size_t n;
};

/* The calling thread's CPU time: "per core" rates stay honest on a machine
 * that is busy with other work (wall-clock rates are printed beside them). */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int capture_make(struct capture *c)
{
	struct pktgen g = {0x5eb5eb5eb5ull};
	size_t cap = (size_t)NR_PACKETS * 1600, used = 0;

	c->data = malloc(cap);
	c->off = malloc(NR_PACKETS * sizeof(*c->off));
	c->len = malloc(NR_PACKETS * sizeof(*c->len));
	if (!c->data || !c->off || !c->len)
		return -1;
	c->n = 0;
	while (c->n < NR_PACKETS) {
		size_t caplen;
		pg_packet(&g, 1, c->data + used, 1514, &caplen);
		if (caplen < 14) /* XDP never sees runts */
			continue;
		c->off[c->n] = (uint32_t)used;
		c->len[c->n++] = (uint32_t)caplen;
		used += caplen;
	}
	return 0;
}

struct side {
	struct skep_vm *vm;
	struct skep_object *obj;
	struct skep_prog *prog;
	struct bpf_object *kobj;
	int kfd;
};

static void fill_firewall(struct side *s)
{
	size_t n;
	struct skep_map **maps = skep_object_maps(s->obj, &n);
	uint8_t one = 1;
	uint16_t ports[] = {htons(22), htons(8080), htons(53)};
	struct {
		uint32_t plen, addr;
	} pfx[] = {{32, htonl(0x0a000002)}, {24, htonl(0xc0a80100)}, {8, htonl(0x08000000)}};
	int ip = skep_object_find_map(s->obj, "blocked_ports");
	int iv = skep_object_find_map(s->obj, "blocked_v4");
	struct bpf_map *kp = s->kobj ? bpf_object__find_map_by_name(s->kobj, "blocked_ports") : NULL;
	struct bpf_map *kv = s->kobj ? bpf_object__find_map_by_name(s->kobj, "blocked_v4") : NULL;

	for (int i = 0; i < 3; i++) {
		skep_map_update(maps[ip], &ports[i], &one, BPF_ANY);
		skep_map_update(maps[iv], &pfx[i], &one, BPF_ANY);
		if (kp)
			bpf_map_update_elem(bpf_map__fd(kp), &ports[i], &one, BPF_ANY);
		if (kv)
			bpf_map_update_elem(bpf_map__fd(kv), &pfx[i], &one, BPF_ANY);
	}
}

static int side_open(struct side *s, const char *dir, const char *name, int kernel)
{
	char path[512], log[4096];
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log)};
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	int idx;

	memset(s, 0, sizeof(*s));
	s->kfd = -1;
	snprintf(path, sizeof(path), "%s/examples/net/%s.bpf.o", dir, name);
	s->vm = skep_vm_new();
	if (skep_object_open_file(s->vm, path, &oo, &s->obj) ||
	    (idx = skep_object_find_prog(s->obj, name)) < 0 ||
	    skep_object_prog_load(s->obj, (size_t)idx, &lo, &s->prog)) {
		fprintf(stderr, "bench-xdp: %s: %s\n", path, log);
		return -1;
	}
	if (kernel) {
		s->kobj = bpf_object__open_file(path, NULL);
		if (s->kobj && !bpf_object__load(s->kobj))
			s->kfd = bpf_program__fd(bpf_object__find_program_by_name(s->kobj, name));
	}
	if (!strcmp(name, "xdp_firewall"))
		fill_firewall(s);
	return 0;
}

static void side_close(struct side *s)
{
	if (s->kobj)
		bpf_object__close(s->kobj);
	skep_object_free(s->obj);
	skep_vm_free(s->vm);
}

struct worker {
	struct skep_prog *prog;
	const struct capture *c;
	enum skep_exec_mode mode;
	uint32_t cpu;
	size_t lo, hi;
	double secs, cpu_secs;
	uint64_t verdicts[5];
	size_t next, end; /* skep_xdp_run_each's cursor */
	int counting;
};

/* As `skep xdp run` runs a capture: each packet copied into the frame, the
 * run set up once (skep_xdp_run_each). */
static int worker_next(void *arg, struct skep_xdp_frame *f)
{
	struct worker *w = arg;

	for (; w->next < w->end; w->next++)
		if (!skep_xdp_frame_set(f, w->c->data + w->c->off[w->next], w->c->len[w->next], 1,
					0)) {
			w->next++;
			return 1;
		}
	return 0;
}

static void worker_done(void *arg, struct skep_xdp_frame *f, const struct skep_xdp_result *r)
{
	struct worker *w = arg;

	if (w->counting && r->action < 5)
		w->verdicts[r->action]++;
}

static void worker_pass(struct worker *w, struct skep_xdp_frame *f,
			const struct skep_run_opts *ro, size_t end)
{
	for (w->next = w->lo, w->end = end; skep_xdp_run_each(w->prog, f, ro, worker_next,
							       worker_done, w);)
		; /* a failed run: go on with the next packet */
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct skep_xdp_frame *f;
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = w->mode, .cpu = w->cpu};
	double t0, c0;

	if (skep_xdp_frame_new(&f))
		return NULL;
	/* one untimed pass: compiles the JIT code, warms the caches */
	worker_pass(w, f, &ro, w->hi < w->lo + 1000 ? w->hi : w->lo + 1000);
	t0 = now_s();
	c0 = cpu_s();
	w->counting = 1;
	for (int round = 0; round < ROUNDS; round++)
		worker_pass(w, f, &ro, w->hi);
	w->secs = now_s() - t0;
	w->cpu_secs = cpu_s() - c0;
	skep_xdp_frame_free(f);
	return NULL;
}

/* Mpps of `threads` threads together over the whole capture. */
static double skep_pps(struct side *s, const struct capture *c, enum skep_exec_mode mode,
		       unsigned threads, uint64_t *verdicts, double *wall_mpps)
{
	struct worker w[64];
	double pps = 0, wall = 0;

	for (unsigned t = 0; t < threads; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].prog = s->prog;
		w[t].c = c;
		w[t].mode = mode;
		w[t].cpu = t;
		w[t].lo = c->n * t / threads;
		w[t].hi = c->n * (t + 1) / threads;
	}
	if (threads == 1) {
		worker_main(&w[0]);
	} else {
		pthread_t tid[64];
		for (unsigned t = 0; t < threads; t++)
			pthread_create(&tid[t], NULL, worker_main, &w[t]);
		for (unsigned t = 0; t < threads; t++)
			pthread_join(tid[t], NULL);
	}
	for (unsigned t = 0; t < threads; t++) {
		pps += (double)(w[t].hi - w[t].lo) * ROUNDS / w[t].cpu_secs;
		wall += (double)(w[t].hi - w[t].lo) * ROUNDS / w[t].secs;
		if (verdicts)
			for (int a = 0; a < 5; a++)
				verdicts[a] += w[t].verdicts[a];
	}
	if (wall_mpps)
		*wall_mpps = wall / 1e6;
	return pps / 1e6;
}

/* Mean ns per run over KERNEL_SAMPLE packets, each run KERNEL_REPEAT times:
 * in the kernel (BPF_PROG_TEST_RUN) or in skep (skep_prog_test_run). */
static double test_run_ns(struct side *s, const struct capture *c, int kernel)
{
	static uint8_t out[4096];
	double total = 0;
	int runs = 0;

	for (size_t k = 0; k < KERNEL_SAMPLE; k++) {
		size_t i = k * (c->n / KERNEL_SAMPLE);
		if (kernel) {
			struct kbpf_run r = {.data_in = c->data + c->off[i], .data_size_in = c->len[i],
					     .data_out = out, .data_size_out = sizeof(out),
					     .repeat = KERNEL_REPEAT};
			if (kbpf_prog_test_run(s->kfd, &r))
				continue;
			total += r.duration;
		} else {
			struct skep_test_run_opts t = {
				.sz = sizeof(t), .prog_type = BPF_PROG_TYPE_XDP,
				.data_in = c->data + c->off[i], .data_size_in = c->len[i],
				.data_out = out, .data_size_out = sizeof(out), .repeat = KERNEL_REPEAT,
				.mode = SKEP_EXEC_JIT,
			};
			if (skep_prog_test_run(s->prog, &t))
				continue;
			total += t.ns_per_run;
		}
		runs++;
	}
	return runs ? total / runs : 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build";
	static const char *const progs[] = {"xdp_scrub", "xdp_firewall"};
	struct capture c;
	char why[256];
	int kernel = kbpf_available(why, sizeof(why));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu > 1 ? (unsigned)(ncpu > 64 ? 64 : ncpu) : 1;

	libbpf_set_print(NULL);
	if (capture_make(&c))
		return 1;
	printf("%zu generated packets in memory, each copied into an XDP frame and run; %d rounds\n",
	       c.n, ROUNDS);
	if (!kernel)
		printf("(kernel column skipped: %s)\n", why);
	printf("Mpps per core from each thread's CPU time (wall-clock Mpps in brackets: the\n"
	       "machine may be busy); test-run: mean ns per run of %d sampled packets, %d runs each\n",
	       KERNEL_SAMPLE, KERNEL_REPEAT);
	printf("%-13s %18s %8s %12s %17s | %13s %10s %7s\n", "program", "JIT Mpps/core", "ns/pkt",
	       "interp Mpps", "JIT Mpps, threads", "test-run skep", "kernel", "k/skep");
	for (size_t p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
		struct side s;
		uint64_t v[5] = {0};
		double jit, interp, multi, sk, kn, jit_wall, multi_wall;
		char mt[16];
		if (side_open(&s, dir, progs[p], kernel)) {
			side_close(&s);
			continue;
		}
		jit = skep_pps(&s, &c, SKEP_EXEC_JIT, 1, v, &jit_wall);
		interp = skep_pps(&s, &c, SKEP_EXEC_INTERP, 1, NULL, NULL);
		multi = skep_pps(&s, &c, SKEP_EXEC_JIT, threads, NULL, &multi_wall);
		sk = test_run_ns(&s, &c, 0);
		kn = s.kfd >= 0 ? test_run_ns(&s, &c, 1) : 0;
		snprintf(mt, sizeof(mt), "%u", threads);
		printf("%-13s %7.2f [%7.2f] %8.1f %12.2f %5.2f [%5.2f] x%-3s | %13.1f %10.1f %7.2f\n",
		       progs[p], jit, jit_wall, 1e3 / jit, interp, multi, multi_wall, mt, sk, kn,
		       kn > 0 && sk > 0 ? kn / sk : 0);
		printf("%-13s verdicts: drop %llu pass %llu (of %zu)\n", "",
		       (unsigned long long)v[XDP_DROP] / ROUNDS, (unsigned long long)v[XDP_PASS] / ROUNDS,
		       c.n);
		side_close(&s);
	}
	printf("target: >= 10 Mpps per core for the header-parsing filter (xdp_scrub)\n");
	return 0;
}
