/* Lexing for the conformance-dialect assembler: splitting a line into words,
 * and reading registers, numbers and memory operands.  Internal to src/isa/.
 */
#ifndef SKEP_ISA_ASM_LEX_H
#define SKEP_ISA_ASM_LEX_H

#include <stdint.h>

/* Mnemonic words plus at most three operands; more is an error anyway, the
 * spare room lets the error say how many there were. */
#define ASM_MAX_WORDS 12

struct asm_words {
	char *w[ASM_MAX_WORDS];
	int n;
};

/* Splits `line` in place on blanks and commas; a bracketed memory operand
 * stays one word even with blanks inside.  Returns NULL or what is wrong. */
const char *asm_split(char *line, struct asm_words *out);

/* An integer token as written: sign, magnitude, and whether it was hex. */
struct asm_num {
	uint64_t mag;
	uint8_t neg, hex;
	uint8_t big; /* more than 64 bits: fits nothing */
};

/* The accepted values of one kind of field: the largest hex magnitude and the
 * largest decimal magnitudes either side of zero. */
struct asm_range {
	uint64_t hex_max, pos_max, neg_max;
	const char *out_of_range; /* the error message */
};

extern const struct asm_range asm_range_imm32, asm_range_imm64, asm_range_off16, asm_range_rel32;

/* Reads a whole token as [+-]decimal or [+]0xhex; -1 if it is not one. */
int asm_parse_num(const char *s, struct asm_num *num);
/* Fits a number into a range; the value's bits (two's complement) in *out.
 * Returns NULL or what is wrong. */
const char *asm_num_fit(const struct asm_num *num, const struct asm_range *r, uint64_t *out);
/* %r0 .. %r15; -1 if `s` is not a register. */
int asm_parse_reg(const char *s, uint8_t *reg);
/* [%rN], [%rN+off], [%rN-off] (blanks allowed inside).  Returns NULL or
 * what is wrong. */
const char *asm_parse_mem(const char *s, uint8_t *reg, int16_t *off);
/* Is `s` a usable label name? */
int asm_label_ok(const char *s);

#endif
