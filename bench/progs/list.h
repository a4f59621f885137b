/* The benchmark programs, one X(name, what) line each: bench/progs/NAME.c
 * holds the code, $(BUILD)/bench/NAME.bin its BPF instructions, and the bench
 * binary links gcc's build of it as bench_native_NAME.  Adding a program is a
 * new file plus one line here. */
#ifndef SKEP_BENCH_PROGS_LIST_H
#define SKEP_BENCH_PROGS_LIST_H

#define BENCH_PROG_LIST(X)                                                                         \
	X(fnv1a, "FNV-1a 64-bit hash of 1 KiB, byte by byte")                                      \
	X(xorshift, "1000 steps of xorshift64, registers only")                                    \
	X(sieve, "primes below 3072: sieve in a bit array on the stack")                           \
	X(memcpy, "copy 448 bytes to the stack in words, fold them back")                          \
	X(strcmp, "strcmp-like byte compare of two 512-byte halves")                               \
	X(parser, "switch-heavy tokenizer: words, numbers, key=value")

#endif
