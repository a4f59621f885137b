/* Programs and linking.  Each global function of an executable section other
 * than .text is a program; every other function is a subprogram.  A program
 * is linked as the kernel wants it: its own body first, then the body of
 * each function it reaches through calls (R_BPF_64_32, or a relative call
 * inside one section) and function pointers (R_BPF_64_64 on an lddw), with
 * call immediates rewritten to the new distances.  R_BPF_64_64 on an lddw of
 * a map becomes src 5 (BPF_PSEUDO_MAP_IDX), of global data src 6
 * (BPF_PSEUDO_MAP_IDX_VALUE) with the offset in the second slot. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "isa/bpf_compat.h"
#include "loader/loader.h"

/* Relocation numbers of LLVM's BPF target (llvm/BinaryFormat/ELFRelocs/BPF.def). */
#define R_BPF_64_64 1
#define R_BPF_64_ABS64 2
#define R_BPF_64_ABS32 3
#define R_BPF_64_NODYLD32 4
#define R_BPF_64_32 10

#define LDDW_CODE (BPF_LD | BPF_IMM | BPF_DW)
#define CALL_CODE (BPF_JMP | BPF_CALL)

static int link_func_cmp(const void *a, const void *b)
{
	const struct obj_func *x = a, *y = b;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int link_check_func(struct skep_object *o, const Elf64_Sym *s, const char *name)
{
	const struct obj_sec *sec = &o->secs[s->st_shndx];

	if (s->st_value % 8 || s->st_size % 8 || !s->st_size || s->st_value > sec->size ||
	    s->st_size > sec->size - s->st_value) {
		log_printf(o->log, "%s: section %s: function %s at byte %llu, size %llu, does not "
				   "fit the section (%zu bytes) in whole instructions",
			   o->name, sec->name, name, (unsigned long long)s->st_value,
			   (unsigned long long)s->st_size, sec->size);
		return -EINVAL;
	}
	return 0;
}

int link_collect_funcs(struct skep_object *o)
{
	int err;

	o->funcs = calloc(o->nr_syms ? o->nr_syms : 1, sizeof(*o->funcs));
	if (!o->funcs)
		return -ENOMEM;
	for (size_t i = 1; i < o->nr_syms; i++) {
		const Elf64_Sym *s = &o->syms[i];
		const char *name = elf_sym_name(o, s);
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
		    s->st_shndx >= o->nr_secs || o->secs[s->st_shndx].kind != SEC_PROG)
			continue;
		if ((err = link_check_func(o, s, name)))
			return err;
		o->funcs[o->nr_funcs++] = (struct obj_func){
			.name = name,
			.sec = s->st_shndx,
			.start = (uint32_t)(s->st_value / 8),
			.len = (uint32_t)(s->st_size / 8),
			.global = ELF64_ST_BIND(s->st_info) != STB_LOCAL,
		};
	}
	qsort(o->funcs, o->nr_funcs, sizeof(*o->funcs), link_func_cmp);
	for (size_t i = 1; i < o->nr_funcs; i++) {
		const struct obj_func *a = &o->funcs[i - 1], *b = &o->funcs[i];
		if (a->sec == b->sec && a->start + a->len > b->start) {
			log_printf(o->log, "%s: section %s: functions %s and %s overlap", o->name,
				   elf_sec_name(o, a->sec), a->name, b->name);
			return -EINVAL;
		}
	}
	return 0;
}

int link_func_at(const struct skep_object *o, size_t sec, uint32_t slot)
{
	size_t lo = 0, hi = o->nr_funcs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct obj_func *f = &o->funcs[mid];
		if (f->sec == sec && f->start == slot)
			return (int)mid;
		if (f->sec < sec || (f->sec == sec && f->start < slot))
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int link_reloc_cmp(const void *a, const void *b)
{
	const struct obj_reloc *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int link_read_rel(struct skep_object *o, size_t idx, const GElf_Shdr *sh)
{
	struct obj_sec *t = &o->secs[sh->sh_info];
	Elf_Data *d = elf_getdata(elf_getscn(o->elf, idx), NULL);
	size_t n = d && sh->sh_entsize == sizeof(Elf64_Rel) ? d->d_size / sizeof(Elf64_Rel) : 0;

	if (!d || sh->sh_entsize != sizeof(Elf64_Rel) || t->relocs) {
		log_printf(o->log, "%s: section %s: bad relocation section for %s", o->name,
			   elf_sec_name(o, idx), t->name);
		return -EINVAL;
	}
	t->relocs = calloc(n ? n : 1, sizeof(*t->relocs));
	if (!t->relocs)
		return -ENOMEM;
	t->rel_sec = idx;
	for (size_t i = 0; i < n; i++) {
		GElf_Rel r;
		if (!gelf_getrel(d, (int)i, &r))
			return log_printf(o->log, "%s: %s: relocation %zu unreadable", o->name,
					  elf_sec_name(o, idx), i), -EINVAL;
		uint32_t sym = (uint32_t)GELF_R_SYM(r.r_info);
		if (sym >= o->nr_syms || r.r_offset >= t->size) {
			log_printf(o->log, "%s: %s: relocation %zu: %s %llu is out of range (%zu "
					   "symbols, section %s has %zu bytes)",
				   o->name, elf_sec_name(o, idx), i,
				   sym >= o->nr_syms ? "symbol" : "offset",
				   sym >= o->nr_syms ? (unsigned long long)sym
						     : (unsigned long long)r.r_offset,
				   o->nr_syms, t->name, t->size);
			return -EINVAL;
		}
		t->relocs[t->nr_relocs++] = (struct obj_reloc){
			.off = r.r_offset,
			.type = (uint32_t)GELF_R_TYPE(r.r_info),
			.sym = sym,
			.rel_idx = (uint32_t)i,
		};
	}
	qsort(t->relocs, t->nr_relocs, sizeof(*t->relocs), link_reloc_cmp);
	return 0;
}

int link_collect_relocs(struct skep_object *o)
{
	for (size_t i = 1; i < o->nr_secs; i++) {
		GElf_Shdr sh;
		int err;
		if (!gelf_getshdr(elf_getscn(o->elf, i), &sh))
			continue;
		if (sh.sh_type != SHT_REL && sh.sh_type != SHT_RELA)
			continue;
		if (sh.sh_info == 0 || sh.sh_info >= o->nr_secs) {
			log_printf(o->log, "%s: relocation section %s targets section %u, which "
					   "does not exist", o->name, elf_sec_name(o, i), sh.sh_info);
			return -EINVAL;
		}
		enum obj_sec_kind k = o->secs[sh.sh_info].kind;
		/* .BTF and .BTF.ext carry relocations for linkers; offsets in
		 * them are already section-relative, so nothing to do. */
		if (k != SEC_PROG && k != SEC_BTF_MAPS)
			continue;
		if (sh.sh_type == SHT_RELA) {
			log_printf(o->log, "%s: %s: RELA relocations are not used by BPF", o->name,
				   elf_sec_name(o, i));
			return -EINVAL;
		}
		if (sh.sh_link != o->symtab) {
			log_printf(o->log, "%s: %s: relocations refer to section %u, not the "
					   "symbol table", o->name, elf_sec_name(o, i), sh.sh_link);
			return -EINVAL;
		}
		if ((err = link_read_rel(o, i, &sh)))
			return err;
	}
	return 0;
}

/* The linking of one program: where each function went in the output. */
struct link_state {
	struct skep_object *o;
	struct obj_prog *p;
	int *pos;       /* per obj->funcs: slot in the output, or -1 */
	size_t *queue;  /* functions in output order */
	size_t nq;
	size_t total;
};

static int link_enqueue(struct link_state *st, size_t f)
{
	if (st->pos[f] < 0) {
		st->pos[f] = (int)st->total;
		st->total += st->o->funcs[f].len;
		st->queue[st->nq++] = f;
	}
	return st->pos[f];
}

static void link_log_reloc(const struct link_state *st, const struct obj_sec *sec,
			   const struct obj_reloc *r, const char *why)
{
	const Elf64_Sym *sym = elf_sym(st->o, r->sym);

	log_printf(st->o->log, "%s: section %s, relocation %u (type %u, offset %llu, insn %llu) "
			       "against symbol %s: %s",
		   st->o->name, sec->name, r->rel_idx, r->type, (unsigned long long)r->off,
		   (unsigned long long)(r->off / 8), sym ? elf_sym_name(st->o, sym) : "?", why);
}

/* A call or function pointer to slot `slot` of section `sec`: the function's
 * place in the output, or -1. */
static int link_target(struct link_state *st, size_t sec, int64_t slot)
{
	if (slot < 0 || slot > UINT32_MAX)
		return -1;
	int f = link_func_at(st->o, sec, (uint32_t)slot);
	return f < 0 ? -1 : link_enqueue(st, (size_t)f);
}

/* A use of an extern symbol: a kconfig value becomes a load from the
 * .kconfig map; a kfunc call or ksym address is poisoned (externs.c). */
static int link_extern_reloc(struct link_state *st, const struct obj_sec *sec,
			     const struct obj_reloc *r, struct skep_insn *in)
{
	const struct obj_extern *x = externs_find(st->o, r->sym);

	if (x) {
		if (in->code != LDDW_CODE || r->type != R_BPF_64_64)
			return link_log_reloc(st, sec, r, "a kconfig extern is used by something "
							  "other than lddw"), -EINVAL;
		in[0].src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
		in[0].imm = st->o->kconfig_map;
		in[1].imm = (int32_t)x->off;
		return 0;
	}
	if (in->code == CALL_CODE && (r->type == R_BPF_64_32 || r->type == R_BPF_64_NODYLD32))
		return externs_poison(in, 0), 0;
	if (in->code == LDDW_CODE && r->type == R_BPF_64_64)
		return externs_poison(in, 1), 0;
	return link_log_reloc(st, sec, r, "an extern symbol used by something other than a "
					  "call or lddw"), -EINVAL;
}

static int link_code_reloc(struct link_state *st, const struct obj_sec *sec,
			   const struct obj_reloc *r, struct skep_insn *in, size_t at)
{
	const Elf64_Sym *sym = elf_sym(st->o, r->sym);
	const struct obj_sec *ts;
	int pos;

	if (sym->st_shndx == SHN_UNDEF)
		return link_extern_reloc(st, sec, r, in);
	if (sym->st_shndx >= st->o->nr_secs)
		return link_log_reloc(st, sec, r, "absolute symbols are not supported"),
		       -EOPNOTSUPP;
	ts = &st->o->secs[sym->st_shndx];
	if (in->code == CALL_CODE && in->src_reg == BPF_PSEUDO_CALL) {
		if (r->type != R_BPF_64_32 && r->type != R_BPF_64_NODYLD32)
			return link_log_reloc(st, sec, r, "a call needs R_BPF_64_32"), -EINVAL;
		if (ts->kind != SEC_PROG)
			return link_log_reloc(st, sec, r, "call target is not code"), -EINVAL;
		pos = link_target(st, sym->st_shndx, (int64_t)(sym->st_value / 8) + in->imm + 1);
		if (pos < 0)
			return link_log_reloc(st, sec, r, "call target is not a function"), -EINVAL;
		in->imm = pos - (int)(at + 1);
		return 0;
	}
	if (in->code != LDDW_CODE || r->type != R_BPF_64_64)
		return link_log_reloc(st, sec, r, "only calls and lddw can be relocated"), -EINVAL;
	uint64_t off = sym->st_value + (uint32_t)in->imm;
	if (ts->kind == SEC_PROG) {
		if (off % 8 || (pos = link_target(st, sym->st_shndx, (int64_t)(off / 8))) < 0)
			return link_log_reloc(st, sec, r, "function pointer to a place that is "
							  "not a function"), -EINVAL;
		in->src_reg = BPF_PSEUDO_FUNC;
		in->imm = pos - (int)(at + 1);
		return 0;
	}
	if (ts->kind == SEC_MAPS || ts->kind == SEC_BTF_MAPS) {
		int m = maps_by_sym(st->o, sym, ELF64_ST_TYPE(sym->st_info) == STT_SECTION
							? (uint32_t)in->imm : 0);
		if (m < 0)
			return link_log_reloc(st, sec, r, "no map is defined there"), -EINVAL;
		in[0].src_reg = BPF_PSEUDO_MAP_IDX;
		in[0].imm = m;
		in[1].imm = 0;
		return 0;
	}
	if (ts->map < 0)
		return link_log_reloc(st, sec, r, "refers to a section that is neither code, "
						  "maps nor global data"), -EINVAL;
	if (off > ts->size || (off == ts->size && ts->size))
		return link_log_reloc(st, sec, r, "offset is past the end of the data"), -EINVAL;
	in[0].src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
	in[0].imm = ts->map;
	in[1].imm = (int32_t)off;
	return 0;
}

/* Relocations falling in function f's body, and calls inside one section. */
static int link_relocate_func(struct link_state *st, size_t f)
{
	const struct obj_func *fn = &st->o->funcs[f];
	const struct obj_sec *sec = &st->o->secs[fn->sec];
	struct skep_insn *out = st->p->insns + st->pos[f];
	size_t ri = 0;
	int err;

	while (ri < sec->nr_relocs && sec->relocs[ri].off < (uint64_t)fn->start * 8)
		ri++;
	for (uint32_t k = 0; k < fn->len; k++) {
		const struct obj_reloc *r = ri < sec->nr_relocs ? &sec->relocs[ri] : NULL;
		size_t at = (size_t)st->pos[f] + k;
		if (r && r->off < (uint64_t)(fn->start + k + 1) * 8) {
			ri++;
			if (r->off % 8)
				return link_log_reloc(st, sec, r, "offset is not at an instruction"),
				       -EINVAL;
			if (out[k].code == LDDW_CODE && k + 1 >= fn->len)
				return link_log_reloc(st, sec, r, "lddw is cut off"), -EINVAL;
			if ((err = link_code_reloc(st, sec, r, &out[k], at)))
				return err;
			continue;
		}
		if (out[k].code == CALL_CODE && out[k].src_reg == BPF_PSEUDO_CALL) {
			int pos = link_target(st, fn->sec, (int64_t)fn->start + k + 1 + out[k].imm);
			if (pos < 0) {
				log_printf(st->o->log, "%s: section %s, function %s, insn %u: call "
						       "to slot %lld, where no function starts",
					   st->o->name, sec->name, fn->name, k,
					   (long long)fn->start + k + 1 + out[k].imm);
				return -EINVAL;
			}
			out[k].imm = pos - (int)(at + 1);
		}
	}
	return 0;
}

static int link_append(struct link_state *st, size_t f, size_t *cap)
{
	const struct obj_func *fn = &st->o->funcs[f];
	const struct obj_sec *sec = &st->o->secs[fn->sec];
	struct obj_prog *p = st->p;
	int err;

	if (st->total > *cap) {
		size_t ncap = st->total * 2;
		struct skep_insn *n = realloc(p->insns, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->insns = n;
		*cap = ncap;
	}
	memcpy(p->insns + st->pos[f], sec->data + (size_t)fn->start * 8, (size_t)fn->len * 8);
	p->len = st->total;
	if ((err = link_relocate_func(st, f)))
		return err;
	if ((err = core_relocate(st->o, fn->sec, fn->start, fn->len, p->insns + st->pos[f])))
		return err;
	return btf_ext_add_lines(st->o, p, fn->sec, fn->start, fn->len, (uint32_t)st->pos[f]);
}

static int link_record_funcs(struct link_state *st)
{
	struct obj_prog *p = st->p;

	p->func_starts = calloc(st->nq, sizeof(*p->func_starts));
	p->func_names = calloc(st->nq, sizeof(*p->func_names));
	p->func_types = calloc(st->nq, sizeof(*p->func_types));
	if (!p->func_starts || !p->func_names || !p->func_types)
		return -ENOMEM;
	for (size_t i = 0; i < st->nq; i++) {
		const struct obj_func *f = &st->o->funcs[st->queue[i]];
		p->func_starts[i] = (uint32_t)st->pos[st->queue[i]];
		p->func_names[i] = f->name;
		p->func_types[i] = btf_ext_func_type(st->o, f->sec, f->start);
	}
	p->nr_funcs = st->nq;
	return 0;
}

static int link_program(struct skep_object *o, struct obj_prog *p)
{
	struct link_state st = {.o = o, .p = p};
	size_t cap = 0;
	int err = -ENOMEM;

	st.pos = malloc(o->nr_funcs * sizeof(*st.pos));
	st.queue = malloc(o->nr_funcs * sizeof(*st.queue));
	if (!st.pos || !st.queue)
		goto out;
	for (size_t i = 0; i < o->nr_funcs; i++)
		st.pos[i] = -1;
	link_enqueue(&st, p->func);
	for (size_t head = 0; head < st.nq; head++)
		if ((err = link_append(&st, st.queue[head], &cap)))
			goto out;
	err = link_record_funcs(&st);
out:
	free(st.pos);
	free(st.queue);
	return err;
}

static int link_add_prog(struct skep_object *o, size_t f)
{
	const char *sec = o->secs[o->funcs[f].sec].name;
	struct obj_prog *p = &o->progs[o->nr_progs++];

	p->func = f;
	p->autoload = sec[0] != '?';
	p->sec_name = p->autoload ? sec : sec + 1;
	sectype_lookup(p->sec_name, &p->type, &p->attach_type);
	return 0;
}

int link_programs(struct skep_object *o)
{
	int err;

	o->progs = calloc(o->nr_funcs ? o->nr_funcs : 1, sizeof(*o->progs));
	if (!o->progs)
		return -ENOMEM;
	for (size_t f = 0; f < o->nr_funcs; f++)
		if (o->funcs[f].global && strcmp(o->secs[o->funcs[f].sec].name, ".text"))
			link_add_prog(o, f);
	/* An object with code only in .text (no SEC()): its global functions
	 * are the programs, of unknown type, rather than nothing to run. */
	for (size_t f = 0; f < o->nr_funcs && !o->nr_progs; f++)
		if (o->funcs[f].global)
			link_add_prog(o, f);
	for (size_t i = 0; i < o->nr_progs; i++)
		if ((err = link_program(o, &o->progs[i]))) {
			log_printf(o->log, "%s: program %s (section %s) cannot be linked", o->name,
				   o->funcs[o->progs[i].func].name, o->progs[i].sec_name);
			return err;
		}
	return 0;
}
