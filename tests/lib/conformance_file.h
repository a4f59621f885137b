/* bpf_conformance test files and the plugin protocol, for the test programs.
 * See ../shared/conformance/FORMAT.md. */
#ifndef SKEP_TESTS_CONFORMANCE_FILE_H
#define SKEP_TESTS_CONFORMANCE_FILE_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_RAW 4096

struct conf_test {
	char *asm_text; /* the -- asm section, lines joined */
	size_t asm_len;
	int has_raw, has_result, has_error;
	uint64_t raw[CONF_MAX_RAW];
	size_t raw_len;
	uint8_t mem[65536];
	size_t mem_len;
	uint64_t result;
};

/* Parse a .data file's text. -EINVAL for an unknown section header. */
int conf_parse(const char *text, struct conf_test *t);
void conf_free(struct conf_test *t);

/* Run `plugin [MEM] options...` with the program on stdin (base16), as the
 * reference runner does; out gets stdout+stderr, *status the wait status. */
int conf_run_plugin(const char *plugin, char *const *options, const struct conf_test *t,
		    const uint8_t *prog, size_t prog_len, char *out, size_t out_size, int *status);

#endif
