/* skep-bench: what the driver (bench.c), the programs (progs.c) and the
 * engines (engines.c) share.  An engine runs one program many times and says
 * how long it took; each is one entry in bench_engines[]. */
#ifndef SKEP_BENCH_BENCH_H
#define SKEP_BENCH_BENCH_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "progs/prog.h"

struct skep_prog;

/* gcc's build of a program: the same signature as the BPF entry point. */
typedef unsigned long long (*bench_native_fn)(unsigned char *mem, unsigned long long len);

/* What a program reads: text-like bytes, or 16 Ethernet frames. */
enum bench_input { BENCH_INPUT_TEXT, BENCH_INPUT_PACKETS };

struct bench_prog {
	const char *name; /* bench/progs/NAME.c */
	const char *what;
	enum bench_input input;
	bench_native_fn native;
	struct bpf_insn *insns; /* the body from NAME.bin */
	size_t nr_insns;
};

extern struct bench_prog bench_progs[];
extern const size_t bench_nr_progs;

/* Read every program's NAME.bin from dir; 0, or -1 after saying why on stderr. */
int bench_progs_load(const char *dir);
void bench_progs_free(void);
/* The input every program gets: text-like bytes whose two halves agree up to
 * their last byte. */
void bench_input_fill(uint8_t *mem, size_t len);
/* 64-byte Ethernet frames with IPv4/TCP/UDP headers, for the firewall. */
void bench_input_fill_packets(uint8_t *mem, size_t len);

/* One program opened in one engine. */
struct bench_slot {
	const struct bench_prog *prog;
	uint8_t *mem; /* BENCH_MEM_LEN bytes of input, this slot's own copy */
	struct skep_prog *skep;
	int fd;
};

struct bench_engine {
	const char *name;  /* column header */
	const char *abbr;  /* in ratio headers */
	int result_bits;   /* how much of r0 the engine reports: 64, or 32 (XDP retval) */
	/* Once, before anything: 0, or -1 with why the engine cannot run here.  Optional. */
	int (*init)(char *why, size_t why_size);
	/* Make the program runnable: 0, or -1 with why.  Optional. */
	int (*open)(struct bench_slot *s, char *why, size_t why_size);
	/* Run n times; the elapsed ns in total and the last run's result. */
	int (*run)(struct bench_slot *s, uint64_t n, uint64_t *ns, uint64_t *result);
	void (*close)(struct bench_slot *s); /* optional */
	void (*fini)(void);                  /* optional */
};

/* An engine without run is a column still to be written: it prints "-". */
extern const struct bench_engine bench_engines[];
extern const size_t bench_nr_engines;
/* The engine whose result the others must reproduce. */
#define BENCH_REFERENCE "native"

uint64_t bench_now_ns(void);
/* The maps table (bench_maps.c): ns per map operation from a program. */
void bench_maps(void);
/* JIT compile time per instruction (bench_compile.c). */
void bench_compile(void);

#endif
