/* skep disasm: print a program one instruction per line, in the kernel
 * verifier / llvm-objdump syntax or in the conformance dialect (whose output
 * `skep asm` reads back into the same bytes). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isa/isa.h"
#include "skep/object.h"

struct disasm_args {
	const char *prog;
	int conformance, raw, source, jited;
};

static void disasm_usage(FILE *f)
{
	fprintf(f, "usage: skep disasm PROG [--conformance] [--raw] [--source] [--jited]\n\n"
		   "Prints PROG (FILE.s assembly, FILE.bin raw instructions, or FILE.o[:NAME]:\n"
		   "a program of an ELF object, linked and relocated; FILE.o alone prints\n"
		   "every program), one instruction per line, in the kernel verifier /\n"
		   "llvm-objdump syntax:\n"
		   "   0: r0 = 1\n"
		   "  --conformance  the bpf_conformance assembly dialect, without indexes;\n"
		   "                 `skep asm` turns the output back into the same bytes\n"
		   "  --raw          also print each instruction's bytes\n"
		   "  --source       interleave C source lines from BTF line info (ELF\n"
		   "                 objects built with -g), as bpftool's `dump xlated linum`\n"
		   "  --jited        the x86-64 code skep's JIT makes, under each instruction\n"
		   "                 (with --raw, the bytes too), as bpftool's `dump jited`\n");
}

static int disasm_parse_args(int argc, char **argv, struct disasm_args *a)
{
	static const struct option opts[] = {
		{"conformance", no_argument, NULL, 'c'},
		{"raw", no_argument, NULL, 'r'},
		{"source", no_argument, NULL, 's'},
		{"jited", no_argument, NULL, 'j'},
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
		case 'j':
			a->jited = 1;
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

/* The source line that starts at instruction i, if one does and it is not
 * the line printed last (records for other columns of one line). */
static void disasm_source(const struct skep_object *obj, size_t prog, size_t i)
{
	static const char *last_file;
	static uint32_t last_line;
	struct skep_line_info li;

	if (i == 0)
		last_file = NULL;
	/* Records without a line (line 0) mark compiler-made code; skip them. */
	if (skep_object_prog_line(obj, prog, i, &li) || li.insn != i || !li.line_no)
		return;
	if (li.file == last_file && li.line_no == last_line)
		return;
	last_file = li.file;
	last_line = li.line_no;
	printf("; %s [file:%s line_num:%u line_col:%u]\n", li.line, li.file, li.line_no, li.col);
}

/* "name:" before each function of a linked program. */
static void disasm_func_label(const struct skep_object *obj, size_t prog, size_t i)
{
	const uint32_t *starts;
	const char *const *names;
	size_t n = skep_object_prog_funcs(obj, prog, &starts, &names);

	for (size_t k = 0; k < n; k++)
		if (starts[k] == i)
			printf("%s%s:\n", i ? "\n" : "", names[k]);
}

static void disasm_print(const struct disasm_args *a, const struct skep_insn *insns, size_t len,
			 const struct skep_object *obj, size_t prog)
{
	enum isa_syntax syntax = a->conformance ? ISA_SYNTAX_CONFORMANCE : ISA_SYNTAX_KERNEL;
	char text[256];
	int n;

	for (size_t i = 0; i < len; i += (size_t)n) {
		n = isa_disasm_insn((const struct bpf_insn *)&insns[i], len - i, i, syntax, text,
				    sizeof(text));
		if (obj && !a->conformance)
			disasm_func_label(obj, prog, i);
		if (obj && a->source)
			disasm_source(obj, prog, i);
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

/* FILE.o without a name: every program, one after the other. */
static int disasm_object(const struct disasm_args *a, struct skep_vm *vm)
{
	char log[8192] = "";
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log),
				      .btf_path = getenv("SKEP_BTF")};
	struct skep_object *obj;
	int err = skep_object_open_file(vm, a->prog, &oo, &obj);

	if (err) {
		fprintf(stderr, "skep: %s: cannot load the object:\n%s", a->prog, log);
		return CLI_USAGE;
	}
	for (size_t p = 0; p < skep_object_prog_count(obj); p++) {
		size_t len;
		const struct skep_insn *insns = skep_object_prog_insns(obj, p, &len);
		printf("%s%s:%s (section %s, type %s):\n", p ? "\n" : "", a->prog,
		       skep_object_prog_name(obj, p), skep_object_prog_section(obj, p),
		       cli_prog_type_name(skep_object_prog_type(obj, p)));
		disasm_print(a, insns, len, obj, p);
	}
	skep_object_free(obj);
	return 0;
}

/* --jited: one program, loaded with its maps so the code is the code that runs. */
static int disasm_jited(const struct disasm_args *a, struct skep_vm *vm)
{
	char log[4096] = "";
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	struct cli_program p;
	struct skep_prog *prog;
	int rc;

	if (cli_program_open(a->prog, vm, NULL, &p))
		return CLI_USAGE;
	if (cli_program_load(&p, &lo, &prog)) {
		fprintf(stderr, "skep: %s: program rejected:\n%s", a->prog, log);
		rc = CLI_NEGATIVE;
	} else {
		rc = cli_print_jited(prog, 0, a->raw);
	}
	cli_program_close(&p);
	return rc;
}

int cmd_disasm(int argc, char **argv)
{
	struct disasm_args a;
	struct cli_program p;
	struct skep_vm *vm;
	int rc = CLI_USAGE;

	if (disasm_parse_args(argc, argv, &a)) {
		disasm_usage(stderr);
		return CLI_USAGE;
	}
	if (a.source && !cli_has_suffix(a.prog, ".o") && !strstr(a.prog, ".o:")) {
		fprintf(stderr, "skep: --source needs an ELF object with BTF line info\n");
		return CLI_USAGE;
	}
	if (!(vm = skep_vm_new()))
		return CLI_USAGE;
	if (a.jited) {
		rc = disasm_jited(&a, vm);
	} else if (cli_has_suffix(a.prog, ".o")) {
		rc = disasm_object(&a, vm);
	} else if (!cli_program_open(a.prog, vm, NULL, &p)) {
		disasm_print(&a, p.insns, p.len, p.obj, p.prog_idx);
		cli_program_close(&p);
		rc = CLI_OK;
	}
	skep_vm_free(vm);
	if (rc == CLI_OK && fflush(stdout))
		rc = CLI_USAGE;
	return rc;
}
