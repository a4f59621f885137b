/* Map keys and values printed by their BTF types (`skep map dump`,
 * `test-run --dump-maps`), as bpftool prints them when it knows the types:
 * libbpf's btf_dump formats the bytes.  The types come from the object a
 * map was loaded from, or, for a pinned map, from what was kept beside its
 * pin (skep_map_pinned_btf). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli.h"

static void cli_btf_vprintf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* "(struct pkt){.len = (u32)64,...}", or NULL when the types do not fit. */
char *cli_btf_string(const struct btf *btf, uint32_t type_id, const void *data, size_t size)
{
	LIBBPF_OPTS(btf_dump_type_data_opts, o, .compact = true, .emit_zeroes = true);
	char *text = NULL;
	size_t len = 0;
	struct btf_dump *d;
	FILE *f;
	int err;

	if (!btf || !type_id || !(f = open_memstream(&text, &len)))
		return NULL;
	d = btf_dump__new(btf, cli_btf_vprintf, f, NULL);
	err = d ? btf_dump__dump_type_data(d, type_id, data, size, &o) : -EINVAL;
	btf_dump__free(d);
	if (fclose(f) || err < 0) {
		free(text);
		return NULL;
	}
	return text;
}

int cli_map_types_pinned(const char *name, struct cli_map_types *t)
{
	struct skep_map_btf mb;

	memset(t, 0, sizeof(*t));
	if (skep_map_pinned_btf(name, &mb))
		return -ENOENT;
	t->btf = btf__new(mb.btf, (uint32_t)mb.btf_size);
	free((void *)mb.btf);
	if (!t->btf || libbpf_get_error(t->btf)) {
		t->btf = NULL;
		return -EINVAL;
	}
	t->key = mb.key_type;
	t->value = mb.value_type;
	t->owned = 1;
	return 0;
}

void cli_map_types_free(struct cli_map_types *t)
{
	if (t->owned)
		btf__free(t->btf);
	memset(t, 0, sizeof(*t));
}
