/* The bpf_conformance suite through skep-conformance-plugin, as the reference
 * runner drives it: once per file in each engine (the interpreter, the checked
 * interpreter, the JIT and the checked JIT), or only with the plugin options
 * given on the command line (e.g. `test_conformance --jit`).  One PASS/FAIL
 * line per file and mode.
 *
 * Env: CONFORMANCE_DIR (default ../shared/conformance/tests), SKEP_BUILD. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../lib/conformance_file.h"
#include "../lib/harness.h"
#include "core/log.h"
#include "isa/isa.h"

static int conf_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The program bytes of a test: raw section if present, else the assembled asm. */
static int conf_program(const struct conf_test *t, uint8_t **prog, size_t *len, char *why,
			size_t why_size)
{
	struct skep_log log = log_init(why, why_size);
	struct bpf_insn *insns;
	size_t n;

	if (t->has_raw) {
		*prog = malloc(t->raw_len * 8 + 1);
		if (!*prog)
			return -1;
		for (size_t i = 0; i < t->raw_len; i++)
			for (int b = 0; b < 8; b++)
				(*prog)[i * 8 + b] = (uint8_t)(t->raw[i] >> (8 * b));
		*len = t->raw_len * 8;
		return 0;
	}
	if (!t->asm_text || isa_assemble(t->asm_text, &insns, &n, &log))
		return -1;
	*prog = (uint8_t *)insns;
	*len = n * 8;
	return 0;
}

static void conf_run_one(struct harness *h, const char *plugin, char **opts, const char *dir,
			 const char *file, const char *mode)
{
	char path[4096], name[512], out[4096], why[1024] = "";
	struct conf_test *t = calloc(1, sizeof(*t));
	char *text;
	uint8_t *prog = NULL;
	size_t len;
	int status = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "%s[%s]", file, mode);
	text = harness_read_file(path, NULL);
	if (!t || !text || conf_parse(text, t)) {
		harness_fail(h, name, "cannot read or parse %s", path);
	} else if (!t->has_result && !t->has_error) {
		harness_skip(h, name, "no result section");
	} else if (conf_program(t, &prog, &len, why, sizeof(why))) {
		why[strcspn(why, "\n")] = '\0';
		harness_fail(h, name, "does not assemble: %s", why);
	} else if (conf_run_plugin(plugin, opts, t, prog, len, out, sizeof(out), &status)) {
		harness_fail(h, name, "plugin timed out or could not start");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		out[strcspn(out, "\n")] = '\0';
		harness_fail(h, name, "plugin failed (status %d): %s", status, out);
	} else {
		uint64_t got = strtoull(out, NULL, 16);
		harness_check(h, got == t->result, name, "r0 = 0x%" PRIx64 ", expected 0x%" PRIx64,
			      got, t->result);
	}
	free(prog);
	free(text);
	if (t)
		conf_free(t);
	free(t);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("CONFORMANCE_DIR") ? getenv("CONFORMANCE_DIR")
						     : "../shared/conformance/tests";
	const char *build = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	char plugin[1024];
	char *files[2048];
	size_t nfiles = 0;
	struct harness h = {0};
	struct dirent *e;
	DIR *d = opendir(dir);

	snprintf(plugin, sizeof(plugin), "%s/skep-conformance-plugin", build);
	if (!d) {
		harness_skip(&h, "conformance", "no test folder at %s (set CONFORMANCE_DIR)", dir);
		return harness_exit(&h);
	}
	while ((e = readdir(d)) && nfiles < 2048)
		if (strstr(e->d_name, ".data"))
			files[nfiles++] = strdup(e->d_name);
	closedir(d);
	qsort(files, nfiles, sizeof(files[0]), conf_cmp);

	/* Extra options on our command line select one mode (e.g. --jit). */
	char *modes[][2] = {{"--interp", NULL}, {"--checked", NULL}, {"--jit", NULL},
			    {"--jit-checked", NULL}};
	for (size_t i = 0; i < nfiles; i++) {
		if (argc > 1) {
			conf_run_one(&h, plugin, argv + 1, dir, files[i], argv[1] + 2);
		} else {
			for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
				conf_run_one(&h, plugin, modes[m], dir, files[i], modes[m][0] + 2);
		}
		free(files[i]);
	}
	fprintf(stderr, "conformance: %d passed, %d failed of %zu files\n", h.passed, h.failed,
		nfiles);
	return harness_exit(&h);
}
