/* PLACEHOLDER: being written (disassembler). */
#include <stdio.h>
#include "isa/isa.h"
int isa_disasm_insn(const struct bpf_insn *raw, size_t left, size_t idx, enum isa_syntax syntax,
		    char *buf, size_t size)
{
	(void)left, (void)idx, (void)syntax;
	snprintf(buf, size, ".byte 0x%02x", raw->code);
	return 1;
}
