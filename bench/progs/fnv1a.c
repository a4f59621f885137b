/* Benchmark program: the 64-bit FNV-1a hash of the whole input (1 KiB),
 * one byte per step: a load, a xor and a multiply. */
#include "prog.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

BENCH_PROG(fnv1a)
{
	u64 n = bench_clamp(len, BENCH_MEM_LEN);
	u64 h = FNV_OFFSET;

	for (u64 i = 0; i < n; i++)
		h = (h ^ mem[i]) * FNV_PRIME;
	return h;
}
