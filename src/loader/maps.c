/* The object's maps, in lddw index order: maps of the legacy `maps` section
 * (an array of struct bpf_map_def, one per symbol), BTF-defined maps of
 * `.maps` (each variable a struct whose members say type, key, value,
 * max_entries... through the pointer-to-array encoding of bpf_helpers.h's
 * __uint/__type/__array), then one single-element ARRAY per global data
 * section holding its initial bytes.  Static initialisers of prog arrays and
 * map-in-maps (`.values = { [1] = &prog }`) are R_BPF_64_ABS64 relocations in
 * `.maps`; they are remembered as slots and filled once the maps (and for
 * prog arrays, the programs) exist. */
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

/* libbpf's LIBBPF_PIN_BY_NAME. */
#define MAP_PIN_BY_NAME 1

struct map_def {
	struct skep_map_attr attr;
	uint32_t pinning;
	uint32_t values_off; /* byte offset of the `values` member; 0: none */
	int has_values;
	uint32_t inner_id;   /* BTF struct of the inner map definition */
	uint32_t key_type, value_type; /* BTF ids of __type(key/value, T); 0: none */
};

struct obj_map *maps_add(struct skep_object *o, const char *name)
{
	struct obj_map *n = realloc(o->maps, (o->nr_maps + 1) * sizeof(*n));

	if (!n)
		return NULL;
	o->maps = n;
	n = &o->maps[o->nr_maps];
	*n = (struct obj_map){.name = strdup(name)};
	if (!n->name)
		return NULL;
	o->nr_maps++;
	return n;
}

int maps_by_sym(const struct skep_object *o, const Elf64_Sym *sym, uint64_t addend)
{
	for (size_t i = 0; i < o->nr_maps; i++)
		if (o->maps[i].sec == sym->st_shndx && o->maps[i].off == sym->st_value + addend &&
		    o->secs[o->maps[i].sec].kind != SEC_DATA &&
		    o->secs[o->maps[i].sec].kind != SEC_RODATA &&
		    o->secs[o->maps[i].sec].kind != SEC_BSS)
			return (int)i;
	return -ENOENT;
}

/* Symbols naming something inside section `sec` (not the section itself). */
static int maps_is_def_sym(const Elf64_Sym *s, size_t sec)
{
	return s->st_shndx == sec && ELF64_ST_TYPE(s->st_info) != STT_SECTION &&
	       ELF64_ST_TYPE(s->st_info) != STT_FILE;
}

static int maps_collect_legacy(struct skep_object *o, size_t sec)
{
	const struct obj_sec *s = &o->secs[sec];
	size_t n = 0, def_sz;

	for (size_t i = 1; i < o->nr_syms; i++)
		n += maps_is_def_sym(&o->syms[i], sec);
	if (!n || !s->data || s->size % n || (def_sz = s->size / n) < 5 * sizeof(uint32_t)) {
		log_printf(o->log, "%s: section maps: %zu bytes for %zu map symbols is not an "
				   "array of struct bpf_map_def", o->name, s->size, n);
		return -EINVAL;
	}
	for (size_t i = 1; i < o->nr_syms; i++) {
		const Elf64_Sym *sym = &o->syms[i];
		uint32_t def[5];
		if (!maps_is_def_sym(sym, sec))
			continue;
		if (sym->st_value % def_sz || sym->st_value + def_sz > s->size) {
			log_printf(o->log, "%s: section maps: map %s at offset %llu is not a whole "
					   "definition of %zu bytes", o->name, elf_sym_name(o, sym),
				   (unsigned long long)sym->st_value, def_sz);
			return -EINVAL;
		}
		memcpy(def, s->data + sym->st_value, sizeof(def));
		struct obj_map *m = maps_add(o, elf_sym_name(o, sym));
		if (!m)
			return -ENOMEM;
		m->sec = sec;
		m->off = sym->st_value;
		m->attr = (struct skep_map_attr){.sz = sizeof(m->attr), .type = def[0],
			.key_size = def[1], .value_size = def[2], .max_entries = def[3],
			.flags = def[4]};
	}
	return 0;
}

static const struct btf_type *maps_skip_mods(const struct btf *btf, uint32_t id, uint32_t *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int depth = 0; t && (btf_is_mod(t) || btf_is_typedef(t)) && depth < 32; depth++) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out)
		*out = id;
	return t;
}

/* __uint(name, N) is `int (*name)[N]`. */
static int maps_member_uint(const struct btf *btf, const struct btf_member *m, uint32_t *val)
{
	const struct btf_type *t = maps_skip_mods(btf, m->type, NULL);

	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = maps_skip_mods(btf, t->type, NULL);
	if (!t || !btf_is_array(t))
		return -EINVAL;
	*val = btf_array(t)->nelems;
	return 0;
}

/* __type(name, T) is `T *name`: the size of T. */
/* __type(key, T) is `T *key`: T's size, and T for printing elements. */
static int maps_member_size(const struct btf *btf, const struct btf_member *m, uint32_t *val,
			    uint32_t *type)
{
	const struct btf_type *t = maps_skip_mods(btf, m->type, NULL);
	long long sz;

	if (!t || !btf_is_ptr(t) || (sz = btf__resolve_size(btf, t->type)) < 0 || sz > UINT32_MAX)
		return -EINVAL;
	*val = (uint32_t)sz;
	*type = t->type;
	return 0;
}

/* A struct bpf_spin_lock at the top level of the value type. */
static void maps_find_spin_lock(const struct btf *btf, const struct btf_member *m,
				struct skep_map_attr *a)
{
	const struct btf_type *t = maps_skip_mods(btf, m->type, NULL);

	t = t && btf_is_ptr(t) ? maps_skip_mods(btf, t->type, NULL) : NULL;
	if (!t || !btf_is_struct(t))
		return;
	const struct btf_member *mm = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *ft = maps_skip_mods(btf, mm[i].type, NULL);
		const char *n = ft ? btf__name_by_offset(btf, ft->name_off) : NULL;
		if (ft && btf_is_struct(ft) && n && !strcmp(n, "bpf_spin_lock")) {
			a->has_spin_lock = 1;
			a->spin_lock_off = btf_member_bit_offset(t, i) / 8;
		}
	}
}

/* __array(values, T) is `T *values[]`: the inner definition, if T is a struct. */
static int maps_member_values(const struct btf *btf, const struct btf_member *m,
			      struct map_def *d, uint32_t bit_off)
{
	const struct btf_type *t = maps_skip_mods(btf, m->type, NULL);
	uint32_t id;

	if (!t || !btf_is_array(t) || btf_array(t)->nelems)
		return -EINVAL;
	t = maps_skip_mods(btf, btf_array(t)->type, NULL);
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = maps_skip_mods(btf, t->type, &id);
	if (t && btf_is_struct(t))
		d->inner_id = id;
	d->has_values = 1;
	d->values_off = bit_off / 8;
	return 0;
}

static int maps_def_member(const struct btf *btf, const struct btf_type *st, int i,
			   struct map_def *d)
{
	const struct btf_member *m = &btf_members(st)[i];
	const char *n = btf__name_by_offset(btf, m->name_off);
	struct skep_map_attr *a = &d->attr;
	uint32_t v = 0, extra;
	int err = 0;

	if (!n)
		return -EINVAL;
	if (!strcmp(n, "type"))
		err = maps_member_uint(btf, m, &a->type);
	else if (!strcmp(n, "max_entries"))
		err = maps_member_uint(btf, m, &a->max_entries);
	else if (!strcmp(n, "map_flags"))
		err = maps_member_uint(btf, m, &a->flags);
	else if (!strcmp(n, "key_size"))
		err = maps_member_uint(btf, m, &a->key_size);
	else if (!strcmp(n, "value_size"))
		err = maps_member_uint(btf, m, &a->value_size);
	else if (!strcmp(n, "pinning"))
		err = maps_member_uint(btf, m, &d->pinning);
	else if (!strcmp(n, "numa_node"))
		err = maps_member_uint(btf, m, &v);
	else if (!strcmp(n, "map_extra")) {
		err = maps_member_uint(btf, m, &extra);
		a->map_extra = extra;
	} else if (!strcmp(n, "key"))
		err = maps_member_size(btf, m, &a->key_size, &d->key_type);
	else if (!strcmp(n, "value")) {
		err = maps_member_size(btf, m, &a->value_size, &d->value_type);
		maps_find_spin_lock(btf, m, a);
	} else if (!strcmp(n, "values"))
		err = maps_member_values(btf, m, d, btf_member_bit_offset(st, i));
	else
		return -ENOTSUP;
	return err;
}

static int maps_parse_def(struct skep_object *o, const char *name, uint32_t id, struct map_def *d,
			  int depth)
{
	const struct btf_type *st = maps_skip_mods(o->btf, id, NULL);
	int err;

	*d = (struct map_def){.attr = {.sz = sizeof(d->attr)}};
	if (!st || !btf_is_struct(st) || depth > 1) {
		log_printf(o->log, "%s: section .maps: map %s: its BTF type (id %u) is not a map "
				   "definition struct", o->name, name, id);
		return -EINVAL;
	}
	for (int i = 0; i < btf_vlen(st); i++) {
		if ((err = maps_def_member(o->btf, st, i, d))) {
			const char *mn = btf__name_by_offset(o->btf, btf_members(st)[i].name_off);
			log_printf(o->log, "%s: section .maps: map %s: %s member '%s'", o->name,
				   name, err == -ENOTSUP ? "unknown" : "malformed", mn ? mn : "?");
			return -EINVAL;
		}
	}
	uint32_t t = d->attr.type;
	if (t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    t == BPF_MAP_TYPE_HASH_OF_MAPS) {
		if (!d->attr.key_size)
			d->attr.key_size = 4;
		if (!d->attr.value_size)
			d->attr.value_size = 4;
	}
	if ((t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS) && !d->inner_id) {
		log_printf(o->log, "%s: section .maps: map %s: a map of maps needs __array(values, "
				   "struct {...}) to describe its inner maps", o->name, name);
		return -EINVAL;
	}
	return 0;
}

static int maps_add_btf_map(struct skep_object *o, size_t sec, const struct btf_var_secinfo *vi)
{
	const struct btf_type *var = btf__type_by_id(o->btf, vi->type);
	const char *name = var ? btf__name_by_offset(o->btf, var->name_off) : NULL;
	const Elf64_Sym *sym = NULL;
	struct map_def d;
	int err;

	if (!var || !btf_is_var(var) || !name) {
		log_printf(o->log, "%s: section .maps: BTF entry %u is not a variable", o->name,
			   vi->type);
		return -EINVAL;
	}
	for (size_t i = 1; i < o->nr_syms && !sym; i++)
		if (maps_is_def_sym(&o->syms[i], sec) && !strcmp(elf_sym_name(o, &o->syms[i]), name))
			sym = &o->syms[i];
	if (!sym) {
		log_printf(o->log, "%s: section .maps: map %s has BTF but no symbol", o->name, name);
		return -EINVAL;
	}
	if ((err = maps_parse_def(o, name, var->type, &d, 0)))
		return err;
	struct obj_map *m = maps_add(o, name);
	if (!m)
		return -ENOMEM;
	m->sec = sec;
	m->off = sym->st_value;
	m->attr = d.attr;
	m->pinning = d.pinning;
	m->has_values = d.has_values;
	m->values_off = d.values_off;
	m->key_type = d.key_type;
	m->value_type = d.value_type;
	/* The symbol's size counts the initialised .values; BTF's does not. */
	m->def_size = sym->st_size < UINT32_MAX ? (uint32_t)sym->st_size : 0;
	if (d.inner_id) {
		struct map_def in;
		if ((err = maps_parse_def(o, name, d.inner_id, &in, 1)))
			return err;
		m->inner_attr = in.attr;
		m->has_inner = 1;
	}
	return 0;
}

static int maps_collect_btf(struct skep_object *o, size_t sec)
{
	int id;
	const struct btf_type *ds;

	if (!o->btf) {
		log_printf(o->log, "%s: section .maps needs BTF, and the object has no .BTF", o->name);
		return -EINVAL;
	}
	id = btf__find_by_name_kind(o->btf, ".maps", BTF_KIND_DATASEC);
	ds = id > 0 ? btf__type_by_id(o->btf, (uint32_t)id) : NULL;
	if (!ds) {
		log_printf(o->log, "%s: section .maps has no BTF DATASEC", o->name);
		return -EINVAL;
	}
	const struct btf_var_secinfo *vi = btf_var_secinfos(ds);
	for (int i = 0; i < btf_vlen(ds); i++) {
		int err = maps_add_btf_map(o, sec, &vi[i]);
		if (err)
			return err;
	}
	return 0;
}

static int maps_collect_data(struct skep_object *o, size_t sec)
{
	struct obj_sec *s = &o->secs[sec];
	struct obj_map *m;

	if (!s->size)
		return 0;
	if (s->size > UINT32_MAX / 2) {
		log_printf(o->log, "%s: section %s: %zu bytes of global data is too much", o->name,
			   s->name, s->size);
		return -E2BIG;
	}
	m = maps_add(o, s->name);
	if (!m)
		return -ENOMEM;
	s->map = (int)(o->nr_maps - 1);
	m->sec = sec;
	m->off = 0;
	/* the section's DATASEC types the single value: its variables by name */
	if (o->btf) {
		int id = btf__find_by_name_kind(o->btf, s->name, BTF_KIND_DATASEC);
		m->value_type = id > 0 ? (uint32_t)id : 0;
	}
	m->attr = (struct skep_map_attr){.sz = sizeof(m->attr), .type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4, .value_size = (uint32_t)s->size, .max_entries = 1,
		.flags = BPF_F_MMAPABLE | (s->kind == SEC_RODATA ? BPF_F_RDONLY_PROG : 0)};
	return 0;
}

int maps_collect(struct skep_object *o)
{
	int err = 0;

	for (size_t i = 1; i < o->nr_secs && !err; i++)
		if (o->secs[i].kind == SEC_MAPS)
			err = maps_collect_legacy(o, i);
	for (size_t i = 1; i < o->nr_secs && !err; i++)
		if (o->secs[i].kind == SEC_BTF_MAPS)
			err = maps_collect_btf(o, i);
	for (size_t i = 1; i < o->nr_secs && !err; i++) {
		enum obj_sec_kind k = o->secs[i].kind;
		if (k == SEC_DATA || k == SEC_RODATA || k == SEC_BSS)
			err = maps_collect_data(o, i);
	}
	return err;
}
