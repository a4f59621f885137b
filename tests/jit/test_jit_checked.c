/* The checked JIT stops where the checked interpreter stops: out-of-bounds
 * reads and writes, writes to read-only memory, misaligned atomics, spent
 * budgets, and it says so with the same error, instruction, address and log
 * message.  Also: the code is never writable, and concurrent first runs
 * share one compile.
 */
#include <pthread.h>

#include "../lib/harness.h"
#include "core/core.h"
#include "jit/jit.h"
#include "jit_test.h"

#define MEM_LEN 64
#define HELPER_REGION 1001

static uint8_t helper_buf[32];

/* Hands the program a buffer of its own, as a map lookup would. */
static uint64_t helper_region(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct skep_call_ctx *cx)
{
	if (skep_call_ctx_add_region(cx, helper_buf, sizeof(helper_buf), (int)r1, "helper"))
		return 0;
	return (uint64_t)(uintptr_t)helper_buf;
}

/* Run p checked in both engines; expect error `err` in both, and (if exact)
 * the same instruction, address, r0, memory and log message. */
static void expect(struct harness *h, struct tenv *te, struct tprog *p, int err, int exact,
		   const char *name)
{
	struct skep_prog *prog = NULL;
	struct trun a = {0}, b = {0};
	char log[256] = "", why[1200];

	if (t_load(te, p, &prog, log, sizeof(log))) {
		harness_fail(h, name, "load failed: %s", log);
		p->n = 0;
		return;
	}
	t_exec(te, prog, SKEP_EXEC_CHECKED, &a);
	t_exec(te, prog, SKEP_EXEC_JIT_CHECKED, &b);
	if (a.err != err)
		harness_fail(h, name, "the checked interpreter returned %d (%s), expected %d",
			     a.err, a.log, err);
	else if (!exact)
		harness_check(h, b.err == err, name, "the checked JIT returned %d (%s)", b.err,
			      b.log);
	else if (!t_same(te, &a, &b, 1, why, sizeof(why)))
		harness_fail(h, name, "%s", why);
	else
		harness_check(h, strcmp(a.log, b.log) == 0, name,
			      "messages differ:\n  interp: %s  jit:    %s", a.log, b.log);
	trun_free(&a);
	trun_free(&b);
	skep_prog_free(prog);
	p->n = 0;
}

static void load_store(struct tprog *p, int store, int size, int base, int off)
{
	static const uint8_t sz[9] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW};

	tp_mov(p, 0, 5);
	if (store)
		tp_op(p, BPF_ST | BPF_MEM | sz[size], base, 0, off, 0x11);
	else
		tp_op(p, BPF_LDX | BPF_MEM | sz[size], 0, base, off, 0);
	tp_exit(p);
}

static void test_bounds(struct harness *h, struct tenv *te)
{
	static const int sizes[] = {1, 2, 4, 8};
	struct tprog p = {0};
	char name[96];

	for (int st = 0; st < 2; st++) {
		for (int k = 0; k < 4; k++) {
			int n = sizes[k];
			int offs[] = {0,  MEM_LEN - n, MEM_LEN - n + 1, MEM_LEN,
				      -1, -n,	       1 << 14,		-32768};
			for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
				int ok = offs[o] >= 0 && offs[o] <= MEM_LEN - n;
				load_store(&p, st, n, 1, offs[o]);
				snprintf(name, sizeof(name), "%s %d bytes at mem%+d",
					 st ? "store" : "load", n, offs[o]);
				expect(h, te, &p, ok ? 0 : -EFAULT, 1, name);
			}
		}
	}
	/* the stack: 8 frames of 512 bytes below r10 */
	int stack_offs[] = {-1, -8, -4096, -4097, 0, -4104};
	for (size_t o = 0; o < sizeof(stack_offs) / sizeof(stack_offs[0]); o++) {
		load_store(&p, 1, 8, 10, stack_offs[o]);
		snprintf(name, sizeof(name), "store 8 bytes at r10%+d", stack_offs[o]);
		expect(h, te, &p, stack_offs[o] <= -8 && stack_offs[o] >= -4096 ? 0 : -EFAULT, 1,
		       name);
	}
	/* wild pointers, including one whose last byte wraps past 2^64 */
	uint64_t wild[] = {0, 0x1000, 0xfffffffffffffffc, 0x8000000000000000};
	for (size_t w = 0; w < sizeof(wild) / sizeof(wild[0]); w++) {
		tp_lddw(&p, 3, wild[w]);
		load_store(&p, (int)(w & 1), 8, 3, 0);
		snprintf(name, sizeof(name), "access through pointer 0x%" PRIx64, wild[w]);
		expect(h, te, &p, -EFAULT, 1, name);
	}
	tp_free(&p);
}

static void test_readonly(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};

	te->readonly = 1;
	load_store(&p, 0, 4, 1, 8);
	expect(h, te, &p, 0, 1, "read-only region: load");
	load_store(&p, 1, 4, 1, 8);
	expect(h, te, &p, -EFAULT, 1, "read-only region: store");
	tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 8, BPF_ADD);
	tp_exit(&p);
	expect(h, te, &p, -EFAULT, 1, "read-only region: atomic add");
	te->readonly = 0;
	tp_free(&p);
}

static void test_atomic_align(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};

	tp_op(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 0);
	tp_op(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0);
	tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_DW, 10, 2, -12, BPF_ADD | BPF_FETCH);
	tp_exit(&p);
	expect(h, te, &p, -EFAULT, 1, "misaligned 8-byte atomic");
	tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 6, BPF_CMPXCHG);
	tp_exit(&p);
	expect(h, te, &p, -EFAULT, 1, "misaligned 4-byte cmpxchg");
	tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_H, 0, 1, 3, BPF_LOAD_ACQ);
	tp_exit(&p);
	expect(h, te, &p, -EFAULT, 1, "misaligned load-acquire");
	tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 60, BPF_STORE_REL);
	tp_exit(&p);
	expect(h, te, &p, 0, 1, "aligned store-release at the last word");
	tp_op(&p, BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 64, BPF_XCHG);
	tp_exit(&p);
	expect(h, te, &p, -EFAULT, 1, "aligned xchg just past the end");
	tp_free(&p);
}

/* A helper can extend what the program may touch, during the run. */
static void test_helper_region(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};

	for (int w = 0; w < 2; w++) {
		for (int off = 24; off <= 32; off += 4) {
			char name[64];
			tp_mov(&p, 1, w);
			tp_op(&p, BPF_JMP | BPF_CALL, 0, 0, 0, HELPER_REGION);
			tp_op(&p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0);
			load_store(&p, w, 8, 6, off);
			snprintf(name, sizeof(name), "helper's %s region, %s at +%d",
				 w ? "writable" : "read-only", w ? "store" : "load", off);
			expect(h, te, &p, off <= 24 ? 0 : -EFAULT, 1, name);
		}
	}
	tp_free(&p);
}

static void test_budget(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};

	te->budget = 1000;
	tp_op(&p, BPF_JMP | BPF_JA, 0, 0, -1, 0);
	tp_exit(&p);
	expect(h, te, &p, -E2BIG, 1, "budget: ja -1");

	/* straight line: exactly the budget runs, one more does not */
	for (int extra = 0; extra < 2; extra++) {
		for (int i = 0; i < 999 + extra; i++)
			tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, i);
		tp_exit(&p);
		expect(h, te, &p, extra ? -E2BIG : 0, !extra,
		       extra ? "budget: 1001 instructions" : "budget: 1000 instructions");
	}

	/* a loop with a body: the JIT stops at the loop's first instruction */
	tp_mov(&p, 0, 0);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1);
	tp_op(&p, BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 3);
	tp_op(&p, BPF_JMP | BPF_JA, 0, 0, -3, 0);
	tp_exit(&p);
	{
		struct skep_prog *prog = NULL;
		struct trun a = {0}, b = {0};
		char log[256];
		t_load(te, &p, &prog, log, sizeof(log));
		t_exec(te, prog, SKEP_EXEC_CHECKED, &a);
		t_exec(te, prog, SKEP_EXEC_JIT_CHECKED, &b);
		harness_check(h,
			      a.err == -E2BIG && b.err == -E2BIG && b.fault_insn == 1 &&
				      a.fault_insn >= 1 && a.fault_insn <= 3,
			      "budget: loop stops at its head",
			      "interp %d at %" PRId64 ", jit %d at %" PRId64 ": %s", a.err,
			      a.fault_insn, b.err, b.fault_insn, b.log);
		trun_free(&a);
		trun_free(&b);
		skep_prog_free(prog);
		p.n = 0;
	}
	te->budget = 1ull << 40;
	tp_free(&p);
}

/* Deeper than 8 frames, and a bad callx, in the checked engines. */
static void test_calls(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};

	tp_mov(&p, 0, 1);
	tp_op(&p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1);
	tp_exit(&p);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1);
	tp_op(&p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, -2);
	tp_exit(&p);
	expect(h, te, &p, -E2BIG, 1, "recursion past 8 frames");
	tp_mov(&p, 0, 3);
	tp_mov(&p, 4, 99999);
	tp_op(&p, BPF_JMP | BPF_CALL | BPF_X, 4, 0, 0, 0);
	tp_exit(&p);
	expect(h, te, &p, -EINVAL, 1, "callx to an unknown helper id");
	tp_free(&p);
}

/* The mapping holding the code must be r-x, never w. */
static void test_wx(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};
	struct skep_prog *prog = NULL;
	struct trun r = {0};
	char log[256], line[512], perms[8] = "";
	size_t size;

	tp_mov(&p, 0, 1);
	tp_exit(&p);
	t_load(te, &p, &prog, log, sizeof(log));
	t_exec(te, prog, SKEP_EXEC_JIT, &r);
	uintptr_t code = (uintptr_t)jit_code(prog->jit, &size);
	FILE *f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && code >= lo && code < hi)
			break;
		perms[0] = '\0';
	}
	if (f)
		fclose(f);
	if (!f)
		harness_skip(h, "code is read-execute only", "no /proc/self/maps");
	else
		harness_check(h, strncmp(perms, "r-x", 3) == 0 && r.retval == 1,
			      "code is read-execute only", "mapping is %s", perms);
	trun_free(&r);
	skep_prog_free(prog);
	tp_free(&p);
}

/* Does the image hold these 4 bytes? */
static int image_has(struct skep_prog *prog, uint32_t v)
{
	size_t size;
	const uint8_t *code = jit_code(prog->jit, &size);

	for (size_t i = 0; i + 4 <= size; i++)
		if (!memcmp(code + i, &v, 4))
			return 1;
	return 0;
}

/* With SKEP_JIT_HARDEN=1 no constant of the program appears in its code. */
static void test_harden(struct harness *h, struct tenv *te)
{
	static const uint32_t k[] = {0x55667788, 0x11223344, 0x5a5a5a5a, 0x13572468, 0x0badf00d,
				     0x24681357};
	struct tprog p = {0};
	char log[256];
	int found[2] = {0, 0};
	uint64_t r0[2];

	tp_lddw(&p, 0, (uint64_t)k[1] << 32 | k[0]);
	tp_mov(&p, 1, (int32_t)k[2]);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, (int32_t)k[3]);
	tp_op(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, (int32_t)k[4]);
	tp_op(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, (int32_t)k[5]);
	tp_op(&p, BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 0);
	tp_exit(&p);
	for (int hard = 0; hard < 2; hard++) {
		struct skep_prog *prog = NULL;
		struct trun r = {0};
		t_load(te, &p, &prog, log, sizeof(log));
		t_harden(hard);
		t_exec(te, prog, SKEP_EXEC_JIT, &r);
		t_harden(0);
		r0[hard] = r.retval;
		for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
			found[hard] += image_has(prog, k[i]);
		trun_free(&r);
		skep_prog_free(prog);
	}
	harness_check(h, found[0] == 6 && found[1] == 0 && r0[0] == r0[1],
		      "hardening hides the program's constants",
		      "%d of 6 constants in plain code, %d in hardened code; r0 %" PRIx64
		      " vs %" PRIx64, found[0], found[1], r0[0], r0[1]);
	tp_free(&p);
}

struct race {
	struct skep_prog *prog;
	uint64_t got;
	int err;
};

static void *race_run(void *arg)
{
	struct race *r = arg;
	struct skep_run_opts ro = {.sz = sizeof(ro), .args = {20}, .mode = SKEP_EXEC_JIT};
	struct skep_run_result res;

	r->err = skep_prog_run(r->prog, &ro, &res);
	r->got = res.retval;
	return NULL;
}

static void test_concurrent_compile(struct harness *h, struct tenv *te)
{
	struct tprog p = {0};
	struct race r[8];
	pthread_t t[8];
	char log[256];
	int ok = 1;

	tp_op(&p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 0, 0);
	tp_op(&p, BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 3);
	tp_exit(&p);
	for (int round = 0; round < 20 && ok; round++) {
		struct skep_prog *prog = NULL;
		t_load(te, &p, &prog, log, sizeof(log));
		for (int i = 0; i < 8; i++) {
			r[i] = (struct race){.prog = prog};
			pthread_create(&t[i], NULL, race_run, &r[i]);
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			ok &= r[i].err == 0 && r[i].got == 60;
		}
		skep_prog_free(prog);
	}
	harness_check(h, ok, "concurrent first runs", "a thread got a wrong result");
	tp_free(&p);
}

int main(void)
{
	struct harness h = {0};
	uint8_t buf[MEM_LEN], init[MEM_LEN];
	struct tenv te = {
		.vm = skep_vm_new(),
		.buf = buf,
		.init = init,
		.len = MEM_LEN,
		.budget = 1ull << 40,
	};

	for (int i = 0; i < MEM_LEN; i++)
		init[i] = (uint8_t)(i * 37 + 1);
	if (!te.vm || skep_vm_register_helper(te.vm, HELPER_REGION, "region", helper_region)) {
		harness_fail(&h, "setup", "out of memory");
		return harness_exit(&h);
	}
	test_bounds(&h, &te);
	test_readonly(&h, &te);
	test_atomic_align(&h, &te);
	test_helper_region(&h, &te);
	test_budget(&h, &te);
	test_calls(&h, &te);
	test_wx(&h, &te);
	test_harden(&h, &te);
	test_concurrent_compile(&h, &te);
	skep_vm_free(te.vm);
	return harness_exit(&h);
}
