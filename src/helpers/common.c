/* What every helper needs in a checked run: checking the pointers a program
 * hands it, stopping the run when one is bad, and reading memory that may
 * not be mapped without faulting. */
#define _GNU_SOURCE /* process_vm_readv */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "helpers/helpers.h"
#include "maps/map_run.h"

uint64_t helper_abort(struct skep_call_ctx *cx, int err, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cx->log)
		log_printf(cx->log, "%s", line);
	cx->pending = CALLCTX_ABORT;
	cx->abort_err = err;
	return 0;
}

static int helper_region_ok(const struct skep_call_ctx *cx, uint64_t a, uint64_t n, int w)
{
	for (size_t i = 0; i < cx->nr_regions; i++) {
		const struct skep_region *r = &cx->regions[i];
		uint64_t lo = (uint64_t)(uintptr_t)r->addr;
		if (a >= lo && a - lo <= r->size && r->size - (a - lo) >= n)
			return !w || r->writable;
	}
	return 0;
}

int helper_mem_checked(struct skep_call_ctx *cx, uint64_t addr, uint64_t size, int write,
		       const char *helper, const char *what)
{
	if (helper_region_ok(cx, addr, size, write))
		return 1;
	helper_abort(cx, -EFAULT,
		     "%s: %s (%" PRIu64 " bytes at 0x%" PRIx64 ") is outside the memory the program may %s",
		     helper, what, size, addr, write ? "write" : "read");
	return 0;
}

struct skep_map *helper_map_checked(struct skep_call_ctx *cx, uint64_t r, const char *helper)
{
	struct skep_map *m = (struct skep_map *)(uintptr_t)r;

	if (map_callctx_known(cx, m))
		return m;
	helper_abort(cx, -EINVAL, "%s: 0x%" PRIx64 " is not a map this program was given", helper,
		     r);
	return NULL;
}

int helper_read_user(void *dst, uint64_t src, size_t size)
{
	struct iovec local = {dst, size}, remote = {(void *)(uintptr_t)src, size};

	/* The kernel checks the address for us: no signal handler, no fault. */
	if (!size)
		return 0;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)size ? 0 : -EFAULT;
}
