/* What every benchmark program shares.  Each bench/progs/NAME.c is compiled
 * twice: by clang -target bpf into raw BPF instructions (run by skep and by the
 * kernel), and by gcc -O2 into the bench binary as bench_native_NAME.  The code
 * must stay self-contained for BPF: no globals, no calls, bounded loops with
 * constant limits the kernel verifier can follow.
 *
 * Entry: r1 = mem, r2 = len (BENCH_MEM_LEN bytes of input); r0 = the result.
 */
#ifndef SKEP_BENCH_PROG_H
#define SKEP_BENCH_PROG_H

/* Bytes of input each program gets: the XDP packet, or skep's/native's buffer. */
#define BENCH_MEM_LEN 1024

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
/* An 8-byte load or store through a byte pointer, without aliasing surprises. */
typedef u64 __attribute__((may_alias)) u64_alias;

#ifdef __bpf__
#define BENCH_PROG(name) u64 bench_##name(u8 *mem, u64 len)
#else
#define BENCH_PROG(name)                                                                           \
	u64 bench_native_##name(u8 *mem, u64 len);                                                 \
	u64 bench_native_##name(u8 *mem, u64 len)
#endif

/* len, clamped to what the program was written for.  The kernel's verifier
 * sees a constant here (the XDP prologue passes r2 = BENCH_MEM_LEN); the C
 * compilers do not, so they cannot fold the work away. */
static inline u64 bench_clamp(u64 len, u64 max)
{
	return len < max ? len : max;
}

#endif
