/* Differential test: random programs (tests/lib/randprog) run in the
 * interpreter and in the JIT, and every byte they leave behind (r0-r8, their
 * stack area, their data) must agree.  Every 8th program also runs in the
 * checked interpreter, the checked JIT and the hardened JIT.
 *
 * SKEP_JIT_DIFF_N (default 6000) sets the programs per feature mix;
 * SKEP_JIT_DIFF_SEED the first seed.  A failure names the seed, which
 * regenerates the program.
 */
#include "../lib/harness.h"
#include "../lib/randprog.h"
#include "jit_test.h"

#define DIFF_MAX_FAILS 10

struct mix {
	const char *name;
	uint32_t features;
	uint32_t nr_insns;
	uint32_t data_size;
};

static const struct mix mixes[] = {
	{"all", RANDPROG_ALL, 200, 256},
	{"all, long", RANDPROG_ALL, 1500, 1024},
	{"alu",
	 RANDPROG_ALU | RANDPROG_DIVMOD | RANDPROG_SHIFT | RANDPROG_MOVSX | RANDPROG_BYTEORDER |
		 RANDPROG_LDDW,
	 150, 64},
	{"jumps", RANDPROG_ALU | RANDPROG_JMP | RANDPROG_JA | RANDPROG_MAY_GOTO, 200, 64},
	{"memory",
	 RANDPROG_ALU | RANDPROG_MEM | RANDPROG_STACK | RANDPROG_LDSX | RANDPROG_ATOMIC |
		 RANDPROG_ACQREL,
	 200, 512},
};

struct diff {
	struct harness *h;
	struct tenv te;
	struct randprog_opts opts;
	struct randprog_layout layout;
	struct bpf_insn *body;
	size_t cap;
	int fails;
};

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* mov r9, r1; body; exit */
static int diff_build(struct diff *d, uint64_t seed, struct tprog *p)
{
	size_t n = randprog_generate(seed, &d->opts, d->body, d->cap, NULL);

	if (!n)
		return -1;
	p->n = 0;
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, RANDPROG_PTR_REG, 1, 0, 0);
	for (size_t i = 0; i < n; i++)
		tp_add(p, d->body[i]);
	tp_exit(p);
	return 0;
}

static void diff_explain(struct diff *d, const char *mix, uint64_t seed, const char *why)
{
	char place[64] = "";
	const char *b = strstr(why, "memory byte ");

	if (b)
		randprog_describe(&d->opts, (size_t)atol(b + 12), place, sizeof(place));
	harness_fail(d->h, mix, "seed 0x%" PRIx64 " (%u insns): %s%s%s", seed, d->opts.nr_insns,
		     why, place[0] ? ", which is " : "", place);
	d->fails++;
}

/* 0 if the interpreter and the JIT agree on this seed's program. */
static int diff_one(struct diff *d, const char *mix, uint64_t seed, int all_engines,
		    struct tprog *p)
{
	struct skep_prog *prog = NULL;
	struct trun a = {0}, b = {0};
	char log[256] = "", why[1024];
	int bad = 0;

	if (diff_build(d, seed, p) || t_load(&d->te, p, &prog, log, sizeof(log))) {
		diff_explain(d, mix, seed, log[0] ? log : "randprog_generate failed");
		return 1;
	}
	randprog_fill(seed, d->te.init, d->layout.size);
	if (all_engines) {
		bad = t_compare_all(&d->te, p, &a, why, sizeof(why));
	} else {
		t_exec(&d->te, prog, SKEP_EXEC_INTERP, &a);
		t_exec(&d->te, prog, SKEP_EXEC_JIT, &b);
		bad = !t_same(&d->te, &a, &b, 1, why, sizeof(why));
	}
	if (bad)
		diff_explain(d, mix, seed, why);
	trun_free(&a);
	trun_free(&b);
	skep_prog_free(prog);
	return bad;
}

static void diff_mix(struct diff *d, const struct mix *m, uint64_t first, uint64_t n)
{
	struct tprog p = {0};
	uint64_t bad = 0, i;

	d->opts = (struct randprog_opts){
		.data_size = m->data_size,
		.nr_insns = m->nr_insns,
		.features = m->features,
	};
	randprog_layout(&d->opts, &d->layout);
	d->cap = randprog_max_insns(&d->opts);
	d->body = realloc(d->body, d->cap * sizeof(*d->body));
	d->te.buf = realloc(d->te.buf, d->layout.size);
	d->te.init = realloc(d->te.init, d->layout.size);
	d->te.len = d->layout.size;
	if (!d->body || !d->te.buf || !d->te.init) {
		harness_fail(d->h, m->name, "out of memory");
		return;
	}
	for (i = 0; i < n && d->fails < DIFF_MAX_FAILS; i++)
		bad += diff_one(d, m->name, first + i, i % 8 == 0, &p);
	if (!bad)
		harness_pass(d->h, m->name);
	fprintf(stderr, "jit diff %s: %" PRIu64 " programs, %" PRIu64 " differ\n", m->name, i, bad);
	tp_free(&p);
}

int main(void)
{
	struct harness h = {0};
	struct diff d = {.h = &h, .te = {.vm = skep_vm_new(), .budget = 1ull << 40}};
	uint64_t n = env_u64("SKEP_JIT_DIFF_N", 6000), seed = env_u64("SKEP_JIT_DIFF_SEED", 1);

	if (!d.te.vm) {
		harness_fail(&h, "setup", "out of memory");
		return harness_exit(&h);
	}
	for (size_t m = 0; m < sizeof(mixes) / sizeof(mixes[0]); m++)
		diff_mix(&d, &mixes[m], seed + (uint64_t)m * 0x100000000ull, n);
	free(d.body);
	free(d.te.buf);
	free(d.te.init);
	skep_vm_free(d.te.vm);
	return harness_exit(&h);
}
