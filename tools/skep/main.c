/* skep: the command line.  One file per subcommand; this one dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{"asm", cmd_asm, "assemble conformance-dialect assembly into raw instructions"},
	{"disasm", cmd_disasm, "print a program's instructions (kernel or conformance syntax)"},
	{"test-run", cmd_test_run, "run a program once or N times and print r0"},
	{"bench", cmd_bench, "time a program in skep's interpreter, JIT and the kernel's JIT"},
	{"map", cmd_map, "list, dump, look up and change maps pinned under the pin directory"},
	{"filter", cmd_filter, "tcpdump filter expressions on skep: print, convert, filter captures"},
	{"seccomp", cmd_seccomp, "run a seccomp filter on one system call and print the action"},
	{"xdp", cmd_xdp, "XDP programs over pcap captures (run) or live interfaces (attach)"},
	{"verify", cmd_verify, "check that a program is safe, as the kernel verifier; say why not"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: skep <command> [args]   (skep <command> --help for details)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "skep: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
