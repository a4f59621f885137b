/* skep objects: the ELF files clang builds for the Linux kernel.
 *
 * `clang -O2 -g -target bpf -c prog.bpf.c` writes an ELF object in libbpf's
 * conventions: one program per function of an executable section whose name
 * says the program type (SEC("xdp"), SEC("tc"), SEC("kprobe/...")), helper
 * subprograms in .text, maps in `.maps` (BTF-defined) or `maps` (struct
 * bpf_map_def), global variables in .data/.rodata/.bss, and BTF with line
 * info.  skep_object_open_*() reads such a file: it creates every map (global
 * data sections become one-element ARRAY maps holding their initial bytes),
 * links each program with the subprograms it calls, turns map references into
 * lddw src 5 (BPF_PSEUDO_MAP_IDX) / src 6 (BPF_PSEUDO_MAP_IDX_VALUE) with imm
 * the index in skep_object_maps(), and resolves CO-RE relocations against a
 * target BTF.  Programs are then loaded one by one.
 *
 * Every function returns 0 or a negative errno; a malformed file gets a
 * message naming the section, symbol and relocation in the log.
 */
#ifndef SKEP_OBJECT_H
#define SKEP_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

#ifdef __cplusplus
extern "C" {
#endif

struct skep_object;

struct skep_object_opts {
	size_t sz; /* sizeof(struct skep_object_opts), for ABI growth */
	char *log_buf;
	size_t log_size;
	/* The BTF CO-RE relocations are resolved against (a raw BTF file or an
	 * ELF with .BTF).  NULL: /sys/kernel/btf/vmlinux if present; an object
	 * with CO-RE relocations and no target fails to open. */
	const char *btf_path;
	/* Name used in messages instead of the path (open_mem: "memory"). */
	const char *name;
};

SKEP_API int skep_object_open_file(struct skep_vm *vm, const char *path,
				   const struct skep_object_opts *opts, struct skep_object **out);
/* The buffer is copied; it need not outlive the call. */
SKEP_API int skep_object_open_mem(struct skep_vm *vm, const void *buf, size_t size,
				  const struct skep_object_opts *opts, struct skep_object **out);
/* Frees the programs loaded from the object, then its maps. */
SKEP_API void skep_object_free(struct skep_object *obj);

/* "GPL", ... from the license section ("" when absent); the version section. */
SKEP_API const char *skep_object_license(const struct skep_object *obj);
SKEP_API uint32_t skep_object_kversion(const struct skep_object *obj);

/* Programs, in section then offset order. */
SKEP_API size_t skep_object_prog_count(const struct skep_object *obj);
SKEP_API const char *skep_object_prog_name(const struct skep_object *obj, size_t idx);
SKEP_API const char *skep_object_prog_section(const struct skep_object *obj, size_t idx);
/* enum bpf_prog_type and enum bpf_attach_type from the section name, as
 * libbpf derives them (BPF_PROG_TYPE_UNSPEC for an unknown section). */
SKEP_API uint32_t skep_object_prog_type(const struct skep_object *obj, size_t idx);
SKEP_API uint32_t skep_object_prog_attach_type(const struct skep_object *obj, size_t idx);
/* SEC("?...") programs: libbpf does not load them unless asked. */
SKEP_API int skep_object_prog_autoload(const struct skep_object *obj, size_t idx);
/* Index of the program whose function or section is `name`, or -ENOENT
 * (-EEXIST when a section name matches several programs). */
SKEP_API int skep_object_find_prog(const struct skep_object *obj, const char *name);
/* The program linked with its subprograms and relocated; NULL for a bad idx. */
SKEP_API const struct skep_insn *skep_object_prog_insns(const struct skep_object *obj,
							 size_t idx, size_t *len);
/* Instruction indexes where functions start in the linked program (the
 * program first, then each subprogram), with their names. */
SKEP_API size_t skep_object_prog_funcs(const struct skep_object *obj, size_t idx,
				       const uint32_t **starts, const char *const **names);

/* The BTF FUNC type id of each function of skep_object_prog_funcs() (from
 * .BTF.ext func info; 0 where there is none), in the object's BTF. */
SKEP_API size_t skep_object_prog_func_types(const struct skep_object *obj, size_t idx,
					    const uint32_t **type_ids);
/* The object's .BTF as libbpf's struct btf (<bpf/btf.h>), NULL without.  It
 * lives as long as the object. */
struct btf;
SKEP_API const struct btf *skep_object_btf(const struct skep_object *obj);

/* Source position of instruction `insn` of program `idx` from BTF line info:
 * the record at or before it.  -ENOENT without line info. */
struct skep_line_info {
	const char *file; /* as clang recorded it */
	const char *line; /* the source line's text, without the newline */
	uint32_t line_no, col;
	uint32_t insn;    /* the instruction the record starts at */
};
SKEP_API int skep_object_prog_line(const struct skep_object *obj, size_t idx, size_t insn,
				   struct skep_line_info *out);

/* Maps in lddw index order: the object's maps and global data sections. */
SKEP_API struct skep_map **skep_object_maps(const struct skep_object *obj, size_t *n);
SKEP_API const char *skep_object_map_name(const struct skep_object *obj, size_t idx);
/* The BTF types (ids into skep_object_btf) of map idx's key and value:
 * __type(key/value, T) of BTF-defined maps, the section's DATASEC for
 * global data; 0 where unknown.  -ENOENT for a bad index. */
SKEP_API int skep_object_map_types(const struct skep_object *obj, size_t idx, uint32_t *key_type,
				   uint32_t *value_type);
/* Index of map `name` (".rodata", ".bss", a map variable), or -ENOENT. */
SKEP_API int skep_object_find_map(const struct skep_object *obj, const char *name);

/* Set a global `const volatile` variable of .rodata (or any .rodata.*
 * section) before the first program is loaded, as libbpf skeletons do:
 * `size` must be the variable's size.  -ENOENT for no such variable,
 * -EINVAL for a wrong size, -EBUSY once a program was loaded (.rodata is
 * frozen then). */
SKEP_API int skep_object_set_rodata(struct skep_object *obj, const char *name, const void *val,
				    size_t size);
/* The size of .rodata variable `name`: 0, or -ENOENT. */
SKEP_API int skep_object_rodata_size(const struct skep_object *obj, const char *name, size_t *size);

/* Load program idx (skep_prog_load with the object's maps; opts->maps is
 * ignored).  The object owns the program: do not free it.  Loading it again
 * gives the same program.  Prog arrays initialised in the object get their
 * programs loaded too. */
SKEP_API int skep_object_prog_load(struct skep_object *obj, size_t idx,
				   const struct skep_load_opts *opts, struct skep_prog **out);

#ifdef __cplusplus
}
#endif

#endif
