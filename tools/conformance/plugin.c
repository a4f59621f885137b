/* skep-conformance-plugin: runs one program the way the bpf_conformance
 * runner expects (../shared/conformance/FORMAT.md section 3).
 *
 *   skep-conformance-plugin [MEM] [--interp | --checked | --jit | --jit-checked] < program
 *
 * MEM and the program on stdin are base16 text; r1 points at a writable copy
 * of MEM, r2 holds its length; r0 is printed in hex. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skep/skep.h"

/* Parse whitespace-separated hex byte tokens. Returns the byte count or -1. */
static long plugin_parse_base16(const char *text, uint8_t **out)
{
	size_t cap = strlen(text) / 2 + 1, n = 0;
	uint8_t *buf = malloc(cap);
	const char *p = text;

	if (!buf)
		return -1;
	while (*p) {
		char *end;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		unsigned long v = strtoul(p, &end, 16);
		if (end == p || v > 0xff) {
			free(buf);
			return -1;
		}
		buf[n++] = (uint8_t)v;
		p = end;
	}
	*out = buf;
	return (long)n;
}

static char *plugin_read_stdin(void)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n - 1, stdin);
		n += got;
		if (got == 0)
			break;
		if (n + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

static int plugin_run(const uint8_t *code, long code_len, uint8_t *mem, long mem_len,
		      enum skep_exec_mode mode)
{
	char log[4096] = "";
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *prog = NULL;
	struct skep_run_result res;
	struct skep_region region = {mem, (size_t)mem_len, 1, "mem"};
	struct skep_run_opts ro = {
		.sz = sizeof(ro),
		.args = {(uint64_t)(uintptr_t)mem, (uint64_t)mem_len},
		.regions = &region,
		.nr_regions = mem ? 1 : 0,
		.packet = mem,
		.packet_len = (size_t)mem_len,
		.mode = mode,
		.log_buf = log,
		.log_size = sizeof(log),
	};
	int err;

	if (!vm)
		return fprintf(stderr, "out of memory\n"), 1;
	if (code_len % 8) {
		fprintf(stderr, "program is %ld bytes, not a whole number of 8-byte slots\n", code_len);
		skep_vm_free(vm);
		return 1;
	}
	err = skep_prog_load(vm, (const struct skep_insn *)code, (size_t)code_len / 8, &lo, &prog);
	if (!err)
		err = skep_prog_run(prog, &ro, &res);
	if (err)
		fprintf(stderr, "%s", log[0] ? log : strerror(-err));
	else
		printf("%" PRIx64 "\n", res.retval);
	skep_prog_free(prog);
	skep_vm_free(vm);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum skep_exec_mode mode = SKEP_EXEC_INTERP;
	uint8_t *mem = NULL, *code = NULL;
	long mem_len = 0, code_len;
	char *text;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--interp") == 0) {
			mode = SKEP_EXEC_INTERP;
		} else if (strcmp(argv[i], "--checked") == 0) {
			mode = SKEP_EXEC_CHECKED;
		} else if (strcmp(argv[i], "--jit") == 0) {
			mode = SKEP_EXEC_JIT;
		} else if (strcmp(argv[i], "--jit-checked") == 0) {
			mode = SKEP_EXEC_JIT_CHECKED;
		} else if (strcmp(argv[i], "--elf") == 0) {
			fprintf(stderr, "--elf: ELF input is not supported by this plugin yet\n");
			return 2;
		} else if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		} else if (i == 1) {
			mem_len = plugin_parse_base16(argv[i], &mem);
			if (mem_len < 0)
				return fprintf(stderr, "MEM is not base16 text\n"), 2;
		} else {
			fprintf(stderr, "unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	text = plugin_read_stdin();
	if (!text)
		return fprintf(stderr, "cannot read the program from stdin\n"), 2;
	code_len = plugin_parse_base16(text, &code);
	free(text);
	if (code_len < 0)
		return fprintf(stderr, "the program on stdin is not base16 text\n"), 2;
	rc = plugin_run(code, code_len, mem_len ? mem : NULL, mem_len, mode);
	free(code);
	free(mem);
	return rc;
}
