/* Program generators of test_jit_semantics.c, one per instruction form.
 * Included once, by that file; they build cases with case_begin() /
 * test_insn() / case_end(), or whole programs run with whole(). */
#ifndef SKEP_TESTS_JIT_SEMANTICS_GEN_H
#define SKEP_TESTS_JIT_SEMANTICS_GEN_H

static void fill(struct gen *g, uint64_t *v)
{
	for (int r = 0; r <= 9; r++)
		v[r] = pick64(g);
}

/* A register in r0-r9 other than a and b (and c), searching down from `from`. */
static int other_reg(int from, int a, int b, int c)
{
	for (int r = from; r >= 0; r--)
		if (r != a && r != b && r != c)
			return r;
	return 9;
}

static void alu_case(struct gen *g, const uint64_t *v, int dst, int src, int32_t imm)
{
	const struct isa_op *op = g->op;

	case_begin(g, v);
	test_insn(g, row_insn(op, dst, op->form == ISA_FORM_ALU_REG ? src : 0, 0,
			      op->form == ISA_FORM_ALU_IMM ? imm : 0));
	case_end(g);
}

/* Every register pair with divisors and counts at the edges, then every
 * pair of edge values (or edge value and edge immediate) in r1, r2. */
static void gen_alu(struct gen *g)
{
	static const uint64_t sv[] = {0,  0xffffffffffffffff, 0xffffffff, 1, 32,
				      64, 0x8000000000000000};
	int is_reg = g->op->form == ISA_FORM_ALU_REG, is_imm = g->op->form == ISA_FORM_ALU_IMM;
	uint64_t v[10];

	for (int dst = 0; dst <= 9; dst++) {
		for (int src = 0; src <= (is_reg ? 9 : 0); src++) {
			for (int k = 0; k < (is_reg ? 8 : 16); k++) {
				fill(g, v);
				if (is_reg && k < 7)
					v[src] = sv[k];
				if (is_reg && dst != src && k == 6)
					v[dst] = 0x8000000000000000 >>
						 (rnd(g) & 32); /* INT_MIN / -1 */
				alu_case(g, v, dst, src, pick32(g));
			}
		}
	}
	for (size_t a = 0; a < NR_EDGE64; a++) {
		size_t nb = is_reg ? NR_EDGE64 : is_imm ? NR_EDGE32 : 1;
		for (size_t b = 0; b < nb; b++) {
			fill(g, v);
			v[1] = edge64[a];
			if (is_reg)
				v[2] = edge64[b];
			alu_case(g, v, 1, 2, is_imm ? edge32[b] : 0);
		}
	}
}

/* Comparison operands that are equal, adjacent, or equal in the low half. */
static uint64_t near(struct gen *g, uint64_t x)
{
	switch (rnd(g) % 6) {
	case 0:
		return x;
	case 1:
		return x + 1;
	case 2:
		return x - 1;
	case 3:
		return x ^ (1ull << (32 + rnd(g) % 32));
	case 4:
		return (uint32_t)x;
	default:
		return pick64(g);
	}
}

/* Shapes: 0 short forward, 1 long forward, 2 short backward, 3 long backward.
 * A marker register m records whether the branch was taken; backward
 * branches loop at most 21 times, counted in c. */
static void jmp_case(struct gen *g, int dst, int src, int shape)
{
	const struct isa_op *op = g->op;
	int is_reg = op->form == ISA_FORM_JMP_REG;
	int32_t imm = pick32(g);
	int m = other_reg(9, dst, src, -1), c = other_reg(m - 1, dst, src, -1);
	struct bpf_insn j = row_insn(op, dst, is_reg ? src : 0, 0, is_reg ? 0 : imm);
	struct tprog *p = &g->p;
	uint64_t v[10];
	size_t loop;

	fill(g, v);
	v[dst] = near(g, is_reg ? v[src] : (rnd(g) & 1 ? (uint64_t)(int64_t)imm : (uint32_t)imm));
	case_begin(g, v);
	if (shape < 2) {
		j.off = shape ? 60 : 2;
		test_insn(g, j);
		for (int k = 0; k < (shape ? 60 : 1); k++)
			tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, m, 0, 0, 3);
		if (!shape) {
			tp_op(p, BPF_JMP | BPF_JA, 0, 0, 1, 0);
			tp_mov(p, m, 2);
		}
	} else {
		tp_mov(p, c, 0);
		loop = p->n;
		tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, c, 0, 0, 1);
		for (int k = 0; k < (shape == 3 ? 40 : 0); k++)
			tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, m, 0, 0, 1);
		tp_op(p, BPF_JMP | BPF_JGT | BPF_K, c, 0, 1, 20);
		j.off = (int16_t)(loop - (p->n + 1));
		test_insn(g, j);
	}
	case_end(g);
}

static void gen_jmp(struct gen *g)
{
	int is_reg = g->op->form == ISA_FORM_JMP_REG;

	for (int dst = 0; dst <= 9; dst++)
		for (int src = 0; src <= (is_reg ? 9 : 0); src++)
			for (int k = 0; k < (is_reg ? 6 : 24); k++)
				jmp_case(g, dst, src,
					 k % 4 == 3   ? (int)(rnd(g) % 4)
					 : k % 4 == 1 ? 2
						      : 0);
}

static void ja_insn(struct gen *g, int32_t off)
{
	int ja32 = g->op->form == ISA_FORM_JA32;

	test_insn(g, row_insn(g->op, 0, 0, ja32 ? 0 : off, ja32 ? off : 0));
}

static void gen_ja(struct gen *g)
{
	struct tprog *p = &g->p;

	for (int k = 0; k < 40; k++) {
		int m = (int)(rnd(g) % 9), c = m + 1;
		case_begin(g, NULL);
		switch (k % 4) {
		case 0: /* next slot */
			ja_insn(g, 0);
			break;
		case 1: /* short or long forward */
			ja_insn(g, k % 8 == 1 ? 1 : 60);
			for (int i = 0; i < (k % 8 == 1 ? 1 : 60); i++)
				tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, m, 0, 0, 5);
			break;
		default: { /* backward, short or long */
			size_t loop;
			tp_mov(p, c, 0);
			loop = p->n;
			tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, c, 0, 0, 1);
			for (int i = 0; i < (k % 4 == 3 ? 50 : 0); i++)
				tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, m, 0, 0, 1);
			tp_op(p, BPF_JMP | BPF_JGT | BPF_K, c, 0, 1, 20);
			ja_insn(g, (int32_t)(loop - (p->n + 1)));
			break;
		}
		}
		case_end(g);
	}
}

/* A valid offset from base b for size bytes: inside the stack window when b
 * is r10, else inside the scratch area around mem + 128. */
static int mem_off(struct gen *g, int b, int size, int aligned)
{
	int span = b == 10 ? 48 : 256, lo = b == 10 ? WIN_LO : -128;
	int off = (int)(rnd(g) % (uint64_t)(span - size + 1));

	if (aligned)
		off &= ~(size - 1);
	return lo + off;
}

static void gen_mem(struct gen *g)
{
	const struct isa_op *op = g->op;
	int size = isa_mem_size(op->code);
	int aligned = op->form == ISA_FORM_LDACQ || op->form == ISA_FORM_STREL;
	int is_load = op->form == ISA_FORM_LDX || op->form == ISA_FORM_LDACQ;

	for (int b = 0; b <= 10; b++) {
		for (int r = 0; r <= 9; r++) {
			for (int k = 0; k < 3; k++) {
				int off = mem_off(g, b, size, aligned);
				case_begin(g, NULL);
				if (b != 10)
					load_ptr(g, b, 128);
				if (is_load)
					test_insn(g, row_insn(op, r, b, off, 0));
				else if (op->form == ISA_FORM_ST)
					test_insn(g, row_insn(op, b, 0, off, pick32(g)));
				else
					test_insn(g, row_insn(op, b, r, off, 0));
				case_end(g);
			}
		}
	}
}

static void gen_atomic(struct gen *g)
{
	const struct isa_op *op = g->op;
	int size = isa_mem_size(op->code), cmpxchg = op->mval == BPF_CMPXCHG;
	struct tprog *p = &g->p;

	for (int b = 0; b <= 10; b++) {
		for (int s = 0; s <= 9; s++) {
			for (int k = 0; k < 3 && s != b; k++) {
				int off = mem_off(g, b, size, 1), t = other_reg(9, b, s, 0);
				case_begin(g, NULL);
				if (b != 10)
					load_ptr(g, b, 128);
				if (cmpxchg && b != 0 &&
				    k) { /* r0 equal to memory, maybe only low half */
					tp_op(p, BPF_LDX | BPF_MEM | (size == 4 ? BPF_W : BPF_DW),
					      0, b, off, 0);
					tp_lddw(p, t, k == 2 ? pick64(g) << 32 : 0);
					tp_op(p, BPF_ALU64 | BPF_OR | BPF_X, 0, t, 0, 0);
				}
				test_insn(g, row_insn(op, b, s, off, 0));
				case_end(g);
			}
		}
	}
}

/* Each case its own program: an out-of-bounds load ends the program. */
static void gen_ldpkt(struct gen *g)
{
	/* clang-format off */
	static const int64_t pos[] = {0, 1, 2, 3, 100, 255, MEM_LEN - 4, MEM_LEN - 2, MEM_LEN - 1,
				      MEM_LEN, MEM_LEN + 1, -1, -4, INT32_MAX, INT32_MIN,
				      0x100000000, 0xffffffff, 0x100000003};
	/* clang-format on */
	static const int32_t imms[] = {0, 1, -1, 4, MEM_LEN - 2, INT32_MAX, INT32_MIN, -MEM_LEN};
	int ind = g->op->form == ISA_FORM_LD_IND;
	uint64_t v[10];

	g->per_prog = 1;
	for (size_t a = 0; a < sizeof(pos) / sizeof(pos[0]); a++) {
		for (size_t b = 0; b < (ind ? sizeof(imms) / sizeof(imms[0]) : 1); b++) {
			int src = (int)((a + b) % 10);
			fill(g, v);
			v[src] = (uint64_t)pos[a];
			case_begin(g, v);
			test_insn(g, row_insn(g->op, 0, ind ? src : 0, 0,
					      ind ? imms[b] : (int32_t)pos[a]));
			case_end(g);
		}
	}
}

/* Rows that name maps or kfuncs: nothing can run them, so both engines'
 * common loader must refuse them. */
static void gen_refused(struct gen *g)
{
	struct tprog p = {0};
	struct skep_prog *prog = NULL;
	char log[256] = "";
	struct bpf_insn in = row_insn(g->op, 1, 0, 0, g->op->form == ISA_FORM_LDDW ? 0 : 7);

	tp_add(&p, in);
	if (g->op->form == ISA_FORM_LDDW)
		tp_op(&p, 0, 0, 0, 0, 0);
	tp_exit(&p);
	if (t_load(g->te, &p, &prog, log, sizeof(log)) == 0) {
		harness_fail(g->h, row_id[g->row], "loaded, but nothing resolves it");
		g->failed = 1;
	}
	skep_prog_free(prog);
	tp_free(&p);
}

static void gen_lddw_func(struct gen *g);

static void gen_lddw(struct gen *g)
{
	if (g->op->mval == BPF_PSEUDO_FUNC) {
		gen_lddw_func(g);
		return;
	}
	if (g->op->mval != 0) {
		gen_refused(g);
		return;
	}
	for (int r = 0; r <= 9; r++) {
		for (size_t k = 0; k < NR_EDGE64 + 8; k++) {
			uint64_t x = k < NR_EDGE64 ? edge64[k] : pick64(g);
			case_begin(g, NULL);
			test_insn(g, row_insn(g->op, r, 0, 0, (int32_t)(uint32_t)x));
			tp_op(&g->p, 0, 0, 0, 0, (int32_t)(uint32_t)(x >> 32));
			case_end(g);
		}
	}
}

static void gen_exit(struct gen *g)
{
	struct tprog p = {0};

	for (size_t k = 0; k < NR_EDGE64; k++) {
		tp_lddw(&p, 0, edge64[k]);
		tp_exit(&p);
		whole(g, &p);
	}
	tp_free(&p);
}

static void gen_call(struct gen *g)
{
	for (int k = 0; k < 200; k++) {
		case_begin(g, NULL);
		test_insn(g, row_insn(g->op, 0, 0, 0,
				      k % 4 ? HELPER_MIX : BPF_FUNC_get_smp_processor_id));
		for (int r = 1; r <= 5; r++) /* r1-r5 are undefined after a call */
			tp_mov(&g->p, r, 0);
		case_end(g);
	}
}

/* ---- whole programs: calls, callx, may_goto ---- */

/* mem[8r] = r for r0-r9, keeping r0. */
static void tp_dump(struct tprog *p)
{
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 10, 0, SAVE_R0, 0);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 0, 10, SAVE_PTR, 0);
	for (int r = 1; r <= 9; r++)
		tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 0, r, 8 * r, 0);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 1, 10, SAVE_R0, 0);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 0, 0);
}

static void tp_save_ptr(struct tprog *p)
{
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 10, 1, SAVE_PTR, 0);
}

/* Call-like slots whose imm is relative: point slot `at` at the next slot. */
static void tp_target(struct tprog *p, size_t at)
{
	p->insns[at].imm = (int32_t)(p->n - at - 1);
}

static void tp_call_local(struct tprog *p)
{
	tp_op(p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
}

static void tp_lddw_func(struct tprog *p, int dst)
{
	tp_op(p, BPF_LD | BPF_IMM | BPF_DW, dst, BPF_PSEUDO_FUNC, 0, 0);
	tp_op(p, 0, 0, 0, 0, 0);
}

static void tp_callx(struct tprog *p, int reg)
{
	tp_op(p, BPF_JMP | BPF_CALL | BPF_X, reg, 0, 0, 0);
}

/* Arguments, r0-r5 changed by the callee, r6-r9 restored, stack frames 512
 * bytes apart, the caller's frame written through a pointer. */
static void gen_call_basic(struct gen *g, struct tprog *p, int k)
{
	size_t call;

	tp_save_ptr(p);
	for (int r = 0; r <= 9; r++)
		tp_lddw(p, r, pick64(g));
	tp_op(p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -64, 1234 + k);
	tp_op(p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -56, 0);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -64);
	call = p->n;
	tp_call_local(p);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 0); /* was a stack pointer */
	tp_dump(p);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 2, 10, -56, 0);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 4, 10, SAVE_PTR, 0);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 4, 2, 80, 0);
	tp_exit(p);
	tp_target(p, call);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 10, 2, -8, 0);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 3, 1, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_X, 3, 2, 0, 0);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 1, 3, 8, 0);
	for (int r = 6; r <= 9; r++)
		tp_lddw(p, r, 0x6666666666666666ull * (uint64_t)r);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 3, 0, 0);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 4, 10, -8, 0);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 5, 10, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_SUB | BPF_X, 5, 1, 0, 0);
	tp_exit(p);
}

/* f(n) = n == 0 ? r0 : f(n - 1) + n, each frame keeping n on its stack:
 * from n = 7 on, the calls nest past the 8-frame limit. */
static void gen_call_depth(struct tprog *p, int n)
{
	size_t call, f, skip;

	tp_save_ptr(p);
	tp_mov(p, 1, n);
	tp_mov(p, 0, 0);
	call = p->n;
	tp_call_local(p);
	tp_dump(p);
	tp_exit(p);
	tp_target(p, call);
	f = p->n;
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8, 0);
	skip = p->n;
	tp_op(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_SUB | BPF_K, 1, 0, 0, 1);
	tp_op(p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, (int32_t)f - (int32_t)p->n - 1);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 2, 10, -8, 0);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0);
	tp_land(p, skip);
	tp_exit(p);
}

static void gen_call_local(struct gen *g)
{
	struct tprog p = {0};

	for (int k = 0; k < 20; k++) {
		gen_call_basic(g, &p, k);
		whole(g, &p);
	}
	for (int n = 0; n <= 9; n++) {
		gen_call_depth(&p, n);
		whole(g, &p);
	}
	tp_free(&p);
}

/* callx to a function (lddw src=4) and to a helper id, in register reg. */
static void gen_callx_ok(struct tprog *p, int reg, int k)
{
	size_t ld;

	tp_save_ptr(p);
	ld = p->n;
	tp_lddw_func(p, reg);
	tp_mov(p, reg == 1 ? 2 : 1, 5 + k);
	if (reg == 1)
		tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 2, 0, 0);
	tp_callx(p, reg);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0);
	for (int r = 1; r <= 4; r++)
		tp_mov(p, r, r * (k + 1));
	tp_mov(p, reg == 6 ? 7 : reg, HELPER_MIX);
	tp_callx(p, reg == 6 ? 7 : reg);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_X, 0, 6, 0, 0);
	for (int r = 1; r <= 9; r++) /* r1-r5 undefined after a call, and no code addresses */
		if (r <= 5 || r == reg)
			tp_mov(p, r, 0);
	tp_dump(p);
	tp_exit(p);
	tp_target(p, ld);
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, reg == 1 ? 0 : 1, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 7);
	tp_exit(p);
}

/* Targets neither engine may call: an unknown helper id, a code address
 * that is not a function start, and callx recursion past 8 frames. */
static void gen_callx_bad(struct tprog *p, int how)
{
	size_t ld;

	tp_save_ptr(p);
	tp_mov(p, 0, 77);
	if (how == 0) {
		tp_mov(p, 6, 12345);
		tp_callx(p, 6);
		tp_exit(p);
		return;
	}
	ld = p->n;
	tp_lddw_func(p, 6);
	if (how == 1)
		tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, 6, 0, 0, 8);
	tp_callx(p, 6);
	tp_exit(p);
	tp_target(p, ld);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1);
	tp_callx(p, 6);
	tp_exit(p);
}

static void gen_callx(struct gen *g)
{
	struct tprog p = {0};

	for (int reg = 0; reg <= 9; reg++) {
		gen_callx_ok(&p, reg, reg);
		whole(g, &p);
	}
	for (int how = 0; how < 3; how++) {
		gen_callx_bad(&p, how);
		whole(g, &p);
	}
	tp_free(&p);
}

static void gen_lddw_func(struct gen *g)
{
	struct tprog p = {0};

	for (int reg = 0; reg <= 9; reg++) {
		gen_callx_ok(&p, reg, 9 - reg);
		whole(g, &p);
	}
	tp_free(&p);
}

/* r = number of may_goto rounds until the frame's allowance runs out. */
static void tp_may_goto_loop(struct tprog *p, int r)
{
	tp_mov(p, r, 0);
	tp_op(p, BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, 2, 0);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, r, 0, 0, 1);
	tp_op(p, BPF_JMP | BPF_JA, 0, 0, -3, 0);
}

/* The allowance is per frame: the callee gets a fresh one, the caller's is
 * kept across the call. */
static void gen_may_goto(struct gen *g)
{
	struct tprog p = {0};
	size_t call;

	tp_may_goto_loop(&p, 0);
	tp_exit(&p);
	whole(g, &p);

	for (int pre = 0; pre < 3; pre++) {
		tp_save_ptr(&p);
		for (int k = 0; k < pre; k++)
			tp_op(&p, BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, 0, 0);
		call = p.n;
		tp_call_local(&p);
		tp_op(&p, BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0);
		if (pre != 1)
			tp_may_goto_loop(&p, 6);
		tp_dump(&p);
		tp_exit(&p);
		tp_target(&p, call);
		tp_may_goto_loop(&p, 0);
		tp_exit(&p);
		whole(g, &p);
	}

	/* a may_goto loop that calls a function without one, 50000 times */
	tp_mov(&p, 6, 0);
	tp_op(&p, BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, 4, 0);
	call = p.n;
	tp_call_local(&p);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_X, 6, 0, 0, 0);
	tp_op(&p, BPF_JMP | BPF_JLT | BPF_K, 6, 0, -4, 100000);
	tp_op(&p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
	tp_op(&p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 6, 0, 0);
	tp_exit(&p);
	tp_target(&p, call);
	tp_mov(&p, 0, 2);
	tp_exit(&p);
	whole(g, &p);
	tp_free(&p);
}

#endif
