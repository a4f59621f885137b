/* skep-bench: `make bench`.  Times each program of bench/progs in every engine
 * of bench_engines[] (skep's interpreter, skep's JIT when it exists, the
 * kernel's JIT through BPF_PROG_TEST_RUN, gcc -O2 natively), all in this one
 * run on the same input, checks that they compute the same result, and prints
 * ns per run and the ratios between engines.
 *
 * Usage: skep-bench DIR   (DIR holds the programs' NAME.bin, $(BUILD)/bench)
 * SKEP_BENCH_BATCH_MS sets the length of a timed batch (default 10).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define BENCH_ROUNDS 15
#define BENCH_MAX_ENGINES 8

/* Columns of ratios: time in `num` / time in `den`, by engine name. */
static const struct bench_ratio {
	const char *num, *den;
} bench_ratios[] = {
	{"skep-interp", "kernel-jit"},
	{"skep-interp", "native"},
	{"skep-jit", "kernel-jit"},
	{"skep-jit", "native"},
	{"kernel-jit", "native"},
};
#define BENCH_NR_RATIOS (sizeof(bench_ratios) / sizeof(bench_ratios[0]))

/* What one program measured in one engine. */
struct bench_cell {
	enum { CELL_NONE, CELL_SKIP, CELL_FAIL, CELL_OPEN, CELL_OK } state;
	struct bench_slot slot;
	int opened;      /* the engine's close is due */
	uint64_t batch;  /* runs per timed batch */
	double ns;       /* per run, the best batch */
	uint64_t result; /* r0 of the first run on fresh input */
};

static int engine_ok[BENCH_MAX_ENGINES];
static uint64_t batch_ns = 10000000;
static int mismatches;

static int engine_index(const char *name)
{
	for (size_t i = 0; i < bench_nr_engines; i++)
		if (!strcmp(bench_engines[i].name, name))
			return (int)i;
	return -1;
}

/* Grow a batch until it is long enough to time, then size it to batch_ns. */
static int bench_calibrate(const struct bench_engine *e, struct bench_cell *c)
{
	uint64_t n = 1, ns, r;

	for (;;) {
		if (e->run(&c->slot, n, &ns, &r))
			return -1;
		if (ns >= batch_ns / 10 || n >= (1u << 28))
			break;
		n *= 8;
	}
	n = (uint64_t)((double)n * (double)batch_ns / (double)(ns ? ns : 1));
	c->batch = n ? n : 1;
	return 0;
}

/* Open the program in the engine on a fresh copy of the input; the first run
 * gives the result to check. */
static void bench_cell_open(const struct bench_engine *e, const struct bench_prog *p,
			    const uint8_t *input, uint8_t *mem, struct bench_cell *c)
{
	char why[512] = "";
	uint64_t ns;

	c->slot = (struct bench_slot){.prog = p, .mem = mem, .fd = -1};
	c->opened = 0;
	c->ns = INFINITY;
	memcpy(mem, input, BENCH_MEM_LEN);
	if (e->open && e->open(&c->slot, why, sizeof(why))) {
		printf("%s: %s: skipped (%s)\n", e->name, p->name,
		       why[0] ? why : "no reason given");
		c->state = CELL_FAIL;
		return;
	}
	c->state = CELL_OPEN;
	c->opened = 1;
	if (e->run(&c->slot, 1, &ns, &c->result) || bench_calibrate(e, c)) {
		printf("%s: %s: a run failed\n", e->name, p->name);
		c->state = CELL_FAIL;
	}
}

/* One timed batch; the cell keeps its best. */
static void bench_cell_batch(const struct bench_engine *e, const struct bench_prog *p,
			     struct bench_cell *c)
{
	uint64_t ns, r;

	if (e->run(&c->slot, c->batch, &ns, &r)) {
		printf("%s: %s: a run failed\n", e->name, p->name);
		c->state = CELL_FAIL;
		return;
	}
	if (r != c->result) {
		printf("!!! MISMATCH: %s: %s returned 0x%llx, then 0x%llx on the same input\n",
		       p->name, e->name, (unsigned long long)c->result, (unsigned long long)r);
		mismatches++;
		c->result = r;
	}
	if ((double)ns / (double)c->batch < c->ns)
		c->ns = (double)ns / (double)c->batch;
	c->state = CELL_OK;
}

/* Every engine must reproduce the reference's result (as far as it reports it). */
static void bench_check(const struct bench_prog *p, const struct bench_cell *cells)
{
	int ref = engine_index(BENCH_REFERENCE);

	if (ref < 0 || cells[ref].state != CELL_OK)
		return;
	for (size_t i = 0; i < bench_nr_engines; i++) {
		const struct bench_engine *e = &bench_engines[i];
		uint64_t mask = e->result_bits >= 64 ? ~0ull : (1ull << e->result_bits) - 1;

		if ((int)i == ref || cells[i].state != CELL_OK)
			continue;
		if ((cells[i].result & mask) == (cells[ref].result & mask))
			continue;
		printf("!!! MISMATCH: %s: %s returned 0x%llx, %s returned 0x%llx (low %d bits "
		       "compared)\n",
		       p->name, e->name, (unsigned long long)cells[i].result, BENCH_REFERENCE,
		       (unsigned long long)cells[ref].result, e->result_bits);
		mismatches++;
	}
}

static void print_header(void)
{
	printf("%-9s %5s", "program", "insns");
	for (size_t i = 0; i < bench_nr_engines; i++)
		printf(" %11s", bench_engines[i].name);
	for (size_t i = 0; i < BENCH_NR_RATIOS; i++) {
		char label[32];
		int a = engine_index(bench_ratios[i].num), b = engine_index(bench_ratios[i].den);

		snprintf(label, sizeof(label), "%s/%s", a < 0 ? "?" : bench_engines[a].abbr,
			 b < 0 ? "?" : bench_engines[b].abbr);
		printf(" %9s", label);
	}
	printf("\n");
}

static void print_cell(const struct bench_cell *c)
{
	static const char *const text[] = {[CELL_NONE] = "-", [CELL_SKIP] = "skip",
					   [CELL_FAIL] = "fail", [CELL_OPEN] = "fail"};

	if (c->state == CELL_OK)
		printf(" %11.1f", c->ns);
	else
		printf(" %11s", text[c->state]);
}

static void print_row(const struct bench_prog *p, const struct bench_cell *cells)
{
	printf("%-9s %5zu", p->name, p->nr_insns);
	for (size_t i = 0; i < bench_nr_engines; i++)
		print_cell(&cells[i]);
	for (size_t i = 0; i < BENCH_NR_RATIOS; i++) {
		int a = engine_index(bench_ratios[i].num), b = engine_index(bench_ratios[i].den);

		if (a < 0 || b < 0 || cells[a].state != CELL_OK || cells[b].state != CELL_OK ||
		    cells[b].ns <= 0)
			printf(" %9s", "-");
		else
			printf(" %9.2f", cells[a].ns / cells[b].ns);
	}
	printf("\n");
}

static void print_machine(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			printf("cpu:%s", strchr(line, ':') + 1);
			break;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		printf("kernel: bpf_jit_enable=%s%s\n", line,
		       strcmp(line, "0") ? "" : " (JIT off: kernel-jit times its interpreter)");
	}
	if (f)
		fclose(f);
}

static void print_legend(void)
{
	printf("\nns per run, best of %d batches of ~%llu ms; insns: the program's BPF "
	       "instructions\n(the kernel runs 9 more: the XDP prologue that proves the "
	       "%d-byte packet).\n",
	       BENCH_ROUNDS, (unsigned long long)(batch_ns / 1000000), BENCH_MEM_LEN);
	printf("ratios: a/b = time in engine a / time in engine b; >1 means a is slower than "
	       "the reference b.\n");
	printf("engines:");
	for (size_t i = 0; i < bench_nr_engines; i++)
		printf(" %s=%s", bench_engines[i].abbr, bench_engines[i].name);
	printf("; \"-\": engine not written yet.\nprograms:\n");
	for (size_t i = 0; i < bench_nr_progs; i++)
		printf("  %-9s %s\n", bench_progs[i].name, bench_progs[i].what);
}

static void engines_init(void)
{
	for (size_t i = 0; i < bench_nr_engines; i++) {
		const struct bench_engine *e = &bench_engines[i];
		char why[512] = "";

		if (!e->run)
			continue;
		if (e->init && e->init(why, sizeof(why))) {
			printf("%s: skipped (%s)\n", e->name, why);
			continue;
		}
		engine_ok[i] = 1;
	}
}

static void engines_fini(void)
{
	for (size_t i = 0; i < bench_nr_engines; i++)
		if (engine_ok[i] && bench_engines[i].fini)
			bench_engines[i].fini();
}

/* The engines take turns, one batch each per round, so that whatever else the
 * machine is doing disturbs them alike; each keeps its best batch. */
static void bench_prog_run(const struct bench_prog *p, const uint8_t *input,
			   struct bench_cell *cells)
{
	static uint8_t mems[BENCH_MAX_ENGINES][BENCH_MEM_LEN] __attribute__((aligned(64)));

	for (size_t i = 0; i < bench_nr_engines; i++) {
		cells[i].state = bench_engines[i].run ? CELL_SKIP : CELL_NONE;
		if (engine_ok[i])
			bench_cell_open(&bench_engines[i], p, input, mems[i], &cells[i]);
	}
	for (int round = 0; round < BENCH_ROUNDS; round++)
		for (size_t i = 0; i < bench_nr_engines; i++)
			if (cells[i].state == CELL_OPEN || cells[i].state == CELL_OK)
				bench_cell_batch(&bench_engines[i], p, &cells[i]);
	for (size_t i = 0; i < bench_nr_engines; i++)
		if (cells[i].opened && bench_engines[i].close)
			bench_engines[i].close(&cells[i].slot);
	bench_check(p, cells);
}

int main(int argc, char **argv)
{
	static struct bench_cell cells[64][BENCH_MAX_ENGINES];
	static uint8_t input[BENCH_MEM_LEN], packets[BENCH_MEM_LEN];
	const char *ms = getenv("SKEP_BENCH_BATCH_MS");

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR  (DIR holds the programs' .bin files)\n", argv[0]);
		return 2;
	}
	if (bench_nr_engines > BENCH_MAX_ENGINES || bench_nr_progs > 64) {
		fprintf(stderr, "skep-bench: too many engines or programs for the tables\n");
		return 2;
	}
	if (ms && atoi(ms) > 0)
		batch_ns = (uint64_t)atoi(ms) * 1000000;
	if (bench_progs_load(argv[1]))
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	print_machine();
	bench_input_fill(input, sizeof(input));
	bench_input_fill_packets(packets, sizeof(packets));
	engines_init();
	for (size_t i = 0; i < bench_nr_progs; i++)
		bench_prog_run(&bench_progs[i],
			       bench_progs[i].input == BENCH_INPUT_PACKETS ? packets : input, cells[i]);
	printf("\n");
	print_header();
	for (size_t i = 0; i < bench_nr_progs; i++)
		print_row(&bench_progs[i], cells[i]);
	print_legend();
	if (mismatches)
		printf("\n!!! %d MISMATCH(ES): an engine computed a different result, "
		       "see above\n", mismatches);
	bench_maps();
	bench_compile();
	engines_fini();
	bench_progs_free();
	return mismatches ? 1 : 0;
}
