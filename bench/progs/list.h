/* The benchmark programs, one X(name, input, what) line each: bench/progs/NAME.c
 * holds the code, $(BUILD)/bench/NAME.bin its BPF instructions, and the bench
 * binary links gcc's build of it as bench_native_NAME; input is TEXT or
 * PACKETS (bench.h).  Adding a program is a new file plus one line here. */
#ifndef SKEP_BENCH_PROGS_LIST_H
#define SKEP_BENCH_PROGS_LIST_H

#define BENCH_PROG_LIST(X)                                                                         \
	X(fnv1a, TEXT, "FNV-1a 64-bit hash of 1 KiB, byte by byte")                                      \
	X(xorshift, TEXT, "1000 steps of xorshift64, registers only")                                    \
	X(sieve, TEXT, "primes below 3072: sieve in a bit array on the stack")                           \
	X(memcpy, TEXT, "copy 448 bytes to the stack in words, fold them back")                          \
	X(strcmp, TEXT, "strcmp-like byte compare of two 512-byte halves")                               \
	X(parser, TEXT, "switch-heavy tokenizer: words, numbers, key=value")                      \
	X(filter, PACKETS, "Ethernet/IPv4/TCP firewall rules over 16 packets of 64 bytes")

#endif
