/* skep maps: the kernel's map types, in user space.
 *
 * A map is created with the kernel's numbers (enum bpf_map_type, BPF_F_*
 * flags, BPF_ANY/BPF_NOEXIST/BPF_EXIST/BPF_F_LOCK) and behaves as the kernel's
 * does: the same error codes (-E2BIG when full, -ENOENT, -EEXIST, -EINVAL),
 * the same iteration protocol (a NULL key starts it, -ENOENT ends it), the
 * same per-CPU value layout (one value per possible CPU, each rounded up to 8
 * bytes).  Programs reach a map through lddw pseudo instructions (see
 * skep_load_opts.maps) and the map helpers; user space through the functions
 * below.  Both may run at once on many threads: lookups take no lock.
 *
 * Storage is preallocated in one block of shared memory that holds offsets,
 * never pointers, so a map can be pinned: it then lives in a file under the
 * pin directory that every process maps, and survives its creator.
 *
 * Every function returns 0 or a negative errno unless it says otherwise.
 */
#ifndef SKEP_MAPS_H
#define SKEP_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

#ifdef __cplusplus
extern "C" {
#endif

struct skep_map;

struct skep_map_attr {
	size_t sz;            /* sizeof(struct skep_map_attr), for ABI growth */
	uint32_t type;        /* enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries; /* RINGBUF: the data size in bytes (a power of 2 of pages) */
	uint32_t flags;       /* BPF_F_* map flags, as BPF_MAP_CREATE's map_flags */
	uint64_t map_extra;   /* BLOOM_FILTER: number of hash functions (low 4 bits; 0 = 5) */
	const char *name;     /* up to 15 characters; NULL = "" */
	/* Slots of per-CPU maps; 0 = the possible CPUs of this machine (as the
	 * kernel's num_possible_cpus()), see skep_nr_cpus(). */
	uint32_t nr_cpus;
	/* A struct bpf_spin_lock inside the value (the kernel learns this from
	 * BTF): BPF_F_LOCK and the spin-lock helpers need it. */
	uint32_t has_spin_lock;
	uint32_t spin_lock_off;
	/* ARRAY_OF_MAPS, HASH_OF_MAPS: the template every inner map must match
	 * (type, key and value size, flags), as the kernel's inner_map_fd. */
	const struct skep_map *inner_map;
	/* Create the map pinned under this name (see skep_map_pin); -EEXIST if
	 * the name is taken. NULL: not pinned. */
	const char *pin_name;
};

/* Create a map.  -EINVAL, -E2BIG for attributes the kernel refuses, -ENOMEM,
 * -EOPNOTSUPP for a type skep does not have. */
SKEP_API int skep_map_create(const struct skep_map_attr *attr, struct skep_map **out);
/* Unmap this process's handle; a pinned map lives on in its file.  Programs
 * and outer maps that refer to the map must be freed first. */
SKEP_API void skep_map_free(struct skep_map *map);

struct skep_map_info {
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t nr_cpus;
	uint64_t map_extra;
	char name[16];
	/* Bytes a user-space lookup writes: value_size, or for per-CPU maps
	 * nr_cpus * round_up(value_size, 8). */
	uint32_t user_value_size;
	int pinned;
};
SKEP_API int skep_map_info(const struct skep_map *map, struct skep_map_info *info);

/* Possible CPUs of this machine: the default slot count of per-CPU maps. */
SKEP_API uint32_t skep_nr_cpus(void);

/* The kernel's BPF_MAP_*_ELEM commands.  `flags` are BPF_ANY, BPF_NOEXIST,
 * BPF_EXIST, optionally | BPF_F_LOCK; lookups accept 0 or BPF_F_LOCK.
 * Per-CPU maps take and give skep_map_info.user_value_size bytes.
 * QUEUE, STACK and BLOOM_FILTER ignore the key (pass NULL): update pushes,
 * lookup peeks (for a bloom filter, `value` is the element to test),
 * lookup_and_delete pops. */
SKEP_API int skep_map_lookup(struct skep_map *map, const void *key, void *value);
SKEP_API int skep_map_lookup_flags(struct skep_map *map, const void *key, void *value,
				   uint64_t flags);
SKEP_API int skep_map_update(struct skep_map *map, const void *key, const void *value,
			     uint64_t flags);
SKEP_API int skep_map_delete(struct skep_map *map, const void *key);
SKEP_API int skep_map_lookup_and_delete(struct skep_map *map, const void *key, void *value,
					uint64_t flags);
/* The key after `key` (NULL: the first); -ENOENT after the last.  A key that
 * is not in the map restarts the walk, as in the kernel. */
SKEP_API int skep_map_get_next_key(struct skep_map *map, const void *key, void *next_key);

/* Batches (BPF_MAP_*_BATCH).  `in_batch` NULL starts at the first element;
 * the position to continue from is written to `out_batch` (key_size bytes,
 * at least 4).  *count: in, how many keys/values fit; out, how many were
 * processed.  The lookups return -ENOENT when the walk reached the end (with
 * *count possibly > 0).  update/delete stop at the first error, *count
 * saying how many succeeded. */
SKEP_API int skep_map_lookup_batch(struct skep_map *map, const void *in_batch, void *out_batch,
				   void *keys, void *values, uint32_t *count, uint64_t flags);
SKEP_API int skep_map_lookup_and_delete_batch(struct skep_map *map, const void *in_batch,
					      void *out_batch, void *keys, void *values,
					      uint32_t *count, uint64_t flags);
SKEP_API int skep_map_update_batch(struct skep_map *map, const void *keys, const void *values,
				   uint32_t *count, uint64_t flags);
SKEP_API int skep_map_delete_batch(struct skep_map *map, const void *keys, uint32_t *count,
				   uint64_t flags);

/* PROG_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS hold objects, where the kernel
 * takes fds: `obj` is a struct skep_prog * or a struct skep_map *, NULL to
 * remove.  The map does not own them; remove them before freeing them.  An
 * inner map must match the template (-EINVAL).  Such maps cannot be pinned. */
SKEP_API int skep_map_update_obj(struct skep_map *map, const void *key, void *obj,
				 uint64_t flags);
SKEP_API int skep_map_lookup_obj(struct skep_map *map, const void *key, void **obj);

/* The values of an ARRAY map created with BPF_F_MMAPABLE, as the kernel's
 * mmap() of the map gives: element i at i * round_up(value_size, 8).  The
 * pointer stays valid while the handle lives. NULL otherwise. */
SKEP_API void *skep_map_mmap(struct skep_map *map, size_t *size);

/* Pinning.  The pin directory is $SKEP_PIN_DIR, else $XDG_RUNTIME_DIR/skep,
 * else /tmp/skep-$UID (created 0700 when missing).  Names are
 * [A-Za-z0-9_.-], not starting with '.', at most 200 characters. */
SKEP_API int skep_pin_dir(char *buf, size_t size);
/* Move the map into a file under `name` (-EEXIST if taken).  Do it before
 * programs or threads use the map: updates racing with it may be lost. */
SKEP_API int skep_map_pin(struct skep_map *map, const char *name);
/* Map a pinned map into this process: -ENOENT, or -EINVAL for a file that is
 * not a skep map. */
SKEP_API int skep_map_open_pinned(const char *name, struct skep_map **out);
/* Remove the name (and its BTF types); the memory goes when the last
 * process unmaps it. */
SKEP_API int skep_map_unpin(const char *name);

/* The BTF types of a pinned map's key and value, kept beside the pin (as
 * bpffs pins keep theirs) so that any process can print its elements as
 * typed fields: type ids into the raw .BTF blob of the object the map came
 * from (libbpf's btf__new reads it). */
struct skep_map_btf {
	const void *btf;
	size_t btf_size;
	uint32_t key_type, value_type; /* 0: not known */
};
SKEP_API int skep_map_pin_btf(const char *name, const struct skep_map_btf *t);
/* 0 with t->btf malloc'd (the caller frees it); -ENOENT when none is kept. */
SKEP_API int skep_map_pinned_btf(const char *name, struct skep_map_btf *t);

/* Ring buffer consumer (RINGBUF maps), in the manner of libbpf's ring_buffer.
 * The callback gets each submitted sample in order; returning < 0 stops the
 * consumption with that error. */
typedef int (*skep_ringbuf_sample_fn)(void *ctx, void *data, size_t size);
struct skep_ringbuf;
SKEP_API struct skep_ringbuf *skep_ringbuf_new(struct skep_map *map, skep_ringbuf_sample_fn fn,
					       void *ctx);
SKEP_API void skep_ringbuf_free(struct skep_ringbuf *rb);
/* An epoll fd that is readable when programs of this process submitted data
 * (add it to your own epoll set).  Producers in other processes do not wake
 * it: poll those with a timeout. */
SKEP_API int skep_ringbuf_epoll_fd(const struct skep_ringbuf *rb);
/* Consume what is there: the number of samples, or the callback's error. */
SKEP_API int skep_ringbuf_consume(struct skep_ringbuf *rb);
/* Wait up to timeout_ms (-1: forever) for a wakeup, then consume. */
SKEP_API int skep_ringbuf_poll(struct skep_ringbuf *rb, int timeout_ms);

/* Perf buffer consumer (PERF_EVENT_ARRAY maps), in the manner of libbpf's
 * perf_buffer: it makes a ring of page_cnt pages (a power of 2) for every
 * index of the array, as the kernel's consumer opens a perf event per CPU;
 * programs' bpf_perf_event_output() lands in the ring of the index they name
 * (BPF_F_CURRENT_CPU: their run's cpu).  Samples that found a ring full are
 * reported to lost_fn (may be NULL) as a count per index. */
typedef void (*skep_perfbuf_sample_fn)(void *ctx, int cpu, void *data, uint32_t size);
typedef void (*skep_perfbuf_lost_fn)(void *ctx, int cpu, uint64_t count);
struct skep_perfbuf;
SKEP_API struct skep_perfbuf *skep_perfbuf_new(struct skep_map *map, size_t page_cnt,
					       skep_perfbuf_sample_fn sample_fn,
					       skep_perfbuf_lost_fn lost_fn, void *ctx);
SKEP_API void skep_perfbuf_free(struct skep_perfbuf *pb);
SKEP_API int skep_perfbuf_epoll_fd(const struct skep_perfbuf *pb);
/* Consume every ring: the number of samples, or a negative errno. */
SKEP_API int skep_perfbuf_consume(struct skep_perfbuf *pb);
/* Wait up to timeout_ms (-1: forever) for samples, then consume those rings. */
SKEP_API int skep_perfbuf_poll(struct skep_perfbuf *pb, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
