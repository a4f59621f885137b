/* The opcode table as data, expanded from opcodes.def, and lookups in it. */
#include "isa/isa.h"

#include <string.h>

/* clang-format off */
const struct isa_op isa_ops[ISA_OP_COUNT] = {
#define OP(ID, CODE, MATCH, MVAL, NAME, FORM, GROUP, CPU, KOP) \
	[ISA_OP_##ID] = {(CODE), ISA_MATCH_##MATCH, ISA_FORM_##FORM, ISA_GROUP_##GROUP, (CPU), (MVAL), NAME, KOP},
#include "isa/opcodes.def"
#undef OP
};
/* clang-format on */

static int isa_row_matches(const struct isa_op *op, const struct bpf_insn *insn)
{
	if (op->code != insn->code)
		return 0;
	switch (op->match) {
	case ISA_MATCH_OFF:
		return insn->off == op->mval;
	case ISA_MATCH_IMM:
		return insn->imm == op->mval;
	case ISA_MATCH_SRC:
		return insn->src_reg == op->mval;
	default:
		return 1;
	}
}

int isa_lookup(const struct bpf_insn *insn)
{
	for (int i = 0; i < ISA_OP_COUNT; i++)
		if (isa_row_matches(&isa_ops[i], insn))
			return i;
	return -1;
}

int isa_lookup_name(const char *name)
{
	for (int i = 0; i < ISA_OP_COUNT; i++)
		if (strcmp(isa_ops[i].name, name) == 0)
			return i;
	return -1;
}
