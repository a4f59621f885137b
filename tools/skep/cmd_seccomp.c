/* skep seccomp: what a seccomp filter decides for one system call, without
 * installing it.
 *
 * The filter is the raw array of struct sock_filter that libseccomp's
 * seccomp_export_bpf() writes (or any classic BPF seccomp program).  skep
 * checks it with the kernel's seccomp rules, builds the struct seccomp_data
 * the kernel would hand it for the call described on the command line, runs
 * it and prints the action.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "cli.h"
#include "skep/cbpf.h"

struct seccomp_args {
	const char *filter, *syscall, *arch;
	struct skep_seccomp_data sd;
	enum skep_exec_mode mode;
	int json;
};

static void seccomp_cli_usage(FILE *f)
{
	fprintf(f,
		"usage: skep seccomp FILTER --syscall NAME|NR [--arg N=VALUE]... [--arch ARCH]\n"
		"                    [--ip ADDR] [--interp | --checked | --jit] [--json]\n\n"
		"Runs the seccomp filter FILTER (raw struct sock_filter instructions, as\n"
		"libseccomp's seccomp_export_bpf writes them) on one system call and prints\n"
		"the action: KILL_PROCESS, KILL_THREAD, TRAP, ERRNO(n), USER_NOTIF, TRACE(n),\n"
		"LOG or ALLOW.\n"
		"  --syscall S   the call, by name (resolved for --arch by libseccomp) or number\n"
		"  --arg N=V     argument N (0-5) of the call; V in C syntax (0x10, -1, 010)\n"
		"  --arch ARCH   the architecture the filter sees (libseccomp's names:\n"
		"                x86_64, x86, x32, aarch64...; default x86_64)\n"
		"  --ip ADDR     the instruction pointer the filter sees (default 0)\n"
		"  --json        {\"action\": \"ERRNO(1)\", \"retval\": N}\n");
}

/* A number in C syntax, negative ones as the two's complement the kernel
 * would pass. */
static int seccomp_cli_number(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = *s == '-' ? (uint64_t)strtoll(s, &end, 0) : strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int seccomp_cli_arg(struct seccomp_args *a, const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (end == s || *end != '=' || n < 0 || n > 5 || seccomp_cli_number(end + 1, &a->sd.args[n]))
		return fprintf(stderr, "skep: --arg wants N=VALUE with N 0 to 5, not '%s'\n", s),
		       -1;
	return 0;
}

static int seccomp_cli_parse(int argc, char **argv, struct seccomp_args *a)
{
	static const struct option opts[] = {
		{"syscall", required_argument, NULL, 's'}, {"arg", required_argument, NULL, 'a'},
		{"arch", required_argument, NULL, 'A'},    {"ip", required_argument, NULL, 'p'},
		{"interp", no_argument, NULL, 'I'},        {"checked", no_argument, NULL, 'C'},
		{"jit", no_argument, NULL, 'J'},           {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	int c;

	*a = (struct seccomp_args){.mode = SKEP_EXEC_INTERP, .arch = "x86_64"};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			a->syscall = optarg;
			break;
		case 'a':
			if (seccomp_cli_arg(a, optarg))
				return -1;
			break;
		case 'A':
			a->arch = optarg;
			break;
		case 'p':
			if (seccomp_cli_number(optarg, &a->sd.instruction_pointer))
				return fprintf(stderr, "skep: --ip wants a number\n"), -1;
			break;
		case 'I':
		case 'C':
		case 'J':
			a->mode = c == 'I' ? SKEP_EXEC_INTERP
				  : c == 'C' ? SKEP_EXEC_CHECKED
					     : SKEP_EXEC_JIT;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			seccomp_cli_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind + 1 != argc || !a->syscall)
		return fprintf(stderr, "skep: seccomp takes one FILTER and --syscall\n"), -1;
	a->filter = argv[optind];
	return 0;
}

/* arch and nr of the seccomp_data: names through libseccomp. */
static int seccomp_cli_resolve(struct seccomp_args *a)
{
	uint64_t v;
	int nr;

	if (!seccomp_cli_number(a->arch, &v) && v <= UINT32_MAX)
		a->sd.arch = (uint32_t)v;
	else if (!(a->sd.arch = seccomp_arch_resolve_name(a->arch)))
		return fprintf(stderr, "skep: unknown architecture '%s'\n", a->arch), -1;
	if (!seccomp_cli_number(a->syscall, &v)) {
		a->sd.nr = (int32_t)v;
		return 0;
	}
	nr = seccomp_syscall_resolve_name_arch(a->sd.arch, a->syscall);
	if (nr < 0)
		return fprintf(stderr, "skep: no system call '%s' on %s\n", a->syscall, a->arch),
		       -1;
	a->sd.nr = nr;
	return 0;
}

static int seccomp_read_filter(const char *path, struct skep_cbpf_insn **prog, size_t *len)
{
	size_t n;
	uint8_t *raw = cli_read_file(path, &n);

	if (!raw)
		return -1;
	if (n == 0 || n % sizeof(struct skep_cbpf_insn)) {
		fprintf(stderr, "skep: %s: %zu bytes is not a whole number of 8-byte classic BPF "
				"instructions\n", path, n);
		free(raw);
		return -1;
	}
	*prog = (struct skep_cbpf_insn *)raw;
	*len = n / sizeof(struct skep_cbpf_insn);
	return 0;
}

int cmd_seccomp(int argc, char **argv)
{
	struct seccomp_args a;
	struct skep_cbpf_insn *prog = NULL;
	size_t len = 0;
	char log[4096] = "", name[64];
	struct skep_cbpf_opts co = {.sz = sizeof(co), .mode = SKEP_CBPF_SECCOMP,
				    .log_buf = log, .log_size = sizeof(log)};
	struct skep_vm *vm = NULL;
	struct skep_cbpf_filter *f = NULL;
	uint32_t action;
	int rc = CLI_USAGE, err;

	if (seccomp_cli_parse(argc, argv, &a)) {
		seccomp_cli_usage(stderr);
		return CLI_USAGE;
	}
	if (seccomp_cli_resolve(&a) || seccomp_read_filter(a.filter, &prog, &len))
		goto out;
	co.exec = a.mode;
	vm = skep_vm_new();
	if (!vm)
		goto out;
	err = skep_cbpf_filter_new(vm, prog, len, &co, &f);
	if (!err)
		err = skep_cbpf_filter_seccomp(f, &a.sd, &action);
	if (err) {
		fprintf(stderr, "skep: %s: %s\n%s", a.filter,
			err == -EINVAL ? "not a valid seccomp filter" : strerror(-err), log);
		rc = CLI_NEGATIVE;
		goto out;
	}
	skep_seccomp_action_name(action, name, sizeof(name));
	if (a.json)
		printf("{\"action\": \"%s\", \"retval\": %" PRIu32 "}\n", name, action);
	else
		printf("%s\n", name);
	rc = CLI_OK;
out:
	skep_cbpf_filter_free(f);
	skep_vm_free(vm);
	free(prog);
	return rc;
}
