/* Extern symbols: what `extern ... __kconfig` and `__ksym` declarations of
 * a BPF object refer to.
 *
 * Kconfig externs (DATASEC ".kconfig") get their values as libbpf gives
 * them: libbpf's own LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and
 * LINUX_HAS_SYSCALL_WRAPPER, and CONFIG_* options from the kernel's
 * configuration ($SKEP_KCONFIG, else /proc/config.gz, else
 * /boot/config-RELEASE): y, m and n as libbpf's tristate (1, 2, 0) or bool,
 * numbers into integers, quoted strings into char arrays.  They live in one
 * read-only, single-element ARRAY map named ".kconfig" (as libbpf's), laid
 * out by the loader, and each lddw of one becomes src 6 (map value) at the
 * extern's offset.  A weak extern without a value reads 0; a strong one
 * fails the open, as in libbpf.
 *
 * Other externs (kfuncs, typed and untyped ksyms) name kernel objects that
 * skep does not have: the instructions that use them are poisoned (a call
 * to helper SKEP_POISON_EXTERN), so that only a program that reaches one is
 * refused, with a message saying why, and the object's other programs load.
 */
#include <bpf/btf.h>
#include <ctype.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "helpers/helpers.h"
#include "loader/loader.h"
#include "skep/maps.h"

#define KCONFIG_SEC ".kconfig"

/* The DATASEC ".kconfig" variable named `name`, as its type id, or 0. */
static uint32_t externs_kconfig_var(const struct btf *btf, const char *name)
{
	int ds = btf ? btf__find_by_name_kind(btf, KCONFIG_SEC, BTF_KIND_DATASEC) : -1;

	if (ds <= 0)
		return 0;
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)ds);
	const struct btf_var_secinfo *vi = btf_var_secinfos(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *v = btf__type_by_id(btf, vi[i].type);
		if (v && btf_is_var(v) && !strcmp(btf__name_by_offset(btf, v->name_off), name))
			return v->type;
	}
	return 0;
}

static int externs_add(struct skep_object *o, uint32_t sym, uint32_t type, uint32_t *off)
{
	struct obj_extern *n = realloc(o->externs, (o->nr_externs + 1) * sizeof(*n));
	int64_t size = btf__resolve_size(o->btf, type);
	int align = btf__align_of(o->btf, type);

	if (!n)
		return -ENOMEM;
	o->externs = n;
	if (size <= 0 || size > 4096 || align <= 0) {
		log_printf(o->log, "%s: kconfig extern %s: its type has no usable size", o->name,
			   elf_sym_name(o, elf_sym(o, sym)));
		return -EINVAL;
	}
	*off = (*off + (uint32_t)align - 1) / (uint32_t)align * (uint32_t)align;
	n[o->nr_externs++] = (struct obj_extern){sym, type, *off, (uint32_t)size};
	*off += (uint32_t)size;
	return 0;
}

int externs_collect(struct skep_object *o)
{
	uint32_t size = 0;
	int err;

	o->kconfig_map = -1;
	for (size_t i = 1; i < o->nr_syms; i++) {
		const Elf64_Sym *s = &o->syms[i];
		int bind = ELF64_ST_BIND(s->st_info);
		uint32_t type;
		if (s->st_shndx != SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
		    !(type = externs_kconfig_var(o->btf, elf_sym_name(o, s))))
			continue;
		if ((err = externs_add(o, (uint32_t)i, type, &size)))
			return err;
	}
	if (!o->nr_externs)
		return 0;
	struct obj_map *m = maps_add(o, KCONFIG_SEC);
	if (!m)
		return -ENOMEM;
	o->kconfig_map = (int)(o->nr_maps - 1);
	m->sec = 0; /* no section: filled by externs_fill */
	m->attr = (struct skep_map_attr){.sz = sizeof(m->attr),
					 .type = BPF_MAP_TYPE_ARRAY,
					 .key_size = 4,
					 .value_size = (size + 7) / 8 * 8,
					 .max_entries = 1,
					 .flags = BPF_F_MMAPABLE | BPF_F_RDONLY_PROG};
	return 0;
}

const struct obj_extern *externs_find(const struct skep_object *o, uint32_t sym)
{
	for (size_t i = 0; i < o->nr_externs; i++)
		if (o->externs[i].sym == sym)
			return &o->externs[i];
	return NULL;
}

/* The kernel's configuration, as text, or NULL. */
static char *externs_read_config(void)
{
	const char *path = getenv("SKEP_KCONFIG");
	char boot[300];
	struct utsname u;

	if (!path || !*path) {
		path = "/proc/config.gz";
		gzFile t = gzopen(path, "rb");
		if (t)
			gzclose(t);
		else if (!uname(&u)) {
			snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
			path = boot;
		}
	}
	gzFile f = gzopen(path, "rb"); /* reads plain text too */
	size_t len = 0, cap = 1 << 16;
	char *buf = f ? malloc(cap) : NULL;
	int n;

	while (buf && (n = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	if (f)
		gzclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* "CONFIG_X=value" for name in the configuration: the value, or NULL. */
static const char *externs_config_value(const char *cfg, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);

	for (const char *l = cfg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, name, nl) || l[nl] != '=')
			continue;
		const char *v = l + nl + 1, *e = strchr(v, '\n');
		*vlen = e ? (size_t)(e - v) : strlen(v);
		return v;
	}
	return NULL;
}

/* Store one option's text into the extern's bytes, by its BTF type. */
static int externs_store(const struct skep_object *o, const struct obj_extern *x, const char *v,
			 size_t vlen, uint8_t *dst)
{
	const struct btf_type *t = btf__type_by_id(o->btf, btf__resolve_type(o->btf, x->type));
	char text[256];

	if (!t || vlen >= sizeof(text))
		return -EINVAL;
	memcpy(text, v, vlen);
	text[vlen] = 0;
	if (btf_is_array(t)) { /* char[N]: a quoted string */
		if (vlen < 2 || text[0] != '"' || text[vlen - 1] != '"')
			return -EINVAL;
		size_t n = vlen - 2 < x->size - 1 ? vlen - 2 : x->size - 1;
		memcpy(dst, text + 1, n);
		return 0;
	}
	uint64_t val;
	if (!strcmp(text, "y") || !strcmp(text, "n") || !strcmp(text, "m")) {
		int is_bool = btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL);
		if (text[0] == 'm' && is_bool)
			return -EINVAL; /* a module cannot be a bool */
		val = text[0] == 'y' ? 1 : text[0] == 'm' ? 2 : 0;
	} else {
		char *end;
		errno = 0;
		val = strtoull(text, &end, 0);
		if (errno || *end || end == text)
			return -EINVAL;
	}
	if (!btf_is_int(t) && !btf_is_enum(t))
		return -EINVAL;
	memcpy(dst, &val, x->size < 8 ? x->size : 8); /* little-endian */
	return 0;
}

static uint32_t externs_kernel_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0, c = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

int externs_fill(struct skep_object *o)
{
	if (o->kconfig_map < 0)
		return 0;
	struct skep_map *m = o->maps[o->kconfig_map].map;
	uint32_t vsize = o->maps[o->kconfig_map].attr.value_size, key = 0;
	uint8_t *val = calloc(1, vsize);
	char *cfg = NULL;
	int err = 0, cfg_read = 0;

	if (!val)
		return -ENOMEM;
	for (size_t i = 0; i < o->nr_externs && !err; i++) {
		const struct obj_extern *x = &o->externs[i];
		const Elf64_Sym *s = elf_sym(o, x->sym);
		const char *name = elf_sym_name(o, s);
		uint64_t one = 1, ver = externs_kernel_version();
		const char *v;
		size_t vlen;
		if (!strcmp(name, "LINUX_KERNEL_VERSION") ||
		    !strcmp(name, "LINUX_HAS_BPF_COOKIE") ||
		    !strcmp(name, "LINUX_HAS_SYSCALL_WRAPPER")) {
			/* skep offers bpf_get_attach_cookie; x86-64 syscalls are wrapped */
			const uint64_t *src = name[6] == 'K' ? &ver : &one;
			memcpy(val + x->off, src, x->size < 8 ? x->size : 8);
			continue;
		}
		if (strncmp(name, "CONFIG_", 7)) {
			log_printf(o->log,
				   "%s: kconfig extern %s: not a CONFIG_ option or one of "
				   "libbpf's LINUX_ values",
				   o->name, name);
			err = -EINVAL;
			break;
		}
		if (!cfg_read++)
			cfg = externs_read_config();
		v = cfg ? externs_config_value(cfg, name, &vlen) : NULL;
		if (v && externs_store(o, x, v, vlen, val + x->off)) {
			log_printf(o->log,
				   "%s: kconfig extern %s: value '%.*s' does not fit its type",
				   o->name, name, (int)vlen, v);
			err = -EINVAL;
		} else if (!v && ELF64_ST_BIND(s->st_info) != STB_WEAK) {
			log_printf(o->log,
				   "%s: kconfig extern %s: no value in the kernel's "
				   "configuration (%s)",
				   o->name, name,
				   cfg ? "not set" : "none found; set $SKEP_KCONFIG");
			err = -ESRCH;
		}
	}
	if (!err && (err = skep_map_update(m, &key, val, BPF_ANY)))
		log_printf(o->log, "%s: map .kconfig: cannot store the values: %s", o->name,
			   strerror(-err));
	free(cfg);
	free(val);
	return err;
}

void externs_poison(struct skep_insn *in, int lddw)
{
	*in = (struct skep_insn){.code = BPF_JMP | BPF_CALL, .imm = SKEP_POISON_EXTERN};
	if (lddw) /* the second slot: a no-op after the call the walk stops at */
		in[1] = (struct skep_insn){.code = BPF_JMP | BPF_JA};
}
