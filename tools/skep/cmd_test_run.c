/* skep test-run: run a program as BPF_PROG_TEST_RUN would, print r0, the time
 * per run and the memory as the program left it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>

#include "cli.h"
#include "skep/verifier.h"

struct test_run_args {
	/* PROG, --mem, --rodata; packet programs (cli_pkt.c): --type, --data,
	 * --pcap, --ctx */
	struct cli_run_spec run;
	unsigned long repeat;
	enum skep_exec_mode mode;
	uint64_t budget;
	int json;
	struct cli_maps maps; /* --map, --dump-maps */
	int kernel;           /* --kernel */
};

static void test_run_usage(FILE *f)
{
	fprintf(f,
		"usage: skep test-run PROG [--mem FILE] [--repeat N]\n"
		"                      [--interp | --checked | --jit | --jit-checked]\n"
		"                      [--budget N] [--map SPEC]... [--rodata NAME=VALUE]...\n"
		"                      [--dump-maps] [--json]\n"
		"       skep test-run PROG [--type T] --data FILE | --pcap FILE [--ctx FILE]\n"
		"                      [--repeat N] [--interp | ...] [--kernel] [--dump-maps] [--json]\n\n"
		"Runs PROG (FILE.s assembly, FILE.bin raw instructions, or FILE.o[:NAME], a\n"
		"program of an ELF object by function or section name) with r1 pointing at\n"
		"a writable copy of --mem and r2 holding its length, and prints r0.\n"
		"  --mem FILE    input memory (bytes of FILE); data_out is it after the run\n"
		"  --repeat N    run N times and report the mean time per run\n"
		"  --interp      the interpreter without runtime checks (default)\n"
		"  --checked     the interpreter checking every memory access and counting\n"
		"                instructions: faults name the instruction, address and region\n"
		"  --jit         native x86-64 code (compiled on the first run)\n"
		"  --jit-checked native code with the checks of --checked (the budget is\n"
		"                counted per basic block)\n"
		"  --budget N    instruction budget of a checked run (default %llu)\n"
		"  --map SPEC    a map the program refers to as lddw map index 0, 1, ... in\n"
		"                order: a pinned map's NAME, or TYPE:KEY_SIZE:VALUE_SIZE:MAX[:NAME]\n"
		"                for a new one (TYPE as `skep map create` takes it)\n"
		"  --rodata NAME=VALUE  set a const volatile global of an object's .rodata\n"
		"                before loading (VALUE as hex bytes or u32:N, u64:N...)\n"
		"  --dump-maps   print every map's contents after the run\n"
		"  --json        one JSON object: retval, runs, ns_per_run, data_out (and maps)\n"
		"Packet programs (XDP, tc, socket filters; the type from the object's\n"
		"section or --type) run as BPF_PROG_TEST_RUN runs them:\n"
		"  --type T      program type (xdp, tc, socket_filter...) of a .s/.bin program\n"
		"  --data FILE   the packet (an Ethernet frame); data_out is it after the run\n"
		"  --pcap FILE   every packet of a capture, one line each (JSON: \"packets\")\n"
		"  --ctx FILE    the context in: a struct xdp_md or struct __sk_buff\n"
		"  --kernel      also run it in the Linux kernel (BPF_PROG_TEST_RUN): JSON gains\n"
		"                \"kernel\": {...}; exit status 1 when the two disagree\n",
		(unsigned long long)SKEP_DEFAULT_INSN_BUDGET);
}

static int test_run_parse(int argc, char **argv, struct test_run_args *a)
{
	static const struct option opts[] = {
		CLI_RUN_OPTIONS,
		{"repeat", required_argument, NULL, 'r'},
		{"interp", no_argument, NULL, 'i'},      {"checked", no_argument, NULL, 'c'},
		{"budget", required_argument, NULL, 'b'}, {"json", no_argument, NULL, 'j'},
		{"jit", no_argument, NULL, 'J'},         {"jit-checked", no_argument, NULL, 'C'},
		{"map", required_argument, NULL, 'M'},   {"dump-maps", no_argument, NULL, 'D'},
		{"kernel", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*a = (struct test_run_args){.repeat = 1, .mode = SKEP_EXEC_INTERP};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->repeat = strtoul(optarg, &end, 0);
			if (*end || a->repeat == 0)
				return fprintf(stderr, "skep: --repeat wants a positive number\n"), -1;
			break;
		case 'i':
			a->mode = SKEP_EXEC_INTERP;
			break;
		case 'c':
			a->mode = SKEP_EXEC_CHECKED;
			break;
		case 'J':
			a->mode = SKEP_EXEC_JIT;
			break;
		case 'C':
			a->mode = SKEP_EXEC_JIT_CHECKED;
			break;
		case 'b':
			a->budget = strtoull(optarg, &end, 0);
			if (*end)
				return fprintf(stderr, "skep: --budget wants a number\n"), -1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'M':
			if (cli_maps_add(&a->maps, optarg))
				return -1;
			break;
		case 'D':
			a->maps.dump = 1;
			break;
		case 'K':
			a->kernel = 1;
			break;
		case 'h':
			test_run_usage(stdout);
			exit(0);
		default:
			/* --mem, --rodata, --type, --data, --pcap, --ctx */
			if (cli_run_option(&a->run, c, optarg) <= 0)
				return -1;
		}
	}
	if (optind + 1 != argc)
		return fprintf(stderr, "skep: test-run takes one program\n"), -1;
	a->run.prog = argv[optind];
	return 0;
}

static double test_run_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void test_run_print(const struct test_run_args *a, const struct cli_program *p,
			   const struct skep_run_result *res, double ns, const uint8_t *mem,
			   size_t mem_len)
{
	char *hex = cli_hex(mem ? mem : (const uint8_t *)"", mem_len);

	if (a->json)
		printf("{\"retval\": %" PRIu64 ", \"runs\": %lu, \"ns_per_run\": %.1f, "
		       "\"data_out\": \"%s\"",
		       res->retval, a->repeat, ns, hex ? hex : "");
	else
		printf("retval: %" PRIu64 " (0x%" PRIx64 ")\nruns: %lu\nns/run: %.1f\n%s%s%s",
		       res->retval, res->retval, a->repeat, ns, mem_len ? "data_out: " : "",
		       mem_len ? hex : "", mem_len ? "\n" : "");
	if (a->maps.dump)
		cli_program_print_maps(p, a->json);
	if (a->json)
		printf("}\n");
	free(hex);
}

static int test_run_exec(const struct test_run_args *a, const struct cli_program *p,
			 struct skep_prog *prog, uint8_t *mem, size_t mem_len)
{
	char log[4096] = "";
	struct skep_region region;
	struct skep_run_opts ro;
	struct skep_run_result res;
	double t0;

	cli_mem_run_opts(&ro, &region, mem, mem_len, a->mode, a->budget, log, sizeof(log));
	t0 = test_run_now_ns();

	for (unsigned long i = 0; i < a->repeat; i++) {
		int err = skep_prog_run(prog, &ro, &res);
		if (err) {
			fprintf(stderr, "skep: run failed: %s", log[0] ? log : strerror(-err));
			return CLI_NEGATIVE;
		}
	}
	test_run_print(a, p, &res, (test_run_now_ns() - t0) / a->repeat, mem, mem_len);
	return CLI_OK;
}

int cmd_test_run(int argc, char **argv)
{
	struct test_run_args a;
	struct cli_run r = {0};
	size_t mem_len = 0;
	uint8_t *mem = NULL;
	struct skep_vm *vm = NULL;
	char log[4096] = "";
	int rc = CLI_USAGE, err;

	if (test_run_parse(argc, argv, &a)) {
		test_run_usage(stderr);
		return CLI_USAGE;
	}
	if (a.run.mem && !(mem = cli_read_file(a.run.mem, &mem_len)))
		goto out;
	vm = skep_vm_new();
	if (!vm)
		goto out;
	skep_vm_set_trace(vm, cli_trace_line, NULL);
	if ((rc = cli_run_open(&a.run, vm, &a.maps, &r)))
		goto out;
	rc = CLI_USAGE;
	if (cli_run_kind(&a.run, &r))
		goto out;
	a.mode = cli_program_safe_mode(&r.p, r.packets ? r.type : BPF_PROG_TYPE_UNSPEC,
				       r.packets ? 0 : mem_len ? mem_len : SKEP_VERIFY_NO_MEM, a.mode);
	/* Compile now, so that ns_per_run times runs, not the JIT (as the
	 * kernel's test run times a program compiled at load). */
	if ((a.mode == SKEP_EXEC_JIT || a.mode == SKEP_EXEC_JIT_CHECKED) &&
	    (err = skep_prog_jited(r.prog, a.mode == SKEP_EXEC_JIT_CHECKED, &(struct skep_jited){0},
				   log, sizeof(log)))) {
		fprintf(stderr, "skep: %s: the JIT cannot compile it: %s\n", a.run.prog, log);
		rc = CLI_NEGATIVE;
		goto out;
	}
	if (r.packets) {
		struct cli_pkt_run pr = {
			.spec = a.run.prog, .data = a.run.data, .pcap = a.run.pcap, .ctx = a.run.ctx,
			.type = r.type, .repeat = a.repeat, .mode = a.mode, .json = a.json,
			.kernel = a.kernel, .dump_maps = a.maps.dump,
		};
		rc = cli_test_run_packets(&pr, &r.p, r.prog);
		goto out;
	}
	if (a.kernel) {
		fprintf(stderr, "skep: --kernel needs a packet program (--data or --pcap)\n");
		goto out;
	}
	rc = test_run_exec(&a, &r.p, r.prog, mem_len ? mem : NULL, mem_len);
out:
	cli_run_close(&r);
	cli_maps_free(&a.maps);
	skep_vm_free(vm);
	free(mem);
	return rc;
}
