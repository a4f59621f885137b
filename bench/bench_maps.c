/* The maps table of skep-bench: ns per map operation done from a program -
 * lookups and updates on array, hash, LRU hash and LPM trie maps, 1000 per
 * run in a bounded loop - in skep's interpreter, skep's JIT, and the kernel
 * (BPF_PROG_TEST_RUN of the same instructions, its own maps filled alike).
 *
 * The program, for op = lookup:
 *     for (i = 0; i < 1000; i++) {
 *             key = f(i);  v = bpf_map_lookup_elem(map, &key);  if (v) sum += *v;
 *     }
 *     return sum;
 * and for op = update, bpf_map_update_elem(map, &key, &i, BPF_ANY) of keys
 * that exist.  Every key hits, so skep's and the kernel's sums must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/lib/kernel_bpf.h"
#include "bench.h"
#include "skep/maps.h"
#include "skep/skep.h"

#define MAPS_OPS 1000
#define MAPS_KEYS 1024 /* entries in every map; keys cycle through them */
#define MAPS_ROUNDS 15

struct maps_case {
	const char *name;
	uint32_t type, key_size, flags;
	int update;
};

static const struct maps_case maps_cases[] = {
	{"array lookup", BPF_MAP_TYPE_ARRAY, 4, 0, 0},
	{"hash lookup", BPF_MAP_TYPE_HASH, 4, 0, 0},
	{"lru_hash lookup", BPF_MAP_TYPE_LRU_HASH, 4, 0, 0},
	{"lpm_trie lookup", BPF_MAP_TYPE_LPM_TRIE, 8, BPF_F_NO_PREALLOC, 0},
	{"array update", BPF_MAP_TYPE_ARRAY, 4, 0, 1},
	{"hash update", BPF_MAP_TYPE_HASH, 4, 0, 1},
	{"lru_hash update", BPF_MAP_TYPE_LRU_HASH, 4, 0, 1},
	{"lpm_trie update", BPF_MAP_TYPE_LPM_TRIE, 8, BPF_F_NO_PREALLOC, 1},
};

#define E(...) (p[n++] = (struct bpf_insn){__VA_ARGS__})

/* The loop above; the map is lddw src 1 with imm = mapref.  Iteration i
 * uses key k = i % 1024 (LPM: a /32 address inside the k-th /24, maps_key). */
static size_t maps_prog(struct bpf_insn *p, const struct maps_case *c, int mapref)
{
	size_t n = 0, loop;
	int16_t back;

	E(.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 6, .imm = 0); /* i */
	E(.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 7, .imm = 0); /* sum */
	loop = n;
	E(.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 6);
	E(.code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = 1, .imm = MAPS_KEYS - 1);
	if (c->type == BPF_MAP_TYPE_LPM_TRIE) {
		/* key {32, 10 | k << 14}: prefixlen, then the address bytes */
		E(.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -8, .imm = 32);
		E(.code = BPF_ALU64 | BPF_LSH | BPF_K, .dst_reg = 1, .imm = 14);
		E(.code = BPF_ALU64 | BPF_OR | BPF_K, .dst_reg = 1, .imm = 10);
		E(.code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = 10, .src_reg = 1, .off = -4);
	} else {
		E(.code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = 10, .src_reg = 1, .off = -8);
	}
	E(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 6, .off = -16);
	E(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD,
	  .imm = mapref);
	E(.code = 0);
	E(.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10);
	E(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -8);
	if (c->update) {
		E(.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 3, .src_reg = 10);
		E(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 3, .imm = -16);
		E(.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = BPF_ANY);
		E(.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_update_elem);
		E(.code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 7, .src_reg = 0);
	} else {
		E(.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem);
		E(.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 2);
		E(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 0);
		E(.code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 7, .src_reg = 0);
	}
	E(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 6, .imm = 1);
	back = (int16_t)(loop - n - 1); /* to the loop's head, from the jump */
	E(.code = BPF_JMP | BPF_JLT | BPF_K, .dst_reg = 6, .imm = MAPS_OPS, .off = back);
	E(.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 0, .src_reg = 7);
	E(.code = BPF_JMP | BPF_EXIT);
	return n;
}

/* Key k of the fill; for LPM the /24 prefix holding the /32 address the
 * program builds for k: 10 | k << 14 as a little-endian word, that is
 * 10.((k & 3) << 6).(k >> 2).0. */
static void maps_key(const struct maps_case *c, uint32_t k, uint8_t *key)
{
	if (c->type == BPF_MAP_TYPE_LPM_TRIE) {
		uint32_t plen = 24;
		uint8_t data[4] = {10, (uint8_t)((k & 3) << 6), (uint8_t)(k >> 2), 0};
		memcpy(key, &plen, 4);
		memcpy(key + 4, data, 4);
	} else {
		memcpy(key, &k, 4);
	}
}

/* Both maps hold the same entries: value k + 1 at key k. */
static int maps_fill(const struct maps_case *c, int kfd, struct skep_map *sm)
{
	for (uint32_t k = 0; k < MAPS_KEYS; k++) {
		uint8_t key[8];
		uint64_t v = k + 1;
		maps_key(c, k, key);
		if ((kfd >= 0 && kbpf_map_update(kfd, key, &v, BPF_ANY)) ||
		    skep_map_update(sm, key, &v, BPF_ANY))
			return -1;
	}
	return 0;
}

/* Best ns per operation over MAPS_ROUNDS timed batches of `runs` runs. */
static double maps_time_skep(struct skep_prog *p, enum skep_exec_mode mode, int runs,
			     uint64_t *r0)
{
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = mode};
	struct skep_run_result res;
	double best = -1;

	for (int round = 0; round < MAPS_ROUNDS; round++) {
		uint64_t t0 = bench_now_ns();
		for (int i = 0; i < runs; i++)
			if (skep_prog_run(p, &ro, &res))
				return -1;
		double ns = (double)(bench_now_ns() - t0) / runs / MAPS_OPS;
		best = best < 0 || ns < best ? ns : best;
	}
	*r0 = res.retval;
	return best;
}

static double maps_time_kernel(int fd, int runs, uint64_t *r0)
{
	uint8_t pkt[64] = {0};
	double best = -1;

	for (int round = 0; round < MAPS_ROUNDS; round++) {
		struct kbpf_run run = {.data_in = pkt, .data_size_in = sizeof(pkt),
				       .repeat = (uint32_t)runs};
		if (kbpf_prog_test_run(fd, &run))
			return -1;
		double ns = (double)run.duration / MAPS_OPS;
		best = best < 0 || ns < best ? ns : best;
		*r0 = run.retval;
	}
	return best;
}

static void maps_cell(double ns)
{
	if (ns < 0)
		printf(" %11s", "-");
	else
		printf(" %11.1f", ns);
}

static void maps_row(const struct maps_case *c, int kernel_ok)
{
	struct skep_map_attr a = {.sz = sizeof(a), .type = c->type, .key_size = c->key_size,
				  .value_size = 8, .max_entries = MAPS_KEYS, .flags = c->flags};
	struct kbpf_map_opts ko = {c->type, c->key_size, 8, MAPS_KEYS, c->flags, 0, 0};
	struct bpf_insn kp[64], sp[64];
	struct skep_map *sm = NULL;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *prog = NULL;
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = &sm, .nr_maps = 1};
	int kfd = kernel_ok ? kbpf_map_create_opts(&ko) : -1, kprog = -1;
	uint64_t r_interp = 0, r_jit = 0, r_kernel = 0;
	double interp = -1, jit = -1, kernel = -1;
	size_t n;

	if (skep_map_create(&a, &sm) || maps_fill(c, kfd, sm)) {
		printf("%-18s  (could not make the maps)\n", c->name);
		goto out;
	}
	n = maps_prog(sp, c, 0);
	if (!skep_prog_load(vm, (struct skep_insn *)sp, n, &lo, &prog)) {
		interp = maps_time_skep(prog, SKEP_EXEC_INTERP, 20, &r_interp);
		jit = maps_time_skep(prog, SKEP_EXEC_JIT, 20, &r_jit);
	}
	if (kfd >= 0) {
		n = maps_prog(kp, c, kfd);
		kprog = kbpf_prog_load(BPF_PROG_TYPE_XDP, kp, n, NULL, 0);
		if (kprog >= 0)
			kernel = maps_time_kernel(kprog, 20, &r_kernel);
	}
	printf("%-18s", c->name);
	maps_cell(interp);
	maps_cell(jit);
	maps_cell(kernel);
	if (interp > 0 && kernel > 0)
		printf(" %11.2f", interp / kernel);
	else
		printf(" %11s", "-");
	if (jit > 0 && kernel > 0)
		printf(" %11.2f", jit / kernel);
	else
		printf(" %11s", "-");
	/* lookups sum values and XDP's r0 is 32 bits: compare what both report */
	if (!c->update && interp > 0 && kernel > 0 && (uint32_t)r_interp != (uint32_t)r_kernel)
		printf("  MISMATCH r0 %llu vs %llu", (unsigned long long)r_interp,
		       (unsigned long long)r_kernel);
	printf("\n");
out:
	if (kprog >= 0)
		close(kprog);
	if (kfd >= 0)
		close(kfd);
	skep_prog_free(prog);
	skep_vm_free(vm);
	skep_map_free(sm);
}

void bench_maps(void)
{
	char why[256];
	int kernel_ok = kbpf_available(why, sizeof(why));

	printf("\nmaps: ns per operation, from a program doing %d per run (best of %d batches)\n",
	       MAPS_OPS, MAPS_ROUNDS);
	if (!kernel_ok)
		printf("kernel: skipped (%s)\n", why);
	printf("%-18s %11s %11s %11s %11s %11s\n", "operation", "skep-interp", "skep-jit",
	       "kernel-jit", "interp/kern", "jit/kern");
	for (size_t i = 0; i < sizeof(maps_cases) / sizeof(maps_cases[0]); i++)
		maps_row(&maps_cases[i], kernel_ok);
	printf("(\"-\": the engine cannot run it yet; the loop itself costs a few ns per "
	       "operation too)\n");
}
