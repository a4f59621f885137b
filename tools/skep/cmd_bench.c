/* skep bench: one program on one input in skep's interpreter, skep's JIT and
 * the Linux kernel (BPF_PROG_TEST_RUN, as test-run --kernel runs it; with
 * --checked also the checked interpreter and JIT), side by side: the time per
 * run of each, its ratio to skep's JIT, and whether every engine computed the
 * same retval and data_out.
 *
 * Each engine runs its own instance of the program, with its own maps, so that
 * each starts where the kernel's freshly made maps start.  The engines take
 * turns, one batch of N runs each per round, so that whatever else the machine
 * does disturbs them alike, and each reports its median batch.  skep's batches
 * are timed in thread CPU time (skep_prog_test_run's timer for packet
 * programs, cli_thread_ns around skep_prog_run for --mem); the kernel's figure
 * is the duration BPF_PROG_TEST_RUN reports.  What the engines compare is what
 * their first batch computed: N runs from the same start. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BENCH_BATCHES 5
/* Without --repeat, N is sized so that a batch of the interpreter (the slowest
 * unchecked engine) takes this long: about 0.1 s for its five batches. */
#define BENCH_BATCH_NS 20e6
#define BENCH_MAX_REPEAT 100000000ul

enum { BENCH_INTERP, BENCH_JIT, BENCH_KERNEL, BENCH_CHECKED, BENCH_JIT_CHECKED, BENCH_NR };

/* clang-format off */
static const struct bench_kind {
	const char *key;   /* in the JSON */
	const char *label; /* in the table */
	enum skep_exec_mode mode;
} bench_kinds[BENCH_NR] = {
	[BENCH_INTERP]      = {"interp",      "skep interp",      SKEP_EXEC_INTERP},
	[BENCH_JIT]         = {"jit",         "skep JIT",         SKEP_EXEC_JIT},
	[BENCH_KERNEL]      = {"kernel",      "kernel JIT",       SKEP_EXEC_INTERP /* unused */},
	[BENCH_CHECKED]     = {"checked",     "skep checked",     SKEP_EXEC_CHECKED},
	[BENCH_JIT_CHECKED] = {"jit_checked", "skep JIT checked", SKEP_EXEC_JIT_CHECKED},
};
/* clang-format on */

struct bench_args {
	struct cli_run_spec run; /* PROG, --mem, --rodata, --type, --data, --pcap, --ctx */
	const char *map_specs[CLI_MAX_MAPS];
	size_t nr_maps;
	unsigned long repeat; /* 0: sized by bench_calibrate */
	uint64_t budget;
	int checked, json;
};

/* What a batch computed: each packet's result, or a --mem program's r0 and
 * the memory it left. */
struct bench_result {
	struct cli_pkt_res *pkt; /* out buffers of their out_len */
	uint64_t retval;
	uint8_t *mem;
};

struct bench_engine {
	int on;
	char skipped[512]; /* why it did not run */
	char error[512];   /* why a batch failed */
	struct cli_maps maps;
	struct cli_run run;
	struct cli_kprog k; /* BENCH_KERNEL */
	double ns[BENCH_BATCHES];
	int batches;
	struct bench_result first;
};

struct bench {
	const struct bench_args *a;
	struct skep_vm *vm;
	uint32_t type;
	int packets;
	struct cli_pkt_run pr; /* packet programs: type, --data/--pcap/--ctx */
	struct cli_pkt_input in;
	struct cli_pkt_res res; /* of the packet just run */
	uint8_t *mem, *work;	/* --mem as read, and what a batch runs on */
	size_t mem_len;
	unsigned long repeat;
	struct bench_engine e[BENCH_NR];
};

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: skep bench PROG [--mem FILE] [--repeat N] [--checked] [--budget N]\n"
		"                  [--map SPEC]... [--rodata NAME=VALUE]... [--json]\n"
		"       skep bench PROG [--type T] --data FILE | --pcap FILE [--ctx FILE]\n"
		"                  [--repeat N] [--checked] [--rodata NAME=VALUE]... [--json]\n\n"
		"Runs PROG on the same input in skep's interpreter, skep's JIT and the Linux\n"
		"kernel (BPF_PROG_TEST_RUN, normally its JIT, as test-run --kernel), and prints\n"
		"each one's ns per run, its ratio to skep's JIT and its retval, and whether all\n"
		"of them computed the same retval and data_out (exit status 1 when not, or when\n"
		"a run fails).  Each engine runs its own instance of the program and its maps;\n"
		"they take turns, a batch of N runs each, and each reports its median of %d\n"
		"batches, timed in thread CPU time (the kernel: the duration it reports).  A\n"
		"checked run first makes sure the unchecked engines are safe on the input.\n"
		"The input, as test-run takes it:\n"
		"  --mem FILE    r1 points at a copy of FILE, r2 holds its length; the kernel\n"
		"                is skipped (its test run takes packet programs only)\n"
		"  --type T      program type (xdp, tc, socket_filter...) of a .s/.bin program\n"
		"  --data FILE   one packet (an Ethernet frame)\n"
		"  --pcap FILE   every packet of a capture: a batch runs each N times, ns per\n"
		"                run is the mean over the packets, retval the last packet's\n"
		"  --ctx FILE    the context in: a struct xdp_md or struct __sk_buff\n"
		"  --map SPEC    a raw program's map (lddw map index 0, 1, ...), as test-run\n"
		"  --rodata NAME=VALUE  set a const volatile global of an object's .rodata\n"
		"  --repeat N    runs per batch (default: sized so that a batch of the\n"
		"                interpreter takes about %.0f ms)\n"
		"  --checked     also the checked interpreter and the checked JIT\n"
		"  --budget N    instruction budget per run of the checked engines\n"
		"  --json        one object: {\"program\", \"type\", \"runs\": N, \"batches\",\n"
		"                \"packets\" (packet programs), \"engines\": {\"interp\": "
		"{\"ns_per_run\",\n"
		"                \"retval\"}, \"jit\": {...}, \"kernel\": {...} or {\"skipped\": "
		"WHY},\n"
		"                with --checked \"checked\" and \"jit_checked\"; {\"error\": WHY} "
		"for a\n"
		"                failed run}, \"ratios\": {\"jit_vs_interp\", \"jit_vs_kernel\": "
		"skep\n"
		"                JIT's time over the other's, null when one did not run},\n"
		"                \"match\": BOOL, \"mismatch\": WHAT (when false)}\n"
		"The kernel is shown as skipped, with the reason, when this process cannot run\n"
		"programs in it (not root, no bpf()), when it refuses the program, or for --mem.\n",
		BENCH_BATCHES, BENCH_BATCH_NS / 1e6);
}

static int bench_parse(int argc, char **argv, struct bench_args *a)
{
	static const struct option opts[] = {
		CLI_RUN_OPTIONS,
		{"map", required_argument, NULL, 'M'},
		{"repeat", required_argument, NULL, 'r'},
		{"checked", no_argument, NULL, 'c'},
		{"budget", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*a = (struct bench_args){0};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			if (a->nr_maps == CLI_MAX_MAPS)
				return fprintf(stderr, "skep: at most %d --map options\n",
					       CLI_MAX_MAPS),
				       -1;
			a->map_specs[a->nr_maps++] = optarg;
			break;
		case 'r':
			a->repeat = strtoul(optarg, &end, 0);
			if (*end || a->repeat == 0 || a->repeat > UINT32_MAX)
				return fprintf(stderr,
					       "skep: --repeat wants a number from 1 to %u\n",
					       UINT32_MAX),
				       -1;
			break;
		case 'c':
			a->checked = 1;
			break;
		case 'b':
			a->budget = strtoull(optarg, &end, 0);
			if (*end)
				return fprintf(stderr, "skep: --budget wants a number\n"), -1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			bench_usage(stdout);
			exit(0);
		default:
			/* --mem, --rodata, --type, --data, --pcap, --ctx */
			if (cli_run_option(&a->run, c, optarg) <= 0)
				return -1;
		}
	}
	if (optind + 1 != argc)
		return fprintf(stderr, "skep: bench takes one program\n"), -1;
	a->run.prog = argv[optind];
	return 0;
}

/* A log or an errno as one line of why. */
static void bench_why(char *why, size_t size, const char *log, int err)
{
	size_t n;

	snprintf(why, size, "%s", log && log[0] ? log : strerror(-err));
	while ((n = strlen(why)) && why[n - 1] == '\n')
		why[n - 1] = '\0';
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = ' ';
}

/* One batch of packet runs: each packet `repeat` times; ns is the mean per run
 * over the packets that ran.  keep: each packet's result. */
static int bench_batch_pkt(struct bench *b, struct skep_prog *prog, struct cli_kprog *k,
			   enum skep_exec_mode mode, unsigned long repeat,
			   struct bench_result *keep, double *ns, char *why, size_t why_size)
{
	struct cli_pkt_run pr = b->pr;
	double sum = 0;
	size_t ok = 0;
	int err = 0;

	pr.mode = mode;
	pr.repeat = repeat;
	for (size_t i = 0; i < b->in.n; i++) {
		cli_pkt_run_one(&pr, prog, k, &b->in.pk[i], b->in.ctx, (uint32_t)b->in.ctx_len,
				&b->res);
		if (b->res.err)
			err = err ? err : b->res.err;
		else
			sum += b->res.ns, ok++;
		if (!keep)
			continue;
		keep->pkt[i] = b->res;
		keep->pkt[i].out = malloc(b->res.out_len ? b->res.out_len : 1);
		if (!keep->pkt[i].out)
			return bench_why(why, why_size, NULL, -ENOMEM), -1;
		memcpy(keep->pkt[i].out, b->res.out, b->res.out_len);
	}
	if (!ok) {
		bench_why(why, why_size, NULL, err);
		return -1;
	}
	*ns = sum / (double)ok;
	return 0;
}

/* One batch of a --mem program: `repeat` runs on a fresh copy of --mem. */
static int bench_batch_mem(struct bench *b, struct skep_prog *prog, enum skep_exec_mode mode,
			   unsigned long repeat, struct bench_result *keep, double *ns, char *why,
			   size_t why_size)
{
	char log[4096] = "";
	struct skep_region region;
	struct skep_run_opts ro;
	struct skep_run_result res = {0};
	double t0;
	int err;

	if (b->mem_len)
		memcpy(b->work, b->mem, b->mem_len);
	cli_mem_run_opts(&ro, &region, b->mem_len ? b->work : NULL, b->mem_len, mode, b->a->budget,
			 log, sizeof(log));
	t0 = cli_thread_ns();
	for (unsigned long i = 0; i < repeat; i++)
		if ((err = skep_prog_run(prog, &ro, &res))) {
			bench_why(why, why_size, log, err);
			return -1;
		}
	*ns = (cli_thread_ns() - t0) / (double)repeat;
	if (keep) {
		keep->retval = res.retval;
		memcpy(keep->mem, b->work, b->mem_len);
	}
	return 0;
}

static int bench_batch(struct bench *b, struct skep_prog *prog, struct cli_kprog *k,
		       enum skep_exec_mode mode, unsigned long repeat, struct bench_result *keep,
		       double *ns, char *why, size_t why_size)
{
	return b->packets ? bench_batch_pkt(b, prog, k, mode, repeat, keep, ns, why, why_size)
			  : bench_batch_mem(b, prog, mode, repeat, keep, ns, why, why_size);
}

static int bench_result_alloc(struct bench *b, struct bench_result *r)
{
	if (b->packets)
		return (r->pkt = calloc(b->in.n, sizeof(*r->pkt))) ? 0 : -ENOMEM;
	return (r->mem = malloc(b->mem_len ? b->mem_len : 1)) ? 0 : -ENOMEM;
}

static void bench_result_free(struct bench *b, struct bench_result *r)
{
	for (size_t i = 0; r->pkt && i < b->in.n; i++)
		free(r->pkt[i].out);
	free(r->pkt);
	free(r->mem);
	*r = (struct bench_result){0};
}

/* An engine's own instance of the program: its --map maps, --rodata, loaded. */
static int bench_open(struct bench *b, struct bench_engine *e)
{
	for (size_t i = 0; i < b->a->nr_maps; i++)
		if (cli_maps_add(&e->maps, b->a->map_specs[i]))
			return CLI_USAGE;
	return cli_run_open(&b->a->run, b->vm, &e->maps, &e->run);
}

static void bench_close(struct bench *b, struct bench_engine *e)
{
	cli_run_close(&e->run);
	cli_maps_free(&e->maps);
	cli_kernel_close(&e->k);
	bench_result_free(b, &e->first);
}

/* Before any unchecked run: one checked run of each packet (or of --mem),
 * whose faults name the instruction, so that a program that strays outside
 * its memory or never ends is reported instead of crashing or hanging us. */
static int bench_check(struct bench *b, struct skep_prog *prog)
{
	struct cli_pkt_run pr = b->pr;
	char why[512];
	double ns;

	if (!b->packets) {
		if (!bench_batch_mem(b, prog, SKEP_EXEC_CHECKED, 1, NULL, &ns, why, sizeof(why)))
			return 0;
		fprintf(stderr, "skep: %s: a checked run stops: %s\n", b->a->run.prog, why);
		return CLI_NEGATIVE;
	}
	pr.mode = SKEP_EXEC_CHECKED;
	pr.repeat = 1;
	for (size_t i = 0; i < b->in.n; i++) {
		cli_pkt_run_one(&pr, prog, NULL, &b->in.pk[i], b->in.ctx, (uint32_t)b->in.ctx_len,
				&b->res);
		if (b->res.err == -EFAULT || b->res.err == -E2BIG) {
			/* A capture's runs are quiet: once more, for the log naming the fault. */
			if (pr.pcap) {
				pr.pcap = NULL;
				cli_pkt_run_one(&pr, prog, NULL, &b->in.pk[i], b->in.ctx,
						(uint32_t)b->in.ctx_len, &b->res);
			}
			fprintf(stderr,
				"skep: %s: packet %zu: a checked run stops (%s); the "
				"unchecked engines would not be safe on it\n",
				b->a->run.prog, i + 1, strerror(-b->res.err));
			return CLI_NEGATIVE;
		}
	}
	return 0;
}

/* N: grow a batch of the interpreter until it can be timed, then scale it
 * to BENCH_BATCH_NS. */
static int bench_calibrate(struct bench *b, struct skep_prog *prog)
{
	unsigned long n = 1;
	double ns, total, want;
	char why[512];

	for (;;) {
		if (bench_batch(b, prog, NULL, SKEP_EXEC_INTERP, n, NULL, &ns, why, sizeof(why))) {
			fprintf(stderr, "skep: %s: the run fails: %s\n", b->a->run.prog, why);
			return CLI_NEGATIVE;
		}
		total = ns * (double)n * (double)(b->packets ? b->in.n : 1);
		if (total >= BENCH_BATCH_NS / 10 || n >= BENCH_MAX_REPEAT)
			break;
		n = n * 8 > BENCH_MAX_REPEAT ? BENCH_MAX_REPEAT : n * 8;
	}
	want = (double)n * BENCH_BATCH_NS / (total > 1 ? total : 1);
	b->repeat = want < 1 ? 1 : want > BENCH_MAX_REPEAT ? BENCH_MAX_REPEAT : (unsigned long)want;
	return 0;
}

/* The engines that will run, each with its instance and, for the JITs, its
 * code compiled (so that no batch times the compiler); the kernel's program. */
static int bench_setup(struct bench *b)
{
	char log[4096] = "";
	int rc;

	for (int i = 0; i < BENCH_NR; i++) {
		struct bench_engine *e = &b->e[i];
		e->on = i == BENCH_INTERP || i == BENCH_JIT || i == BENCH_KERNEL || b->a->checked;
		if (!e->on || i == BENCH_KERNEL)
			continue;
		if ((rc = bench_open(b, e)))
			return rc;
		if ((bench_kinds[i].mode == SKEP_EXEC_JIT ||
		     bench_kinds[i].mode == SKEP_EXEC_JIT_CHECKED) &&
		    skep_prog_jited(e->run.prog, bench_kinds[i].mode == SKEP_EXEC_JIT_CHECKED,
				    &(struct skep_jited){0}, log, sizeof(log))) {
			snprintf(e->skipped, sizeof(e->skipped), "the JIT cannot compile it: ");
			bench_why(e->skipped + strlen(e->skipped),
				  sizeof(e->skipped) - strlen(e->skipped), log, -EINVAL);
		}
	}
	if (!b->packets) {
		snprintf(b->e[BENCH_KERNEL].skipped, sizeof(b->e[0].skipped),
			 "BPF_PROG_TEST_RUN runs packet programs (--data or --pcap), not --mem");
	} else if (cli_kernel_available(b->e[BENCH_KERNEL].skipped, sizeof(b->e[0].skipped))) {
		int err = cli_kernel_load(b->a->run.prog, &b->e[BENCH_INTERP].run.p, b->type,
					  &b->e[BENCH_KERNEL].k);
		if (err)
			snprintf(b->e[BENCH_KERNEL].skipped, sizeof(b->e[0].skipped),
				 "the kernel refuses the program (%s; why is on stderr)",
				 strerror(-err));
	}
	for (int i = 0; i < BENCH_NR; i++)
		if (b->e[i].on && !b->e[i].skipped[0] && bench_result_alloc(b, &b->e[i].first))
			return CLI_USAGE;
	return 0;
}

/* Rounds of one batch per engine; the first batch's results are kept. */
static void bench_rounds(struct bench *b)
{
	for (int round = 0; round < BENCH_BATCHES; round++)
		for (int i = 0; i < BENCH_NR; i++) {
			struct bench_engine *e = &b->e[i];
			if (!e->on || e->skipped[0] || e->error[0])
				continue;
			if (!bench_batch(b, i == BENCH_KERNEL ? NULL : e->run.prog,
					 i == BENCH_KERNEL ? &e->k : NULL, bench_kinds[i].mode,
					 b->repeat, round ? NULL : &e->first, &e->ns[e->batches],
					 e->error, sizeof(e->error)))
				e->batches++;
		}
}

/* Did the engine complete its batches? */
static int bench_ran(const struct bench_engine *e)
{
	return e->on && !e->skipped[0] && !e->error[0] && e->batches;
}

static double bench_median(const struct bench_engine *e)
{
	double v[BENCH_BATCHES];
	int n = e->batches;

	memcpy(v, e->ns, sizeof(v[0]) * (size_t)n);
	for (int i = 1; i < n; i++) /* insertion sort: five values */
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The time of engine x over engine y's, or a negative number when one did not run. */
static double bench_ratio(const struct bench *b, int x, int y)
{
	double ny;

	if (!bench_ran(&b->e[x]) || !bench_ran(&b->e[y]) || (ny = bench_median(&b->e[y])) <= 0)
		return -1;
	return bench_median(&b->e[x]) / ny;
}

static void bench_pkt_str(const struct bench *b, const struct cli_pkt_res *r, char *buf,
			  size_t size)
{
	const char *name = cli_pkt_action_name(b->type, r->retval);

	if (r->err)
		snprintf(buf, size, "error: %s", strerror(-r->err));
	else
		snprintf(buf, size, "retval %" PRIu32 "%s%s, %" PRIu32 " bytes out", r->retval,
			 *name ? " " : "", name, r->out_len);
}

/* The first byte where two buffers differ, or their shorter length. */
static size_t bench_diff_at(const uint8_t *x, size_t nx, const uint8_t *y, size_t ny)
{
	size_t i = 0;

	while (i < nx && i < ny && x[i] == y[i])
		i++;
	return i;
}

/* How engine x's first batch differs from reference engine r's. */
static void bench_describe(const struct bench *b, int x, int r, size_t pkt, char *buf, size_t size)
{
	const struct bench_result *rx = &b->e[x].first, *rr = &b->e[r].first;
	const char *lx = bench_kinds[x].label, *lr = bench_kinds[r].label;
	char sx[128], sr[128], where[32] = "";

	if (!b->packets) {
		if (rx->retval != rr->retval)
			snprintf(buf, size, "%s returns %" PRIu64 ", %s %" PRIu64, lx, rx->retval,
				 lr, rr->retval);
		else
			snprintf(buf, size, "%s leaves the memory different from %s at byte %zu",
				 lx, lr, bench_diff_at(rx->mem, b->mem_len, rr->mem, b->mem_len));
		return;
	}
	const struct cli_pkt_res *px = &rx->pkt[pkt], *pr = &rr->pkt[pkt];
	if (b->in.n > 1)
		snprintf(where, sizeof(where), "packet %zu: ", pkt + 1);
	bench_pkt_str(b, px, sx, sizeof(sx));
	bench_pkt_str(b, pr, sr, sizeof(sr));
	if (strcmp(sx, sr))
		snprintf(buf, size, "%s%s: %s; %s: %s", where, lx, sx, lr, sr);
	else if (px->out_len != pr->out_len || memcmp(px->out, pr->out, px->out_len))
		snprintf(buf, size, "%s%s and %s: data_out differs at byte %zu", where, lx, lr,
			 bench_diff_at(px->out, px->out_len, pr->out, pr->out_len));
	else
		snprintf(buf, size, "%s%s and %s: ctx_out differs at byte %zu", where, lx, lr,
			 bench_diff_at(px->ctx, px->ctx_len, pr->ctx, pr->ctx_len));
}

/* 0 when every engine that ran computed what the first one did; else 1 and
 * the first difference in buf. */
static int bench_compare(const struct bench *b, char *buf, size_t size)
{
	int ref = -1;

	for (int i = 0; i < BENCH_NR; i++) {
		if (!bench_ran(&b->e[i]))
			continue;
		if (ref < 0) {
			ref = i;
			continue;
		}
		if (!b->packets) {
			const struct bench_result *x = &b->e[i].first, *r = &b->e[ref].first;
			if (x->retval != r->retval || memcmp(x->mem, r->mem, b->mem_len))
				return bench_describe(b, i, ref, 0, buf, size), 1;
			continue;
		}
		for (size_t p = 0; p < b->in.n; p++)
			if (!cli_pkt_same(&b->e[i].first.pkt[p], &b->e[ref].first.pkt[p]))
				return bench_describe(b, i, ref, p, buf, size), 1;
	}
	return 0;
}

/* What an engine's first batch returned: the last packet's retval. */
static uint64_t bench_retval(const struct bench *b, const struct bench_engine *e)
{
	return b->packets ? e->first.pkt[b->in.n - 1].retval : e->first.retval;
}

static void bench_print_text(const struct bench *b, int mismatch, const char *what)
{
	const char *pname = cli_prog_type_name(b->type);
	double r;

	if (b->packets)
		printf("%s (%s) on %zu packet%s: ns per run, median of %d batches of %lu runs%s\n",
		       b->a->run.prog, pname, b->in.n, b->in.n == 1 ? "" : "s", BENCH_BATCHES,
		       b->repeat, b->in.n > 1 ? " of each; retval of the last packet" : "");
	else
		printf("%s on %zu bytes of memory: ns per run, median of %d batches of %lu runs\n",
		       b->a->run.prog, b->mem_len, BENCH_BATCHES, b->repeat);
	printf("%-17s %12s  %11s  %s\n", "engine", "ns/run", "vs skep JIT", "retval");
	for (int i = 0; i < BENCH_NR; i++) {
		const struct bench_engine *e = &b->e[i];
		if (!e->on)
			continue;
		if (!bench_ran(e)) {
			printf("%-17s %s: %s\n", bench_kinds[i].label,
			       e->skipped[0] ? "skipped" : "error",
			       e->skipped[0] ? e->skipped : e->error);
			continue;
		}
		const char *name =
			b->packets ? cli_pkt_action_name(b->type, (uint32_t)bench_retval(b, e))
				   : "";
		printf("%-17s %12.1f  ", bench_kinds[i].label, bench_median(e));
		if ((r = bench_ratio(b, i, BENCH_JIT)) >= 0)
			printf("%10.2fx", r);
		else
			printf("%11s", "-");
		printf("  %" PRIu64 "%s%s\n", bench_retval(b, e), *name ? " " : "", name);
	}
	if ((r = bench_ratio(b, BENCH_INTERP, BENCH_JIT)) >= 0)
		printf("JIT speedup over the interpreter: %.2fx", r);
	else
		printf("JIT speedup over the interpreter: -");
	if ((r = bench_ratio(b, BENCH_JIT, BENCH_KERNEL)) >= 0)
		printf("; skep JIT / kernel JIT: %.2f (below 1: skep is faster)\n", r);
	else
		printf("; skep JIT / kernel JIT: - (%s)\n", bench_ran(&b->e[BENCH_JIT])
								    ? "the kernel did not run"
								    : "the JIT did not run");
	if (mismatch)
		printf("MISMATCH: %s\n", what);
	else if (b->packets)
		printf("every engine computed the same retval and data_out%s\n",
		       b->in.n > 1 ? " for every packet" : "");
	else
		printf("every engine computed the same retval and memory\n");
}

static void bench_print_ratio(const char *key, double r)
{
	if (r >= 0)
		printf("\"%s\": %.4f", key, r);
	else
		printf("\"%s\": null", key);
}

static void bench_print_json(const struct bench *b, int mismatch, const char *what)
{
	printf("{\"program\": ");
	cli_print_json_string(stdout, b->a->run.prog);
	printf(", \"type\": \"%s\", ", cli_prog_type_name(b->type));
	if (b->packets)
		printf("\"packets\": %zu, ", b->in.n);
	printf("\"runs\": %lu, \"batches\": %d, \"engines\": {", b->repeat, BENCH_BATCHES);
	for (int i = 0, n = 0; i < BENCH_NR; i++) {
		const struct bench_engine *e = &b->e[i];
		if (!e->on)
			continue;
		printf("%s\"%s\": {", n++ ? ", " : "", bench_kinds[i].key);
		if (bench_ran(e)) {
			printf("\"ns_per_run\": %.1f, \"retval\": %" PRIu64 "}", bench_median(e),
			       bench_retval(b, e));
			continue;
		}
		printf("\"%s\": ", e->skipped[0] ? "skipped" : "error");
		cli_print_json_string(stdout, e->skipped[0] ? e->skipped : e->error);
		printf("}");
	}
	printf("}, \"ratios\": {");
	bench_print_ratio("jit_vs_interp", bench_ratio(b, BENCH_JIT, BENCH_INTERP));
	printf(", ");
	bench_print_ratio("jit_vs_kernel", bench_ratio(b, BENCH_JIT, BENCH_KERNEL));
	printf("}, \"match\": %s", mismatch ? "false" : "true");
	if (mismatch) {
		printf(", \"mismatch\": ");
		cli_print_json_string(stdout, what);
	}
	printf("}\n");
}

/* Set up, check, size N with a first instance of the program; then the engines. */
static int bench_run(struct bench *b)
{
	struct bench_engine probe = {.k.fd = -1};
	const struct cli_run_spec *s = &b->a->run;
	char what[1024] = "";
	int rc, mismatch, failed = 0;

	if ((rc = bench_open(b, &probe)))
		goto out;
	rc = CLI_USAGE;
	if (cli_run_kind(s, &probe.run))
		goto out;
	b->type = probe.run.type;
	b->packets = probe.run.packets;
	b->pr = (struct cli_pkt_run){.spec = s->prog,
				     .data = s->data,
				     .pcap = s->pcap,
				     .ctx = s->ctx,
				     .type = b->type,
				     .budget = b->a->budget};
	if (b->packets && cli_pkt_input_load(&b->pr, &b->in))
		goto out;
	if (b->packets && !(b->res.out = malloc(CLI_PKT_OUT_MAX)))
		goto out;
	if ((rc = bench_check(b, probe.run.prog)))
		goto out;
	b->repeat = b->a->repeat;
	if (!b->repeat && (rc = bench_calibrate(b, probe.run.prog)))
		goto out;
	bench_close(b, &probe);
	if ((rc = bench_setup(b)))
		goto out;
	bench_rounds(b);
	mismatch = bench_compare(b, what, sizeof(what));
	for (int i = 0; i < BENCH_NR; i++)
		failed |= b->e[i].on && !b->e[i].skipped[0] && !bench_ran(&b->e[i]);
	if (b->a->json)
		bench_print_json(b, mismatch, what);
	else
		bench_print_text(b, mismatch, what);
	rc = mismatch || failed ? CLI_NEGATIVE : CLI_OK;
out:
	bench_close(b, &probe);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_args a;
	struct bench b = {.a = &a};
	int rc = CLI_USAGE;

	for (int i = 0; i < BENCH_NR; i++)
		b.e[i].k.fd = -1;
	if (bench_parse(argc, argv, &a)) {
		bench_usage(stderr);
		return CLI_USAGE;
	}
	if (a.run.mem && !(b.mem = cli_read_file(a.run.mem, &b.mem_len)))
		return CLI_USAGE;
	if (!(b.work = malloc(b.mem_len ? b.mem_len : 1)) || !(b.vm = skep_vm_new()))
		goto out;
	/* bpf_trace_printk lines are dropped: printing them would be what is timed. */
	rc = bench_run(&b);
out:
	for (int i = 0; i < BENCH_NR; i++)
		bench_close(&b, &b.e[i]);
	cli_pkt_input_free(&b.in);
	free(b.res.out);
	skep_vm_free(b.vm);
	free(b.work);
	free(b.mem);
	return rc;
}
