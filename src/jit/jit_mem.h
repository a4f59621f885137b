/* W^X executable memory: map read-write, emit, seal read-execute, unmap. */
#ifndef SKEP_JIT_JIT_MEM_H
#define SKEP_JIT_JIT_MEM_H

#include <stddef.h>

/* At least `size` bytes, read-write; *mapped gets the length to seal and free. */
void *jit_mem_alloc(size_t size, size_t *mapped);
/* Make the mapping read-execute (and so no longer writable). 0 or -errno. */
int jit_mem_seal(void *addr, size_t mapped);
void jit_mem_free(void *addr, size_t mapped);

#endif
