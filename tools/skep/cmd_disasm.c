/* skep disasm: print a program one instruction per line, in the kernel
 * verifier / llvm-objdump syntax or in the conformance dialect (whose output
 * `skep asm` reads back into the same bytes). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "isa/isa.h"

struct disasm_args {
	const char *prog;
	int conformance, raw, source;
};

static void disasm_usage(FILE *f)
{
	fprintf(f, "usage: skep disasm PROG [--conformance] [--raw] [--source]\n\n"
		   "Prints PROG (FILE.s assembly or FILE.bin raw instructions), one\n"
		   "instruction per line, in the kernel verifier / llvm-objdump syntax:\n"
		   "   0: r0 = 1\n"
		   "  --conformance  the bpf_conformance assembly dialect, without indexes;\n"
		   "                 `skep asm` turns the output back into the same bytes\n"
		   "  --raw          also print each instruction's bytes\n"
		   "  --source       interleave source lines (needs an ELF object with BTF)\n");
}

static int disasm_parse_args(int argc, char **argv, struct disasm_args *a)
{
	static const struct option opts[] = {
		{"conformance", no_argument, NULL, 'c'},
		{"raw", no_argument, NULL, 'r'},
		{"source", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*a = (struct disasm_args){0};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->conformance = 1;
			break;
		case 'r':
			a->raw = 1;
			break;
		case 's':
			a->source = 1;
			break;
		case 'h':
			disasm_usage(stdout);
			exit(CLI_OK);
		default:
			return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "skep: disasm takes one program\n");
		return -1;
	}
	a->prog = argv[optind];
	return 0;
}

static void disasm_bytes(const struct skep_insn *insns, int slots)
{
	const uint8_t *b = (const uint8_t *)insns;

	for (int i = 0; i < 8 * slots; i++)
		printf("%s%02x", i ? " " : "", b[i]);
}

static void disasm_print(const struct disasm_args *a, const struct skep_insn *insns, size_t len)
{
	enum isa_syntax syntax = a->conformance ? ISA_SYNTAX_CONFORMANCE : ISA_SYNTAX_KERNEL;
	char text[256];
	int n;

	for (size_t i = 0; i < len; i += (size_t)n) {
		n = isa_disasm_insn((const struct bpf_insn *)&insns[i], len - i, i, syntax, text,
				    sizeof(text));
		if (a->conformance) {
			printf("%s", text);
			/* The bytes go into a comment so the output still assembles. */
			if (a->raw) {
				printf("  # ");
				disasm_bytes(&insns[i], n);
			}
		} else {
			printf("%4zu: ", i);
			if (a->raw) {
				disasm_bytes(&insns[i], n);
				printf("  ");
			}
			printf("%s", text);
		}
		printf("\n");
	}
}

int cmd_disasm(int argc, char **argv)
{
	struct disasm_args a;
	struct skep_insn *insns = NULL;
	size_t len = 0;

	if (disasm_parse_args(argc, argv, &a)) {
		disasm_usage(stderr);
		return CLI_USAGE;
	}
	if (a.source) {
		fprintf(stderr, "skep: --source needs an ELF object with BTF line info\n");
		return CLI_USAGE;
	}
	if (cli_read_program(a.prog, &insns, &len))
		return CLI_USAGE;
	disasm_print(&a, insns, len);
	free(insns);
	return fflush(stdout) ? CLI_USAGE : CLI_OK;
}
