/* seccomp filters on skep, against libseccomp's intent and the kernel.
 *
 *   libseccomp/...  a filter built with libseccomp (argument comparisons of
 *                   every kind, 64-bit ones, every action) and exported with
 *                   seccomp_export_bpf: skep's action for each call is the one
 *                   the rules say, and the kernel, with the filter installed in
 *                   a child process, does what that action means;
 *   random/...      random classic seccomp programs: skep's checker accepts
 *                   what the kernel's seccomp accepts, and their actions agree
 *                   with what the kernel does to a child making the call;
 *   cli/...         `skep seccomp FILTER --syscall ... --arg ...`.
 * A child reports through a pipe; a kill shows as death by SIGSYS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "../lib/harness.h"
#include "cbpfgen.h"

/* What happened to a child that made one call under a filter. */
enum outcome_kind { OUT_INSTALL_FAILED, OUT_RETURNED, OUT_TRAPPED, OUT_KILLED, OUT_OTHER };

struct outcome {
	int kind;
	long ret;
	int err;
};

struct report {
	char kind;
	long ret;
	int err;
};

static int report_fd = -1;

/* The child runs under a filter that may refuse every system call but its
 * report: AddressSanitizer's runtime must stay out of it (its no-return hook
 * before _exit maps memory, and a refused mmap there deadlocks the child). */
#define CHILD_CODE __attribute__((no_sanitize_address))

CHILD_CODE static void on_sigsys(int sig)
{
	struct report r = {'T', 0, 0};
	if (write(report_fd, &r, sizeof(r)) < 0)
		_exit(2);
	_exit(0);
}

CHILD_CODE static void child(const struct skep_cbpf_insn *p, size_t len, long nr,
			     const uint64_t a[6])
{
	struct sock_fprog fp = {(unsigned short)len, (struct sock_filter *)(uintptr_t)p};
	struct report r = {'R', 0, 0};

	/* A child that hangs anyway dies of SIGALRM: a failed case, not a hung test. */
	alarm(20);
	signal(SIGSYS, on_sigsys);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp)) {
		r = (struct report){'E', 0, errno};
	} else {
		errno = 0;
		r.ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		r.err = errno;
	}
	if (write(report_fd, &r, sizeof(r)) < 0)
		_exit(2);
	_exit(0);
}

/* Install p in a child, make the call there, say what happened. */
static struct outcome kernel_outcome(const struct skep_cbpf_insn *p, size_t len, long nr,
				     const uint64_t a[6])
{
	struct outcome o = {OUT_OTHER, 0, 0};
	struct report r;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return o;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		child(p, len, nr, a);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &r, sizeof(r)) == sizeof(r)) {
		o.kind = r.kind == 'E' ? OUT_INSTALL_FAILED : r.kind == 'T' ? OUT_TRAPPED : OUT_RETURNED;
		o.ret = r.ret;
		o.err = r.err;
	}
	close(fds[0]);
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGSYS && o.kind == OUT_OTHER)
		o.kind = OUT_KILLED;
	return o;
}

/* Does what the kernel did fit skep's action?  ALLOW and LOG run the call
 * (the probes here all return a positive id when they run). */
static int outcome_fits(uint32_t action, const struct outcome *o)
{
	uint32_t data = action & SECCOMP_RET_DATA;

	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return o->kind == OUT_RETURNED && o->ret > 0;
	case SECCOMP_RET_ERRNO:
		if (data == 0)
			return o->kind == OUT_RETURNED && o->ret == 0;
		return o->kind == OUT_RETURNED && o->ret == -1 && o->err == (int)(data > 4095 ? 4095 : data);
	case SECCOMP_RET_TRACE: /* no tracer: the call fails with ENOSYS */
		return o->kind == OUT_RETURNED && o->ret == -1 && o->err == ENOSYS;
	case SECCOMP_RET_TRAP:
		return o->kind == OUT_TRAPPED;
	default: /* KILL_THREAD, KILL_PROCESS, unknown */
		return o->kind == OUT_KILLED;
	}
}

static int skep_action(struct skep_vm *vm, const struct skep_cbpf_insn *p, size_t len,
		       enum skep_exec_mode mode, long nr, const uint64_t a[6], uint32_t *action)
{
	struct skep_cbpf_opts o = {.sz = sizeof(o), .mode = SKEP_CBPF_SECCOMP, .exec = mode};
	struct skep_seccomp_data sd = {.nr = (int32_t)nr, .arch = SCMP_ARCH_X86_64};
	struct skep_cbpf_filter *f;
	int err;

	memcpy(sd.args, a, sizeof(sd.args));
	err = skep_cbpf_filter_new(vm, p, len, &o, &f);
	if (!err)
		err = skep_cbpf_filter_seccomp(f, &sd, action);
	skep_cbpf_filter_free(f);
	return err;
}

/* ---- libseccomp ---- */

struct scase {
	long nr;
	uint64_t args[6];
	const char *want; /* what the rules below mean */
};

static scmp_filter_ctx build_filter(void)
{
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	int err = 0;

	if (!c)
		return NULL;
	err |= seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	err |= seccomp_rule_add(c, SCMP_ACT_ERRNO(201), SCMP_SYS(getpid), 0);
	err |= seccomp_rule_add(c, SCMP_ACT_ERRNO(202), SCMP_SYS(getppid), 1, SCMP_A0(SCMP_CMP_EQ, 5));
	err |= seccomp_rule_add(c, SCMP_ACT_ERRNO(203), SCMP_SYS(gettid), 1,
				SCMP_A1(SCMP_CMP_GT, 100));
	err |= seccomp_rule_add(c, SCMP_ACT_TRAP, SCMP_SYS(gettid), 2, SCMP_A1(SCMP_CMP_LE, 100),
				SCMP_A0(SCMP_CMP_MASKED_EQ, 0xff, 0x42));
	err |= seccomp_rule_add(c, SCMP_ACT_ERRNO(204), SCMP_SYS(getpgrp), 1,
				SCMP_A2(SCMP_CMP_GE, 0x100000000ull));
	err |= seccomp_rule_add(c, SCMP_ACT_ERRNO(205), SCMP_SYS(getsid), 1,
				SCMP_A3(SCMP_CMP_LT, 0x80000000ull));
	err |= seccomp_rule_add(c, SCMP_ACT_LOG, SCMP_SYS(getegid), 0);
	err |= seccomp_rule_add(c, SCMP_ACT_TRACE(7), SCMP_SYS(getgid), 1, SCMP_A5(SCMP_CMP_NE, 0));
	err |= seccomp_rule_add(c, SCMP_ACT_KILL_PROCESS, SCMP_SYS(sched_yield), 1,
				SCMP_A4(SCMP_CMP_EQ, 0xdeadbeefcafeull));
	err |= seccomp_rule_add(c, SCMP_ACT_KILL_THREAD, SCMP_SYS(sched_yield), 1,
				SCMP_A4(SCMP_CMP_EQ, 3));
	if (err) {
		seccomp_release(c);
		return NULL;
	}
	return c;
}

/* clang-format off */
static const struct scase scases[] = {
	{SYS_getpid, {0}, "ERRNO(201)"},
	{SYS_getppid, {5}, "ERRNO(202)"},
	{SYS_getppid, {6}, "ALLOW"},
	{SYS_getppid, {0x100000005ull}, "ALLOW"},
	{SYS_gettid, {0, 101}, "ERRNO(203)"},
	{SYS_gettid, {0, 0x100000000ull}, "ERRNO(203)"},
	{SYS_gettid, {0x142, 100}, "TRAP"},
	{SYS_gettid, {0x143, 100}, "ALLOW"},
	{SYS_getpgrp, {0, 0, 0x100000000ull}, "ERRNO(204)"},
	{SYS_getpgrp, {0, 0, 0xffffffffull}, "ALLOW"},
	{SYS_getsid, {0, 0, 0, 0x7fffffff}, "ERRNO(205)"},
	{SYS_getsid, {0, 0, 0, 0x80000000}, "ALLOW"},
	{SYS_getegid, {0}, "LOG"},
	{SYS_getgid, {0, 0, 0, 0, 0, 1}, "TRACE(7)"},
	{SYS_sched_yield, {0, 0, 0, 0, 0xdeadbeefcafeull}, "KILL_PROCESS"},
	{SYS_sched_yield, {0, 0, 0, 0, 3}, "KILL_THREAD"},
	{SYS_sched_yield, {0, 0, 0, 0, 4}, "ALLOW"},
};
/* clang-format on */

/* getegid and getgid return 0 as root: not a positive id, so their ALLOW and
 * LOG outcomes are told by ret == 0 instead. */
static int fits(uint32_t action, long nr, const struct outcome *o)
{
	uint32_t kind = action & SECCOMP_RET_ACTION_FULL;

	if ((kind == SECCOMP_RET_ALLOW || kind == SECCOMP_RET_LOG) &&
	    (nr == SYS_getegid || nr == SYS_getgid || nr == SYS_sched_yield || nr == SYS_getpgrp ||
	     nr == SYS_getsid))
		return o->kind == OUT_RETURNED && o->ret >= 0;
	return outcome_fits(action, o);
}

static int export_filter(scmp_filter_ctx c, const char *path, struct skep_cbpf_insn **p,
			 size_t *len)
{
	FILE *f = fopen(path, "wb");
	size_t n;
	char *raw;

	if (!f || seccomp_export_bpf(c, fileno(f))) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	raw = harness_read_file(path, &n);
	*p = (struct skep_cbpf_insn *)raw;
	*len = n / sizeof(**p);
	return raw && n % sizeof(**p) == 0 ? 0 : -1;
}

static void test_libseccomp(struct harness *h, struct skep_vm *vm, const char *path)
{
	scmp_filter_ctx c = build_filter();
	struct skep_cbpf_insn *p = NULL;
	size_t len = 0;

	if (!c || export_filter(c, path, &p, &len)) {
		harness_fail(h, "libseccomp/export", "cannot build or export the filter");
		goto out;
	}
	for (size_t i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *s = &scases[i];
		char name[128], got[64] = "";
		uint32_t action = 0;
		int err = skep_action(vm, p, len, SKEP_EXEC_JIT, s->nr, s->args, &action);
		struct outcome o;

		skep_seccomp_action_name(action, got, sizeof(got));
		snprintf(name, sizeof(name), "libseccomp/nr %ld case %zu is %s", s->nr, i, s->want);
		harness_check(h, !err && !strcmp(got, s->want), name, "skep says %s (error %d)", got,
			      err);
		o = kernel_outcome(p, len, s->nr, s->args);
		snprintf(name, sizeof(name), "libseccomp/kernel does %s for nr %ld case %zu", s->want,
			 s->nr, i);
		harness_check(h, fits(action, s->nr, &o), name, "outcome %d, ret %ld, errno %d",
			      o.kind, o.ret, o.err);
	}
out:
	free(p);
	if (c)
		seccomp_release(c);
}

/* ---- random programs ---- */

/* Let the child live through its report: exit, exit_group, write and
 * rt_sigreturn are allowed before the random body runs. */
static size_t wrap(const struct skep_cbpf_insn *body, size_t n, struct skep_cbpf_insn *out)
{
	static const uint32_t pass[] = {SYS_exit_group, SYS_exit, SYS_write, SYS_rt_sigreturn};
	size_t k = 0, allow = 1 + 4 + n;

	out[k++] = cbgen_insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
	for (size_t i = 0; i < 4; i++, k++)
		out[k] = cbgen_insn(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - k - 1), 0, pass[i]);
	memcpy(out + k, body, n * sizeof(*body));
	k += n;
	out[k++] = cbgen_insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	return k;
}

struct rstats {
	int agree, disagree, ran, fit, unfit;
	char first[512];
};

static void random_one(struct skep_vm *vm, struct pktgen *g, int n, struct rstats *st)
{
	static const long probes[] = {SYS_getpid, SYS_getppid, SYS_gettid};
	struct cbgen_opts o = {.seccomp = 1, .deterministic = 1, .defects = 25};
	struct skep_cbpf_insn body[CBGEN_MAX], p[CBGEN_MAX + 8];
	struct skep_cbpf_opts co = {.sz = sizeof(co), .mode = SKEP_CBPF_SECCOMP};
	size_t len = wrap(body, cbgen_prog(g, &o, body), p);
	long nr = PG_PICK(g, probes);
	uint64_t a[6];
	uint32_t action = 0;
	int serr = skep_cbpf_check(p, len, &co);
	struct outcome out;

	for (int i = 0; i < 6; i++)
		a[i] = pg_chance(g, 50) ? pg_below(g, 64) : (uint64_t)pg_rand(g) << 32 | pg_rand(g);
	out = kernel_outcome(p, len, nr, a);
	if ((out.kind == OUT_INSTALL_FAILED) != (serr != 0)) {
		st->disagree++;
		if (!st->first[0])
			snprintf(st->first, sizeof(st->first), "program %d: kernel %s, skep %d", n,
				 out.kind == OUT_INSTALL_FAILED ? "refused" : "accepted", serr);
		return;
	}
	st->agree++;
	if (serr)
		return;
	st->ran++;
	for (int m = 0; m < 3; m++) {
		static const enum skep_exec_mode modes[] = {SKEP_EXEC_INTERP, SKEP_EXEC_JIT,
							    SKEP_EXEC_JIT_CHECKED};
		if (!skep_action(vm, p, len, modes[m], nr, a, &action) && outcome_fits(action, &out))
			continue;
		st->unfit++;
		if (!st->first[0])
			snprintf(st->first, sizeof(st->first),
				 "program %d, mode %d: skep %#x, kernel outcome %d ret %ld errno %d",
				 n, m, action, out.kind, out.ret, out.err);
		return;
	}
	st->fit++;
}

static void test_random(struct harness *h, struct skep_vm *vm)
{
	struct pktgen g = {0x5ecc0};
	struct rstats st = {0};

	for (int n = 0; n < 400; n++)
		random_one(vm, &g, n, &st);
	harness_check(h, st.disagree == 0, "random/checker agrees with the kernel's seccomp",
		      "%d of %d differ: %s", st.disagree, st.agree + st.disagree, st.first);
	harness_check(h, st.unfit == 0 && st.ran > 150, "random/actions agree with the kernel",
		      "%d of %d differ: %s", st.unfit, st.ran, st.first);
}

/* ---- the command line ---- */

static void expect_cli(struct harness *h, const char *name, const char *args, int code,
		       const char *want)
{
	char out[4096], line[1024];
	int rc;

	snprintf(line, sizeof(line), "seccomp %s", args);
	rc = harness_skep(line, out, sizeof(out));

	harness_check(h, rc == code && strstr(out, want), name, "exit %d (want %d): %s", rc, code,
		      out);
}

static void test_cli(struct harness *h, const char *dir, const char *filter)
{
	static const struct skep_cbpf_insn bad[] = {{BPF_LD | BPF_H | BPF_ABS, 0, 0, 0},
						    {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW}};
	char args[512], path[256];
	FILE *f;

	snprintf(args, sizeof(args), "%s --syscall getppid --arg 0=5", filter);
	expect_cli(h, "cli/name and argument", args, 0, "ERRNO(202)\n");
	snprintf(args, sizeof(args), "%s --syscall 39 --json", filter);
	expect_cli(h, "cli/number, json", args, 0, "{\"action\": \"ERRNO(201)\", \"retval\": 327881}");
	snprintf(args, sizeof(args), "%s --syscall gettid --arg 0=0x142 --arg 1=100 --jit", filter);
	expect_cli(h, "cli/masked argument, jit", args, 0, "TRAP\n");
	snprintf(args, sizeof(args), "%s --syscall sched_yield --arg 4=-1", filter);
	expect_cli(h, "cli/negative argument", args, 0, "ALLOW\n");
	snprintf(args, sizeof(args), "%s --syscall getpid --arch x86", filter);
	expect_cli(h, "cli/other architecture", args, 0, "KILL_PROCESS\n");
	snprintf(args, sizeof(args), "%s --syscall no_such_call", filter);
	expect_cli(h, "cli/unknown syscall", args, 2, "no system call 'no_such_call'");
	snprintf(args, sizeof(args), "%s --syscall getpid --arg 6=1", filter);
	expect_cli(h, "cli/bad --arg", args, 2, "--arg wants N=VALUE");
	snprintf(path, sizeof(path), "%s/bad.bpf", dir);
	f = fopen(path, "wb");
	if (f) {
		fwrite(bad, sizeof(bad), 1, f);
		fclose(f);
	}
	snprintf(args, sizeof(args), "%s --syscall getpid", path);
	expect_cli(h, "cli/refused filter", args, 1, "insn 0: 'ldh [k]' is not allowed");
}

int main(void)
{
	struct harness h = {0};
	struct skep_vm *vm = skep_vm_new();
	char dir[] = "/tmp/skep-seccomp-XXXXXX", path[64], cmd[96];

	if (!mkdtemp(dir)) {
		harness_fail(&h, "setup", "mkdtemp: %s", strerror(errno));
		return harness_exit(&h);
	}
	snprintf(path, sizeof(path), "%s/filter.bpf", dir);
	test_libseccomp(&h, vm, path);
	test_random(&h, vm);
	test_cli(&h, dir, path);
	skep_vm_free(vm);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return harness_exit(&h);
}
