/* The assembler: every row of the opcode table survives disassembly in the
 * conformance dialect and re-assembly bit for bit; a set of encodings is
 * checked against hand-written bytes; malformed sources fail with a message
 * naming the line; and nothing crashes on garbage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/harness.h"
#include "core/log.h"
#include "isa/isa.h"

static int asm_text(const char *text, struct bpf_insn **out, size_t *len, char *log_buf,
		    size_t log_size)
{
	struct skep_log log = log_init(log_buf, log_size);
	return isa_assemble(text, out, len, &log);
}

static void hex_of(const void *p, size_t n, char *buf, size_t size)
{
	const uint8_t *b = p;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 4 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%02x", i ? " " : "", b[i]);
}

/* ---- every table row through disasm (conformance) -> asm ---- */

/* A slot of row `op` with every field its form uses set to a distinct value. */
static void build_row(const struct isa_op *op, int variant, struct bpf_insn s[2])
{
	static const int32_t imms[] = {5, INT32_MIN, -1};
	static const int16_t offs[] = {-8, INT16_MAX, INT16_MIN};

	memset(s, 0, 2 * sizeof(*s));
	s->code = op->code;
	s->dst_reg = (uint8_t)(variant == 1 ? 10 : 1 + variant);
	s->src_reg = (uint8_t)(variant == 1 ? 0 : 2 + variant);
	s->off = offs[variant];
	s->imm = imms[variant];
	switch (op->form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ST:
	case ISA_FORM_JMP_IMM:
		s->src_reg = 0;
		break;
	case ISA_FORM_ALU_REG:
	case ISA_FORM_LDX:
	case ISA_FORM_STX:
	case ISA_FORM_JMP_REG:
		s->imm = 0;
		break;
	case ISA_FORM_NEG:
	case ISA_FORM_END:
	case ISA_FORM_CALLX:
		s->src_reg = 0, s->off = 0, s->imm = 0;
		break;
	case ISA_FORM_LDDW:
		s->src_reg = 0, s->off = 0;
		s[1].imm = op->mval == BPF_PSEUDO_FUNC ? 0 : 0x11223344 + variant;
		break;
	case ISA_FORM_LD_ABS:
		s->dst_reg = 0, s->src_reg = 0, s->off = 0;
		break;
	case ISA_FORM_LD_IND:
		s->dst_reg = 0, s->off = 0;
		break;
	case ISA_FORM_JA:
	case ISA_FORM_MAY_GOTO:
		s->dst_reg = 0, s->src_reg = 0, s->imm = 0;
		break;
	case ISA_FORM_JA32:
	case ISA_FORM_CALL:
	case ISA_FORM_CALL_LOCAL:
		s->dst_reg = 0, s->src_reg = 0, s->off = 0;
		break;
	case ISA_FORM_CALL_KFUNC:
		s->dst_reg = 0, s->src_reg = 0;
		if (variant == 2)
			s->off = 0; /* the optional operand left out */
		break;
	case ISA_FORM_EXIT:
		s->dst_reg = 0, s->src_reg = 0, s->off = 0, s->imm = 0;
		break;
	default: /* ATOMIC, LDACQ, STREL use every field */
		break;
	}
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

static void test_row(struct harness *h, int row, int variant)
{
	const struct isa_op *op = &isa_ops[row];
	int slots = op->form == ISA_FORM_LDDW ? 2 : 1;
	struct bpf_insn s[2], *out = NULL;
	char name[96], text[256], ktext[256], log[512], want[64], got[64];
	size_t len = 0;
	int used;

	snprintf(name, sizeof(name), "row_%s_%d", op->name, variant);
	for (char *p = name; *p; p++)
		if (*p == ' ')
			*p = '_';
	build_row(op, variant, s);
	if (isa_lookup(s) != row) {
		harness_fail(h, name, "the slot selects row %d, not its own row %d", isa_lookup(s),
			     row);
		return;
	}
	used = isa_disasm_insn(s, 2, 0, ISA_SYNTAX_CONFORMANCE, text, sizeof(text));
	isa_disasm_insn(s, 2, 0, ISA_SYNTAX_KERNEL, ktext, sizeof(ktext));
	if (used != slots || !strncmp(text, ".insn", 5) || !ktext[0] ||
	    !strncmp(ktext, ".insn", 5)) {
		harness_fail(h, name, "disassembled as '%s' / '%s' (%d slots)", text, ktext, used);
		return;
	}
	if (asm_text(text, &out, &len, log, sizeof(log))) {
		harness_fail(h, name, "'%s' does not assemble: %s", text, log);
		return;
	}
	hex_of(s, 8u * (unsigned)slots, want, sizeof(want));
	hex_of(out, 8 * len, got, sizeof(got));
	harness_check(h, len == (size_t)slots && !memcmp(out, s, 8u * (unsigned)slots), name,
		      "'%s' assembles to [%s], want [%s]", text, got, want);
	free(out);
}

/* ---- specific encodings ---- */

struct enc_case {
	const char *name, *text, *bytes; /* bytes as hex pairs */
};

static const struct enc_case enc_cases[] = {
	{"mov_imm", "mov %r0, 1", "b7 00 00 00 01 00 00 00"},
	{"add32_reg", "add32 %r1, %r2", "0c 21 00 00 00 00 00 00"},
	{"mov32_hex_wraps", "mov32 %r1, 0xffffffff", "b4 01 00 00 ff ff ff ff"},
	{"mov_int_min", "mov %r1, -2147483648", "b7 01 00 00 00 00 00 80"},
	{"lddw", "lddw %r0, 0x1122334455667788", "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11"},
	{"lddw_neg_decimal", "lddw %r9, -1", "18 09 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff"},
	{"ldxh", "ldxh %r2, [%r1+6]", "69 12 06 00 00 00 00 00"},
	{"ldxw_no_off", "ldxw %r0, [%r1]", "61 10 00 00 00 00 00 00"},
	{"ldxsb", "ldxsb %r1, [%r2-1]", "91 21 ff ff 00 00 00 00"},
	{"stxdw", "stxdw [%r10-8], %r1", "7b 1a f8 ff 00 00 00 00"},
	{"stw_hex", "stw [%r1+4], 0x80000000", "62 01 04 00 00 00 00 80"},
	{"stb_hex_off", "stb [%r1+0x10], 1", "72 01 10 00 01 00 00 00"},
	{"lock_add", "lock add [%r1], %r2", "db 21 00 00 00 00 00 00"},
	{"lock_fetch_add32", "lock fetch add32 [%r10-8], %r1", "c3 1a f8 ff 01 00 00 00"},
	{"lock_fetch_xor", "lock fetch xor [%r1+8], %r2", "db 21 08 00 a1 00 00 00"},
	{"lock_xchg32", "lock xchg32 [%r1], %r2", "c3 21 00 00 e1 00 00 00"},
	{"lock_cmpxchg", "lock cmpxchg [%r1], %r2", "db 21 00 00 f1 00 00 00"},
	{"jne32_imm", "jne32 %r1, -1, +3", "56 01 03 00 ff ff ff ff"},
	{"jslt_reg", "jslt %r1, %r2, -2", "cd 21 fe ff 00 00 00 00"},
	{"jset_imm", "jset %r3, 0x80, +0", "45 03 00 00 80 00 00 00"},
	{"ja", "ja -1", "05 00 ff ff 00 00 00 00"},
	{"ja32", "ja32 +5", "06 00 00 00 05 00 00 00"},
	{"call_helper", "call 5", "85 00 00 00 05 00 00 00"},
	{"call_local", "call local +3", "85 10 00 00 03 00 00 00"},
	{"call_runtime", "call runtime 7", "85 20 00 00 07 00 00 00"},
	{"call_runtime_fd", "call runtime 7, 2", "85 20 02 00 07 00 00 00"},
	{"callx", "call %r2", "8d 02 00 00 00 00 00 00"},
	{"callx_name", "callx %r3", "8d 03 00 00 00 00 00 00"},
	{"sdiv_imm", "sdiv %r1, 3", "37 01 01 00 03 00 00 00"},
	{"smod32_reg", "smod32 %r1, %r2", "9c 21 01 00 00 00 00 00"},
	{"movsx832", "movsx832 %r1, %r2", "bc 21 08 00 00 00 00 00"},
	{"movsx3264", "movsx3264 %r1, %r2", "bf 21 20 00 00 00 00 00"},
	{"swap16_alias", "swap16 %r3", "d7 03 00 00 10 00 00 00"},
	{"bswap64", "bswap64 %r3", "d7 03 00 00 40 00 00 00"},
	{"be64", "be64 %r1", "dc 01 00 00 40 00 00 00"},
	{"le16", "le16 %r1", "d4 01 00 00 10 00 00 00"},
	{"neg32", "neg32 %r4", "84 04 00 00 00 00 00 00"},
	{"exit", "exit", "95 00 00 00 00 00 00 00"},
	{"lddw_map_fd", "lddw_map_fd %r1, 3", "18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00"},
	{"lddw_map_value", "lddw_map_value %r1, 0x800000003",
	 "18 21 00 00 03 00 00 00 00 00 00 00 08 00 00 00"},
	{"lddw_func", "lddw_func %r2, +1\nexit\nexit",
	 "18 42 00 00 01 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00 "
	 "95 00 00 00 00 00 00 00"},
	{"ldabsw", "ldabsw 4", "20 00 00 00 04 00 00 00"},
	{"ldindh", "ldindh %r3, 2", "48 30 00 00 02 00 00 00"},
	{"may_goto", "may_goto +2", "e5 00 02 00 00 00 00 00"},
	{"ldacqw", "ldacqw %r0, [%r1+0]", "c3 10 00 00 00 01 00 00"},
	{"strelw", "strelw [%r1+0], %r2", "c3 21 00 00 10 01 00 00"},
	{"insn_raw", ".insn 0x0000002a000001b7", "b7 01 00 00 2a 00 00 00"},
	/* lexing */
	{"comma_no_blank", "add %r1,5", "07 01 00 00 05 00 00 00"},
	{"blanks_no_comma", "add %r1 5", "07 01 00 00 05 00 00 00"},
	{"blanks_in_brackets", "ldxw %r0, [ %r1 + 4 ]", "61 10 04 00 00 00 00 00"},
	{"comments_blank_crlf", "# head\r\n\r\n  mov %r0, 1   # one\r\n\texit\r\n",
	 "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"},
	/* labels */
	{"label_forward", "ja done\nmov %r0, 1\ndone:\nexit",
	 "05 00 01 00 00 00 00 00 b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"},
	{"label_backward", "top:\nmov %r0, 0\nja top",
	 "b7 00 00 00 00 00 00 00 05 00 fe ff 00 00 00 00"},
	{"label_counts_lddw", "jeq %r1, 0, L\nlddw %r0, 1\nL:\nexit",
	 "15 01 02 00 00 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 "
	 "95 00 00 00 00 00 00 00"},
	{"label_implicit_exit", "jne %r1, 1, exit\nmov %r0, 2\nexit",
	 "55 01 01 00 01 00 00 00 b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"},
	{"label_call_local", "call local f\nexit\nf:\nexit",
	 "85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"},
	{"label_ja32", "ja32 L\nexit\nL:\nexit",
	 "06 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"},
};

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (n < max && sscanf(s, " %2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		s += used;
	}
	return n;
}

static void test_encodings(struct harness *h)
{
	for (size_t i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		const struct enc_case *c = &enc_cases[i];
		uint8_t want[64];
		size_t nwant = parse_hex(c->bytes, want, sizeof(want)), len = 0;
		struct bpf_insn *out = NULL;
		char name[80], log[512], got[256];

		snprintf(name, sizeof(name), "encode_%s", c->name);
		if (asm_text(c->text, &out, &len, log, sizeof(log))) {
			harness_fail(h, name, "does not assemble: %s", log);
			continue;
		}
		hex_of(out, 8 * len, got, sizeof(got));
		harness_check(h, 8 * len == nwant && !memcmp(out, want, nwant), name,
			      "got [%s], want [%s]", got, c->bytes);
		free(out);
	}
}

/* ---- errors ---- */

struct err_case {
	const char *name, *text, *message; /* expected substring of the log */
};

static const struct err_case err_cases[] = {
	{"unknown_mnemonic", "mov %r0, 1\nfoo %r1, 2\nexit", "line 2: unknown mnemonic 'foo'"},
	{"imm_hex_too_big", "mov32 %r1, 0x100000000", "line 1: '0x100000000' is out of range"},
	{"imm_dec_too_big", "exit\nmov %r1, 2147483648", "line 2: '2147483648' is out of range"},
	{"imm_dec_too_small", "mov %r1, -2147483649", "line 1: '-2147483649' is out of range"},
	{"imm_garbage", "mov %r1, 12ab", "line 1: '12ab' is not a number"},
	{"lddw_too_big", "lddw %r0, 0x10000000000000000", "line 1: '0x10000000000000000' is out"},
	{"lddw_too_small", "lddw %r0, -9223372036854775809",
	 "line 1: '-9223372036854775809' is out"},
	{"undefined_label", "ja nowhere\nexit", "line 1: undefined label 'nowhere'"},
	{"undefined_label_later", "mov %r0, 0\n\njeq %r0, 0, gone\nexit",
	 "line 3: undefined label 'gone'"},
	{"bad_register_16", "mov %r16, 1", "line 1: bad register '%r16'"},
	{"bad_register_name", "mov %r0, 1\nadd %rx, 1", "line 2: bad register '%rx'"},
	{"bad_register_bare", "add %r1, %r2\nsub %r1, %", "line 2: bad register '%'"},
	{"too_few_operands", "add %r1", "line 1: wrong operand count: 1 given"},
	{"too_many_operands", "exit %r0", "line 1: wrong operand count: 1 given"},
	{"wrong_operand_kind", "ldxw %r1, %r2", "line 1: wrong kind of operands for 'ldxw'"},
	{"mem_off_too_big", "ldxw %r0, [%r1+40000]", "line 1: memory operand '[%r1+40000]'"},
	{"mem_negative_hex", "stxw [%r1-0x4], %r2", "negative hex"},
	{"mem_unclosed", "ldxw %r0, [%r1+4", "missing its closing ']'"},
	{"jump_too_far", "ja +32768", "line 1: '+32768' is out of range"},
	{"duplicate_label", "L:\nexit\nL:\nexit", "line 3: label 'L' already defined on line 1"},
	{"text_after_label", "L: exit", "line 1: text after label 'L:'"},
	{"bad_label_name", "a-b:\nexit", "line 1: bad label name"},
	{"stray_comma", "mov %r1,, 2", "line 1: empty operand"},
	{"lock_alone", "lock [%r1], %r2", "line 1: unknown mnemonic 'lock'"},
	{"call_label_for_helper", "call exit\nexit", "line 1: 'exit' is not a number"},
};

static void test_errors(struct harness *h)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct bpf_insn *out = (struct bpf_insn *)&out;
		char name[80], log[1024];
		size_t len = 99;
		int err;

		if (!c->message)
			continue;
		snprintf(name, sizeof(name), "error_%s", c->name);
		err = asm_text(c->text, &out, &len, log, sizeof(log));
		if (err != -EINVAL) {
			harness_fail(h, name, "returned %d, want -EINVAL", err);
			free(err ? NULL : out);
			continue;
		}
		harness_check(h, strstr(log, c->message) && !out && !len, name,
			      "log '%s' lacks '%s' (or output not cleared)", log, c->message);
	}
}

/* A label 40000 slots ahead does not fit a 16-bit jump offset. */
static void test_far_label(struct harness *h)
{
	size_t n = 40000, pos = 0, len = 0;
	char *text = malloc(n * 5 + 64), log[512];
	struct bpf_insn *out = NULL;
	int err;

	if (!text) {
		harness_fail(h, "error_far_label", "out of memory");
		return;
	}
	pos += (size_t)sprintf(text, "jeq %%r1, 0, far\n");
	for (size_t i = 0; i < n; i++)
		pos += (size_t)sprintf(text + pos, "exit\n");
	sprintf(text + pos, "far:\nexit\n");
	err = asm_text(text, &out, &len, log, sizeof(log));
	harness_check(h, err == -EINVAL && strstr(log, "line 1: target 'far' is 40000 slots away"),
		      "error_far_label", "err %d, log '%s'", err, log);
	if (!err)
		free(out);
	free(text);
}

/* ---- robustness ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Lines glued from pieces that look almost right; none may crash. */
static void test_garbage(struct harness *h)
{
	/* clang-format off */
	static const char *const pieces[] = {
		"mov", "lock", "fetch", "add32", "call", "local", "runtime", "lddw", "ja32", "%r1",
		"%r10", "%r", "%r99", "[%r1", "[%r1+4]", "[%r1-0x8]", "[]", "[%r1+]", "0x", "-",
		"+", "+3", "-0", "0xffffffffffffffffff", "99999999999999999999", ",", ",,", ":",
		"L:", "L", "#", "\n", "\r", "\t", "exit", "swap16", ".insn", "neg", "jeq", "[",
		"]", "may_goto", "ldxw", "stw", "cmpxchg", "xchg32",
	};
	/* clang-format on */
	char text[512], log[256];
	int crashed = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0, n = 1 + rnd() % 12;
		struct bpf_insn *out = NULL;
		size_t slots = 0;

		for (size_t i = 0; i < n; i++) {
			const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", p,
						rnd() % 3 ? " " : "");
			if (len >= sizeof(text) - 1)
				break;
		}
		if (asm_text(text, &out, &slots, log, sizeof(log)) == 0)
			free(out);
		else if (out)
			crashed = 1;
	}
	harness_check(h, !crashed, "garbage_text", "a failed assembly left output behind");
}

/* Any slots at all, disassembled in the conformance dialect, assemble back
 * to the same bytes (unknown ones through `.insn`); the kernel syntax and
 * tiny buffers never overflow. */
static void test_random_slots(struct harness *h)
{
	int bad = 0;

	for (int iter = 0; iter < 200000 && bad < 5; iter++) {
		uint64_t r[2] = {rnd(), rnd()};
		struct bpf_insn s[2], *out = NULL;
		char text[256], small[8], log[256];
		size_t len = 0, left = 1 + (size_t)(iter & 1);
		int used;

		memcpy(s, r, sizeof(s));
		/* Bias towards real opcodes and lddw pairs. */
		if (iter % 3 == 0)
			s[0].code = isa_ops[rnd() % ISA_OP_COUNT].code;
		if (iter % 7 == 0)
			s[1].code = 0, s[1].dst_reg = 0, s[1].src_reg = 0, s[1].off = 0;
		used = isa_disasm_insn(s, left, 0, ISA_SYNTAX_CONFORMANCE, text, sizeof(text));
		isa_disasm_insn(s, left, 0, ISA_SYNTAX_KERNEL, small, sizeof(small));
		if (strlen(small) >= sizeof(small) || used < 1 || (size_t)used > left) {
			harness_fail(h, "random_slots", "bad result %d for '%s'", used, text);
			bad++;
			continue;
		}
		if (asm_text(text, &out, &len, log, sizeof(log)) || len != (size_t)used ||
		    memcmp(out, s, 8 * len)) {
			char want[64];
			hex_of(s, 8 * (size_t)used, want, sizeof(want));
			harness_fail(h, "random_slots", "[%s] -> '%s' does not assemble back: %s",
				     want, text, log);
			bad++;
		}
		free(out);
	}
	if (!bad)
		harness_pass(h, "random_slots");
}

int main(void)
{
	struct harness h = {0};

	for (int row = 0; row < ISA_OP_COUNT; row++)
		for (int variant = 0; variant < 3; variant++)
			test_row(&h, row, variant);
	test_encodings(&h);
	test_errors(&h);
	test_far_label(&h);
	test_garbage(&h);
	test_random_slots(&h);
	return harness_exit(&h);
}
