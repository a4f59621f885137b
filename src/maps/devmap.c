/* DEVMAP, DEVMAP_HASH and CPUMAP: the redirect targets of XDP programs.
 *
 * In the kernel these hold network devices and CPUs that bpf_redirect_map()
 * sends frames to; in skep they hold the same values (struct bpf_devmap_val:
 * an ifindex and a program id; struct bpf_cpumap_val: a queue size and a
 * program id) and the packet hooks (src/hooks) act on them: `skep xdp run`
 * files redirected packets under the ifindex or CPU, `skep xdp attach` sends
 * them out of the interface.  skep's devices are virtual: any ifindex is
 * accepted, and a program in the value (bpf_prog.fd > 0), which the kernel
 * would run on the redirected frame, is refused with -EOPNOTSUPP.
 *
 * DEVMAP and CPUMAP are arrays of slots that may be empty.  DEVMAP_HASH is
 * laid out as the kernel's: roundup_pow_of_two(max_entries) buckets chosen
 * by key & (buckets - 1), each a chain with the newest entry first, so that
 * get_next_key walks in the kernel's order.  Creation, update and delete
 * follow the kernel's devmap.c and cpumap.c checks and error codes.
 * Programs only read them (the kernel marks them BPF_F_RDONLY_PROG; here
 * map_prog_rdonly() says so).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "maps/map.h"

/* A slot of DEVMAP / CPUMAP: the value, then whether it is set. */
struct devmap_slot {
	uint8_t val[8];
	uint32_t present;
	uint32_t pad;
};

/* DEVMAP_HASH: a mutex for writers, the entry count, then buckets (index + 1
 * of a chain's first entry, 0 for none), then the entries. */
struct devhash_shared {
	struct map_mutex lock;
	uint32_t items;
};

struct devhash_slot {
	uint32_t next; /* index + 1 of the next entry in the chain, 0 at the end */
	uint32_t key;
	uint32_t used;
	uint32_t pad;
	uint8_t val[8];
};

/* The kernel's NR_CPUS bound on a cpumap (Debian's CONFIG_NR_CPUS). */
#define DEVMAP_NR_CPUS 8192
/* cpumap's sanity limit on the queue size. */
#define DEVMAP_MAX_QSIZE 16384

static int devmap_value_size_ok(uint32_t size)
{
	return size == 4 || size == 8; /* offsetofend of ifindex/qsize, of bpf_prog.fd */
}

static int devmap_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

	if (a->type == BPF_MAP_TYPE_CPUMAP)
		mask = BPF_F_NUMA_NODE;
	if (!a->max_entries || a->key_size != 4 || !devmap_value_size_ok(a->value_size) ||
	    (a->flags & ~mask))
		return -EINVAL;
	if (a->type == BPF_MAP_TYPE_CPUMAP && a->max_entries > DEVMAP_NR_CPUS)
		return -E2BIG;
	return 0;
}

static uint32_t devhash_nbuckets(const struct skep_map *m)
{
	uint32_t n = 1;

	while (n < m->max_entries && n < (1u << 31))
		n <<= 1;
	return n;
}

/* DEVMAP_HASH reuses struct map_array: values = the entries, slot_bytes =
 * their size; the buckets and shared part sit before them. */
static uint32_t *devhash_buckets(const struct skep_map *m)
{
	return (uint32_t *)(m->u.array.values - map_align((size_t)devhash_nbuckets(m) * 4, 64));
}
static struct devhash_shared *devhash_sh(const struct skep_map *m)
{
	return (struct devhash_shared *)((uint8_t *)devhash_buckets(m) -
					 sizeof(struct devhash_shared));
}
static struct devhash_slot *devhash_slots(const struct skep_map *m)
{
	return (struct devhash_slot *)m->u.array.values;
}

static size_t devmap_layout(struct skep_map *m, uint8_t *base)
{
	size_t bytes, off = MAP_HDR_SIZE;

	if (m->type == BPF_MAP_TYPE_DEVMAP_HASH) {
		off += sizeof(struct devhash_shared) + map_align((size_t)devhash_nbuckets(m) * 4, 64);
		if (__builtin_mul_overflow((size_t)m->max_entries, sizeof(struct devhash_slot),
					   &bytes))
			return 0;
	} else if (__builtin_mul_overflow((size_t)m->max_entries, sizeof(struct devmap_slot),
					  &bytes)) {
		return 0;
	}
	if (bytes > (1ull << 40))
		return 0;
	m->u.array.slot_bytes = bytes;
	if (base)
		m->u.array.values = base + off;
	return off + bytes;
}

static int devmap_init(struct skep_map *m)
{
	return m->type == BPF_MAP_TYPE_DEVMAP_HASH ? map_mutex_init(&devhash_sh(m)->lock) : 0;
}

static inline uint32_t devmap_key(const void *key)
{
	uint32_t k;

	memcpy(&k, key, 4);
	return k;
}

static struct devmap_slot *devmap_slot(struct skep_map *m, uint32_t k)
{
	return (struct devmap_slot *)m->u.array.values + k;
}

static void *devmap_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	uint32_t k = devmap_key(key);
	struct devmap_slot *s;

	if (k >= m->max_entries)
		return NULL;
	s = devmap_slot(m, k);
	return __atomic_load_n(&s->present, __ATOMIC_ACQUIRE) ? s->val : NULL;
}

/* The value as stored: the program id is 0 (skep attaches no programs). */
static int devmap_value_in(const struct skep_map *m, const void *value, uint8_t out[8])
{
	int32_t fd = 0;

	memset(out, 0, 8);
	memcpy(out, value, 4);
	if (m->value_size == 8)
		memcpy(&fd, (const uint8_t *)value + 4, 4);
	if (fd > 0)
		return -EOPNOTSUPP;
	return 0;
}

static int devmap_update(struct skep_map *m, const void *key, const void *value, uint64_t flags,
			 uint32_t cpu)
{
	uint32_t k = devmap_key(key), first;
	struct devmap_slot *s;
	uint8_t v[8];
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (k >= m->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;
	memcpy(&first, value, 4);
	if (m->type == BPF_MAP_TYPE_CPUMAP) {
		if (first > DEVMAP_MAX_QSIZE)
			return -EOVERFLOW;
		if (k >= skep_nr_cpus())
			return -ENODEV;
	}
	err = devmap_value_in(m, value, v);
	if (err) /* DEVMAP: a program with ifindex 0 is -EINVAL in the kernel */
		return first || m->type == BPF_MAP_TYPE_CPUMAP ? err : -EINVAL;
	s = devmap_slot(m, k);
	if (!first) { /* ifindex 0 / qsize 0: the slot is emptied */
		__atomic_store_n(&s->present, 0, __ATOMIC_RELEASE);
		return 0;
	}
	__atomic_store_n(&s->present, 0, __ATOMIC_RELEASE);
	memcpy(s->val, v, sizeof(v));
	__atomic_store_n(&s->present, 1, __ATOMIC_RELEASE);
	return 0;
}

static int devmap_delete(struct skep_map *m, const void *key)
{
	uint32_t k = devmap_key(key);

	if (k >= m->max_entries)
		return -EINVAL;
	__atomic_store_n(&devmap_slot(m, k)->present, 0, __ATOMIC_RELEASE);
	return 0;
}

static int devmap_lookup_copy(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	const uint8_t *v = devmap_lookup(m, key, 0);

	if (flags)
		return -EINVAL;
	if (!v)
		return -ENOENT;
	memcpy(value, v, m->value_size);
	return 0;
}

static int devmap_get_next_key(struct skep_map *m, const void *key, void *next)
{
	uint32_t i = key ? devmap_key(key) : UINT32_MAX, n;

	if (i >= m->max_entries)
		n = 0;
	else if (i == m->max_entries - 1)
		return -ENOENT;
	else
		n = i + 1;
	memcpy(next, &n, 4);
	return 0;
}

/* DEVMAP_HASH.  Readers take no lock: a chain is walked by indexes that
 * writers change with release stores under the lock. */
static struct devhash_slot *devhash_find(struct skep_map *m, uint32_t key)
{
	struct devhash_slot *sl = devhash_slots(m);
	uint32_t i = __atomic_load_n(&devhash_buckets(m)[key & (devhash_nbuckets(m) - 1)],
				     __ATOMIC_ACQUIRE);

	for (uint32_t steps = 0; i && i <= m->max_entries && steps < m->max_entries; steps++) {
		struct devhash_slot *e = &sl[i - 1];
		if (e->key == key && __atomic_load_n(&e->used, __ATOMIC_ACQUIRE))
			return e;
		i = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
	}
	return NULL;
}

static void *devmap_hash_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	struct devhash_slot *e = devhash_find(m, devmap_key(key));

	return e ? e->val : NULL;
}

/* Unlink entry idx (1-based) from its bucket's chain; the lock is held. */
static void devhash_unlink(struct skep_map *m, uint32_t idx)
{
	struct devhash_slot *sl = devhash_slots(m);
	uint32_t *link = &devhash_buckets(m)[sl[idx - 1].key & (devhash_nbuckets(m) - 1)];

	while (*link && *link != idx)
		link = &sl[*link - 1].next;
	if (*link)
		__atomic_store_n(link, sl[idx - 1].next, __ATOMIC_RELEASE);
	__atomic_store_n(&sl[idx - 1].used, 0, __ATOMIC_RELEASE);
}

static int devmap_hash_update(struct skep_map *m, const void *key, const void *value,
			      uint64_t flags, uint32_t cpu)
{
	struct devhash_shared *sh = devhash_sh(m);
	struct devhash_slot *sl = devhash_slots(m), *old;
	uint32_t k = devmap_key(key), ifindex, idx, *head;
	uint8_t v[8];
	int err;

	memcpy(&ifindex, value, 4);
	if (flags > BPF_EXIST || !ifindex)
		return -EINVAL;
	if ((err = devmap_value_in(m, value, v)))
		return err;
	map_mutex_lock(&sh->lock);
	old = devhash_find(m, k);
	if (old && flags == BPF_NOEXIST) {
		err = -EEXIST;
		goto out;
	}
	if (!old && sh->items >= m->max_entries) {
		err = -E2BIG;
		goto out;
	}
	/* The kernel makes a new entry and puts it at the head of the chain,
	 * the old one (if any) unlinked: a replaced key moves to the front. */
	for (idx = 1; idx <= m->max_entries && sl[idx - 1].used; idx++)
		;
	if (idx > m->max_entries && old) { /* full: reuse the old entry's place */
		idx = (uint32_t)(old - sl) + 1;
		devhash_unlink(m, idx);
		old = NULL;
		sh->items--;
	}
	if (old) {
		devhash_unlink(m, (uint32_t)(old - sl) + 1);
		sh->items--;
	}
	head = &devhash_buckets(m)[k & (devhash_nbuckets(m) - 1)];
	sl[idx - 1].key = k;
	memcpy(sl[idx - 1].val, v, sizeof(v));
	sl[idx - 1].next = *head;
	__atomic_store_n(&sl[idx - 1].used, 1, __ATOMIC_RELEASE);
	__atomic_store_n(head, idx, __ATOMIC_RELEASE);
	sh->items++;
out:
	map_mutex_unlock(&sh->lock);
	return err;
}

static int devmap_hash_delete(struct skep_map *m, const void *key)
{
	struct devhash_shared *sh = devhash_sh(m);
	struct devhash_slot *e;
	int err = -ENOENT;

	map_mutex_lock(&sh->lock);
	if ((e = devhash_find(m, devmap_key(key)))) {
		devhash_unlink(m, (uint32_t)(e - devhash_slots(m)) + 1);
		sh->items--;
		err = 0;
	}
	map_mutex_unlock(&sh->lock);
	return err;
}

static int devmap_hash_lookup_copy(struct skep_map *m, const void *key, void *value,
				   uint64_t flags)
{
	const uint8_t *v = devmap_hash_lookup(m, key, 0);

	if (flags)
		return -EINVAL;
	if (!v)
		return -ENOENT;
	memcpy(value, v, m->value_size);
	return 0;
}

/* The kernel's dev_map_hash_get_next_key: the rest of this key's chain, then
 * the first entry of each later bucket; a missing key starts over. */
static int devmap_hash_get_next_key(struct skep_map *m, const void *key, void *next)
{
	struct devhash_slot *sl = devhash_slots(m), *e = key ? devhash_find(m, devmap_key(key)) : NULL;
	uint32_t nb = devhash_nbuckets(m), b = 0, i;

	if (e) {
		i = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
		if (i && i <= m->max_entries) {
			memcpy(next, &sl[i - 1].key, 4);
			return 0;
		}
		b = (e->key & (nb - 1)) + 1;
	}
	for (; b < nb; b++) {
		i = __atomic_load_n(&devhash_buckets(m)[b], __ATOMIC_ACQUIRE);
		if (i && i <= m->max_entries) {
			memcpy(next, &sl[i - 1].key, 4);
			return 0;
		}
	}
	return -ENOENT;
}

const struct map_ops map_devmap_ops = {
	.name = "devmap",
	.pinnable = 1,
	.check = devmap_check,
	.layout = devmap_layout,
	.init = devmap_init,
	.lookup = devmap_lookup,
	.update = devmap_update,
	.delete_elem = devmap_delete,
	.lookup_copy = devmap_lookup_copy,
	.get_next_key = devmap_get_next_key,
};

const struct map_ops map_cpumap_ops = {
	.name = "cpumap",
	.pinnable = 1,
	.check = devmap_check,
	.layout = devmap_layout,
	.init = devmap_init,
	.lookup = devmap_lookup,
	.update = devmap_update,
	.delete_elem = devmap_delete,
	.lookup_copy = devmap_lookup_copy,
	.get_next_key = devmap_get_next_key,
};

const struct map_ops map_devmap_hash_ops = {
	.name = "devmap_hash",
	.pinnable = 1,
	.check = devmap_check,
	.layout = devmap_layout,
	.init = devmap_init,
	.lookup = devmap_hash_lookup,
	.update = devmap_hash_update,
	.delete_elem = devmap_hash_delete,
	.lookup_copy = devmap_hash_lookup_copy,
	.get_next_key = devmap_hash_get_next_key,
};
