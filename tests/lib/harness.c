/* The PASS/FAIL/SKIP line protocol shared by every test program. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

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
