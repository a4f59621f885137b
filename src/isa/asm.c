/* PLACEHOLDER: being written (assembler). */
#include <errno.h>
#include "core/log.h"
#include "isa/isa.h"
int isa_assemble(const char *text, struct bpf_insn **out, size_t *len, struct skep_log *log)
{
	(void)text, (void)out, (void)len;
	log_printf(log, "assembler not written yet");
	return -ENOSYS;
}
