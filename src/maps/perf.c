/* PERF_EVENT_ARRAY, bpf_perf_event_output and the perf buffer consumer.
 *
 * In the kernel the array holds perf event fds that the consumer (libbpf's
 * perf_buffer) opened, one per CPU, each with a ring it maps.  Here the
 * consumer installs one ring per slot in the same way: skep_perfbuf_new()
 * makes a RINGBUF per index and puts it in the array.  A program's output to
 * a slot with no ring fails with -ENOENT, and a full ring drops the sample,
 * counts it as lost (reported to the consumer) and fails with -ENOSPC, as
 * the kernel's does.  The slots hold this process's pointers: such an array
 * cannot be pinned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "maps/map.h"

struct perf_ring {
	struct skep_map *ring; /* a RINGBUF */
	uint64_t lost, lost_seen;
	uint32_t index;
};

static int perf_check(const struct skep_map_attr *a)
{
	uint32_t mask = BPF_F_NUMA_NODE | MAP_F_ACCESS | BPF_F_PRESERVE_ELEMS;

	if (!a->max_entries || a->key_size != 4 || a->value_size != 4 || (a->flags & ~mask) ||
	    (a->flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)))
		return -EINVAL;
	return 0;
}

static size_t perf_layout(struct skep_map *m, uint8_t *base)
{
	size_t bytes = (size_t)m->max_entries * sizeof(struct perf_ring *);

	if (base)
		m->u.array.values = base + MAP_HDR_SIZE;
	m->u.array.slot_bytes = bytes;
	return MAP_HDR_SIZE + bytes;
}

static struct perf_ring **perf_slot(struct skep_map *m, uint32_t i)
{
	return (struct perf_ring **)m->u.array.values + i;
}

static void *perf_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	return NULL; /* programs cannot look into a perf event array */
}

static int perf_update(struct skep_map *m, const void *key, const void *value, uint64_t flags,
		       uint32_t cpu)
{
	return -EINVAL; /* rings go in through skep_perfbuf_new */
}

static int perf_delete(struct skep_map *m, const void *key)
{
	uint32_t i;

	memcpy(&i, key, 4);
	if (i >= m->max_entries)
		return -E2BIG;
	return __atomic_exchange_n(perf_slot(m, i), NULL, __ATOMIC_ACQ_REL) ? 0 : -ENOENT;
}

static int perf_get_next_key(struct skep_map *m, const void *key, void *next)
{
	return map_array_ops.get_next_key(m, key, next);
}

const struct map_ops map_perf_event_array_ops = {
	.name = "perf_event_array",
	.check = perf_check,
	.layout = perf_layout,
	.lookup = perf_lookup,
	.update = perf_update,
	.delete_elem = perf_delete,
	.get_next_key = perf_get_next_key,
};

int map_perf_output(struct skep_map *m, uint64_t flags, uint32_t cpu, const void *data,
		    uint64_t size)
{
	uint64_t index = flags & BPF_F_INDEX_MASK;
	struct perf_ring *pr;
	void *sample;

	if (flags & ~(uint64_t)BPF_F_INDEX_MASK)
		return -EINVAL;
	if (index == BPF_F_CURRENT_CPU)
		index = cpu;
	if (index >= m->max_entries)
		return -E2BIG;
	pr = __atomic_load_n(perf_slot(m, (uint32_t)index), __ATOMIC_ACQUIRE);
	if (!pr)
		return -ENOENT;
	sample = map_ringbuf_reserve(pr->ring, size);
	if (!sample) {
		__atomic_fetch_add(&pr->lost, 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	memcpy(sample, data, size);
	map_ringbuf_commit(pr->ring, sample, 0, 0);
	return 0;
}

/* ---- the consumer ---- */

struct skep_perfbuf {
	struct skep_map *map;
	skep_perfbuf_sample_fn sample;
	skep_perfbuf_lost_fn lost;
	void *ctx;
	int epfd;
	uint32_t nr;
	struct perf_ring *rings;
	struct skep_ringbuf **readers;
	uint32_t current; /* the ring being read, for the sample callback */
};

static int perf_sample(void *arg, void *data, size_t size)
{
	struct skep_perfbuf *pb = arg;

	pb->sample(pb->ctx, (int)pb->current, data, (uint32_t)size);
	return 0;
}

void skep_perfbuf_free(struct skep_perfbuf *pb)
{
	if (!pb)
		return;
	for (uint32_t i = 0; i < pb->nr; i++) {
		struct perf_ring *want = &pb->rings[i];
		/* take the ring out of the array only if it is still ours */
		__atomic_compare_exchange_n(perf_slot(pb->map, i), &want, NULL, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
		skep_ringbuf_free(pb->readers[i]);
		skep_map_free(pb->rings[i].ring);
	}
	if (pb->epfd >= 0)
		close(pb->epfd);
	free(pb->readers);
	free(pb->rings);
	free(pb);
}

static int perf_ring_open(struct skep_perfbuf *pb, uint32_t i, size_t page_cnt)
{
	struct skep_map_attr a = {.sz = sizeof(a), .type = BPF_MAP_TYPE_RINGBUF,
				  .max_entries = (uint32_t)(page_cnt * MAP_PAGE)};
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

	pb->rings[i].index = i;
	if (skep_map_create(&a, &pb->rings[i].ring))
		return -1;
	pb->readers[i] = skep_ringbuf_new(pb->rings[i].ring, perf_sample, pb);
	if (!pb->readers[i] || epoll_ctl(pb->epfd, EPOLL_CTL_ADD, pb->rings[i].ring->event_fd, &ev))
		return -1;
	__atomic_store_n(perf_slot(pb->map, i), &pb->rings[i], __ATOMIC_RELEASE);
	return 0;
}

struct skep_perfbuf *skep_perfbuf_new(struct skep_map *map, size_t page_cnt,
				      skep_perfbuf_sample_fn sample, skep_perfbuf_lost_fn lost,
				      void *ctx)
{
	struct skep_perfbuf *pb;

	if (!map || map->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || !sample || !page_cnt ||
	    (page_cnt & (page_cnt - 1)) || page_cnt > (1u << 18))
		return NULL;
	pb = calloc(1, sizeof(*pb));
	if (!pb)
		return NULL;
	*pb = (struct skep_perfbuf){.map = map, .sample = sample, .lost = lost, .ctx = ctx,
				    .epfd = epoll_create1(EPOLL_CLOEXEC), .nr = map->max_entries};
	pb->rings = calloc(pb->nr, sizeof(*pb->rings));
	pb->readers = calloc(pb->nr, sizeof(*pb->readers));
	if (pb->epfd < 0 || !pb->rings || !pb->readers) {
		pb->nr = 0;
		skep_perfbuf_free(pb);
		return NULL;
	}
	for (uint32_t i = 0; i < pb->nr; i++) {
		if (perf_ring_open(pb, i, page_cnt)) {
			pb->nr = i + 1;
			skep_perfbuf_free(pb);
			return NULL;
		}
	}
	return pb;
}

int skep_perfbuf_epoll_fd(const struct skep_perfbuf *pb)
{
	return pb ? pb->epfd : -EINVAL;
}

static int perf_consume_one(struct skep_perfbuf *pb, uint32_t i)
{
	struct perf_ring *r = &pb->rings[i];
	uint64_t lost = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
	uint64_t drained;

	if (read(r->ring->event_fd, &drained, sizeof(drained)) < 0) {
		/* EAGAIN: no wakeup pending; the ring may still hold samples */
	}
	if (lost != r->lost_seen && pb->lost) {
		pb->lost(pb->ctx, (int)i, lost - r->lost_seen);
		r->lost_seen = lost;
	}
	pb->current = i;
	return skep_ringbuf_consume(pb->readers[i]);
}

int skep_perfbuf_consume(struct skep_perfbuf *pb)
{
	int total = 0;

	if (!pb)
		return -EINVAL;
	for (uint32_t i = 0; i < pb->nr; i++) {
		int n = perf_consume_one(pb, i);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

int skep_perfbuf_poll(struct skep_perfbuf *pb, int timeout_ms)
{
	struct epoll_event ev[16];
	int n, total = 0;

	if (!pb)
		return -EINVAL;
	n = epoll_wait(pb->epfd, ev, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++) {
		int got = perf_consume_one(pb, ev[k].data.u32);
		if (got < 0)
			return got;
		total += got;
	}
	return total;
}
