/* Batched element commands (BPF_MAP_*_BATCH) for every type that has keys,
 * built on get_next_key as the kernel's generic batch code is: the position
 * passed between calls is the last key processed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"

static uint32_t batch_value_size(const struct skep_map *m)
{
	return map_is_percpu(m->type) ? m->nr_cpus * m->vstride : m->value_size;
}

/* The batches the kernel offers: 1 lookup and update (arrays), 2 also the
 * deleting ones (hash tables); 0 none (-ENOTSUPP, count left alone). */
static int batch_level(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return 1;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return 2;
	default:
		return 0;
	}
}

static int batch_usable(const struct skep_map *m, uint64_t flags, int level)
{
	if (batch_level(m->type) < level)
		return -MAP_ENOTSUPP;
	if (flags & ~(uint64_t)BPF_F_LOCK)
		return -EINVAL;
	if ((flags & BPF_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	return 0;
}

static int batch_walk(struct skep_map *m, const void *in_batch, void *out_batch, void *keys,
		      void *values, uint32_t *count, uint64_t flags, int del)
{
	uint32_t want, done = 0, ksz, vsz;
	uint8_t *k = keys, *v = values;
	const void *prev = in_batch;
	int err;

	if (!m || !count)
		return -EINVAL;
	if ((err = batch_usable(m, flags, del ? 2 : 1)))
		return err;
	ksz = m->key_size;
	vsz = batch_value_size(m);
	want = *count;
	*count = 0;
	if (!want)
		return 0;
	if (!keys || !values || !out_batch)
		return -EFAULT;
	while (done < want) {
		uint8_t *key = k + (size_t)done * ksz;
		err = m->ops->get_next_key(m, prev, key);
		if (err)
			break;
		err = skep_map_lookup_flags(m, key, v + (size_t)done * vsz, flags);
		if (err == -ENOENT) { /* deleted since: skip it */
			err = 0;
			continue;
		}
		if (!err && del)
			err = m->ops->delete_elem(m, key);
		if (err)
			break;
		prev = key;
		done++;
	}
	*count = done;
	if (done)
		memcpy(out_batch, k + (size_t)(done - 1) * ksz, ksz);
	return err;
}

int skep_map_lookup_batch(struct skep_map *m, const void *in_batch, void *out_batch, void *keys,
			  void *values, uint32_t *count, uint64_t flags)
{
	if (m && (m->flags & BPF_F_WRONLY))
		return -EPERM;
	return batch_walk(m, in_batch, out_batch, keys, values, count, flags, 0);
}

int skep_map_lookup_and_delete_batch(struct skep_map *m, const void *in_batch, void *out_batch,
				     void *keys, void *values, uint32_t *count, uint64_t flags)
{
	if (m && (m->flags & (BPF_F_WRONLY | BPF_F_RDONLY)))
		return -EPERM;
	/* Deleted keys restart get_next_key from the first: exactly what is left. */
	return batch_walk(m, NULL, out_batch, keys, values, count, flags, 1);
}

int skep_map_update_batch(struct skep_map *m, const void *keys, const void *values,
			  uint32_t *count, uint64_t flags)
{
	uint32_t want, done;
	int err = 0;

	if (!m || !count)
		return -EINVAL;
	if ((err = batch_usable(m, flags & ~(uint64_t)(BPF_NOEXIST | BPF_EXIST), 1)))
		return err;
	want = *count;
	*count = 0;
	if (m->flags & BPF_F_RDONLY)
		return -EPERM;
	if (want && (!keys || !values))
		return -EFAULT;
	for (done = 0; done < want && !err; done++) {
		err = skep_map_update(m, (const uint8_t *)keys + (size_t)done * m->key_size,
				      (const uint8_t *)values + (size_t)done * batch_value_size(m),
				      flags);
		if (err)
			break;
	}
	*count = done;
	return err;
}

int skep_map_delete_batch(struct skep_map *m, const void *keys, uint32_t *count, uint64_t flags)
{
	uint32_t want, done;
	int err = 0;

	if (!m || !count)
		return -EINVAL;
	if ((err = batch_usable(m, 0, 2)))
		return err;
	want = *count;
	*count = 0;
	if (m->flags & BPF_F_RDONLY)
		return -EPERM;
	if (flags)
		return -EINVAL;
	if (want && !keys)
		return -EFAULT;
	for (done = 0; done < want; done++) {
		err = skep_map_delete(m, (const uint8_t *)keys + (size_t)done * m->key_size);
		if (err)
			break;
	}
	*count = done;
	return err;
}
