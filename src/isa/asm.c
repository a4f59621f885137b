/* The assembler for the conformance dialect (FORMAT.md §2 of the
 * bpf_conformance notes): text in, little-endian instruction slots out.
 *
 * Every mnemonic comes from the opcode table: a line's leading words are
 * joined while they still spell (the start of) a table name, so that
 * `lock fetch add32` or `call local` need no special case, and among the rows
 * with that name the one whose operand layout (syntax.c) fits the operands
 * written is picked: `add %r1, 5` is ALU_IMM, `add %r1, %r2` ALU_REG.  The
 * only names not in the table are the documented aliases below.
 *
 * Labels are resolved after the whole text is read, so forward jumps work.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "isa/asm_lex.h"
#include "isa/isa.h"
#include "isa/syntax.h"

/* Stop after this many errors: the rest are usually consequences. */
#define ASM_MAX_ERRORS 20
/* Longest mnemonic, words joined by single blanks ("lock fetch xor32"). */
#define ASM_NAME_MAX 40

/* Spellings the dialect accepts besides the table names. */
static const struct {
	const char *alias, *name;
} asm_aliases[] = {
	{"swap16", "bswap16"},
	{"swap32", "bswap32"},
	{"swap64", "bswap64"},
};

struct asm_label {
	const char *name; /* points into the assembler's copy of the text */
	size_t slot;
	unsigned long line;
};

/* A jump or call whose label is looked up once every label is known. */
struct asm_fixup {
	const char *label;
	size_t slot;
	unsigned long line;
	uint8_t opnd; /* ISA_OPND_JMP_OFF or ISA_OPND_JMP_IMM */
};

struct asm_ctx {
	struct bpf_insn *insns;
	size_t len, cap;
	struct asm_label *labels;
	size_t nlabels, cap_labels;
	struct asm_fixup *fixups;
	size_t nfixups, cap_fixups;
	size_t exit_slot; /* the implicit label `exit`: the first exit */
	int have_exit;
	unsigned long line;
	int errors;
	int nomem;
	struct skep_log *log;
};

static int asm_error(struct asm_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int asm_error(struct asm_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errors < ASM_MAX_ERRORS)
		log_printf(c->log, "line %lu: %s", c->line, msg);
	else if (c->errors == ASM_MAX_ERRORS)
		log_printf(c->log, "too many errors, giving up");
	c->errors++;
	return -EINVAL;
}

static int asm_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int asm_nomem(struct asm_ctx *c)
{
	c->nomem = 1;
	log_printf(c->log, "line %lu: out of memory", c->line);
	return -ENOMEM;
}

/* ---- labels ---- */

static int asm_define_label(struct asm_ctx *c, struct asm_words *w)
{
	char *name = w->w[0];

	name[strlen(name) - 1] = '\0';
	if (!asm_label_ok(name))
		return asm_error(c, "bad label name '%.40s' (letters, digits, '_', '.', '$')",
				 name);
	/* The reference assembler silently drops the rest of a label line;
	 * refusing it keeps an instruction from vanishing unnoticed. */
	if (w->n > 1)
		return asm_error(
			c, "text after label '%.40s:' (put the instruction on its own line)", name);
	if (asm_reserve((void **)&c->labels, &c->cap_labels, c->nlabels + 1, sizeof(*c->labels)))
		return asm_nomem(c);
	c->labels[c->nlabels++] = (struct asm_label){name, c->len, c->line};
	return 0;
}

static int asm_label_cmp(const void *a, const void *b)
{
	const struct asm_label *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	if (d)
		return d;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorted labels make lookups logarithmic and put duplicates side by side. */
static void asm_sort_labels(struct asm_ctx *c)
{
	if (c->nlabels)
		qsort(c->labels, c->nlabels, sizeof(*c->labels), asm_label_cmp);
	for (size_t i = 1; i < c->nlabels; i++) {
		if (strcmp(c->labels[i - 1].name, c->labels[i].name))
			continue;
		c->line = c->labels[i].line;
		asm_error(c, "label '%.40s' already defined on line %lu", c->labels[i].name,
			  c->labels[i - 1].line);
	}
}

static int asm_find_label(const struct asm_ctx *c, const char *name, size_t *slot)
{
	size_t lo = 0, hi = c->nlabels;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, c->labels[mid].name);
		if (!d) {
			*slot = c->labels[mid].slot;
			return 0;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!strcmp(name, "exit") && c->have_exit) {
		*slot = c->exit_slot;
		return 0;
	}
	return -1;
}

/* Writes a relative distance into off or imm after checking it fits. */
static int asm_store_distance(struct asm_ctx *c, struct bpf_insn *insn, uint8_t opnd, int64_t dist,
			      const char *what)
{
	int64_t lim = opnd == ISA_OPND_JMP_OFF ? INT16_MAX : INT32_MAX;

	if (dist > lim || dist < -lim - 1)
		return asm_error(c, "target '%.40s' is %lld slots away, more than %s allows", what,
				 (long long)dist,
				 opnd == ISA_OPND_JMP_OFF ? "a 16-bit offset"
							  : "a 32-bit immediate");
	if (opnd == ISA_OPND_JMP_OFF)
		insn->off = (int16_t)dist;
	else
		insn->imm = (int32_t)dist;
	return 0;
}

static void asm_resolve_fixups(struct asm_ctx *c)
{
	for (size_t i = 0; i < c->nfixups; i++) {
		const struct asm_fixup *f = &c->fixups[i];
		size_t slot;

		c->line = f->line;
		if (asm_find_label(c, f->label, &slot)) {
			asm_error(c, "undefined label '%.40s'", f->label);
			continue;
		}
		/* Targets count from the slot after the instruction (the lddw
		 * of lddw_func included: the kernel counts from its first slot). */
		asm_store_distance(c, &c->insns[f->slot], f->opnd,
				   (int64_t)slot - (int64_t)f->slot - 1, f->label);
	}
}

/* ---- mnemonics and row choice ---- */

/* Is `s` a table name, or its first words followed by a blank? */
static int asm_name_prefix(const char *s)
{
	size_t n = strlen(s);

	for (int i = 0; i < ISA_OP_COUNT; i++) {
		const char *name = isa_ops[i].name;
		if (!strncmp(name, s, n) && (name[n] == '\0' || name[n] == ' '))
			return 1;
	}
	return 0;
}

static const char *asm_unalias(const char *word)
{
	for (size_t i = 0; i < sizeof(asm_aliases) / sizeof(asm_aliases[0]); i++)
		if (!strcmp(word, asm_aliases[i].alias))
			return asm_aliases[i].name;
	return word;
}

/* Joins leading words into the mnemonic; returns how many words it used,
 * or 0 if the first word is too long to be one. */
static int asm_mnemonic(const struct asm_words *w, char *name, size_t size)
{
	const char *first = asm_unalias(w->w[0]);
	int used = 1;

	if (strlen(first) >= size)
		return 0;
	strcpy(name, first);
	while (used < w->n) {
		size_t len = strlen(name);
		if (len + 1 + strlen(w->w[used]) >= size)
			break;
		name[len] = ' ';
		strcpy(name + len + 1, w->w[used]);
		if (!asm_name_prefix(name)) {
			name[len] = '\0';
			break;
		}
		used++;
	}
	return used;
}

enum asm_shape { ASM_REG, ASM_MEM, ASM_VALUE };

static enum asm_shape asm_word_shape(const char *s)
{
	return s[0] == '%' ? ASM_REG : s[0] == '[' ? ASM_MEM : ASM_VALUE;
}

static enum asm_shape asm_opnd_shape(uint8_t opnd)
{
	switch (opnd) {
	case ISA_OPND_DST:
	case ISA_OPND_SRC:
		return ASM_REG;
	case ISA_OPND_MEM_DST:
	case ISA_OPND_MEM_SRC:
		return ASM_MEM;
	default:
		return ASM_VALUE;
	}
}

static int asm_count_fits(const struct isa_form_syntax *syn, int n)
{
	return n <= syn->nopnds && n >= syn->nopnds - syn->optional;
}

static int asm_shapes_fit(const struct isa_form_syntax *syn, char **opnds, int n)
{
	if (!asm_count_fits(syn, n))
		return 0;
	for (int i = 0; i < n; i++)
		if (asm_word_shape(opnds[i]) != asm_opnd_shape(syn->opnd[i]))
			return 0;
	return 1;
}

/* "add %rD, imm | add %rD, %rS": every way of writing `name`. */
static void asm_usages(const char *name, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < ISA_OP_COUNT && len < size; i++) {
		if (strcmp(isa_ops[i].name, name))
			continue;
		const struct isa_form_syntax *syn = isa_row_syntax(&isa_ops[i]);
		int n = snprintf(buf + len, size - len, "%s%s%s%s", len ? " | " : "", name,
				 *syn->usage ? " " : "", syn->usage);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static int asm_pick_row(struct asm_ctx *c, const char *name, char **opnds, int n)
{
	int known = 0, count_ok = 0, callx;
	char usage[256];

	for (int i = 0; i < ISA_OP_COUNT; i++) {
		const struct isa_form_syntax *syn;
		if (strcmp(isa_ops[i].name, name))
			continue;
		syn = isa_row_syntax(&isa_ops[i]);
		known = 1;
		count_ok |= asm_count_fits(syn, n);
		if (asm_shapes_fit(syn, opnds, n))
			return i;
	}
	/* `call %rN` is the dialect's spelling of callx. */
	callx = isa_lookup_name("callx");
	if (!strcmp(name, "call") && callx >= 0 &&
	    asm_shapes_fit(isa_row_syntax(&isa_ops[callx]), opnds, n))
		return callx;
	if (!known)
		return asm_error(c, "unknown mnemonic '%.40s'", name);
	asm_usages(name, usage, sizeof(usage));
	if (!count_ok)
		return asm_error(c, "wrong operand count: %d given (%s)", n, usage);
	return asm_error(c, "wrong kind of operands for '%s' (%s)", name, usage);
}

/* ---- operands ---- */

static int asm_number(struct asm_ctx *c, const char *word, const struct asm_range *r, uint64_t *out)
{
	struct asm_num num;
	const char *why;

	if (asm_parse_num(word, &num))
		return asm_error(c, "'%.40s' is not a number", word);
	why = asm_num_fit(&num, r, out);
	if (why)
		return asm_error(c, "'%.40s' %s", word, why);
	return 0;
}

static int asm_register(struct asm_ctx *c, const char *word, uint8_t *reg)
{
	if (asm_parse_reg(word, reg))
		return asm_error(c, "bad register '%.40s' (%%r0-%%r10)", word);
	return 0;
}

static int asm_memory(struct asm_ctx *c, const char *word, uint8_t *reg, int16_t *off)
{
	const char *why = asm_parse_mem(word, reg, off);

	if (why)
		return asm_error(c, "memory operand '%.40s' %s", word, why);
	return 0;
}

/* A jump target: +N / -N now, a label once all labels are known. */
static int asm_target(struct asm_ctx *c, char *word, uint8_t opnd, struct bpf_insn *insn)
{
	uint64_t v;

	if (word[0] == '+' || word[0] == '-') {
		const struct asm_range *r =
			opnd == ISA_OPND_JMP_OFF ? &asm_range_off16 : &asm_range_rel32;
		if (asm_number(c, word, r, &v))
			return -EINVAL;
		return asm_store_distance(c, insn, opnd, (int64_t)v, word);
	}
	if (!asm_label_ok(word))
		return asm_error(c, "bad jump target '%.40s' (a label, +N or -N)", word);
	if (asm_reserve((void **)&c->fixups, &c->cap_fixups, c->nfixups + 1, sizeof(*c->fixups)))
		return asm_nomem(c);
	c->fixups[c->nfixups++] = (struct asm_fixup){word, c->len, c->line, opnd};
	return 0;
}

static int asm_operand(struct asm_ctx *c, uint8_t opnd, char *word, struct bpf_insn *s)
{
	uint8_t reg = 0;
	uint64_t v = 0;
	int err;

	switch (opnd) {
	case ISA_OPND_DST:
	case ISA_OPND_SRC:
		err = asm_register(c, word, &reg);
		if (opnd == ISA_OPND_DST)
			s->dst_reg = reg;
		else
			s->src_reg = reg;
		return err;
	case ISA_OPND_IMM:
		err = asm_number(c, word, &asm_range_imm32, &v);
		s->imm = (int32_t)(uint32_t)v;
		return err;
	case ISA_OPND_IMM64:
		err = asm_number(c, word, &asm_range_imm64, &v);
		s[0].imm = (int32_t)(uint32_t)v;
		s[1].imm = (int32_t)(uint32_t)(v >> 32);
		return err;
	case ISA_OPND_OFF:
		err = asm_number(c, word, &asm_range_off16, &v);
		s->off = (int16_t)(uint16_t)v;
		return err;
	case ISA_OPND_MEM_DST:
	case ISA_OPND_MEM_SRC:
		err = asm_memory(c, word, &reg, &s->off);
		if (opnd == ISA_OPND_MEM_DST)
			s->dst_reg = reg;
		else
			s->src_reg = reg;
		return err;
	default:
		return asm_target(c, word, opnd, s);
	}
}

/* The field that tells rows with the same opcode apart gets its value. */
static void asm_set_match(const struct isa_op *op, struct bpf_insn *s)
{
	switch (op->match) {
	case ISA_MATCH_OFF:
		s->off = (int16_t)op->mval;
		break;
	case ISA_MATCH_IMM:
		s->imm = op->mval;
		break;
	case ISA_MATCH_SRC:
		s->src_reg = (uint8_t)op->mval;
		break;
	}
}

static int asm_encode(struct asm_ctx *c, int row, char **opnds, int n)
{
	const struct isa_op *op = &isa_ops[row];
	const struct isa_form_syntax *syn = isa_row_syntax(op);
	size_t nslots = op->form == ISA_FORM_LDDW ? 2 : 1;
	struct bpf_insn *s;
	int err = 0;

	if (asm_reserve((void **)&c->insns, &c->cap, c->len + nslots, sizeof(*c->insns)))
		return asm_nomem(c);
	s = &c->insns[c->len];
	memset(s, 0, nslots * sizeof(*s));
	s->code = op->code;
	asm_set_match(op, s);
	for (int i = 0; i < n; i++)
		err |= asm_operand(c, syn->opnd[i], opnds[i], s);
	if (op->form == ISA_FORM_EXIT && !c->have_exit) {
		c->have_exit = 1;
		c->exit_slot = c->len;
	}
	/* Slots are kept even on error so later labels stay where they were. */
	c->len += nslots;
	return err ? -EINVAL : 0;
}

/* `.insn 0x...`: one raw slot, as the 64-bit little-endian value FORMAT.md's
 * `-- raw` section uses.  The disassembler prints it for slots no mnemonic
 * reproduces exactly. */
static int asm_raw_slot(struct asm_ctx *c, struct asm_words *w)
{
	uint64_t v;
	uint8_t bytes[8];

	if (w->n != 2)
		return asm_error(c, "wrong operand count: %d given (.insn 0xVALUE)", w->n - 1);
	if (asm_number(c, w->w[1], &asm_range_imm64, &v))
		return -EINVAL;
	if (asm_reserve((void **)&c->insns, &c->cap, c->len + 1, sizeof(*c->insns)))
		return asm_nomem(c);
	for (int i = 0; i < 8; i++)
		bytes[i] = (uint8_t)(v >> (8 * i));
	memcpy(&c->insns[c->len++], bytes, sizeof(bytes));
	return 0;
}

static int asm_instruction(struct asm_ctx *c, struct asm_words *w)
{
	char name[ASM_NAME_MAX];
	int used, row;

	if (!strcmp(w->w[0], ".insn"))
		return asm_raw_slot(c, w);
	used = asm_mnemonic(w, name, sizeof(name));
	if (!used)
		return asm_error(c, "unknown mnemonic '%.40s'", w->w[0]);
	row = asm_pick_row(c, name, w->w + used, w->n - used);
	if (row < 0)
		return row;
	return asm_encode(c, row, w->w + used, w->n - used);
}

static int asm_line(struct asm_ctx *c, char *line)
{
	struct asm_words w;
	char *hash = strchr(line, '#');
	const char *why;
	size_t len;

	if (hash)
		*hash = '\0';
	why = asm_split(line, &w);
	if (why)
		return asm_error(c, "%s", why);
	if (w.n == 0)
		return 0;
	len = strlen(w.w[0]);
	if (w.w[0][len - 1] == ':')
		return asm_define_label(c, &w);
	return asm_instruction(c, &w);
}

static void asm_free(struct asm_ctx *c)
{
	free(c->insns);
	free(c->labels);
	free(c->fixups);
}

int isa_assemble(const char *text, struct bpf_insn **out, size_t *len, struct skep_log *log)
{
	struct asm_ctx c = {.log = log};
	char *copy, *line, *next;

	*out = NULL;
	*len = 0;
	copy = strdup(text ? text : "");
	if (!copy) {
		log_printf(log, "out of memory");
		return -ENOMEM;
	}
	for (line = copy; line && !c.nomem && c.errors <= ASM_MAX_ERRORS; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		c.line++;
		asm_line(&c, line);
	}
	if (!c.nomem && !c.errors) {
		asm_sort_labels(&c);
		asm_resolve_fixups(&c);
	}
	free(copy);
	if (c.nomem || c.errors) {
		asm_free(&c);
		return c.nomem ? -ENOMEM : -EINVAL;
	}
	/* An empty program still gets a buffer, so callers can always free it. */
	if (!c.insns && !(c.insns = calloc(1, sizeof(*c.insns)))) {
		log_printf(log, "out of memory");
		return -ENOMEM;
	}
	free(c.labels);
	free(c.fixups);
	*out = c.insns;
	*len = c.len;
	return 0;
}
