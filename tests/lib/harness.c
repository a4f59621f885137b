/* The PASS/FAIL/SKIP line protocol shared by every test program. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void harness_line(const char *tag, const char *name, const char *fmt, va_list ap)
{
	printf("%s %s", tag, name);
	if (fmt) {
		printf(": ");
		vprintf(fmt, ap);
	}
	printf("\n");
	fflush(stdout);
}

void harness_pass(struct harness *h, const char *name)
{
	va_list ap = {0};
	h->passed++;
	harness_line("PASS", name, NULL, ap);
}

void harness_fail(struct harness *h, const char *name, const char *fmt, ...)
{
	va_list ap;
	h->failed++;
	va_start(ap, fmt);
	harness_line("FAIL", name, fmt, ap);
	va_end(ap);
}

void harness_skip(struct harness *h, const char *name, const char *fmt, ...)
{
	va_list ap;
	h->skipped++;
	va_start(ap, fmt);
	harness_line("SKIP", name, fmt, ap);
	va_end(ap);
}

int harness_check(struct harness *h, int ok, const char *name, const char *fmt, ...)
{
	va_list ap;
	if (ok) {
		harness_pass(h, name);
		return 1;
	}
	h->failed++;
	va_start(ap, fmt);
	harness_line("FAIL", name, fmt, ap);
	va_end(ap);
	return 0;
}

int harness_exit(const struct harness *h)
{
	if (h->failed)
		return 1;
	if (!h->passed && h->skipped)
		return 77;
	return 0;
}

char *harness_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

int harness_run(const char *cmd, char *out, size_t size)
{
	size_t n = 0;
	FILE *p = popen(cmd, "r");
	int status;

	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, (int)(size - n), p))
		n += strlen(out + n);
	if (size)
		out[n] = '\0';
	/* drain what did not fit, so the command is not killed by SIGPIPE */
	for (char sink[256]; fgets(sink, sizeof(sink), p);)
		;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int harness_skep(const char *args, char *out, size_t size)
{
	const char *build = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	size_t len = strlen(build) + strlen(args) + 32;
	char *cmd = malloc(len);
	int rc;

	if (!cmd)
		return -1;
	snprintf(cmd, len, "%s/skep %s 2>&1", build, args);
	rc = harness_run(cmd, out, size);
	free(cmd);
	return rc;
}

void harness_expect_skep(struct harness *h, const char *name, const char *args, int code,
			 const char *needle)
{
	char out[16384];
	int rc = harness_skep(args, out, sizeof(out));

	harness_check(h, rc == code && (!needle || strstr(out, needle)), name,
		      "exit %d (want %d), output lacks \"%s\":\n%s", rc, code, needle ? needle : "",
		      out);
}
