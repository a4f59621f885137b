/* Reading the ELF object with libelf: the sections (classified by what the
 * loader does with them), the symbol table, license and version.  Nothing
 * here trusts the file: every index and offset is checked before use, and a
 * bad one is reported with the section it came from. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

const char *elf_sec_name(const struct skep_object *o, size_t sec)
{
	return sec < o->nr_secs && o->secs[sec].name ? o->secs[sec].name : "?";
}

const Elf64_Sym *elf_sym(const struct skep_object *o, uint32_t idx)
{
	return idx < o->nr_syms ? &o->syms[idx] : NULL;
}

const char *elf_sym_name(const struct skep_object *o, const Elf64_Sym *sym)
{
	const char *n = NULL;

	if (ELF64_ST_TYPE(sym->st_info) == STT_SECTION)
		return elf_sec_name(o, sym->st_shndx);
	if (o->strtab)
		n = elf_strptr(o->elf, o->strtab, sym->st_name);
	return n ? n : "?";
}

size_t elf_find_sec(const struct skep_object *o, const char *name)
{
	for (size_t i = 1; i < o->nr_secs; i++)
		if (o->secs[i].name && !strcmp(o->secs[i].name, name))
			return i;
	return 0;
}

static int elf_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static enum obj_sec_kind elf_classify(const char *name, const GElf_Shdr *sh)
{
	if (sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR))
		return SEC_PROG;
	if (!strcmp(name, "maps"))
		return SEC_MAPS;
	if (!strcmp(name, ".maps"))
		return SEC_BTF_MAPS;
	if (sh->sh_type == SHT_NOBITS && (!strcmp(name, ".bss") || elf_starts(name, ".bss.")))
		return SEC_BSS;
	if (sh->sh_type != SHT_PROGBITS || !(sh->sh_flags & SHF_ALLOC))
		return SEC_OTHER;
	if (!strcmp(name, ".data") || elf_starts(name, ".data."))
		return SEC_DATA;
	if (!strcmp(name, ".rodata") || elf_starts(name, ".rodata."))
		return SEC_RODATA;
	return SEC_OTHER;
}

static int elf_read_symtab(struct skep_object *o, Elf_Scn *scn, const GElf_Shdr *sh, size_t idx)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n;

	if (o->symtab) {
		log_printf(o->log, "%s: section %zu: a second symbol table", o->name, idx);
		return -EINVAL;
	}
	if (!d || sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_link >= o->nr_secs) {
		log_printf(o->log, "%s: section %zu (.symtab): bad symbol table (entsize %llu, link %u)",
			   o->name, idx, (unsigned long long)sh->sh_entsize, sh->sh_link);
		return -EINVAL;
	}
	n = d->d_size / sizeof(Elf64_Sym);
	/* Copied through gelf so that a misaligned table is no problem. */
	Elf64_Sym *syms = calloc(n ? n : 1, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!gelf_getsym(d, (int)i, &syms[i])) {
			free(syms);
			log_printf(o->log, "%s: .symtab: symbol %zu unreadable", o->name, i);
			return -EINVAL;
		}
	o->syms = syms;
	o->nr_syms = n;
	o->symtab = idx;
	o->strtab = sh->sh_link;
	return 0;
}

static void elf_read_license(struct skep_object *o, const struct obj_sec *s)
{
	size_t n = s->size < sizeof(o->license) - 1 ? s->size : sizeof(o->license) - 1;

	if (s->data) {
		memcpy(o->license, s->data, n);
		o->license[n] = '\0';
	}
}

static int elf_read_sec(struct skep_object *o, Elf_Scn *scn, size_t idx, size_t shstrndx)
{
	struct obj_sec *s = &o->secs[idx];
	GElf_Shdr sh;
	Elf_Data *d;

	if (!gelf_getshdr(scn, &sh)) {
		log_printf(o->log, "%s: section %zu: unreadable header: %s", o->name, idx,
			   elf_errmsg(-1));
		return -EINVAL;
	}
	s->idx = idx;
	s->map = -1;
	s->name = elf_strptr(o->elf, shstrndx, sh.sh_name);
	if (!s->name) {
		log_printf(o->log, "%s: section %zu: name offset %u is outside the section names",
			   o->name, idx, sh.sh_name);
		return -EINVAL;
	}
	if (sh.sh_type == SHT_SYMTAB)
		return elf_read_symtab(o, scn, &sh, idx);
	s->kind = elf_classify(s->name, &sh);
	s->size = sh.sh_size;
	if (sh.sh_type == SHT_NOBITS)
		return 0;
	d = elf_getdata(scn, NULL);
	if (sh.sh_type != SHT_NULL && sh.sh_size && (!d || d->d_size != sh.sh_size)) {
		log_printf(o->log, "%s: section %zu (%s): data is outside the file: %s", o->name,
			   idx, s->name, elf_errmsg(-1));
		return -EINVAL;
	}
	s->data = d ? d->d_buf : NULL;
	if (!strcmp(s->name, "license"))
		elf_read_license(o, s);
	if (!strcmp(s->name, "version") && s->data && s->size == 4)
		memcpy(&o->kversion, s->data, 4);
	return 0;
}

static int elf_check_header(struct skep_object *o)
{
	GElf_Ehdr eh;

	if (elf_kind(o->elf) != ELF_K_ELF || !gelf_getehdr(o->elf, &eh)) {
		log_printf(o->log, "%s: not an ELF file", o->name);
		return -EINVAL;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		log_printf(o->log, "%s: not a 64-bit little-endian ELF object", o->name);
		return -EINVAL;
	}
	if (eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		log_printf(o->log, "%s: not a BPF relocatable object (e_machine %u, e_type %u)",
			   o->name, eh.e_machine, eh.e_type);
		return -EINVAL;
	}
	return 0;
}

int elf_read(struct skep_object *o)
{
	size_t n, shstrndx;
	int err;

	elf_version(EV_CURRENT);
	o->elf = elf_memory((char *)o->image, o->image_size);
	if (!o->elf) {
		log_printf(o->log, "%s: libelf: %s", o->name, elf_errmsg(-1));
		return -EINVAL;
	}
	if ((err = elf_check_header(o)))
		return err;
	if (elf_getshdrnum(o->elf, &n) || elf_getshdrstrndx(o->elf, &shstrndx) || n == 0) {
		log_printf(o->log, "%s: bad section table: %s", o->name, elf_errmsg(-1));
		return -EINVAL;
	}
	o->secs = calloc(n, sizeof(*o->secs));
	if (!o->secs)
		return -ENOMEM;
	o->nr_secs = n;
	for (size_t i = 1; i < n; i++) {
		Elf_Scn *scn = elf_getscn(o->elf, i);
		if (!scn) {
			log_printf(o->log, "%s: section %zu: %s", o->name, i, elf_errmsg(-1));
			return -EINVAL;
		}
		if ((err = elf_read_sec(o, scn, i, shstrndx)))
			return err;
	}
	if (!o->symtab) {
		log_printf(o->log, "%s: no symbol table (.symtab)", o->name);
		return -EINVAL;
	}
	return 0;
}
