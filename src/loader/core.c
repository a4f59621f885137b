/* CO-RE ("compile once, run everywhere") relocations.  clang records, for
 * each instruction that bakes in a fact about a kernel type (a field offset,
 * a size, whether a field exists, an enum value), the local type and an
 * access path "0:2:1" (array index on the root, then member or element
 * indexes).  Here each is resolved against the target BTF (the running
 * kernel's, or a file the user names): candidate types are those of the same
 * kind whose names match once a `___flavour` suffix is cut; the path is
 * followed by member *name* in the target (through anonymous members), and
 * the instruction's immediate, offset or 64-bit constant is rewritten.  The
 * same walk over the local BTF gives what the instruction must hold now: a
 * mismatch means the record does not belong to the instruction.  Relocations
 * that find no target poison the instruction as libbpf does (a call to
 * helper 0xbad2310), so only a program that reaches it fails. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers/helpers.h"
#include "loader/loader.h"

enum core_kind {
	CORE_FIELD_BYTE_OFFSET, CORE_FIELD_BYTE_SIZE, CORE_FIELD_EXISTS, CORE_FIELD_SIGNED,
	CORE_FIELD_LSHIFT_U64, CORE_FIELD_RSHIFT_U64, CORE_TYPE_ID_LOCAL, CORE_TYPE_ID_TARGET,
	CORE_TYPE_EXISTS, CORE_TYPE_SIZE, CORE_ENUMVAL_EXISTS, CORE_ENUMVAL_VALUE,
	CORE_TYPE_MATCHES,
};

#define CORE_POISON SKEP_POISON_CORE
#define CORE_MAX_ACCESS 64

/* The relocation being resolved, for messages. */
struct core_ctx {
	struct skep_object *o;
	const struct obj_core_rec *rec;
	uint32_t acc[CORE_MAX_ACCESS];
	int nr_acc;
};

/* Where an access path ends in one BTF. */
struct core_spec {
	uint64_t bit_off;
	uint32_t type;   /* the field's (or root's) type id */
	uint32_t bit_sz; /* bitfield width; 0 for a whole field */
	uint64_t value;  /* enumerator value */
};

static int core_fail(struct core_ctx *c, const char *why)
{
	struct skep_object *o = c->o;
	const char *acc = btf__name_by_offset(o->btf, c->rec->access_off);

	log_printf(o->log, "%s: section %s, insn %u: CO-RE relocation (kind %u, type %u, access "
			   "\"%s\"): %s", o->name, elf_sec_name(o, c->rec->sec), c->rec->insn,
		   c->rec->kind, c->rec->type_id, acc ? acc : "?", why);
	return -EINVAL;
}

static const struct btf_type *core_skip(const struct btf *btf, uint32_t id, uint32_t *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int d = 0; t && (btf_is_mod(t) || btf_is_typedef(t)) && d < 32; d++) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out)
		*out = id;
	return t;
}

/* Length of `name` without a "___flavour" suffix (from its last "___"). */
static size_t core_essential_len(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = n >= 3 ? n - 3 : 0; i > 0; i--)
		if (!strncmp(name + i, "___", 3))
			return i;
	return n;
}

static int core_names_match(const char *a, const char *b)
{
	size_t la = core_essential_len(a), lb = core_essential_len(b);
	return la == lb && !strncmp(a, b, la);
}

static int core_kinds_match(const struct btf_type *a, const struct btf_type *b)
{
	int ea = btf_is_enum(a) || btf_is_enum64(a), eb = btf_is_enum(b) || btf_is_enum64(b);
	return ea ? eb : btf_kind(a) == btf_kind(b);
}

static int core_parse_access(struct core_ctx *c)
{
	const char *s = btf__name_by_offset(c->o->btf, c->rec->access_off);
	char *end;

	if (!s || !*s)
		return core_fail(c, "empty access string");
	for (c->nr_acc = 0; *s; c->nr_acc++) {
		if (c->nr_acc == CORE_MAX_ACCESS)
			return core_fail(c, "access string too long");
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v > UINT32_MAX || (*end && *end != ':'))
			return core_fail(c, "malformed access string");
		c->acc[c->nr_acc] = (uint32_t)v;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* Member `name` of composite `id`, looking through anonymous members. */
static int core_find_member(const struct btf *btf, uint32_t id, const char *name,
			    struct core_spec *sp, int depth)
{
	const struct btf_type *t = core_skip(btf, id, NULL);

	if (!t || !btf_is_composite(t) || depth > 16)
		return 0;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(btf, m[i].name_off);
		uint64_t off = btf_member_bit_offset(t, (uint32_t)i);
		if (mn && *mn && !strcmp(mn, name)) {
			sp->bit_off += off;
			sp->type = m[i].type;
			sp->bit_sz = btf_member_bitfield_size(t, (uint32_t)i);
			return 1;
		}
		if ((!mn || !*mn) && core_skip(btf, m[i].type, NULL) &&
		    btf_is_composite(core_skip(btf, m[i].type, NULL))) {
			struct core_spec in = *sp;
			in.bit_off += off;
			if (core_find_member(btf, m[i].type, name, &in, depth + 1))
				return *sp = in, 1;
		}
	}
	return 0;
}

/* One step of the path in the local BTF (by index); `name` gets the member's. */
static int core_local_step(const struct btf *btf, struct core_spec *sp, uint32_t idx,
			   const char **name)
{
	const struct btf_type *t = core_skip(btf, sp->type, NULL);

	*name = NULL;
	if (t && btf_is_array(t)) {
		long long esz = btf__resolve_size(btf, btf_array(t)->type);
		if (esz < 0)
			return -EINVAL;
		sp->bit_off += (uint64_t)idx * (uint64_t)esz * 8;
		sp->type = btf_array(t)->type;
		sp->bit_sz = 0;
		return 0;
	}
	if (!t || !btf_is_composite(t) || idx >= btf_vlen(t))
		return -EINVAL;
	const struct btf_member *m = &btf_members(t)[idx];
	*name = btf__name_by_offset(btf, m->name_off);
	sp->bit_off += btf_member_bit_offset(t, idx);
	sp->type = m->type;
	sp->bit_sz = btf_member_bitfield_size(t, idx);
	return 0;
}

/* The same step in the target: by name for members; 0 when it is not there. */
static int core_target_step(const struct btf *btf, struct core_spec *sp, uint32_t idx,
			    const char *name)
{
	const struct btf_type *t = core_skip(btf, sp->type, NULL);

	if (t && btf_is_array(t) && !name) {
		long long esz = btf__resolve_size(btf, btf_array(t)->type);
		if (esz < 0)
			return 0;
		sp->bit_off += (uint64_t)idx * (uint64_t)esz * 8;
		sp->type = btf_array(t)->type;
		sp->bit_sz = 0;
		return 1;
	}
	if (!name || !*name) /* an anonymous local member: found by the next name */
		return t && btf_is_composite(t);
	return core_find_member(btf, sp->type, name, sp, 0);
}

/* Follow the field path from root `troot` of `tbtf` (the local BTF itself
 * for the local value).  1 found, 0 not there, <0 malformed. */
static int core_field_walk(struct core_ctx *c, const struct btf *tbtf, uint32_t troot,
			   struct core_spec *tsp)
{
	const struct btf *lbtf = c->o->btf;
	struct core_spec lsp = {.type = c->rec->type_id};
	long long lsz = btf__resolve_size(lbtf, c->rec->type_id);
	long long tsz = btf__resolve_size(tbtf, troot);

	if (lsz < 0 || tsz < 0)
		return -EINVAL;
	*tsp = (struct core_spec){.type = troot, .bit_off = (uint64_t)c->acc[0] * tsz * 8};
	for (int i = 1; i < c->nr_acc; i++) {
		const char *name;
		if (core_local_step(lbtf, &lsp, c->acc[i], &name))
			return -EINVAL;
		int found = core_target_step(tbtf, tsp, c->acc[i], name);
		if (found <= 0)
			return found;
	}
	return 1;
}

static int core_field_value(const struct btf *btf, const struct core_spec *sp, uint32_t kind,
			    uint64_t *out)
{
	const struct btf_type *t = core_skip(btf, sp->type, NULL);
	long long sz = btf__resolve_size(btf, sp->type);
	uint64_t byte_off = sp->bit_off / 8, bits = sp->bit_sz;

	if (sz <= 0 || !t)
		return -EINVAL;
	if (bits) { /* a bitfield: the smallest aligned word of the type's size holding it */
		byte_off = sp->bit_off / 8 / (uint64_t)sz * (uint64_t)sz;
		while (sp->bit_off + bits - byte_off * 8 > (uint64_t)sz * 8 && sz < 8) {
			sz *= 2;
			byte_off = sp->bit_off / 8 / (uint64_t)sz * (uint64_t)sz;
		}
	} else {
		bits = (uint64_t)sz * 8;
	}
	switch (kind) {
	case CORE_FIELD_BYTE_OFFSET: *out = byte_off; break;
	case CORE_FIELD_BYTE_SIZE: *out = (uint64_t)sz; break;
	case CORE_FIELD_EXISTS: *out = 1; break;
	case CORE_FIELD_SIGNED:
		*out = btf_is_int(t) ? !!(btf_int_encoding(t) & BTF_INT_SIGNED)
				     : (btf_is_enum(t) || btf_is_enum64(t)) && btf_kflag(t);
		break;
	case CORE_FIELD_LSHIFT_U64: *out = 64 - (sp->bit_off + bits - byte_off * 8); break;
	case CORE_FIELD_RSHIFT_U64: *out = 64 - bits; break;
	default: return -EINVAL;
	}
	return 0;
}

/* Enumerator acc[0] of the local enum, by name in target enum `troot`. */
static int core_enum_walk(struct core_ctx *c, const struct btf *tbtf, uint32_t troot,
			  struct core_spec *tsp)
{
	const struct btf *lbtf = c->o->btf;
	const struct btf_type *lt = core_skip(lbtf, c->rec->type_id, NULL);
	const struct btf_type *tt = core_skip(tbtf, troot, NULL);
	uint32_t i = c->acc[0];
	const char *ln;

	if (!lt || !tt || c->nr_acc != 1 || i >= btf_vlen(lt))
		return -EINVAL;
	ln = btf__name_by_offset(lbtf, btf_is_enum(lt) ? btf_enum(lt)[i].name_off
						       : btf_enum64(lt)[i].name_off);
	for (int k = 0; ln && k < btf_vlen(tt); k++) {
		int e32 = btf_is_enum(tt);
		const char *tn = btf__name_by_offset(tbtf, e32 ? btf_enum(tt)[k].name_off
							       : btf_enum64(tt)[k].name_off);
		if (tn && core_names_match(ln, tn)) {
			tsp->value = e32 ? (uint64_t)(int64_t)btf_enum(tt)[k].val
					 : btf_enum64_value(&btf_enum64(tt)[k]);
			if (e32 && !btf_kflag(tt))
				tsp->value = (uint32_t)btf_enum(tt)[k].val;
			return 1;
		}
	}
	return 0;
}

static int core_is_field(uint32_t k)
{
	return k <= CORE_FIELD_RSHIFT_U64;
}

static int core_is_enum(uint32_t k)
{
	return k == CORE_ENUMVAL_EXISTS || k == CORE_ENUMVAL_VALUE;
}

/* The relocated value with `troot` in `tbtf` as the target type: 1 and *out
 * when it resolves there, 0 when it does not, <0 malformed. */
static int core_value(struct core_ctx *c, const struct btf *tbtf, uint32_t troot, uint64_t *out)
{
	uint32_t k = c->rec->kind;
	struct core_spec sp;
	int found;

	if (core_is_field(k)) {
		if ((found = core_field_walk(c, tbtf, troot, &sp)) <= 0)
			return found;
		return core_field_value(tbtf, &sp, k, out) ? -EINVAL : 1;
	}
	if (core_is_enum(k)) {
		if ((found = core_enum_walk(c, tbtf, troot, &sp)) <= 0)
			return found;
		*out = k == CORE_ENUMVAL_EXISTS ? 1 : sp.value;
		return 1;
	}
	long long sz = btf__resolve_size(tbtf, troot);
	switch (k) {
	case CORE_TYPE_ID_TARGET: *out = troot; return 1;
	case CORE_TYPE_EXISTS: case CORE_TYPE_MATCHES: *out = 1; return 1;
	case CORE_TYPE_SIZE: return sz < 0 ? -EINVAL : (*out = (uint64_t)sz, 1);
	default: return -EINVAL;
	}
}

static int core_load_target(struct skep_object *o)
{
	const char *path = o->btf_path;

	if (o->target)
		return 0;
	if (!path)
		path = access("/sys/kernel/btf/vmlinux", R_OK) ? NULL : "/sys/kernel/btf/vmlinux";
	if (!path) {
		log_printf(o->log, "%s: CO-RE relocations need a target BTF: this kernel has no "
				   "/sys/kernel/btf/vmlinux; name a BTF file", o->name);
		return -ENOENT;
	}
	libbpf_print_fn_t old = libbpf_set_print(NULL); /* the library never prints */
	o->target = btf__parse(path, NULL);
	libbpf_set_print(old);
	if (libbpf_get_error(o->target) || !o->target) {
		o->target = NULL;
		log_printf(o->log, "%s: CO-RE target BTF %s cannot be read", o->name, path);
		return -EINVAL;
	}
	return 0;
}

/* The first candidate of the target where the relocation resolves. */
static int core_target_value(struct core_ctx *c, uint64_t *out, uint32_t *root)
{
	const struct btf_type *lt = core_skip(c->o->btf, c->rec->type_id, NULL);
	const char *ln = lt ? btf__name_by_offset(c->o->btf, lt->name_off) : NULL;
	const struct btf *tb = c->o->target;
	int err;

	if (!ln || !*ln)
		return core_fail(c, "the local type has no name to look for");
	if ((err = core_load_target(c->o)))
		return err;
	tb = c->o->target;
	for (uint32_t id = 1; id < btf__type_cnt(tb); id++) {
		const struct btf_type *t = btf__type_by_id(tb, id);
		const char *tn = btf__name_by_offset(tb, t->name_off);
		if (!tn || !*tn || !core_kinds_match(lt, t) || !core_names_match(ln, tn))
			continue;
		int found = core_value(c, tb, id, out);
		*root = id;
		if (found)
			return found < 0 ? core_fail(c, "malformed target type") : 1;
	}
	return 0;
}

static int core_mem_size(int bytes)
{
	switch (bytes) {
	case 1: return BPF_B;
	case 2: return BPF_H;
	case 4: return BPF_W;
	case 8: return BPF_DW;
	default: return -1;
	}
}

static int core_patch(struct core_ctx *c, struct skep_insn *in, size_t left, uint64_t local,
		      uint64_t val)
{
	uint8_t cls = BPF_CLASS(in->code);

	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(in->code) == BPF_K) {
		if ((uint64_t)(uint32_t)in->imm != (uint32_t)local && (uint64_t)(int64_t)in->imm != local)
			return core_fail(c, "the instruction's immediate is not the local value");
		if (val > UINT32_MAX && (int64_t)val != (int32_t)val)
			return core_fail(c, "the target value does not fit 32 bits");
		in->imm = (int32_t)val;
		return 0;
	}
	if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
		if (c->rec->kind != CORE_FIELD_BYTE_OFFSET || (uint64_t)(int64_t)in->off != local)
			return core_fail(c, "a memory access can only take a field offset");
		if (val > INT16_MAX)
			return core_fail(c, "the field offset does not fit the instruction");
		in->off = (int16_t)val;
		return 0;
	}
	if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && left >= 2) {
		in[0].imm = (int32_t)(uint32_t)val;
		in[1].imm = (int32_t)(uint32_t)(val >> 32);
		return 0;
	}
	return core_fail(c, "the instruction cannot be relocated");
}

/* A memory access to a field whose size differs in the target loads the
 * target's size (integers of another width), as libbpf does. */
static int core_fix_size(struct core_ctx *c, struct skep_insn *in, uint32_t troot)
{
	struct obj_core_rec r = *c->rec;
	struct core_ctx sc = *c;
	uint64_t lsz, tsz;
	int code;

	if (BPF_CLASS(in->code) != BPF_LDX || BPF_MODE(in->code) != BPF_MEM ||
	    r.kind != CORE_FIELD_BYTE_OFFSET)
		return 0;
	r.kind = CORE_FIELD_BYTE_SIZE;
	sc.rec = &r;
	if (core_value(&sc, c->o->btf, r.type_id, &lsz) != 1 ||
	    core_value(&sc, c->o->target, troot, &tsz) != 1 || lsz == tsz)
		return 0;
	if (core_mem_size((int)lsz) != BPF_SIZE(in->code) || (code = core_mem_size((int)tsz)) < 0)
		return core_fail(c, "the field has a size the load cannot be changed to");
	in->code = (uint8_t)(BPF_CLASS(in->code) | BPF_MODE(in->code) | code);
	return 0;
}

static void core_poison(struct skep_insn *in)
{
	in->code = BPF_JMP | BPF_CALL;
	in->dst_reg = in->src_reg = 0;
	in->off = 0;
	in->imm = CORE_POISON;
}

static int core_apply(struct skep_object *o, const struct obj_core_rec *rec, struct skep_insn *in,
		      size_t left)
{
	struct core_ctx c = {.o = o, .rec = rec};
	uint64_t local = 0, val = 0;
	uint32_t troot = 0;
	int found, err;

	if (!btf__type_by_id(o->btf, rec->type_id) || !rec->type_id)
		return core_fail(&c, "local type id out of range");
	if (rec->kind > CORE_TYPE_MATCHES)
		return core_fail(&c, "unknown relocation kind");
	if ((err = core_parse_access(&c)))
		return err;
	if (rec->kind == CORE_TYPE_ID_LOCAL)
		return core_patch(&c, in, left, rec->type_id, rec->type_id);
	if (core_value(&c, o->btf, rec->type_id, &local) != 1)
		return core_fail(&c, "the access path does not fit the local type");
	if ((found = core_target_value(&c, &val, &troot)) < 0)
		return found;
	if (!found) {
		if (rec->kind != CORE_FIELD_EXISTS && rec->kind != CORE_TYPE_EXISTS &&
		    rec->kind != CORE_ENUMVAL_EXISTS && rec->kind != CORE_TYPE_MATCHES) {
			if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
				return core_fail(&c, "no such type or field in the target");
			core_poison(in);
			return 0;
		}
		val = 0;
	}
	if ((err = core_patch(&c, in, left, local, val)))
		return err;
	return found ? core_fix_size(&c, in, troot) : 0;
}

int core_relocate(struct skep_object *o, size_t sec, uint32_t start, uint32_t len,
		  struct skep_insn *insns)
{
	for (size_t i = 0; i < o->nr_core; i++) {
		const struct obj_core_rec *r = &o->core[i];
		if (r->sec != sec || r->insn < start || r->insn >= start + len)
			continue;
		int err = core_apply(o, r, &insns[r->insn - start], start + len - r->insn);
		if (err)
			return err;
	}
	return 0;
}
