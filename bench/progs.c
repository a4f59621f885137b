/* skep-bench: the table of benchmark programs, loading their BPF instructions
 * from the .bin files the Makefile extracts, and the input they all run on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "../tests/lib/harness.h"
#include "progs/list.h"

#define BENCH_DECLARE(name, what) unsigned long long bench_native_##name(u8 *mem, u64 len);
BENCH_PROG_LIST(BENCH_DECLARE)

#define BENCH_ENTRY(name, what) {#name, what, bench_native_##name, NULL, 0},
struct bench_prog bench_progs[] = {BENCH_PROG_LIST(BENCH_ENTRY)};
const size_t bench_nr_progs = sizeof(bench_progs) / sizeof(bench_progs[0]);

static int bench_prog_load(struct bench_prog *p, const char *dir)
{
	char path[4096];
	size_t len;
	char *raw;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, p->name);
	raw = harness_read_file(path, &len);
	if (!raw) {
		fprintf(stderr, "skep-bench: cannot read %s (run `make bench`)\n", path);
		return -1;
	}
	if (!len || len % sizeof(struct bpf_insn)) {
		fprintf(stderr, "skep-bench: %s: %zu bytes is not a whole number of instructions\n",
			path, len);
		free(raw);
		return -1;
	}
	p->insns = (struct bpf_insn *)raw; /* malloc'd, so aligned for any type */
	p->nr_insns = len / sizeof(struct bpf_insn);
	return 0;
}

int bench_progs_load(const char *dir)
{
	for (size_t i = 0; i < bench_nr_progs; i++)
		if (bench_prog_load(&bench_progs[i], dir))
			return -1;
	return 0;
}

void bench_progs_free(void)
{
	for (size_t i = 0; i < bench_nr_progs; i++) {
		free(bench_progs[i].insns);
		bench_progs[i].insns = NULL;
	}
}

/* A fixed pseudo-random sequence, so every run sees the same input. */
static uint32_t input_rand(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 33);
}

static size_t input_token(uint8_t *out, size_t room, uint64_t *st)
{
	static const char seps[] = " , ; \n\t";
	char tok[32];
	size_t n = 0, k = 2 + input_rand(st) % 7;
	uint32_t kind = input_rand(st) % 4;

	if (kind != 1)
		for (size_t i = 0; i < k; i++)
			tok[n++] = (char)('a' + input_rand(st) % 26);
	if (kind == 2)
		tok[n++] = '=';
	if (kind != 0)
		for (size_t i = 0; i < k - 1; i++)
			tok[n++] = (char)('0' + input_rand(st) % 10);
	tok[n++] = seps[input_rand(st) % (sizeof(seps) - 1)];
	if (n > room)
		n = room;
	memcpy(out, tok, n);
	return n;
}

void bench_input_fill(uint8_t *mem, size_t len)
{
	uint64_t st = 0x736b6570; /* "skep" */
	size_t half = len / 2, at = 0;

	while (at < half)
		at += input_token(mem + at, half - at, &st);
	memcpy(mem + half, mem, half);
	mem[len - 1] ^= 0x20;
}
