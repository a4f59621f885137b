/* skep disasm --jited: the x86-64 code skep's JIT makes of a program, each
 * eBPF instruction followed by the native instructions compiled from it, as
 * `bpftool prog dump jited` shows the kernel's.  Capstone disassembles; the
 * JIT says where each instruction's code starts (skep_prog_jited). */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "isa/isa.h"

/* Native instructions of [from, to) of the image, indented under their eBPF one. */
static void jited_range(csh cs, const uint8_t *code, size_t from, size_t to, int raw)
{
	cs_insn *ins;
	size_t n = from < to ? cs_disasm(cs, code + from, to - from, from, 0, &ins) : 0;
	size_t done = from;

	for (size_t k = 0; k < n; k++) {
		printf("      %5" PRIx64 ":  ", ins[k].address);
		if (raw) {
			for (size_t b = 0; b < ins[k].size; b++)
				printf("%02x ", ins[k].bytes[b]);
			printf("%*s", (int)(3 * (ins[k].size < 10 ? 10 - ins[k].size : 0)), "");
		}
		printf("%s %s\n", ins[k].mnemonic, ins[k].op_str);
		done = ins[k].address + ins[k].size;
	}
	if (n)
		cs_free(ins, n);
	if (done < to)
		printf("      %5zx:  (%zu bytes capstone cannot decode)\n", done, to - done);
}

int cli_print_jited(struct skep_prog *prog, int checked, int raw)
{
	struct skep_jited j;
	char log[4096] = "", text[256];
	const struct skep_insn *insns = skep_prog_insns(prog);
	csh cs;
	int err = skep_prog_jited(prog, checked, &j, log, sizeof(log));

	if (err) {
		fprintf(stderr, "skep: the JIT cannot compile this program: %s\n", log);
		return CLI_NEGATIVE;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		fprintf(stderr, "skep: capstone cannot open its x86-64 disassembler\n");
		return CLI_USAGE;
	}
	printf("; %zu bytes of x86-64 for %zu instruction slots%s\n", j.size, j.len,
	       checked ? " (checked: bounds and budget tests inline)" : "");
	/* The image starts with what comes before slot 0 (the entry trampoline). */
	jited_range(cs, j.code, 0, j.len ? j.insn_off[0] : 0, raw);
	for (size_t i = 0; i < j.len;) {
		int n = isa_disasm_insn((const struct bpf_insn *)&insns[i], j.len - i, i,
					ISA_SYNTAX_KERNEL, text, sizeof(text));
		size_t next = i + (size_t)(n > 0 ? n : 1);

		printf("%4zu: %s\n", i, text);
		jited_range(cs, j.code, j.insn_off[i], j.insn_off[next < j.len ? next : j.len], raw);
		i = next;
	}
	if (j.insn_off[j.len] < j.size) {
		printf("; shared stubs (helper calls, faults, tail calls)\n");
		jited_range(cs, j.code, j.insn_off[j.len], j.size, raw);
	}
	cs_close(&cs);
	return CLI_OK;
}
