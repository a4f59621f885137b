/* The map tests' shorthand: a struct skep_map_attr in one line, and a map
 * made from one (NULL if skep refuses it). */
#ifndef SKEP_TESTS_MAPS_MAPATTR_H
#define SKEP_TESTS_MAPS_MAPATTR_H

#include <stdint.h>

#include "skep/maps.h"

#define ATTR(T, K, V, N, F)                                                                        \
	{.sz = sizeof(struct skep_map_attr), .type = (T), .key_size = (K), .value_size = (V),      \
	 .max_entries = (N), .flags = (F)}

static inline struct skep_map *make(uint32_t type, uint32_t k, uint32_t v, uint32_t n,
				    uint32_t flags)
{
	struct skep_map_attr a = ATTR(type, k, v, n, flags);
	struct skep_map *m = NULL;

	return skep_map_create(&a, &m) ? NULL : m;
}

#endif
