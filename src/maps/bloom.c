/* BLOOM_FILTER: a set that answers "maybe present" or "surely absent".
 *
 * A power-of-2 array of bits, about 1.44 * k bits per expected element for k
 * hash functions (map_extra, default 5), so that a full filter answers
 * wrongly about 1 time in 2^k.  Pushes set bits with atomic ORs; peeks read
 * them; nothing takes a lock and nothing is ever removed.
 */
#include <errno.h>

#include "maps/map.h"

static int bloom_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | MAP_F_ACCESS;

	if (a->key_size || !a->value_size || !a->max_entries || (a->flags & ~mask) ||
	    !map_access_flags_ok(a->flags) || (a->map_extra & ~0xfull))
		return -EINVAL;
	return 0;
}

static size_t bloom_layout(struct skep_map *m, uint8_t *base)
{
	struct map_bloom *b = &m->u.bloom;
	uint64_t want;
	uint32_t bits = 64;

	b->nr_hashes = (m->map_extra & 0xf) ? (uint32_t)(m->map_extra & 0xf) : 5;
	want = (uint64_t)m->max_entries * b->nr_hashes * 1443 / 1000;
	while (bits < want && bits < (1u << 31))
		bits <<= 1;
	b->nr_bits = bits;
	if (base)
		b->bits = (uint64_t *)(base + MAP_HDR_SIZE);
	return MAP_HDR_SIZE + bits / 8;
}

/* k bit positions from one 64-bit hash (double hashing). */
static uint32_t bloom_bit(const struct map_bloom *b, uint64_t h, uint32_t i)
{
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;

	return (h1 + i * h2) & (b->nr_bits - 1);
}

static int bloom_push(struct skep_map *m, const void *value, uint64_t flags)
{
	struct map_bloom *b = &m->u.bloom;
	uint64_t h = map_hash_bytes(value, m->value_size, m->seed);

	if (flags != BPF_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nr_hashes; i++) {
		uint32_t bit = bloom_bit(b, h, i);
		__atomic_fetch_or(&b->bits[bit / 64], 1ull << (bit % 64), __ATOMIC_RELAXED);
	}
	return 0;
}

static int bloom_peek(struct skep_map *m, void *value, int remove)
{
	struct map_bloom *b = &m->u.bloom;
	uint64_t h = map_hash_bytes(value, m->value_size, m->seed);

	if (remove)
		return -MAP_ENOTSUPP;
	for (uint32_t i = 0; i < b->nr_hashes; i++) {
		uint32_t bit = bloom_bit(b, h, i);
		if (!(__atomic_load_n(&b->bits[bit / 64], __ATOMIC_RELAXED) & (1ull << (bit % 64))))
			return -ENOENT;
	}
	return 0;
}

static void *bloom_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	return NULL;
}

static int bloom_delete(struct skep_map *m, const void *key)
{
	return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct skep_map *m, const void *key, void *next)
{
	return -EOPNOTSUPP;
}

const struct map_ops map_bloom_ops = {
	.name = "bloom_filter",
	.pinnable = 1,
	.check = bloom_check,
	.layout = bloom_layout,
	.lookup = bloom_lookup,
	.delete_elem = bloom_delete,
	.push = bloom_push,
	.pop = bloom_peek,
	.get_next_key = bloom_get_next_key,
};
