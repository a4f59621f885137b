/* LPM_TRIE: longest-prefix match, with the kernel's semantics but not its
 * trie.
 *
 * A key is struct bpf_lpm_trie_key (u32 prefixlen, then the data bytes).
 * Entries live in the shared hash table keyed by the prefix with the bits
 * past prefixlen cleared; a count per prefix length says which lengths exist,
 * and a lookup probes them from the longest down.  So lookups are lock-free
 * like every hash lookup, and an IPv4 lookup costs at most 33 probes of
 * lengths that are present.  The key exactly as the last update gave it is
 * kept beside each entry, since the kernel hands those bytes back.  A bitmap
 * of the lengths present, beside the counts, lets a lookup jump from one
 * present length to the next (an empty map costs one word's test).
 *
 * Iteration follows the kernel's order, a post-order walk of the prefix tree:
 * a prefix comes after every longer prefix inside it, and of two prefixes
 * that diverge, the one with a 0 at the first differing bit comes first.
 */
#include <errno.h>
#include <string.h>

#include "maps/map.h"

#define LPM_DATA_MAX 256

struct lpm_key {
	uint32_t prefixlen;
	uint8_t data[LPM_DATA_MAX];
};

static int lpm_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | MAP_F_ACCESS;

	if (!a->max_entries || !(a->flags & BPF_F_NO_PREALLOC) || (a->flags & ~mask) ||
	    !map_access_flags_ok(a->flags) || a->key_size < 4 + 1 || a->key_size > 4 + LPM_DATA_MAX ||
	    !a->value_size || a->value_size > (4u << 20) - LPM_DATA_MAX - 64)
		return -EINVAL;
	return 0;
}

static size_t lpm_layout(struct skep_map *m, uint8_t *base)
{
	struct map_lpm *l = &m->u.lpm;
	uint32_t max_plen = (m->key_size - 4) * 8;
	struct htab_params p = {
		.key_size = m->key_size,
		.value_size = m->value_size,
		.max_entries = m->max_entries,
		.nr_slots = 1,
		.xsize = m->key_size,
		.extra_elems = m->nr_cpus,
		.lock_off = -1,
		.seed = m->seed,
	};
	size_t off = htab_layout(&l->h, &p, base, MAP_HDR_SIZE);

	l->max_plen = max_plen;
	if (!off)
		return 0;
	off = map_align(off, 8);
	if (base)
		l->plen_bits = (uint64_t *)(base + off);
	off += (max_plen / 64 + 1) * sizeof(uint64_t);
	if (base)
		l->plen_count = (uint32_t *)(base + off);
	return off + (max_plen + 1) * sizeof(uint32_t);
}

static int lpm_init(struct skep_map *m)
{
	return htab_init(&m->u.lpm.h);
}

static uint32_t lpm_plen(const void *key)
{
	uint32_t p;

	memcpy(&p, key, 4);
	return p;
}

/* The table key of `key` cut to plen bits. */
static void lpm_mask(const struct skep_map *m, const void *key, uint32_t plen, struct lpm_key *out)
{
	uint32_t full = plen / 8;

	memset(out, 0, m->key_size);
	out->prefixlen = plen;
	memcpy(out->data, (const uint8_t *)key + 4, full);
	if (plen % 8)
		out->data[full] = ((const uint8_t *)key)[4 + full] & (uint8_t)(0xff00 >> (plen % 8));
}

/* After a count changed: its bit says what the count now says.  Racing
 * updates of one length settle on the truth: whichever writes the bit last
 * saw the count unchanged after writing it, and a later change of the count
 * is followed by its own writer's sync. */
static void lpm_bit_sync(struct map_lpm *l, uint32_t p)
{
	uint64_t bit = 1ull << (p % 64);
	uint32_t c;

	do {
		c = __atomic_load_n(&l->plen_count[p], __ATOMIC_SEQ_CST);
		if (c)
			__atomic_fetch_or(&l->plen_bits[p / 64], bit, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&l->plen_bits[p / 64], ~bit, __ATOMIC_SEQ_CST);
	} while (__atomic_load_n(&l->plen_count[p], __ATOMIC_SEQ_CST) != c);
}

static void lpm_count_add(struct map_lpm *l, uint32_t p, int32_t d)
{
	__atomic_fetch_add(&l->plen_count[p], (uint32_t)d, __ATOMIC_SEQ_CST);
	lpm_bit_sync(l, p);
}

/* The lengths present in bits of word w that are at most `want`. */
static uint64_t lpm_word(const struct map_lpm *l, uint32_t w, uint32_t want)
{
	uint64_t bits = __atomic_load_n(&l->plen_bits[w], __ATOMIC_ACQUIRE);

	if (w == want / 64 && want % 64 != 63)
		bits &= (2ull << (want % 64)) - 1;
	return bits;
}

static int64_t lpm_match(struct skep_map *m, const void *key)
{
	struct map_lpm *l = &m->u.lpm;
	uint32_t want = lpm_plen(key);
	struct lpm_key k;

	if (want > l->max_plen) /* the kernel finds nothing for such a key */
		return -1;
	for (int64_t w = want / 64; w >= 0; w--) {
		for (uint64_t bits = lpm_word(l, (uint32_t)w, want); bits;) {
			uint32_t top = 63 - (uint32_t)__builtin_clzll(bits);
			int64_t i;
			bits &= ~(1ull << top);
			lpm_mask(m, key, (uint32_t)w * 64 + top, &k);
			i = htab_find(&l->h, &k, htab_hash(&l->h, &k));
			if (i >= 0)
				return i;
		}
	}
	return -1;
}

static void *lpm_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	int64_t i = lpm_match(m, key);

	return i < 0 ? NULL : htab_value(&m->u.lpm.h, (uint32_t)i, 0);
}

static int lpm_lookup_copy(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	int64_t i = lpm_match(m, key);

	if (i < 0)
		return -ENOENT;
	htab_copy_out(&m->u.lpm.h, (uint32_t)i, value, 0);
	return 0;
}

static int lpm_update(struct skep_map *m, const void *key, const void *value, uint64_t flags,
		      uint32_t cpu)
{
	struct map_lpm *l = &m->u.lpm;
	uint32_t plen = lpm_plen(key);
	int inserted = 0, err;
	struct lpm_key k;
	struct htab_val v = {.src = value, .slot = HTAB_ALL_SLOTS, .extra = key, .flags = flags,
			     .inserted = &inserted};

	if (flags > BPF_EXIST || plen > l->max_plen)
		return -EINVAL;
	lpm_mask(m, key, plen, &k);
	/* Count first, so a lookup racing with the insert never skips its length. */
	lpm_count_add(l, plen, 1);
	err = htab_update(&l->h, &k, &v);
	if (!inserted)
		lpm_count_add(l, plen, -1);
	return err == -E2BIG ? -ENOSPC : err;
}

static int lpm_delete(struct skep_map *m, const void *key)
{
	struct map_lpm *l = &m->u.lpm;
	uint32_t plen = lpm_plen(key);
	struct lpm_key k;
	int err;

	if (plen > l->max_plen)
		return -EINVAL;
	lpm_mask(m, key, plen, &k);
	err = htab_delete(&l->h, &k, NULL);
	if (!err)
		lpm_count_add(l, plen, -1);
	return err;
}

/* Does prefix a come before prefix b in the kernel's walk? */
static int lpm_before(const uint8_t *a, const uint8_t *b)
{
	uint32_t pa = lpm_plen(a), pb = lpm_plen(b), common = pa < pb ? pa : pb;

	for (uint32_t bit = 0; bit < common; bit++) {
		int x = a[4 + bit / 8] >> (7 - bit % 8) & 1;
		int y = b[4 + bit / 8] >> (7 - bit % 8) & 1;
		if (x != y)
			return x < y;
	}
	return pa > pb; /* the longer prefix is inside the shorter: it comes first */
}

struct lpm_next {
	const uint8_t *after; /* NULL: find the first */
	int64_t best;
};

static int lpm_next_one(struct htab *h, uint32_t i, void *arg)
{
	struct lpm_next *n = arg;
	const uint8_t *k = htab_extra(h, i);

	if (n->after && !lpm_before(n->after, k))
		return 0;
	if (n->best < 0 || lpm_before(k, htab_extra(h, (uint32_t)n->best)))
		n->best = i;
	return 0;
}

static int lpm_get_next_key(struct skep_map *m, const void *key, void *next)
{
	struct map_lpm *l = &m->u.lpm;
	struct lpm_next n = {NULL, -1};
	struct lpm_key k, after;

	/* A key that is not in the trie starts the walk over, as in the kernel. */
	if (key && lpm_plen(key) <= l->max_plen) {
		lpm_mask(m, key, lpm_plen(key), &k);
		if (htab_find(&l->h, &k, htab_hash(&l->h, &k)) >= 0) {
			after = k;
			n.after = (const uint8_t *)&after;
		}
	}
	htab_for_each(&l->h, lpm_next_one, &n);
	if (n.best < 0)
		return -ENOENT;
	memcpy(next, htab_extra(&l->h, (uint32_t)n.best), m->key_size);
	return 0;
}

struct lpm_each {
	struct skep_map *m;
	map_each_fn fn;
	void *arg;
};

static int lpm_each_one(struct htab *h, uint32_t i, void *arg)
{
	struct lpm_each *e = arg;

	return e->fn(e->m, htab_extra(h, i), htab_value(h, i, 0), e->arg);
}

static long lpm_for_each(struct skep_map *m, uint32_t cpu, map_each_fn fn, void *arg)
{
	struct lpm_each e = {m, fn, arg};

	return htab_for_each(&m->u.lpm.h, lpm_each_one, &e);
}

const struct map_ops map_lpm_ops = {
	.name = "lpm_trie",
	.pinnable = 1,
	.check = lpm_check,
	.layout = lpm_layout,
	.init = lpm_init,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete_elem = lpm_delete,
	.for_each = lpm_for_each,
	.lookup_copy = lpm_lookup_copy,
	.get_next_key = lpm_get_next_key,
};
