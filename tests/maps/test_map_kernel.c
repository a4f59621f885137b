/* Maps against the kernel: the same operations on a kernel map (bpf(2)) and
 * a skep map must give the same return codes and bytes - creation checks,
 * update flags, full maps, deletes, iteration, batches, LPM prefixes, queue
 * and stack order - plus random operation sequences.  Skipped, visibly,
 * where bpf() is not permitted. */
#include "dual.h"
#include "mapattr.h"

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Creation: what the kernel refuses, skep refuses with the same error. */
static void test_create_checks(struct harness *h)
{
	static const struct skep_map_attr cases[] = {
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_ARRAY, 8, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 0, 4, 0),
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 0, 0),
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE),
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
		ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY),
		ATTR(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, BPF_F_MMAPABLE),
		ATTR(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 40000, 4, 0),
		ATTR(BPF_MAP_TYPE_HASH, 4, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_HASH, 0, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_HASH, 4, 0, 4, 0),
		ATTR(BPF_MAP_TYPE_HASH, 4, 8, 0, 0),
		ATTR(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU),
		ATTR(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_MMAPABLE),
		ATTR(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_ZERO_SEED),
		ATTR(BPF_MAP_TYPE_PERCPU_HASH, 4, 40000, 4, 0),
		ATTR(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU),
		ATTR(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_LPM_TRIE, 4, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_LPM_TRIE, 261, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_LPM_TRIE, 260, 8, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_LPM_TRIE, 8, 0, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_QUEUE, 0, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_QUEUE, 4, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_QUEUE, 0, 0, 4, 0),
		ATTR(BPF_MAP_TYPE_STACK, 0, 4, 0, 0),
		ATTR(BPF_MAP_TYPE_STACK, 0, 4, 4, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 100, 0),
		ATTR(BPF_MAP_TYPE_BLOOM_FILTER, 4, 4, 100, 0),
		ATTR(BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 0, 0),
		ATTR(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0),
		ATTR(BPF_MAP_TYPE_RINGBUF, 0, 0, 4097, 0),
		ATTR(BPF_MAP_TYPE_RINGBUF, 0, 0, 2048, 0),
		ATTR(BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0),
		ATTR(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, BPF_F_RDONLY_PROG),
		ATTR(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 8, 4, 0),
		ATTR(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, BPF_F_PRESERVE_ELEMS),
		ATTR(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 8, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 8 * 127, 16, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 8, 16, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 8, 64, 16, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 12, 16, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 0, 16, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 0, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 8 * 128, 16, 0),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 32 * 4, 16, BPF_F_STACK_BUILD_ID),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 24, 16, BPF_F_STACK_BUILD_ID),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 16, BPF_F_NO_PREALLOC),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 16, BPF_F_RDONLY),
		ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 1000, 0),
	};
	struct dual d;
	int bad = 0;
	char why[600] = "";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct skep_map_attr a = cases[i];
		struct kbpf_map_opts ko = {a.type, a.key_size, a.value_size, a.max_entries, a.flags,
					   0, 0};
		struct skep_map *m = NULL;
		int k = kbpf_map_create_opts(&ko), s = skep_map_create(&a, &m);

		if ((k < 0 ? k : 0) != s && !bad++)
			snprintf(why, sizeof(why),
				 "case %zu (type %u key %u value %u max %u flags 0x%x): kernel %d skep %d",
				 i, a.type, a.key_size, a.value_size, a.max_entries, a.flags,
				 k < 0 ? k : 0, s);
		if (k >= 0)
			close(k);
		skep_map_free(m);
	}
	(void)d;
	harness_check(h, !bad, "create_checks", "%s", why);
}

static void test_array(struct harness *h, uint32_t type, const char *name)
{
	struct skep_map_attr a = ATTR(type, 4, 12, 4, 0);
	uint8_t val[16 * 1024];
	struct dual d;

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 7 + 1);
	for (uint32_t k = 0; k <= 4; k++)
		d_lookup(&d, &k);
	for (uint64_t f = 0; f <= 4; f++)
		for (uint32_t k = 0; k <= 5; k++)
			d_update(&d, &k, val + k + f, f);
	for (uint32_t k = 0; k <= 4; k++) {
		d_lookup(&d, &k);
		d_delete(&d, &k);
		d_next(&d, &k, 1);
	}
	d_next(&d, NULL, 1);
	uint32_t far = 1000;
	d_next(&d, &far, 1);
	d_keyset(&d, 1);
	d_lookup_and_delete(&d, &far, 0);
	dual_end(&d);
}

/* Hash types: flags, full maps, deletes, walks. */
static void test_hash(struct harness *h, uint32_t type, const char *name, uint32_t ksz)
{
	struct skep_map_attr a = ATTR(type, ksz, 12, 8, 0);
	uint8_t key[16] = {0}, val[16 * 1024];
	struct dual d;

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 13 + 5);
	d_next(&d, NULL, 1); /* empty */
	for (int k = 0; k < 10; k++) {
		key[0] = (uint8_t)k;
		key[ksz - 1] ^= 0x80;
		d_update(&d, key, val + k, BPF_NOEXIST); /* the ninth is one too many */
		d_update(&d, key, val + k + 1, BPF_NOEXIST);
		d_update(&d, key, val + k + 2, BPF_EXIST);
		d_update(&d, key, val + k + 3, 3);
		d_update(&d, key, val + k + 3, BPF_F_LOCK);
		d_lookup(&d, key);
	}
	d_keyset(&d, 0);
	memset(key, 0, sizeof(key));
	for (int k = 0; k < 12; k++) {
		key[0] = (uint8_t)k;
		key[ksz - 1] = (uint8_t)(k & 1 ? 0x80 : 0);
		d_update(&d, key, val + 2 * k, BPF_ANY); /* replacing in a full map works */
		d_lookup(&d, key);
		d_next(&d, key, 0);
		if (k % 3 == 0)
			d_delete(&d, key);
		if (k % 3 == 1)
			d_lookup_and_delete(&d, key, 0);
		d_delete(&d, key);
		d_lookup(&d, key);
	}
	d_keyset(&d, 0);
	dual_end(&d);
}

/* Random sequences over a small key space: every result must agree. */
static void test_random(struct harness *h, uint32_t type, const char *name, uint32_t flags,
			int nops)
{
	uint32_t ksz = type == BPF_MAP_TYPE_LPM_TRIE ? 8 : 4;
	struct skep_map_attr a = ATTR(type, ksz, 8, 16, flags);
	int arrayish = type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
	uint8_t val[8 * 1024];
	struct dual d;

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	for (int op = 0; op < nops && !d.bad; op++) {
		uint32_t key[2] = {rnd() % 24, 0}, f = rnd() % 3;
		for (uint32_t i = 0; i < sizeof(val); i++)
			val[i] = (uint8_t)rnd();
		if (type == BPF_MAP_TYPE_LPM_TRIE) {
			key[0] = rnd() % 34; /* prefixlen, sometimes too long */
			key[1] = rnd() & 0x0303c0c0;
		}
		switch (rnd() % 6) {
		case 0:
		case 1:
			d_update(&d, key, val, f);
			break;
		case 2:
			d_lookup(&d, key);
			break;
		case 3:
			d_delete(&d, key);
			break;
		case 4:
			/* Hash orders differ: only the start and absent keys compare. */
			if (!arrayish && type != BPF_MAP_TYPE_LPM_TRIE &&
			    !kbpf_map_lookup(d.kfd, key, val))
				d_next(&d, NULL, 0);
			else
				d_next(&d, rnd() % 4 ? key : NULL,
				       arrayish || type == BPF_MAP_TYPE_LPM_TRIE);
			break;
		default:
			d_keyset(&d, arrayish || type == BPF_MAP_TYPE_LPM_TRIE);
			break;
		}
	}
	dual_end(&d);
}

/* IPv6-sized prefixes: lengths 0-128 span three words of skep's bitmap of
 * the lengths present; data bits from a small set, so prefixes nest. */
static void test_random_lpm6(struct harness *h, int nops)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_LPM_TRIE, 20, 8, 64, BPF_F_NO_PREALLOC);
	static const uint8_t edge[] = {0, 31, 32, 62, 63, 64, 65, 96, 126, 127, 128, 129};
	uint8_t key[20], val[8];
	struct dual d;

	if (dual_open(&d, h, "random_lpm_trie_ipv6", &a, 0)) {
		dual_end(&d);
		return;
	}
	for (int op = 0; op < nops && !d.bad; op++) {
		uint32_t plen = rnd() % 3 ? edge[rnd() % sizeof(edge)] : rnd() % 130;
		memcpy(key, &plen, 4);
		for (int i = 4; i < 20; i++)
			key[i] = (uint8_t)(rnd() % 4 ? 0x20 : rnd() & 0x21);
		for (size_t i = 0; i < sizeof(val); i++)
			val[i] = (uint8_t)rnd();
		switch (rnd() % 5) {
		case 0:
		case 1:
			d_update(&d, key, val, rnd() % 3);
			break;
		case 2:
		case 3:
			d_lookup(&d, key);
			break;
		default:
			d_delete(&d, key);
			break;
		}
	}
	d_keyset(&d, 1);
	dual_end(&d);
}

/* STACK_TRACE from user space: nothing fills it (no kernel stacks to record
 * here, none from a syscall there), so every answer is about ids out of
 * range or free: lookups, deletes, updates and the walk of the ids. */
static void test_stack_trace(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_STACK_TRACE, 4, 64, 20, 0);
	uint8_t val[64] = {1};
	struct dual d;

	if (dual_open(&d, h, "stack_trace", &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t id = 0; id < 40 && !d.bad; id += 3) {
		d_lookup(&d, &id);
		d_update(&d, &id, val, BPF_ANY);
		d_delete(&d, &id);
		d_next(&d, &id, 1);
	}
	d_next(&d, NULL, 1);
	d_keyset(&d, 1);
	dual_end(&d);
}

struct lpm4 {
	uint32_t plen;
	uint8_t a, b, c, dd;
};

static void test_lpm(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 5, BPF_F_NO_PREALLOC);
	static const struct lpm4 ins[] = {
		{8, 10, 0, 0, 0},    {16, 10, 1, 0, 0},    {24, 10, 1, 2, 0}, {16, 192, 168, 0, 0},
		{24, 192, 168, 1, 0}, {8, 1, 0, 0, 0} /* full */, {16, 10, 1, 77, 77} /* replace */,
		{33, 10, 0, 0, 0},   {0, 0, 0, 0, 0},
	};
	static const struct lpm4 probe[] = {
		{32, 10, 1, 2, 3}, {32, 10, 1, 9, 9}, {32, 10, 9, 9, 9}, {32, 11, 0, 0, 1},
		{16, 10, 1, 2, 3}, {40, 10, 1, 2, 3}, {7, 10, 1, 2, 3},  {32, 192, 168, 1, 200},
		{0, 0, 0, 0, 0},
	};
	uint64_t v = 0;
	struct dual d;

	if (dual_open(&d, h, "lpm_trie", &a, 0)) {
		dual_end(&d);
		return;
	}
	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		v = 0x1111111111111111ull * (i + 1);
		d_update(&d, &ins[i], &v, BPF_NOEXIST);
		d_update(&d, &ins[i], &v, BPF_EXIST);
		d_update(&d, &ins[i], &v, 3);
	}
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		d_lookup(&d, &probe[i]);
		d_next(&d, &probe[i], 1);
	}
	d_keyset(&d, 1);
	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		d_next(&d, &ins[i], 1);
		d_delete(&d, &probe[i]);
		if (i % 2)
			d_delete(&d, &ins[i]);
		d_keyset(&d, 1);
	}
	dual_end(&d);
}

static void test_queue(struct harness *h, uint32_t type, const char *name)
{
	struct skep_map_attr a = ATTR(type, 0, 4, 3, 0);
	struct dual d;

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	d_pop(&d, 0);
	d_peek(&d, NULL);
	for (uint32_t v = 1; v <= 4; v++)
		d_push(&d, &v, 0);
	d_peek(&d, NULL);
	for (uint32_t v = 5; v <= 6; v++)
		d_push(&d, &v, BPF_EXIST);
	uint32_t v = 9;
	d_push(&d, &v, BPF_NOEXIST);
	d_push(&d, &v, 4);
	d_pop(&d, BPF_F_LOCK);
	d_delete(&d, NULL);
	d_next(&d, NULL, 1);
	for (int i = 0; i < 4; i++) {
		d_peek(&d, NULL);
		d_pop(&d, 0);
	}
	for (uint32_t w = 10; w < 20; w++) {
		d_push(&d, &w, w % 3 ? BPF_ANY : BPF_EXIST);
		if (w % 4 == 0)
			d_pop(&d, 0);
	}
	for (int i = 0; i < 4; i++)
		d_pop(&d, 0);
	dual_end(&d);
}

static void test_bloom(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 100, 0);
	struct dual d;
	uint32_t v;

	a.map_extra = 3;
	if (dual_open(&d, h, "bloom_filter", &a, 0)) {
		dual_end(&d);
		return;
	}
	for (v = 0; v < 100; v += 2)
		d_push(&d, &v, 0);
	for (v = 0; v < 100; v += 2)
		d_peek(&d, &v); /* present: both say so */
	v = 1;
	d_push(&d, &v, BPF_EXIST);
	d_push(&d, &v, BPF_NOEXIST);
	d_delete(&d, NULL);
	d_next(&d, NULL, 1);
	d_pop(&d, 0);
	dual_end(&d);
	a.map_extra = 16;
	dual_open(&d, h, "bloom_filter_bad_extra", &a, 0);
	dual_end(&d);
}

/* LRU eviction is approximate in both: updates never fail, the map never
 * holds more than max_entries, and the newest key is always there. */
static void test_lru(struct harness *h, uint32_t type, const char *name)
{
	struct skep_map_attr a = ATTR(type, 4, 8, 64, 0);
	uint8_t val[8 * 1024] = {1};
	struct dual d;
	size_t kn, sn;

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t k = 0; k < 1000; k++) {
		d_update(&d, &k, val, BPF_ANY);
		d_lookup(&d, &k);
		d_update(&d, &k, val, BPF_NOEXIST);
	}
	free(dual_walk(&d, 1, &kn));
	free(dual_walk(&d, 0, &sn));
	if (kn > 64 || sn > 64 || !sn)
		dual_note(&d, "kernel holds %zu keys, skep %zu (max 64)", kn, sn);
	dual_end(&d);
}

static void test_batch(struct harness *h, uint32_t type, const char *name)
{
	struct skep_map_attr a = ATTR(type, 4, 8, 32, 0);
	uint32_t keys[64], kk[64], sk[64], kc, sc, kout, sout;
	uint8_t vals[64 * 8 * 64] = {0}, kv[sizeof(vals)], sv[sizeof(vals)];
	int k, s;
	struct dual d;

	if (dual_open(&d, h, name, &a, 0)) {
		dual_end(&d);
		return;
	}
	for (uint32_t i = 0; i < 64; i++)
		keys[i] = i * 3;
	for (size_t i = 0; i < sizeof(vals); i++)
		vals[i] = (uint8_t)i;
	kc = sc = 20;
	k = kbpf_map_update_batch(d.kfd, keys, vals, &kc, 0);
	s = skep_map_update_batch(d.m, keys, vals, &sc, 0);
	if (k != s || kc != sc)
		dual_note(&d, "update_batch: kernel %d/%u skep %d/%u", k, kc, s, sc);
	kc = sc = 64;
	k = kbpf_map_lookup_batch(d.kfd, NULL, &kout, kk, kv, &kc, 0);
	s = skep_map_lookup_batch(d.m, NULL, &sout, sk, sv, &sc, 0);
	if (k != s || kc != sc)
		dual_note(&d, "lookup_batch: kernel %d/%u skep %d/%u", k, kc, s, sc);
	kc = sc = 5;
	k = kbpf_map_delete_batch(d.kfd, keys + 3, &kc, 0);
	s = skep_map_delete_batch(d.m, keys + 3, &sc, 0);
	if (k != s || kc != sc)
		dual_note(&d, "delete_batch: kernel %d/%u skep %d/%u", k, kc, s, sc);
	kc = sc = 5; /* deleting them again fails on the first */
	k = kbpf_map_delete_batch(d.kfd, keys + 3, &kc, 0);
	s = skep_map_delete_batch(d.m, keys + 3, &sc, 0);
	if (k != s || kc != sc)
		dual_note(&d, "delete_batch again: kernel %d/%u skep %d/%u", k, kc, s, sc);
	d_keyset(&d, type != BPF_MAP_TYPE_HASH);
	dual_end(&d);
}

int main(void)
{
	struct harness h = {0};
	char why[256];

	if (!kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "map_kernel_diff", "%s", why);
		return harness_exit(&h);
	}
	test_create_checks(&h);
	test_array(&h, BPF_MAP_TYPE_ARRAY, "array");
	test_array(&h, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array");
	test_hash(&h, BPF_MAP_TYPE_HASH, "hash", 4);
	test_hash(&h, BPF_MAP_TYPE_HASH, "hash_key7", 7);
	test_hash(&h, BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", 8);
	test_lru(&h, BPF_MAP_TYPE_LRU_HASH, "lru_hash");
	test_lru(&h, BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash");
	test_lpm(&h);
	test_queue(&h, BPF_MAP_TYPE_QUEUE, "queue");
	test_queue(&h, BPF_MAP_TYPE_STACK, "stack");
	test_bloom(&h);
	test_batch(&h, BPF_MAP_TYPE_ARRAY, "batch_array");
	test_batch(&h, BPF_MAP_TYPE_HASH, "batch_hash");
	test_random(&h, BPF_MAP_TYPE_ARRAY, "random_array", 0, 3000);
	test_random(&h, BPF_MAP_TYPE_PERCPU_ARRAY, "random_percpu_array", 0, 3000);
	test_random(&h, BPF_MAP_TYPE_HASH, "random_hash", 0, 5000);
	test_random(&h, BPF_MAP_TYPE_HASH, "random_hash_no_prealloc", BPF_F_NO_PREALLOC, 3000);
	test_random(&h, BPF_MAP_TYPE_PERCPU_HASH, "random_percpu_hash", 0, 3000);
	test_random(&h, BPF_MAP_TYPE_LPM_TRIE, "random_lpm_trie", BPF_F_NO_PREALLOC, 5000);
	test_random_lpm6(&h, 5000);
	test_stack_trace(&h);
	return harness_exit(&h);
}
