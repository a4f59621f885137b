/* Operand layouts of the conformance assembly dialect, one per instruction
 * form, shared by the assembler and the disassembler so that the two cannot
 * disagree on what `jeq %r1, 5, +3` means.  Internal to src/isa/.
 */
#ifndef SKEP_ISA_SYNTAX_H
#define SKEP_ISA_SYNTAX_H

#include <stdint.h>

#include "isa/isa.h"

/* One operand of the dialect and the slot fields it fills. */
enum isa_opnd {
	ISA_OPND_DST,	  /* %rN -> dst */
	ISA_OPND_SRC,	  /* %rN -> src */
	ISA_OPND_IMM,	  /* 32-bit number -> imm */
	ISA_OPND_IMM64,	  /* 64-bit number -> imm of both lddw slots */
	ISA_OPND_OFF,	  /* 16-bit number -> off */
	ISA_OPND_MEM_DST, /* [%rN+off] -> dst, off */
	ISA_OPND_MEM_SRC, /* [%rN+off] -> src, off */
	ISA_OPND_JMP_OFF, /* label or +N/-N -> off */
	ISA_OPND_JMP_IMM, /* label or +N/-N -> imm */
};

/* Slot fields, to tell which ones a form leaves zero. */
enum { ISA_FIELD_DST = 1, ISA_FIELD_SRC = 2, ISA_FIELD_OFF = 4, ISA_FIELD_IMM = 8 };

#define ISA_MAX_OPNDS 3

struct isa_form_syntax {
	uint8_t nopnds;		     /* operands written */
	uint8_t optional;	     /* how many trailing ones may be left out (they are then 0) */
	uint8_t opnd[ISA_MAX_OPNDS]; /* enum isa_opnd */
	const char *usage;	     /* for error messages */
};

extern const struct isa_form_syntax isa_form_syntax[];

/* The operand layout of a row; lddw_func takes a jump target, not a constant. */
const struct isa_form_syntax *isa_row_syntax(const struct isa_op *op);
/* Fields a row's operands fill, plus the field that selects the row. */
unsigned isa_row_fields(const struct isa_op *op);

#endif
