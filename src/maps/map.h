/* The maps stage: one ops table per map type, and the objects they share.
 *
 * Every map is one block of memory (its region): a fixed header, then the
 * type's own layout, all linked by offsets and indexes so that the block can
 * be a file mapped at different addresses by different processes.  A
 * struct skep_map is one process's handle on a region: the pointers into it
 * (computed by the type's layout function), and process-local things such
 * as a ring buffer's wakeup fd.
 *
 * Programs reach a map through the helpers (src/helpers), which call the
 * program-side ops (lookup returns a pointer, a per-CPU map gives the calling
 * CPU's slot); user space through skep_map_* (map.c), which copies values.
 */
#ifndef SKEP_MAPS_MAP_H
#define SKEP_MAPS_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "isa/bpf_compat.h"
#include "maps/htab.h"
#include "maps/map_hash.h"
#include "maps/map_lock.h"
#include "skep/maps.h"

#define MAP_MAGIC 0x3150414d50454b53ull /* "SKEPMAP1" in memory */
#define MAP_VERSION 1
#define MAP_HDR_SIZE 256
#define MAP_PAGE 4096
#define MAP_MAX_CPUS 1024
/* Map type numbers the kernel has used so far (BPF_MAP_TYPE_ARENA is 33). */
#define MAP_KERNEL_TYPES 40
/* The kernel's internal "not supported" (ENOTSUPP), which bpf() passes on. */
#define MAP_ENOTSUPP 524
/* A user-space update writes every CPU's slot. */
#define MAP_CPU_ALL UINT32_MAX

/* The first MAP_HDR_SIZE bytes of every region. magic is written last. */
struct map_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint64_t region_size;
	uint32_t type, key_size, value_size, max_entries, flags, nr_cpus;
	uint64_t map_extra;
	uint64_t seed;
	uint32_t has_spin_lock, spin_lock_off;
	char name[16];
};

struct map_array {
	uint8_t *values; /* CPU-major: slot c of element i at values + c*slot_bytes + i*vstride */
	size_t slot_bytes;
};

struct map_queue {
	struct map_mutex *lock;
	uint32_t *head, *count; /* head: where the next push goes */
	uint8_t *values;
};

struct map_bloom {
	uint64_t *bits;
	uint32_t nr_bits; /* a power of 2 */
	uint32_t nr_hashes;
};

struct map_ringbuf {
	uint64_t *consumer_pos, *producer_pos;
	struct map_mutex *lock;
	uint8_t *data;
	uint32_t mask;
};

struct map_lpm {
	struct htab h;
	uint32_t *plen_count; /* live entries per prefix length */
	uint64_t *plen_bits;  /* bit p: plen_count[p] is not 0 */
	uint32_t max_plen;
};

struct map_inner_tmpl {
	uint32_t type, key_size, value_size, flags, max_entries;
};

struct map_ops;

struct skep_map {
	const struct map_ops *ops;
	uint8_t *base; /* the region; starts with struct map_hdr */
	size_t size;
	uint32_t type, key_size, value_size, max_entries, flags, nr_cpus;
	uint32_t vstride; /* round_up(value_size, 8) */
	uint64_t map_extra;
	uint64_t seed;
	int lock_off; /* struct bpf_spin_lock in the value, or -1 */
	int pinned;
	int event_fd; /* RINGBUF: wakes consumers in this process; else -1 */
	struct map_inner_tmpl inner;
	char name[16];
	union {
		struct map_array array;
		struct htab htab;
		struct map_queue queue;
		struct map_bloom bloom;
		struct map_ringbuf ringbuf;
		struct map_lpm lpm;
	} u;
};

typedef int (*map_each_fn)(struct skep_map *m, void *key, void *value, void *arg);

struct map_ops {
	const char *name;
	/* 0 if the region may be a file shared between processes (holds no pointers). */
	int pinnable;
	/* The kernel's creation checks: -EINVAL, -E2BIG for what it refuses. */
	int (*check)(const struct skep_map_attr *attr);
	/* Lay out the type's data from MAP_HDR_SIZE on; base NULL only measures.
	 * Returns the region's size, 0 if too big. */
	size_t (*layout)(struct skep_map *m, uint8_t *base);
	/* A fresh zeroed region becomes an empty map. */
	int (*init)(struct skep_map *m);

	/* For programs: a pointer to the value (this CPU's slot), or NULL. */
	void *(*lookup)(struct skep_map *m, const void *key, uint32_t cpu);
	/* cpu == MAP_CPU_ALL: `value` holds every CPU's (user space). */
	int (*update)(struct skep_map *m, const void *key, const void *value, uint64_t flags,
		      uint32_t cpu);
	int (*delete_elem)(struct skep_map *m, const void *key);
	int (*push)(struct skep_map *m, const void *value, uint64_t flags);
	/* Pop (remove) or peek into `value`. */
	int (*pop)(struct skep_map *m, void *value, int remove);
	long (*for_each)(struct skep_map *m, uint32_t cpu, map_each_fn fn, void *arg);

	/* For user space: copy the value (all CPUs' of a per-CPU map). */
	int (*lookup_copy)(struct skep_map *m, const void *key, void *value, uint64_t flags);
	int (*lookup_and_delete)(struct skep_map *m, const void *key, void *value, uint64_t flags);
	int (*get_next_key)(struct skep_map *m, const void *key, void *next);
	/* PROG_ARRAY and map-in-map: slots holding object pointers. */
	int (*update_obj)(struct skep_map *m, const void *key, void *obj, uint64_t flags);
};

extern const struct map_ops map_array_ops, map_percpu_array_ops, map_prog_array_ops,
	map_array_of_maps_ops;
extern const struct map_ops map_hash_ops, map_percpu_hash_ops, map_lru_hash_ops,
	map_lru_percpu_hash_ops, map_hash_of_maps_ops;
extern const struct map_ops map_stack_trace_ops;
extern const struct map_ops map_lpm_ops, map_queue_ops, map_stack_ops, map_bloom_ops,
	map_ringbuf_ops, map_perf_event_array_ops;
extern const struct map_ops map_devmap_ops, map_devmap_hash_ops, map_cpumap_ops;

/* The ops of a type number, or NULL. */
const struct map_ops *map_ops_of(uint32_t type);

static inline uint32_t map_round8(uint32_t n)
{
	return (n + 7) & ~7u;
}
static inline size_t map_align(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}
static inline int map_is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}
/* The CPU slot a program on `cpu` uses. */
static inline uint32_t map_cpu_slot(const struct skep_map *m, uint32_t cpu)
{
	return cpu < m->nr_cpus ? cpu : cpu % m->nr_cpus;
}

/* May programs only read the map's values?  BPF_F_RDONLY_PROG, and the
 * redirect maps, which the kernel marks so itself. */
static inline int map_prog_rdonly(const struct skep_map *m)
{
	return (m->flags & BPF_F_RDONLY_PROG) || m->type == BPF_MAP_TYPE_DEVMAP ||
	       m->type == BPF_MAP_TYPE_DEVMAP_HASH || m->type == BPF_MAP_TYPE_CPUMAP;
}

/* Kernel flag rules shared by several types. */
#define MAP_F_ACCESS (BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
int map_access_flags_ok(uint32_t flags);

/* Value copies that respect a struct bpf_spin_lock inside the value: a store
 * never overwrites the lock word; a copy for user space shows it as 0; the
 * locked variants hold the lock while copying (BPF_F_LOCK). */
void map_value_store(int lock_off, void *dst, const void *src, uint32_t size, int locked);
void map_value_load(int lock_off, void *dst, const void *src, uint32_t size, int locked);

/* Regions (map_region.c). */
int map_region_anon(size_t size, uint8_t **base);
/* A new file under the pin directory named `name`, of `size` bytes, mapped
 * at *base (or, with `fixed`, over the existing mapping there, its bytes
 * copied first). -EEXIST when the name is taken. */
int map_region_pin(const char *name, size_t size, uint8_t **base, int fixed,
		   int (*init)(void *arg, uint8_t *base), void *arg);
int map_region_open(const char *name, uint8_t **base, size_t *size);
void map_region_free(uint8_t *base, size_t size);
uint64_t map_random_seed(void);
/* Remove a pinned map's BTF types, if it has them (map_btf.c). */
int map_btf_unpin(const char *name);


/* For the checked interpreter: the memory a program may touch in this map
 * (its values), or size 0. */
void map_values_region(const struct skep_map *m, void **addr, size_t *size);
/* For an engine that inlines lookups in a plain ARRAY, as the kernel's
 * verifier does (key < max_entries ? values + key * stride : NULL): 0 with
 * the numbers, -EINVAL for any other map.  The values never move. */
int map_array_inline_info(const struct skep_map *m, uint64_t *values, uint32_t *stride,
			  uint32_t *max_entries);
/* lddw MAP_VALUE: the address of byte `off` of element 0 of an array. */
int map_direct_value_addr(struct skep_map *m, uint32_t off, uint64_t *addr, const char **why);

/* Ring buffers (ringbuf.c), for the helpers. */
void *map_ringbuf_reserve(struct skep_map *m, uint64_t size);
void map_ringbuf_commit(struct skep_map *m, void *sample, int discard, uint64_t flags);
int map_ringbuf_owns(const struct skep_map *m, const void *sample);
uint64_t map_ringbuf_query(struct skep_map *m, uint64_t what);
/* bpf_perf_event_output into a PERF_EVENT_ARRAY (perf.c): slot flags &
 * BPF_F_INDEX_MASK, or `cpu` for BPF_F_CURRENT_CPU. */
int map_perf_output(struct skep_map *m, uint64_t flags, uint32_t cpu, const void *data,
		    uint64_t size);

/* PROG_ARRAY and map-in-map hold object pointers, not values. */
int map_is_obj_holder(uint32_t type);
/* May `inner` go into map-in-map `outer`? */
int map_inner_compatible(const struct skep_map *outer, const struct skep_map *inner);

#endif
