/* skep xdp: XDP programs over captures and live interfaces.
 *
 *   skep xdp run PROG --pcap IN [--pass F] [--tx F] [--drop F] [--redirect F]
 *                [--aborted F] [--threads N] [--interp|--checked|--jit] [--json]
 *   skep xdp attach PROG --dev IF [--peer IF2] [--count N] [--seconds S] [--json]
 *
 * `run` puts every packet of the capture through the program (in memory:
 * the capture is read first, so the rate measured is the program's and
 * skep's, not the disk's) and writes each packet as the program left it to
 * the file of its verdict.  With --threads N the capture is cut into N
 * contiguous parts, one per thread; thread i runs as CPU i, so per-CPU maps
 * keep one slot per thread, and the output files keep the capture's order.
 *
 * `attach` is the live datapath (xdp_live.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_xdp.h"
#include "skep/hooks.h"

#define XDP_NR_ACTIONS 5

struct xdp_run_args {
	const char *prog, *pcap;
	const char *out[XDP_NR_ACTIONS]; /* per action: file for its packets */
	unsigned threads;
	enum skep_exec_mode mode;
	int json;
	struct cli_maps maps;
	const char *updates[64]; /* --update NAME=KEY=VALUE */
	size_t nr_updates;
};

/* Packets a thread kept for one output file: [u32 index][u32 len][bytes]... */
struct xdp_buf {
	uint8_t *p;
	size_t len, cap;
};

#define XDP_MAX_TARGETS 64
struct xdp_target {
	enum skep_redirect_kind kind;
	uint32_t target;
	uint64_t count;
};

struct xdp_worker {
	pthread_t tid;
	unsigned cpu;
	struct skep_prog *prog;
	const struct xdp_run_args *a;
	const struct cli_packet *pk;
	size_t lo, hi;
	uint64_t count[XDP_NR_ACTIONS + 1]; /* the last: other return values */
	uint64_t invalid, failed;
	struct xdp_buf out[XDP_NR_ACTIONS];
	struct xdp_target targets[XDP_MAX_TARGETS];
	size_t nr_targets;
	uint64_t other_targets;
	/* The clock runs from the end of the first packet, whose run compiles
	 * the JIT code, to the end of the last. */
	double t_first, t_end;
	size_t next; /* the packet to run next; cur: the one in the frame */
	size_t cur;
	char err[512];
};

static void xdp_run_usage(FILE *f)
{
	fprintf(f,
		"usage: skep xdp run PROG --pcap IN [--pass F] [--tx F] [--drop F] [--redirect F]\n"
		"                    [--aborted F] [--threads N] [--interp | --checked | --jit]\n"
		"                    [--map SPEC]... [--update NAME=KEY=VALUE]... [--json]\n"
		"       skep xdp attach PROG --dev IF [--peer IF2] [--count N] [--seconds S]\n"
		"                    [--interp | --checked | --jit] [--map SPEC]...\n"
		"                    [--update NAME=KEY=VALUE]... [--json]\n\n"
		"run: every packet of IN (pcap or pcapng, Ethernet) through the XDP program;\n"
		"prints per-verdict counts, packets per second and the maps at the end, and\n"
		"writes each packet as the program left it to the file of its verdict.\n"
		"  --threads N   N threads, thread i as CPU i (per-CPU maps: one slot each)\n"
		"  --jit         native code (default); --interp, --checked: the interpreter\n"
		"  --update NAME=KEY=VALUE  set an element of the program's map NAME first\n"
		"                (KEY, VALUE: hex bytes in memory order, or u32:N...)\n"
		"attach: the program on the live traffic of IF (AF_PACKET, TPACKET_V3 ring):\n"
		"XDP_TX sends the packet back out of IF, XDP_PASS and XDP_REDIRECT send it\n"
		"to IF2 (or the redirect's interface), XDP_DROP drops it; packets from IF2\n"
		"go to IF unchanged (a bump in the wire).  Stops on SIGINT/SIGTERM, after\n"
		"--count packets or --seconds seconds.\n");
}

static int xdp_parse_mode(int c, enum skep_exec_mode *mode)
{
	switch (c) {
	case 'i':
		*mode = SKEP_EXEC_INTERP;
		return 1;
	case 'c':
		*mode = SKEP_EXEC_CHECKED;
		return 1;
	case 'J':
		*mode = SKEP_EXEC_JIT;
		return 1;
	default:
		return 0;
	}
}

static int xdp_run_parse(int argc, char **argv, struct xdp_run_args *a)
{
	static const struct option opts[] = {
		{"pcap", required_argument, NULL, 'p'},    {"pass", required_argument, NULL, 2},
		{"tx", required_argument, NULL, 3},        {"drop", required_argument, NULL, 1},
		{"redirect", required_argument, NULL, 4},  {"aborted", required_argument, NULL, 0x100},
		{"threads", required_argument, NULL, 't'}, {"interp", no_argument, NULL, 'i'},
		{"checked", no_argument, NULL, 'c'},       {"jit", no_argument, NULL, 'J'},
		{"json", no_argument, NULL, 'j'},          {"map", required_argument, NULL, 'M'},
		{"update", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*a = (struct xdp_run_args){.threads = 1, .mode = SKEP_EXEC_JIT};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (xdp_parse_mode(c, &a->mode))
			continue;
		switch (c) {
		case 'p':
			a->pcap = optarg;
			break;
		case 1:
		case 2:
		case 3:
		case 4:
			a->out[c] = optarg;
			break;
		case 0x100:
			a->out[XDP_ABORTED] = optarg;
			break;
		case 't':
			a->threads = (unsigned)strtoul(optarg, &end, 0);
			if (*end || !a->threads || a->threads > 1024)
				return fprintf(stderr, "skep: --threads wants 1 to 1024\n"), -1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'M':
			if (cli_maps_add(&a->maps, optarg))
				return -1;
			break;
		case 'u':
			if (a->nr_updates == sizeof(a->updates) / sizeof(a->updates[0]))
				return fprintf(stderr, "skep: too many --update\n"), -1;
			a->updates[a->nr_updates++] = optarg;
			break;
		case 'h':
			xdp_run_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind + 1 != argc || !a->pcap)
		return fprintf(stderr, "skep: xdp run takes one program and --pcap IN\n"), -1;
	a->prog = argv[optind];
	return 0;
}

static int xdp_buf_put(struct xdp_buf *b, uint32_t idx, const uint8_t *data, uint32_t len)
{
	size_t need = b->len + 8 + len;

	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		uint8_t *p;
		while (cap < need)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, &idx, 4);
	memcpy(b->p + b->len + 4, &len, 4);
	memcpy(b->p + b->len + 8, data, len);
	b->len = need;
	return 0;
}

static void xdp_note_target(struct xdp_worker *w, const struct skep_xdp_result *r)
{
	for (size_t i = 0; i < w->nr_targets; i++)
		if (w->targets[i].kind == r->redirect && w->targets[i].target == r->redirect_target) {
			w->targets[i].count++;
			return;
		}
	if (w->nr_targets == XDP_MAX_TARGETS) {
		w->other_targets++;
		return;
	}
	w->targets[w->nr_targets++] = (struct xdp_target){r->redirect, r->redirect_target, 1};
}

static double xdp_now(void);

/* skep_xdp_run_each's callbacks: the worker's next packet into the frame
 * (those no frame holds are counted invalid), and a run's verdict. */
static int xdp_worker_next(void *arg, struct skep_xdp_frame *f)
{
	struct xdp_worker *w = arg;

	for (; w->next < w->hi; w->next++) {
		const struct cli_packet *p = &w->pk[w->next];
		if (!skep_xdp_frame_set(f, p->data, p->len, 1, 0)) {
			w->cur = w->next++;
			return 1;
		}
		w->invalid++;
	}
	return 0;
}

static void xdp_worker_done(void *arg, struct skep_xdp_frame *f, const struct skep_xdp_result *r)
{
	struct xdp_worker *w = arg;

	if (w->cur == w->lo)
		w->t_first = xdp_now();
	if (r->action >= XDP_NR_ACTIONS) {
		w->count[XDP_NR_ACTIONS]++;
		return;
	}
	w->count[r->action]++;
	if (r->action == XDP_REDIRECT)
		xdp_note_target(w, r);
	if (w->a->out[r->action] &&
	    xdp_buf_put(&w->out[r->action], (uint32_t)w->cur, r->data, r->len))
		w->failed++;
}

static void *xdp_worker_main(void *arg)
{
	struct xdp_worker *w = arg;
	struct skep_xdp_frame *f;
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = w->a->mode, .cpu = w->cpu,
				   .log_buf = w->err, .log_size = sizeof(w->err)};

	if (skep_xdp_frame_new(&f)) {
		snprintf(w->err, sizeof(w->err), "out of low memory for a frame");
		w->failed = w->hi - w->lo;
		return NULL;
	}
	/* A failed run ends the loop: count it and go on from the next packet. */
	for (w->next = w->lo;
	     skep_xdp_run_each(w->prog, f, &ro, xdp_worker_next, xdp_worker_done, w);)
		w->failed++;
	w->t_end = xdp_now();
	skep_xdp_frame_free(f);
	return NULL;
}

static double xdp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int xdp_write_outputs(const struct xdp_run_args *a, struct xdp_worker *w, unsigned n,
			     const struct cli_packet *pk)
{
	for (int act = 0; act < XDP_NR_ACTIONS; act++) {
		struct cli_pcap_out *o;
		if (!a->out[act])
			continue;
		if (!(o = cli_pcap_create(a->out[act])))
			return CLI_USAGE;
		for (unsigned t = 0; t < n; t++)
			for (size_t off = 0; off < w[t].out[act].len;) {
				uint32_t idx, len;
				memcpy(&idx, w[t].out[act].p + off, 4);
				memcpy(&len, w[t].out[act].p + off + 4, 4);
				cli_pcap_write(o, &pk[idx], w[t].out[act].p + off + 8, len);
				off += 8 + len;
			}
		cli_pcap_close(o);
	}
	return 0;
}

/* Packets per second of all threads together: the sum of each thread's rate
 * over its packets after the first. */
static double xdp_rate(const struct xdp_worker *w, unsigned n)
{
	double pps = 0;

	for (unsigned t = 0; t < n; t++)
		if (w[t].hi - w[t].lo > 1 && w[t].t_end > w[t].t_first)
			pps += (double)(w[t].hi - w[t].lo - 1) / (w[t].t_end - w[t].t_first);
	return pps;
}

static void xdp_print(const struct xdp_run_args *a, struct xdp_worker *w, unsigned n,
		      size_t nr_pk, double secs, double pps, const struct cli_program *p)
{
	uint64_t count[XDP_NR_ACTIONS + 1] = {0}, invalid = 0, failed = 0;
	struct xdp_target tg[XDP_MAX_TARGETS];
	size_t nt = 0;

	for (unsigned t = 0; t < n; t++) {
		for (int i = 0; i <= XDP_NR_ACTIONS; i++)
			count[i] += w[t].count[i];
		invalid += w[t].invalid;
		failed += w[t].failed;
		for (size_t k = 0; k < w[t].nr_targets; k++) {
			size_t j;
			for (j = 0; j < nt; j++)
				if (tg[j].kind == w[t].targets[k].kind &&
				    tg[j].target == w[t].targets[k].target)
					break;
			if (j == nt && nt < XDP_MAX_TARGETS)
				tg[nt++] = (struct xdp_target){w[t].targets[k].kind,
							       w[t].targets[k].target, 0};
			if (j < XDP_MAX_TARGETS)
				tg[j].count += w[t].targets[k].count;
		}
	}
	if (a->json) {
		printf("{\"packets\": %zu, \"threads\": %u, \"seconds\": %.6f, \"pps\": %.0f, "
		       "\"pps_per_thread\": %.0f, \"actions\": {",
		       nr_pk, n, secs, pps, pps / n);
		for (int i = 0; i < XDP_NR_ACTIONS; i++)
			printf("%s\"%s\": %" PRIu64, i ? ", " : "", skep_xdp_action_name((uint32_t)i),
			       count[i]);
		printf("}, \"other\": %" PRIu64 ", \"invalid\": %" PRIu64 ", \"failed\": %" PRIu64
		       ", \"redirect\": {",
		       count[XDP_NR_ACTIONS], invalid, failed);
		for (size_t j = 0; j < nt; j++)
			printf("%s\"%s:%u\": %" PRIu64, j ? ", " : "",
			       tg[j].kind == SKEP_REDIRECT_CPU ? "cpu" : "ifindex", tg[j].target,
			       tg[j].count);
		printf("}");
		cli_program_print_maps(p, 1);
		printf("}\n");
		return;
	}
	printf("%zu packets, %u thread%s, %.3f ms: %.2f Mpps (%.2f Mpps per thread)\n", nr_pk, n,
	       n == 1 ? "" : "s", secs * 1e3, pps / 1e6, pps / n / 1e6);
	for (int i = 0; i < XDP_NR_ACTIONS; i++)
		printf("  %-13s %10" PRIu64 "%s%s\n", skep_xdp_action_name((uint32_t)i), count[i],
		       a->out[i] ? "  -> " : "", a->out[i] ? a->out[i] : "");
	if (count[XDP_NR_ACTIONS])
		printf("  %-13s %10" PRIu64 "\n", "other", count[XDP_NR_ACTIONS]);
	if (invalid)
		printf("  %-13s %10" PRIu64 "  (shorter than 14 bytes or longer than %d: not run)\n",
		       "invalid", invalid, SKEP_XDP_MAX_DATA);
	if (failed)
		printf("  %-13s %10" PRIu64 "  (the run stopped: %s)\n", "failed", failed, w[0].err);
	for (size_t j = 0; j < nt; j++)
		printf("  redirected to %s %u: %" PRIu64 "\n",
		       tg[j].kind == SKEP_REDIRECT_CPU ? "CPU" : "ifindex", tg[j].target, tg[j].count);
	cli_program_print_maps(p, 0);
}

/* --update NAME=KEY=VALUE: an element of one of the program's maps, set
 * before the run (KEY and VALUE as `skep map update` takes them). */
int xdp_apply_update(const struct cli_program *p, const char *spec)
{
	char buf[1024], *key, *val;
	uint8_t kb[512], vb[4096];
	struct skep_map_info in;
	int err;

	snprintf(buf, sizeof(buf), "%s", spec);
	if (!(key = strchr(buf, '=')) || !(val = strchr(key + 1, '='))) {
		fprintf(stderr, "skep: --update %s: want NAME=KEY=VALUE\n", spec);
		return CLI_USAGE;
	}
	*key++ = '\0';
	*val++ = '\0';
	for (size_t i = 0; i < p->nr_maps; i++) {
		if (strcmp(p->map_names[i], buf))
			continue;
		skep_map_info(p->maps[i], &in);
		if (in.key_size > sizeof(kb) || in.user_value_size > sizeof(vb) ||
		    cli_parse_bytes(key, kb, in.key_size) ||
		    cli_parse_bytes(val, vb, in.user_value_size)) {
			fprintf(stderr, "skep: --update %s: map %s takes %u-byte keys and %u-byte "
					"values\n", spec, buf, in.key_size, in.user_value_size);
			return CLI_USAGE;
		}
		if ((err = skep_map_update(p->maps[i], kb, vb, BPF_ANY))) {
			fprintf(stderr, "skep: --update %s: %s\n", spec, strerror(-err));
			return CLI_USAGE;
		}
		return 0;
	}
	fprintf(stderr, "skep: --update %s: the program has no map %s\n", spec, buf);
	return CLI_USAGE;
}

/* Open PROG (an XDP program; raw programs are taken to be XDP) and load it. */
int xdp_open_prog(const char *spec, struct skep_vm *vm, struct cli_maps *maps,
		  struct cli_program *p, struct skep_prog **prog)
{
	char log[8192] = "";
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};

	if (cli_program_open(spec, vm, maps, p))
		return CLI_USAGE;
	if (p->prog_type != BPF_PROG_TYPE_XDP && p->prog_type != BPF_PROG_TYPE_UNSPEC) {
		fprintf(stderr, "skep: %s is a %s program, not XDP\n", spec,
			cli_prog_type_name(p->prog_type));
		return CLI_USAGE;
	}
	if (cli_program_load(p, &lo, prog)) {
		fprintf(stderr, "skep: %s: program rejected:\n%s", spec, log);
		return CLI_NEGATIVE;
	}
	return 0;
}

static int xdp_run(int argc, char **argv)
{
	struct xdp_run_args a;
	struct cli_program p = {0};
	struct cli_packet *pk = NULL;
	struct xdp_worker *w = NULL;
	struct skep_vm *vm = NULL;
	struct skep_prog *prog;
	size_t n = 0;
	double t0, secs;
	int rc;

	if (xdp_run_parse(argc, argv, &a)) {
		xdp_run_usage(stderr);
		return CLI_USAGE;
	}
	if (!(vm = skep_vm_new()))
		return CLI_USAGE;
	skep_vm_set_trace(vm, cli_trace_line, NULL);
	if ((rc = xdp_open_prog(a.prog, vm, &a.maps, &p, &prog)))
		goto out;
	a.mode = cli_program_safe_mode(&p, BPF_PROG_TYPE_XDP, 0, a.mode);
	for (size_t i = 0; i < a.nr_updates; i++)
		if ((rc = xdp_apply_update(&p, a.updates[i])))
			goto out;
	if ((rc = cli_pcap_load(a.pcap, &pk, &n)))
		goto out;
	rc = CLI_USAGE;
	if (a.threads > n && n)
		a.threads = (unsigned)n;
	if (!(w = calloc(a.threads, sizeof(*w))))
		goto out;
	for (unsigned t = 0; t < a.threads; t++)
		w[t] = (struct xdp_worker){.cpu = t, .prog = prog, .a = &a, .pk = pk,
					   .lo = n * t / a.threads, .hi = n * (t + 1) / a.threads};
	t0 = xdp_now();
	if (a.threads == 1) {
		xdp_worker_main(&w[0]);
	} else {
		for (unsigned t = 0; t < a.threads; t++)
			if (pthread_create(&w[t].tid, NULL, xdp_worker_main, &w[t])) {
				fprintf(stderr, "skep: cannot start thread %u\n", t);
				a.threads = t;
				break;
			}
		for (unsigned t = 0; t < a.threads; t++)
			pthread_join(w[t].tid, NULL);
	}
	secs = xdp_now() - t0;
	if ((rc = xdp_write_outputs(&a, w, a.threads, pk)))
		goto out;
	xdp_print(&a, w, a.threads, n, secs, xdp_rate(w, a.threads), &p);
	rc = CLI_OK;
	for (unsigned t = 0; t < a.threads; t++)
		if (w[t].failed) {
			fprintf(stderr, "skep: %" PRIu64 " runs failed: %s", w[t].failed, w[t].err);
			rc = CLI_NEGATIVE;
		}
out:
	if (w)
		for (unsigned t = 0; t < a.threads; t++)
			for (int i = 0; i < XDP_NR_ACTIONS; i++)
				free(w[t].out[i].p);
	free(w);
	cli_packets_free(pk, n);
	cli_program_close(&p);
	cli_maps_free(&a.maps);
	skep_vm_free(vm);
	return rc;
}

int cmd_xdp(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return xdp_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "attach"))
		return xdp_attach(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		xdp_run_usage(stdout);
		return CLI_OK;
	}
	xdp_run_usage(stderr);
	return CLI_USAGE;
}
