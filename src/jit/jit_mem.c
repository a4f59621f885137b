/* Executable memory for the JIT, never writable and executable at once (W^X):
 * it is mapped read-write, the code is written into it, and only then is it
 * flipped to read-execute; it is never made writable again. */
#include "jit/jit_mem.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t jit_mem_round(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;

	return (size + p - 1) / p * p;
}

void *jit_mem_alloc(size_t size, size_t *mapped)
{
	size_t n = jit_mem_round(size ? size : 1);
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	*mapped = n;
	return p;
}

int jit_mem_seal(void *addr, size_t mapped)
{
	if (mprotect(addr, mapped, PROT_READ | PROT_EXEC))
		return -errno;
	return 0;
}

void jit_mem_free(void *addr, size_t mapped)
{
	if (addr)
		munmap(addr, mapped);
}
