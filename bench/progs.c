/* skep-bench: the table of benchmark programs, loading their BPF instructions
 * from the .bin files the Makefile extracts, and the input they all run on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "../tests/lib/harness.h"
#include "progs/list.h"

#define BENCH_DECLARE(name, input, what) unsigned long long bench_native_##name(u8 *mem, u64 len);
BENCH_PROG_LIST(BENCH_DECLARE)

#define BENCH_ENTRY(name, input, what) {#name, what, BENCH_INPUT_##input, bench_native_##name, NULL, 0},
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

/* Packets for the firewall: 64-byte Ethernet frames, mostly IPv4 with TCP or
 * UDP and a spread of ports, flags, header lengths and fragments, a few of
 * other types, so every rule of the filter is taken. */
void bench_input_fill_packets(uint8_t *mem, size_t len)
{
	static const uint16_t ports[] = {80, 443, 22, 23, 53, 445, 3389, 8080, 123, 5201};
	uint64_t st = 0x70616b74; /* "pakt" */

	memset(mem, 0, len);
	for (size_t off = 0; off + 64 <= len; off += 64) {
		uint8_t *p = mem + off;
		uint32_t r = input_rand(&st), ihl = r % 7 ? 5 : 6;
		uint8_t *l4 = p + 14 + ihl * 4;
		uint16_t sport = (uint16_t)(1024 + input_rand(&st) % 60000);
		uint16_t dport = ports[input_rand(&st) % 10];

		p[12] = r % 11 ? 0x08 : 0x86;
		p[13] = r % 11 ? 0x00 : 0xdd;
		p[14] = (uint8_t)(r % 13 ? 0x40 | ihl : 0x60 | ihl);
		p[20] = r % 17 ? 0 : 0x01; /* now and then a later fragment */
		p[23] = r % 5 ? 6 : 17;
		p[26] = r % 3 ? 10 : 192;
		l4[0] = (uint8_t)(sport >> 8), l4[1] = (uint8_t)sport;
		l4[2] = (uint8_t)(dport >> 8), l4[3] = (uint8_t)dport;
		if (l4 + 14 <= p + 64)
			l4[13] = (uint8_t)(input_rand(&st) % 2 ? 0x02 : 0x10);
	}
}
