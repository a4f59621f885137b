/* Benchmark program: count the primes below 3 * len (3072) with a sieve of
 * Eratosthenes in a bit array on the stack (48 words of 64 bits = 384 bytes
 * of the 512-byte BPF stack).  Returns the count and the sum of the primes. */
#include "prog.h"

#define SIEVE_MAX 3072
#define SIEVE_WORDS (SIEVE_MAX / 64)

BENCH_PROG(sieve)
{
	u64 n = bench_clamp(len * 3, SIEVE_MAX);
	u64 bits[SIEVE_WORDS];
	u64 count = 0, sum = 0;

	(void)mem;
	for (u32 w = 0; w < SIEVE_WORDS; w++)
		bits[w] = 0;
	for (u64 i = 2; i * i < n; i++) {
		if (bits[i >> 6] & (1ull << (i & 63)))
			continue;
		for (u64 j = i * i; j < n; j += i)
			bits[j >> 6] |= 1ull << (j & 63);
	}
	for (u64 i = 2; i < n; i++) {
		if (!(bits[i >> 6] & (1ull << (i & 63)))) {
			count++;
			sum += i;
		}
	}
	return count << 32 | sum;
}
