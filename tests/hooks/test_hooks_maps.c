/* DEVMAP, DEVMAP_HASH and CPUMAP against the kernel's: creation checks,
 * element commands and their error codes, iteration; and the XDP redirect
 * helpers' return values (bpf_redirect_map with hits, misses, fallback
 * actions and flags; bpf_redirect) from programs run in both.  Devices are
 * the loopback (ifindex 1), which the kernel's devmap insists exists. */
#define _GNU_SOURCE /* qsort_r in dual.h */
#include <stdint.h>

/* dual.h is a kit: this test uses part of it. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../maps/dual.h"
#include "../maps/progbuild.h"
#include "hooktest.h"

struct bpf_devval {
	uint32_t a;
	int32_t b;
};

static void test_create(struct harness *h)
{
	static const uint32_t types[] = {BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH,
					 BPF_MAP_TYPE_CPUMAP};
	static const uint32_t ks[] = {4, 8}, vs[] = {0, 4, 8, 12}, maxes[] = {0, 1, 64};
	static const uint32_t flags[] = {0, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG,
					 BPF_F_MMAPABLE, BPF_F_NO_PREALLOC};
	char name[64];

	for (size_t t = 0; t < 3; t++) {
		int bad = 0, n = 0;
		char why[256] = "";
		for (size_t k = 0; k < 2; k++)
			for (size_t v = 0; v < 4; v++)
				for (size_t m = 0; m < 3; m++)
					for (size_t f = 0; f < 6; f++) {
						struct skep_map_attr a = {.sz = sizeof(a), .type = types[t],
									  .key_size = ks[k],
									  .value_size = vs[v],
									  .max_entries = maxes[m],
									  .flags = flags[f]};
						struct kbpf_map_opts ko = {types[t], ks[k], vs[v], maxes[m],
									   flags[f], 0, 0};
						struct skep_map *sm = NULL;
						int kfd = kbpf_map_create_opts(&ko), s = skep_map_create(&a, &sm);
						int kr = kfd < 0 ? kfd : 0;
						n++;
						if (kr != s && !bad++)
							snprintf(why, sizeof(why),
								 "key %u value %u max %u flags %#x: kernel %d skep %d",
								 ks[k], vs[v], maxes[m], flags[f], kr, s);
						if (kfd >= 0)
							close(kfd);
						skep_map_free(sm);
					}
		snprintf(name, sizeof(name), "%s: create, %d attribute sets",
			 types[t] == BPF_MAP_TYPE_CPUMAP ? "cpumap"
			 : types[t] == BPF_MAP_TYPE_DEVMAP ? "devmap" : "devmap_hash", n);
		harness_check(h, !bad, name, "%s", why);
	}
}

static void test_devmap(struct harness *h, uint32_t type, const char *name)
{
	struct skep_map_attr a = {.sz = sizeof(a), .type = type, .key_size = 4, .value_size = 8,
				  .max_entries = 4};
	struct dual d;
	struct bpf_devval v1 = {1, 0}, v0 = {0, 0}, vneg = {1, -1};

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t k = 0; k < 6; k++) {
		d_lookup(&d, &k);
		d_update(&d, &k, &v1, k == 5 ? 7 : BPF_ANY);
		d_update(&d, &k, &v1, BPF_NOEXIST);
		d_update(&d, &k, &v1, BPF_EXIST);
		d_lookup(&d, &k);
		d_update(&d, &k, &vneg, BPF_ANY);
		d_next(&d, &k, type != BPF_MAP_TYPE_DEVMAP_HASH);
	}
	{
		uint32_t k = 2, nine = 9;
		d_update(&d, &k, &v0, BPF_ANY);
		d_lookup(&d, &k);
		d_delete(&d, &k);
		d_delete(&d, &k);
		d_delete(&d, &nine);
		d_next(&d, NULL, type != BPF_MAP_TYPE_DEVMAP_HASH);
		d_next(&d, &nine, type != BPF_MAP_TYPE_DEVMAP_HASH);
	}
	d_keyset(&d, type != BPF_MAP_TYPE_DEVMAP_HASH);
	dual_end(&d);
}

/* Keys sharing buckets, a replaced key, deletes: the walk order must be the kernel's. */
static void test_devmap_hash_order(struct harness *h)
{
	struct skep_map_attr a = {.sz = sizeof(a), .type = BPF_MAP_TYPE_DEVMAP_HASH, .key_size = 4,
				  .value_size = 4, .max_entries = 6};
	static const uint32_t keys[] = {1, 9, 17, 3, 8, 1, 25, 0};
	struct dual d;
	uint32_t one = 1;

	if (dual_open(&d, h, "devmap_hash: walk order", &a, 0)) {
		dual_end(&d);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / 4; i++) {
		d_update(&d, &keys[i], &one, BPF_ANY);
		d_keyset(&d, 1);
		for (size_t j = 0; j <= i; j++)
			d_next(&d, &keys[j], 1);
	}
	d_delete(&d, &keys[1]);
	d_keyset(&d, 1);
	d_update(&d, &keys[1], &one, BPF_ANY);
	d_keyset(&d, 1);
	dual_end(&d);
}

static void test_cpumap(struct harness *h)
{
	struct skep_map_attr a = {.sz = sizeof(a), .type = BPF_MAP_TYPE_CPUMAP, .key_size = 4,
				  .value_size = 8, .max_entries = 4};
	struct dual d;
	struct bpf_devval q = {64, 0}, q0 = {0, 0}, qbig = {20000, 0};
	uint32_t ncpu = (uint32_t)kbpf_nr_cpus();

	if (dual_open(&d, h, "cpumap: elements", &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t k = 0; k < 6; k++) {
		d_lookup(&d, &k);
		d_update(&d, &k, &qbig, BPF_ANY);
		d_update(&d, &k, &q, BPF_NOEXIST);
		d_update(&d, &k, &q, k < ncpu ? BPF_ANY : BPF_EXIST);
		d_lookup(&d, &k);
		d_next(&d, &k, 1);
	}
	{
		uint32_t k = 0, nine = 9;
		d_update(&d, &k, &q0, BPF_ANY);
		d_lookup(&d, &k);
		d_delete(&d, &k);
		d_delete(&d, &nine);
	}
	d_keyset(&d, 1);
	dual_end(&d);
}

/* XDP: r0 = bpf_redirect_map(map, *(u32 *)data, *(u32 *)(data + 4)), or with
 * map < 0, bpf_redirect(*(u32 *)data, *(u32 *)(data + 4)). */
static void build_redirect(struct pb *b, int map)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	PB(.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 6,
	   .off = offsetof(struct xdp_md, data));
	PB(.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 6,
	   .off = offsetof(struct xdp_md, data_end));
	pb_movr(b, 4, 2);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 4, .imm = 8);
	PB(.code = BPF_JMP | BPF_JLE | BPF_X, .dst_reg = 4, .src_reg = 3, .off = 2);
	pb_mov(b, 0, 99);
	pb_exit(b);
	PB(.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 2, .off = 4);
	PB(.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 2, .off = 0);
	if (map >= 0) {
		pb_ld_map(b, 1, 0);
		pb_call(b, BPF_FUNC_redirect_map);
	} else {
		pb_movr(b, 1, 2);
		pb_movr(b, 2, 3);
		pb_call(b, BPF_FUNC_redirect);
	}
	pb_exit(b);
}

static void test_redirect(struct harness *h, uint32_t type, const char *name)
{
	static const uint32_t keys[] = {0, 1, 2, 3, 7, 100, 0xffffffff};
	static const uint32_t flags[] = {0, 1, 2, 3, 4, 8, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS,
					 BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
					 BPF_F_BROADCAST | 2, 0x80000000};
	struct skep_map_attr a = {.sz = sizeof(a), .type = type, .key_size = 4, .value_size = 8,
				  .max_entries = 4};
	struct kbpf_map_opts ko = {type, 4, 8, 4, 0, 0, 0};
	struct skep_map *sm = NULL;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *sp = NULL;
	struct pb sb = {0}, kb = {0};
	int sref[1] = {0}, kref[1], kfd = -1, pfd = -1, bad = 0, runs = 0;
	struct bpf_devval one = {1, 0}, q = {64, 0};
	char log[8192], why[512] = "";
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	uint8_t pkt[64] = {0};

	if (type) {
		kfd = kbpf_map_create_opts(&ko);
		if (kfd < 0 || skep_map_create(&a, &sm)) {
			harness_fail(h, name, "creating the maps: %d", kfd);
			goto out;
		}
		for (uint32_t k = 0; k < 2; k++) { /* entries 0 and 1 */
			const void *v = type == BPF_MAP_TYPE_CPUMAP ? (const void *)&q : &one;
			kbpf_map_update(kfd, &k, v, BPF_ANY);
			skep_map_update(sm, &k, v, BPF_ANY);
		}
		kref[0] = kfd;
		lo.maps = &sm;
		lo.nr_maps = 1;
	}
	sb.mapref = sref;
	kb.mapref = kref;
	build_redirect(&sb, type ? 0 : -1);
	build_redirect(&kb, type ? 0 : -1);
	if (skep_prog_load(vm, (const struct skep_insn *)sb.i, (size_t)sb.n, &lo, &sp) ||
	    (pfd = kbpf_prog_load(BPF_PROG_TYPE_XDP, kb.i, (size_t)kb.n, log, sizeof(log))) < 0) {
		harness_fail(h, name, "loading: %.300s", log);
		goto out;
	}
	for (size_t k = 0; k < sizeof(keys) / 4; k++)
		for (size_t f = 0; f < sizeof(flags) / 4; f++) {
			struct ht_prog hp = {.sprog = sp, .kfd = pfd, .type = BPF_PROG_TYPE_XDP};
			static struct ht_out so, ko2;
			char diff[128];
			uint32_t key = type ? keys[k] : keys[k] + 1; /* bpf_redirect: an ifindex */
			memcpy(pkt, &key, 4);
			memcpy(pkt + 4, &flags[f], 4);
			ht_run_skep(&hp, SKEP_EXEC_JIT, pkt, sizeof(pkt), NULL, 0, &so);
			ht_run_kernel(&hp, pkt, sizeof(pkt), NULL, 0, &ko2);
			runs++;
			if (*ht_diff(&so, &ko2, diff, sizeof(diff)) && !bad++)
				snprintf(why, sizeof(why), "key %u flags %#x: %s", key, flags[f], diff);
		}
	{
		char n2[96];
		snprintf(n2, sizeof(n2), "%s: %d runs", name, runs);
		harness_check(h, !bad, n2, "%s", why);
	}
out:
	if (pfd >= 0)
		close(pfd);
	if (kfd >= 0)
		close(kfd);
	skep_prog_free(sp);
	skep_map_free(sm);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};
	char why[256];

	if (!kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "devmap/cpumap against the kernel", "%s", why);
		return harness_exit(&h);
	}
	test_create(&h);
	test_devmap(&h, BPF_MAP_TYPE_DEVMAP, "devmap: elements");
	test_devmap(&h, BPF_MAP_TYPE_DEVMAP_HASH, "devmap_hash: elements");
	test_devmap_hash_order(&h);
	test_cpumap(&h);
	test_redirect(&h, BPF_MAP_TYPE_DEVMAP, "bpf_redirect_map on a devmap");
	test_redirect(&h, BPF_MAP_TYPE_DEVMAP_HASH, "bpf_redirect_map on a devmap_hash");
	test_redirect(&h, BPF_MAP_TYPE_CPUMAP, "bpf_redirect_map on a cpumap");
	test_redirect(&h, 0, "bpf_redirect");
	return harness_exit(&h);
}
