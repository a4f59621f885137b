/* Running the same map operations on a kernel map (bpf(2)) and a skep map,
 * comparing return codes and the bytes that come back.  A test opens a
 * `struct dual`, performs operations through the d_* functions, and ends
 * with dual_end(), which prints one PASS or FAIL line naming the first
 * difference. */
#ifndef SKEP_TESTS_MAPS_DUAL_H
#define SKEP_TESTS_MAPS_DUAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "skep/maps.h"

struct dual {
	struct harness *h;
	const char *name;
	int kfd;
	struct skep_map *m;
	uint32_t ksz, vsz; /* key size; bytes of a user-space value */
	int ops, bad;
	char why[600];
};

static void dual_note(struct dual *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dual_note(struct dual *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->bad++)
		return;
	n = snprintf(d->why, sizeof(d->why), "op %d: ", d->ops);
	va_start(ap, fmt);
	vsnprintf(d->why + n, sizeof(d->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

static const char *dual_hex(const void *p, size_t n, char *buf, size_t size)
{
	const uint8_t *b = p;
	size_t o = 0;

	buf[0] = '\0';
	if (!p)
		return "NULL";
	for (size_t i = 0; i < n && o + 3 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%02x", b[i]);
	return buf;
}

/* Create both maps; 0 when both exist (a differing create is a mismatch). */
static int dual_open(struct dual *d, struct harness *h, const char *name,
		     const struct skep_map_attr *a, int kinner_fd)
{
	struct kbpf_map_opts ko = {a->type, a->key_size, a->value_size, a->max_entries, a->flags,
				   a->map_extra, kinner_fd};
	struct skep_map_info info;
	int s;

	memset(d, 0, sizeof(*d));
	d->h = h;
	d->name = name;
	d->kfd = kbpf_map_create_opts(&ko);
	s = skep_map_create(a, &d->m);
	if ((d->kfd < 0 ? d->kfd : 0) != s)
		dual_note(d, "create: kernel %d skep %d", d->kfd < 0 ? d->kfd : 0, s);
	if (d->kfd < 0 || s) {
		if (d->kfd >= 0)
			close(d->kfd);
		skep_map_free(d->m);
		d->m = NULL;
		d->kfd = -1;
		return -1;
	}
	skep_map_info(d->m, &info);
	d->ksz = a->key_size;
	d->vsz = info.user_value_size;
	return 0;
}

static int dual_end(struct dual *d)
{
	int ok = !d->bad;

	harness_check(d->h, ok, d->name, "%s", d->why);
	if (d->kfd >= 0)
		close(d->kfd);
	skep_map_free(d->m);
	d->m = NULL;
	d->kfd = -1;
	return ok;
}

static void dual_rc(struct dual *d, const char *op, const void *key, int k, int s)
{
	char hex[80];

	if (k != s)
		dual_note(d, "%s(%s): kernel %d skep %d", op,
			  dual_hex(key, d->ksz, hex, sizeof(hex)), k, s);
}

static void d_update(struct dual *d, const void *key, const void *val, uint64_t flags)
{
	char op[32];

	d->ops++;
	snprintf(op, sizeof(op), "update/%llu", (unsigned long long)flags);
	dual_rc(d, op, key, kbpf_map_update(d->kfd, key, val, flags),
		skep_map_update(d->m, key, val, flags));
}

static void dual_cmp_bytes(struct dual *d, const char *op, const void *key, const void *a,
			   const void *b, size_t n)
{
	char k[80], x[160], y[160];

	if (memcmp(a, b, n))
		dual_note(d, "%s(%s): kernel %s skep %s", op, dual_hex(key, d->ksz, k, sizeof(k)),
			  dual_hex(a, n, x, sizeof(x)), dual_hex(b, n, y, sizeof(y)));
}

static void d_lookup(struct dual *d, const void *key)
{
	uint8_t *kv = calloc(1, d->vsz + 8), *sv = calloc(1, d->vsz + 8);
	int k = kbpf_map_lookup(d->kfd, key, kv), s = skep_map_lookup(d->m, key, sv);

	d->ops++;
	dual_rc(d, "lookup", key, k, s);
	if (!k && !s)
		dual_cmp_bytes(d, "lookup", key, kv, sv, d->vsz);
	free(kv);
	free(sv);
}

static void d_lookup_and_delete(struct dual *d, const void *key, uint64_t flags)
{
	uint8_t *kv = calloc(1, d->vsz + 8), *sv = calloc(1, d->vsz + 8);
	int k = kbpf_map_lookup_and_delete(d->kfd, key, kv, flags);
	int s = skep_map_lookup_and_delete(d->m, key, sv, flags);

	d->ops++;
	dual_rc(d, "lookup_and_delete", key, k, s);
	if (!k && !s)
		dual_cmp_bytes(d, "lookup_and_delete", key, kv, sv, d->vsz);
	free(kv);
	free(sv);
}

static void d_delete(struct dual *d, const void *key)
{
	d->ops++;
	dual_rc(d, "delete", key, kbpf_map_delete(d->kfd, key), skep_map_delete(d->m, key));
}

/* get_next_key; the keys are compared only when `ordered` (hash orders differ). */
static void d_next(struct dual *d, const void *key, int ordered)
{
	uint8_t kn[512] = {0}, sn[512] = {0};
	int k = kbpf_map_get_next_key(d->kfd, key, kn), s = skep_map_get_next_key(d->m, key, sn);

	d->ops++;
	dual_rc(d, "get_next_key", key, k, s);
	if (!k && !s && ordered)
		dual_cmp_bytes(d, "get_next_key", key, kn, sn, d->ksz);
}

static int dual_key_cmp(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(uint32_t *)size);
}

/* Walk one side from NULL to -ENOENT; the keys in order, malloc'd. */
static uint8_t *dual_walk(struct dual *d, int kernel, size_t *n)
{
	size_t cap = 64, cnt = 0;
	uint8_t *keys = malloc(cap * d->ksz), prev[512];

	for (size_t guard = 0; guard < 100000; guard++) {
		if (cnt == cap)
			keys = realloc(keys, (cap *= 2) * d->ksz);
		uint8_t *next = keys + cnt * d->ksz;
		int err = kernel ? kbpf_map_get_next_key(d->kfd, cnt ? prev : NULL, next)
				 : skep_map_get_next_key(d->m, cnt ? prev : NULL, next);
		if (err)
			break;
		memcpy(prev, next, d->ksz); /* keys may move when it grows */
		cnt++;
	}
	*n = cnt;
	return keys;
}

/* Both walks give the same keys (in the same order when `ordered`). */
static void d_keyset(struct dual *d, int ordered)
{
	size_t kn, sn;
	uint8_t *kk = dual_walk(d, 1, &kn), *sk = dual_walk(d, 0, &sn);

	d->ops++;
	if (!ordered) {
		qsort_r(kk, kn, d->ksz, dual_key_cmp, &d->ksz);
		qsort_r(sk, sn, d->ksz, dual_key_cmp, &d->ksz);
	}
	if (kn != sn)
		dual_note(d, "walk: kernel %zu keys, skep %zu", kn, sn);
	else
		for (size_t i = 0; i < kn; i++)
			dual_cmp_bytes(d, "walk", NULL, kk + i * d->ksz, sk + i * d->ksz, d->ksz);
	free(kk);
	free(sk);
}

/* QUEUE/STACK/BLOOM: key-less commands. */
static void d_push(struct dual *d, const void *val, uint64_t flags)
{
	d->ops++;
	dual_rc(d, "push", NULL, kbpf_map_update(d->kfd, NULL, val, flags),
		skep_map_update(d->m, NULL, val, flags));
}

static void d_peek(struct dual *d, const void *val_in)
{
	uint8_t kv[64] = {0}, sv[64] = {0};
	int k, s;

	if (val_in) { /* bloom filter: the value is the question */
		memcpy(kv, val_in, d->vsz);
		memcpy(sv, val_in, d->vsz);
	}
	k = kbpf_map_lookup(d->kfd, NULL, kv);
	s = skep_map_lookup(d->m, NULL, sv);
	d->ops++;
	dual_rc(d, "peek", NULL, k, s);
	if (!k && !s)
		dual_cmp_bytes(d, "peek", NULL, kv, sv, d->vsz);
}

static void d_pop(struct dual *d, uint64_t flags)
{
	uint8_t kv[64] = {0}, sv[64] = {0};
	int k = kbpf_map_lookup_and_delete(d->kfd, NULL, kv, flags);
	int s = skep_map_lookup_and_delete(d->m, NULL, sv, flags);

	d->ops++;
	dual_rc(d, "pop", NULL, k, s);
	if (!k && !s)
		dual_cmp_bytes(d, "pop", NULL, kv, sv, d->vsz);
}

#endif
