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
 * DEVMAP and CPUMAP are arrays of slots that may be empty; DEVMAP_HASH is a
 * hash table keyed by a u32.  Creation, update and delete follow the
 * kernel's devmap.c and cpumap.c checks and error codes.  Programs only read
 * them (the kernel forces BPF_F_RDONLY_PROG).
 */
#include <errno.h>
#include <string.h>

#include "maps/map.h"

/* A slot of DEVMAP / CPUMAP: the value, then whether it is set. */
struct devmap_slot {
	uint8_t val[8];
	uint32_t present;
	uint32_t pad;
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
	/* The kernel ors in BPF_F_RDONLY_PROG itself; a caller may say it too. */
	if (!a->max_entries || a->key_size != 4 || !devmap_value_size_ok(a->value_size) ||
	    (a->flags & ~(mask | BPF_F_RDONLY_PROG)))
		return -EINVAL;
	if (a->type == BPF_MAP_TYPE_CPUMAP && a->max_entries > DEVMAP_NR_CPUS)
		return -E2BIG;
	return 0;
}

static size_t devmap_layout(struct skep_map *m, uint8_t *base)
{
	size_t bytes;

	m->flags |= BPF_F_RDONLY_PROG;
	if (m->type == BPF_MAP_TYPE_DEVMAP_HASH) {
		struct htab_params p = {
			.key_size = 4,
			.value_size = 8,
			.max_entries = m->max_entries,
			.nr_slots = 1,
			.extra_elems = m->nr_cpus,
			.lock_off = -1,
			.seed = m->seed,
		};
		return htab_layout(&m->u.htab, &p, base, MAP_HDR_SIZE);
	}
	if (__builtin_mul_overflow((size_t)m->max_entries, sizeof(struct devmap_slot), &bytes) ||
	    bytes > (1ull << 40))
		return 0;
	m->u.array.slot_bytes = bytes;
	if (base)
		m->u.array.values = base + MAP_HDR_SIZE;
	return MAP_HDR_SIZE + bytes;
}

static int devmap_init(struct skep_map *m)
{
	return m->type == BPF_MAP_TYPE_DEVMAP_HASH ? htab_init(&m->u.htab) : 0;
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

/* DEVMAP_HASH */
static void *devmap_hash_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	struct htab *h = &m->u.htab;
	int64_t i = htab_find(h, key, htab_hash(h, key));

	return i < 0 ? NULL : htab_value(h, (uint32_t)i, 0);
}

static int devmap_hash_update(struct skep_map *m, const void *key, const void *value,
			      uint64_t flags, uint32_t cpu)
{
	struct htab_val hv = {.slot = HTAB_ALL_SLOTS};
	uint8_t v[8];
	uint32_t ifindex;
	int err;

	memcpy(&ifindex, value, 4);
	if (flags > BPF_EXIST || !ifindex)
		return -EINVAL;
	err = devmap_value_in(m, value, v);
	if (err)
		return err;
	hv.src = v;
	/* The kernel replaces or inserts for BPF_EXIST alike; only NOEXIST is checked. */
	hv.flags = flags == BPF_NOEXIST ? BPF_NOEXIST : BPF_ANY;
	return htab_update(&m->u.htab, key, &hv);
}

static int devmap_hash_delete(struct skep_map *m, const void *key)
{
	return htab_delete(&m->u.htab, key, NULL);
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

static int devmap_hash_get_next_key(struct skep_map *m, const void *key, void *next)
{
	return htab_next_key(&m->u.htab, key, next);
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
