/* RINGBUF: a multi-producer, single-consumer ring of variable-size samples,
 * with the kernel's record format and positions.
 *
 *   header | consumer page: consumer_pos | producer page: producer_pos, lock | data
 *
 * Positions only grow; a record sits at pos & mask behind an 8-byte header
 * (length with the BUSY and DISCARD bits, then a word of ours), padded to 8.
 * Producers reserve under a lock and commit without one by clearing BUSY.
 * The kernel maps the data twice so records may wrap; a file shared between
 * processes cannot count on that, so a record that would wrap is preceded by
 * a discarded filler up to the end of the ring instead.
 *
 * Wakeups: a commit signals this process's eventfd when the consumer has
 * caught up to the record (or on BPF_RB_FORCE_WAKEUP), as the kernel's
 * adaptive notification does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "maps/map.h"

#ifndef BPF_RINGBUF_BUSY_BIT
#define BPF_RINGBUF_BUSY_BIT (1u << 31)
#define BPF_RINGBUF_DISCARD_BIT (1u << 30)
#define BPF_RINGBUF_HDR_SZ 8
#endif

struct ringbuf_hdr {
	uint32_t len;
	uint32_t pos8; /* (start position >> 3), padding included: for wakeups */
};

struct ringbuf_prod {
	uint64_t producer_pos;
	struct map_mutex lock;
};

static int ringbuf_check(const struct skep_map_attr *a)
{
	if ((a->flags & ~BPF_F_NUMA_NODE) || a->key_size || a->value_size ||
	    !a->max_entries || (a->max_entries & (a->max_entries - 1)) || a->max_entries % MAP_PAGE)
		return -EINVAL;
	return 0;
}

static size_t ringbuf_layout(struct skep_map *m, uint8_t *base)
{
	struct map_ringbuf *r = &m->u.ringbuf;
	size_t cons = MAP_PAGE, prod = 2 * MAP_PAGE, data = 3 * MAP_PAGE;

	r->mask = m->max_entries - 1;
	if (base) {
		struct ringbuf_prod *p = (struct ringbuf_prod *)(base + prod);
		r->consumer_pos = (uint64_t *)(base + cons);
		r->producer_pos = &p->producer_pos;
		r->lock = &p->lock;
		r->data = base + data;
	}
	return data + m->max_entries;
}

static int ringbuf_init(struct skep_map *m)
{
	return map_mutex_init(m->u.ringbuf.lock);
}

static void ringbuf_put_hdr(uint8_t *at, uint32_t len, uint64_t pos)
{
	struct ringbuf_hdr *h = (struct ringbuf_hdr *)at;

	h->pos8 = (uint32_t)(pos >> 3);
	__atomic_store_n(&h->len, len, __ATOMIC_RELEASE);
}

void *map_ringbuf_reserve(struct skep_map *m, uint64_t size)
{
	struct map_ringbuf *r = &m->u.ringbuf;
	uint64_t ring = (uint64_t)r->mask + 1, len, cons, prod, off, pad = 0;
	uint8_t *rec = NULL;

	if (size > ring - BPF_RINGBUF_HDR_SZ || size >= BPF_RINGBUF_DISCARD_BIT)
		return NULL;
	len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
	map_mutex_lock(r->lock);
	cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	prod = *r->producer_pos;
	off = prod & r->mask;
	if (off + len > ring)
		pad = ring - off;
	if (prod + pad + len - cons <= ring) {
		if (pad)
			ringbuf_put_hdr(r->data + off,
					(uint32_t)(pad - BPF_RINGBUF_HDR_SZ) | BPF_RINGBUF_DISCARD_BIT,
					prod);
		rec = r->data + ((prod + pad) & r->mask);
		ringbuf_put_hdr(rec, (uint32_t)size | BPF_RINGBUF_BUSY_BIT, prod);
		__atomic_store_n(r->producer_pos, prod + pad + len, __ATOMIC_RELEASE);
	}
	map_mutex_unlock(r->lock);
	return rec ? rec + BPF_RINGBUF_HDR_SZ : NULL;
}

void map_ringbuf_commit(struct skep_map *m, void *sample, int discard, uint64_t flags)
{
	struct ringbuf_hdr *h = (struct ringbuf_hdr *)((uint8_t *)sample - BPF_RINGBUF_HDR_SZ);
	uint32_t len = __atomic_load_n(&h->len, __ATOMIC_RELAXED) & ~BPF_RINGBUF_BUSY_BIT;
	uint64_t cons;
	int wake;

	__atomic_store_n(&h->len, len | (discard ? BPF_RINGBUF_DISCARD_BIT : 0), __ATOMIC_RELEASE);
	cons = __atomic_load_n(m->u.ringbuf.consumer_pos, __ATOMIC_ACQUIRE);
	if (flags & BPF_RB_NO_WAKEUP)
		wake = 0;
	else
		wake = (flags & BPF_RB_FORCE_WAKEUP) || (uint32_t)(cons >> 3) == h->pos8;
	if (wake && m->event_fd >= 0) {
		uint64_t one = 1;
		if (write(m->event_fd, &one, sizeof(one)) < 0) {
			/* counter saturated: a wakeup is pending anyway */
		}
	}
}

int map_ringbuf_owns(const struct skep_map *m, const void *sample)
{
	const uint8_t *p = sample, *d = m->u.ringbuf.data;

	return m->type == BPF_MAP_TYPE_RINGBUF && p >= d + BPF_RINGBUF_HDR_SZ &&
	       p < d + (size_t)m->u.ringbuf.mask + 1 && (uintptr_t)p % 8 == 0;
}

uint64_t map_ringbuf_query(struct skep_map *m, uint64_t what)
{
	struct map_ringbuf *r = &m->u.ringbuf;
	uint64_t cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);

	switch (what) {
	case BPF_RB_AVAIL_DATA: return prod - cons;
	case BPF_RB_RING_SIZE: return (uint64_t)r->mask + 1;
	case BPF_RB_CONS_POS: return cons;
	case BPF_RB_PROD_POS: return prod;
	default: return 0;
	}
}

static void *ringbuf_lookup(struct skep_map *m, const void *key, uint32_t cpu)
{
	return NULL;
}

static int ringbuf_no_key(struct skep_map *m, const void *key)
{
	return -MAP_ENOTSUPP;
}

static int ringbuf_get_next_key(struct skep_map *m, const void *key, void *next)
{
	return -MAP_ENOTSUPP;
}

const struct map_ops map_ringbuf_ops = {
	.name = "ringbuf",
	.pinnable = 1,
	.check = ringbuf_check,
	.layout = ringbuf_layout,
	.init = ringbuf_init,
	.lookup = ringbuf_lookup,
	.delete_elem = ringbuf_no_key,
	.get_next_key = ringbuf_get_next_key,
};

/* ---- the consumer ---- */

struct skep_ringbuf {
	struct skep_map *map;
	skep_ringbuf_sample_fn fn;
	void *ctx;
	int epfd;
};

struct skep_ringbuf *skep_ringbuf_new(struct skep_map *map, skep_ringbuf_sample_fn fn, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct skep_ringbuf *rb;

	if (!map || map->type != BPF_MAP_TYPE_RINGBUF || !fn || map->event_fd < 0)
		return NULL;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	*rb = (struct skep_ringbuf){map, fn, ctx, epoll_create1(EPOLL_CLOEXEC)};
	if (rb->epfd < 0 || epoll_ctl(rb->epfd, EPOLL_CTL_ADD, map->event_fd, &ev)) {
		skep_ringbuf_free(rb);
		return NULL;
	}
	return rb;
}

void skep_ringbuf_free(struct skep_ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->epfd >= 0)
		close(rb->epfd);
	free(rb);
}

int skep_ringbuf_epoll_fd(const struct skep_ringbuf *rb)
{
	return rb ? rb->epfd : -EINVAL;
}

int skep_ringbuf_consume(struct skep_ringbuf *rb)
{
	struct map_ringbuf *r;
	uint64_t ring, cons;
	int n = 0;

	if (!rb)
		return -EINVAL;
	r = &rb->map->u.ringbuf;
	ring = (uint64_t)r->mask + 1;
	cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	for (;;) {
		uint64_t prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE), total;
		uint8_t *at = r->data + (cons & r->mask);
		uint32_t w, len;
		int err;

		if (cons >= prod)
			break;
		w = __atomic_load_n(&((struct ringbuf_hdr *)at)->len, __ATOMIC_ACQUIRE);
		if (w & BPF_RINGBUF_BUSY_BIT)
			break;
		len = w & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		total = ((uint64_t)len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
		if (total > ring - (cons & r->mask) || total > prod - cons)
			return -EINVAL; /* not a record: the shared memory was damaged */
		if (!(w & BPF_RINGBUF_DISCARD_BIT)) {
			err = rb->fn(rb->ctx, at + BPF_RINGBUF_HDR_SZ, len);
			if (err < 0) {
				__atomic_store_n(r->consumer_pos, cons + total, __ATOMIC_RELEASE);
				return err;
			}
			n++;
		}
		cons += total;
		__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	}
	return n;
}

int skep_ringbuf_poll(struct skep_ringbuf *rb, int timeout_ms)
{
	struct epoll_event ev;
	uint64_t drained;

	if (!rb)
		return -EINVAL;
	if (epoll_wait(rb->epfd, &ev, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	/* Reset the wakeup before reading, so a commit after this is not missed. */
	if (read(rb->map->event_fd, &drained, sizeof(drained)) < 0) {
		/* EAGAIN: nothing was signalled; there may still be data */
	}
	return skep_ringbuf_consume(rb);
}
