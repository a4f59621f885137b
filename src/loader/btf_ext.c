/* .BTF.ext: the per-instruction side of BTF.  libbpf 1.1 does not export
 * its parser, so this reads the small documented layout itself
 * (Documentation/bpf/btf.rst, "BTF.ext section"): a header with offsets of
 * three info blocks (func info, line info, CO-RE relocations), each block a
 * record size followed by groups of {section name, count, records}.  Record
 * sizes may grow; only the known prefix is read.  Strings are BTF string
 * offsets, resolved through libbpf's btf__name_by_offset. Every length is
 * checked against the section before a byte is read. */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

#define BTF_EXT_MAGIC 0xeB9F

struct ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_off, func_len, line_off, line_len;
	uint32_t core_off, core_len; /* only when hdr_len covers them */
};

/* One block: [data, data + len) after the header. */
struct ext_block {
	const uint8_t *p;
	uint32_t len;
	const char *what;
	uint32_t min_rec;
};

static uint32_t ext_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

typedef int (*ext_rec_fn)(struct skep_object *o, size_t sec, const uint8_t *rec);

static int ext_bad(struct skep_object *o, const char *what, const char *why, uint32_t at)
{
	log_printf(o->log, "%s: section .BTF.ext: %s at byte %u of its block: %s", o->name, what, at,
		   why);
	return -EINVAL;
}

static int ext_walk(struct skep_object *o, const struct ext_block *b, ext_rec_fn fn)
{
	uint32_t at = 4, rec_size;

	if (!b->len)
		return 0;
	if (b->len < 4)
		return ext_bad(o, b->what, "block too short for its record size", 0);
	rec_size = ext_u32(b->p);
	if (rec_size < b->min_rec || rec_size % 4)
		return ext_bad(o, b->what, "bad record size", 0);
	while (at < b->len) {
		if (b->len - at < 8)
			return ext_bad(o, b->what, "group header cut off", at);
		const char *sname = btf__name_by_offset(o->btf, ext_u32(b->p + at));
		uint32_t n = ext_u32(b->p + at + 4);
		size_t sec = sname ? elf_find_sec(o, sname) : 0;
		at += 8;
		if (!sec)
			return ext_bad(o, b->what, "names a section that does not exist", at - 8);
		if (n > (b->len - at) / rec_size)
			return ext_bad(o, b->what, "more records than the block holds", at - 4);
		for (uint32_t i = 0; i < n; i++, at += rec_size) {
			int err = fn(o, sec, b->p + at);
			if (err)
				return err == -EINVAL ? ext_bad(o, b->what, "bad record", at) : err;
		}
	}
	return 0;
}

static int ext_func_rec(struct skep_object *o, size_t sec, const uint8_t *rec)
{
	uint32_t off = ext_u32(rec);

	if (off % 8 || off >= o->secs[sec].size)
		return -EINVAL;
	struct obj_func_info *n = realloc(o->func_info, (o->nr_func_info + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->func_info = n;
	n[o->nr_func_info++] = (struct obj_func_info){.sec = (uint32_t)sec, .insn = off / 8,
						      .type_id = ext_u32(rec + 4)};
	return 0;
}

uint32_t btf_ext_func_type(const struct skep_object *o, size_t sec, uint32_t insn)
{
	for (size_t i = 0; i < o->nr_func_info; i++)
		if (o->func_info[i].sec == sec && o->func_info[i].insn == insn)
			return o->func_info[i].type_id;
	return 0;
}

static int ext_line_rec(struct skep_object *o, size_t sec, const uint8_t *rec)
{
	uint32_t off = ext_u32(rec), lc = ext_u32(rec + 12);

	if (off % 8 || off >= o->secs[sec].size)
		return -EINVAL;
	struct obj_line *n = realloc(o->sec_lines, (o->nr_sec_lines + 1) * sizeof(*n));
	uint32_t *s = realloc(o->line_secs, (o->nr_sec_lines + 1) * sizeof(*s));
	if (n)
		o->sec_lines = n;
	if (s)
		o->line_secs = s;
	if (!n || !s)
		return -ENOMEM;
	n[o->nr_sec_lines] = (struct obj_line){.insn = off / 8, .file_off = ext_u32(rec + 4),
		.line_off = ext_u32(rec + 8), .line_no = lc >> 10, .col = lc & 0x3ff};
	s[o->nr_sec_lines++] = (uint32_t)sec;
	return 0;
}

static int ext_core_rec(struct skep_object *o, size_t sec, const uint8_t *rec)
{
	uint32_t off = ext_u32(rec);

	if (off % 8 || off >= o->secs[sec].size)
		return -EINVAL;
	struct obj_core_rec *n = realloc(o->core, (o->nr_core + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->core = n;
	n[o->nr_core++] = (struct obj_core_rec){.sec = (uint32_t)sec, .insn = off / 8,
		.type_id = ext_u32(rec + 4), .access_off = ext_u32(rec + 8), .kind = ext_u32(rec + 12)};
	return 0;
}

static int ext_block(struct skep_object *o, const struct ext_hdr *h, uint32_t off, uint32_t len,
		     struct ext_block *b)
{
	size_t data = o->btf_ext_size - h->hdr_len;

	if (off > data || len > data - off) {
		log_printf(o->log, "%s: section .BTF.ext: %s block (offset %u, %u bytes) is outside "
				   "the section", o->name, b->what, off, len);
		return -EINVAL;
	}
	b->p = o->btf_ext + h->hdr_len + off;
	b->len = len;
	return 0;
}

int btf_ext_read(struct skep_object *o)
{
	size_t sec = elf_find_sec(o, ".BTF.ext");
	struct ext_hdr h = {0};
	struct ext_block fb = {.what = "func info", .min_rec = 8};
	struct ext_block lb = {.what = "line info", .min_rec = 16};
	struct ext_block cb = {.what = "CO-RE relocations", .min_rec = 16};
	int err;

	if (!sec || !o->secs[sec].data)
		return 0;
	o->btf_ext = o->secs[sec].data;
	o->btf_ext_size = o->secs[sec].size;
	if (!o->btf) {
		log_printf(o->log, "%s: section .BTF.ext without .BTF", o->name);
		return -EINVAL;
	}
	if (o->btf_ext_size < 24)
		return ext_bad(o, "header", "section too short", 0);
	memcpy(&h, o->btf_ext, 24);
	if (h.magic != BTF_EXT_MAGIC || h.version != 1 || h.hdr_len < 24 ||
	    h.hdr_len > o->btf_ext_size)
		return ext_bad(o, "header", "bad magic, version or header length", 0);
	if (h.hdr_len >= 32)
		memcpy(&h.core_off, o->btf_ext + 24, 8);
	if ((err = ext_block(o, &h, h.func_off, h.func_len, &fb)) ||
	    (err = ext_block(o, &h, h.line_off, h.line_len, &lb)) ||
	    (err = ext_block(o, &h, h.core_off, h.core_len, &cb)))
		return err;
	/* Function boundaries come from the ELF symbols; func info gives
	 * their BTF prototypes. */
	if ((err = ext_walk(o, &fb, ext_func_rec)))
		return err;
	if ((err = ext_walk(o, &lb, ext_line_rec)))
		return err;
	return ext_walk(o, &cb, ext_core_rec);
}

int btf_ext_add_lines(const struct skep_object *o, struct obj_prog *p, size_t sec, uint32_t start,
		      uint32_t len, uint32_t at)
{
	for (size_t i = 0; i < o->nr_sec_lines; i++) {
		const struct obj_line *l = &o->sec_lines[i];
		if (o->line_secs[i] != sec || l->insn < start || l->insn >= start + len)
			continue;
		struct obj_line *n = realloc(p->lines, (p->nr_lines + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->lines = n;
		n[p->nr_lines] = *l;
		n[p->nr_lines++].insn = at + (l->insn - start);
	}
	return 0;
}
