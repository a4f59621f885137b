/* x86-64 instruction encoders for the JIT.
 *
 * Each function appends one machine instruction to an x86_buf.  The buffer
 * carries a sticky error: the first failure (out of memory, a full fixed-size
 * buffer, a short jump that does not reach) is recorded and every later call
 * emits nothing, so the translator checks once, at the end of a pass, instead
 * of after every instruction.
 *
 * Operand sizes are in bytes: 1, 2, 4 or 8.  A 4-byte register result is
 * zero-extended to 64 bits by the hardware, which is exactly eBPF's rule for
 * 32-bit ALU results, so the translator leans on it.
 */
#ifndef SKEP_JIT_X86_EMIT_H
#define SKEP_JIT_X86_EMIT_H

#include <stddef.h>
#include <stdint.h>

/* clang-format off */
enum x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Condition codes: the low nibble of Jcc (0x70+cc, 0x0f 0x80+cc). */
enum x86_cc {
	X86_CC_O, X86_CC_NO, X86_CC_B, X86_CC_AE, X86_CC_E, X86_CC_NE, X86_CC_BE, X86_CC_A,
	X86_CC_S, X86_CC_NS, X86_CC_P, X86_CC_NP, X86_CC_L, X86_CC_GE, X86_CC_LE, X86_CC_G,
};
/* clang-format on */

/* Group-1 arithmetic: the /digit of 0x81/0x83, and op*8+1 is the "op r/m, r" opcode. */
enum x86_alu { X86_ADD = 0, X86_OR = 1, X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7 };

/* Group-2 shifts and rotates: the /digit of 0xc1/0xd3. */
enum x86_shift { X86_ROL = 0, X86_ROR = 1, X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 };

struct x86_buf {
	uint8_t *buf;
	size_t len, cap;
	int grow; /* realloc when full; otherwise running out of room is an error */
	int err;  /* first failure (negative errno); once set, nothing is emitted */
};

/* A buffer of `cap` bytes at `mem` (no growing), or, with mem NULL, a growing one. */
void x86_buf_init(struct x86_buf *e, void *mem, size_t cap);
void x86_buf_release(struct x86_buf *e); /* frees a growing buffer */
void x86_buf_fail(struct x86_buf *e, int err);

void x86_byte(struct x86_buf *e, uint8_t b);
void x86_u16(struct x86_buf *e, uint16_t v);
void x86_u32(struct x86_buf *e, uint32_t v);
void x86_u64(struct x86_buf *e, uint64_t v);

/* Register-to-register and register-immediate arithmetic (sz 4 or 8). */
void x86_alu_rr(struct x86_buf *e, int sz, enum x86_alu op, int dst, int src);
void x86_alu_ri(struct x86_buf *e, int sz, enum x86_alu op, int dst, int32_t imm);
/* op [base+disp], src and op [base+disp], imm; op src, [base+disp]. */
void x86_alu_mr(struct x86_buf *e, int sz, enum x86_alu op, int base, int32_t disp, int src);
void x86_alu_mi(struct x86_buf *e, int sz, enum x86_alu op, int base, int32_t disp, int32_t imm);
void x86_alu_rm(struct x86_buf *e, int sz, enum x86_alu op, int dst, int base, int32_t disp);
void x86_test_rr(struct x86_buf *e, int sz, int a, int b);
void x86_test_ri(struct x86_buf *e, int sz, int r, int32_t imm);

/* Moves: mov_rr copies (sz 4 zero-extends); mov_ri32 is the zero-extending
 * 32-bit immediate; mov_ri_sx the sign-extended one; movabs the full 64 bits;
 * mov_imm64 picks the shortest encoding that produces `v`. */
void x86_mov_rr(struct x86_buf *e, int sz, int dst, int src);
void x86_mov_ri32(struct x86_buf *e, int dst, uint32_t imm);
void x86_mov_ri_sx(struct x86_buf *e, int dst, int32_t imm);
void x86_movabs(struct x86_buf *e, int dst, uint64_t imm);
void x86_mov_imm64(struct x86_buf *e, int dst, uint64_t v);
void x86_movzx_rr(struct x86_buf *e, int src_sz, int dst, int src);
void x86_movsx_rr(struct x86_buf *e, int dst_sz, int src_sz, int dst, int src);
void x86_lea(struct x86_buf *e, int dst, int base, int32_t disp);
/* dst = the address rel bytes past the end of this instruction (X86_LEA_RIP_LEN long). */
void x86_lea_rip(struct x86_buf *e, int dst, int32_t rel);

/* Memory: load zero-extends, load_sx sign-extends to 64 bits. */
void x86_load(struct x86_buf *e, int sz, int dst, int base, int32_t disp);
void x86_load_sx(struct x86_buf *e, int sz, int dst, int base, int32_t disp);
void x86_store(struct x86_buf *e, int sz, int base, int32_t disp, int src);
void x86_store_imm(struct x86_buf *e, int sz, int base, int32_t disp, int32_t imm);

/* Atomics (the caller adds x86_lock() where it needs one; xchg locks itself). */
void x86_lock(struct x86_buf *e);
void x86_xadd_m(struct x86_buf *e, int sz, int base, int32_t disp, int src);
void x86_xchg_m(struct x86_buf *e, int sz, int base, int32_t disp, int src);
void x86_cmpxchg_m(struct x86_buf *e, int sz, int base, int32_t disp, int src);

/* Shifts by an immediate or by cl; sz 2 is used for the 16-bit rotate of be16. */
void x86_shift_ri(struct x86_buf *e, int sz, enum x86_shift op, int dst, uint8_t imm);
void x86_shift_cl(struct x86_buf *e, int sz, enum x86_shift op, int dst);
/* BMI2 shlx/shrx/sarx (op X86_SHL, X86_SHR, X86_SAR): dst = src shifted by count. */
void x86_shiftx(struct x86_buf *e, int sz, enum x86_shift op, int dst, int src, int count);

void x86_imul_rr(struct x86_buf *e, int sz, int dst, int src);
void x86_imul_rri(struct x86_buf *e, int sz, int dst, int src, int32_t imm);
/* div/idiv of rdx:rax by src; cqo/cdq sign-extend rax into rdx first. */
void x86_div(struct x86_buf *e, int sz, int is_signed, int src);
void x86_sign_extend_ax(struct x86_buf *e, int sz);
void x86_neg(struct x86_buf *e, int sz, int r);
void x86_bswap(struct x86_buf *e, int sz, int r);

void x86_push(struct x86_buf *e, int r);
void x86_pop(struct x86_buf *e, int r);
void x86_ret(struct x86_buf *e);
void x86_call_r(struct x86_buf *e, int r);
void x86_call_m(struct x86_buf *e, int base, int32_t disp);
void x86_jmp_r(struct x86_buf *e, int r);

/* Branches with a displacement from the end of the instruction. */
void x86_call_rel32(struct x86_buf *e, int32_t rel);
void x86_jmp_rel32(struct x86_buf *e, int32_t rel);
void x86_jmp_rel8(struct x86_buf *e, int8_t rel);
void x86_jcc_rel32(struct x86_buf *e, enum x86_cc cc, int32_t rel);
void x86_jcc_rel8(struct x86_buf *e, enum x86_cc cc, int8_t rel);
/* Short jumps of 2 bytes whose target is not known yet: they return the spot
 * of the displacement byte, which x86_bind8() later points at the current end. */
size_t x86_jcc8_fwd(struct x86_buf *e, enum x86_cc cc);
size_t x86_jmp8_fwd(struct x86_buf *e);
void x86_bind8(struct x86_buf *e, size_t at);

/* Sizes of the branch forms, for choosing between short and long. */
#define X86_JMP8_LEN 2
#define X86_JMP32_LEN 5
#define X86_JCC8_LEN 2
#define X86_JCC32_LEN 6
#define X86_CALL32_LEN 5
#define X86_LEA_RIP_LEN 7

static inline int x86_fits8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static inline int x86_fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

#endif
