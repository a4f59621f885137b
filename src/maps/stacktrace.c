/* STACK_TRACE: stack ids to the instruction pointers bpf_get_stackid saw.
 *
 * The kernel's layout and answers: a power-of-2 number of buckets (at least
 * max_entries), each an id's frames; user space looks stacks up, deletes them
 * and walks the ids in use, and cannot write them (-EINVAL); programs reach
 * the map only through bpf_get_stackid.  In user space no kernel stack is
 * there to record, so skep's bpf_get_stackid answers -EFAULT, as the kernel
 * does when it finds no frames, and the map stays empty; it exists so that the
 * objects of profilers and stack counters load, verify and run.
 */
#include <errno.h>
#include <string.h>

#include "maps/map.h"

#define STACK_MAX_DEPTH 127    /* the kernel's default kernel.perf_event_max_stack */
#define STACK_BUILD_ID_SIZE 32 /* struct bpf_stack_build_id */
#define STACK_MAX_BUCKETS (1u << 24)

/* A bucket: the bytes of frames recorded (0: the id is free), then the frames. */
struct stack_bucket {
	uint32_t nr;
	uint32_t pad;
	uint8_t frames[];
};

static uint32_t stack_frame_size(uint32_t flags)
{
	return flags & BPF_F_STACK_BUILD_ID ? STACK_BUILD_ID_SIZE : 8;
}

static int stack_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NUMA_NODE | BPF_F_STACK_BUILD_ID | MAP_F_ACCESS;
	uint32_t frame = stack_frame_size(a->flags);

	if (a->key_size != 4 || !a->value_size || a->value_size % frame || !a->max_entries ||
	    (a->flags & ~mask) || !map_access_flags_ok(a->flags) ||
	    a->value_size / frame > STACK_MAX_DEPTH)
		return -EINVAL;
	return a->max_entries > STACK_MAX_BUCKETS ? -E2BIG : 0;
}

static uint32_t stack_buckets(const struct skep_map *m)
{
	uint32_t n = 1;

	while (n < m->max_entries)
		n <<= 1;
	return n;
}

static size_t stack_bucket_size(const struct skep_map *m)
{
	return sizeof(struct stack_bucket) + map_align(m->value_size, 8);
}

static size_t stack_layout(struct skep_map *m, uint8_t *base)
{
	return MAP_HDR_SIZE + (size_t)stack_buckets(m) * stack_bucket_size(m);
}

static struct stack_bucket *stack_bucket(struct skep_map *m, const void *key)
{
	uint32_t id;

	memcpy(&id, key, 4);
	if (id >= stack_buckets(m))
		return NULL;
	return (struct stack_bucket *)(m->base + MAP_HDR_SIZE + id * stack_bucket_size(m));
}

static void *stack_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	return NULL; /* programs get stacks through bpf_get_stackid only */
}

static int stack_lookup_copy(struct skep_map *m, const void *key, void *value, uint64_t flags)
{
	struct stack_bucket *b = stack_bucket(m, key);
	uint32_t nr = b ? __atomic_load_n(&b->nr, __ATOMIC_ACQUIRE) : 0;

	if (!nr)
		return -ENOENT;
	memcpy(value, b->frames, nr);
	memset((uint8_t *)value + nr, 0, m->value_size - nr);
	return 0;
}

static int stack_update(struct skep_map *m, const void *key, const void *value, uint64_t flags,
			uint32_t cpu)
{
	return -EINVAL;
}

static int stack_delete(struct skep_map *m, const void *key)
{
	struct stack_bucket *b = stack_bucket(m, key);

	if (!b)
		return -E2BIG;
	return __atomic_exchange_n(&b->nr, 0, __ATOMIC_ACQ_REL) ? 0 : -ENOENT;
}

/* The kernel's walk: from the id after `key` (from 0 with no key, or one that
 * is out of range or free) to the next id in use. */
static int stack_get_next_key(struct skep_map *m, const void *key, void *next)
{
	uint32_t n = stack_buckets(m), id = 0;
	struct stack_bucket *b = key ? stack_bucket(m, key) : NULL;

	if (b && __atomic_load_n(&b->nr, __ATOMIC_ACQUIRE)) {
		memcpy(&id, key, 4);
		id++;
	}
	for (; id < n; id++) {
		uint32_t k = id;
		if (__atomic_load_n(&stack_bucket(m, &k)->nr, __ATOMIC_ACQUIRE)) {
			memcpy(next, &k, 4);
			return 0;
		}
	}
	return -ENOENT;
}

const struct map_ops map_stack_trace_ops = {
	.name = "stack_trace",
	.pinnable = 1,
	.check = stack_check,
	.layout = stack_layout,
	.lookup = stack_lookup,
	.update = stack_update,
	.delete_elem = stack_delete,
	.lookup_copy = stack_lookup_copy,
	.get_next_key = stack_get_next_key,
};
