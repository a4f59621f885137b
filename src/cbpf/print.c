/* Converted programs as text: the disassembler's kernel syntax, for files
 * that cannot include the ISA headers. */
#include "cbpf/print.h"
#include "isa/isa.h"

int cbpf_ebpf_line(const struct skep_insn *insns, size_t len, size_t idx, char *buf, size_t size)
{
	return isa_disasm_insn((const struct bpf_insn *)insns + idx, len - idx, idx,
			       ISA_SYNTAX_KERNEL, buf, size);
}
