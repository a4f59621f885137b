/* Maps: creation from the kernel's attributes, opening pinned regions, and
 * the user-space element commands (the kernel's BPF_MAP_*_ELEM), which check
 * what the bpf() syscall checks and hand the rest to the type's ops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "maps/map.h"

const struct map_ops *map_ops_of(uint32_t type)
{
	/* clang-format off */
	switch (type) {
	case BPF_MAP_TYPE_HASH: return &map_hash_ops;
	case BPF_MAP_TYPE_ARRAY: return &map_array_ops;
	case BPF_MAP_TYPE_PROG_ARRAY: return &map_prog_array_ops;
	case BPF_MAP_TYPE_PERCPU_HASH: return &map_percpu_hash_ops;
	case BPF_MAP_TYPE_PERCPU_ARRAY: return &map_percpu_array_ops;
	case BPF_MAP_TYPE_LRU_HASH: return &map_lru_hash_ops;
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: return &map_lru_percpu_hash_ops;
	case BPF_MAP_TYPE_LPM_TRIE: return &map_lpm_ops;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS: return &map_array_of_maps_ops;
	case BPF_MAP_TYPE_HASH_OF_MAPS: return &map_hash_of_maps_ops;
	case BPF_MAP_TYPE_QUEUE: return &map_queue_ops;
	case BPF_MAP_TYPE_STACK: return &map_stack_ops;
	case BPF_MAP_TYPE_RINGBUF: return &map_ringbuf_ops;
	case BPF_MAP_TYPE_BLOOM_FILTER: return &map_bloom_ops;
	case BPF_MAP_TYPE_STACK_TRACE: return &map_stack_trace_ops;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY: return &map_perf_event_array_ops;
	case BPF_MAP_TYPE_DEVMAP: return &map_devmap_ops;
	case BPF_MAP_TYPE_DEVMAP_HASH: return &map_devmap_hash_ops;
	case BPF_MAP_TYPE_CPUMAP: return &map_cpumap_ops;
	default: return NULL;
	}
	/* clang-format on */
}

int map_is_obj_holder(uint32_t type)
{
	return type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

int map_inner_compatible(const struct skep_map *outer, const struct skep_map *inner)
{
	const struct map_inner_tmpl *t = &outer->inner;

	/* As the kernel's bpf_map_meta_equal: same shape; the size of arrays
	 * may differ only when the template said BPF_F_INNER_MAP. */
	return inner->type == t->type && inner->key_size == t->key_size &&
	       inner->value_size == t->value_size && inner->flags == t->flags &&
	       (inner->max_entries == t->max_entries || (t->flags & BPF_F_INNER_MAP) ||
		(t->type != BPF_MAP_TYPE_ARRAY && t->type != BPF_MAP_TYPE_PERCPU_ARRAY)) &&
	       !map_is_obj_holder(inner->type);
}

int map_access_flags_ok(uint32_t flags)
{
	return !((flags & BPF_F_RDONLY_PROG) && (flags & BPF_F_WRONLY_PROG));
}

/* Checks of BPF_MAP_CREATE itself, before the type's own. */
static int map_check_common(const struct skep_map_attr *a)
{
	const char *n = a->name ? a->name : "";
	size_t len = strlen(n);

	if ((a->flags & BPF_F_RDONLY) && (a->flags & BPF_F_WRONLY))
		return -EINVAL;
	if (len >= 16)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '.'))
			return -EINVAL;
	if (a->has_spin_lock) {
		/* As the kernel: only plain hash and array values hold a lock. */
		if (a->type != BPF_MAP_TYPE_HASH && a->type != BPF_MAP_TYPE_ARRAY)
			return -EOPNOTSUPP;
		if (a->spin_lock_off % 4 || (uint64_t)a->spin_lock_off + 4 > a->value_size)
			return -EINVAL;
	}
	if (a->nr_cpus > MAP_MAX_CPUS)
		return -E2BIG;
	return 0;
}

/* Copy a value around its struct bpf_spin_lock, which stays as it is, holding
 * the lock that `locker` (the map's copy of the value) carries if it is not
 * NULL.  Returns whether the value has a lock. */
static int map_value_copy(int lock_off, uint8_t *d, const uint8_t *s, uint32_t size,
			  uint8_t *locker)
{
	uint32_t *lock;

	if (lock_off < 0 || (uint32_t)lock_off + 4 > size) {
		memcpy(d, s, size);
		return 0;
	}
	lock = locker ? (uint32_t *)(locker + lock_off) : NULL;
	if (lock)
		map_spin_lock(lock);
	memcpy(d, s, (size_t)lock_off);
	memcpy(d + lock_off + 4, s + lock_off + 4, size - (uint32_t)lock_off - 4);
	if (lock)
		map_spin_unlock(lock);
	return 1;
}

void map_value_store(int lock_off, void *dst, const void *src, uint32_t size, int locked)
{
	map_value_copy(lock_off, dst, src, size, locked ? dst : NULL);
}

/* The copy out shows the lock as zero, as the kernel's does. */
void map_value_load(int lock_off, void *dst, const void *src, uint32_t size, int locked)
{
	if (map_value_copy(lock_off, dst, src, size, locked ? (uint8_t *)(uintptr_t)src : NULL))
		memset((uint8_t *)dst + lock_off, 0, 4);
}

static struct skep_map *map_new(const struct skep_map_attr *a, const struct map_ops *ops)
{
	struct skep_map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->ops = ops;
	m->type = a->type;
	m->key_size = a->key_size;
	m->value_size = a->value_size;
	m->max_entries = a->max_entries;
	m->flags = a->flags;
	m->map_extra = a->map_extra;
	m->nr_cpus = a->nr_cpus ? a->nr_cpus : skep_nr_cpus();
	m->vstride = map_round8(a->value_size);
	m->lock_off = a->has_spin_lock ? (int)a->spin_lock_off : -1;
	m->event_fd = -1;
	if (a->name)
		strncpy(m->name, a->name, sizeof(m->name) - 1);
	return m;
}

/* The handle's process-local side: pointers into the region, wakeup fd. */
static int map_attach(struct skep_map *m, uint8_t *base)
{
	m->base = base;
	m->ops->layout(m, base);
	if (m->type == BPF_MAP_TYPE_RINGBUF) {
		m->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (m->event_fd < 0)
			return -errno;
	}
	return 0;
}

static void map_hdr_write(const struct skep_map *m, struct map_hdr *h)
{
	h->version = MAP_VERSION;
	h->hdr_size = MAP_HDR_SIZE;
	h->region_size = m->size;
	h->type = m->type;
	h->key_size = m->key_size;
	h->value_size = m->value_size;
	h->max_entries = m->max_entries;
	h->flags = m->flags;
	h->nr_cpus = m->nr_cpus;
	h->map_extra = m->map_extra;
	h->seed = m->seed;
	h->has_spin_lock = m->lock_off >= 0;
	h->spin_lock_off = m->lock_off >= 0 ? (uint32_t)m->lock_off : 0;
	memcpy(h->name, m->name, sizeof(h->name));
}

/* Make fresh zeroed memory an empty map; the magic goes in last. */
static int map_init_region(void *arg, uint8_t *base)
{
	struct skep_map *m = arg;
	struct map_hdr *h = (struct map_hdr *)base;
	int err;

	map_hdr_write(m, h);
	m->ops->layout(m, base);
	err = m->ops->init ? m->ops->init(m) : 0;
	if (!err)
		__atomic_store_n(&h->magic, MAP_MAGIC, __ATOMIC_RELEASE);
	return err;
}

int skep_map_create(const struct skep_map_attr *attr, struct skep_map **out)
{
	struct skep_map_attr a;
	const struct map_ops *ops;
	struct skep_map *m;
	uint8_t *base = NULL;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!attr || attr->sz < offsetof(struct skep_map_attr, map_extra))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	memcpy(&a, attr, attr->sz < sizeof(a) ? attr->sz : sizeof(a));
	ops = map_ops_of(a.type);
	if (!ops) /* a kernel type skep does not have yet, or no type at all */
		return a.type <= MAP_KERNEL_TYPES ? -EOPNOTSUPP : -EINVAL;
	err = map_check_common(&a);
	if (!err)
		err = ops->check(&a);
	if (err)
		return err;
	if (a.pin_name && !ops->pinnable)
		return -EOPNOTSUPP;
	m = map_new(&a, ops);
	if (!m)
		return -ENOMEM;
	m->seed = (a.flags & BPF_F_ZERO_SEED) ? 0 : map_random_seed();
	if (a.inner_map)
		m->inner = (struct map_inner_tmpl){a.inner_map->type, a.inner_map->key_size,
						   a.inner_map->value_size, a.inner_map->flags,
						   a.inner_map->max_entries};
	m->size = ops->layout(m, NULL);
	if (!m->size) {
		err = -E2BIG;
	} else if (a.pin_name) {
		err = map_region_pin(a.pin_name, m->size, &base, 0, map_init_region, m);
		m->pinned = !err;
	} else {
		err = map_region_anon(m->size, &base);
		if (!err && (err = map_init_region(m, base)))
			map_region_free(base, m->size);
	}
	if (!err && (err = map_attach(m, base)))
		map_region_free(base, m->size);
	if (err) {
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

/* Rebuild the handle from a pinned region's header, trusting nothing. */
static int map_from_hdr(const struct map_hdr *h, size_t size, struct skep_map **out)
{
	struct skep_map_attr a = {
		.sz = sizeof(a),
		.type = h->type,
		.key_size = h->key_size,
		.value_size = h->value_size,
		.max_entries = h->max_entries,
		.flags = h->flags,
		.map_extra = h->map_extra,
		.nr_cpus = h->nr_cpus,
		.has_spin_lock = h->has_spin_lock,
		.spin_lock_off = h->spin_lock_off,
	};
	const struct map_ops *ops = map_ops_of(h->type);
	struct skep_map *m;
	char name[16];

	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != MAP_MAGIC ||
	    h->version != MAP_VERSION || h->hdr_size != MAP_HDR_SIZE || !ops || !ops->pinnable ||
	    !h->nr_cpus)
		return -EINVAL;
	memcpy(name, h->name, sizeof(name));
	name[15] = '\0';
	a.name = name;
	if (map_check_common(&a) || ops->check(&a))
		return -EINVAL;
	m = map_new(&a, ops);
	if (!m)
		return -ENOMEM;
	m->seed = h->seed;
	m->size = ops->layout(m, NULL);
	if (!m->size || m->size != h->region_size || m->size > size) {
		free(m);
		return -EINVAL;
	}
	*out = m;
	return 0;
}

int skep_map_open_pinned(const char *name, struct skep_map **out)
{
	uint8_t *base;
	size_t size;
	struct skep_map *m = NULL;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	err = map_region_open(name, &base, &size);
	if (err)
		return err;
	err = map_from_hdr((const struct map_hdr *)base, size, &m);
	if (!err) {
		m->size = size;
		m->pinned = 1;
		err = map_attach(m, base);
	}
	if (err) {
		map_region_free(base, size);
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

int skep_map_pin(struct skep_map *map, const char *name)
{
	int err;

	if (!map)
		return -EINVAL;
	if (!map->ops->pinnable)
		return -EOPNOTSUPP;
	if (map->pinned)
		return -EBUSY;
	err = map_region_pin(name, map->size, &map->base, 1, NULL, NULL);
	map->pinned = !err;
	return err;
}

void skep_map_free(struct skep_map *map)
{
	if (!map)
		return;
	if (map->event_fd >= 0)
		close(map->event_fd);
	map_region_free(map->base, map->size);
	free(map);
}

int skep_map_info(const struct skep_map *m, struct skep_map_info *info)
{
	if (!m || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->type = m->type;
	info->key_size = m->key_size;
	info->value_size = m->value_size;
	info->max_entries = m->max_entries;
	info->flags = m->flags;
	info->nr_cpus = m->nr_cpus;
	info->map_extra = m->map_extra;
	memcpy(info->name, m->name, sizeof(info->name));
	info->user_value_size = map_is_percpu(m->type) ? m->nr_cpus * m->vstride : m->value_size;
	info->pinned = m->pinned;
	return 0;
}

/* BPF_F_RDONLY / BPF_F_WRONLY restrict user space (the _PROG flags, programs). */
static int map_user_may(const struct skep_map *m, int write)
{
	return (m->flags & (write ? BPF_F_RDONLY : BPF_F_WRONLY)) ? -EPERM : 0;
}

static int map_key_ok(const struct skep_map *m, const void *key)
{
	return m->key_size && !key ? -EFAULT : 0;
}

/* What copying an element out asks of the caller, in the kernel's order of
 * errors; `deletes` when the element goes too (the map must be writable). */
static int map_copy_out_ok(const struct skep_map *m, const void *key, const void *value,
			   uint64_t flags, int deletes)
{
	int err;

	if (!m)
		return -EINVAL;
	if (flags & ~(uint64_t)BPF_F_LOCK)
		return -EINVAL;
	if ((err = map_user_may(m, 0)) || (deletes && (err = map_user_may(m, 1))) ||
	    (err = map_key_ok(m, key)))
		return err;
	if (!value)
		return -EFAULT;
	if ((flags & BPF_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	return 0;
}

int skep_map_lookup_flags(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	int err = map_copy_out_ok(m, key, value, flags, 0);

	if (err)
		return err;
	if (m->ops->pop && !m->ops->lookup_copy)
		return m->ops->pop(m, value, 0);
	return m->ops->lookup_copy ? m->ops->lookup_copy(m, key, value, flags) : -EOPNOTSUPP;
}

int skep_map_lookup(struct skep_map *m, const void *key, void *value)
{
	return skep_map_lookup_flags(m, key, value, 0);
}

int skep_map_update(struct skep_map *m, const void *key, const void *value, uint64_t flags)
{
	int err;

	if (!m)
		return -EINVAL;
	if ((err = map_user_may(m, 1)) || (err = map_key_ok(m, key)))
		return err;
	if (!value && m->value_size)
		return -EFAULT;
	if ((flags & BPF_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	if (m->ops->push && !m->ops->update)
		return m->ops->push(m, value, flags);
	return m->ops->update ? m->ops->update(m, key, value, flags, MAP_CPU_ALL) : -EOPNOTSUPP;
}

int skep_map_delete(struct skep_map *m, const void *key)
{
	int err;

	if (!m)
		return -EINVAL;
	if ((err = map_user_may(m, 1)) || (err = map_key_ok(m, key)))
		return err;
	return m->ops->delete_elem ? m->ops->delete_elem(m, key) : -EOPNOTSUPP;
}

int skep_map_lookup_and_delete(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	int err = map_copy_out_ok(m, key, value, flags, 1);

	if (err)
		return err;
	if (m->ops->pop) {
		if (flags)
			return -EINVAL;
		return m->ops->pop(m, value, 1);
	}
	return m->ops->lookup_and_delete ? m->ops->lookup_and_delete(m, key, value, flags)
					 : -MAP_ENOTSUPP;
}

int skep_map_get_next_key(struct skep_map *m, const void *key, void *next)
{
	int err;

	if (!m)
		return -EINVAL;
	if ((err = map_user_may(m, 0)))
		return err;
	if (!next && m->key_size)
		return -EFAULT;
	return m->ops->get_next_key ? m->ops->get_next_key(m, key, next) : -EOPNOTSUPP;
}

int skep_map_update_obj(struct skep_map *m, const void *key, void *obj, uint64_t flags)
{
	int err;

	if (!m)
		return -EINVAL;
	if ((err = map_user_may(m, 1)) || (err = map_key_ok(m, key)))
		return err;
	if (!m->ops->update_obj)
		return -EINVAL;
	if (!obj)
		return m->ops->delete_elem(m, key);
	return m->ops->update_obj(m, key, obj, flags);
}

int skep_map_lookup_obj(struct skep_map *m, const void *key, void **obj)
{
	if (!m || !obj)
		return -EINVAL;
	if (map_key_ok(m, key))
		return -EFAULT;
	if (!m->ops->update_obj)
		return -EINVAL;
	*obj = m->ops->lookup(m, key, 0);
	return *obj ? 0 : -ENOENT;
}

void *skep_map_mmap(struct skep_map *m, size_t *size)
{
	if (!m || m->type != BPF_MAP_TYPE_ARRAY || !(m->flags & BPF_F_MMAPABLE))
		return NULL;
	if (size)
		*size = m->u.array.slot_bytes;
	return m->u.array.values;
}

void map_values_region(const struct skep_map *m, void **addr, size_t *size)
{
	*addr = NULL;
	*size = 0;
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		*addr = m->u.array.values;
		*size = m->u.array.slot_bytes * (m->type == BPF_MAP_TYPE_ARRAY ? 1 : m->nr_cpus);
		break;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
		*addr = m->u.htab.values;
		*size = m->u.htab.slot_bytes * m->u.htab.nr_slots;
		break;
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
		*addr = m->u.array.values;
		*size = m->u.array.slot_bytes;
		break;
	case BPF_MAP_TYPE_RINGBUF:
		*addr = m->u.ringbuf.data;
		*size = (size_t)m->u.ringbuf.mask + 1;
		break;
	default:
		break;
	}
}

int map_direct_value_addr(struct skep_map *m, uint32_t off, uint64_t *addr, const char **why)
{
	if (m->type != BPF_MAP_TYPE_ARRAY) {
		*why = "direct value access needs an ARRAY map";
		return -EINVAL;
	}
	if (m->max_entries != 1) {
		*why = "direct value access needs an array of one element";
		return -EOPNOTSUPP;
	}
	if (off >= m->value_size) {
		*why = "offset is past the end of the value";
		return -EINVAL;
	}
	*addr = (uint64_t)(uintptr_t)(m->u.array.values + off);
	return 0;
}

int map_array_inline_info(const struct skep_map *m, uint64_t *values, uint32_t *stride,
			  uint32_t *max_entries)
{
	if (!m || m->type != BPF_MAP_TYPE_ARRAY)
		return -EINVAL;
	*values = (uint64_t)(uintptr_t)m->u.array.values;
	*stride = m->vstride;
	*max_entries = m->max_entries;
	return 0;
}
