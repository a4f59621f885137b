/* libFuzzer target: arbitrary text through the assembler, and whatever
 * assembles through the decoder and the disassembler in both syntaxes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "isa/isa.h"

static void fuzz_disasm_all(const struct bpf_insn *insns, size_t len)
{
	char line[256];
	for (size_t i = 0; i < len;) {
		int used = isa_disasm_insn(insns + i, len - i, i, ISA_SYNTAX_KERNEL, line, sizeof(line));
		isa_disasm_insn(insns + i, len - i, i, ISA_SYNTAX_CONFORMANCE, line, sizeof(line));
		i += used > 0 ? (size_t)used : 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024];
	struct skep_log log = log_init(buf, sizeof(buf));
	char *text = malloc(size + 1);
	struct bpf_insn *insns = NULL;
	size_t len = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (isa_assemble(text, &insns, &len, &log) == 0) {
		struct isa_prog p;
		fuzz_disasm_all(insns, len);
		if (isa_decode(insns, len, &p, &log) == 0)
			isa_prog_free(&p);
		free(insns);
	}
	free(text);
	return 0;
}
