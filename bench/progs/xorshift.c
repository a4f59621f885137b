/* Benchmark program: 1000 steps of Marsaglia's xorshift64 seeded from the
 * input; pure register arithmetic (shifts and xors), no memory in the loop. */
#include "prog.h"

#define XORSHIFT_STEPS 1000

BENCH_PROG(xorshift)
{
	u64 x = *(u64_alias *)mem | 1;
	u64 sum = 0;

	if (len < 8)
		return 0;
	for (u32 i = 0; i < XORSHIFT_STEPS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x >> 32;
	}
	return x ^ sum;
}
