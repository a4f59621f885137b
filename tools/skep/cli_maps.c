/* Maps on the command line, shared by `skep map` and `skep test-run
 * --dump-maps`: type names, reading keys and values typed by the user,
 * printing a map's contents (text, JSON, or a log2 histogram of its values
 * in bpftrace's layout), and opening the maps a --map option names. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isa/bpf_compat.h"

static const struct {
	uint32_t type;
	const char *name;
} cli_map_types[] = {
	{BPF_MAP_TYPE_HASH, "hash"},
	{BPF_MAP_TYPE_ARRAY, "array"},
	{BPF_MAP_TYPE_PROG_ARRAY, "prog_array"},
	{BPF_MAP_TYPE_PERF_EVENT_ARRAY, "perf_event_array"},
	{BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash"},
	{BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array"},
	{BPF_MAP_TYPE_LRU_HASH, "lru_hash"},
	{BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash"},
	{BPF_MAP_TYPE_LPM_TRIE, "lpm_trie"},
	{BPF_MAP_TYPE_ARRAY_OF_MAPS, "array_of_maps"},
	{BPF_MAP_TYPE_HASH_OF_MAPS, "hash_of_maps"},
	{BPF_MAP_TYPE_QUEUE, "queue"},
	{BPF_MAP_TYPE_STACK, "stack"},
	{BPF_MAP_TYPE_RINGBUF, "ringbuf"},
	{BPF_MAP_TYPE_BLOOM_FILTER, "bloom_filter"},
	{BPF_MAP_TYPE_DEVMAP, "devmap"},
	{BPF_MAP_TYPE_DEVMAP_HASH, "devmap_hash"},
	{BPF_MAP_TYPE_CPUMAP, "cpumap"},
};

const char *cli_map_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(cli_map_types) / sizeof(cli_map_types[0]); i++)
		if (cli_map_types[i].type == type)
			return cli_map_types[i].name;
	return "unknown";
}

int cli_map_type_parse(const char *s, uint32_t *type)
{
	char *end;
	unsigned long n;

	for (size_t i = 0; i < sizeof(cli_map_types) / sizeof(cli_map_types[0]); i++)
		if (!strcmp(s, cli_map_types[i].name)) {
			*type = cli_map_types[i].type;
			return 0;
		}
	n = strtoul(s, &end, 0);
	if (*s && !*end) {
		*type = (uint32_t)n;
		return 0;
	}
	return -EINVAL;
}

static int cli_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cli_parse_bytes(const char *s, uint8_t *out, size_t size)
{
	static const struct {
		const char *prefix;
		size_t bytes;
	} typed[] = {{"u8:", 1}, {"u16:", 2}, {"u32:", 4}, {"u64:", 8}};
	size_t n = 0;

	/* "u32:5": a little-endian integer filling exactly `size` bytes */
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		size_t plen = strlen(typed[i].prefix);
		if (!strncmp(s, typed[i].prefix, plen)) {
			char *end;
			uint64_t v = strtoull(s + plen, &end, 0);
			if (*end || typed[i].bytes != size)
				return -EINVAL;
			for (size_t b = 0; b < size; b++)
				out[b] = (uint8_t)(v >> (8 * b));
			return 0;
		}
	}
	/* hex bytes in memory order; spaces, colons and a 0x prefix allowed */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s) {
		int hi, lo;
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		hi = cli_hexval(s[0]);
		lo = s[1] ? cli_hexval(s[1]) : -1;
		if (hi < 0 || lo < 0 || n >= size)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n == size ? 0 : -EINVAL;
}

/* "0a 00 00 00" (bpftool's layout) */
static void cli_print_spaced(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02x", i ? " " : "", p[i]);
}

static int cli_is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* A JSON string of text (quotes and backslashes escaped, controls dropped). */
void cli_print_json_string(FILE *f, const char *text)
{
	fputc('"', f);
	for (const char *c = text; *c; c++)
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if ((unsigned char)*c >= 0x20)
			fputc(*c, f);
	fputc('"', f);
}

/* The typed forms of key and value (the first CPU's, per-CPU), when known. */
static void cli_print_typed(FILE *f, const struct skep_map_info *in, const uint8_t *key,
			    const uint8_t *value, int json, const struct cli_map_types *t)
{
	char *k = t ? cli_btf_string(t->btf, t->key, key, in->key_size) : NULL;
	char *v = t ? cli_btf_string(t->btf, t->value, value, in->value_size) : NULL;

	if (json && (k || v)) {
		fprintf(f, ", \"formatted\": {");
		if (k) {
			fprintf(f, "\"key\": ");
			cli_print_json_string(f, k);
		}
		if (v) {
			fprintf(f, "%s\"value\": ", k ? ", " : "");
			cli_print_json_string(f, v);
		}
		fprintf(f, "}");
	} else if (!json && (k || v)) {
		fprintf(f, "\n  %s%s%s%s", k ? "key: " : "", k ? k : "", k && v ? "  " : "",
			v ? "value: " : "");
		fprintf(f, "%s", v ? v : "");
	}
	free(k);
	free(v);
}

/* One element: text or a JSON object. */
static void cli_print_elem(FILE *f, const struct skep_map_info *in, const uint8_t *key,
			   const uint8_t *value, int json, int first, const struct cli_map_types *t)
{
	uint32_t stride = (in->value_size + 7) & ~7u;
	int percpu = cli_is_percpu(in->type);
	char *k = cli_hex(key, in->key_size), *v;

	if (json) {
		fprintf(f, "%s{\"key\": \"%s\", \"value\": %s", first ? "" : ", ", k ? k : "",
			percpu ? "[" : "");
		for (uint32_t c = 0; c < (percpu ? in->nr_cpus : 1); c++) {
			v = cli_hex(value + (size_t)c * stride, in->value_size);
			fprintf(f, "%s\"%s\"", c ? ", " : "", v ? v : "");
			free(v);
		}
		fprintf(f, "%s", percpu ? "]" : "");
		cli_print_typed(f, in, key, value, 1, t);
		fprintf(f, "}");
	} else {
		fprintf(f, "key: ");
		cli_print_spaced(f, key, in->key_size);
		for (uint32_t c = 0; c < (percpu ? in->nr_cpus : 1); c++) {
			if (percpu)
				fprintf(f, "\n  value (CPU %02u): ", c);
			else
				fprintf(f, "  value: ");
			cli_print_spaced(f, value + (size_t)c * stride, in->value_size);
		}
		cli_print_typed(f, in, key, value, 0, t);
		fprintf(f, "\n");
	}
	free(k);
}

/* The value as a number (its first 8 bytes, little-endian), summed over CPUs. */
static uint64_t cli_value_number(const struct skep_map_info *in, const uint8_t *value)
{
	uint32_t stride = (in->value_size + 7) & ~7u;
	uint64_t sum = 0;

	for (uint32_t c = 0; c < (cli_is_percpu(in->type) ? in->nr_cpus : 1); c++) {
		uint64_t x = 0;
		for (uint32_t b = 0; b < 8 && b < in->value_size; b++)
			x |= (uint64_t)value[(size_t)c * stride + b] << (8 * b);
		sum += x;
	}
	return sum;
}

/* 5 -> "5", 2048 -> "2K", as bpftrace labels its buckets. */
static void cli_hist_label(char *buf, size_t size, uint64_t v)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v >= 1024 && v % 1024 == 0 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%" PRIu64, v);
	else
		snprintf(buf, size, "%" PRIu64 "%c", v, units[u]);
}

static void cli_print_hist(FILE *f, const uint64_t *buckets)
{
	uint64_t max = 0;
	int lo = -1, hi = -1;

	for (int i = 0; i < 65; i++)
		if (buckets[i]) {
			lo = lo < 0 ? i : lo;
			hi = i;
			max = buckets[i] > max ? buckets[i] : max;
		}
	for (int i = lo; lo >= 0 && i <= hi; i++) {
		char range[64], a[24], b[24];
		int bar = (int)(buckets[i] * 52 / max);
		if (i <= 1) {
			snprintf(range, sizeof(range), "[%d]", i);
		} else {
			cli_hist_label(a, sizeof(a), 1ull << (i - 1));
			if (i == 64)
				snprintf(b, sizeof(b), "...");
			else
				cli_hist_label(b, sizeof(b), 1ull << (i - 1) << 1);
			snprintf(range, sizeof(range), "[%s, %s)", a, b);
		}
		fprintf(f, "%-20s %8" PRIu64 " |%.*s%*s|\n", range, buckets[i], bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", 52 - bar, "");
	}
}

/* Bucket 0: value 0; bucket 1: value 1; bucket i: [2^(i-1), 2^i). */
static int cli_hist_bucket(uint64_t v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

int cli_map_dump(FILE *f, struct skep_map *map, const char *name, int json, int hist)
{
	return cli_map_dump_typed(f, map, name, json, hist, NULL);
}

int cli_map_dump_typed(FILE *f, struct skep_map *map, const char *name, int json, int hist,
		       const struct cli_map_types *t)
{
	struct skep_map_info in;
	uint8_t *key, *prev, *value;
	uint64_t buckets[65] = {0};
	int n = 0, err = 0;

	skep_map_info(map, &in);
	if (!in.key_size) {
		fprintf(stderr, "skep: %s: a %s has no keys to walk\n", name,
			cli_map_type_name(in.type));
		return -EINVAL;
	}
	key = calloc(1, in.key_size);
	prev = calloc(1, in.key_size);
	value = calloc(1, in.user_value_size + 8);
	if (!key || !prev || !value)
		err = -ENOMEM;
	if (json && !hist && !err)
		fprintf(f, "[");
	/* `started`, not n: an element the lookup skips must not restart the walk. */
	for (int started = 0; !err && !skep_map_get_next_key(map, started ? prev : NULL, key);
	     started = 1) {
		memcpy(prev, key, in.key_size);
		if (skep_map_lookup(map, key, value))
			continue; /* deleted meanwhile, or a map of objects */
		if (hist)
			buckets[cli_hist_bucket(cli_value_number(&in, value))]++;
		else
			cli_print_elem(f, &in, key, value, json, n == 0, t && t->btf ? t : NULL);
		n++;
	}
	if (json && !hist && !err)
		fprintf(f, "]");
	if (hist && !err)
		cli_print_hist(f, buckets);
	else if (!json && !err)
		fprintf(f, "Found %d element%s\n", n, n == 1 ? "" : "s");
	free(key);
	free(prev);
	free(value);
	return err;
}

int cli_map_open(const char *spec, struct skep_map **out, char *name, size_t name_size)
{
	struct skep_map_attr a = {.sz = sizeof(a)};
	char copy[256], *f[5], *save = NULL;
	int n = 0, err;

	/* "TYPE:KEY:VALUE:MAX[:NAME]" makes a map; anything else is a pinned name */
	if (!strchr(spec, ':')) {
		snprintf(name, name_size, "%s", spec);
		err = skep_map_open_pinned(spec, out);
		if (err)
			fprintf(stderr, "skep: cannot open pinned map %s: %s\n", spec, strerror(-err));
		return err;
	}
	snprintf(copy, sizeof(copy), "%s", spec);
	for (char *t = strtok_r(copy, ":", &save); t && n < 5; t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	if (n < 4 || cli_map_type_parse(f[0], &a.type)) {
		fprintf(stderr, "skep: --map wants NAME or TYPE:KEY_SIZE:VALUE_SIZE:MAX[:NAME]\n");
		return -EINVAL;
	}
	a.key_size = (uint32_t)strtoul(f[1], NULL, 0);
	a.value_size = (uint32_t)strtoul(f[2], NULL, 0);
	a.max_entries = (uint32_t)strtoul(f[3], NULL, 0);
	if (a.type == BPF_MAP_TYPE_LPM_TRIE)
		a.flags = BPF_F_NO_PREALLOC;
	a.name = n == 5 ? f[4] : NULL;
	snprintf(name, name_size, "%s", n == 5 ? f[4] : spec);
	err = skep_map_create(&a, out);
	if (err)
		fprintf(stderr, "skep: cannot create map %s: %s\n", spec, strerror(-err));
	return err;
}

int cli_maps_add(struct cli_maps *cm, const char *spec)
{
	if (cm->n >= CLI_MAX_MAPS) {
		fprintf(stderr, "skep: at most %d --map options\n", CLI_MAX_MAPS);
		return -E2BIG;
	}
	if (cli_map_open(spec, &cm->maps[cm->n], cm->names[cm->n], sizeof(cm->names[0])))
		return -EINVAL;
	cm->n++;
	return 0;
}

void cli_maps_print(const struct cli_maps *cm, int json)
{
	if (!cm->dump)
		return;
	if (json)
		printf(", \"maps\": {");
	for (size_t i = 0; i < cm->n; i++) {
		if (json)
			printf("%s\"%s\": ", i ? ", " : "", cm->names[i]);
		else
			printf("map %zu (%s):\n", i, cm->names[i]);
		if (cli_map_dump(stdout, cm->maps[i], cm->names[i], json, 0) && json)
			printf("[]");
	}
	if (json)
		printf("}");
}

void cli_maps_free(struct cli_maps *cm)
{
	for (size_t i = 0; i < cm->n; i++)
		skep_map_free(cm->maps[i]);
	cm->n = 0;
}

void cli_trace_line(void *ctx, const char *line, size_t len)
{
	fprintf(stderr, "trace: %.*s\n", (int)len, line);
}
