/* The ELF loader's insides: what an open object holds while it is read,
 * linked and relocated.  Each stage is one file:
 *   elf.c      sections and symbols (libelf), the object's lifetime
 *   sectypes.c section names -> program and attach types (libbpf's table)
 *   maps.c     legacy and BTF-defined maps, global data sections
 *   link.c     programs, subprogram linking, map relocations
 *   btf_ext.c  .BTF.ext: func info, line info, CO-RE records
 *   core.c     CO-RE relocations against a target BTF
 *   object.c   the public API
 */
#ifndef SKEP_LOADER_LOADER_H
#define SKEP_LOADER_LOADER_H

#include <gelf.h>
#include <libelf.h>
#include <stdint.h>

#include "core/log.h"
#include "skep/maps.h"
#include "skep/object.h"
#include "skep/skep.h"

struct btf;

enum obj_sec_kind {
	SEC_OTHER,
	SEC_PROG,     /* executable: programs and subprograms */
	SEC_DATA,     /* .data, .data.*: array map */
	SEC_RODATA,   /* .rodata, .rodata.*: array map, read-only for programs */
	SEC_BSS,      /* .bss: array map of zeros */
	SEC_MAPS,     /* legacy `maps` */
	SEC_BTF_MAPS, /* `.maps` */
};

/* One relocation of a program section, by instruction. */
struct obj_reloc {
	uint64_t off;  /* byte offset in the section it patches */
	uint32_t type;
	uint32_t sym;  /* .symtab index */
	uint32_t rel_idx; /* index in its .rel section, for messages */
};

struct obj_sec {
	const char *name;
	size_t idx;
	enum obj_sec_kind kind;
	const uint8_t *data; /* NULL for NOBITS */
	size_t size;
	int map;             /* SEC_DATA/RODATA/BSS: index in obj->maps; else -1 */
	struct obj_reloc *relocs; /* sorted by offset */
	size_t nr_relocs;
	size_t rel_sec;      /* the .rel section, for messages; 0 if none */
};

/* A function in an executable section (a program or a subprogram). */
struct obj_func {
	const char *name;
	size_t sec;           /* section index */
	uint32_t start, len;  /* in slots, within the section */
	int global;
};

/* Source lines / function starts of a linked program. */
struct obj_line {
	uint32_t insn;
	uint32_t file_off, line_off; /* BTF string offsets */
	uint32_t line_no, col;
};

/* A func info record from .BTF.ext: the BTF FUNC at a function start. */
struct obj_func_info {
	uint32_t sec, insn, type_id;
};

/* A CO-RE relocation record from .BTF.ext. */
struct obj_core_rec {
	uint32_t sec;     /* section index */
	uint32_t insn;    /* slot within the section */
	uint32_t type_id, access_off, kind;
};

struct obj_prog {
	size_t func;          /* index in obj->funcs */
	const char *sec_name; /* without the leading '?' */
	uint32_t type, attach_type;
	int autoload;
	struct skep_insn *insns; /* linked */
	size_t len;
	uint32_t *func_starts;   /* per function linked in */
	const char **func_names;
	uint32_t *func_types;    /* BTF FUNC id of each (func info), 0 if none */
	size_t nr_funcs;
	struct obj_line *lines;
	size_t nr_lines;
	struct skep_prog *loaded;
};

struct obj_map_slot {   /* a static initialiser of a prog array or map-in-map */
	uint32_t key;
	int func;          /* function (index in obj->funcs) for prog arrays, or -1 */
	int map;           /* map index, or -1 */
};

/* A kconfig extern: its symbol, BTF type, and place in the .kconfig map. */
struct obj_extern {
	uint32_t sym, type;
	uint32_t off, size;
};

struct obj_map {
	char *name;
	struct skep_map_attr attr;
	struct skep_map *map;
	struct skep_map *inner; /* map-in-map template, owned */
	size_t sec;             /* defining section */
	uint64_t off;           /* symbol offset in it (SEC_MAPS, SEC_BTF_MAPS) */
	uint32_t pinning;
	uint32_t key_type, value_type;   /* BTF ids for printing elements; 0: unknown */
	struct skep_map_attr inner_attr; /* map-in-map: the inner definition */
	int has_inner;
	int has_values;                  /* `.values` initialiser member */
	uint32_t values_off, def_size;   /* its offset, and the definition's size */
	struct obj_map_slot *slots;
	size_t nr_slots;
};

struct skep_object {
	struct skep_vm *vm;
	char *name;
	uint8_t *image;          /* the file, owned */
	size_t image_size;
	Elf *elf;
	struct skep_log *log;

	struct obj_sec *secs;
	size_t nr_secs;
	size_t symtab;           /* section index, 0 if none */
	const Elf64_Sym *syms;   /* in the image */
	size_t nr_syms;
	size_t strtab;           /* string section of the symbols */

	struct obj_func *funcs;
	size_t nr_funcs;
	struct obj_prog *progs;
	size_t nr_progs;
	struct obj_map *maps;
	size_t nr_maps;
	struct skep_map **map_ptrs; /* maps[i].map, as skep_load_opts wants them */

	char license[128];
	uint32_t kversion;
	int frozen;

	struct btf *btf;         /* .BTF, NULL if absent */
	const uint8_t *btf_ext;  /* .BTF.ext bytes in the image */
	size_t btf_ext_size;
	struct obj_line *sec_lines; /* line info of every section, by (sec, insn) */
	size_t nr_sec_lines;
	uint32_t *line_secs;        /* section of each sec_lines entry */
	struct obj_core_rec *core;
	size_t nr_core;
	struct obj_func_info *func_info;
	size_t nr_func_info;
	const char *btf_path;
	struct btf *target;         /* CO-RE target, loaded on demand */
	struct obj_extern *externs; /* kconfig externs */
	size_t nr_externs;
	int kconfig_map;            /* index of the .kconfig map, or -1 */
};

/* elf.c */
const char *elf_sec_name(const struct skep_object *o, size_t sec);
const char *elf_sym_name(const struct skep_object *o, const Elf64_Sym *sym);
const Elf64_Sym *elf_sym(const struct skep_object *o, uint32_t idx);
int elf_read(struct skep_object *o);
/* The section whose name is `name` (index), or 0. */
size_t elf_find_sec(const struct skep_object *o, const char *name);

/* sectypes.c: 0, or -ENOENT for a name libbpf does not know. */
int sectype_lookup(const char *sec, uint32_t *type, uint32_t *attach);
const char *sectype_prog_type_name(uint32_t type);
int sectype_prog_type_parse(const char *name, uint32_t *type);

/* maps.c */
int maps_collect(struct skep_object *o);
int maps_create(struct skep_object *o);
int maps_collect_slots(struct skep_object *o);
/* Put the programs of static prog array initialisers into their maps,
 * loading them with `lo` (object.c's loader). */
int maps_fill_prog_slots(struct skep_object *o, const struct skep_load_opts *lo);
void maps_free(struct skep_object *o);
/* A new map definition named `name` at the end of obj->maps, or NULL. */
struct obj_map *maps_add(struct skep_object *o, const char *name);

/* externs.c: kconfig externs get a .kconfig map (collect, before linking;
 * fill, once the maps exist); other externs poison the instructions using them. */
int externs_collect(struct skep_object *o);
int externs_fill(struct skep_object *o);
const struct obj_extern *externs_find(const struct skep_object *o, uint32_t sym);
void externs_poison(struct skep_insn *in, int lddw);
/* The map a symbol (plus addend) names: index, or -ENOENT. */
int maps_by_sym(const struct skep_object *o, const Elf64_Sym *sym, uint64_t addend);

/* link.c */
int link_collect_funcs(struct skep_object *o);
int link_collect_relocs(struct skep_object *o);
int link_programs(struct skep_object *o);
/* The function (index) that starts at `slot` of section `sec`, or -1. */
int link_func_at(const struct skep_object *o, size_t sec, uint32_t slot);

/* object.c: load program idx once (no prog array filling). */
int object_load_one(struct skep_object *o, size_t idx, const struct skep_load_opts *lo);

/* btf_ext.c */
int btf_ext_read(struct skep_object *o);
/* The BTF FUNC id recorded for slot `insn` of section sec, or 0. */
uint32_t btf_ext_func_type(const struct skep_object *o, size_t sec, uint32_t insn);
/* Appends the line info of [start, start+len) of section sec, moved to `at`. */
int btf_ext_add_lines(const struct skep_object *o, struct obj_prog *p, size_t sec, uint32_t start,
		      uint32_t len, uint32_t at);

/* core.c: resolve the CO-RE records that fall in [start, start+len) of sec,
 * in the copy at `insns` (slot 0 = start). */
int core_relocate(struct skep_object *o, size_t sec, uint32_t start, uint32_t len,
		  struct skep_insn *insns);

#endif
