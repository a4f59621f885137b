/* skep map: pinned maps from the shell - list them, dump one (hex, JSON or
 * a log2 histogram of its values), look up, update and delete elements,
 * create and unpin maps.  Keys and values are hex bytes in memory order
 * ("0a000000", "0a 00 00 00") or typed little-endian integers ("u32:10");
 * QUEUE, STACK and BLOOM_FILTER maps take "-" for the key. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isa/bpf_compat.h"

struct map_args {
	int json, hist;
	uint64_t flags;
	int argc;
	char **argv; /* the words after the verb */
};

static void map_usage(FILE *f)
{
	char dir[4096] = "";

	skep_pin_dir(dir, sizeof(dir));
	fprintf(f,
		"usage: skep map list [--json]\n"
		"       skep map dump NAME [--json | --hist]\n"
		"       skep map lookup NAME KEY [--json]\n"
		"       skep map update NAME KEY VALUE [--flags any|noexist|exist|N]\n"
		"       skep map delete NAME KEY\n"
		"       skep map pop NAME               (queue, stack)\n"
		"       skep map create NAME TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES [--flags N]\n"
		"       skep map unpin NAME\n\n"
		"Maps pinned under %s ($SKEP_PIN_DIR overrides).\n"
		"KEY and VALUE: hex bytes in memory order (0a000000, \"0a 00 00 00\") or u8:N,\n"
		"u16:N, u32:N, u64:N; \"-\" for the key of a queue, stack or bloom filter.\n"
		"Per-CPU values are every CPU's value, each padded to 8 bytes.\n"
		"  --json   one JSON value: the list, [{\"key\": hex, \"value\": hex}, ...] (a\n"
		"           list of hex strings per key for per-CPU maps), or one element\n"
		"  --hist   a log2 histogram of the values (the first 8 bytes, little-endian,\n"
		"           summed over CPUs), as bpftrace prints hist()\n",
		dir);
}

static int map_parse_flags(const char *s, uint64_t *flags)
{
	char *end;

	if (!strcmp(s, "any"))
		*flags = BPF_ANY;
	else if (!strcmp(s, "noexist"))
		*flags = BPF_NOEXIST;
	else if (!strcmp(s, "exist"))
		*flags = BPF_EXIST;
	else if ((*flags = strtoull(s, &end, 0)), *end)
		return -1;
	return 0;
}

static int map_parse(int argc, char **argv, struct map_args *a)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},    {"hist", no_argument, NULL, 'H'},
		{"flags", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*a = (struct map_args){0};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = 1;
			break;
		case 'H':
			a->hist = 1;
			break;
		case 'f':
			if (map_parse_flags(optarg, &a->flags))
				return fprintf(stderr, "skep: bad --flags '%s'\n", optarg), -1;
			break;
		case 'h':
			map_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return 0;
}

static int map_open(const char *name, struct skep_map **m, struct skep_map_info *info)
{
	int err = skep_map_open_pinned(name, m);

	if (err) {
		fprintf(stderr, "skep: cannot open pinned map '%s': %s\n", name, strerror(-err));
		return CLI_USAGE;
	}
	skep_map_info(*m, info);
	return 0;
}

/* The bytes of a KEY or VALUE word (NULL for "-" with no key), malloc'd. */
static int map_bytes(const char *word, size_t size, const char *what, uint8_t **out)
{
	*out = NULL;
	if (!size && !strcmp(word, "-"))
		return 0;
	*out = calloc(1, size ? size : 1);
	if (!*out || cli_parse_bytes(word, *out, size)) {
		fprintf(stderr, "skep: %s '%s' is not %zu bytes of hex (or uN:VALUE)\n", what, word,
			size);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int map_list(const struct map_args *a)
{
	char dir[4096];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (skep_pin_dir(dir, sizeof(dir)) || !(d = opendir(dir))) {
		printf(a->json ? "[]\n" : "");
		return CLI_OK; /* nothing pinned yet */
	}
	if (a->json)
		printf("[");
	while ((e = readdir(d))) {
		struct skep_map *m;
		struct skep_map_info in;
		if (e->d_name[0] == '.' || skep_map_open_pinned(e->d_name, &m))
			continue;
		skep_map_info(m, &in);
		if (a->json)
			printf("%s{\"name\": \"%s\", \"type\": \"%s\", \"key_size\": %u, "
			       "\"value_size\": %u, \"max_entries\": %u, \"flags\": %u}",
			       n ? ", " : "", e->d_name, cli_map_type_name(in.type), in.key_size,
			       in.value_size, in.max_entries, in.flags);
		else
			printf("%-24s %-16s key %-4u value %-6u max_entries %-8u flags 0x%x\n",
			       e->d_name, cli_map_type_name(in.type), in.key_size, in.value_size,
			       in.max_entries, in.flags);
		skep_map_free(m);
		n++;
	}
	closedir(d);
	if (a->json)
		printf("]\n");
	return CLI_OK;
}

static int map_dump(const struct map_args *a)
{
	struct skep_map *m;
	struct skep_map_info in;
	int rc;

	if (a->argc != 1)
		return fprintf(stderr, "skep: map dump takes one NAME\n"), CLI_USAGE;
	if ((rc = map_open(a->argv[0], &m, &in)))
		return rc;
	struct cli_map_types t;

	cli_map_types_pinned(a->argv[0], &t); /* none: hex only */
	rc = cli_map_dump_typed(stdout, m, a->argv[0], a->json, a->hist, &t) ? CLI_USAGE : CLI_OK;
	cli_map_types_free(&t);
	if (a->json && !a->hist && rc == CLI_OK)
		printf("\n");
	skep_map_free(m);
	return rc;
}

/* lookup, update, delete, pop: one element. */
static int map_elem(const char *verb, const struct map_args *a)
{
	int want = !strcmp(verb, "update") ? 3 : !strcmp(verb, "pop") ? 1 : 2;
	struct skep_map *m;
	struct skep_map_info in;
	uint8_t *key = NULL, *value = NULL;
	int rc, err = 0;

	if (a->argc != want)
		return fprintf(stderr, "skep: map %s takes %d arguments\n", verb, want), CLI_USAGE;
	if ((rc = map_open(a->argv[0], &m, &in)))
		return rc;
	rc = CLI_USAGE;
	if (want >= 2 && map_bytes(a->argv[1], in.key_size, "key", &key))
		goto out;
	if (want == 3 && map_bytes(a->argv[2], in.user_value_size, "value", &value))
		goto out;
	if (want != 3 && !(value = calloc(1, in.user_value_size + 8)))
		goto out;
	if (!strcmp(verb, "update"))
		err = skep_map_update(m, key, value, a->flags);
	else if (!strcmp(verb, "delete"))
		err = skep_map_delete(m, key);
	else if (!strcmp(verb, "pop"))
		err = skep_map_lookup_and_delete(m, NULL, value, 0);
	else
		err = skep_map_lookup(m, key, value);
	if (err) {
		fprintf(stderr, "skep: map %s: %s\n", verb, strerror(-err));
		rc = CLI_NEGATIVE;
		goto out;
	}
	rc = CLI_OK;
	if (!strcmp(verb, "lookup") || !strcmp(verb, "pop")) {
		char *k = key ? cli_hex(key, in.key_size) : NULL, *v = cli_hex(value, in.user_value_size);
		if (a->json)
			printf("{\"key\": \"%s\", \"value\": \"%s\"}\n", k ? k : "", v ? v : "");
		else
			printf("key: %s  value: %s\n", k ? k : "-", v ? v : "");
		free(k);
		free(v);
	}
out:
	free(key);
	free(value);
	skep_map_free(m);
	return rc;
}

static int map_create(const struct map_args *a)
{
	struct skep_map_attr at = {.sz = sizeof(at), .flags = (uint32_t)a->flags};
	struct skep_map *m = NULL;
	int err;

	if (a->argc != 5 || cli_map_type_parse(a->argv[1], &at.type))
		return fprintf(stderr, "skep: map create NAME TYPE KEY VALUE MAX\n"), CLI_USAGE;
	at.pin_name = a->argv[0];
	at.key_size = (uint32_t)strtoul(a->argv[2], NULL, 0);
	at.value_size = (uint32_t)strtoul(a->argv[3], NULL, 0);
	at.max_entries = (uint32_t)strtoul(a->argv[4], NULL, 0);
	if (at.type == BPF_MAP_TYPE_LPM_TRIE)
		at.flags |= BPF_F_NO_PREALLOC; /* the kernel insists */
	err = skep_map_create(&at, &m);
	if (err) {
		fprintf(stderr, "skep: map create %s: %s\n", a->argv[0], strerror(-err));
		return err == -EEXIST ? CLI_NEGATIVE : CLI_USAGE;
	}
	skep_map_free(m);
	return CLI_OK;
}

int cmd_map(int argc, char **argv)
{
	struct map_args a;
	const char *verb;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		map_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	if (map_parse(argc - 1, argv + 1, &a)) {
		map_usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(verb, "list"))
		return map_list(&a);
	if (!strcmp(verb, "dump"))
		return map_dump(&a);
	if (!strcmp(verb, "lookup") || !strcmp(verb, "update") || !strcmp(verb, "delete") ||
	    !strcmp(verb, "pop"))
		return map_elem(verb, &a);
	if (!strcmp(verb, "create"))
		return map_create(&a);
	if (!strcmp(verb, "unpin")) {
		int err = a.argc == 1 ? skep_map_unpin(a.argv[0]) : -EINVAL;
		if (err)
			fprintf(stderr, "skep: map unpin: %s\n", strerror(-err));
		return err ? CLI_NEGATIVE : CLI_OK;
	}
	fprintf(stderr, "skep: unknown map command '%s'\n", verb);
	map_usage(stderr);
	return CLI_USAGE;
}
