/* Creating the object's maps: plain maps first, then maps of maps (whose
 * static initialisers name the plain ones), global data with its initial
 * bytes, pinned maps (pinning = LIBBPF_PIN_BY_NAME) reused when a pinned
 * map of that name exists, as libbpf reuses bpffs pins.  Prog array slots
 * are filled when programs are loaded. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "loader/loader.h"

#define MAP_PIN_BY_NAME 1
#define R_BPF_64_64 1
#define R_BPF_64_ABS64 2

static int maps_is_outer(const struct obj_map *m)
{
	return m->attr.type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       m->attr.type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int maps_add_slot(struct skep_object *o, struct obj_map *m, const struct obj_reloc *r)
{
	const Elf64_Sym *sym = elf_sym(o, r->sym);
	const struct obj_sec *ms = &o->secs[m->sec];
	struct obj_map_slot slot = {.key = (uint32_t)((r->off - m->off - m->values_off) / 8),
				    .func = -1, .map = -1};

	if ((r->type != R_BPF_64_ABS64 && r->type != R_BPF_64_64) ||
	    (r->off - m->off - m->values_off) % 8) {
		log_printf(o->log, "%s: section .maps, relocation %u (type %u, offset %llu) in map "
				   "%s: not a pointer-sized initialiser", o->name, r->rel_idx,
			   r->type, (unsigned long long)r->off, m->name);
		return -EINVAL;
	}
	if (sym->st_shndx < o->nr_secs && o->secs[sym->st_shndx].kind == SEC_PROG &&
	    m->attr.type == BPF_MAP_TYPE_PROG_ARRAY)
		slot.func = link_func_at(o, sym->st_shndx, (uint32_t)(sym->st_value / 8));
	else if (maps_is_outer(m))
		slot.map = maps_by_sym(o, sym, 0);
	if (slot.func < 0 && slot.map < 0) {
		log_printf(o->log, "%s: section %s, relocation %u: map %s slot %u refers to %s, "
				   "which is not a %s", o->name, ms->name, r->rel_idx, m->name,
			   slot.key, elf_sym_name(o, sym),
			   m->attr.type == BPF_MAP_TYPE_PROG_ARRAY ? "program" : "map");
		return -EINVAL;
	}
	struct obj_map_slot *n = realloc(m->slots, (m->nr_slots + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->slots = n;
	m->slots[m->nr_slots++] = slot;
	return 0;
}

int maps_collect_slots(struct skep_object *o)
{
	for (size_t i = 0; i < o->nr_maps; i++) {
		struct obj_map *m = &o->maps[i];
		const struct obj_sec *s = &o->secs[m->sec];
		for (size_t k = 0; s->kind == SEC_BTF_MAPS && k < s->nr_relocs; k++) {
			const struct obj_reloc *r = &s->relocs[k];
			if (r->off < m->off || r->off >= m->off + m->def_size)
				continue;
			if (!m->has_values || r->off < m->off + m->values_off) {
				log_printf(o->log, "%s: section .maps, relocation %u: map %s has a "
						   "relocation outside its .values", o->name,
					   r->rel_idx, m->name);
				return -EINVAL;
			}
			int err = maps_add_slot(o, m, r);
			if (err)
				return err;
		}
	}
	return 0;
}

static int maps_open_pinned(struct skep_object *o, struct obj_map *m)
{
	struct skep_map_info info;
	int err = skep_map_open_pinned(m->name, &m->map);

	if (err)
		return err;
	if (skep_map_info(m->map, &info) || info.type != m->attr.type ||
	    info.key_size != m->attr.key_size || info.value_size != m->attr.value_size ||
	    info.max_entries != m->attr.max_entries) {
		log_printf(o->log, "%s: map %s: the pinned map of that name does not match its "
				   "definition", o->name, m->name);
		skep_map_free(m->map);
		m->map = NULL;
		return -EINVAL;
	}
	return 0;
}

/* A new pin keeps the map's BTF types beside it, so that `skep map dump`
 * in another process prints typed elements; without types, the map still
 * works (hex only), so a failure here is not the load's. */
static void maps_pin_types(const struct skep_object *o, const struct obj_map *m)
{
	struct skep_map_btf t = {.key_type = m->key_type, .value_type = m->value_type};
	uint32_t size = 0;

	if (!o->btf || (!m->key_type && !m->value_type))
		return;
	t.btf = btf__raw_data(o->btf, &size);
	t.btf_size = size;
	if (t.btf)
		skep_map_pin_btf(m->name, &t);
}

static int maps_create_one(struct skep_object *o, struct obj_map *m)
{
	struct skep_map_attr a = m->attr;
	char name[16];
	int err;

	snprintf(name, sizeof(name), "%s", m->name);
	a.name = name;
	if (m->pinning == MAP_PIN_BY_NAME) {
		if (!(err = maps_open_pinned(o, m)) || err != -ENOENT)
			return err;
		a.pin_name = m->name;
	} else if (m->pinning) {
		log_printf(o->log, "%s: map %s: pinning %u is not supported", o->name, m->name,
			   m->pinning);
		return -EINVAL;
	}
	if (m->has_inner) {
		struct skep_map_attr ia = m->inner_attr;
		ia.name = name;
		if ((err = skep_map_create(&ia, &m->inner))) {
			log_printf(o->log, "%s: map %s: cannot create the inner map template: %s",
				   o->name, m->name, strerror(-err));
			return err;
		}
		a.inner_map = m->inner;
	}
	if ((err = skep_map_create(&a, &m->map)))
		log_printf(o->log, "%s: map %s (type %u, key %u, value %u, max_entries %u, flags "
				   "%#x): cannot be created: %s", o->name, m->name, a.type,
			   a.key_size, a.value_size, a.max_entries, a.flags, strerror(-err));
	else if (a.pin_name)
		maps_pin_types(o, m);
	return err;
}

static int maps_init_data(struct skep_object *o, struct obj_map *m)
{
	const struct obj_sec *s = &o->secs[m->sec];
	uint32_t key = 0;
	int err;

	if (!s->data) /* .bss: the array starts zeroed */
		return 0;
	if ((err = skep_map_update(m->map, &key, s->data, BPF_ANY)))
		log_printf(o->log, "%s: map %s: cannot store the initial data: %s", o->name,
			   m->name, strerror(-err));
	return err;
}

static int maps_fill_map_slots(struct skep_object *o, struct obj_map *m)
{
	for (size_t i = 0; i < m->nr_slots; i++) {
		struct obj_map_slot *sl = &m->slots[i];
		if (sl->map < 0)
			continue;
		int err = skep_map_update_obj(m->map, &sl->key, o->maps[sl->map].map, BPF_ANY);
		if (err) {
			log_printf(o->log, "%s: map %s: cannot put map %s at slot %u: %s", o->name,
				   m->name, o->maps[sl->map].name, sl->key, strerror(-err));
			return err;
		}
	}
	return 0;
}

int maps_create(struct skep_object *o)
{
	int err;

	o->map_ptrs = calloc(o->nr_maps ? o->nr_maps : 1, sizeof(*o->map_ptrs));
	if (!o->map_ptrs)
		return -ENOMEM;
	for (int outer = 0; outer < 2; outer++)
		for (size_t i = 0; i < o->nr_maps; i++) {
			struct obj_map *m = &o->maps[i];
			if (maps_is_outer(m) != outer)
				continue;
			if ((err = maps_create_one(o, m)))
				return err;
			o->map_ptrs[i] = m->map;
			if (o->secs[m->sec].kind != SEC_MAPS && o->secs[m->sec].kind != SEC_BTF_MAPS &&
			    (err = maps_init_data(o, m)))
				return err;
			if (outer && (err = maps_fill_map_slots(o, m)))
				return err;
		}
	return 0;
}

int maps_fill_prog_slots(struct skep_object *o, const struct skep_load_opts *lo)
{
	for (size_t i = 0; i < o->nr_maps; i++) {
		struct obj_map *m = &o->maps[i];
		for (size_t k = 0; k < m->nr_slots; k++) {
			struct obj_map_slot *sl = &m->slots[k];
			size_t p;
			int err;
			if (sl->func < 0)
				continue;
			for (p = 0; p < o->nr_progs && o->progs[p].func != (size_t)sl->func; p++)
				;
			if (p == o->nr_progs) {
				log_printf(o->log, "%s: map %s slot %u: function %s is not a program",
					   o->name, m->name, sl->key, o->funcs[sl->func].name);
				return -EINVAL;
			}
			if ((err = object_load_one(o, p, lo)))
				return err;
			err = skep_map_update_obj(m->map, &sl->key, o->progs[p].loaded, BPF_ANY);
			if (err) {
				log_printf(o->log, "%s: map %s: cannot put program %s at slot %u: %s",
					   o->name, m->name, o->funcs[sl->func].name, sl->key,
					   strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/* Outer maps and prog arrays let go of what they hold before anything goes. */
void maps_free(struct skep_object *o)
{
	for (size_t i = 0; i < o->nr_maps; i++) {
		struct obj_map *m = &o->maps[i];
		for (size_t k = 0; m->map && k < m->nr_slots; k++)
			skep_map_update_obj(m->map, &m->slots[k].key, NULL, BPF_ANY);
	}
	for (size_t i = 0; i < o->nr_progs; i++) {
		skep_prog_free(o->progs[i].loaded);
		o->progs[i].loaded = NULL;
	}
	for (int outer = 1; outer >= 0; outer--)
		for (size_t i = 0; i < o->nr_maps; i++) {
			struct obj_map *m = &o->maps[i];
			if (maps_is_outer(m) != outer)
				continue;
			skep_map_free(m->map);
			skep_map_free(m->inner);
			m->map = m->inner = NULL;
		}
	for (size_t i = 0; i < o->nr_maps; i++) {
		free(o->maps[i].name);
		free(o->maps[i].slots);
	}
	free(o->maps);
	free(o->map_ptrs);
	o->maps = NULL;
	o->nr_maps = 0;
}
