/* The JIT with what helpers add to a run: maps (helpers and direct value
 * loads), tail calls (from the main function, from a subprogram, chained to
 * the limit, to a missing index), helpers that stop a checked run, and
 * callbacks (bpf_loop).  Every program runs in every engine (jit_test.h),
 * which must agree.
 */
#include "../lib/harness.h"
#include "jit_test.h"
#include "skep/maps.h"

#define MEM_LEN 256
#define ARR 0 /* map indexes given at load */
#define PROGS 1
#define ONE 2 /* a one-element array: direct value loads */

static struct skep_map *arr, *progs, *one;

/* The array map as every run starts it. */
static void reset_maps(struct tenv *te)
{
	for (uint32_t i = 0; i < 4; i++) {
		uint64_t v[2] = {0x1111ull * i, i};
		skep_map_update(arr, &i, v, BPF_ANY);
		if (i == 0)
			skep_map_update(one, &i, v, BPF_ANY);
	}
}

static void tp_map(struct tprog *p, int dst, int map)
{
	tp_op(p, BPF_LD | BPF_IMM | BPF_DW, dst, BPF_PSEUDO_MAP_IDX, 0, map);
	tp_op(p, 0, 0, 0, 0, 0);
}

static void tp_call(struct tprog *p, int helper)
{
	tp_op(p, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

static void tp_mov_reg(struct tprog *p, int dst, int src)
{
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static void tp_add_imm(struct tprog *p, int dst, int32_t imm)
{
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
}

static void check(struct harness *h, struct tenv *te, struct tprog *p, const char *name)
{
	struct trun ref = {0};
	char why[1024];

	if (t_compare_all(te, p, &ref, why, sizeof(why)))
		harness_fail(h, name, "%s", why);
	else
		harness_pass(h, name);
	trun_free(&ref);
	p->n = 0;
}

/* Lookups, in-place updates, an atomic add, a direct value load, an update
 * helper; then every element copied out to memory. */
static void test_array(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};

	tp_op(&p, BPF_STX | BPF_MEM | BPF_DW, 10, 1, -512, 0);
	tp_mov(&p, 6, 0);
	for (int i = 0; i < 4; i++) {
		size_t skip;
		tp_op(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, i);
		tp_map(&p, 1, ARR);
		tp_mov_reg(&p, 2, 10);
		tp_add_imm(&p, 2, -4);
		tp_call(&p, BPF_FUNC_map_lookup_elem);
		skip = p.n;
		tp_op(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, 0);
		tp_op(&p, BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0);
		tp_add_imm(&p, 1, 3 * i + 1);
		tp_op(&p, BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0);
		tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_X, 6, 1, 0, 0);
		tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 8, BPF_ADD);
		tp_land(&p, skip);
	}
	tp_op(&p, BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_IDX_VALUE, 0, ONE);
	tp_op(&p, 0, 0, 0, 0, 8);
	tp_op(&p, BPF_LDX | BPF_MEM | BPF_DW, 2, 1, 0, 0);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_X, 6, 2, 0, 0);
	tp_op(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 2);
	tp_op(&p, BPF_STX | BPF_MEM | BPF_DW, 10, 6, -24, 0);
	tp_op(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 77);
	tp_map(&p, 1, ARR);
	tp_mov_reg(&p, 2, 10);
	tp_add_imm(&p, 2, -4);
	tp_mov_reg(&p, 3, 10);
	tp_add_imm(&p, 3, -24);
	tp_mov(&p, 4, 0);
	tp_call(&p, BPF_FUNC_map_update_elem);
	for (int i = 0; i < 4; i++) {
		tp_op(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, i);
		tp_map(&p, 1, ARR);
		tp_mov_reg(&p, 2, 10);
		tp_add_imm(&p, 2, -4);
		tp_call(&p, BPF_FUNC_map_lookup_elem);
		tp_op(&p, BPF_LDX | BPF_MEM | BPF_DW, 7, 10, -512, 0);
		for (int w = 0; w < 2; w++) {
			tp_op(&p, BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 8 * w, 0);
			tp_op(&p, BPF_STX | BPF_MEM | BPF_DW, 7, 1, 16 * i + 8 * w, 0);
		}
	}
	tp_mov_reg(&p, 0, 6);
	tp_exit(&p);
	check(h, te, &p, "array map: helpers, value loads, atomics");
	tp_free(&p);
}

/* The JIT writes array lookups out inline (no call): every key, in bounds,
 * at the bound, far past it and with its high bits set, must give what the
 * helper gives.  r6 sums each key's pointer offset from key 0's, or 1000
 * for a NULL; the inline code is checked to hold no helper call. */
static void test_array_inline(struct harness *h, struct tenv *te)
{
	static const int32_t keys[] = {0, 1, 3, 4, 5, -1, 0x10000, 2};
	struct tprog p = {0};
	struct skep_prog *prog;
	struct skep_jited j;
	char log[256] = "";
	int calls = 0;

	tp_mov(&p, 6, 0);
	tp_mov(&p, 8, 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t skip, done;
		tp_op(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, keys[i]);
		tp_map(&p, 1, ARR);
		tp_mov_reg(&p, 2, 10);
		tp_add_imm(&p, 2, -4);
		tp_call(&p, BPF_FUNC_map_lookup_elem);
		skip = p.n;
		tp_op(&p, BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0);
		tp_add_imm(&p, 6, 1000);
		done = p.n;
		tp_op(&p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
		tp_land(&p, skip);
		/* key 0 sets r8 to its address; the others add their distance to it */
		if (i == 0)
			tp_mov_reg(&p, 8, 0);
		tp_op(&p, BPF_ALU64 | BPF_SUB | BPF_X, 0, 8, 0, 0);
		tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_X, 6, 0, 0, 0);
		tp_land(&p, done);
	}
	tp_mov_reg(&p, 0, 6);
	tp_exit(&p);
	if (!t_load(te, &p, &prog, log, sizeof(log))) {
		if (!skep_prog_jited(prog, 0, &j, log, sizeof(log))) {
			/* a helper call starts with movabs rax, fn (48 b8) */
			for (size_t k = 0; k < j.len; k++) {
				const uint8_t *c = (const uint8_t *)j.code + j.insn_off[k];
				calls += p.insns[k].code == (BPF_JMP | BPF_CALL) &&
					 j.insn_off[k + 1] - j.insn_off[k] >= 2 && c[0] == 0x48 &&
					 c[1] == 0xb8;
			}
			harness_check(h, calls == 0, "array lookups are inlined",
				      "%d helper calls left in the code", calls);
		} else {
			harness_fail(h, "array lookups are inlined", "JIT: %s", log);
		}
		skep_prog_free(prog);
	} else {
		harness_fail(h, "array lookups are inlined", "load: %s", log);
	}
	check(h, te, &p, "inlined array lookups: bounds, high key bits, NULL");
	tp_free(&p);
}

/* tail_call(r1, progs, idx) */
static void tp_tail_call(struct tprog *p, int idx)
{
	tp_map(p, 2, PROGS);
	tp_mov(p, 3, idx);
	tp_call(p, BPF_FUNC_tail_call);
}

/* progs[0]: r0 = r6 + *(u64 *)r1 + 5, stored at r1 + 8: it sees r1 and r6
 * as the program that tail-called it left them. */
static void build_target(struct tprog *p)
{
	tp_mov_reg(p, 0, 6);
	tp_op(p, BPF_LDX | BPF_MEM | BPF_DW, 2, 1, 0, 0);
	tp_op(p, BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0);
	tp_add_imm(p, 0, 5);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 1, 0, 8, 0);
	tp_exit(p);
}

/* progs[1]: counts in r7 and tail-calls itself until the limit says no. */
static void build_chain(struct tprog *p)
{
	tp_add_imm(p, 7, 1);
	tp_op(p, BPF_STX | BPF_MEM | BPF_DW, 1, 7, 16, 0);
	tp_tail_call(p, 1);
	tp_mov_reg(p, 0, 7);
	tp_exit(p);
}

static void test_tail_calls(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};
	size_t call;

	tp_mov(&p, 6, 10);
	tp_tail_call(&p, 0);
	tp_mov(&p, 0, 99);
	tp_exit(&p);
	check(h, te, &p, "tail call from the main function");

	tp_mov(&p, 6, 20);
	call = p.n;
	tp_op(&p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
	tp_add_imm(&p, 0, 1000);
	tp_exit(&p);
	p.insns[call].imm = (int32_t)(p.n - call - 1);
	tp_mov(&p, 6, 30);
	tp_tail_call(&p, 0);
	tp_mov(&p, 0, 7);
	tp_exit(&p);
	check(h, te, &p, "tail call from a subprogram returns to its caller");

	tp_mov(&p, 6, 1);
	tp_tail_call(&p, 3);
	tp_add_imm(&p, 0, 100);
	tp_exit(&p);
	check(h, te, &p, "tail call to an empty slot falls through");

	tp_mov(&p, 7, 0);
	tp_tail_call(&p, 1);
	tp_mov(&p, 0, 55);
	tp_exit(&p);
	check(h, te, &p, "tail calls chained to the limit");
	tp_free(&p);
}

/* bpf_loop(10, cb, &ctx, 0); cb stops at i == 7.  The callback runs in the
 * interpreter whichever engine runs the caller; it must find its function
 * from the address an lddw src=4 gave the JIT'ed caller. */
static void test_loop(struct harness *h, struct tenv *te, int fault)
{
	struct tprog p = {0};
	size_t ld;

	tp_op(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0);
	tp_mov(&p, 1, 10);
	ld = p.n;
	tp_op(&p, BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 0);
	tp_op(&p, 0, 0, 0, 0, 0);
	tp_mov_reg(&p, 3, 10);
	tp_add_imm(&p, 3, -8);
	tp_mov(&p, 4, 0);
	tp_call(&p, 181 /* BPF_FUNC_loop */);
	tp_mov_reg(&p, 6, 0);
	tp_op(&p, BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0);
	tp_op(&p, BPF_ALU64 | BPF_LSH | BPF_K, 0, 0, 0, 8);
	tp_op(&p, BPF_ALU64 | BPF_OR | BPF_X, 0, 6, 0, 0);
	tp_exit(&p);
	p.insns[ld].imm = (int32_t)(p.n - ld - 1);
	tp_op(&p, BPF_LDX | BPF_MEM | BPF_DW, 3, 2, fault ? 4096 : 0, 0);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_X, 3, 1, 0, 0);
	tp_add_imm(&p, 3, 1);
	tp_op(&p, BPF_STX | BPF_MEM | BPF_DW, 2, 3, 0, 0);
	tp_mov(&p, 0, 0);
	tp_op(&p, BPF_JMP | BPF_JNE | BPF_K, 1, 0, 1, 7);
	tp_mov(&p, 0, 1);
	tp_exit(&p);
	if (!fault) {
		check(h, te, &p, "bpf_loop callback");
	} else {
		struct skep_prog *prog = NULL;
		struct trun a = {0}, b = {0};
		char log[256], why[1200];
		t_load(te, &p, &prog, log, sizeof(log));
		t_exec(te, prog, SKEP_EXEC_CHECKED, &a);
		t_exec(te, prog, SKEP_EXEC_JIT_CHECKED, &b);
		if (a.err != -EFAULT || !t_same(te, &a, &b, 1, why, sizeof(why)))
			harness_fail(h, "callback fault stops the checked run", "%d: %s / %s",
				     a.err, why, a.log);
		else /* the same up to the callback stack's address, which differs */
			harness_check(h, !strncmp(a.log, b.log, strcspn(a.log, "[")),
				      "callback fault stops the checked run",
				      "logs differ: %s | %s", a.log, b.log);
		trun_free(&a);
		trun_free(&b);
		skep_prog_free(prog);
	}
	tp_free(&p);
}

/* A helper handed a pointer outside the regions stops a checked run. */
static void test_helper_abort(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};
	struct skep_prog *prog = NULL;
	struct trun a = {0}, b = {0};
	char log[256], why[1200];

	tp_mov(&p, 0, 3);
	tp_map(&p, 1, ARR);
	tp_mov(&p, 2, 0x1000);
	tp_call(&p, BPF_FUNC_map_lookup_elem);
	tp_mov(&p, 0, 1);
	tp_exit(&p);
	t_load(te, &p, &prog, log, sizeof(log));
	t_exec(te, prog, SKEP_EXEC_CHECKED, &a);
	t_exec(te, prog, SKEP_EXEC_JIT_CHECKED, &b);
	if (a.err != -EFAULT || a.fault_insn != 4 || !t_same(te, &a, &b, 1, why, sizeof(why)))
		harness_fail(h, "helper stops a checked run", "interp %d at %" PRId64 ": %s", a.err,
			     a.fault_insn, why);
	else
		harness_check(h, !strcmp(a.log, b.log), "helper stops a checked run",
			      "logs differ: %s | %s", a.log, b.log);
	trun_free(&a);
	trun_free(&b);
	skep_prog_free(prog);
	tp_free(&p);
}

static int setup(struct tenv *te, struct skep_prog **targets)
{
	struct skep_map_attr aa = {.sz = sizeof(aa),
				   .type = BPF_MAP_TYPE_ARRAY,
				   .key_size = 4,
				   .value_size = 16,
				   .max_entries = 4,
				   .name = "arr"};
	struct skep_map_attr pa = {.sz = sizeof(pa),
				   .type = BPF_MAP_TYPE_PROG_ARRAY,
				   .key_size = 4,
				   .value_size = 4,
				   .max_entries = 4,
				   .name = "progs"};
	struct tprog p = {0};
	char log[256];
	int err;

	if (skep_map_create(&aa, &arr) || skep_map_create(&pa, &progs))
		return -1;
	aa.max_entries = 1;
	aa.name = "one";
	if (skep_map_create(&aa, &one))
		return -1;
	te->maps[ARR] = arr;
	te->maps[PROGS] = progs;
	te->maps[ONE] = one;
	build_target(&p);
	err = t_load(te, &p, &targets[0], log, sizeof(log));
	p.n = 0;
	build_chain(&p);
	err = err ? err : t_load(te, &p, &targets[1], log, sizeof(log));
	tp_free(&p);
	for (uint32_t i = 0; i < 2 && !err; i++)
		err = skep_map_update_obj(progs, &i, targets[i], BPF_ANY);
	return err;
}

int main(void)
{
	struct harness h = {0};
	uint8_t buf[MEM_LEN], init[MEM_LEN];
	struct skep_map *maps[3];
	struct skep_prog *targets[2] = {NULL, NULL};
	struct tenv te = {
		.vm = skep_vm_new(),
		.buf = buf,
		.init = init,
		.len = MEM_LEN,
		.budget = 1ull << 40,
		.maps = maps,
		.nr_maps = 3,
		.reset = reset_maps,
	};

	for (int i = 0; i < MEM_LEN; i++)
		init[i] = (uint8_t)(i * 13 + 7);
	if (!te.vm || setup(&te, targets)) {
		harness_skip(&h, "maps", "cannot create the maps or the tail call targets");
		return harness_exit(&h);
	}
	test_array(&h, &te);
	test_array_inline(&h, &te);
	test_tail_calls(&h, &te);
	test_loop(&h, &te, 0);
	test_loop(&h, &te, 1);
	test_helper_abort(&h, &te);
	for (uint32_t i = 0; i < 2; i++)
		skep_map_update_obj(progs, &i, NULL, BPF_ANY);
	skep_prog_free(targets[0]);
	skep_prog_free(targets[1]);
	skep_map_free(arr);
	skep_map_free(progs);
	skep_map_free(one);
	skep_vm_free(te.vm);
	return harness_exit(&h);
}
