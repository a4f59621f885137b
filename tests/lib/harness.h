/* The test protocol: every test program prints one line per case,
 *   PASS name | FAIL name: why | SKIP name: why
 * and exits 0 when nothing failed (77 when everything was skipped).
 * tests/run.sh counts the lines into the summary `N passed, N failed, N skipped`. */
#ifndef SKEP_TESTS_HARNESS_H
#define SKEP_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct harness {
	int passed, failed, skipped;
};

void harness_pass(struct harness *h, const char *name);
void harness_fail(struct harness *h, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void harness_skip(struct harness *h, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pass or fail on a condition; returns it. */
int harness_check(struct harness *h, int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Exit status for the run: 1 if anything failed, 77 if all skipped, else 0. */
int harness_exit(const struct harness *h);

/* Run a shell command, collecting its stdout and stderr into out (always
 * NUL-terminated, cut at size); returns its exit code, -1 if it did not exit. */
int harness_run(const char *cmd, char *out, size_t size);
/* The same for `skep ARGS` (shell syntax) from $SKEP_BUILD (default build). */
int harness_skep(const char *args, char *out, size_t size);
/* PASS if `skep ARGS` exits with code and its output holds needle (NULL: anything). */
void harness_expect_skep(struct harness *h, const char *name, const char *args, int code,
			 const char *needle);

/* Whole file into a malloc'd buffer (NUL-terminated); NULL on error. */
char *harness_read_file(const char *path, size_t *len);

#endif
