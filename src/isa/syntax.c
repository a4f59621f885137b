/* Operand layouts of the conformance dialect per instruction form (see
 * syntax.h); the table is indexed by enum isa_form. */
#include "isa/syntax.h"

/* clang-format off */
#define S(...) {__VA_ARGS__}

const struct isa_form_syntax isa_form_syntax[] = {
	[ISA_FORM_ALU_IMM]    = {2, 0, S(ISA_OPND_DST, ISA_OPND_IMM), "%rD, imm"},
	[ISA_FORM_ALU_REG]    = {2, 0, S(ISA_OPND_DST, ISA_OPND_SRC), "%rD, %rS"},
	[ISA_FORM_NEG]        = {1, 0, S(ISA_OPND_DST), "%rD"},
	[ISA_FORM_END]        = {1, 0, S(ISA_OPND_DST), "%rD"},
	[ISA_FORM_LDDW]       = {2, 0, S(ISA_OPND_DST, ISA_OPND_IMM64), "%rD, imm64"},
	[ISA_FORM_LD_ABS]     = {1, 0, S(ISA_OPND_IMM), "imm"},
	[ISA_FORM_LD_IND]     = {2, 0, S(ISA_OPND_SRC, ISA_OPND_IMM), "%rS, imm"},
	[ISA_FORM_LDX]        = {2, 0, S(ISA_OPND_DST, ISA_OPND_MEM_SRC), "%rD, [%rS+off]"},
	[ISA_FORM_ST]         = {2, 0, S(ISA_OPND_MEM_DST, ISA_OPND_IMM), "[%rD+off], imm"},
	[ISA_FORM_STX]        = {2, 0, S(ISA_OPND_MEM_DST, ISA_OPND_SRC), "[%rD+off], %rS"},
	[ISA_FORM_ATOMIC]     = {2, 0, S(ISA_OPND_MEM_DST, ISA_OPND_SRC), "[%rD+off], %rS"},
	[ISA_FORM_LDACQ]      = {2, 0, S(ISA_OPND_DST, ISA_OPND_MEM_SRC), "%rD, [%rS+off]"},
	[ISA_FORM_STREL]      = {2, 0, S(ISA_OPND_MEM_DST, ISA_OPND_SRC), "[%rD+off], %rS"},
	[ISA_FORM_JA]         = {1, 0, S(ISA_OPND_JMP_OFF), "target"},
	[ISA_FORM_JA32]       = {1, 0, S(ISA_OPND_JMP_IMM), "target"},
	[ISA_FORM_MAY_GOTO]   = {1, 0, S(ISA_OPND_JMP_OFF), "target"},
	[ISA_FORM_JMP_IMM]    = {3, 0, S(ISA_OPND_DST, ISA_OPND_IMM, ISA_OPND_JMP_OFF),
				 "%rD, imm, target"},
	[ISA_FORM_JMP_REG]    = {3, 0, S(ISA_OPND_DST, ISA_OPND_SRC, ISA_OPND_JMP_OFF),
				 "%rD, %rS, target"},
	[ISA_FORM_CALL]       = {1, 0, S(ISA_OPND_IMM), "helper-id"},
	[ISA_FORM_CALL_LOCAL] = {1, 0, S(ISA_OPND_JMP_IMM), "target"},
	[ISA_FORM_CALL_KFUNC] = {2, 1, S(ISA_OPND_IMM, ISA_OPND_OFF), "btf-id[, fd-index]"},
	[ISA_FORM_CALLX]      = {1, 0, S(ISA_OPND_DST), "%rD"},
	[ISA_FORM_EXIT]       = {0, 0, S(0), ""},
};

/* lddw_func holds the distance to a subprogram, written like a jump target. */
static const struct isa_form_syntax isa_lddw_func_syntax =
	{2, 0, S(ISA_OPND_DST, ISA_OPND_JMP_IMM), "%rD, target"};
/* clang-format on */

const struct isa_form_syntax *isa_row_syntax(const struct isa_op *op)
{
	if (op->form == ISA_FORM_LDDW && op->match == ISA_MATCH_SRC && op->mval == BPF_PSEUDO_FUNC)
		return &isa_lddw_func_syntax;
	return &isa_form_syntax[op->form];
}

static unsigned isa_opnd_fields(enum isa_opnd o)
{
	switch (o) {
	case ISA_OPND_DST:
		return ISA_FIELD_DST;
	case ISA_OPND_SRC:
		return ISA_FIELD_SRC;
	case ISA_OPND_IMM:
	case ISA_OPND_IMM64:
	case ISA_OPND_JMP_IMM:
		return ISA_FIELD_IMM;
	case ISA_OPND_OFF:
	case ISA_OPND_JMP_OFF:
		return ISA_FIELD_OFF;
	case ISA_OPND_MEM_DST:
		return ISA_FIELD_DST | ISA_FIELD_OFF;
	case ISA_OPND_MEM_SRC:
		return ISA_FIELD_SRC | ISA_FIELD_OFF;
	}
	return 0;
}

unsigned isa_row_fields(const struct isa_op *op)
{
	static const unsigned match_field[] = {0, ISA_FIELD_OFF, ISA_FIELD_IMM, ISA_FIELD_SRC};
	const struct isa_form_syntax *syn = isa_row_syntax(op);
	unsigned fields = match_field[op->match];

	for (int i = 0; i < syn->nopnds; i++)
		fields |= isa_opnd_fields(syn->opnd[i]);
	return fields;
}
