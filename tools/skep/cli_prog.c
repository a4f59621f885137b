/* PROG arguments of the subcommands: FILE.s (assembly), FILE.bin (raw
 * instructions, maps from --map), FILE.o or FILE.o:NAME (an ELF object
 * through the loader; NAME is a function or section).  Also the program
 * type names bpftool uses. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "loader/loader.h"
#include "skep/verifier.h"

int cli_prog_type_parse(const char *name, uint32_t *type)
{
	return sectype_prog_type_parse(name, type);
}

const char *cli_prog_type_name(uint32_t type)
{
	const char *n = sectype_prog_type_name(type);
	return n ? n : "unknown";
}

/* "dir/x.o:name" -> path "dir/x.o", name "name"; no name: NULL. */
static int cli_split_object(const char *spec, char **path, const char **name)
{
	const char *colon = strrchr(spec, ':');

	*name = NULL;
	if (colon && colon - spec >= 2 && !strncmp(colon - 2, ".o", 2)) {
		*path = strndup(spec, (size_t)(colon - spec));
		*name = colon + 1;
	} else {
		*path = strdup(spec);
	}
	return *path ? 0 : -ENOMEM;
}

void cli_program_list(FILE *f, const struct skep_object *obj, const char *path)
{
	for (size_t i = 0; i < skep_object_prog_count(obj); i++)
		fprintf(f, "  %s:%s  (section %s, type %s)\n", path, skep_object_prog_name(obj, i),
			skep_object_prog_section(obj, i),
			cli_prog_type_name(skep_object_prog_type(obj, i)));
}

static int cli_pick_prog(struct cli_program *out, const char *path, const char *name)
{
	size_t n = skep_object_prog_count(out->obj);
	int idx;

	if (!n) {
		fprintf(stderr, "skep: %s: the object has no programs\n", path);
		return CLI_USAGE;
	}
	if (name)
		idx = skep_object_find_prog(out->obj, name);
	else
		idx = n == 1 ? 0 : -EEXIST;
	if (idx >= 0) {
		out->prog_idx = (size_t)idx;
		return 0;
	}
	if (name && idx == -ENOENT)
		fprintf(stderr, "skep: %s: no program or section named '%s'; the programs are:\n",
			path, name);
	else
		fprintf(stderr, "skep: %s: %s; name one as FILE.o:NAME:\n", path,
			name ? "several programs are in that section" : "it holds several programs");
	cli_program_list(stderr, out->obj, path);
	return CLI_USAGE;
}

static int cli_open_object(const char *spec, struct skep_vm *vm, struct cli_program *out)
{
	char log[8192] = "";
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log),
				      .btf_path = getenv("SKEP_BTF")};
	const char *name;
	char *path;
	int err;

	if (cli_split_object(spec, &path, &name))
		return CLI_USAGE;
	err = skep_object_open_file(vm, path, &oo, &out->obj);
	if (err) {
		fprintf(stderr, "skep: %s: cannot load the object (%s):\n%s", path, strerror(-err),
			log);
		free(path);
		return CLI_USAGE;
	}
	err = cli_pick_prog(out, path, name);
	free(path);
	if (err)
		return err;
	out->insns = skep_object_prog_insns(out->obj, out->prog_idx, &out->len);
	out->prog_type = skep_object_prog_type(out->obj, out->prog_idx);
	out->attach_type = skep_object_prog_attach_type(out->obj, out->prog_idx);
	out->name = skep_object_prog_name(out->obj, out->prog_idx);
	out->section = skep_object_prog_section(out->obj, out->prog_idx);
	out->maps = skep_object_maps(out->obj, &out->nr_maps);
	out->map_names = calloc(out->nr_maps ? out->nr_maps : 1, sizeof(*out->map_names));
	if (!out->map_names)
		return CLI_USAGE;
	for (size_t i = 0; i < out->nr_maps; i++)
		out->map_names[i] = skep_object_map_name(out->obj, i);
	return 0;
}

int cli_program_open(const char *spec, struct skep_vm *vm, struct cli_maps *extra_maps,
		     struct cli_program *out)
{
	struct skep_insn *raw = NULL;
	int err;

	*out = (struct cli_program){.prog_type = BPF_PROG_TYPE_UNSPEC, .vm = vm};
	if (cli_has_suffix(spec, ".o") || strstr(spec, ".o:")) {
		if (extra_maps && extra_maps->n) {
			fprintf(stderr, "skep: %s: --map is for raw programs; an object defines its "
					"own maps\n", spec);
			return CLI_USAGE;
		}
		err = cli_open_object(spec, vm, out);
		if (err)
			cli_program_close(out);
		return err;
	}
	if ((err = cli_read_program(spec, &raw, &out->len)))
		return err;
	out->raw = raw;
	out->insns = raw;
	out->name = spec;
	if (extra_maps) {
		out->maps = extra_maps->maps;
		out->nr_maps = extra_maps->n;
		out->map_names = calloc(extra_maps->n ? extra_maps->n : 1, sizeof(*out->map_names));
		if (!out->map_names)
			return cli_program_close(out), CLI_USAGE;
		for (size_t i = 0; i < extra_maps->n; i++)
			out->map_names[i] = extra_maps->names[i];
	}
	return 0;
}

enum skep_exec_mode cli_program_safe_mode(const struct cli_program *p, uint32_t type,
					  size_t raw_mem, enum skep_exec_mode mode)
{
	struct skep_verify_opts vo = {.sz = sizeof(vo), .prog_type = type, .maps = p->maps,
				      .nr_maps = p->nr_maps, .raw_mem_size = raw_mem};
	struct skep_verify_result res;
	int jit = mode == SKEP_EXEC_JIT;
	char where[32] = "";

	if ((mode != SKEP_EXEC_INTERP && !jit) || !skep_verify(p->vm, p->insns, p->len, &vo, &res))
		return mode;
	if (res.error_insn >= 0)
		snprintf(where, sizeof(where), "insn %lld: ", (long long)res.error_insn);
	fprintf(stderr, "skep: %s: skep's verifier does not accept it (%s%s); running it in the "
			"checked %s\n",
		p->name, where, res.message, jit ? "JIT" : "interpreter");
	return jit ? SKEP_EXEC_JIT_CHECKED : SKEP_EXEC_CHECKED;
}

int cli_program_load(struct cli_program *p, const struct skep_load_opts *lo,
		     struct skep_prog **out)
{
	struct skep_load_opts l = *lo;

	if (p->obj)
		return skep_object_prog_load(p->obj, p->prog_idx, lo, out);
	if (!p->loaded) {
		l.maps = p->maps;
		l.nr_maps = p->nr_maps;
		int err = skep_prog_load(p->vm, p->insns, p->len, &l, &p->loaded);
		if (err)
			return err;
	}
	*out = p->loaded;
	return 0;
}

int cli_program_set_rodata(struct cli_program *p, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[128];
	size_t size;
	uint8_t *val;
	int err;

	if (!p->obj || !eq || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
		fprintf(stderr, "skep: --rodata %s: wants NAME=VALUE, and an ELF object\n", spec);
		return CLI_USAGE;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	if (skep_object_rodata_size(p->obj, name, &size)) {
		fprintf(stderr, "skep: --rodata: the object has no .rodata variable '%s'\n", name);
		return CLI_USAGE;
	}
	val = calloc(1, size ? size : 1);
	if (!val)
		return CLI_USAGE;
	err = cli_parse_bytes(eq + 1, val, size);
	if (!err)
		err = skep_object_set_rodata(p->obj, name, val, size);
	free(val);
	if (err) {
		fprintf(stderr, "skep: --rodata %s: %s (the variable has %zu bytes)\n", spec,
			err == -EINVAL ? "bad value" : strerror(-err), size);
		return CLI_USAGE;
	}
	return 0;
}

/* Maps with elements to walk; prog arrays and maps of maps hold objects
 * (the inner maps are listed on their own), queues and ring buffers have
 * no keys. */
static int cli_map_dumpable(struct skep_map *m)
{
	struct skep_map_info in;

	if (skep_map_info(m, &in) || !in.key_size)
		return 0;
	return in.type != BPF_MAP_TYPE_PROG_ARRAY && in.type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
	       in.type != BPF_MAP_TYPE_HASH_OF_MAPS && in.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

void cli_program_print_maps(const struct cli_program *p, int json)
{
	if (json)
		printf(", \"maps\": {");
	for (size_t i = 0, n = 0; i < p->nr_maps; i++) {
		if (!cli_map_dumpable(p->maps[i]))
			continue;
		if (json)
			printf("%s\"%s\": ", n++ ? ", " : "", p->map_names[i]);
		else
			printf("map %zu (%s):\n", i, p->map_names[i]);
		/* Typed lines in text only: test-run's JSON elements stay exactly
		 * {"key", "value"} as ARCHITECTURE.md gives them. */
		struct cli_map_types t = {0};
		if (!json && p->obj && !skep_object_map_types(p->obj, i, &t.key, &t.value))
			t.btf = (struct btf *)skep_object_btf(p->obj);
		if (cli_map_dump_typed(stdout, p->maps[i], p->map_names[i], json, 0, &t) && json)
			printf("[]");
	}
	if (json)
		printf("}");
}

void cli_program_close(struct cli_program *p)
{
	if (!p->obj)
		skep_prog_free(p->loaded);
	skep_object_free(p->obj);
	free(p->raw);
	free(p->map_names);
	*p = (struct cli_program){0};
}
