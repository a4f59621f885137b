/* skep-bench: the engines a program is timed in, one entry each in
 * bench_engines[]: skep's interpreter, skep's JIT (a column reserved until it
 * exists), the Linux kernel (BPF_PROG_TEST_RUN of the same instructions behind
 * an XDP prologue, so normally its JIT) and gcc's native build of the C source. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "skep/skep.h"
#include "../tests/lib/kernel_bpf.h"

/* The thread's CPU time, not the wall clock: time the scheduler gives to
 * other processes is not counted, as the kernel's BPF_PROG_TEST_RUN timer
 * stops while it reschedules.  On a busy machine the wall clock would charge
 * the user-space engines for their neighbours and not the kernel. */
uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- skep's interpreter ---- */

static struct skep_vm *skep_vm;

static int skep_init(char *why, size_t why_size)
{
	skep_vm = skep_vm_new();
	if (!skep_vm) {
		snprintf(why, why_size, "skep_vm_new: out of memory");
		return -1;
	}
	return 0;
}

static void skep_fini(void)
{
	skep_vm_free(skep_vm);
	skep_vm = NULL;
}

static void skep_run_opts_init(struct skep_run_opts *o, struct bench_slot *s,
			       enum skep_exec_mode mode)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->args[0] = (uint64_t)(uintptr_t)s->mem;
	o->args[1] = BENCH_MEM_LEN;
	o->mode = mode;
}

/* Load, then run once checked: a program that strays outside its input or
 * stack is reported here instead of crashing the unchecked runs. */
static int skep_interp_open(struct bench_slot *s, char *why, size_t why_size)
{
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = why, .log_size = why_size};
	struct skep_region mem = {s->mem, BENCH_MEM_LEN, 0, "mem"};
	struct skep_run_result res;
	struct skep_run_opts ro;
	int err;

	err = skep_prog_load(skep_vm, (const struct skep_insn *)s->prog->insns,
			     s->prog->nr_insns, &lo, &s->skep);
	if (err)
		return -1;
	skep_run_opts_init(&ro, s, SKEP_EXEC_CHECKED);
	ro.regions = &mem;
	ro.nr_regions = 1;
	ro.log_buf = why;
	ro.log_size = why_size;
	err = skep_prog_run(s->skep, &ro, &res);
	if (err) {
		skep_prog_free(s->skep);
		s->skep = NULL;
		return -1;
	}
	return 0;
}

static int skep_mode_run(struct bench_slot *s, enum skep_exec_mode mode, uint64_t n,
			 uint64_t *ns, uint64_t *result)
{
	struct skep_run_result res = {0};
	struct skep_run_opts ro;
	uint64_t t0;

	skep_run_opts_init(&ro, s, mode);
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < n; i++)
		if (skep_prog_run(s->skep, &ro, &res))
			return -1;
	*ns = bench_now_ns() - t0;
	*result = res.retval;
	return 0;
}

static int skep_interp_run(struct bench_slot *s, uint64_t n, uint64_t *ns, uint64_t *result)
{
	return skep_mode_run(s, SKEP_EXEC_INTERP, n, ns, result);
}

/* The first run compiles; the calibration runs take that out of the timings. */
static int skep_jit_run(struct bench_slot *s, uint64_t n, uint64_t *ns, uint64_t *result)
{
	return skep_mode_run(s, SKEP_EXEC_JIT, n, ns, result);
}

static void skep_close(struct bench_slot *s)
{
	skep_prog_free(s->skep);
	s->skep = NULL;
}

/* ---- the kernel ---- */

/* The XDP prologue: prove BENCH_MEM_LEN bytes of packet, then enter the body
 * with r1 = data and r2 = BENCH_MEM_LEN, as skep and native are called.  A
 * short packet returns 0 (the bench never sends one). */
static const struct bpf_insn kernel_prologue[] = {
	{.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 0},
	{.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 1, .off = 4},
	{.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 4, .src_reg = 2},
	{.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 4, .imm = BENCH_MEM_LEN},
	{.code = BPF_JMP | BPF_JLE | BPF_X, .dst_reg = 4, .src_reg = 3, .off = 2},
	{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
	{.code = BPF_JMP | BPF_EXIT},
	{.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 2},
	{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = BENCH_MEM_LEN},
};
#define KERNEL_PROLOGUE_LEN (sizeof(kernel_prologue) / sizeof(kernel_prologue[0]))
#define KERNEL_MAX_INSNS 4096
/* Big enough for the level-1 log of a sieve the verifier walks in full. */
static char kernel_log[1 << 22];

static int kernel_init(char *why, size_t why_size)
{
	return kbpf_available(why, why_size) ? 0 : -1;
}

/* The verifier's last complaint: the tail of its log (with the `processed N
 * insns` summary), on one line. */
static void kernel_log_tail(char *why, size_t why_size, int err)
{
	size_t len = strlen(kernel_log);
	const char *tail = kernel_log;

	while (len && kernel_log[len - 1] == '\n')
		kernel_log[--len] = '\0';
	for (int lines = 0; len && lines < 3; len--)
		if (kernel_log[len - 1] == '\n')
			lines++;
	tail += len;
	while (*tail == '\n')
		tail++;
	snprintf(why, why_size, "the verifier says %s: %s", strerror(-err), tail);
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = ' ';
}

static int kernel_open(struct bench_slot *s, char *why, size_t why_size)
{
	static struct bpf_insn insns[KERNEL_MAX_INSNS];
	size_t len = KERNEL_PROLOGUE_LEN + s->prog->nr_insns;

	if (len > KERNEL_MAX_INSNS) {
		snprintf(why, why_size, "%zu instructions is too many for the bench", len);
		return -1;
	}
	memcpy(insns, kernel_prologue, sizeof(kernel_prologue));
	memcpy(insns + KERNEL_PROLOGUE_LEN, s->prog->insns, s->prog->nr_insns * sizeof(*insns));
	/* Without a log first: a level-1 log of a verifier walking every loop
	 * iteration costs seconds.  Only a refusal is worth the log. */
	s->fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, len, NULL, 0);
	if (s->fd >= 0)
		return 0;
	s->fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, len, kernel_log, sizeof(kernel_log));
	if (s->fd >= 0)
		return 0;
	kernel_log_tail(why, why_size, s->fd);
	return -1;
}

/* BPF_PROG_TEST_RUN times `repeat` runs in the kernel and reports the mean. */
static int kernel_run(struct bench_slot *s, uint64_t n, uint64_t *ns, uint64_t *result)
{
	struct kbpf_run run = {.data_in = s->mem, .data_size_in = BENCH_MEM_LEN};

	if (n > UINT32_MAX)
		n = UINT32_MAX;
	run.repeat = (uint32_t)n;
	if (kbpf_prog_test_run(s->fd, &run))
		return -1;
	*ns = (uint64_t)run.duration * n;
	*result = run.retval;
	return 0;
}

static void kernel_close(struct bench_slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* ---- gcc -O2 ---- */

static int native_run(struct bench_slot *s, uint64_t n, uint64_t *ns, uint64_t *result)
{
	/* Called through a volatile pointer in another object file: never inlined
	 * into the loop nor hoisted out of it. */
	bench_native_fn volatile fn = s->prog->native;
	uint64_t t0, r = 0;

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < n; i++)
		r = fn(s->mem, BENCH_MEM_LEN);
	*ns = bench_now_ns() - t0;
	*result = r;
	return 0;
}

const struct bench_engine bench_engines[] = {
	{.name = "skep-interp", .abbr = "intp", .result_bits = 64, .init = skep_init,
	 .open = skep_interp_open, .run = skep_interp_run, .close = skep_close,
	 .fini = skep_fini},
	/* Not written yet: the column prints "-". */
	{.name = "skep-jit", .abbr = "jit", .result_bits = 64,
	 .open = skep_interp_open, .run = skep_jit_run, .close = skep_close},
	{.name = "kernel-jit", .abbr = "kjit", .result_bits = 32, .init = kernel_init,
	 .open = kernel_open, .run = kernel_run, .close = kernel_close},
	{.name = "native", .abbr = "nat", .result_bits = 64, .run = native_run},
};
const size_t bench_nr_engines = sizeof(bench_engines) / sizeof(bench_engines[0]);
