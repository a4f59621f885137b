/* The JIT's batch loops against the interpreter.
 *
 * jit_run_batch() runs a program once per item without going back to C; a
 * call-free program compiled for batches (jit_opts.batch) is inlined into the
 * loop (jit_fuse.c), others go through the plain batch trampoline.  Random
 * programs (tests/lib/randprog) followed by legacy packet loads of random
 * offsets and sizes, whose results feed the memory the next item's run
 * reads, run over a batch of random packets (some too short, so loads stop
 * the run with r0 = 0): every item's r0 and the memory and stack left at the
 * end must be what the interpreter gives, item after item on the same memory.
 *
 * Random classic BPF programs (tests/cbpf/cbpfgen.h), converted, name few
 * registers, so their fused loops keep their state in free registers: they
 * run with each number of those registers, from all four down to none.
 *
 * SKEP_JIT_BATCH_N (default 1500) sets the programs per mix.
 */
#include "../cbpf/cbpfgen.h"
#include "../lib/harness.h"
#include "../lib/randprog.h"
#include "core/callctx.h"
#include "core/core.h"
#include "core/log.h"
#include "interp/interp.h"
#include "isa/bpf_compat.h"
#include "jit/jit.h"
#include "jit_test.h"

#define NR_ITEMS 24
#define PKT_MAX 64

struct item {
	const uint8_t *data;
	size_t len;
};

struct batch_case {
	struct harness *h;
	struct randprog_opts opts;
	struct randprog_layout layout;
	struct bpf_insn *body;
	size_t cap;
	uint8_t pkt[NR_ITEMS][PKT_MAX];
	struct item items[NR_ITEMS];
	int cbpf;     /* programs from cbgen_prog(), converted, instead of randprog */
	int regs_off; /* jit_opts.fuse_regs_off */
	int no_bmi2;  /* shifts by a register through cl, which the loop may hold */
	int fails;
};

static const int ld_sizes[] = {BPF_B, BPF_H, BPF_W};

/* r0 = packet[k] (LD_ABS) or packet[(w7 & 63) + k] (LD_IND), folded into
 * memory word 0 so the next item's run sees it. */
static void add_packet_loads(struct tprog *p, struct randprog_rng *rng)
{
	int n = 1 + (int)(randprog_rng_next(rng) % 4);

	tp_op(p, BPF_ALU | BPF_AND | BPF_K, 7, 0, 0, 63);
	for (int i = 0; i < n; i++) {
		int sz = ld_sizes[randprog_rng_next(rng) % 3];
		int32_t k = (int32_t)(randprog_rng_next(rng) % (PKT_MAX + 8));
		int ind = randprog_rng_next(rng) & 1;
		tp_op(p, BPF_LD | (ind ? BPF_IND : BPF_ABS) | sz, 0, ind ? 7 : 0, 0,
		      ind ? k / 2 : k);
		tp_op(p, BPF_ALU64 | BPF_XOR | BPF_X, 6, 0, 0, 0);
		tp_op(p, BPF_STX | BPF_MEM | BPF_DW, RANDPROG_PTR_REG, 6, 0, 0);
	}
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 6, 0, 0);
}

static int build_randprog(struct batch_case *c, uint64_t seed, struct tprog *p,
			  struct randprog_rng *rng)
{
	size_t n = randprog_generate(seed, &c->opts, c->body, c->cap, NULL);

	if (!n)
		return -1;
	p->n = 0;
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, RANDPROG_PTR_REG, 1, 0, 0);
	for (size_t i = 0; i < n; i++)
		tp_add(p, c->body[i]);
	add_packet_loads(p, rng);
	tp_exit(p);
	return 0;
}

/* A deterministic classic BPF program the checker accepts, as eBPF. */
static int build_cbpf(uint64_t seed, struct tprog *p)
{
	struct pktgen g = {seed | 1};
	struct cbgen_opts o = {.deterministic = 1};
	struct skep_cbpf_insn prog[CBGEN_MAX];
	struct skep_cbpf_opts co = {.sz = sizeof(co)};
	struct skep_insn *e;
	size_t len, n;

	do
		len = cbgen_prog(&g, &o, prog);
	while (skep_cbpf_check(prog, len, &co) || skep_cbpf_convert(prog, len, &co, &e, &n));
	p->n = 0;
	for (size_t i = 0; i < n; i++)
		tp_add(p, *(const struct bpf_insn *)&e[i]);
	free(e);
	return 0;
}

static int build(struct batch_case *c, uint64_t seed, struct tprog *p)
{
	struct randprog_rng rng;

	randprog_rng_seed(&rng, seed ^ 0xba7c4);
	if (c->cbpf ? build_cbpf(seed, p) : build_randprog(c, seed, p, &rng))
		return -1;
	for (int i = 0; i < NR_ITEMS; i++) {
		c->items[i].data = c->pkt[i];
		c->items[i].len = randprog_rng_next(&rng) % (PKT_MAX + 1);
		for (int b = 0; b < PKT_MAX; b++)
			c->pkt[i][b] = (uint8_t)randprog_rng_next(&rng);
	}
	return 0;
}

struct state {
	uint8_t *mem;
	_Alignas(16) uint8_t stack[SKEP_MAX_FRAMES * SKEP_STACK_SIZE];
	uint32_t r0[NR_ITEMS];
};

static void state_init(struct state *st, uint64_t seed, size_t size)
{
	randprog_fill(seed, st->mem, size);
	memset(st->stack, 0x5a, sizeof(st->stack));
}

static struct interp_env env_for(struct state *st, struct skep_call_ctx *cx)
{
	return (struct interp_env){
		.args = {(uint64_t)(uintptr_t)st->mem},
		.stack = st->stack,
		.budget = 1ull << 40,
		.cx = cx,
		.log = cx->log,
	};
}

/* Item after item in the interpreter: what the batch must equal. */
static int run_interp(struct skep_prog *prog, struct state *st, const struct item *items)
{
	struct skep_log log = log_init(NULL, 0);
	struct skep_call_ctx cx = {.prog = prog, .log = &log};
	struct interp_env env = env_for(st, &cx);

	for (int i = 0; i < NR_ITEMS; i++) {
		struct skep_run_result res = {.fault_insn = -1};
		cx.packet = items[i].data;
		cx.packet_len = items[i].len;
		if (interp_run(&prog->code, &env, &res))
			return -1;
		st->r0[i] = (uint32_t)res.retval;
	}
	return 0;
}

static int run_batch(struct skep_prog *prog, const struct jit_prog *jit, struct state *st,
		     const struct item *items)
{
	struct skep_log log = log_init(NULL, 0);
	struct skep_call_ctx cx = {.prog = prog, .log = &log};
	struct interp_env env = env_for(st, &cx);
	size_t done;

	return jit_run_batch(jit, &env, items, NR_ITEMS, sizeof(*items),
			     offsetof(struct item, data), offsetof(struct item, len), st->r0,
			     &done);
}

static const char *compare(const struct batch_case *c, const struct state *a, const struct state *b,
			   char *why, size_t size)
{
	for (int i = 0; i < NR_ITEMS; i++)
		if (a->r0[i] != b->r0[i])
			return snprintf(why, size, "item %d (%zu bytes): r0 %#x, interpreter %#x",
					i, c->items[i].len, b->r0[i], a->r0[i]),
			       why;
	for (size_t k = 0; k < c->layout.size; k++)
		if (a->mem[k] != b->mem[k])
			return snprintf(why, size, "memory byte %zu differs", k), why;
	if (memcmp(a->stack, b->stack, sizeof(a->stack)))
		return "the stack differs";
	return NULL;
}

/* 0 if the batch (fused when `fuse`) agrees with the interpreter. */
static int batch_one(struct batch_case *c, uint64_t seed, int fuse, struct tprog *p,
		     struct state *a, struct state *b)
{
	char log[256] = "", why[256];
	struct skep_log jlog = log_init(log, sizeof(log));
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	struct jit_opts jo = {.batch = fuse, .fuse_regs_off = c->regs_off, .no_bmi2 = c->no_bmi2};
	struct skep_prog *prog = NULL;
	struct jit_prog *jit = NULL;
	const char *bad = NULL;
	struct skep_vm *vm = skep_vm_new();

	if (build(c, seed, p) ||
	    skep_prog_load(vm, (const struct skep_insn *)p->insns, p->n, &lo, &prog))
		bad = log[0] ? log : "no program";
	else if (jit_compile(&prog->isa, &prog->code, &jo, &jit, &jlog))
		bad = log;
	else if (jit_batch_fused(jit) != fuse)
		bad = fuse ? "the call-free program was not fused" : "fused unasked";
	if (!bad) {
		state_init(a, seed, c->layout.size);
		state_init(b, seed, c->layout.size);
		if (run_interp(prog, a, c->items) || run_batch(prog, jit, b, c->items))
			bad = "a run failed";
		else
			bad = compare(c, a, b, why, sizeof(why));
	}
	if (bad && c->fails++ < 10)
		harness_fail(c->h, fuse ? "batch/fused" : "batch/plain",
			     "seed %#" PRIx64 "%s, %d loop registers off: %s", seed,
			     c->cbpf ? " (classic BPF)" : "", c->regs_off, bad);
	jit_free(jit);
	skep_prog_free(prog);
	skep_vm_free(vm);
	return bad != NULL;
}

struct mix {
	const char *name;
	uint32_t features, nr_insns; /* randprog; features 0: classic BPF programs */
	int fuse, regs_off, no_bmi2;
};

static void batch_mix(struct harness *h, const struct mix *m, uint64_t n)
{
	struct batch_case c = {
		.h = h, .cbpf = !m->features, .regs_off = m->regs_off, .no_bmi2 = m->no_bmi2};
	struct tprog p = {0};
	struct state a = {0}, b = {0};
	uint64_t bad = 0;

	c.opts = (struct randprog_opts){
		.data_size = 128, .nr_insns = m->nr_insns, .features = m->features};
	randprog_layout(&c.opts, &c.layout);
	if (c.cbpf) /* r1 is the struct __sk_buff its ancillary loads read */
		c.layout.size = 512;
	c.cap = randprog_max_insns(&c.opts);
	c.body = malloc(c.cap * sizeof(*c.body));
	a.mem = malloc(c.layout.size);
	b.mem = malloc(c.layout.size);
	if (!c.body || !a.mem || !b.mem)
		abort();
	for (uint64_t s = 1; s <= n && c.fails < 10; s++)
		bad += batch_one(&c, s * 0x9e3779b9ull + m->nr_insns, m->fuse, &p, &a, &b);
	harness_check(h, bad == 0, m->name, "%" PRIu64 " of %" PRIu64 " programs differ", bad, n);
	free(c.body);
	free(a.mem);
	free(b.mem);
	tp_free(&p);
}

int main(void)
{
	struct harness h = {0};
	const char *env = getenv("SKEP_JIT_BATCH_N");
	uint64_t n = env && *env ? strtoull(env, NULL, 0) : 1500;
	uint32_t no_goto = RANDPROG_ALL & ~RANDPROG_MAY_GOTO;
	const struct mix mixes[] = {
		{"batch/fused equals the interpreter", no_goto, 120, 1, 0, 0},
		{"batch/fused, long programs", no_goto, 600, 1, 0, 0},
		{"batch/plain equals the interpreter", RANDPROG_ALL, 120, 0, 0, 0},
		{"batch/fused classic BPF, 4 loop registers", 0, 0, 1, 0, 0},
		{"batch/fused classic BPF, 3 loop registers", 0, 0, 1, 1, 0},
		{"batch/fused classic BPF, 2 loop registers", 0, 0, 1, 2, 0},
		{"batch/fused classic BPF, 1 loop register", 0, 0, 1, 3, 0},
		{"batch/fused classic BPF, none", 0, 0, 1, 4, 0},
		{"batch/fused classic BPF, shifts through cl", 0, 0, 1, 0, 1},
	};
	uint64_t share[] = {n, n / 5, n / 3, n / 2, n / 2, n / 2, n / 2, n / 2, n / 2};

	for (size_t i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
		batch_mix(&h, &mixes[i], share[i]);
	return harness_exit(&h);
}
