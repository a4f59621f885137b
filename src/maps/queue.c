/* QUEUE and STACK: bounded FIFO and LIFO of values, no keys.
 *
 * One ring of max_entries slots under a lock: `head` is where the next push
 * goes, the oldest value sits `count` slots behind it.  A queue pops the
 * oldest, a stack the newest; a push with BPF_EXIST into a full one drops the
 * oldest, as the kernel's does.
 */
#include <errno.h>
#include <string.h>

#include "maps/map.h"

struct queue_shared {
	struct map_mutex lock;
	uint32_t head, count;
};

static int queue_check(const struct skep_map_attr *a)
{
	if (!a->max_entries || a->key_size || !a->value_size ||
	    (a->flags & ~(BPF_F_NUMA_NODE | MAP_F_ACCESS)) || !map_access_flags_ok(a->flags))
		return -EINVAL;
	if (a->value_size > (4u << 20))
		return -E2BIG;
	return 0;
}

static size_t queue_layout(struct skep_map *m, uint8_t *base)
{
	size_t off = map_align(MAP_HDR_SIZE, 64), bytes;
	struct queue_shared *sh = base ? (struct queue_shared *)(base + off) : NULL;

	if (__builtin_mul_overflow((size_t)m->max_entries, (size_t)m->vstride, &bytes) ||
	    bytes > (1ull << 44))
		return 0;
	off += sizeof(struct queue_shared);
	if (sh) {
		m->u.queue.lock = &sh->lock;
		m->u.queue.head = &sh->head;
		m->u.queue.count = &sh->count;
		m->u.queue.values = base + off;
	}
	return off + bytes;
}

static int queue_init(struct skep_map *m)
{
	return map_mutex_init(m->u.queue.lock);
}

static uint8_t *queue_slot(struct skep_map *m, uint32_t i)
{
	return m->u.queue.values + (size_t)(i % m->max_entries) * m->vstride;
}

static int queue_push(struct skep_map *m, const void *value, uint64_t flags)
{
	struct map_queue *q = &m->u.queue;
	int err = 0;

	if ((flags & BPF_NOEXIST) || flags > BPF_EXIST)
		return -EINVAL;
	map_mutex_lock(q->lock);
	if (*q->count >= m->max_entries) {
		if (flags & BPF_EXIST)
			--*q->count; /* the oldest goes; its slot is the one head points at */
		else
			err = -E2BIG;
	}
	if (!err) {
		memcpy(queue_slot(m, *q->head), value, m->value_size);
		*q->head = (*q->head + 1) % m->max_entries;
		++*q->count;
	}
	map_mutex_unlock(q->lock);
	return err;
}

static int queue_pop_common(struct skep_map *m, void *value, int remove, int lifo)
{
	struct map_queue *q = &m->u.queue;
	uint32_t n = m->max_entries, i;

	map_mutex_lock(q->lock);
	if (!*q->count || *q->count > n || *q->head >= n) {
		map_mutex_unlock(q->lock);
		return -ENOENT;
	}
	i = lifo ? (*q->head + n - 1) % n : (*q->head + n - *q->count) % n;
	memcpy(value, queue_slot(m, i), m->value_size);
	if (remove) {
		--*q->count;
		if (lifo)
			*q->head = i;
	}
	map_mutex_unlock(q->lock);
	return 0;
}

static int queue_pop(struct skep_map *m, void *value, int remove)
{
	return queue_pop_common(m, value, remove, 0);
}

static int stack_pop(struct skep_map *m, void *value, int remove)
{
	return queue_pop_common(m, value, remove, 1);
}

static int queue_no_key(struct skep_map *m, const void *key)
{
	return -EINVAL;
}

static int queue_get_next_key(struct skep_map *m, const void *key, void *next)
{
	return -EINVAL;
}

static void *queue_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	return NULL;
}

const struct map_ops map_queue_ops = {
	.name = "queue",
	.pinnable = 1,
	.check = queue_check,
	.layout = queue_layout,
	.init = queue_init,
	.lookup = queue_lookup,
	.delete_elem = queue_no_key,
	.push = queue_push,
	.pop = queue_pop,
	.get_next_key = queue_get_next_key,
};

const struct map_ops map_stack_ops = {
	.name = "stack",
	.pinnable = 1,
	.check = queue_check,
	.layout = queue_layout,
	.init = queue_init,
	.lookup = queue_lookup,
	.delete_elem = queue_no_key,
	.push = queue_push,
	.pop = stack_pop,
	.get_next_key = queue_get_next_key,
};
