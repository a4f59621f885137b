/* Every bpf_conformance test program goes asm -> bytes -> conformance
 * disassembly -> asm -> bytes and must come back identical; its kernel-syntax
 * disassembly must name every instruction; and lddw.data's bytes must equal
 * its `-- raw` section.  One PASS/FAIL line per .data file.
 *
 * The files live outside the repository: $CONFORMANCE_DIR, by default
 * ../shared/conformance/tests from the repository root (also tried relative
 * to this binary, build/tests/isa/, so the test runs from any directory).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "core/log.h"
#include "isa/isa.h"

#define MAX_RAW 4096

enum section { SEC_NONE, SEC_ASM, SEC_RAW, SEC_OTHER };

struct data_file {
	char *asm_text; /* the -- asm lines, comments removed */
	size_t asm_len;
	uint64_t raw[MAX_RAW];
	size_t raw_len;
	int has_raw;
};

/* FORMAT.md §1: the kind of a header line, by substring, in this order. */
static int header_kind(const char *line, enum section *sec)
{
	static const struct {
		const char *needle;
		enum section sec;
	} kinds[] = {
		{"asm", SEC_ASM},
		{"result", SEC_OTHER},
		{"mem", SEC_OTHER},
		{"raw", SEC_RAW},
		{"no register offset", SEC_OTHER},
		{" c", SEC_OTHER},
		{"error", SEC_OTHER},
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strstr(line, kinds[i].needle)) {
			*sec = kinds[i].sec;
			return 0;
		}
	}
	return -1;
}

static void add_raw(struct data_file *d, char *line)
{
	for (char *tok = strtok(line, " \t\r"); tok && d->raw_len < MAX_RAW;
	     tok = strtok(NULL, " \t\r"))
		d->raw[d->raw_len++] = strtoull(tok, NULL, strstr(tok, "0x") ? 16 : 10);
}

/* Splits a .data file into its asm text and raw slots; -1 for an unknown
 * header (the reference runner skips such files). */
static int parse_data(char *text, struct data_file *d)
{
	enum section sec = SEC_NONE;
	char *line, *next;

	memset(d, 0, sizeof(*d));
	d->asm_text = calloc(1, strlen(text) + 1);
	if (!d->asm_text)
		return -1;
	for (line = text; line; line = next) {
		size_t len;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strstr(line, "--")) {
			if (header_kind(line, &sec))
				return -1;
			d->has_raw |= sec == SEC_RAW;
		} else if (sec == SEC_ASM) {
			memcpy(d->asm_text + d->asm_len, line, len);
			d->asm_len += len;
			d->asm_text[d->asm_len++] = '\n';
		} else if (sec == SEC_RAW) {
			add_raw(d, line);
		}
	}
	return 0;
}

static int assemble(const char *text, struct bpf_insn **out, size_t *len, char *log, size_t size)
{
	struct skep_log l = log_init(log, size);
	return isa_assemble(text, out, len, &l);
}

/* The conformance disassembly of a whole program, one line per instruction. */
static char *disasm_all(const struct bpf_insn *insns, size_t len, char *why, size_t why_size)
{
	char *out, line[256];
	/* Room for every line at its longest, so the appends never cut. */
	size_t cap = len * (sizeof(line) + 1) + 1, pos = 0;

	out = malloc(cap);
	for (size_t i = 0; out && i < len;) {
		int used = isa_disasm_insn(&insns[i], len - i, i, ISA_SYNTAX_CONFORMANCE, line,
					   sizeof(line));
		if (!strncmp(line, ".insn", 5) && !why[0])
			snprintf(why, why_size, "slot %zu is not a known instruction: %s", i, line);
		pos += (size_t)snprintf(out + pos, cap - pos, "%s\n", line);
		i += (size_t)used;
	}
	return out;
}

static int kernel_text_ok(const struct bpf_insn *insns, size_t len, char *why, size_t why_size)
{
	char line[256];

	for (size_t i = 0; i < len;) {
		int used = isa_disasm_insn(&insns[i], len - i, i, ISA_SYNTAX_KERNEL, line,
					   sizeof(line));
		if (!line[0] || !strncmp(line, ".insn", 5)) {
			snprintf(why, why_size, "kernel syntax of slot %zu is '%s'", i, line);
			return 0;
		}
		i += (size_t)used;
	}
	return 1;
}

static int raw_matches(const struct data_file *d, const struct bpf_insn *insns, size_t len)
{
	if (d->raw_len != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t b[8];
		for (int k = 0; k < 8; k++)
			b[k] = (uint8_t)(d->raw[i] >> (8 * k));
		if (memcmp(b, &insns[i], 8))
			return 0;
	}
	return 1;
}

static void check_program(struct harness *h, const char *name, const struct data_file *d)
{
	struct bpf_insn *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	char log[1024], why[2048] = "", *text = NULL;

	if (assemble(d->asm_text, &a, &alen, log, sizeof(log))) {
		harness_fail(h, name, "does not assemble: %s", log);
		return;
	}
	text = disasm_all(a, alen, why, sizeof(why));
	if (!text)
		snprintf(why, sizeof(why), "out of memory");
	else if (!why[0] && assemble(text, &b, &blen, log, sizeof(log)))
		snprintf(why, sizeof(why), "disassembly does not assemble: %s", log);
	else if (!why[0] && (alen != blen || memcmp(a, b, alen * sizeof(*a))))
		snprintf(why, sizeof(why), "disassembly assembles to other bytes:\n%s", text);
	else if (!why[0])
		kernel_text_ok(a, alen, why, sizeof(why));
	if (!why[0] && d->has_raw && !raw_matches(d, a, alen))
		snprintf(why, sizeof(why), "asm section differs from the raw section");
	if (why[0])
		harness_fail(h, name, "%s", why);
	else
		harness_pass(h, name);
	free(text);
	free(a);
	free(b);
}

static void check_file(struct harness *h, const char *dir, const char *file)
{
	size_t size = strlen(dir) + strlen(file) + 2;
	char *path = malloc(size), name[300], *text = NULL;
	struct data_file *d = malloc(sizeof(*d));

	snprintf(name, sizeof(name), "roundtrip_%.*s", (int)(strlen(file) - 5), file);
	if (path) {
		snprintf(path, size, "%s/%s", dir, file);
		text = harness_read_file(path, NULL);
	}
	if (!text || !d) {
		harness_fail(h, name, "cannot read %s/%s", dir, file);
	} else if (parse_data(text, d)) {
		harness_skip(h, name, "unknown section header (the reference runner skips it)");
	} else {
		check_program(h, name, d);
	}
	if (d)
		free(d->asm_text);
	free(d);
	free(text);
	free(path);
}

static int is_data_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 5 && !strcmp(e->d_name + n - 5, ".data");
}

/* $CONFORMANCE_DIR, or the default relative to the repository root, which is
 * three levels above this binary when the working directory is elsewhere. */
static const char *find_dir(char *buf, size_t size)
{
	const char *dir = getenv("CONFORMANCE_DIR");
	char exe[PATH_MAX];
	ssize_t n;
	DIR *d;

	if (!dir || !*dir)
		dir = "../shared/conformance/tests";
	d = opendir(dir);
	if (d) {
		closedir(d);
		return dir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (dir[0] == '/' || n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
	}
	if (strlen(exe) + strlen(dir) + 2 > size)
		return NULL;
	strcat(strcat(strcpy(buf, exe), "/"), dir);
	d = opendir(buf);
	if (!d)
		return NULL;
	closedir(d);
	return buf;
}

int main(void)
{
	struct harness h = {0};
	char buf[PATH_MAX];
	const char *dir = find_dir(buf, sizeof(buf));
	struct dirent **list;
	int n;

	if (!dir) {
		harness_skip(&h, "roundtrip", "no conformance directory (set CONFORMANCE_DIR)");
		return 77;
	}
	n = scandir(dir, &list, is_data_file, alphasort);
	if (n <= 0) {
		harness_skip(&h, "roundtrip", "no .data files in %s", dir);
		return 77;
	}
	for (int i = 0; i < n; i++) {
		check_file(&h, dir, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return harness_exit(&h);
}
