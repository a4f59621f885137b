/* The kernel as the reference for skep's interpreter and JIT.
 *
 * Random programs (tests/lib/randprog.c) and hand-picked edge cases run in
 * skep (interpreter and JIT, plain and checked) and in the kernel (as XDP programs
 * through BPF_PROG_TEST_RUN).  The bytecode between the two wrappers is
 * identical; it leaves r0-r8 and its stack in memory (the packet, for the
 * kernel), so the final states are compared byte for byte.
 *
 *   skep:    r9 = r1; <body>; r0 = XDP_PASS; exit
 *   kernel:  r9 = ctx->data; if (data + size > data_end) return 0;
 *            <body>; r0 = XDP_PASS; exit
 *
 * When the kernel and skep disagree, randprog_eval (a third, plain evaluator)
 * decides: if it sides with skep, the kernel deviates from the ISA (this
 * found three verifier bugs, see the kernel_bug_* edge cases) and the program
 * is a SKIP line; otherwise it is a FAIL line.  Either way the seed and first
 * differing byte are printed, and the first few cases are shrunk to a minimal
 * reproducer by turning instructions into no-ops while the outcome remains.
 * A program the verifier refuses is a generator bug: it is counted and the
 * acceptance rate must stay at (nearly) 100%.
 *
 * Env: SKEP_DIFF_PROGRAMS  random programs to run (default 25000)
 *      SKEP_DIFF_SEED      seed of the first one (default 0); program i uses seed + i
 *      SKEP_DIFF_DUMP=1    print every program (use with SKEP_DIFF_PROGRAMS=1)
 */
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "../lib/randprog.h"
#include "isa/isa.h"
#include "skep/skep.h"

#define DIFF_DATA_SIZE 256
#define DIFF_BODY_INSNS 64
#define DIFF_DEFAULT_PROGRAMS 25000
#define DIFF_BATCH 1000
#define DIFF_MAX_PRINTED 20 /* FAIL (and SKIP) lines for mismatching random programs */
#define DIFF_MAX_SHRUNK 3   /* of each, shrunk to a minimal reproducer */
#define DIFF_MAX_SLOTS 1024
#define DIFF_XDP_PASS 2
#define DIFF_OUT_SLACK 256 /* room to notice the kernel returning more data */

enum diff_outcome {
	DIFF_SAME,
	DIFF_DIFFERENT,	      /* both ran, results differ */
	DIFF_REJECTED,	      /* the kernel verifier refused the program */
	DIFF_ERROR,	      /* something else failed: skep load or run, test run */
	DIFF_KERNEL_WRONG,    /* kernel and skep differ, and skep agrees with the reference */
	DIFF_REFERENCE_WRONG, /* kernel and skep agree, the reference evaluator does not */
};

struct diff {
	struct harness *h;
	struct skep_vm *vm;
	struct randprog_opts opts;
	struct randprog_layout layout;
	int dump;
	char log[1 << 16];
};

static const struct bpf_insn diff_nop = {.code = BPF_JMP | BPF_JA};

static int diff_is_lddw(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* Slots that belong together: an lddw, and a 32-bit cmpxchg with the
 * w0 = w0 the generator puts after it for RANDPROG_QUIRK_CMPXCHG32_ZEXT
 * (shrinking must not remove that alone and rediscover the kernel bug). */
static size_t diff_unit_len(const struct bpf_insn *insns, size_t i, size_t n)
{
	static const struct bpf_insn zext_r0 = {.code = BPF_ALU | BPF_MOV | BPF_X};

	if (diff_is_lddw(&insns[i]))
		return 2;
	if (insns[i].code == (BPF_STX | BPF_ATOMIC | BPF_W) && insns[i].imm == BPF_CMPXCHG &&
	    i + 1 < n && !memcmp(&insns[i + 1], &zext_r0, sizeof(zext_r0)))
		return 2;
	return 1;
}

static double diff_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t diff_env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

/* The u64 at the 8-byte word holding `off` (all areas are 8-aligned). */
static uint64_t diff_word(const uint8_t *mem, size_t off)
{
	uint64_t v = 0;

	for (int b = 7; b >= 0; b--)
		v = v << 8 | mem[(off & ~(size_t)7) + (size_t)b];
	return v;
}

static void diff_print_insns(const struct bpf_insn *insns, size_t n, int skip_nops)
{
	char text[128];

	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];

		if (skip_nops && !memcmp(in, &diff_nop, sizeof(*in)))
			continue;
		isa_disasm_insn(in, n - i, i, ISA_SYNTAX_KERNEL, text, sizeof(text));
		printf("#   %3zu: code 0x%02x dst r%d src r%d off %6d imm %11d   %s\n", i, in->code,
		       in->dst_reg, in->src_reg, in->off, in->imm, text);
		if (diff_is_lddw(in) && i + 1 < n) {
			i++;
			printf("#   %3zu: (lddw upper half: imm 0x%08" PRIx32 ")\n", i,
			       (uint32_t)insns[i].imm);
		}
	}
}

/* The body, then r0 = XDP_PASS; exit: both sides end the same way. */
static size_t diff_append_body(const struct bpf_insn *body, size_t n, struct bpf_insn *out)
{
	memcpy(out, body, n * sizeof(*body));
	out[n] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, DIFF_XDP_PASS);
	out[n + 1] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n + 2;
}

/* skep: r9 = r1 (the memory, args[0]); body; r0 = XDP_PASS; exit */
static size_t diff_wrap_skep(const struct bpf_insn *body, size_t n, struct bpf_insn *out)
{
	out[0] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, RANDPROG_PTR_REG, BPF_REG_1, 0, 0);
	return 1 + diff_append_body(body, n, out + 1);
}

/* kernel: r9 = data, with the bounds check that lets the verifier accept
 * [r9 + 0, r9 + size) for every access of the body; then as for skep. */
static size_t diff_wrap_kernel(const struct diff *d, const struct bpf_insn *body, size_t n,
			       struct bpf_insn *out)
{
	size_t len = 0;

	out[len++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1,
				   offsetof(struct xdp_md, data), 0);
	out[len++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1,
				   offsetof(struct xdp_md, data_end), 0);
	out[len++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, RANDPROG_PTR_REG, BPF_REG_2, 0, 0);
	out[len++] = randprog_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0,
				   (int32_t)d->layout.size);
	out[len++] = randprog_insn(BPF_JMP | BPF_JLE | BPF_X, BPF_REG_2, BPF_REG_3, 2, 0);
	out[len++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_ABORTED);
	out[len++] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return len + diff_append_body(body, n, out + len);
}

/* Kernel side: load, run once on `input`, result into out.  On a refusal
 * the verifier log is in d->log. */
static enum diff_outcome diff_run_kernel(struct diff *d, const struct bpf_insn *body, size_t n,
					 const uint8_t *input, uint8_t *out, uint32_t *retval,
					 char *why, size_t why_size)
{
	struct bpf_insn prog[DIFF_MAX_SLOTS + 16];
	size_t len = diff_wrap_kernel(d, body, n, prog);
	struct kbpf_run run = {
		.data_in = input,
		.data_size_in = (uint32_t)d->layout.size,
		.data_out = out,
		.data_size_out = (uint32_t)d->layout.size + DIFF_OUT_SLACK,
		.repeat = 1,
	};
	int fd, err;

	/* The verifier log costs time: only ask for it when explaining a refusal. */
	fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, len, NULL, 0);
	if (fd < 0) {
		kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, len, d->log, sizeof(d->log));
		snprintf(why, why_size, "the verifier refuses it (%s)", strerror(-fd));
		return DIFF_REJECTED;
	}
	err = kbpf_prog_test_run(fd, &run);
	close(fd);
	if (err) {
		snprintf(why, why_size, "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		return DIFF_ERROR;
	}
	if (run.data_size_out != d->layout.size) {
		snprintf(why, why_size, "the kernel returned %u bytes of packet, not %zu",
			 run.data_size_out, d->layout.size);
		return DIFF_ERROR;
	}
	*retval = run.retval;
	return DIFF_SAME;
}

static const char *diff_mode_name(enum skep_exec_mode mode)
{
	switch (mode) {
	case SKEP_EXEC_CHECKED:
		return "checked";
	case SKEP_EXEC_JIT:
		return "JIT";
	case SKEP_EXEC_JIT_CHECKED:
		return "checked JIT";
	default:
		return "interpreter";
	}
}

/* skep side: load once, run in `mode` on a copy of input in out. */
static int diff_run_skep(struct diff *d, struct skep_prog *prog, enum skep_exec_mode mode,
			 const uint8_t *input, uint8_t *out, uint64_t *retval, char *why,
			 size_t why_size)
{
	char log[512];
	struct skep_region region = {out, d->layout.size, 1, "mem"};
	struct skep_run_opts opts = {
		.sz = sizeof(opts),
		.args = {(uint64_t)(uintptr_t)out, d->layout.size},
		.regions = &region,
		.nr_regions = 1,
		.mode = mode,
		.log_buf = log,
		.log_size = sizeof(log),
	};
	struct skep_run_result res;
	int err;

	memcpy(out, input, d->layout.size);
	err = skep_prog_run(prog, &opts, &res);
	if (err) {
		snprintf(why, why_size, "skep %s run failed (%s): %s", diff_mode_name(mode),
			 strerror(-err), log);
		return -1;
	}
	*retval = res.retval;
	return 0;
}

/* Where two final memories first differ, in words the generator's layout
 * gives them; 0 if they are equal. */
static int diff_explain(struct diff *d, const char *what, const uint8_t *a, const char *a_name,
			const uint8_t *b, const char *b_name, char *why, size_t why_size)
{
	char place[64];
	size_t off;

	for (off = 0; off < d->layout.size && a[off] == b[off]; off++)
		;
	if (off == d->layout.size)
		return 0;
	randprog_describe(&d->opts, off, place, sizeof(place));
	snprintf(why, why_size,
		 "%s: first difference at offset %zu (%s): word at %zu is %s 0x%016" PRIx64
		 ", %s 0x%016" PRIx64,
		 what, off, place, off & ~(size_t)7, a_name, diff_word(a, off), b_name,
		 diff_word(b, off));
	return 1;
}

/* Appends to a message built with snprintf. */
static void diff_append(char *buf, size_t size, const char *text)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s", text);
}

/* Run a body in the kernel, in skep's four modes and in the reference
 * evaluator, and compare everything.  When the kernel and skep disagree the
 * reference evaluator (randprog_eval) decides who deviates from the ISA. */
static enum diff_outcome diff_check(struct diff *d, const struct bpf_insn *body, size_t n,
				    const uint8_t *input, char *why, size_t why_size)
{
	uint8_t kmem[4096 + DIFF_OUT_SLACK], imem[4096], cmem[4096], jmem[4096], xmem[4096];
	uint8_t rmem[4096];
	struct bpf_insn prog[DIFF_MAX_SLOTS + 16];
	struct skep_load_opts lopts = {
		.sz = sizeof(lopts), .log_buf = d->log, .log_size = sizeof(d->log)};
	struct skep_prog *sp;
	uint64_t iret, cret, jret, xret, rregs[11];
	uint32_t kret;
	enum diff_outcome o;
	int err, ref_ok;

	if (n > DIFF_MAX_SLOTS || d->layout.size > 4096) {
		snprintf(why, why_size, "program or memory too large for this test");
		return DIFF_ERROR;
	}
	o = diff_run_kernel(d, body, n, input, kmem, &kret, why, why_size);
	if (o != DIFF_SAME)
		return o;

	err = skep_prog_load(d->vm, (const struct skep_insn *)prog, diff_wrap_skep(body, n, prog),
			     &lopts, &sp);
	if (err) {
		snprintf(why, why_size, "skep refuses a program the kernel accepts (%s): %.400s",
			 strerror(-err), d->log);
		return DIFF_ERROR;
	}
	err = diff_run_skep(d, sp, SKEP_EXEC_INTERP, input, imem, &iret, why, why_size) ||
	      diff_run_skep(d, sp, SKEP_EXEC_CHECKED, input, cmem, &cret, why, why_size) ||
	      diff_run_skep(d, sp, SKEP_EXEC_JIT, input, jmem, &jret, why, why_size) ||
	      diff_run_skep(d, sp, SKEP_EXEC_JIT_CHECKED, input, xmem, &xret, why, why_size);
	skep_prog_free(sp);
	if (err)
		return DIFF_ERROR;

	/* skep's modes must agree whatever the kernel does. */
	if (diff_explain(d, "skep interpreter vs checked", imem, "interp", cmem, "checked", why,
			 why_size) ||
	    diff_explain(d, "skep interpreter vs JIT", imem, "interp", jmem, "jit", why,
			 why_size) ||
	    diff_explain(d, "skep interpreter vs checked JIT", imem, "interp", xmem,
			 "checked-jit", why, why_size))
		return DIFF_DIFFERENT;
	if (iret != DIFF_XDP_PASS || cret != DIFF_XDP_PASS || jret != DIFF_XDP_PASS ||
	    xret != DIFF_XDP_PASS || kret != DIFF_XDP_PASS) {
		snprintf(why, why_size,
			 "return values: kernel %u, skep %" PRIu64 "/%" PRIu64 "/%" PRIu64
			 "/%" PRIu64 " (interp/checked/jit/checked-jit), all should be %d",
			 kret, iret, cret, jret, xret, DIFF_XDP_PASS);
		return DIFF_DIFFERENT;
	}

	memcpy(rmem, input, d->layout.size);
	ref_ok = randprog_eval(body, n, rmem, d->layout.size, rregs) == 0;
	if (!diff_explain(d, "kernel vs skep interpreter", kmem, "kernel", imem, "skep", why,
			  why_size)) {
		/* All agree, or the test's own evaluator is wrong: worth a FAIL too. */
		if (!ref_ok) {
			snprintf(why, why_size,
				 "the reference evaluator could not run the program");
			return DIFF_REFERENCE_WRONG;
		}
		if (diff_explain(d, "reference evaluator vs kernel and skep", rmem, "reference",
				 imem, "kernel and skep", why, why_size))
			return DIFF_REFERENCE_WRONG;
		return DIFF_SAME;
	}
	if (ref_ok && !memcmp(rmem, imem, d->layout.size)) {
		diff_append(why, why_size, "; the reference evaluator agrees with skep");
		return DIFF_KERNEL_WRONG;
	}
	diff_append(why, why_size,
		    ref_ok && !memcmp(rmem, kmem, d->layout.size)
			    ? "; the reference evaluator agrees with the kernel"
			    : "; the reference evaluator agrees with neither");
	return DIFF_DIFFERENT;
}

/* Turn instructions of the random part into no-ops for as long as the
 * program still loads and gives the same outcome (skep wrong, or kernel
 * wrong); what is left is printed as the reproducer. */
static void diff_shrink(struct diff *d, const struct bpf_insn *body, size_t n,
			const struct randprog_info *info, const uint8_t *input,
			enum diff_outcome outcome)
{
	struct bpf_insn *cur = malloc(n * sizeof(*cur));
	char why[1024];
	int changed = 1;

	if (!cur)
		return;
	memcpy(cur, body, n * sizeof(*cur));
	while (changed) {
		changed = 0;
		for (size_t i = info->random_start; i < info->epilogue_start; i++) {
			struct bpf_insn save[2];
			size_t w = diff_unit_len(cur, i, info->epilogue_start);

			if (!memcmp(&cur[i], &diff_nop, sizeof(diff_nop)))
				continue;
			memcpy(save, &cur[i], w * sizeof(*cur));
			for (size_t k = 0; k < w; k++)
				cur[i + k] = diff_nop;
			if (diff_check(d, cur, n, input, why, sizeof(why)) == outcome)
				changed = 1;
			else
				memcpy(&cur[i], save, w * sizeof(*cur));
			i += w - 1;
		}
	}
	diff_check(d, cur, n, input, why, sizeof(why));
	printf("# shrunk (no-ops and the epilogue not shown; r9 = memory, r10 = stack): %s\n", why);
	diff_print_insns(cur, info->epilogue_start, 1);
	free(cur);
}

struct diff_stats {
	unsigned long programs, rejected, different, errors, printed, shrunk;
	unsigned long kernel_wrong, kernel_printed, kernel_shrunk;
	uint64_t first_rejected_seed;
	char first_reject_log[2048];
};

static void diff_note_reject(struct diff *d, struct diff_stats *st, uint64_t seed)
{
	if (st->rejected++)
		return;
	st->first_rejected_seed = seed;
	/* The verdict is at the end of the log: keep its last part. */
	size_t len = strlen(d->log), keep = sizeof(st->first_reject_log) - 1;
	memcpy(st->first_reject_log, len > keep ? d->log + len - keep : d->log,
	       (len > keep ? keep : len) + 1);
}

/* The kernel deviates from the ISA and skep does not: not skep's failure,
 * but worth showing (a SKIP line), with a shrunk reproducer for the first. */
static void diff_kernel_wrong(struct diff *d, struct diff_stats *st, const char *name,
			      const char *why, uint64_t seed, const struct bpf_insn *body, size_t n,
			      const struct randprog_info *info, const uint8_t *input)
{
	st->kernel_wrong++;
	if (st->kernel_printed++ >= DIFF_MAX_PRINTED)
		return;
	harness_skip(d->h, name,
		     "the kernel is wrong here: %s; reproduce with SKEP_DIFF_SEED=%" PRIu64
		     " SKEP_DIFF_PROGRAMS=1",
		     why, seed);
	if (st->kernel_shrunk++ < DIFF_MAX_SHRUNK)
		diff_shrink(d, body, n, info, input, DIFF_KERNEL_WRONG);
}

/* One random program: returns 1 if skep ran it right. */
static int diff_one_random(struct diff *d, struct diff_stats *st, uint64_t seed)
{
	static struct bpf_insn body[DIFF_MAX_SLOTS];
	uint8_t input[4096];
	char why[1024], name[64];
	struct randprog_info info;
	size_t n = randprog_generate(seed, &d->opts, body, DIFF_MAX_SLOTS, &info);
	enum diff_outcome o;

	st->programs++;
	snprintf(name, sizeof(name), "kernel_diff[seed %" PRIu64 "]", seed);
	if (!n) {
		st->errors++;
		harness_fail(d->h, name, "the generator produced nothing");
		return 0;
	}
	randprog_fill(seed, input, d->layout.size);
	if (d->dump) {
		printf("# seed %" PRIu64 ": %zu slots (without the wrappers)\n", seed, n);
		diff_print_insns(body, n, 0);
	}
	o = diff_check(d, body, n, input, why, sizeof(why));
	switch (o) {
	case DIFF_SAME:
		return 1;
	case DIFF_REJECTED:
		diff_note_reject(d, st, seed);
		return 1; /* counted and judged as a whole at the end */
	case DIFF_KERNEL_WRONG:
		diff_kernel_wrong(d, st, name, why, seed, body, n, &info, input);
		return 1;
	case DIFF_DIFFERENT:
	case DIFF_REFERENCE_WRONG:
		st->different++;
		break;
	case DIFF_ERROR:
		st->errors++;
		break;
	}
	if (st->printed++ < DIFF_MAX_PRINTED)
		harness_fail(d->h, name,
			     "%s; reproduce with SKEP_DIFF_SEED=%" PRIu64 " SKEP_DIFF_PROGRAMS=1",
			     why, seed);
	if (o != DIFF_ERROR && st->shrunk++ < DIFF_MAX_SHRUNK)
		diff_shrink(d, body, n, &info, input, o);
	return 0;
}

static void diff_random_programs(struct diff *d, uint64_t first, uint64_t count)
{
	struct diff_stats st = {0};
	char name[96];
	double t0 = diff_now();

	for (uint64_t b = 0; b < count; b += DIFF_BATCH) {
		uint64_t end = b + DIFF_BATCH < count ? b + DIFF_BATCH : count;
		unsigned long bad = 0;

		for (uint64_t i = b; i < end; i++)
			bad += !diff_one_random(d, &st, first + i);
		snprintf(name, sizeof(name), "kernel_diff[seeds %" PRIu64 "-%" PRIu64 "]",
			 first + b, first + end - 1);
		if (!bad)
			harness_pass(d->h, name);
	}
	if (st.printed > DIFF_MAX_PRINTED)
		printf("# %lu more failing programs not shown\n", st.printed - DIFF_MAX_PRINTED);
	if (st.kernel_printed > DIFF_MAX_PRINTED)
		printf("# %lu more programs the kernel gets wrong not shown\n",
		       st.kernel_printed - DIFF_MAX_PRINTED);

	/* Any refusal is a generator bug; more than 0.1% fails the run. */
	snprintf(name, sizeof(name), "kernel_diff[verifier accepts %lu/%lu]",
		 st.programs - st.rejected, st.programs);
	if (st.rejected) {
		printf("# first refused: seed %" PRIu64 "; verifier log (end):\n%s\n",
		       st.first_rejected_seed, st.first_reject_log);
	}
	harness_check(d->h, st.rejected * 1000 <= st.programs, name,
		      "%lu programs refused, first seed %" PRIu64, st.rejected,
		      st.first_rejected_seed);
	printf("# %lu random programs in %.2f s: %lu refused by the verifier, %lu where skep is "
	       "wrong, %lu where the kernel is wrong, %lu errors\n",
	       st.programs, diff_now() - t0, st.rejected, st.different, st.kernel_wrong, st.errors);
}

/* Edge cases: r0-r8 and the stack start at zero, the case's instructions
 * run, and the usual epilogue leaves everything in memory. */

/* clang-format off */
#define I(c, d, s, o, k) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (k)}
#define ALU64_REG(op, d, s) I(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, k) I(BPF_ALU64 | (op) | BPF_K, d, 0, 0, k)
#define ALU32_REG(op, d, s) I(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, k) I(BPF_ALU | (op) | BPF_K, d, 0, 0, k)
#define SDIV64_REG(d, s) I(BPF_ALU64 | BPF_DIV | BPF_X, d, s, 1, 0)
#define SDIV64_IMM(d, k) I(BPF_ALU64 | BPF_DIV | BPF_K, d, 0, 1, k)
#define SMOD64_REG(d, s) I(BPF_ALU64 | BPF_MOD | BPF_X, d, s, 1, 0)
#define SMOD64_IMM(d, k) I(BPF_ALU64 | BPF_MOD | BPF_K, d, 0, 1, k)
#define SDIV32_REG(d, s) I(BPF_ALU | BPF_DIV | BPF_X, d, s, 1, 0)
#define SDIV32_IMM(d, k) I(BPF_ALU | BPF_DIV | BPF_K, d, 0, 1, k)
#define SMOD32_REG(d, s) I(BPF_ALU | BPF_MOD | BPF_X, d, s, 1, 0)
#define SMOD32_IMM(d, k) I(BPF_ALU | BPF_MOD | BPF_K, d, 0, 1, k)
#define MOV64(d, s) ALU64_REG(BPF_MOV, d, s)
#define MOV64_IMM(d, k) ALU64_IMM(BPF_MOV, d, k)
#define MOVSX64(d, s, bits) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, bits, 0)
#define MOVSX32(d, s, bits) I(BPF_ALU | BPF_MOV | BPF_X, d, s, bits, 0)
#define ENDIAN(cls, order, d, bits) I((cls) | BPF_END | (order), d, 0, 0, bits)
#define LDDW(d, v) I(BPF_LD | BPF_IMM | BPF_DW, d, 0, 0, (int32_t)(uint32_t)(uint64_t)(v)), \
		   I(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define LDX(size, d, s, off) I(BPF_LDX | BPF_MEM | (size), d, s, off, 0)
#define LDXS(size, d, s, off) I(BPF_LDX | BPF_MEMSX | (size), d, s, off, 0)
#define STX(size, d, s, off) I(BPF_STX | BPF_MEM | (size), d, s, off, 0)
#define ST(size, d, off, k) I(BPF_ST | BPF_MEM | (size), d, 0, off, k)
#define ATOMIC(size, op, s, off) I(BPF_STX | BPF_ATOMIC | (size), BPF_REG_10, s, off, op)
#define JMP_IMM(cls, op, d, k, off) I((cls) | (op) | BPF_K, d, 0, off, k)
#define JMP_REG(cls, op, d, s, off) I((cls) | (op) | BPF_X, d, s, off, 0)
#define NOP I(BPF_JMP | BPF_JA, 0, 0, 0, 0)
/* Enough jumps and instructions that the verifier records a state after them. */
#define NOPS10 NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP
#define R10 BPF_REG_10
#define R9 RANDPROG_PTR_REG

#define DIFF_EDGE_SLOTS 48

struct diff_edge {
	const char *name;
	struct bpf_insn insns[DIFF_EDGE_SLOTS];
	/* Set for the kernel bugs this test found: while the kernel has them the
	 * case is a SKIP (if skep agrees with the reference), once fixed a PASS. */
	const char *kernel_bug;
};

static const struct bpf_insn diff_nothing;

static const struct diff_edge diff_edges[] = {
	{.name = "sdiv64_smod64_int_min_by_minus_one",
	 .insns = {LDDW(1, 0x8000000000000000ull), MOV64_IMM(2, -1),
	  MOV64(3, 1), SDIV64_REG(3, 2), MOV64(4, 1), SMOD64_REG(4, 2),
	  MOV64(5, 1), SDIV64_IMM(5, -1), MOV64(6, 1), SMOD64_IMM(6, -1),
	  MOV64_IMM(7, -7), SDIV64_IMM(7, 2), MOV64_IMM(8, -7), SMOD64_IMM(8, 2),
	  MOV64_IMM(0, 7), SMOD64_IMM(0, -2)}},
	{.name = "sdiv32_smod32_int_min_by_minus_one",
	 /* upper halves set everywhere: the 32-bit ops must ignore and clear them */
	 .insns = {LDDW(1, 0xdeadbeef80000000ull), LDDW(2, 0x12345678ffffffffull),
	  MOV64(3, 1), SDIV32_REG(3, 2), MOV64(4, 1), SMOD32_REG(4, 2),
	  MOV64(5, 1), SDIV32_IMM(5, -1), MOV64(6, 1), SMOD32_IMM(6, -1),
	  LDDW(7, 0xaaaaaaaafffffff9ull), SDIV32_IMM(7, 2), LDDW(8, 0xaaaaaaaafffffff9ull),
	  SMOD32_IMM(8, 2), LDDW(0, 0x5555555500000007ull), SMOD32_IMM(0, -2)}},
	{.name = "div_mod_by_zero_64",
	 .insns = {LDDW(1, 0x8000000000000123ull), MOV64_IMM(2, 0),
	  MOV64(3, 1), ALU64_REG(BPF_DIV, 3, 2), MOV64(4, 1), ALU64_REG(BPF_MOD, 4, 2),
	  MOV64(5, 1), SDIV64_REG(5, 2), MOV64(6, 1), SMOD64_REG(6, 2),
	  MOV64_IMM(7, -1), ALU64_REG(BPF_MOD, 7, 2), MOV64_IMM(8, -1), SMOD64_REG(8, 2)}},
	{.name = "div_mod_by_zero_32",
	 /* r2's low half is zero: a 32-bit divisor of 0 although r2 != 0 */
	 .insns = {LDDW(1, 0xfedcba9876543210ull), LDDW(2, 0x100000000ull),
	  MOV64(3, 1), ALU32_REG(BPF_DIV, 3, 2), MOV64(4, 1), ALU32_REG(BPF_MOD, 4, 2),
	  MOV64(5, 1), SDIV32_REG(5, 2), MOV64(6, 1), SMOD32_REG(6, 2),
	  LDDW(7, 0xffffffff80000000ull), SMOD32_REG(7, 2), LDDW(8, 0x00000001ffffffffull),
	  ALU32_REG(BPF_MOD, 8, 2)}},
	{.name = "shift64_by_reg_counts_beyond_width",
	 .insns = {LDDW(1, 0x8123456789abcdefull), MOV64_IMM(2, 64), MOV64_IMM(4, 127),
	  MOV64_IMM(6, -1), LDDW(8, 0x100000041ull),
	  MOV64(3, 1), ALU64_REG(BPF_LSH, 3, 2), MOV64(5, 1), ALU64_REG(BPF_RSH, 5, 4),
	  MOV64(7, 1), ALU64_REG(BPF_ARSH, 7, 6), MOV64(0, 1), ALU64_REG(BPF_LSH, 0, 8),
	  ALU64_REG(BPF_ARSH, 2, 4), ALU64_REG(BPF_RSH, 8, 6)}},
	{.name = "shift32_by_reg_counts_beyond_width",
	 .insns = {LDDW(1, 0xffffffff80000001ull), MOV64_IMM(2, 32), MOV64_IMM(4, 33),
	  LDDW(6, 0x100000001ull), MOV64_IMM(8, 63),
	  MOV64(3, 1), ALU32_REG(BPF_LSH, 3, 2), MOV64(5, 1), ALU32_REG(BPF_RSH, 5, 4),
	  MOV64(7, 1), ALU32_REG(BPF_ARSH, 7, 6), MOV64(0, 1), ALU32_REG(BPF_ARSH, 0, 8),
	  ALU32_REG(BPF_LSH, 2, 8), ALU32_REG(BPF_RSH, 6, 1)}},
	{.name = "movsx",
	 .insns = {LDDW(1, 0x123456789abcdef0ull), MOVSX64(2, 1, 8), MOVSX64(3, 1, 16),
	  MOVSX64(4, 1, 32),
	  MOVSX32(5, 1, 8), MOVSX32(6, 1, 16), MOV64_IMM(7, 0x7f), MOVSX64(8, 7, 8),
	  LDDW(0, 0xffffffff00008000ull), MOVSX32(0, 0, 16), LDDW(7, 0xffffffff0000007full),
	  MOVSX32(7, 7, 8)}},
	{.name = "byteorder",
	 .insns = {LDDW(1, 0x8877665544332211ull), MOV64(0, 1), MOV64(2, 1), MOV64(3, 1),
	  MOV64(4, 1), MOV64(5, 1), MOV64(6, 1), MOV64(7, 1), MOV64(8, 1),
	  ENDIAN(BPF_ALU64, BPF_TO_LE, 0, 32), ENDIAN(BPF_ALU64, BPF_TO_LE, 1, 64),
	  ENDIAN(BPF_ALU, BPF_TO_LE, 2, 16), ENDIAN(BPF_ALU, BPF_TO_LE, 3, 32),
	  ENDIAN(BPF_ALU, BPF_TO_LE, 4, 64), ENDIAN(BPF_ALU, BPF_TO_BE, 5, 16),
	  ENDIAN(BPF_ALU, BPF_TO_BE, 6, 32), ENDIAN(BPF_ALU, BPF_TO_BE, 7, 64),
	  ENDIAN(BPF_ALU64, BPF_TO_LE, 8, 16)}},
	{.name = "alu32_zero_extension",
	 .insns = {MOV64_IMM(1, -1), MOV64(2, 1), ALU32_IMM(BPF_ADD, 2, 1), MOV64(3, 1),
	  ALU32_REG(BPF_MOV, 3, 3),
	  MOV64(4, 1), ALU32_IMM(BPF_NEG, 4, 0), LDDW(5, 0xdeadbeef80000000ull),
	  ALU32_IMM(BPF_ARSH, 5, 4), MOV64(6, 1), ALU32_IMM(BPF_MUL, 6, 3), MOV64(7, 1),
	  ALU32_IMM(BPF_XOR, 7, 0), MOV64(8, 1), ALU32_IMM(BPF_LSH, 8, 31), MOV64(0, 1),
	  ALU32_IMM(BPF_MOV, 0, -1), ALU32_IMM(BPF_AND, 1, -1)}},
	{.name = "cmpxchg64_success_and_failure",
	 .insns = {LDDW(1, 0x1111222233334444ull), STX(BPF_DW, R10, 1, -8),
	  STX(BPF_DW, R10, 1, -16), LDDW(2, 0xaaaabbbbccccddddull), MOV64(0, 1),
	  ATOMIC(BPF_DW, BPF_CMPXCHG, 2, -8), MOV64(3, 0),  /* equal: stores r2 */
	  MOV64_IMM(0, 5), ATOMIC(BPF_DW, BPF_CMPXCHG, 2, -16), MOV64(4, 0), /* not: keeps */
	  LDX(BPF_DW, 5, R10, -8), LDX(BPF_DW, 6, R10, -16)}},
	{.name = "cmpxchg32_success_and_failure",
	 /* r0's upper half differs from memory: only the low 32 bits compare, and
	  * r0 comes back zero-extended */
	 .insns = {LDDW(1, 0x1111222233334444ull), STX(BPF_DW, R10, 1, -8),
	  STX(BPF_DW, R10, 1, -16), LDDW(2, 0xaaaabbbbccccddddull), LDDW(0, 0xffffffff33334444ull),
	  ATOMIC(BPF_W, BPF_CMPXCHG, 2, -8), MOV64(3, 0),
	  LDDW(0, 0x3333444400000000ull), ATOMIC(BPF_W, BPF_CMPXCHG, 2, -16), MOV64(4, 0),
	  LDDW(0, 0x9999999911112222ull), ATOMIC(BPF_W, BPF_CMPXCHG, 2, -12), MOV64(5, 0)}},
	{.name = "atomic_fetch32_zero_extension",
	 .insns = {MOV64_IMM(8, -1), STX(BPF_DW, R10, 8, -8), STX(BPF_DW, R10, 8, -16),
	  STX(BPF_DW, R10, 8, -24), STX(BPF_DW, R10, 8, -32), STX(BPF_DW, R10, 8, -40),
	  LDDW(1, 0xdeadbeef00000001ull), ATOMIC(BPF_W, BPF_ADD | BPF_FETCH, 1, -8),
	  LDDW(2, 0xdeadbeef0f0f0f0full), ATOMIC(BPF_W, BPF_OR | BPF_FETCH, 2, -16),
	  LDDW(3, 0xdeadbeef12345678ull), ATOMIC(BPF_W, BPF_AND | BPF_FETCH, 3, -20),
	  LDDW(4, 0xdeadbeefffff0000ull), ATOMIC(BPF_W, BPF_XOR | BPF_FETCH, 4, -24),
	  LDDW(5, 0xdeadbeef87654321ull), ATOMIC(BPF_W, BPF_XCHG, 5, -32),
	  LDDW(6, 0xdeadbeef00000010ull), ATOMIC(BPF_W, BPF_ADD, 6, -36),
	  LDDW(7, 0xdeadbeef00000003ull), ATOMIC(BPF_W, BPF_XOR, 7, -40)}},
	{.name = "atomic_fetch64",
	 .insns = {LDDW(8, 0x8000000000000001ull), STX(BPF_DW, R10, 8, -8),
	  STX(BPF_DW, R10, 8, -16), STX(BPF_DW, R10, 8, -24), STX(BPF_DW, R10, 8, -32),
	  STX(BPF_DW, R10, 8, -40), STX(BPF_DW, R10, 8, -48), STX(BPF_DW, R10, 8, -56), STX(BPF_DW, R10, 8, -64),
	  MOV64_IMM(1, -1), ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 1, -8),
	  LDDW(2, 0x00ff00ff00ff00ffull), ATOMIC(BPF_DW, BPF_OR | BPF_FETCH, 2, -16),
	  LDDW(3, 0xf0f0f0f0f0f0f0f0ull), ATOMIC(BPF_DW, BPF_AND | BPF_FETCH, 3, -24),
	  MOV64_IMM(4, -1), ATOMIC(BPF_DW, BPF_XOR | BPF_FETCH, 4, -32),
	  MOV64_IMM(5, 42), ATOMIC(BPF_DW, BPF_XCHG, 5, -40),
	  MOV64_IMM(6, -2), ATOMIC(BPF_DW, BPF_ADD, 6, -48), ATOMIC(BPF_DW, BPF_OR, 6, -56),
	  ATOMIC(BPF_DW, BPF_AND, 6, -64)}},
	{.name = "sign_extending_loads",
	 .insns = {ST(BPF_B, R9, 0, 0x80), ST(BPF_H, R9, 1, 0x8001),
	  ST(BPF_W, R9, 3, (int32_t)0x80000002),
	  ST(BPF_B, R10, -1, 0x7f), ST(BPF_H, R10, -4, 0x7fff), ST(BPF_W, R10, -8, -3),
	  LDXS(BPF_B, 1, R9, 0), LDXS(BPF_H, 2, R9, 1), LDXS(BPF_W, 3, R9, 3),
	  LDXS(BPF_B, 4, R10, -1), LDXS(BPF_H, 5, R10, -4), LDXS(BPF_W, 6, R10, -8),
	  LDX(BPF_B, 7, R9, 0), LDX(BPF_H, 8, R9, 1), LDX(BPF_W, 0, R9, 3)}},
	{.name = "jmp32_ignores_upper_half",
	 /* each taken jump skips setting one bit of r3 */
	 .insns = {LDDW(1, 0x100000000ull), LDDW(2, 0xffffffff80000000ull), MOV64_IMM(3, 0),
	  JMP_IMM(BPF_JMP32, BPF_JEQ, 1, 0, 1), ALU64_IMM(BPF_OR, 3, 1),
	  JMP_IMM(BPF_JMP, BPF_JEQ, 1, 0, 1), ALU64_IMM(BPF_OR, 3, 2),
	  JMP_IMM(BPF_JMP32, BPF_JSLT, 2, 0, 1), ALU64_IMM(BPF_OR, 3, 4),
	  JMP_IMM(BPF_JMP, BPF_JSGT, 2, 0, 1), ALU64_IMM(BPF_OR, 3, 8),
	  JMP_REG(BPF_JMP32, BPF_JGT, 2, 1, 1), ALU64_IMM(BPF_OR, 3, 16),
	  JMP_IMM(BPF_JMP32, BPF_JSET, 1, -1, 1), ALU64_IMM(BPF_OR, 3, 32),
	  JMP_IMM(BPF_JMP, BPF_JGT, 2, -2, 1), ALU64_IMM(BPF_OR, 3, 64),
	  JMP_IMM(BPF_JMP, BPF_JLT, 2, -1, 1), ALU64_IMM(BPF_OR, 3, 128)}},
	{.name = "load_acquire_store_release",
	 .insns = {LDDW(1, 0x8877665544332211ull),
	  I(BPF_STX | BPF_ATOMIC | BPF_DW, R10, 1, -8, BPF_STORE_REL),
	  I(BPF_STX | BPF_ATOMIC | BPF_W, R10, 1, -12, BPF_STORE_REL),
	  I(BPF_STX | BPF_ATOMIC | BPF_H, R10, 1, -14, BPF_STORE_REL),
	  I(BPF_STX | BPF_ATOMIC | BPF_B, R10, 1, -15, BPF_STORE_REL),
	  I(BPF_STX | BPF_ATOMIC | BPF_DW, 2, R10, -8, BPF_LOAD_ACQ),
	  I(BPF_STX | BPF_ATOMIC | BPF_W, 3, R10, -8, BPF_LOAD_ACQ),
	  I(BPF_STX | BPF_ATOMIC | BPF_H, 4, R10, -8, BPF_LOAD_ACQ),
	  I(BPF_STX | BPF_ATOMIC | BPF_B, 5, R10, -8, BPF_LOAD_ACQ),
	  LDDW(6, -1), I(BPF_STX | BPF_ATOMIC | BPF_W, 6, R10, -16, BPF_LOAD_ACQ)}},

	/* Values stored into the packet and loaded back are unknown to the
	 * verifier but fixed at run time: that is how these steer it. */
	{.name = "kernel_bug_cmpxchg32_zext_after_pruning",
	 .insns = {LDDW(1, 0x8877665544332211ull), STX(BPF_DW, R9, 1, 8), LDX(BPF_DW, 0, R9, 8),
	  ST(BPF_DW, R9, 0, 0), LDX(BPF_DW, 4, R9, 0), STX(BPF_DW, R10, 0, -8),
	  JMP_IMM(BPF_JMP, BPF_JEQ, 4, 0, 1), /* taken at run time: do the cmpxchg */
	  I(BPF_JMP | BPF_JA, 0, 0, 1, 0),
	  ATOMIC(BPF_W, BPF_CMPXCHG, 3, -8), /* equal: r0 = 0x44332211, zero-extended */
	  NOP, NOP, NOP, NOP, NOP},
	 .kernel_bug = "32-bit cmpxchg leaves r0's upper half when the verifier prunes the path "
		       "after it (the zero-extension is only patched in when a 64-bit read of r0 "
		       "was walked)"},
	{.name = "kernel_bug_atomic_fetch_precision",
	 .insns = {ST(BPF_DW, R9, 0, 1), LDX(BPF_DW, 2, R9, 0), NOPS10,
	  JMP_IMM(BPF_JMP, BPF_JNE, 2, 0, 1), /* taken at run time */
	  ST(BPF_DW, R10, -8, 5),             /* the path the verifier walks first */
	  NOPS10,                             /* both paths meet here: pruned */
	  MOV64_IMM(3, 0), ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 3, -8), /* r3 = 0 at run time */
	  JMP_IMM(BPF_JMP, BPF_JEQ, 3, 5, 1), MOV64_IMM(5, 1)},
	 .kernel_bug = "a fetching atomic on a stack slot does not pass its register's precision "
		       "to the slot, so states differing there are pruned as equal and a live "
		       "branch is removed"},
	{.name = "kernel_bug_ldsx_fill_keeps_scalar_id",
	 .insns = {ST(BPF_W, R9, 0, (int32_t)0x80000000), LDX(BPF_W, 0, R9, 0),
	  STX(BPF_DW, R10, 0, -8),
	  LDXS(BPF_W, 8, R10, -8),              /* r8 = 0xffffffff80000000 */
	  JMP_IMM(BPF_JMP, BPF_JLT, 0, 16, 1), NOP, /* bounds on r0 wrongly copied to r8 */
	  ALU32_IMM(BPF_MOV, 1, -1), JMP_REG(BPF_JMP, BPF_JGT, 8, 1, 2), /* taken at run time */
	  MOV64_IMM(5, 1), I(BPF_JMP | BPF_JA, 0, 0, 1, 0),
	  MOV64_IMM(5, 2)}, /* "dead" for the verifier: removed */
	 .kernel_bug = "a sign-extending fill from a spilled 32-bit-range scalar keeps the "
		       "scalar's id, so bounds learned on the original register are applied to the "
		       "sign-extended copy"},
};

/* clang-format on */

/* Zero r0-r8 and the stack area, so the epilogue reads only written state. */
static size_t diff_edge_setup(struct bpf_insn *out)
{
	size_t n = 0;

	for (int r = 0; r < RANDPROG_NR_REGS; r++)
		out[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, (uint8_t)r, 0, 0, 0);
	for (int off = 8; off <= RANDPROG_STACK_BYTES; off += 8)
		out[n++] =
			randprog_insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)-off, 0);
	return n;
}

static void diff_edge_cases(struct diff *d)
{
	struct bpf_insn body[DIFF_MAX_SLOTS];
	uint8_t input[4096];
	char why[1024], name[128];

	for (size_t e = 0; e < sizeof(diff_edges) / sizeof(diff_edges[0]); e++) {
		const struct diff_edge *edge = &diff_edges[e];
		size_t n = diff_edge_setup(body), len = DIFF_EDGE_SLOTS;

		/* Drop the array's all-zero tail, but not an lddw's upper half. */
		while (len && !memcmp(&edge->insns[len - 1], &diff_nothing, sizeof(diff_nothing)))
			len--;
		if (len && diff_is_lddw(&edge->insns[len - 1]))
			len++;
		memcpy(&body[n], edge->insns, len * sizeof(*body));
		n += len;
		n += randprog_epilogue(&d->opts, &body[n], DIFF_MAX_SLOTS - n);
		randprog_fill(e, input, d->layout.size);
		snprintf(name, sizeof(name), "kernel_diff_edge[%s]", edge->name);
		if (d->dump) {
			printf("# %s\n", edge->name);
			diff_print_insns(body, n, 0);
		}
		switch (diff_check(d, body, n, input, why, sizeof(why))) {
		case DIFF_SAME:
			harness_pass(d->h, name);
			break;
		case DIFF_KERNEL_WRONG:
			if (edge->kernel_bug)
				harness_skip(d->h, name, "known kernel bug: %s (%s)",
					     edge->kernel_bug, why);
			else
				harness_skip(d->h, name, "the kernel is wrong here: %s", why);
			break;
		case DIFF_REJECTED:
			harness_fail(d->h, name, "%s; verifier log:\n%s", why, d->log);
			break;
		default:
			harness_fail(d->h, name, "%s", why);
			break;
		}
	}
}

int main(void)
{
	static struct diff d;
	struct harness h = {0};
	char why[256];

	if (!kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "kernel_diff", "%s", why);
		return 77;
	}
	d.h = &h;
	d.vm = skep_vm_new();
	if (!d.vm) {
		harness_fail(&h, "kernel_diff", "skep_vm_new failed");
		return harness_exit(&h);
	}
	d.opts = (struct randprog_opts){
		.data_size = DIFF_DATA_SIZE,
		.nr_insns = DIFF_BODY_INSNS,
		.features = RANDPROG_ALL,
		.quirks = RANDPROG_QUIRK_CMPXCHG32_ZEXT,
	};
	randprog_layout(&d.opts, &d.layout);
	d.dump = getenv("SKEP_DIFF_DUMP") && atoi(getenv("SKEP_DIFF_DUMP"));

	diff_edge_cases(&d);
	diff_random_programs(&d, diff_env_u64("SKEP_DIFF_SEED", 0),
			     diff_env_u64("SKEP_DIFF_PROGRAMS", DIFF_DEFAULT_PROGRAMS));
	skep_vm_free(d.vm);
	return harness_exit(&h);
}
