/* Appending to the caller's log buffer; truncates, never overflows. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void log_printf(struct skep_log *log, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!log || !log->buf || log->len + 1 >= log->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(log->buf + log->len, log->size - log->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log->len += (size_t)n;
	if (log->len >= log->size) {
		log->len = log->size - 1;
		return;
	}
	if (log->len && log->buf[log->len - 1] != '\n' && log->len + 1 < log->size) {
		log->buf[log->len++] = '\n';
		log->buf[log->len] = '\0';
	}
}
