/* Division, modulo and shifts: the eBPF operations whose x86 forms are tied
 * to fixed registers (rdx:rax for div, cl for shift counts) that also hold
 * eBPF registers (r0, r3, r4), and whose edge cases differ from x86's.
 *
 * eBPF defines every case, where x86 would trap: x / 0 = 0, x % 0 = x (a
 * 32-bit x zero-extended), and for the signed forms INT_MIN / -1 = INT_MIN,
 * INT_MIN % -1 = 0.  Dividing by -1 is negation, so the code branches around
 * idiv for a zero or -1 divisor; a constant divisor is decided at compile time.
 */
#include "jit/jit_x86.h"

/* dst = dst / 0 (= 0) or dst % 0 (= dst, truncated to the width). */
static void jit_div_by_zero(struct x86_buf *e, int sz, int dst, int is_mod)
{
	if (!is_mod)
		x86_alu_rr(e, 4, X86_XOR, dst, dst);
	else if (sz == 4)
		x86_mov_rr(e, 4, dst, dst);
}

/* Signed dst / -1 = -dst (wrapping, so INT_MIN stays), dst % -1 = 0. */
static void jit_div_by_minus1(struct x86_buf *e, int sz, int dst, int is_mod)
{
	if (is_mod)
		x86_alu_rr(e, 4, X86_XOR, dst, dst);
	else
		x86_neg(e, sz, dst);
}

/* dst = dst op r11, by a divisor known not to trap.  rax and rdx are borrowed
 * (kept in r10 and r9) unless dst is one of them. */
static void jit_div_core(struct x86_buf *e, int sz, int dst, int is_mod, int is_signed)
{
	int res = is_mod ? X86_RDX : X86_RAX;

	if (dst != X86_RAX)
		x86_mov_rr(e, 8, JIT_T0, X86_RAX);
	if (dst != X86_RDX)
		x86_mov_rr(e, 8, JIT_T2, X86_RDX);
	if (dst != X86_RAX)
		x86_mov_rr(e, sz, X86_RAX, dst);
	if (is_signed)
		x86_sign_extend_ax(e, sz);
	else
		x86_alu_rr(e, 4, X86_XOR, X86_RDX, X86_RDX);
	x86_div(e, sz, is_signed, JIT_T1);
	if (dst != res)
		x86_mov_rr(e, sz, dst, res);
	if (dst != X86_RAX)
		x86_mov_rr(e, 8, X86_RAX, JIT_T0);
	if (dst != X86_RDX)
		x86_mov_rr(e, 8, X86_RDX, JIT_T2);
}

void jit_emit_divmod(struct jit_state *s, const struct isa_insn *in, int sz, int src, int is_imm)
{
	const struct isa_op *op = &isa_ops[in->op];
	int is_mod = BPF_OP(op->code) == BPF_MOD, is_signed = op->mval == 1;
	int dst = jit_reg(in->dst);
	struct x86_buf *e = &s->e;
	size_t zero, minus1 = 0, done, done2 = 0;

	if (is_imm) {
		uint64_t k = sz == 8 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
		if (k == 0) {
			jit_div_by_zero(e, sz, dst, is_mod);
		} else if (is_signed && in->imm == -1) {
			jit_div_by_minus1(e, sz, dst, is_mod);
		} else {
			x86_mov_imm64(e, JIT_T1, k);
			jit_div_core(e, sz, dst, is_mod, is_signed);
		}
		return;
	}
	x86_mov_rr(e, sz, JIT_T1, src);
	x86_test_rr(e, sz, JIT_T1, JIT_T1);
	zero = x86_jcc8_fwd(e, X86_CC_E);
	if (is_signed) {
		x86_alu_ri(e, sz, X86_CMP, JIT_T1, -1);
		minus1 = x86_jcc8_fwd(e, X86_CC_E);
	}
	jit_div_core(e, sz, dst, is_mod, is_signed);
	done = x86_jmp8_fwd(e);
	x86_bind8(e, zero);
	jit_div_by_zero(e, sz, dst, is_mod);
	if (is_signed) {
		done2 = x86_jmp8_fwd(e);
		x86_bind8(e, minus1);
		jit_div_by_minus1(e, sz, dst, is_mod);
		x86_bind8(e, done2);
	}
	x86_bind8(e, done);
}

/* Shifts.  x86 masks the count to the operand width just as eBPF does.  A
 * count in a register has to be in cl, which is eBPF r4: r4 is parked in r11
 * around the shift. */
void jit_emit_shift(struct jit_state *s, const struct isa_insn *in, int sz, int src, int is_imm)
{
	static const uint8_t kind[16] = {
		[BPF_LSH >> 4] = X86_SHL,
		[BPF_RSH >> 4] = X86_SHR,
		[BPF_ARSH >> 4] = X86_SAR,
	};
	enum x86_shift op = (enum x86_shift)kind[BPF_OP(isa_ops[in->op].code) >> 4];
	int dst = jit_reg(in->dst);
	struct x86_buf *e = &s->e;

	if (is_imm) {
		uint8_t n = (uint8_t)(in->imm & (sz * 8 - 1));
		if (n)
			x86_shift_ri(e, sz, op, dst, n);
		else if (sz == 4) /* a shift by 0 still truncates to 32 bits */
			x86_mov_rr(e, 4, dst, dst);
		return;
	}
	if (src == X86_RCX) {
		x86_shift_cl(e, sz, op, dst);
		return;
	}
	/* With BMI2 the count can stay where it is (as the kernel's JIT does);
	 * otherwise it goes through cl, rcx saved around it. */
	if (s->bmi2) {
		x86_shiftx(e, sz, op, dst, dst, src);
		return;
	}
	x86_mov_rr(e, 8, JIT_T1, X86_RCX);
	x86_mov_rr(e, 4, X86_RCX, src);
	if (dst == X86_RCX) {
		x86_shift_cl(e, sz, op, JIT_T1);
		x86_mov_rr(e, 8, X86_RCX, JIT_T1);
	} else {
		x86_shift_cl(e, sz, op, dst);
		x86_mov_rr(e, 8, X86_RCX, JIT_T1);
	}
}
