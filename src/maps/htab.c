/* The shared hash table (see htab.h): layout, the lock-free lookup, updates
 * under striped bucket locks, the free list, LRU eviction by a clock hand,
 * and iteration.
 *
 * `count` counts elements that are live or reserved for a key being
 * inserted: a plain table refuses a new key (-E2BIG) when it would pass
 * max_entries; an LRU table (npool == max_entries) evicts instead.
 */
#include <errno.h>
#include <string.h>

#include "maps/htab.h"
#include "maps/map.h"

static uint32_t htab_pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* off += n * each, refusing sizes that cannot be memory. */
static int htab_grow(size_t *off, size_t n, size_t each, size_t align)
{
	size_t bytes;

	*off = map_align(*off, align);
	if (__builtin_mul_overflow(n, each, &bytes) || __builtin_add_overflow(*off, bytes, off))
		return 0;
	return *off < (1ull << 44);
}

size_t htab_layout(struct htab *h, const struct htab_params *p, uint8_t *base, size_t off)
{
	uint64_t npool = (uint64_t)p->max_entries + p->extra_elems;
	size_t o_sh, o_locks, o_buckets, o_elems, o_keys, o_extra, o_values;

	memset(h, 0, sizeof(*h));
	if (!p->max_entries || p->max_entries > (1u << 30) || npool >= (1u << 31) || !p->nr_slots)
		return 0;
	h->max_entries = p->max_entries;
	h->npool = (uint32_t)npool;
	h->nbuckets = htab_pow2(p->max_entries);
	h->nlocks = h->nbuckets < 1024 ? h->nbuckets : 1024;
	h->key_size = p->key_size;
	h->kstride = map_round8(p->key_size);
	h->xsize = p->xsize;
	h->xstride = map_round8(p->xsize);
	h->value_size = p->value_size;
	h->vstride = map_round8(p->value_size);
	h->nr_slots = p->nr_slots;
	h->seed = p->seed;
	h->lru = p->lru;
	h->lock_off = p->lock_off;
	if (__builtin_mul_overflow((size_t)h->npool, (size_t)h->vstride, &h->slot_bytes))
		return 0;
	o_sh = map_align(off, 64);
	off = o_sh + sizeof(struct htab_shared);
	if (!htab_grow(&off, h->nlocks, sizeof(struct map_mutex), 64))
		return 0;
	o_locks = off - (size_t)h->nlocks * sizeof(struct map_mutex);
	o_buckets = off;
	if (!htab_grow(&off, h->nbuckets, sizeof(uint32_t), 4))
		return 0;
	o_elems = map_align(off, 16);
	if (!htab_grow(&off, h->npool, sizeof(struct htab_elem), 16))
		return 0;
	o_keys = off;
	if (!htab_grow(&off, h->npool, h->kstride, 8))
		return 0;
	o_extra = off;
	if (!htab_grow(&off, h->npool, h->xstride, 8))
		return 0;
	o_values = map_align(off, 64);
	if (!htab_grow(&off, h->nr_slots, h->slot_bytes, 64))
		return 0;
	if (base) {
		h->sh = (struct htab_shared *)(base + o_sh);
		h->locks = (struct map_mutex *)(base + o_locks);
		h->buckets = (uint32_t *)(base + o_buckets);
		h->elems = (struct htab_elem *)(base + o_elems);
		h->keys = base + o_keys;
		h->extra = base + o_extra;
		h->values = base + o_values;
	}
	return off;
}

int htab_init(struct htab *h)
{
	int err = map_mutex_init(&h->sh->lru_lock);

	for (uint32_t i = 0; !err && i < h->nlocks; i++)
		err = map_mutex_init(&h->locks[i]);
	for (uint32_t b = 0; b < h->nbuckets; b++)
		h->buckets[b] = HTAB_NULLS | b;
	for (uint32_t i = 0; i < h->npool; i++)
		h->elems[i].next = i + 1 < h->npool ? i + 1 : HTAB_FREE_END;
	h->sh->free_head = 0; /* tag 0, element 0 */
	return err;
}

/* Under the bucket lock: the element and its predecessor (-1: the bucket). */
static int64_t htab_find_locked(const struct htab *h, const void *key, uint32_t hash,
				uint32_t b, int64_t *prev)
{
	int64_t p = -1;
	uint32_t i = h->buckets[b], steps = 0;

	while (!(i & HTAB_NULLS) && i < h->npool && steps++ <= h->npool) {
		if (h->elems[i].hash == hash && htab_key_eq(h, i, key)) {
			*prev = p;
			return i;
		}
		p = i;
		i = h->elems[i].next;
	}
	return -1;
}

static void htab_set_link(struct htab *h, uint32_t b, int64_t prev, uint32_t to)
{
	uint32_t *link = prev < 0 ? &h->buckets[b] : &h->elems[prev].next;

	__atomic_store_n(link, to, __ATOMIC_RELEASE);
}

static int64_t htab_pop(struct htab *h)
{
	uint64_t old = __atomic_load_n(&h->sh->free_head, __ATOMIC_ACQUIRE), next;

	do {
		uint32_t i = (uint32_t)old;
		if (i >= h->npool)
			return -1;
		next = ((old >> 32) + 1) << 32 | __atomic_load_n(&h->elems[i].next, __ATOMIC_RELAXED);
	} while (!__atomic_compare_exchange_n(&h->sh->free_head, &old, next, 1, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return (uint32_t)old;
}

static void htab_push(struct htab *h, uint32_t i)
{
	uint64_t old = __atomic_load_n(&h->sh->free_head, __ATOMIC_RELAXED), next;

	do {
		__atomic_store_n(&h->elems[i].next, (uint32_t)old, __ATOMIC_RELAXED);
		next = ((old >> 32) + 1) << 32 | i;
	} while (!__atomic_compare_exchange_n(&h->sh->free_head, &old, next, 1, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

/* An element for a new key, counted; -1 when the table is full. */
static int64_t htab_alloc(struct htab *h)
{
	int64_t i;

	if (__atomic_fetch_add(&h->sh->count, 1, __ATOMIC_RELAXED) >= h->max_entries && !h->lru) {
		__atomic_fetch_sub(&h->sh->count, 1, __ATOMIC_RELAXED);
		return -1;
	}
	i = htab_pop(h);
	if (i < 0)
		__atomic_fetch_sub(&h->sh->count, 1, __ATOMIC_RELAXED);
	return i;
}

static void htab_release(struct htab *h, uint32_t i)
{
	htab_push(h, i);
	__atomic_fetch_sub(&h->sh->count, 1, __ATOMIC_RELAXED);
}

static void htab_fill(struct htab *h, uint32_t i, const struct htab_val *v, int fresh)
{
	int locked = !fresh && (v->flags & BPF_F_LOCK);
	uint32_t each = h->nr_slots > 1 ? h->vstride : h->value_size;

	if (fresh && h->lock_off >= 0)
		for (uint32_t s = 0; s < h->nr_slots; s++)
			memset(htab_value(h, i, s) + h->lock_off, 0, 4);
	if (v->slot == HTAB_ALL_SLOTS) {
		for (uint32_t s = 0; s < h->nr_slots; s++)
			map_value_store(h->lock_off, htab_value(h, i, s),
					(const uint8_t *)v->src + (size_t)s * h->vstride, each, locked);
	} else {
		map_value_store(h->lock_off, htab_value(h, i, v->slot), v->src, h->value_size, locked);
		/* A program's update of a new per-CPU element shows the other CPUs zeros. */
		for (uint32_t s = 0; fresh && s < h->nr_slots; s++)
			if (s != v->slot)
				memset(htab_value(h, i, s), 0, h->vstride);
	}
	if (v->extra)
		memcpy(htab_extra(h, i), v->extra, h->xsize);
}

static void htab_link_new(struct htab *h, const void *key, uint32_t hash, uint32_t b, uint32_t i,
			  const struct htab_val *v)
{
	struct htab_elem *e = &h->elems[i];

	memcpy(htab_key(h, i), key, h->key_size);
	e->hash = hash;
	htab_fill(h, i, v, 1);
	e->next = h->buckets[b];
	__atomic_store_n(&e->state, HTAB_LIVE, __ATOMIC_RELAXED);
	htab_set_link(h, b, -1, i);
}

/* An existing key gets a new value.  A plain table swaps in a fresh element,
 * so lock-free readers see the old value or the new one, never a mix (as
 * the kernel); per-CPU, LRU and BPF_F_LOCK updates write in place. */
static void htab_replace(struct htab *h, uint32_t b, int64_t prev, uint32_t old,
			 const struct htab_val *v)
{
	int64_t spare = -1;

	if (h->nr_slots == 1 && !h->lru && !(v->flags & BPF_F_LOCK))
		spare = htab_pop(h);
	if (spare < 0) {
		htab_fill(h, old, v, 0);
		return;
	}
	memcpy(htab_key(h, spare), htab_key(h, old), h->key_size);
	h->elems[spare].hash = h->elems[old].hash;
	htab_fill(h, spare, v, 1);
	if (!v->extra && h->xsize)
		memcpy(htab_extra(h, spare), htab_extra(h, old), h->xsize);
	h->elems[spare].next = h->elems[old].next;
	__atomic_store_n(&h->elems[spare].state, HTAB_LIVE, __ATOMIC_RELAXED);
	htab_set_link(h, b, prev, spare);
	__atomic_store_n(&h->elems[old].state, 0, __ATOMIC_RELAXED);
	htab_push(h, old);
}

/* Unlink element i if it is still live in the bucket of `hash`; the caller
 * holds that bucket's lock. */
static int htab_unlink_locked(struct htab *h, uint32_t i, uint32_t hash)
{
	uint32_t b = hash & (h->nbuckets - 1);
	int64_t prev = -1;
	uint32_t j = h->buckets[b], steps = 0;

	while (!(j & HTAB_NULLS) && j < h->npool && steps++ <= h->npool && j != i) {
		prev = j;
		j = h->elems[j].next;
	}
	if (j != i)
		return 0;
	htab_set_link(h, b, prev, h->elems[i].next);
	__atomic_store_n(&h->elems[i].state, 0, __ATOMIC_RELAXED);
	return 1;
}

/* LRU: take a free element, or evict the first element the clock hand finds
 * unused since its last pass.  The new key inherits the victim's count. */
static int64_t htab_lru_evict(struct htab *h)
{
	struct htab_shared *sh = h->sh;
	int64_t got;

	map_mutex_lock(&sh->lru_lock);
	got = htab_alloc(h);
	for (uint64_t n = 0; got < 0 && n <= 2ull * h->npool; n++) {
		uint32_t i = sh->lru_hand % h->npool;
		uint32_t st = __atomic_load_n(&h->elems[i].state, __ATOMIC_RELAXED);
		uint32_t hash = h->elems[i].hash;
		struct map_mutex *lk = htab_lock_of(h, hash);

		sh->lru_hand = i + 1;
		if (!(st & HTAB_LIVE))
			continue;
		if (st & HTAB_REF) {
			__atomic_fetch_and(&h->elems[i].state, ~HTAB_REF, __ATOMIC_RELAXED);
			continue;
		}
		map_mutex_lock(lk);
		if (h->elems[i].hash == hash && htab_unlink_locked(h, i, hash))
			got = i;
		map_mutex_unlock(lk);
	}
	map_mutex_unlock(&sh->lru_lock);
	return got;
}

int htab_update(struct htab *h, const void *key, const struct htab_val *v)
{
	uint64_t op = v->flags & ~(uint64_t)BPF_F_LOCK;
	uint32_t hash = htab_hash(h, key), b = hash & (h->nbuckets - 1);
	struct map_mutex *lk = htab_lock_of(h, hash);
	int64_t fresh = -1, prev = -1, old;
	int err = 0;

	if (op > BPF_EXIST)
		return -EINVAL;
	if (v->flags & BPF_F_LOCK) {
		/* As the kernel: an existing element is written under its own
		 * spin lock, without the bucket lock. */
		old = htab_find(h, key, hash);
		if (old >= 0 && op == BPF_NOEXIST)
			return -EEXIST;
		if (old >= 0) {
			htab_fill(h, (uint32_t)old, v, 0);
			return 0;
		}
	}
	for (;;) {
		map_mutex_lock(lk);
		old = htab_find_locked(h, key, hash, b, &prev);
		if (old >= 0 && op == BPF_NOEXIST) {
			err = -EEXIST;
		} else if (old < 0 && op == BPF_EXIST) {
			err = -ENOENT;
		} else if (old >= 0) {
			htab_replace(h, b, prev, (uint32_t)old, v);
		} else {
			if (fresh < 0)
				fresh = htab_alloc(h);
			if (fresh < 0 && h->lru) {
				/* Never evict under a bucket lock: eviction takes others. */
				map_mutex_unlock(lk);
				fresh = htab_lru_evict(h);
				if (fresh < 0)
					return -ENOMEM;
				continue;
			}
			if (fresh < 0) {
				err = -E2BIG;
			} else {
				htab_link_new(h, key, hash, b, (uint32_t)fresh, v);
				fresh = -1;
				if (v->inserted)
					*v->inserted = 1;
			}
		}
		break;
	}
	map_mutex_unlock(lk);
	if (fresh >= 0)
		htab_release(h, (uint32_t)fresh);
	return err;
}

void htab_copy_out(const struct htab *h, uint32_t i, void *value, int locked)
{
	if (h->nr_slots > 1) {
		for (uint32_t s = 0; s < h->nr_slots; s++)
			memcpy((uint8_t *)value + (size_t)s * h->vstride, htab_value(h, i, s), h->vstride);
		return;
	}
	map_value_load(h->lock_off, value, htab_value(h, i, 0), h->value_size, locked);
}

int htab_delete(struct htab *h, const void *key, void *value)
{
	uint32_t hash = htab_hash(h, key), b = hash & (h->nbuckets - 1);
	struct map_mutex *lk = htab_lock_of(h, hash);
	int64_t prev = -1, i;

	map_mutex_lock(lk);
	i = htab_find_locked(h, key, hash, b, &prev);
	if (i < 0) {
		map_mutex_unlock(lk);
		return -ENOENT;
	}
	if (value)
		htab_copy_out(h, (uint32_t)i, value, 0);
	htab_set_link(h, b, prev, h->elems[i].next);
	__atomic_store_n(&h->elems[i].state, 0, __ATOMIC_RELAXED);
	map_mutex_unlock(lk);
	htab_release(h, (uint32_t)i);
	return 0;
}

/* The first element of buckets from b on, its key copied to next. */
static int htab_first_from(struct htab *h, uint32_t b, void *next)
{
	for (; b < h->nbuckets; b++) {
		struct map_mutex *lk = &h->locks[b & (h->nlocks - 1)];
		uint32_t i;

		if (__atomic_load_n(&h->buckets[b], __ATOMIC_ACQUIRE) & HTAB_NULLS)
			continue;
		map_mutex_lock(lk);
		i = h->buckets[b];
		if (!(i & HTAB_NULLS) && i < h->npool) {
			memcpy(next, htab_key(h, i), h->key_size);
			map_mutex_unlock(lk);
			return 0;
		}
		map_mutex_unlock(lk);
	}
	return -ENOENT;
}

int htab_next_key(struct htab *h, const void *key, void *next)
{
	uint32_t hash, b;
	int64_t i, prev;

	if (!key)
		return htab_first_from(h, 0, next);
	hash = htab_hash(h, key);
	b = hash & (h->nbuckets - 1);
	map_mutex_lock(htab_lock_of(h, hash));
	i = htab_find_locked(h, key, hash, b, &prev);
	if (i >= 0) {
		uint32_t n = h->elems[i].next;
		if (!(n & HTAB_NULLS) && n < h->npool) {
			memcpy(next, htab_key(h, n), h->key_size);
			map_mutex_unlock(htab_lock_of(h, hash));
			return 0;
		}
	}
	map_mutex_unlock(htab_lock_of(h, hash));
	/* A key that is gone restarts the walk, as in the kernel. */
	return htab_first_from(h, i >= 0 ? b + 1 : 0, next);
}

long htab_for_each(struct htab *h, int (*fn)(struct htab *h, uint32_t i, void *arg), void *arg)
{
	long n = 0;

	/* No lock: fn runs program code that may update or delete (even the
	 * current element, whose successor is read first). */
	for (uint32_t b = 0; b < h->nbuckets; b++) {
		uint32_t i = __atomic_load_n(&h->buckets[b], __ATOMIC_ACQUIRE), steps = 0;

		while (!(i & HTAB_NULLS) && i < h->npool && steps++ <= h->npool) {
			uint32_t next = __atomic_load_n(&h->elems[i].next, __ATOMIC_ACQUIRE);
			if (__atomic_load_n(&h->elems[i].state, __ATOMIC_RELAXED) & HTAB_LIVE) {
				n++;
				if (fn(h, i, arg))
					return n;
			}
			i = next;
		}
	}
	return n;
}
