/* The public object API (<skep/object.h>): open runs the loader's stages in
 * order (ELF, BTF, .BTF.ext, functions, relocations, maps, linking, map
 * creation); the accessors read what they left. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

static int object_read_btf(struct skep_object *o)
{
	size_t sec = elf_find_sec(o, ".BTF");

	if (!sec || !o->secs[sec].data)
		return 0;
	/* libbpf would print its complaints to stderr; the library never prints. */
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	o->btf = btf__new(o->secs[sec].data, (uint32_t)o->secs[sec].size);
	libbpf_set_print(old);
	if (libbpf_get_error(o->btf) || !o->btf) {
		int err = o->btf ? (int)libbpf_get_error(o->btf) : -errno;
		o->btf = NULL;
		log_printf(o->log, "%s: section .BTF: libbpf cannot parse it: %s", o->name,
			   strerror(err < 0 ? -err : EINVAL));
		return -EINVAL;
	}
	return 0;
}

static int object_stages(struct skep_object *o)
{
	int err;

	if ((err = elf_read(o)) || (err = object_read_btf(o)) || (err = btf_ext_read(o)) ||
	    (err = link_collect_funcs(o)) || (err = link_collect_relocs(o)) ||
	    (err = maps_collect(o)) || (err = externs_collect(o)) ||
	    (err = maps_collect_slots(o)) || (err = link_programs(o)) || (err = maps_create(o)) ||
	    (err = externs_fill(o)))
		return err;
	return 0;
}

int skep_object_open_mem(struct skep_vm *vm, const void *buf, size_t size,
			 const struct skep_object_opts *opts, struct skep_object **out)
{
	struct skep_log log = log_init(opts ? opts->log_buf : NULL, opts ? opts->log_size : 0);
	struct skep_object *o;
	int err;

	*out = NULL;
	if (!vm || (!buf && size))
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->vm = vm;
	o->log = &log;
	o->name = strdup(opts && opts->name ? opts->name : "memory");
	o->btf_path = opts && opts->sz > offsetof(struct skep_object_opts, btf_path)
			      ? opts->btf_path : NULL;
	o->image = malloc(size ? size : 1);
	if (!o->name || !o->image) {
		skep_object_free(o);
		return -ENOMEM;
	}
	if (size)
		memcpy(o->image, buf, size);
	o->image_size = size;
	err = object_stages(o);
	if (err) {
		if (err == -ENOMEM)
			log_printf(&log, "%s: out of memory", o->name);
		skep_object_free(o);
		return err;
	}
	o->log = NULL;
	*out = o;
	return 0;
}

int skep_object_open_file(struct skep_vm *vm, const char *path, const struct skep_object_opts *opts,
			  struct skep_object **out)
{
	struct skep_object_opts o2 = {.sz = sizeof(o2)};
	struct skep_log log;
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int err;

	if (opts)
		memcpy(&o2, opts, opts->sz < sizeof(o2) ? opts->sz : sizeof(o2));
	o2.sz = sizeof(o2);
	if (!o2.name)
		o2.name = path;
	log = log_init(o2.log_buf, o2.log_size);
	*out = NULL;
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n ? (size_t)n : 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		err = errno ? -errno : -EIO;
		log_printf(&log, "%s: cannot read: %s", path, strerror(-err));
		if (f)
			fclose(f);
		free(buf);
		return err;
	}
	fclose(f);
	err = skep_object_open_mem(vm, buf, (size_t)n, &o2, out);
	free(buf);
	return err;
}

void skep_object_free(struct skep_object *o)
{
	if (!o)
		return;
	maps_free(o);
	for (size_t i = 0; i < o->nr_progs; i++) {
		free(o->progs[i].insns);
		free(o->progs[i].func_starts);
		free(o->progs[i].func_names);
		free(o->progs[i].func_types);
		free(o->progs[i].lines);
	}
	for (size_t i = 0; i < o->nr_secs; i++)
		free(o->secs[i].relocs);
	free(o->progs);
	free(o->funcs);
	free(o->secs);
	free((void *)o->syms);
	free(o->sec_lines);
	free(o->line_secs);
	free(o->core);
	free(o->func_info);
	free(o->externs);
	btf__free(o->btf);
	btf__free(o->target);
	if (o->elf)
		elf_end(o->elf);
	free(o->image);
	free(o->name);
	free(o);
}

const char *skep_object_license(const struct skep_object *o)
{
	return o->license;
}

uint32_t skep_object_kversion(const struct skep_object *o)
{
	return o->kversion;
}

size_t skep_object_prog_count(const struct skep_object *o)
{
	return o->nr_progs;
}

static const struct obj_prog *object_prog(const struct skep_object *o, size_t idx)
{
	return o && idx < o->nr_progs ? &o->progs[idx] : NULL;
}

const char *skep_object_prog_name(const struct skep_object *o, size_t idx)
{
	const struct obj_prog *p = object_prog(o, idx);
	return p ? o->funcs[p->func].name : NULL;
}

const char *skep_object_prog_section(const struct skep_object *o, size_t idx)
{
	const struct obj_prog *p = object_prog(o, idx);
	return p ? p->sec_name : NULL;
}

uint32_t skep_object_prog_type(const struct skep_object *o, size_t idx)
{
	const struct obj_prog *p = object_prog(o, idx);
	return p ? p->type : 0;
}

uint32_t skep_object_prog_attach_type(const struct skep_object *o, size_t idx)
{
	const struct obj_prog *p = object_prog(o, idx);
	return p ? p->attach_type : 0;
}

int skep_object_prog_autoload(const struct skep_object *o, size_t idx)
{
	const struct obj_prog *p = object_prog(o, idx);
	return p ? p->autoload : 0;
}

int skep_object_find_prog(const struct skep_object *o, const char *name)
{
	int found = -ENOENT;

	for (size_t i = 0; i < o->nr_progs; i++)
		if (!strcmp(o->funcs[o->progs[i].func].name, name))
			return (int)i;
	for (size_t i = 0; i < o->nr_progs; i++)
		if (!strcmp(o->progs[i].sec_name, name) ||
		    !strcmp(o->secs[o->funcs[o->progs[i].func].sec].name, name)) {
			if (found >= 0)
				return -EEXIST;
			found = (int)i;
		}
	return found;
}

const struct skep_insn *skep_object_prog_insns(const struct skep_object *o, size_t idx,
						size_t *len)
{
	const struct obj_prog *p = object_prog(o, idx);

	if (len)
		*len = p ? p->len : 0;
	return p ? p->insns : NULL;
}

size_t skep_object_prog_funcs(const struct skep_object *o, size_t idx, const uint32_t **starts,
			      const char *const **names)
{
	const struct obj_prog *p = object_prog(o, idx);

	if (!p)
		return 0;
	if (starts)
		*starts = p->func_starts;
	if (names)
		*names = p->func_names;
	return p->nr_funcs;
}

size_t skep_object_prog_func_types(const struct skep_object *o, size_t idx,
				   const uint32_t **type_ids)
{
	const struct obj_prog *p = object_prog(o, idx);

	if (!p)
		return 0;
	*type_ids = p->func_types;
	return p->nr_funcs;
}

const struct btf *skep_object_btf(const struct skep_object *o)
{
	return o->btf;
}

int skep_object_prog_line(const struct skep_object *o, size_t idx, size_t insn,
			  struct skep_line_info *out)
{
	const struct obj_prog *p = object_prog(o, idx);
	const struct obj_line *best = NULL;

	if (!p || !o->btf)
		return -ENOENT;
	for (size_t i = 0; i < p->nr_lines && p->lines[i].insn <= insn; i++)
		best = &p->lines[i];
	if (!best)
		return -ENOENT;
	out->file = btf__name_by_offset(o->btf, best->file_off);
	out->line = btf__name_by_offset(o->btf, best->line_off);
	out->file = out->file ? out->file : "?";
	out->line = out->line ? out->line : "";
	out->line_no = best->line_no;
	out->col = best->col;
	out->insn = best->insn;
	return 0;
}

struct skep_map **skep_object_maps(const struct skep_object *o, size_t *n)
{
	*n = o->nr_maps;
	return o->map_ptrs;
}

const char *skep_object_map_name(const struct skep_object *o, size_t idx)
{
	return idx < o->nr_maps ? o->maps[idx].name : NULL;
}

int skep_object_map_types(const struct skep_object *o, size_t idx, uint32_t *key_type,
			  uint32_t *value_type)
{
	if (idx >= o->nr_maps)
		return -ENOENT;
	*key_type = o->maps[idx].key_type;
	*value_type = o->maps[idx].value_type;
	return 0;
}

int skep_object_find_map(const struct skep_object *o, const char *name)
{
	for (size_t i = 0; i < o->nr_maps; i++)
		if (!strcmp(o->maps[i].name, name))
			return (int)i;
	return -ENOENT;
}

/* The symbol of .rodata variable `name`, or NULL. */
static const Elf64_Sym *object_rodata_sym(const struct skep_object *o, const char *name)
{
	for (size_t i = 1; i < o->nr_syms; i++) {
		const Elf64_Sym *s = &o->syms[i];
		if (ELF64_ST_TYPE(s->st_info) == STT_OBJECT && s->st_shndx < o->nr_secs &&
		    o->secs[s->st_shndx].kind == SEC_RODATA && o->secs[s->st_shndx].map >= 0 &&
		    !strcmp(elf_sym_name(o, s), name))
			return s;
	}
	return NULL;
}

int skep_object_rodata_size(const struct skep_object *o, const char *name, size_t *size)
{
	const Elf64_Sym *s = object_rodata_sym(o, name);

	if (!s)
		return -ENOENT;
	*size = s->st_size;
	return 0;
}

int skep_object_set_rodata(struct skep_object *o, const char *name, const void *val, size_t size)
{
	const Elf64_Sym *s = object_rodata_sym(o, name);

	if (s) {
		const struct obj_sec *sec = &o->secs[s->st_shndx];
		if (o->frozen)
			return -EBUSY;
		if (size != s->st_size || s->st_value > sec->size || size > sec->size - s->st_value)
			return -EINVAL;
		struct skep_map *m = o->maps[sec->map].map;
		uint8_t *buf = malloc(sec->size);
		uint32_t key = 0;
		int err = buf ? skep_map_lookup(m, &key, buf) : -ENOMEM;
		if (!err) {
			memcpy(buf + s->st_value, val, size);
			err = skep_map_update(m, &key, buf, BPF_ANY);
		}
		free(buf);
		return err;
	}
	return -ENOENT;
}

int object_load_one(struct skep_object *o, size_t idx, const struct skep_load_opts *lo)
{
	struct obj_prog *p = &o->progs[idx];
	struct skep_load_opts l = {.sz = sizeof(l)};

	if (p->loaded)
		return 0;
	if (lo)
		memcpy(&l, lo, lo->sz < sizeof(l) ? lo->sz : sizeof(l));
	l.sz = sizeof(l);
	l.maps = o->map_ptrs;
	l.nr_maps = o->nr_maps;
	o->frozen = 1;
	return skep_prog_load(o->vm, p->insns, p->len, &l, &p->loaded);
}

int skep_object_prog_load(struct skep_object *o, size_t idx, const struct skep_load_opts *lo,
			  struct skep_prog **out)
{
	struct skep_log log = log_init(lo ? lo->log_buf : NULL, lo ? lo->log_size : 0);
	int err;

	*out = NULL;
	if (idx >= o->nr_progs)
		return -EINVAL;
	if ((err = object_load_one(o, idx, lo)))
		return err;
	o->log = &log;
	err = maps_fill_prog_slots(o, lo);
	o->log = NULL;
	if (err)
		return err;
	*out = o->progs[idx].loaded;
	return 0;
}
