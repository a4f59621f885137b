/* Reading programs and files for the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/log.h"
#include "isa/isa.h"

int cli_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "skep: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *bigger = realloc(buf, cap ? cap * 2 : 4096);
			if (!bigger)
				break;
			buf = bigger;
			cap = cap ? cap * 2 : 4096;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f) || !buf) {
		fprintf(stderr, "skep: cannot read %s\n", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int cli_read_asm(const char *path, struct skep_insn **insns, size_t *len)
{
	char log_buf[4096];
	struct skep_log log = log_init(log_buf, sizeof(log_buf));
	size_t n;
	uint8_t *text = cli_read_file(path, &n);
	char *z;
	int err;

	if (!text)
		return CLI_USAGE;
	z = realloc(text, n + 1);
	if (!z) {
		free(text);
		return CLI_USAGE;
	}
	z[n] = '\0';
	err = isa_assemble(z, (struct bpf_insn **)insns, len, &log);
	free(z);
	if (err) {
		fprintf(stderr, "skep: %s: %s", path, log_buf);
		return CLI_USAGE;
	}
	return 0;
}

int cli_read_program(const char *path, struct skep_insn **insns, size_t *len)
{
	size_t n;
	uint8_t *raw;

	if (cli_has_suffix(path, ".s") || cli_has_suffix(path, ".asm"))
		return cli_read_asm(path, insns, len);
	if (cli_has_suffix(path, ".o")) {
		fprintf(stderr, "skep: %s: ELF objects are not supported yet\n", path);
		return CLI_USAGE;
	}
	raw = cli_read_file(path, &n);
	if (!raw)
		return CLI_USAGE;
	if (n % sizeof(struct skep_insn)) {
		fprintf(stderr, "skep: %s: %zu bytes is not a whole number of 8-byte instructions "
				"(%zu stray bytes at offset %zu)\n",
			path, n, n % 8, n - n % 8);
		free(raw);
		return CLI_USAGE;
	}
	*insns = (struct skep_insn *)raw;
	*len = n / sizeof(struct skep_insn);
	return 0;
}

char *cli_hex(const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(len * 2 + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[data[i] >> 4];
		s[2 * i + 1] = digits[data[i] & 15];
	}
	s[len * 2] = '\0';
	return s;
}
