/* Memory access for the interpreter: unaligned-safe loads and stores, and the
 * region checks of checked mode. */
#ifndef SKEP_INTERP_MEM_H
#define SKEP_INTERP_MEM_H

#include <stdint.h>
#include <string.h>

#include "core/callctx.h"

struct skep_log;

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* memcpy compiles to one move and keeps unaligned addresses defined. */
#define INTERP_MEM_ACCESSORS(T)                                                   \
	static inline T mem_load_##T(uint64_t a)                                    \
	{                                                                           \
		T v;                                                                \
		memcpy(&v, (const void *)(uintptr_t)a, sizeof(v));                  \
		return v;                                                           \
	}                                                                           \
	static inline void mem_store_##T(uint64_t a, T v)                           \
	{                                                                           \
		memcpy((void *)(uintptr_t)a, &v, sizeof(v));                        \
	}
INTERP_MEM_ACCESSORS(u8)
INTERP_MEM_ACCESSORS(u16)
INTERP_MEM_ACCESSORS(u32)
INTERP_MEM_ACCESSORS(u64)

/* Network-order loads from a byte pointer (legacy packet loads). */
static inline uint64_t mem_load_be_u8(const uint8_t *p) { return p[0]; }
static inline uint64_t mem_load_be_u16(const uint8_t *p) { return (uint64_t)p[0] << 8 | p[1]; }
static inline uint64_t mem_load_be_u32(const uint8_t *p)
{
	return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

/* Is [a, a+n) inside one region (writable, if w)? */
static inline int interp_region_ok(const struct skep_call_ctx *cx, uint64_t a, int n, int w)
{
	for (size_t i = 0; i < cx->nr_regions; i++) {
		const struct skep_region *r = &cx->regions[i];
		uint64_t lo = (uint64_t)(uintptr_t)r->addr;
		if (a >= lo && a - lo <= r->size && r->size - (a - lo) >= (uint64_t)n)
			return !w || r->writable;
	}
	return 0;
}

/* write: 0 read, 1 write, 2 misaligned atomic. */
void interp_log_fault(struct skep_log *log, const struct skep_call_ctx *cx, long insn,
		      uint64_t addr, int size, int write);

#endif
