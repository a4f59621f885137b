/* The random program generator of randprog.h.
 *
 * A program is first built as a list of units (one slot, or two for an lddw
 * and for a 32-bit cmpxchg followed by its quirk) whose jumps name a target
 * unit; slot offsets are filled in at the end, once the length of every unit
 * is known.  Two rules keep the kernel verifier happy:
 *
 *  - every unit is reachable in the control-flow graph (the verifier refuses
 *    unreachable instructions even when no run could get there): conditional
 *    jumps always fall through, and an unconditional ja is only emitted as the
 *    "else" of an if/else, right before the unit a conditional jump targets;
 *  - every access is provably in bounds and typed: loads and stores use r9 or
 *    r10 with constant offsets inside the areas, stack accesses are aligned,
 *    atomics only touch the stack, and r9/r10 are never written or stored.
 */
#include "randprog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_MAX_PENDING 8 /* if/else constructs open at once */
#define RP_MAX_SKIP 16	 /* how many units a forward jump skips at most */
#define RP_MAX_THEN 8	 /* units in the "then" part of an if/else at most */
#define RP_SETUP_UNITS (RANDPROG_NR_REGS + RANDPROG_STACK_BYTES / 2)

enum rp_jump {
	RP_JUMP_NONE,
	RP_JUMP_OFF, /* target in the off field (JMP, JMP32, ja, may_goto) */
	RP_JUMP_IMM, /* target in the imm field (gotol) */
};

struct rp_unit {
	struct bpf_insn insn[2];
	uint8_t nslots;
	uint8_t jump;	 /* enum rp_jump */
	uint32_t target; /* unit index a jump lands on */
};

/* An if/else whose conditional jump waits for its ja. */
struct rp_pending {
	size_t jcc; /* unit of the conditional jump */
	size_t due; /* emit the ja once this many units exist */
};

struct rp_gen {
	struct randprog_rng rng;
	uint32_t features, quirks;
	uint32_t data_size;
	struct rp_unit *units;
	size_t nunits, cap;
	struct rp_pending pending[RP_MAX_PENDING];
	int npending;
};

uint64_t randprog_rng_next(struct randprog_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rp_below(struct randprog_rng *rng, uint32_t n)
{
	return (uint32_t)(randprog_rng_next(rng) % n);
}

static int rp_percent(struct rp_gen *g, uint32_t pct)
{
	return rp_below(&g->rng, 100) < pct;
}

static int rp_coin(struct randprog_rng *rng)
{
	return (int)(randprog_rng_next(rng) & 1);
}

/* Values where implementations tend to disagree: signs, widths, overflow. */
/* clang-format off */
static const uint64_t rp_edge64[] = {
	0,
	1,
	2,
	0x7f,
	0x80,
	0xff,
	0x7fff,
	0x8000,
	0xffff,
	31,
	32,
	63,
	64,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0xffffffff80000000ull,
	0xffffffff7fffffffull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xfffffffffffffffeull,
	0xffffffffffffffffull,
};
/* clang-format on */

static uint64_t rp_value64(struct randprog_rng *rng)
{
	uint64_t r = randprog_rng_next(rng);

	switch (r % 8) {
	case 0:
	case 1:
		return rp_edge64[(r >> 8) % (sizeof(rp_edge64) / sizeof(rp_edge64[0]))];
	case 2: /* an edge value nudged by a little */
		return rp_edge64[(r >> 8) % (sizeof(rp_edge64) / sizeof(rp_edge64[0]))] +
		       (uint64_t)((int64_t)((r >> 40) % 7) - 3);
	case 3: /* small, either sign */
		return (uint64_t)((int64_t)((r >> 8) % 33) - 16);
	case 4: /* one bit, or all bits above one */
		return (r & 0x100) ? 1ull << ((r >> 16) % 64) : ~0ull << ((r >> 16) % 64);
	case 5: /* a 32-bit value with random upper bits, or none */
		return (r & 0x100) ? (uint32_t)(r >> 32) : (r >> 32) | 0xffffffff00000000ull;
	default:
		return randprog_rng_next(rng);
	}
}

static int32_t rp_imm32(struct randprog_rng *rng)
{
	return (int32_t)(uint32_t)rp_value64(rng);
}

static int rp_reg(struct rp_gen *g)
{
	return (int)rp_below(&g->rng, RANDPROG_NR_REGS);
}

static struct rp_unit *rp_add(struct rp_gen *g, struct bpf_insn insn)
{
	struct rp_unit *u = &g->units[g->nunits++];

	memset(u, 0, sizeof(*u));
	u->insn[0] = insn;
	u->nslots = 1;
	return u;
}

static void rp_add_lddw(struct rp_gen *g, int dst, uint64_t v)
{
	struct rp_unit *u = rp_add(g, randprog_insn(BPF_LD | BPF_IMM | BPF_DW, (uint8_t)dst, 0, 0,
						    (int32_t)(uint32_t)v));

	u->insn[1] = randprog_insn(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
	u->nslots = 2;
}

static int rp_size_bits(int bytes)
{
	switch (bytes) {
	case 1:
		return BPF_B;
	case 2:
		return BPF_H;
	case 4:
		return BPF_W;
	default:
		return BPF_DW;
	}
}

static int rp_random_size(struct rp_gen *g, int max_bytes)
{
	int bytes;

	do
		bytes = 1 << rp_below(&g->rng, 4);
	while (bytes > max_bytes);
	return bytes;
}

/* An aligned offset from r10 inside the stack area. */
static int16_t rp_stack_off(struct rp_gen *g, int bytes)
{
	return (int16_t)(-bytes * (int)(1 + rp_below(&g->rng, RANDPROG_STACK_BYTES / bytes)));
}

/* Any offset from r9 that keeps the access inside the data area. */
static int16_t rp_mem_off(struct rp_gen *g, int bytes)
{
	return (int16_t)rp_below(&g->rng, g->data_size - (uint32_t)bytes + 1);
}

/* r0-r8 get constants of every shape, or (unknown to the verifier) data. */
static void rp_setup_regs(struct rp_gen *g)
{
	for (int r = 0; r < RANDPROG_NR_REGS; r++) {
		switch (rp_below(&g->rng, 4)) {
		case 0:
			rp_add(g, randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, (uint8_t)r, 0, 0,
						rp_imm32(&g->rng)));
			break;
		case 1:
			rp_add(g, randprog_insn(BPF_ALU | BPF_MOV | BPF_K, (uint8_t)r, 0, 0,
						rp_imm32(&g->rng)));
			break;
		case 2:
			rp_add_lddw(g, r, rp_value64(&g->rng));
			break;
		default: {
			int bytes = rp_random_size(g, 8);
			rp_add(g, randprog_insn(BPF_LDX | BPF_MEM | rp_size_bits(bytes), (uint8_t)r,
						RANDPROG_PTR_REG, rp_mem_off(g, bytes), 0));
			break;
		}
		}
	}
}

/* Every byte of the stack area is written before the random part reads it. */
static void rp_setup_stack(struct rp_gen *g)
{
	for (int slot = 8; slot <= RANDPROG_STACK_BYTES; slot += 8) {
		int16_t off = (int16_t)-slot;

		switch (rp_below(&g->rng, 4)) {
		case 0:
			rp_add(g, randprog_insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, off,
						rp_imm32(&g->rng)));
			break;
		case 1:
			rp_add(g, randprog_insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off,
						rp_imm32(&g->rng)));
			rp_add(g, randprog_insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off + 4,
						rp_imm32(&g->rng)));
			break;
		default:
			rp_add(g, randprog_insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10,
						(uint8_t)rp_reg(g), off, 0));
			break;
		}
	}
}

struct rp_alu_op {
	uint8_t op;
	int16_t off; /* 1 selects sdiv/smod */
	uint32_t feature;
};

/* clang-format off */
static const struct rp_alu_op rp_alu_ops[] = {
	{BPF_ADD, 0, RANDPROG_ALU},    {BPF_SUB, 0, RANDPROG_ALU},    {BPF_MUL, 0, RANDPROG_ALU},
	{BPF_OR, 0, RANDPROG_ALU},     {BPF_AND, 0, RANDPROG_ALU},    {BPF_XOR, 0, RANDPROG_ALU},
	{BPF_MOV, 0, RANDPROG_ALU},    {BPF_DIV, 0, RANDPROG_DIVMOD}, {BPF_DIV, 1, RANDPROG_DIVMOD},
	{BPF_MOD, 0, RANDPROG_DIVMOD}, {BPF_MOD, 1, RANDPROG_DIVMOD}, {BPF_LSH, 0, RANDPROG_SHIFT},
	{BPF_RSH, 0, RANDPROG_SHIFT},  {BPF_ARSH, 0, RANDPROG_SHIFT},
};
/* clang-format on */

static int rp_is_shift(uint8_t op)
{
	return op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH;
}

/* A two-operand ALU instruction of one of the enabled kinds. */
static void rp_emit_binop(struct rp_gen *g, uint32_t kinds)
{
	const struct rp_alu_op *op;
	int wide = rp_percent(g, 50);
	uint8_t cls = wide ? BPF_ALU64 : BPF_ALU;
	uint8_t dst = (uint8_t)rp_reg(g);

	do
		op = &rp_alu_ops[rp_below(&g->rng, sizeof(rp_alu_ops) / sizeof(rp_alu_ops[0]))];
	while (!(op->feature & kinds));

	if (rp_percent(g, 50)) {
		rp_add(g, randprog_insn(cls | op->op | BPF_X, dst, (uint8_t)rp_reg(g), op->off, 0));
		return;
	}
	int32_t imm = rp_imm32(&g->rng);
	if (rp_is_shift(op->op)) /* the verifier refuses constant counts >= the width */
		imm = (int32_t)rp_below(&g->rng, wide ? 64 : 32);
	else if ((op->op == BPF_DIV || op->op == BPF_MOD) && imm == 0)
		imm = -1; /* ... and constant division by zero */
	rp_add(g, randprog_insn(cls | op->op | BPF_K, dst, 0, op->off, imm));
}

static void rp_emit_neg(struct rp_gen *g)
{
	uint8_t cls = rp_percent(g, 50) ? BPF_ALU64 : BPF_ALU;

	rp_add(g, randprog_insn(cls | BPF_NEG | BPF_K, (uint8_t)rp_reg(g), 0, 0, 0));
}

static void rp_emit_movsx(struct rp_gen *g)
{
	int wide = rp_percent(g, 50);
	int16_t bits = (int16_t)(8 << rp_below(&g->rng, wide ? 3 : 2));

	rp_add(g, randprog_insn((wide ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, (uint8_t)rp_reg(g),
				(uint8_t)rp_reg(g), bits, 0));
}

/* le/be (class ALU, source bit picks the order) and bswap (class ALU64). */
static void rp_emit_byteorder(struct rp_gen *g)
{
	static const uint8_t codes[] = {
		BPF_ALU | BPF_END | BPF_TO_LE,
		BPF_ALU | BPF_END | BPF_TO_BE,
		BPF_ALU64 | BPF_END | BPF_TO_LE,
	};

	rp_add(g, randprog_insn(codes[rp_below(&g->rng, 3)], (uint8_t)rp_reg(g), 0, 0,
				16 << rp_below(&g->rng, 3)));
}

/* A load or store at r9 or r10; base is the pointer register. */
static void rp_emit_mem(struct rp_gen *g, int stack)
{
	int sx = (g->features & RANDPROG_LDSX) && rp_percent(g, 25);
	int bytes = rp_random_size(g, sx ? 4 : 8);
	int16_t off = stack ? rp_stack_off(g, bytes) : rp_mem_off(g, bytes);
	uint8_t base = stack ? BPF_REG_10 : RANDPROG_PTR_REG;
	uint8_t size = (uint8_t)rp_size_bits(bytes);

	if (sx) {
		rp_add(g,
		       randprog_insn(BPF_LDX | BPF_MEMSX | size, (uint8_t)rp_reg(g), base, off, 0));
		return;
	}
	switch (rp_below(&g->rng, 3)) {
	case 0:
		rp_add(g,
		       randprog_insn(BPF_LDX | BPF_MEM | size, (uint8_t)rp_reg(g), base, off, 0));
		break;
	case 1:
		rp_add(g, randprog_insn(BPF_ST | BPF_MEM | size, base, 0, off, rp_imm32(&g->rng)));
		break;
	default:
		rp_add(g,
		       randprog_insn(BPF_STX | BPF_MEM | size, base, (uint8_t)rp_reg(g), off, 0));
		break;
	}
}

/* Atomics are only allowed on the stack (not on packet memory). */
static void rp_emit_atomic(struct rp_gen *g)
{
	/* clang-format off */
	static const int32_t ops[] = {
		BPF_ADD, BPF_OR, BPF_AND, BPF_XOR,
		BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH, BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH,
		BPF_XCHG, BPF_CMPXCHG,
	};
	/* clang-format on */
	int bytes = rp_percent(g, 50) ? 8 : 4;
	int32_t op = ops[rp_below(&g->rng, sizeof(ops) / sizeof(ops[0]))];
	struct rp_unit *u;

	u = rp_add(g, randprog_insn(BPF_STX | BPF_ATOMIC | rp_size_bits(bytes), BPF_REG_10,
				    (uint8_t)rp_reg(g), rp_stack_off(g, bytes), op));
	if (bytes == 4 && op == BPF_CMPXCHG && (g->quirks & RANDPROG_QUIRK_CMPXCHG32_ZEXT)) {
		/* same unit: no jump lands between the two */
		u->insn[1] = randprog_insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_0, 0, 0);
		u->nslots = 2;
	}
}

static void rp_emit_acqrel(struct rp_gen *g)
{
	int bytes = rp_random_size(g, 8);
	uint8_t code = BPF_STX | BPF_ATOMIC | rp_size_bits(bytes);
	int16_t off = rp_stack_off(g, bytes);

	if (rp_percent(g, 50))
		rp_add(g, randprog_insn(code, (uint8_t)rp_reg(g), BPF_REG_10, off, BPF_LOAD_ACQ));
	else
		rp_add(g, randprog_insn(code, BPF_REG_10, (uint8_t)rp_reg(g), off, BPF_STORE_REL));
}

static struct rp_unit *rp_emit_cond_jump(struct rp_gen *g)
{
	/* clang-format off */
	static const uint8_t conds[] = {
		BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
		BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE,
	};
	/* clang-format on */
	uint8_t code = (rp_percent(g, 50) ? BPF_JMP : BPF_JMP32) |
		       conds[rp_below(&g->rng, sizeof(conds) / sizeof(conds[0]))];
	struct rp_unit *u;

	if (rp_percent(g, 50))
		u = rp_add(g, randprog_insn(code | BPF_X, (uint8_t)rp_reg(g), (uint8_t)rp_reg(g), 0,
					    0));
	else
		u = rp_add(g, randprog_insn(code | BPF_K, (uint8_t)rp_reg(g), 0, 0,
					    rp_imm32(&g->rng)));
	u->jump = RP_JUMP_OFF;
	return u;
}

/* A forward jump over up to RP_MAX_SKIP units; targets past the random part
 * are clamped to the epilogue when the program is laid out. */
static size_t rp_skip_target(struct rp_gen *g)
{
	return g->nunits + rp_below(&g->rng, RP_MAX_SKIP + 1);
}

static void rp_emit_jump(struct rp_gen *g)
{
	int ifelse =
		(g->features & RANDPROG_JA) && g->npending < RP_MAX_PENDING && rp_percent(g, 30);
	struct rp_unit *u;

	if ((g->features & RANDPROG_MAY_GOTO) && rp_percent(g, 5)) {
		u = rp_add(g, randprog_insn(BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, 0, 0));
		u->jump = RP_JUMP_OFF;
		u->target = (uint32_t)rp_skip_target(g);
		return;
	}
	u = rp_emit_cond_jump(g);
	if (!ifelse) {
		u->target = (uint32_t)rp_skip_target(g);
		return;
	}
	/* if (cond) goto else; then...; ja end; else: ...; end: */
	g->pending[g->npending].jcc = g->nunits - 1;
	g->pending[g->npending].due = g->nunits + rp_below(&g->rng, RP_MAX_THEN + 1);
	g->npending++;
}

/* The ja ending the "then" part; its conditional jump lands right after it. */
static void rp_emit_else(struct rp_gen *g, int i)
{
	struct rp_unit *u;

	if (rp_percent(g, 50)) {
		u = rp_add(g, randprog_insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
		u->jump = RP_JUMP_OFF;
	} else {
		u = rp_add(g, randprog_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, 0));
		u->jump = RP_JUMP_IMM;
	}
	u->target = (uint32_t)rp_skip_target(g);
	g->units[g->pending[i].jcc].target = (uint32_t)g->nunits;
	g->pending[i] = g->pending[--g->npending];
}

/* Emits the due else-jumps; returns how many. */
static int rp_flush_pending(struct rp_gen *g, int all)
{
	int n = 0;

	for (int i = 0; i < g->npending;) {
		if (all || g->pending[i].due <= g->nunits) {
			rp_emit_else(g, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* Instruction mix of the random part: rough weights per kind. */
struct rp_kind {
	uint32_t feature;
	uint32_t weight;
};

/* clang-format off */
static const struct rp_kind rp_kinds[] = {
	{RANDPROG_ALU, 24},    {RANDPROG_DIVMOD, 8},  {RANDPROG_SHIFT, 8}, {RANDPROG_MOVSX, 3},
	{RANDPROG_BYTEORDER, 3}, {RANDPROG_LDDW, 2}, {RANDPROG_JMP, 12},  {RANDPROG_MEM, 12},
	{RANDPROG_STACK, 10},  {RANDPROG_ATOMIC, 6},  {RANDPROG_ACQREL, 2},
};
/* clang-format on */

static void rp_emit_random(struct rp_gen *g)
{
	uint32_t total = 0, pick;
	size_t k;

	for (k = 0; k < sizeof(rp_kinds) / sizeof(rp_kinds[0]); k++)
		if (g->features & rp_kinds[k].feature)
			total += rp_kinds[k].weight;
	if (!total) { /* only JA or MAY_GOTO or LDSX asked for: plain ALU keeps it valid */
		rp_emit_binop(g, RANDPROG_ALU);
		return;
	}
	pick = rp_below(&g->rng, total);
	for (k = 0; pick >= rp_kinds[k].weight || !(g->features & rp_kinds[k].feature); k++)
		if (g->features & rp_kinds[k].feature)
			pick -= rp_kinds[k].weight;

	switch (rp_kinds[k].feature) {
	case RANDPROG_ALU:
		if (rp_percent(g, 8))
			rp_emit_neg(g);
		else
			rp_emit_binop(g, RANDPROG_ALU);
		break;
	case RANDPROG_DIVMOD:
	case RANDPROG_SHIFT:
		rp_emit_binop(g, rp_kinds[k].feature);
		break;
	case RANDPROG_MOVSX:
		rp_emit_movsx(g);
		break;
	case RANDPROG_BYTEORDER:
		rp_emit_byteorder(g);
		break;
	case RANDPROG_LDDW:
		rp_add_lddw(g, rp_reg(g), rp_value64(&g->rng));
		break;
	case RANDPROG_JMP:
		rp_emit_jump(g);
		break;
	case RANDPROG_MEM:
	case RANDPROG_STACK:
		rp_emit_mem(g, rp_kinds[k].feature == RANDPROG_STACK);
		break;
	case RANDPROG_ATOMIC:
		rp_emit_atomic(g);
		break;
	default:
		rp_emit_acqrel(g);
		break;
	}
}

void randprog_layout(const struct randprog_opts *opts, struct randprog_layout *layout)
{
	layout->regs_off = ((size_t)opts->data_size + 7) & ~(size_t)7;
	layout->stack_off = layout->regs_off + 8 * RANDPROG_NR_REGS;
	layout->size = layout->stack_off + RANDPROG_STACK_BYTES;
}

/* Each random step adds one unit, and each if/else one more (its ja). */
static size_t rp_max_units(const struct randprog_opts *opts)
{
	return RP_SETUP_UNITS + 2 * (size_t)opts->nr_insns;
}

size_t randprog_max_insns(const struct randprog_opts *opts)
{
	return 2 * rp_max_units(opts) + RANDPROG_EPILOGUE_SLOTS;
}

size_t randprog_epilogue(const struct randprog_opts *opts, struct bpf_insn *insns, size_t cap)
{
	struct randprog_layout l;
	size_t n = 0;

	if (cap < RANDPROG_EPILOGUE_SLOTS)
		return 0;
	randprog_layout(opts, &l);
	for (int r = 0; r < RANDPROG_NR_REGS; r++)
		insns[n++] = randprog_insn(BPF_STX | BPF_MEM | BPF_DW, RANDPROG_PTR_REG, (uint8_t)r,
					   (int16_t)(l.regs_off + 8 * (size_t)r), 0);
	/* r0 is saved above, so it can carry the stack words across. */
	for (int i = 0; i < RANDPROG_STACK_BYTES; i += 8) {
		insns[n++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_10,
					   (int16_t)(i - RANDPROG_STACK_BYTES), 0);
		insns[n++] = randprog_insn(BPF_STX | BPF_MEM | BPF_DW, RANDPROG_PTR_REG, BPF_REG_0,
					   (int16_t)(l.stack_off + (size_t)i), 0);
	}
	return n;
}

/* Unit indexes to slot offsets; jump targets past the end land on `end`.
 * Returns the slots written, and the slot of unit `mark` in *mark_slot. */
static size_t rp_lay_out(struct rp_gen *g, size_t end, struct bpf_insn *insns, size_t mark,
			 size_t *mark_slot)
{
	size_t *slot = malloc((g->nunits + 1) * sizeof(*slot));
	size_t n = 0;

	if (!slot)
		return 0;
	for (size_t i = 0; i < g->nunits; i++) {
		slot[i] = n;
		n += g->units[i].nslots;
	}
	slot[g->nunits] = n;
	*mark_slot = slot[mark];
	n = 0;
	for (size_t i = 0; i < g->nunits; i++) {
		struct rp_unit *u = &g->units[i];
		size_t t = u->target > end ? end : u->target;
		int32_t rel = (int32_t)slot[t] - (int32_t)slot[i] - 1;

		if (u->jump == RP_JUMP_OFF)
			u->insn[0].off = (int16_t)rel;
		else if (u->jump == RP_JUMP_IMM)
			u->insn[0].imm = rel;
		for (int s = 0; s < u->nslots; s++)
			insns[n++] = u->insn[s];
	}
	free(slot);
	return n;
}

size_t randprog_generate(uint64_t seed, const struct randprog_opts *opts, struct bpf_insn *insns,
			 size_t cap, struct randprog_info *info)
{
	struct rp_gen g = {.data_size = opts->data_size};
	size_t n, emitted, setup_units, random_start;

	if (opts->data_size < 8 || opts->data_size > 4096 || opts->nr_insns > 4096 ||
	    cap < randprog_max_insns(opts))
		return 0;
	randprog_rng_seed(&g.rng, seed);
	g.features = opts->features ? opts->features & RANDPROG_ALL : RANDPROG_ALL;
	g.quirks = opts->quirks;
	g.cap = rp_max_units(opts);
	g.units = calloc(g.cap, sizeof(*g.units));
	if (!g.units)
		return 0;

	rp_setup_regs(&g);
	rp_setup_stack(&g);
	setup_units = g.nunits;
	for (emitted = 0; emitted < opts->nr_insns; emitted++)
		if (!rp_flush_pending(&g, 0))
			rp_emit_random(&g);
	rp_flush_pending(&g, 1);

	n = rp_lay_out(&g, g.nunits, insns, setup_units, &random_start);
	free(g.units);
	if (!n)
		return 0;
	if (info) {
		info->random_start = random_start;
		info->epilogue_start = n;
	}
	return n + randprog_epilogue(opts, insns + n, cap - n);
}

void randprog_fill(uint64_t seed, void *buf, size_t len)
{
	struct randprog_rng rng;
	uint8_t *p = buf;

	/* A different stream from the program's, which starts at `seed`. */
	randprog_rng_seed(&rng, seed ^ 0x6a09e667f3bcc909ull);
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rp_coin(&rng) ? rp_value64(&rng) : randprog_rng_next(&rng);
		for (size_t b = 0; b < 8 && i + b < len; b++)
			p[i + b] = (uint8_t)(v >> (8 * b));
	}
}

void randprog_describe(const struct randprog_opts *opts, size_t off, char *buf, size_t size)
{
	struct randprog_layout l;

	randprog_layout(opts, &l);
	if (off < opts->data_size)
		snprintf(buf, size, "mem[%zu]", off);
	else if (off < l.regs_off)
		snprintf(buf, size, "padding[%zu]", off);
	else if (off < l.stack_off)
		snprintf(buf, size, "r%zu byte %zu", (off - l.regs_off) / 8,
			 (off - l.regs_off) % 8);
	else if (off < l.size)
		snprintf(buf, size, "stack r10-%zu", RANDPROG_STACK_BYTES - (off - l.stack_off));
	else
		snprintf(buf, size, "beyond the layout [%zu]", off);
}

/* The reference evaluator (randprog_eval).  Deliberately simple and written
 * from the ISA, not from skep's interpreter: one switch per class, every
 * access bounds-checked, no pre-decoding; speed does not matter here. */

#define RP_EVAL_STACK 512
#define RP_EVAL_MAX_LOOPS (8u * 1024 * 1024) /* may_goto's allowance, as the kernel's */

struct rp_eval {
	uint64_t r[11];
	uint8_t *mem;
	size_t mem_size;
	uint8_t stack[RP_EVAL_STACK];
	uint32_t loops;
};

/* Host pointer for [r[base] + off, +bytes) when it lies in mem or the stack.
 * r9 and r10 hold offsets of their own areas tagged in the top bits, so a
 * computed address can always be traced back to its area. */
#define RP_TAG_MEM (1ull << 62)
#define RP_TAG_STACK (2ull << 62)
#define RP_TAG_MASK (3ull << 62)

static void *rp_eval_addr(struct rp_eval *e, uint64_t base, int16_t off, size_t bytes)
{
	uint64_t a = base + (uint64_t)(int64_t)off;
	uint64_t o = a & ~RP_TAG_MASK;

	if ((a & RP_TAG_MASK) == RP_TAG_MEM && o <= e->mem_size && e->mem_size - o >= bytes)
		return e->mem + o;
	if ((a & RP_TAG_MASK) == RP_TAG_STACK && o <= RP_EVAL_STACK && RP_EVAL_STACK - o >= bytes)
		return e->stack + o;
	return NULL;
}

static uint64_t rp_load(const void *p, size_t bytes)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (size_t i = bytes; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static void rp_store(void *p, size_t bytes, uint64_t v)
{
	uint8_t *b = p;

	for (size_t i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Sign-extend the low `bits` bits of v. */
static uint64_t rp_sext(uint64_t v, int bits)
{
	uint64_t m = 1ull << (bits - 1);

	v &= bits == 64 ? ~0ull : (1ull << bits) - 1;
	return (v ^ m) - m;
}

static uint64_t rp_bswap(uint64_t v, int bits)
{
	uint64_t out = 0;

	for (int i = 0; i < bits / 8; i++)
		out = out << 8 | ((v >> (8 * i)) & 0xff);
	return out;
}

static int rp_eval_alu(struct rp_eval *e, const struct bpf_insn *in)
{
	int bits = BPF_CLASS(in->code) == BPF_ALU64 ? 64 : 32;
	uint64_t mask = bits == 64 ? ~0ull : 0xffffffffull;
	uint64_t d = e->r[in->dst_reg] & mask;
	uint64_t s = (BPF_SRC(in->code) == BPF_X ? e->r[in->src_reg] : (uint64_t)(int64_t)in->imm) &
		     mask;
	int64_t sd = (int64_t)rp_sext(d, bits), ss = (int64_t)rp_sext(s, bits);
	uint64_t v;

	switch (BPF_OP(in->code)) {
	case BPF_ADD:
		v = d + s;
		break;
	case BPF_SUB:
		v = d - s;
		break;
	case BPF_MUL:
		v = d * s;
		break;
	case BPF_OR:
		v = d | s;
		break;
	case BPF_AND:
		v = d & s;
		break;
	case BPF_XOR:
		v = d ^ s;
		break;
	case BPF_LSH:
		v = d << (s & (uint64_t)(bits - 1));
		break;
	case BPF_RSH:
		v = d >> (s & (uint64_t)(bits - 1));
		break;
	case BPF_ARSH:
		v = (uint64_t)(sd >> (s & (uint64_t)(bits - 1)));
		break;
	case BPF_NEG:
		v = 0 - d;
		break;
	case BPF_DIV:
		if (in->off == 0)
			v = s ? d / s : 0;
		else if (ss == 0)
			v = 0;
		else if (ss == -1) /* INT_MIN / -1 wraps to INT_MIN; C would trap */
			v = 0 - d;
		else
			v = (uint64_t)(sd / ss);
		break;
	case BPF_MOD:
		if (in->off == 0)
			v = s ? d % s : d;
		else if (ss == 0)
			v = d;
		else if (ss == -1)
			v = 0;
		else
			v = (uint64_t)(sd % ss);
		break;
	case BPF_MOV:
		v = in->off ? rp_sext(e->r[in->src_reg], in->off) : s;
		break;
	case BPF_END:
		/* bswap, or be (a swap on this little-endian host); le truncates */
		if (bits == 64 || BPF_SRC(in->code) == BPF_TO_BE)
			v = rp_bswap(e->r[in->dst_reg], in->imm);
		else
			v = e->r[in->dst_reg] & (in->imm == 64 ? ~0ull : (1ull << in->imm) - 1);
		e->r[in->dst_reg] = v;
		return 0;
	default:
		return -1;
	}
	e->r[in->dst_reg] = v & mask;
	return 0;
}

static int rp_eval_cond(const struct rp_eval *e, const struct bpf_insn *in)
{
	int bits = BPF_CLASS(in->code) == BPF_JMP ? 64 : 32;
	uint64_t mask = bits == 64 ? ~0ull : 0xffffffffull;
	uint64_t d = e->r[in->dst_reg] & mask;
	uint64_t s = (BPF_SRC(in->code) == BPF_X ? e->r[in->src_reg] : (uint64_t)(int64_t)in->imm) &
		     mask;
	int64_t sd = (int64_t)rp_sext(d, bits), ss = (int64_t)rp_sext(s, bits);

	switch (BPF_OP(in->code)) {
	case BPF_JEQ:
		return d == s;
	case BPF_JNE:
		return d != s;
	case BPF_JGT:
		return d > s;
	case BPF_JGE:
		return d >= s;
	case BPF_JLT:
		return d < s;
	case BPF_JLE:
		return d <= s;
	case BPF_JSET:
		return (d & s) != 0;
	case BPF_JSGT:
		return sd > ss;
	case BPF_JSGE:
		return sd >= ss;
	case BPF_JSLT:
		return sd < ss;
	case BPF_JSLE:
		return sd <= ss;
	default:
		return -1;
	}
}

static const size_t rp_size_bytes[4] = {4, 2, 1, 8}; /* by BPF_SIZE >> 3: W H B DW */

static int rp_eval_atomic(struct rp_eval *e, const struct bpf_insn *in)
{
	size_t bytes = rp_size_bytes[BPF_SIZE(in->code) >> 3];
	uint64_t mask = bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
	uint8_t base = in->imm == BPF_LOAD_ACQ ? in->src_reg : in->dst_reg;
	void *p = rp_eval_addr(e, e->r[base], in->off, bytes);
	uint64_t old, s = e->r[in->src_reg] & mask, v;

	if (!p || (e->r[base] + (uint64_t)(int64_t)in->off) % bytes)
		return -1; /* atomics must be aligned */
	old = rp_load(p, bytes);
	switch (in->imm) {
	case BPF_LOAD_ACQ:
		e->r[in->dst_reg] = old;
		return 0;
	case BPF_STORE_REL:
		rp_store(p, bytes, s);
		return 0;
	case BPF_CMPXCHG:
		if (bytes < 4)
			return -1;
		if (old == (e->r[BPF_REG_0] & mask))
			rp_store(p, bytes, s);
		e->r[BPF_REG_0] = old; /* zero-extended when 32-bit */
		return 0;
	case BPF_XCHG:
		v = s;
		break;
	default:
		switch (in->imm & ~BPF_FETCH) {
		case BPF_ADD:
			v = old + s;
			break;
		case BPF_OR:
			v = old | s;
			break;
		case BPF_AND:
			v = old & s;
			break;
		case BPF_XOR:
			v = old ^ s;
			break;
		default:
			return -1;
		}
	}
	if (bytes < 4)
		return -1;
	rp_store(p, bytes, v & mask);
	if (in->imm & BPF_FETCH)
		e->r[in->src_reg] = old;
	return 0;
}

/* One load or store; -1 when out of bounds or not a memory instruction. */
static int rp_eval_mem(struct rp_eval *e, const struct bpf_insn *in)
{
	size_t bytes = rp_size_bytes[BPF_SIZE(in->code) >> 3];
	void *p;

	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		if (BPF_MODE(in->code) != BPF_MEM && BPF_MODE(in->code) != BPF_MEMSX)
			return -1;
		p = rp_eval_addr(e, e->r[in->src_reg], in->off, bytes);
		if (!p)
			return -1;
		e->r[in->dst_reg] = rp_load(p, bytes);
		if (BPF_MODE(in->code) == BPF_MEMSX)
			e->r[in->dst_reg] = rp_sext(e->r[in->dst_reg], (int)(8 * bytes));
		return 0;
	case BPF_ST:
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC && BPF_CLASS(in->code) == BPF_STX)
			return rp_eval_atomic(e, in);
		if (BPF_MODE(in->code) != BPF_MEM)
			return -1;
		p = rp_eval_addr(e, e->r[in->dst_reg], in->off, bytes);
		if (!p)
			return -1;
		rp_store(p, bytes,
			 BPF_CLASS(in->code) == BPF_ST ? (uint64_t)(int64_t)in->imm
						       : e->r[in->src_reg]);
		return 0;
	default:
		return -1;
	}
}

/* The slot to continue at after jump instruction `pc`; n+1 for exit, -1 on error. */
static long rp_eval_jump(struct rp_eval *e, const struct bpf_insn *in, size_t pc, size_t n)
{
	int taken;

	switch (BPF_OP(in->code)) {
	case BPF_EXIT:
		return (long)n + 1;
	case BPF_JA:
		return (long)pc + 1 + (BPF_CLASS(in->code) == BPF_JMP32 ? in->imm : in->off);
	case BPF_JCOND: /* may_goto: taken once the allowance is spent */
		if (e->loops == 0)
			return (long)pc + 1 + in->off;
		e->loops--;
		return (long)pc + 1;
	case BPF_CALL:
		return -1;
	default:
		taken = rp_eval_cond(e, in);
		if (taken < 0)
			return -1;
		return (long)pc + 1 + (taken ? in->off : 0);
	}
}

int randprog_eval(const struct bpf_insn *insns, size_t n, void *mem, size_t mem_size,
		  uint64_t regs[11])
{
	struct rp_eval *e = calloc(1, sizeof(*e));
	long pc = 0;
	int err = 0;

	if (!e)
		return -1;
	e->mem = mem;
	e->mem_size = mem_size;
	e->loops = RP_EVAL_MAX_LOOPS;
	e->r[RANDPROG_PTR_REG] = RP_TAG_MEM;
	e->r[BPF_REG_10] = RP_TAG_STACK | RP_EVAL_STACK;

	while (!err && pc >= 0 && (size_t)pc < n) {
		const struct bpf_insn *in = &insns[pc];

		switch (BPF_CLASS(in->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			err = rp_eval_alu(e, in);
			pc++;
			break;
		case BPF_LD:
			if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || in->src_reg ||
			    (size_t)pc + 1 >= n) {
				err = -1;
				break;
			}
			e->r[in->dst_reg] =
				(uint32_t)in->imm | (uint64_t)(uint32_t)insns[pc + 1].imm << 32;
			pc += 2;
			break;
		case BPF_JMP:
		case BPF_JMP32:
			pc = rp_eval_jump(e, in, (size_t)pc, n);
			if (pc < 0 || (size_t)pc > n + 1)
				err = -1;
			break;
		default:
			err = rp_eval_mem(e, in);
			pc++;
			break;
		}
	}
	if (pc < 0)
		err = -1;
	memcpy(regs, e->r, sizeof(e->r));
	regs[RANDPROG_PTR_REG] &= ~RP_TAG_MASK;
	regs[BPF_REG_10] &= ~RP_TAG_MASK;
	regs[BPF_REG_10] -= RP_EVAL_STACK;
	free(e);
	return err;
}
