/* Benchmark program: memcpy-like.  Copy 448 bytes of the input onto the stack
 * eight bytes at a time, then fold the copy back in reverse order. */
#include "prog.h"

#define COPY_WORDS 56

BENCH_PROG(memcpy)
{
	u64 n = bench_clamp(len / 8, COPY_WORDS);
	u64 buf[COPY_WORDS];
	u64 acc = 0;

	for (u64 i = 0; i < n; i++)
		buf[i] = ((u64_alias *)mem)[i];
	for (u64 i = n; i > 0; i--)
		acc = (acc << 7 | acc >> 57) ^ buf[i - 1];
	return acc;
}
