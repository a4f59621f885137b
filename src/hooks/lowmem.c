/* Memory below 4 GiB for packet buffers, and the bookkeeping every packet
 * hook shares: the run in progress on each thread, and the checked-mode
 * regions that follow the packet when a helper moves it.
 *
 * Why low memory: struct xdp_md and struct __sk_buff give the program
 * data/data_end/data_meta as 32-bit fields, which the kernel's verifier
 * rewrites into 64-bit pointer loads.  skep keeps the program as written, so
 * the buffer itself must have 32-bit addresses: then the field, zero
 * extended, is the pointer, in the interpreter and the JIT alike.
 */
#define _GNU_SOURCE /* MAP_32BIT */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "hooks/hooks.h"

_Thread_local struct hook_run *hook_current;

const char hook_region_ctx[] = "ctx";
const char hook_region_packet[] = "packet";

void *hook_lowmem_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* MAP_32BIT means the low 2 GiB on x86-64; say so if a kernel ever did otherwise. */
	if ((uint64_t)(uintptr_t)p + size > (1ull << 32)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

void hook_lowmem_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

void hook_region_move(struct skep_call_ctx *cx, void *addr, size_t size)
{
	if (!cx->checked)
		return;
	for (size_t i = 0; i < cx->nr_regions; i++) {
		if (cx->regions[i].name == hook_region_packet) {
			cx->regions[i].addr = addr;
			cx->regions[i].size = size;
			return;
		}
	}
}

