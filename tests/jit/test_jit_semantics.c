/* Every row of the opcode table, run in the interpreter and in the JIT.
 *
 * For each row of isa_ops[] a generator for its form writes programs that
 * exercise it with edge-case operands (0, -1, INT_MIN, 2^32, shift counts
 * at and past the width...) in every register combination, including the
 * x86 registers the JIT treats specially (r0 = rax, r3 = rdx, r4 = rcx).
 * Each case sets r0-r9, runs the instruction, then stores r0-r9 and a
 * window of the stack into its own slice of memory; the programs run in
 * every engine (jit_test.h) and must leave identical memory, r0 and errors.
 *
 * One PASS/FAIL line per row; rows that cannot run (kfunc calls, map
 * references without maps) must be refused at load.
 */
#include "../lib/harness.h"
#include "jit_test.h"

#define MEM_LEN 16384
#define SCRATCH 256  /* [0, SCRATCH): data the cases load and store */
#define OUT_SIZE 128 /* per case: r0-r9, then WIN_WORDS stack words */
#define WIN_LO (-64) /* stack window: r10-64 .. r10-17 */
#define WIN_WORDS 6
#define SAVE_PTR (-512) /* the memory pointer, saved at entry */
#define SAVE_R0 (-504)
#define HELPER_MIX 1000
#define MAX_CASES ((MEM_LEN - SCRATCH) / OUT_SIZE)

static const char *const row_id[] = {
#define OP(ID, ...) #ID,
#include "isa/opcodes.def"
#undef OP
};

struct gen {
	struct harness *h;
	struct tenv *te;
	const struct isa_op *op;
	int row;
	struct tprog p;
	int ncases, per_prog, failed, nprogs;
	size_t case_slot[MAX_CASES]; /* slot of the instruction under test */
	uint64_t rng;
};

static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* clang-format off */
static const uint64_t edge64[] = {
	0, 1, 2, 7, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 31, 32, 63, 64,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
	0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe, 0xffffffff80000000,
	0x8000000000000001, 0x123456789abcdef0, 0xfffffffffffffff9,
};
#define NR_EDGE64 (sizeof(edge64) / sizeof(edge64[0]))

static const int32_t edge32[] = {
	0, 1, -1, 2, -2, 7, -7, 31, 32, 63, 64, 127, 128, -128, -129, 0x7fff, 0x8000, 0xffff,
	INT32_MAX, INT32_MIN, 0x12345678, -0x12345678,
};
/* clang-format on */
#define NR_EDGE32 (sizeof(edge32) / sizeof(edge32[0]))

static uint64_t pick64(struct gen *g)
{
	uint64_t r = rnd(g);

	switch (r % 4) {
	case 0:
		return rnd(g);
	case 1:
		return (uint64_t)(int64_t)(int32_t)rnd(g);
	default:
		return edge64[(r >> 8) % NR_EDGE64];
	}
}

static int32_t pick32(struct gen *g)
{
	uint64_t r = rnd(g);
	return r % 3 ? edge32[(r >> 8) % NR_EDGE32] : (int32_t)rnd(g);
}

/* The row's instruction; the row's discriminating field is forced. */
static struct bpf_insn row_insn(const struct isa_op *op, int dst, int src, int off, int32_t imm)
{
	struct bpf_insn in = t_insn(op->code, (uint8_t)dst, (uint8_t)src, (int16_t)off, imm);

	if (op->match == ISA_MATCH_OFF)
		in.off = (int16_t)op->mval;
	else if (op->match == ISA_MATCH_IMM)
		in.imm = op->mval;
	else if (op->match == ISA_MATCH_SRC)
		in.src_reg = (uint8_t)op->mval;
	return in;
}

static void test_insn(struct gen *g, struct bpf_insn in)
{
	g->case_slot[g->ncases] = g->p.n;
	tp_add(&g->p, in);
}

static void prog_begin(struct gen *g)
{
	tp_op(&g->p, BPF_STX | BPF_MEM | BPF_DW, 10, 1, SAVE_PTR, 0);
	for (int k = 0; k < WIN_WORDS; k++) {
		tp_lddw(&g->p, 0,
			0x0102030405060708ull * (uint64_t)(k + 1) ^ 0xa5a5a5a5a5a5a5a5ull);
		tp_op(&g->p, BPF_STX | BPF_MEM | BPF_DW, 10, 0, WIN_LO + 8 * k, 0);
	}
}

static void case_begin(struct gen *g, const uint64_t *vals)
{
	if (g->p.n == 0)
		prog_begin(g);
	for (int r = 0; r <= 9; r++)
		tp_lddw(&g->p, r, vals ? vals[r] : pick64(g));
}

/* r = the memory pointer + off */
static void load_ptr(struct gen *g, int r, int32_t off)
{
	tp_op(&g->p, BPF_LDX | BPF_MEM | BPF_DW, r, 10, SAVE_PTR, 0);
	tp_op(&g->p, BPF_ALU64 | BPF_ADD | BPF_K, r, 0, 0, off);
}

static void flush(struct gen *g);

/* Store r0-r9 and the stack window into this case's slice of memory. */
static void case_end(struct gen *g)
{
	struct tprog *p = &g->p;

	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 10, 0, SAVE_R0, 0);
	load_ptr(g, 0, SCRATCH + OUT_SIZE * g->ncases);
	for (int r = 1; r <= 9; r++)
		tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 0, r, 8 * r, 0);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 1, 10, SAVE_R0, 0);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0);
	for (int k = 0; k < WIN_WORDS; k++) {
		tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 1, 10, WIN_LO + 8 * k, 0);
		tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 0, 1, 80 + 8 * k, 0);
	}
	if (++g->ncases >= g->per_prog)
		flush(g);
}

static void report(struct gen *g, const char *why)
{
	char dis[128] = "";
	size_t c = 0;
	const char *b = strstr(why, "memory byte ");

	if (b && (size_t)atol(b + 12) >= SCRATCH)
		c = ((size_t)atol(b + 12) - SCRATCH) / OUT_SIZE;
	if (c < (size_t)g->ncases && g->case_slot[c] < g->p.n)
		isa_disasm_insn(&g->p.insns[g->case_slot[c]], g->p.n - g->case_slot[c],
				g->case_slot[c], ISA_SYNTAX_KERNEL, dis, sizeof(dis));
	harness_fail(g->h, row_id[g->row], "program %d, case %zu (insn %zu: %s): %s", g->nprogs, c,
		     g->case_slot[c], dis, why);
	g->failed = 1;
}

static void flush(struct gen *g)
{
	struct trun ref = {0};
	char why[1024];

	if (g->p.n == 0)
		return;
	tp_mov(&g->p, 0, g->ncases);
	tp_exit(&g->p);
	if (!g->failed && t_compare_all(g->te, &g->p, &ref, why, sizeof(why)))
		report(g, why);
	trun_free(&ref);
	g->nprogs++;
	g->ncases = 0;
	g->p.n = 0;
}

/* A hand-written whole program (calls, loops): compared as is. */
static void whole(struct gen *g, struct tprog *p)
{
	struct trun ref = {0};
	char why[1024];

	if (!g->failed && t_compare_all(g->te, p, &ref, why, sizeof(why))) {
		harness_fail(g->h, row_id[g->row], "program %d: %s", g->nprogs, why);
		g->failed = 1;
	}
	trun_free(&ref);
	g->nprogs++;
	p->n = 0;
}

#include "semantics_gen.h"

static void run_row(struct gen *g)
{
	switch (g->op->form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ALU_REG:
	case ISA_FORM_NEG:
	case ISA_FORM_END:
		gen_alu(g);
		break;
	case ISA_FORM_JMP_IMM:
	case ISA_FORM_JMP_REG:
		gen_jmp(g);
		break;
	case ISA_FORM_JA:
	case ISA_FORM_JA32:
		gen_ja(g);
		break;
	case ISA_FORM_LDX:
	case ISA_FORM_LDACQ:
	case ISA_FORM_ST:
	case ISA_FORM_STX:
	case ISA_FORM_STREL:
		gen_mem(g);
		break;
	case ISA_FORM_ATOMIC:
		gen_atomic(g);
		break;
	case ISA_FORM_LD_ABS:
	case ISA_FORM_LD_IND:
		gen_ldpkt(g);
		break;
	case ISA_FORM_LDDW:
		gen_lddw(g);
		break;
	case ISA_FORM_MAY_GOTO:
		gen_may_goto(g);
		break;
	case ISA_FORM_CALL:
		gen_call(g);
		break;
	case ISA_FORM_CALL_LOCAL:
		gen_call_local(g);
		break;
	case ISA_FORM_CALLX:
		gen_callx(g);
		break;
	case ISA_FORM_CALL_KFUNC:
		gen_refused(g);
		break;
	case ISA_FORM_EXIT:
		gen_exit(g);
		break;
	}
	flush(g);
}

static uint64_t helper_mix(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct skep_call_ctx *cx)
{
	return (r1 * 3) ^ (r2 + (r3 << 1)) ^ (r4 - r5) ^ skep_call_ctx_cpu(cx);
}

int main(void)
{
	struct harness h = {0};
	struct tenv te = {.vm = skep_vm_new(), .len = MEM_LEN, .budget = 1ull << 40};
	uint8_t *buf = malloc(MEM_LEN), *init = malloc(MEM_LEN);
	struct gen g = {.h = &h, .te = &te};

	if (!te.vm || !buf || !init ||
	    skep_vm_register_helper(te.vm, HELPER_MIX, "mix", helper_mix)) {
		harness_fail(&h, "setup", "out of memory");
		return harness_exit(&h);
	}
	for (size_t i = 0; i < MEM_LEN; i++)
		init[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 0x5a);
	te.buf = buf;
	te.init = init;
	/* The second pass compiles shifts by a register without BMI2, the code
	 * of CPUs that lack it (the JIT picks shlx/shrx/sarx where it can). */
	for (int pass = 0; pass < 2; pass++)
	for (int row = 0; row < ISA_OP_COUNT; row++) {
		const char *only = getenv("SKEP_TEST_ROW"); /* run one row, by its ID */
		int shift = BPF_CLASS(isa_ops[row].code) <= BPF_ALU64 &&
			    isa_ops[row].form == ISA_FORM_ALU_REG &&
			    (BPF_OP(isa_ops[row].code) == BPF_LSH ||
			     BPF_OP(isa_ops[row].code) == BPF_RSH ||
			     BPF_OP(isa_ops[row].code) == BPF_ARSH);
		char name[96];
		if ((only && strcmp(only, row_id[row])) || (pass && !shift))
			continue;
		if (pass)
			setenv("SKEP_JIT_NO_BMI2", "1", 1);
		g.op = &isa_ops[row];
		g.row = row;
		g.failed = 0;
		g.nprogs = 0;
		g.ncases = 0;
		g.per_prog = MAX_CASES;
		g.rng = 0x5eed0000u + (uint64_t)row;
		g.p.n = 0;
		run_row(&g);
		snprintf(name, sizeof(name), "%s%s", row_id[row], pass ? " (no BMI2)" : "");
		if (!g.failed)
			harness_pass(&h, name);
		if (getenv("SKEP_TEST_VERBOSE"))
			fprintf(stderr, "%s: %d programs\n", row_id[row], g.nprogs);
	}
	tp_free(&g.p);
	free(buf);
	free(init);
	skep_vm_free(te.vm);
	return harness_exit(&h);
}
