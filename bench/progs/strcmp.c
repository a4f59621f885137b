/* Benchmark program: strcmp-like.  Compare the first half of the input with
 * the second, byte by byte, stopping at the first difference or NUL (the
 * input's halves agree up to their last byte).  Returns the difference, as
 * strcmp would see it, in the high half and the position in the low one. */
#include "prog.h"

#define CMP_HALF (BENCH_MEM_LEN / 2)

BENCH_PROG(strcmp)
{
	u64 half = bench_clamp(len / 2, CMP_HALF);
	u64 i;
	u32 a = 0, b = 0;

	for (i = 0; i < half; i++) {
		a = mem[i];
		b = mem[CMP_HALF + i];
		if (a != b || a == 0)
			break;
	}
	return (u64)(u32)(a - b) << 32 | i;
}
