/* ARRAY, PERCPU_ARRAY, PROG_ARRAY and ARRAY_OF_MAPS: max_entries slots
 * indexed by a u32 key, all preallocated and always present.
 *
 * Values are round_up(value_size, 8) apart; a per-CPU array keeps each CPU's
 * slots together (CPU-major).  A BPF_F_MMAPABLE array starts its values on a
 * page, as the kernel's mmap() shows them.  PROG_ARRAY and ARRAY_OF_MAPS hold
 * object pointers, which mean nothing in another process: they stay in
 * anonymous memory and cannot be pinned.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "maps/map.h"

static int array_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | MAP_F_ACCESS | BPF_F_PRESERVE_ELEMS |
			BPF_F_INNER_MAP;

	if (!a->max_entries || a->key_size != 4 || !a->value_size || (a->flags & ~mask) ||
	    !map_access_flags_ok(a->flags))
		return -EINVAL;
	if (a->type != BPF_MAP_TYPE_ARRAY && (a->flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)))
		return -EINVAL;
	if (a->flags & BPF_F_PRESERVE_ELEMS) /* perf event arrays only */
		return -EINVAL;
	if (a->value_size > INT_MAX)
		return -E2BIG;
	if (a->type == BPF_MAP_TYPE_PERCPU_ARRAY && map_round8(a->value_size) > 32768)
		return -E2BIG;
	return 0;
}

static int obj_array_check(const struct skep_map_attr *a)
{
	if (a->value_size != 4 || (a->flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)))
		return -EINVAL;
	if (a->type == BPF_MAP_TYPE_ARRAY_OF_MAPS && !a->inner_map)
		return -EINVAL; /* the kernel: no usable inner_map_fd */
	return array_check(a);
}

static size_t array_layout(struct skep_map *m, uint8_t *base)
{
	uint32_t slots = m->type == BPF_MAP_TYPE_PERCPU_ARRAY ? m->nr_cpus : 1;
	size_t off = (m->flags & BPF_F_MMAPABLE) ? MAP_PAGE : MAP_HDR_SIZE, bytes, total;

	if (__builtin_mul_overflow((size_t)m->max_entries, (size_t)m->vstride, &bytes) ||
	    __builtin_mul_overflow(bytes, (size_t)slots, &total) || total > (1ull << 44))
		return 0;
	m->u.array.slot_bytes = bytes;
	if (base)
		m->u.array.values = base + off;
	total += off;
	return (m->flags & BPF_F_MMAPABLE) ? map_align(total, MAP_PAGE) : total;
}

static inline uint8_t *array_slot(struct skep_map *m, uint32_t i, uint32_t cpu_slot)
{
	return m->u.array.values + cpu_slot * m->u.array.slot_bytes + (size_t)i * m->vstride;
}

static inline uint32_t array_index(const void *key)
{
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	return i;
}

static void *array_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	uint32_t i = array_index(key);

	return i < m->max_entries ? m->u.array.values + (size_t)i * m->vstride : NULL;
}

static void *percpu_array_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	uint32_t i = array_index(key);

	return i < m->max_entries ? array_slot(m, i, map_cpu_slot(m, cpu)) : NULL;
}

static int array_update(struct skep_map *m, const void *key, const void *value, uint64_t flags,
			uint32_t cpu)
{
	uint32_t i = array_index(key);

	if ((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags & BPF_NOEXIST) /* every element always exists */
		return -EEXIST;
	if (m->type != BPF_MAP_TYPE_PERCPU_ARRAY) {
		map_value_store(m->lock_off, array_slot(m, i, 0), value, m->value_size,
				!!(flags & BPF_F_LOCK));
	} else if (cpu != MAP_CPU_ALL) {
		memcpy(array_slot(m, i, map_cpu_slot(m, cpu)), value, m->value_size);
	} else {
		for (uint32_t c = 0; c < m->nr_cpus; c++)
			memcpy(array_slot(m, i, c), (const uint8_t *)value + (size_t)c * m->vstride,
			       m->vstride);
	}
	return 0;
}

static int array_delete(struct skep_map *m, const void *key)
{
	return -EINVAL;
}

static int array_lookup_copy(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	uint32_t i = array_index(key);

	if (i >= m->max_entries)
		return -ENOENT;
	if (m->type != BPF_MAP_TYPE_PERCPU_ARRAY) {
		map_value_load(m->lock_off, value, array_slot(m, i, 0), m->value_size,
			       !!(flags & BPF_F_LOCK));
		return 0;
	}
	for (uint32_t c = 0; c < m->nr_cpus; c++)
		memcpy((uint8_t *)value + (size_t)c * m->vstride, array_slot(m, i, c), m->vstride);
	return 0;
}

static int array_get_next_key(struct skep_map *m, const void *key, void *next)
{
	uint32_t i = key ? array_index(key) : UINT32_MAX, n;

	if (i >= m->max_entries) {
		n = 0; /* no key, or one past the end: start over */
	} else if (i == m->max_entries - 1) {
		return -ENOENT;
	} else {
		n = i + 1;
	}
	memcpy(next, &n, sizeof(n));
	return 0;
}

static long array_for_each(struct skep_map *m, uint32_t cpu, map_each_fn fn, void *arg)
{
	uint32_t slot = m->type == BPF_MAP_TYPE_PERCPU_ARRAY ? map_cpu_slot(m, cpu) : 0;
	long n = 0;

	for (uint32_t i = 0; i < m->max_entries;) {
		uint32_t key = i++;
		n++;
		if (fn(m, &key, array_slot(m, key, slot), arg))
			break;
	}
	return n;
}

/* PROG_ARRAY and ARRAY_OF_MAPS: a program's lookup gives the object. */
static void *obj_array_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	uint32_t i = array_index(key);

	return i < m->max_entries ? __atomic_load_n((void **)array_slot(m, i, 0), __ATOMIC_ACQUIRE)
				  : NULL;
}

static int obj_array_update_obj(struct skep_map *m, const void *key, void *obj, uint64_t flags)
{
	uint32_t i = array_index(key);

	if (flags != BPF_ANY)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS && !map_inner_compatible(m, obj))
		return -EINVAL;
	__atomic_store_n((void **)array_slot(m, i, 0), obj, __ATOMIC_RELEASE);
	return 0;
}

static int obj_array_delete(struct skep_map *m, const void *key)
{
	uint32_t i = array_index(key);

	if (i >= m->max_entries)
		return -E2BIG;
	return __atomic_exchange_n((void **)array_slot(m, i, 0), NULL, __ATOMIC_ACQ_REL) ? 0
											 : -ENOENT;
}

/* The kernel takes fds here; skep takes objects through skep_map_update_obj. */
static int obj_array_update(struct skep_map *m, const void *key, const void *value,
			    uint64_t flags, uint32_t cpu)
{
	return -EINVAL;
}

const struct map_ops map_array_ops = {
	.name = "array",
	.pinnable = 1,
	.check = array_check,
	.layout = array_layout,
	.lookup = array_lookup,
	.update = array_update,
	.delete_elem = array_delete,
	.for_each = array_for_each,
	.lookup_copy = array_lookup_copy,
	.get_next_key = array_get_next_key,
};

const struct map_ops map_percpu_array_ops = {
	.name = "percpu_array",
	.pinnable = 1,
	.check = array_check,
	.layout = array_layout,
	.lookup = percpu_array_lookup,
	.update = array_update,
	.delete_elem = array_delete,
	.for_each = array_for_each,
	.lookup_copy = array_lookup_copy,
	.get_next_key = array_get_next_key,
};

const struct map_ops map_prog_array_ops = {
	.name = "prog_array",
	.check = obj_array_check,
	.layout = array_layout,
	.lookup = obj_array_lookup,
	.update = obj_array_update,
	.delete_elem = obj_array_delete,
	.get_next_key = array_get_next_key,
	.update_obj = obj_array_update_obj,
};

const struct map_ops map_array_of_maps_ops = {
	.name = "array_of_maps",
	.check = obj_array_check,
	.layout = array_layout,
	.lookup = obj_array_lookup,
	.update = obj_array_update,
	.delete_elem = obj_array_delete,
	.get_next_key = array_get_next_key,
	.update_obj = obj_array_update_obj,
};
