/* The hash of map keys: one function for every table (hash maps, LPM,
 * bloom filters), seeded per map so that keys cannot be chosen to collide. */
#ifndef SKEP_MAPS_MAP_HASH_H
#define SKEP_MAPS_MAP_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 8-byte words multiplied in, then mixed; 4- and 8-byte keys take one step. */
static inline uint64_t map_hash_mix(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

static inline uint64_t map_hash_bytes(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull), w;
	uint32_t w32;

	if (len == 4) {
		__builtin_memcpy(&w32, b, 4);
		return map_hash_mix((h ^ w32) * 0x9e3779b97f4a7c15ull);
	}
	if (len == 8) {
		__builtin_memcpy(&w, b, 8);
		return map_hash_mix((h ^ w) * 0x9e3779b97f4a7c15ull);
	}

	for (; len >= 8; len -= 8, b += 8) {
		__builtin_memcpy(&w, b, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	if (len) {
		w = 0;
		for (size_t i = 0; i < len; i++)
			w |= (uint64_t)b[i] << (8 * i);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	return map_hash_mix(h);
}

#endif
