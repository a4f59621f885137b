/* x86-64 instruction encoders: prefixes, REX, ModRM/SIB and the handful of
 * opcodes the JIT uses.  Everything funnels through x86_op_rr() (register
 * operands) and x86_op_rm() (a [base+disp] memory operand), so the encoding
 * rules live in one place:
 *
 *   [66] [REX 0100WRXB] opcode(1-2 bytes) ModRM [SIB] [disp8|disp32] [imm]
 *
 * REX.W selects 64-bit operands, REX.R/REX.B extend the ModRM reg and
 * rm/base fields to r8-r15.  A REX with no bits set is still needed when an
 * 8-bit operand is spl/bpl/sil/dil, which would otherwise mean ah/ch/dh/bh.
 */
#include "jit/x86_emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void x86_buf_init(struct x86_buf *e, void *mem, size_t cap)
{
	*e = (struct x86_buf){.buf = mem, .cap = mem ? cap : 0, .grow = mem == NULL};
}

void x86_buf_release(struct x86_buf *e)
{
	if (e->grow)
		free(e->buf);
	e->buf = NULL;
	e->cap = e->len = 0;
}

void x86_buf_fail(struct x86_buf *e, int err)
{
	if (!e->err)
		e->err = err;
}

/* Room for n more bytes, or the sticky error. */
static int x86_room(struct x86_buf *e, size_t n)
{
	if (e->err)
		return 0;
	if (e->len + n <= e->cap)
		return 1;
	if (!e->grow) {
		x86_buf_fail(e, -E2BIG);
		return 0;
	}
	size_t cap = e->cap ? e->cap : 4096;
	while (cap < e->len + n)
		cap *= 2;
	uint8_t *p = realloc(e->buf, cap);
	if (!p) {
		x86_buf_fail(e, -ENOMEM);
		return 0;
	}
	e->buf = p;
	e->cap = cap;
	return 1;
}

void x86_byte(struct x86_buf *e, uint8_t b)
{
	if (x86_room(e, 1))
		e->buf[e->len++] = b;
}

void x86_u16(struct x86_buf *e, uint16_t v)
{
	x86_byte(e, (uint8_t)v);
	x86_byte(e, (uint8_t)(v >> 8));
}

void x86_u32(struct x86_buf *e, uint32_t v)
{
	x86_u16(e, (uint16_t)v);
	x86_u16(e, (uint16_t)(v >> 16));
}

void x86_u64(struct x86_buf *e, uint64_t v)
{
	x86_u32(e, (uint32_t)v);
	x86_u32(e, (uint32_t)(v >> 32));
}

/* spl, bpl, sil and dil need a REX prefix to be addressable as bytes. */
static int x86_byte_hazard(int r)
{
	return r >= X86_RSP && r <= X86_RDI;
}

/* Operand-size prefix and REX.  `bytes` says an 8-bit register operand may need REX. */
static void x86_prefix(struct x86_buf *e, int sz, int reg, int rm, int bytes)
{
	uint8_t rex = 0x40 | (sz == 8 ? 8 : 0) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0);

	if (sz == 2)
		x86_byte(e, 0x66);
	if (rex != 0x40 || bytes)
		x86_byte(e, rex);
}

static void x86_opcode(struct x86_buf *e, unsigned op)
{
	if (op > 0xff)
		x86_byte(e, (uint8_t)(op >> 8));
	x86_byte(e, (uint8_t)op);
}

/* ModRM for [base + disp]: the shortest displacement; rbp/r13 as base always
 * need one, rsp/r12 as base always need a SIB byte. */
static void x86_modrm_mem(struct x86_buf *e, int reg, int base, int32_t disp)
{
	int mod = disp == 0 && (base & 7) != X86_RBP ? 0 : x86_fits8(disp) ? 1 : 2;

	x86_byte(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == X86_RSP)
		x86_byte(e, 0x24);
	if (mod == 1)
		x86_byte(e, (uint8_t)disp);
	else if (mod == 2)
		x86_u32(e, (uint32_t)disp);
}

/* opcode with ModRM register-direct: reg field `reg`, rm field `rm`. */
static void x86_op_rr(struct x86_buf *e, int sz, unsigned op, int reg, int rm, int bytes)
{
	x86_prefix(e, sz, reg, rm, bytes);
	x86_opcode(e, op);
	x86_byte(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static void x86_op_rm(struct x86_buf *e, int sz, unsigned op, int reg, int base, int32_t disp,
		      int bytes)
{
	x86_prefix(e, sz, reg, base, bytes);
	x86_opcode(e, op);
	x86_modrm_mem(e, reg, base, disp);
}

void x86_alu_rr(struct x86_buf *e, int sz, enum x86_alu op, int dst, int src)
{
	x86_op_rr(e, sz, op * 8 + 1, src, dst, 0);
}

void x86_alu_ri(struct x86_buf *e, int sz, enum x86_alu op, int dst, int32_t imm)
{
	if (x86_fits8(imm)) {
		x86_op_rr(e, sz, 0x83, op, dst, 0);
		x86_byte(e, (uint8_t)imm);
	} else {
		x86_op_rr(e, sz, 0x81, op, dst, 0);
		x86_u32(e, (uint32_t)imm);
	}
}

void x86_alu_mr(struct x86_buf *e, int sz, enum x86_alu op, int base, int32_t disp, int src)
{
	x86_op_rm(e, sz, op * 8 + 1, src, base, disp, 0);
}

void x86_alu_mi(struct x86_buf *e, int sz, enum x86_alu op, int base, int32_t disp, int32_t imm)
{
	if (x86_fits8(imm)) {
		x86_op_rm(e, sz, 0x83, op, base, disp, 0);
		x86_byte(e, (uint8_t)imm);
	} else {
		x86_op_rm(e, sz, 0x81, op, base, disp, 0);
		x86_u32(e, (uint32_t)imm);
	}
}

void x86_alu_rm(struct x86_buf *e, int sz, enum x86_alu op, int dst, int base, int32_t disp)
{
	x86_op_rm(e, sz, op * 8 + 3, dst, base, disp, 0);
}

void x86_test_rr(struct x86_buf *e, int sz, int a, int b)
{
	x86_op_rr(e, sz, 0x85, b, a, 0);
}

void x86_test_ri(struct x86_buf *e, int sz, int r, int32_t imm)
{
	x86_op_rr(e, sz, 0xf7, 0, r, 0);
	x86_u32(e, (uint32_t)imm);
}

void x86_mov_rr(struct x86_buf *e, int sz, int dst, int src)
{
	x86_op_rr(e, sz, 0x89, src, dst, 0);
}

void x86_mov_ri32(struct x86_buf *e, int dst, uint32_t imm)
{
	x86_prefix(e, 4, 0, dst, 0);
	x86_byte(e, (uint8_t)(0xb8 + (dst & 7)));
	x86_u32(e, imm);
}

void x86_mov_ri_sx(struct x86_buf *e, int dst, int32_t imm)
{
	x86_op_rr(e, 8, 0xc7, 0, dst, 0);
	x86_u32(e, (uint32_t)imm);
}

void x86_movabs(struct x86_buf *e, int dst, uint64_t imm)
{
	x86_prefix(e, 8, 0, dst, 0);
	x86_byte(e, (uint8_t)(0xb8 + (dst & 7)));
	x86_u64(e, imm);
}

/* Note that v == 0 becomes xor, which clobbers the flags. */
void x86_mov_imm64(struct x86_buf *e, int dst, uint64_t v)
{
	if (v == 0)
		x86_alu_rr(e, 4, X86_XOR, dst, dst);
	else if (v <= UINT32_MAX)
		x86_mov_ri32(e, dst, (uint32_t)v);
	else if (x86_fits32((int64_t)v))
		x86_mov_ri_sx(e, dst, (int32_t)v);
	else
		x86_movabs(e, dst, v);
}

void x86_movzx_rr(struct x86_buf *e, int src_sz, int dst, int src)
{
	x86_op_rr(e, 4, src_sz == 1 ? 0x0fb6 : 0x0fb7, dst, src,
		  src_sz == 1 && x86_byte_hazard(src));
}

void x86_movsx_rr(struct x86_buf *e, int dst_sz, int src_sz, int dst, int src)
{
	unsigned op = src_sz == 1 ? 0x0fbe : src_sz == 2 ? 0x0fbf : 0x63;

	x86_op_rr(e, dst_sz, op, dst, src, src_sz == 1 && x86_byte_hazard(src));
}

void x86_lea(struct x86_buf *e, int dst, int base, int32_t disp)
{
	x86_op_rm(e, 8, 0x8d, dst, base, disp, 0);
}

void x86_lea_rip(struct x86_buf *e, int dst, int32_t rel)
{
	x86_byte(e, 0x48 | (dst >= 8 ? 4 : 0)); /* REX.W, REX.R */
	x86_byte(e, 0x8d);
	x86_byte(e, (uint8_t)(((dst & 7) << 3) | 5)); /* mod 00, rm 101: rip + disp32 */
	x86_u32(e, (uint32_t)rel);
}

void x86_load(struct x86_buf *e, int sz, int dst, int base, int32_t disp)
{
	static const unsigned op[9] = {[1] = 0x0fb6, [2] = 0x0fb7, [4] = 0x8b, [8] = 0x8b};

	x86_op_rm(e, sz == 8 ? 8 : 4, op[sz], dst, base, disp, 0);
}

void x86_load_sx(struct x86_buf *e, int sz, int dst, int base, int32_t disp)
{
	x86_op_rm(e, 8, sz == 1 ? 0x0fbe : sz == 2 ? 0x0fbf : 0x63, dst, base, disp, 0);
}

void x86_store(struct x86_buf *e, int sz, int base, int32_t disp, int src)
{
	x86_op_rm(e, sz, sz == 1 ? 0x88 : 0x89, src, base, disp, sz == 1 && x86_byte_hazard(src));
}

void x86_store_imm(struct x86_buf *e, int sz, int base, int32_t disp, int32_t imm)
{
	x86_op_rm(e, sz, sz == 1 ? 0xc6 : 0xc7, 0, base, disp, 0);
	if (sz == 1)
		x86_byte(e, (uint8_t)imm);
	else if (sz == 2)
		x86_u16(e, (uint16_t)imm);
	else
		x86_u32(e, (uint32_t)imm);
}

void x86_lock(struct x86_buf *e)
{
	x86_byte(e, 0xf0);
}

void x86_xadd_m(struct x86_buf *e, int sz, int base, int32_t disp, int src)
{
	x86_op_rm(e, sz, 0x0fc1, src, base, disp, 0);
}

void x86_xchg_m(struct x86_buf *e, int sz, int base, int32_t disp, int src)
{
	x86_op_rm(e, sz, 0x87, src, base, disp, 0);
}

void x86_cmpxchg_m(struct x86_buf *e, int sz, int base, int32_t disp, int src)
{
	x86_op_rm(e, sz, 0x0fb1, src, base, disp, 0);
}

void x86_shift_ri(struct x86_buf *e, int sz, enum x86_shift op, int dst, uint8_t imm)
{
	x86_op_rr(e, sz, 0xc1, op, dst, 0);
	x86_byte(e, imm);
}

void x86_shift_cl(struct x86_buf *e, int sz, enum x86_shift op, int dst)
{
	x86_op_rr(e, sz, 0xd3, op, dst, 0);
}

/* BMI2's shlx/shrx/sarx dst, src, count: VEX-encoded, any count register,
 * flags untouched; the count is masked to the width as eBPF masks it. */
void x86_shiftx(struct x86_buf *e, int sz, enum x86_shift op, int dst, int src, int count)
{
	uint8_t pp = op == X86_SHL ? 1 : op == X86_SAR ? 2 : 3; /* 66, F3, F2 */

	x86_byte(e, 0xc4);
	x86_byte(e, (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (src & 8 ? 0 : 0x20) | 0x02));
	x86_byte(e, (uint8_t)((sz == 8 ? 0x80 : 0) | ((~count & 15) << 3) | pp));
	x86_byte(e, 0xf7);
	x86_byte(e, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
}

void x86_imul_rr(struct x86_buf *e, int sz, int dst, int src)
{
	x86_op_rr(e, sz, 0x0faf, dst, src, 0);
}

void x86_imul_rri(struct x86_buf *e, int sz, int dst, int src, int32_t imm)
{
	if (x86_fits8(imm)) {
		x86_op_rr(e, sz, 0x6b, dst, src, 0);
		x86_byte(e, (uint8_t)imm);
	} else {
		x86_op_rr(e, sz, 0x69, dst, src, 0);
		x86_u32(e, (uint32_t)imm);
	}
}

void x86_div(struct x86_buf *e, int sz, int is_signed, int src)
{
	x86_op_rr(e, sz, 0xf7, is_signed ? 7 : 6, src, 0);
}

void x86_sign_extend_ax(struct x86_buf *e, int sz)
{
	if (sz == 8)
		x86_byte(e, 0x48);
	x86_byte(e, 0x99);
}

void x86_neg(struct x86_buf *e, int sz, int r)
{
	x86_op_rr(e, sz, 0xf7, 3, r, 0);
}

void x86_bswap(struct x86_buf *e, int sz, int r)
{
	x86_prefix(e, sz, 0, r, 0);
	x86_byte(e, 0x0f);
	x86_byte(e, (uint8_t)(0xc8 + (r & 7)));
}

void x86_push(struct x86_buf *e, int r)
{
	x86_prefix(e, 4, 0, r, 0);
	x86_byte(e, (uint8_t)(0x50 + (r & 7)));
}

void x86_pop(struct x86_buf *e, int r)
{
	x86_prefix(e, 4, 0, r, 0);
	x86_byte(e, (uint8_t)(0x58 + (r & 7)));
}

void x86_ret(struct x86_buf *e)
{
	x86_byte(e, 0xc3);
}

void x86_call_r(struct x86_buf *e, int r)
{
	x86_op_rr(e, 4, 0xff, 2, r, 0);
}

void x86_call_m(struct x86_buf *e, int base, int32_t disp)
{
	x86_op_rm(e, 4, 0xff, 2, base, disp, 0);
}

void x86_jmp_r(struct x86_buf *e, int r)
{
	x86_op_rr(e, 4, 0xff, 4, r, 0);
}

void x86_call_rel32(struct x86_buf *e, int32_t rel)
{
	x86_byte(e, 0xe8);
	x86_u32(e, (uint32_t)rel);
}

void x86_jmp_rel32(struct x86_buf *e, int32_t rel)
{
	x86_byte(e, 0xe9);
	x86_u32(e, (uint32_t)rel);
}

void x86_jmp_rel8(struct x86_buf *e, int8_t rel)
{
	x86_byte(e, 0xeb);
	x86_byte(e, (uint8_t)rel);
}

void x86_jcc_rel32(struct x86_buf *e, enum x86_cc cc, int32_t rel)
{
	x86_byte(e, 0x0f);
	x86_byte(e, (uint8_t)(0x80 + cc));
	x86_u32(e, (uint32_t)rel);
}

void x86_jcc_rel8(struct x86_buf *e, enum x86_cc cc, int8_t rel)
{
	x86_byte(e, (uint8_t)(0x70 + cc));
	x86_byte(e, (uint8_t)rel);
}

size_t x86_jcc8_fwd(struct x86_buf *e, enum x86_cc cc)
{
	x86_jcc_rel8(e, cc, 0);
	return e->len - 1;
}

size_t x86_jmp8_fwd(struct x86_buf *e)
{
	x86_jmp_rel8(e, 0);
	return e->len - 1;
}

void x86_bind8(struct x86_buf *e, size_t at)
{
	if (e->err)
		return;
	size_t rel = e->len - (at + 1);
	if (rel > 127) {
		x86_buf_fail(e, -ERANGE);
		return;
	}
	e->buf[at] = (uint8_t)rel;
}
