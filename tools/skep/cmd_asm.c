/* skep asm: assemble a conformance-dialect source file into raw instruction
 * slots (the `.bin` form every other subcommand reads). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/log.h"
#include "isa/isa.h"

static void asm_usage(FILE *f)
{
	fprintf(f, "usage: skep asm FILE.s [-o FILE.bin]\n\n"
		   "Assembles FILE.s (the bpf_conformance assembly dialect) into raw 8-byte\n"
		   "instruction slots.  Without -o the bytes go to stdout when it is not a\n"
		   "terminal, else to FILE.bin next to the input.\n"
		   "  -o, --output FILE   write the instructions to FILE ('-' for stdout)\n");
}

/* dir/prog.s -> dir/prog.bin; a name without extension gets .bin appended. */
static char *asm_default_output(const char *in)
{
	const char *slash = strrchr(in, '/');
	const char *dot = strrchr(in, '.');
	size_t stem = dot && dot > (slash ? slash : in) ? (size_t)(dot - in) : strlen(in);
	char *out = malloc(stem + sizeof(".bin"));

	if (!out)
		return NULL;
	memcpy(out, in, stem);
	strcpy(out + stem, ".bin");
	return out;
}

/* The source as a C string; NUL bytes inside would silently end it early. */
static char *asm_read_source(const char *path)
{
	size_t n;
	uint8_t *data = cli_read_file(path, &n);
	char *text;

	if (!data)
		return NULL;
	if (memchr(data, '\0', n)) {
		fprintf(stderr, "skep: %s: contains a NUL byte; not an assembly source\n", path);
		free(data);
		return NULL;
	}
	text = realloc(data, n + 1);
	if (!text) {
		free(data);
		fprintf(stderr, "skep: out of memory\n");
		return NULL;
	}
	text[n] = '\0';
	return text;
}

/* Prints each "line N: ..." of the log as "skep: FILE: line N: ...". */
static void asm_print_log(const char *path, const char *log)
{
	while (*log) {
		const char *nl = strchr(log, '\n');
		int len = nl ? (int)(nl - log) : (int)strlen(log);
		fprintf(stderr, "skep: %s: %.*s\n", path, len, log);
		log += len + (nl != NULL);
	}
}

static int asm_write(const char *path, const struct bpf_insn *insns, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	int bad;

	if (!f) {
		fprintf(stderr, "skep: cannot create %s: %s\n", path, strerror(errno));
		return CLI_USAGE;
	}
	bad = len && fwrite(insns, sizeof(*insns), len, f) != len;
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "skep: cannot write %s: %s\n", path, strerror(errno));
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int asm_parse_args(int argc, char **argv, const char **in, const char **out)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*out = NULL;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			*out = optarg;
			break;
		case 'h':
			asm_usage(stdout);
			exit(CLI_OK);
		default:
			return -1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "skep: asm takes one source file\n");
		return -1;
	}
	*in = argv[optind];
	return 0;
}

int cmd_asm(int argc, char **argv)
{
	char log_buf[8192];
	struct skep_log log = log_init(log_buf, sizeof(log_buf));
	const char *in, *out;
	char *text, *def_out = NULL;
	struct bpf_insn *insns = NULL;
	size_t len = 0;
	int rc;

	if (asm_parse_args(argc, argv, &in, &out)) {
		asm_usage(stderr);
		return CLI_USAGE;
	}
	text = asm_read_source(in);
	if (!text)
		return CLI_USAGE;
	rc = isa_assemble(text, &insns, &len, &log);
	free(text);
	if (rc) {
		asm_print_log(in, log_buf);
		return CLI_USAGE;
	}
	if (!out)
		out = isatty(STDOUT_FILENO) ? (def_out = asm_default_output(in)) : "-";
	if (!out) {
		fprintf(stderr, "skep: out of memory\n");
		rc = CLI_USAGE;
	} else if (!strcmp(out, in)) {
		fprintf(stderr, "skep: refusing to overwrite the source %s; use -o\n", in);
		rc = CLI_USAGE;
	} else {
		rc = asm_write(out, insns, len);
		if (!rc && def_out)
			fprintf(stderr, "skep: wrote %s (%zu instructions)\n", out, len);
	}
	free(def_out);
	free(insns);
	return rc;
}
