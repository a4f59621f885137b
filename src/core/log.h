/* The caller-supplied diagnostic log.
 *
 * The library never prints: every stage writes its diagnostics here, the way
 * the kernel's verifier writes into the log buffer user space hands it.  A
 * log with no buffer swallows messages; a full one keeps the first ones.
 */
#ifndef SKEP_CORE_LOG_H
#define SKEP_CORE_LOG_H

#include <stddef.h>

struct skep_log {
	char *buf;
	size_t size;
	size_t len;
};

static inline struct skep_log log_init(char *buf, size_t size)
{
	struct skep_log l = {buf, size, 0};
	if (buf && size)
		buf[0] = '\0';
	return l;
}

/* Appends a formatted line (a newline is added when missing). */
void log_printf(struct skep_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
