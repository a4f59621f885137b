/* HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS: the map
 * types over the shared hash table (htab.c), with the kernel's creation
 * checks and its program/user split (a program's lookup gets its CPU's slot
 * and marks an LRU element used; user space copies every CPU's value). */
#include <errno.h>
#include <string.h>

#include "maps/map.h"

static int hash_is_lru(uint32_t type)
{
	return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int hash_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | MAP_F_ACCESS |
			BPF_F_ZERO_SEED;
	int lru = hash_is_lru(a->type), percpu = map_is_percpu(a->type);

	if ((a->flags & ~mask) || !map_access_flags_ok(a->flags))
		return -EINVAL;
	if (!lru && (a->flags & BPF_F_NO_COMMON_LRU))
		return -EINVAL;
	if (lru && (a->flags & BPF_F_NO_PREALLOC))
		return -MAP_ENOTSUPP;
	if (!a->max_entries || !a->key_size || !a->value_size)
		return -EINVAL;
	if ((uint64_t)a->key_size + a->value_size >= (4u << 20) - 48)
		return -E2BIG;
	if (percpu && map_round8(a->value_size) > 32768)
		return -E2BIG;
	return 0;
}

static int hash_of_maps_check(const struct skep_map_attr *a)
{
	if (a->value_size != 4)
		return -EINVAL;
	if (!a->inner_map)
		return -EINVAL;
	return hash_check(a);
}

/* Storage is always preallocated (a pinned map must be); BPF_F_NO_PREALLOC
 * is accepted and changes nothing a program can see but memory use. */
static size_t hash_layout(struct skep_map *m, uint8_t *base)
{
	int lru = hash_is_lru(m->type), percpu = map_is_percpu(m->type);
	struct htab_params p = {
		.key_size = m->key_size,
		.value_size = map_is_obj_holder(m->type) ? 8 : m->value_size,
		.max_entries = m->max_entries,
		.nr_slots = percpu ? m->nr_cpus : 1,
		.extra_elems = lru || percpu ? 0 : m->nr_cpus,
		.lru = lru,
		.lock_off = m->lock_off,
		.seed = m->seed,
	};

	return htab_layout(&m->u.htab, &p, base, MAP_HDR_SIZE);
}

static int hash_init(struct skep_map *m)
{
	return htab_init(&m->u.htab);
}

static inline int64_t hash_find(struct skep_map *m, const void *key)
{
	struct htab *h = &m->u.htab;

	return htab_find(h, key, htab_hash(h, key));
}

static void *hash_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	int64_t i = hash_find(m, key);

	return i < 0 ? NULL : htab_value(&m->u.htab, (uint32_t)i, 0);
}

static void *percpu_hash_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	int64_t i = hash_find(m, key);

	return i < 0 ? NULL : htab_value(&m->u.htab, (uint32_t)i, map_cpu_slot(m, cpu));
}

static void *lru_hash_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	struct htab *h = &m->u.htab;
	int64_t i = hash_find(m, key);

	if (i < 0)
		return NULL;
	htab_touch(h, (uint32_t)i);
	return htab_value(h, (uint32_t)i, h->nr_slots > 1 ? map_cpu_slot(m, cpu) : 0);
}

static int hash_update(struct skep_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu)
{
	struct htab *h = &m->u.htab;
	struct htab_val v = {
		.src = value,
		.slot = cpu == MAP_CPU_ALL || h->nr_slots == 1 ? HTAB_ALL_SLOTS : map_cpu_slot(m, cpu),
		.flags = flags,
	};

	return htab_update(h, key, &v);
}

static int hash_delete(struct skep_map *m, const void *key)
{
	return htab_delete(&m->u.htab, key, NULL);
}

/* Elements are reused as soon as they are freed (preallocated, as the
 * kernel's), so a copy can race with the element being evicted and refilled
 * for another key.  The copy counts only if the element still holds this
 * key afterwards; otherwise the key is looked up again. */
static int hash_lookup_copy(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	struct htab *h = &m->u.htab;

	for (int tries = 0; tries < 64; tries++) {
		int64_t i = hash_find(m, key);

		if (i < 0)
			return -ENOENT;
		htab_copy_out(h, (uint32_t)i, value, !!(flags & BPF_F_LOCK));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((__atomic_load_n(&h->elems[i].state, __ATOMIC_RELAXED) & HTAB_LIVE) &&
		    htab_key_eq(h, (uint32_t)i, key))
			return 0;
	}
	return -ENOENT;
}

static int hash_lookup_and_delete(struct skep_map *m, const void *key, void *value,
				  uint64_t flags)
{
	return htab_delete(&m->u.htab, key, value);
}

static int hash_get_next_key(struct skep_map *m, const void *key, void *next)
{
	return htab_next_key(&m->u.htab, key, next);
}

struct hash_each {
	struct skep_map *m;
	uint32_t slot;
	map_each_fn fn;
	void *arg;
};

static int hash_each_one(struct htab *h, uint32_t i, void *arg)
{
	struct hash_each *e = arg;

	return e->fn(e->m, htab_key(h, i), htab_value(h, i, e->slot), e->arg);
}

static long hash_for_each(struct skep_map *m, uint32_t cpu, map_each_fn fn, void *arg)
{
	struct hash_each e = {m, m->u.htab.nr_slots > 1 ? map_cpu_slot(m, cpu) : 0, fn, arg};

	return htab_for_each(&m->u.htab, hash_each_one, &e);
}

/* HASH_OF_MAPS: a program's lookup gives the inner map. */
static void *hash_of_maps_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	void **slot = hash_lookup(m, key, cpu);

	return slot ? __atomic_load_n(slot, __ATOMIC_ACQUIRE) : NULL;
}

static int hash_of_maps_update_obj(struct skep_map *m, const void *key, void *obj,
				   uint64_t flags)
{
	struct htab_val v = {.src = &obj, .slot = HTAB_ALL_SLOTS, .flags = flags};

	if (flags & BPF_F_LOCK)
		return -EINVAL;
	if (!map_inner_compatible(m, obj))
		return -EINVAL;
	return htab_update(&m->u.htab, key, &v);
}

static int hash_of_maps_update(struct skep_map *m, const void *key, const void *value,
			       uint64_t flags, uint32_t cpu)
{
	return -EINVAL; /* objects go in through skep_map_update_obj */
}

#define HASH_OPS(NAME, LOOKUP)                                                          \
	{                                                                               \
		.name = NAME, .pinnable = 1, .check = hash_check, .layout = hash_layout,     \
		.init = hash_init, .lookup = LOOKUP, .update = hash_update,             \
		.delete_elem = hash_delete, .for_each = hash_for_each,                  \
		.lookup_copy = hash_lookup_copy, .lookup_and_delete = hash_lookup_and_delete, \
		.get_next_key = hash_get_next_key,                                      \
	}

const struct map_ops map_hash_ops = HASH_OPS("hash", hash_lookup);
const struct map_ops map_percpu_hash_ops = HASH_OPS("percpu_hash", percpu_hash_lookup);
const struct map_ops map_lru_hash_ops = HASH_OPS("lru_hash", lru_hash_lookup);
const struct map_ops map_lru_percpu_hash_ops = HASH_OPS("lru_percpu_hash", lru_hash_lookup);

const struct map_ops map_hash_of_maps_ops = {
	.name = "hash_of_maps",
	.check = hash_of_maps_check,
	.layout = hash_layout,
	.init = hash_init,
	.lookup = hash_of_maps_lookup,
	.update = hash_of_maps_update,
	.delete_elem = hash_delete,
	.get_next_key = hash_get_next_key,
	.update_obj = hash_of_maps_update_obj,
};
