/* Lexing for the conformance-dialect assembler (see asm_lex.h).  Everything
 * here works on one NUL-terminated line or word and never reads past it,
 * because the assembler is fed arbitrary text by the fuzzer. */
#include "isa/asm_lex.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

const struct asm_range asm_range_imm32 = {
	0xffffffffu, 0x7fffffffu, 0x80000000u,
	"is out of range for a 32-bit immediate (-2147483648..2147483647 or 0x0..0xffffffff)"};
const struct asm_range asm_range_imm64 = {
	UINT64_MAX, UINT64_MAX, (uint64_t)1 << 63,
	"is out of range for a 64-bit immediate "
	"(-9223372036854775808..18446744073709551615 or 0x0..0xffffffffffffffff)"};
const struct asm_range asm_range_off16 = {
	0x7fff, 0x7fff, 0x8000,
	"is out of range for a 16-bit offset (-32768..32767 or 0x0..0x7fff)"};
const struct asm_range asm_range_rel32 = {
	0x7fffffffu, 0x7fffffffu, 0x80000000u,
	"is out of range for a 32-bit distance (-2147483648..2147483647 or 0x0..0x7fffffff)"};

static int asm_is_blank(char c)
{
	return isspace((unsigned char)c);
}

/* Moves past one word: up to a blank or comma, except inside brackets. */
static char *asm_word_end(char *s)
{
	int in_brackets = 0;

	for (; *s; s++) {
		if (*s == '[')
			in_brackets = 1;
		else if (*s == ']')
			in_brackets = 0;
		else if (!in_brackets && (asm_is_blank(*s) || *s == ','))
			break;
	}
	return s;
}

const char *asm_split(char *s, struct asm_words *out)
{
	out->n = 0;
	for (;;) {
		while (asm_is_blank(*s))
			s++;
		if (!*s)
			return NULL;
		if (*s == ',')
			return "empty operand (stray comma)";
		if (out->n == ASM_MAX_WORDS)
			return "too many words on the line";
		out->w[out->n++] = s;
		s = asm_word_end(s);
		if (!*s)
			return NULL;
		/* One comma may follow a word, before or after blanks. */
		if (*s == ',') {
			*s++ = '\0';
			continue;
		}
		*s++ = '\0';
		while (asm_is_blank(*s))
			s++;
		if (*s == ',')
			s++;
	}
}

static int asm_digit(char c, int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < base ? d : -1;
}

int asm_parse_num(const char *s, struct asm_num *num)
{
	int base = 10, big = 0;
	uint64_t v = 0;

	*num = (struct asm_num){0};
	if (*s == '+' || *s == '-')
		num->neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		num->hex = 1;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		int d = asm_digit(*s, base);
		if (d < 0)
			return -1;
		if (v > (UINT64_MAX - (unsigned)d) / (unsigned)base)
			big = 1;
		v = v * (unsigned)base + (unsigned)d;
	}
	num->mag = v;
	num->big = (uint8_t)big;
	num->neg = num->neg && v; /* -0 is 0, also in hex */
	return 0;
}

const char *asm_num_fit(const struct asm_num *num, const struct asm_range *r, uint64_t *out)
{
	uint64_t limit;

	if (num->hex && num->neg && !num->big)
		return "is a negative hex number (write it in decimal)";
	limit = num->hex ? r->hex_max : num->neg ? r->neg_max : r->pos_max;
	if (num->big || num->mag > limit)
		return r->out_of_range;
	*out = num->neg ? (uint64_t)0 - num->mag : num->mag;
	return NULL;
}

int asm_parse_reg(const char *s, uint8_t *reg)
{
	unsigned v = 0;
	int digits = 0;

	if (s[0] != '%' || s[1] != 'r')
		return -1;
	for (s += 2; *s >= '0' && *s <= '9' && digits < 3; s++, digits++)
		v = v * 10 + (unsigned)(*s - '0');
	if (*s || digits == 0 || v > 15)
		return -1;
	*reg = (uint8_t)v;
	return 0;
}

const char *asm_parse_mem(const char *s, uint8_t *reg, int16_t *off)
{
	char buf[64], *sign, sign_char;
	struct asm_num num;
	uint64_t v = 0;
	size_t n = 0;

	if (*s != '[')
		return "is not a memory operand [%rN+off]";
	for (s++; *s; s++) {
		if (asm_is_blank(*s))
			continue;
		if (n + 1 >= sizeof(buf))
			return "is not a memory operand [%rN+off]";
		buf[n++] = *s;
	}
	if (n == 0 || buf[n - 1] != ']')
		return "is missing its closing ']'";
	buf[n - 1] = '\0';
	sign = strpbrk(buf, "+-");
	sign_char = sign ? *sign : '\0';
	if (sign)
		*sign = '\0';
	if (asm_parse_reg(buf, reg))
		return "has a bad base register (%r0-%r10)";
	if (!sign) {
		*off = 0;
		return NULL;
	}
	*sign = sign_char;
	if (asm_parse_num(sign, &num))
		return "has a bad offset (+N or -N)";
	const char *why = asm_num_fit(&num, &asm_range_off16, &v);
	if (why)
		return why;
	*off = (int16_t)(uint16_t)v;
	return NULL;
}

int asm_label_ok(const char *s)
{
	if (!*s || *s == '+' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '$')
			return 0;
	return 1;
}
