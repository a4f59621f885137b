/* The hash table behind HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH,
 * HASH_OF_MAPS and LPM_TRIE.
 *
 * Everything lives in the map's shared region and links by element index:
 *
 *   shared | locks[nlocks] | buckets[nbuckets] | elems[npool] | keys | extra | values
 *
 * Elements are preallocated; free ones form a lock-free stack whose head
 * carries a tag against ABA.  Writers lock the bucket's stripe; readers take
 * no lock.  A chain ends in a "nulls" marker naming its bucket, so a reader
 * that was carried into another chain by a concurrent delete and reuse sees
 * the wrong marker and starts over (the kernel's hlist_nulls idea).
 * Values of per-CPU tables are CPU-major: each CPU's slots are contiguous, so
 * threads on different CPUs do not share cache lines.
 */
#ifndef SKEP_MAPS_HTAB_H
#define SKEP_MAPS_HTAB_H

#include <stddef.h>
#include <stdint.h>

#include "maps/map_hash.h"
#include "maps/map_lock.h"

#define HTAB_NULLS 0x80000000u
#define HTAB_FREE_END (HTAB_NULLS | 0x7fffffffu) /* a bucket that never exists */

/* Element state bits. */
#define HTAB_LIVE 1u /* linked into a bucket */
#define HTAB_REF 2u  /* LRU: used since the clock hand last passed */

struct htab_shared {
	uint64_t free_head; /* tag << 32 | first free element, or HTAB_FREE_END */
	uint32_t count;     /* live elements */
	uint32_t lru_hand;  /* LRU: next element the clock looks at */
	struct map_mutex lru_lock;
};

struct htab_elem {
	uint32_t next;  /* next element, or HTAB_NULLS | bucket */
	uint32_t hash;
	uint32_t state; /* HTAB_LIVE | HTAB_REF */
	uint32_t pad;
};

/* A process's view of one table inside a region. */
struct htab {
	struct htab_shared *sh;
	struct map_mutex *locks;
	uint32_t *buckets;
	struct htab_elem *elems;
	uint8_t *keys, *extra, *values;
	uint32_t nbuckets, nlocks, npool, max_entries;
	uint32_t key_size, kstride, xsize, xstride, value_size, vstride, nr_slots;
	size_t slot_bytes; /* npool * vstride: from one CPU's slots to the next */
	uint64_t seed;
	int lru;
	int lock_off; /* offset of a struct bpf_spin_lock in the value, or -1 */
};

struct htab_params {
	uint32_t key_size, value_size, max_entries;
	uint32_t nr_slots;   /* values per element: 1, or nr_cpus */
	uint32_t xsize;      /* bytes of per-element extra data (LPM: the original key) */
	uint32_t extra_elems; /* spares beyond max_entries, for replacing in place */
	int lru;
	int lock_off;
	uint64_t seed;
};

/* Lay the table out at `off` of the region at `base` (NULL: only measure).
 * Returns the offset just past it, or 0 when it would not fit in memory. */
size_t htab_layout(struct htab *h, const struct htab_params *p, uint8_t *base, size_t off);
/* Make a fresh (zeroed) region a valid empty table; 0 or a negative errno. */
int htab_init(struct htab *h);

static inline uint32_t htab_hash(const struct htab *h, const void *key)
{
	return (uint32_t)map_hash_bytes(key, h->key_size, h->seed);
}

static inline uint8_t *htab_key(const struct htab *h, uint32_t i)
{
	return h->keys + (size_t)i * h->kstride;
}

static inline int htab_key_eq(const struct htab *h, uint32_t i, const void *key)
{
	const uint8_t *k = htab_key(h, i);
	uint64_t a, b;
	uint32_t x;

	switch (h->key_size) {
	case 4: /* stored keys are 8-aligned; the program's may not be */
		__builtin_memcpy(&x, key, 4);
		return *(const uint32_t *)k == x;
	case 8:
		__builtin_memcpy(&a, k, 8);
		__builtin_memcpy(&b, key, 8);
		return a == b;
	default:
		return !__builtin_memcmp(k, key, h->key_size);
	}
}

/* The element holding `key`, or -1.  No lock taken: a reader carried into
 * another chain by a concurrent delete and reuse sees the wrong nulls mark
 * and starts over; a region corrupted into a cycle makes it give up. */
static inline int64_t htab_find(const struct htab *h, const void *key, uint32_t hash)
{
	uint32_t b = hash & (h->nbuckets - 1);

	for (unsigned restarts = 0; restarts < 10000; restarts++) {
		uint32_t i = __atomic_load_n(&h->buckets[b], __ATOMIC_ACQUIRE);
		uint32_t steps = 0;

		while (!(i & HTAB_NULLS) && i < h->npool && steps++ <= h->npool) {
			const struct htab_elem *e = &h->elems[i];
			if (e->hash == hash && (__atomic_load_n(&e->state, __ATOMIC_RELAXED) & HTAB_LIVE) &&
			    htab_key_eq(h, i, key))
				return i;
			i = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
		}
		if (i == (HTAB_NULLS | b))
			return -1;
	}
	return -1;
}
static inline uint8_t *htab_extra(const struct htab *h, uint32_t i)
{
	return h->extra + (size_t)i * h->xstride;
}
static inline uint8_t *htab_value(const struct htab *h, uint32_t i, uint32_t slot)
{
	return h->values + slot * h->slot_bytes + (size_t)i * h->vstride;
}
/* LRU: note a use, so the clock passes over the element once. */
static inline void htab_touch(const struct htab *h, uint32_t i)
{
	uint32_t *st = &h->elems[i].state;

	if (!(__atomic_load_n(st, __ATOMIC_RELAXED) & HTAB_REF))
		__atomic_fetch_or(st, HTAB_REF, __ATOMIC_RELAXED);
}

#define HTAB_ALL_SLOTS UINT32_MAX

/* What an update writes. */
struct htab_val {
	const void *src;   /* slot == HTAB_ALL_SLOTS: nr_slots values, vstride apart */
	uint32_t slot;     /* one slot (a program's CPU): new elements zero the others */
	const void *extra; /* xsize bytes, or NULL */
	uint64_t flags;    /* BPF_ANY, BPF_NOEXIST, BPF_EXIST, | BPF_F_LOCK */
	int *inserted;     /* if set: 1 when the key was new */
};

/* Kernel semantics: -EINVAL (flags), -EEXIST, -ENOENT, -E2BIG (full). */
int htab_update(struct htab *h, const void *key, const struct htab_val *v);
/* Delete `key`, first copying its value out (all slots) when `value` is set. */
int htab_delete(struct htab *h, const void *key, void *value);
/* Copy element i's value(s) out, as user space sees them. */
void htab_copy_out(const struct htab *h, uint32_t i, void *value, int locked);
/* The next key (see skep_map_get_next_key). */
int htab_next_key(struct htab *h, const void *key, void *next);
/* Call fn on each live element until it returns nonzero; the number visited. */
long htab_for_each(struct htab *h, int (*fn)(struct htab *h, uint32_t i, void *arg), void *arg);
/* The bucket lock for a hash, for callers that must hold it across steps. */
static inline struct map_mutex *htab_lock_of(const struct htab *h, uint32_t hash)
{
	return &h->locks[hash & (h->nbuckets - 1) & (h->nlocks - 1)];
}

#endif
