/* The instruction set stage: the opcode table, decoding with structural
 * checks, the disassembler and the assembler.
 *
 * Takes: raw 8-byte instruction slots (struct bpf_insn layout) or assembly text.
 * Gives: a decoded program (struct isa_prog) in which every slot names its
 * table row, jump and call targets are absolute slot indexes, and every
 * structural rule (known opcode, zero reserved fields, targets inside the
 * program, no write to r10, no fall-through off the end) has been checked.
 */
#ifndef SKEP_ISA_H
#define SKEP_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "isa/bpf_compat.h"

struct skep_log;

/* Operand layouts; each fixes the syntax and which fields must be zero. */
enum isa_form {
	ISA_FORM_ALU_IMM,    /* dst, imm */
	ISA_FORM_ALU_REG,    /* dst, src */
	ISA_FORM_NEG,        /* dst */
	ISA_FORM_END,        /* dst (width in imm) */
	ISA_FORM_LDDW,       /* dst, imm64 (two slots) */
	ISA_FORM_LD_ABS,     /* imm */
	ISA_FORM_LD_IND,     /* src, imm */
	ISA_FORM_LDX,        /* dst, [src+off] */
	ISA_FORM_ST,         /* [dst+off], imm */
	ISA_FORM_STX,        /* [dst+off], src */
	ISA_FORM_ATOMIC,     /* [dst+off], src (operation in imm) */
	ISA_FORM_LDACQ,      /* dst, [src+off] (imm = BPF_LOAD_ACQ) */
	ISA_FORM_STREL,      /* [dst+off], src (imm = BPF_STORE_REL) */
	ISA_FORM_JA,         /* off */
	ISA_FORM_JA32,       /* imm */
	ISA_FORM_MAY_GOTO,   /* off */
	ISA_FORM_JMP_IMM,    /* dst, imm, off */
	ISA_FORM_JMP_REG,    /* dst, src, off */
	ISA_FORM_CALL,       /* imm = helper id */
	ISA_FORM_CALL_LOCAL, /* imm = relative slot distance */
	ISA_FORM_CALL_KFUNC, /* imm = BTF id, off = BTF fd index */
	ISA_FORM_CALLX,      /* dst holds the target */
	ISA_FORM_EXIT,
};

enum isa_match { ISA_MATCH_NONE, ISA_MATCH_OFF, ISA_MATCH_IMM, ISA_MATCH_SRC };

/* RFC 9669 conformance groups (plus bpf_conformance's callx). */
enum isa_group {
	ISA_GROUP_BASE32,
	ISA_GROUP_BASE64,
	ISA_GROUP_ATOMIC32,
	ISA_GROUP_ATOMIC64,
	ISA_GROUP_DIVMUL32,
	ISA_GROUP_DIVMUL64,
	ISA_GROUP_PACKET,
	ISA_GROUP_CALLX,
};

enum isa_op_id {
#define OP(ID, ...) ISA_OP_##ID,
#include "isa/opcodes.def"
#undef OP
	ISA_OP_COUNT
};

struct isa_op {
	uint8_t code;
	uint8_t match; /* enum isa_match */
	uint8_t form;  /* enum isa_form */
	uint8_t group; /* enum isa_group */
	uint8_t cpu;   /* -mcpu level */
	int32_t mval;
	const char *name; /* conformance assembly mnemonic */
	const char *kop;  /* kernel-syntax operator */
};

extern const struct isa_op isa_ops[ISA_OP_COUNT];

/* Classification helpers read straight from the opcode byte. */
static inline int isa_class(uint8_t code) { return code & 0x07; }
static inline int isa_is_alu64(uint8_t code) { return isa_class(code) == BPF_ALU64; }
static inline int isa_is_jmp32(uint8_t code) { return isa_class(code) == BPF_JMP32; }
/* Bytes moved by a load/store/atomic opcode. */
static inline int isa_mem_size(uint8_t code)
{
	static const uint8_t sizes[4] = {4, 2, 1, 8};
	return sizes[(code >> 3) & 3];
}

/* The row an instruction slot belongs to, or -1 when no row matches. */
int isa_lookup(const struct bpf_insn *insn);
/* Rows with this mnemonic (first match), or -1. */
int isa_lookup_name(const char *name);

/* One decoded slot. */
struct isa_insn {
	int16_t op;      /* row index; -1 for the second half of an lddw */
	uint8_t dst, src;
	int16_t off;
	int32_t imm;
	uint64_t imm64;  /* lddw: the full constant */
	int32_t target;  /* jumps, local calls, lddw func: absolute slot index; else -1 */
};

struct isa_prog {
	struct isa_insn *insns;
	size_t len; /* in slots */
	uint8_t *is_func_start; /* entry and every local-call / func-pointer target */
};

/* Decode and structurally check raw slots. On error returns -EINVAL and
 * writes "insn N: ..." into the log. */
int isa_decode(const struct bpf_insn *raw, size_t len, struct isa_prog *out, struct skep_log *log);
void isa_prog_free(struct isa_prog *prog);

/* Disassembly of one slot into buf; returns the slots it used (1, or 2 for lddw). */
enum isa_syntax { ISA_SYNTAX_KERNEL, ISA_SYNTAX_CONFORMANCE };
int isa_disasm_insn(const struct bpf_insn *raw, size_t left, size_t idx, enum isa_syntax syntax,
		    char *buf, size_t size);

/* Assemble conformance-dialect text. On success *out is malloc'd slots. */
int isa_assemble(const char *text, struct bpf_insn **out, size_t *len, struct skep_log *log);

#endif
