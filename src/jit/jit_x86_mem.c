/* Memory instructions: loads (zero- and sign-extending), stores, atomics,
 * load-acquire / store-release, and the legacy packet loads.
 *
 * Checked code calls a check stub before every access with the address in
 * r10 and the size in r11; the stub returns only if the access lies inside
 * one region of the call context (writable, for a write; aligned, for an
 * atomic), else it stops the run, so the access itself never faults.
 *
 * x86 is TSO: ordinary loads already have acquire and ordinary stores
 * release semantics, so load-acquire and store-release are plain moves.
 */
#include "core/callctx.h"
#include "jit/jit_x86.h"

static void jit_check(struct jit_state *s, int base, int16_t off, int size, enum jit_stub stub)
{
	if (!s->checked)
		return;
	x86_lea(&s->e, JIT_T0, base, off);
	x86_mov_ri32(&s->e, JIT_T1, (uint32_t)size);
	jit_stub_call(s, stub);
}

void jit_emit_mem(struct jit_state *s, const struct isa_insn *in)
{
	const struct isa_op *op = &isa_ops[in->op];
	int sz = isa_mem_size(op->code);
	int dst = jit_reg(in->dst), src = jit_reg(in->src);
	struct x86_buf *e = &s->e;

	switch (op->form) {
	case ISA_FORM_LDX:
	case ISA_FORM_LDACQ:
		jit_check(s, src, in->off, sz,
			  op->form == ISA_FORM_LDX ? JIT_STUB_CHECK_R : JIT_STUB_CHECK_RA);
		if (BPF_MODE(op->code) == BPF_MEMSX)
			x86_load_sx(e, sz, dst, src, in->off);
		else
			x86_load(e, sz, dst, src, in->off);
		break;
	case ISA_FORM_ST:
		jit_check(s, dst, in->off, sz, JIT_STUB_CHECK_W);
		if (s->harden) {
			jit_load_const(s, JIT_T2, (uint64_t)(int64_t)in->imm);
			x86_store(e, sz, dst, in->off, JIT_T2);
		} else {
			x86_store_imm(e, sz, dst, in->off, in->imm);
		}
		break;
	default: /* STX, STREL */
		jit_check(s, dst, in->off, sz,
			  op->form == ISA_FORM_STX ? JIT_STUB_CHECK_W : JIT_STUB_CHECK_WA);
		x86_store(e, sz, dst, in->off, src);
		break;
	}
}

/* fetch_or/and/xor have no x86 instruction that returns the old value:
 * a compare-exchange loop, with rax (eBPF r0) borrowed and kept in r9. */
static void jit_atomic_fetch_loop(struct x86_buf *e, int sz, enum x86_alu op, int dst, int16_t off,
				  int src)
{
	int val = src == X86_RAX ? JIT_T2 : src;
	size_t loop;

	x86_lea(e, JIT_T0, dst, off);
	x86_mov_rr(e, 8, JIT_T2, X86_RAX);
	x86_load(e, sz, X86_RAX, JIT_T0, 0);
	loop = e->len;
	x86_mov_rr(e, 8, JIT_T1, X86_RAX);
	x86_alu_rr(e, sz, op, JIT_T1, val);
	x86_lock(e);
	x86_cmpxchg_m(e, sz, JIT_T0, 0, JIT_T1);
	x86_jcc_rel8(e, X86_CC_NE, (int8_t)((int64_t)loop - (int64_t)(e->len + X86_JCC8_LEN)));
	x86_mov_rr(e, sz, src, X86_RAX); /* 32-bit: the old value zero-extended */
	if (src != X86_RAX)
		x86_mov_rr(e, 8, X86_RAX, JIT_T2);
}

void jit_emit_atomic(struct jit_state *s, const struct isa_insn *in)
{
	const struct isa_op *op = &isa_ops[in->op];
	int sz = isa_mem_size(op->code);
	int dst = jit_reg(in->dst), src = jit_reg(in->src);
	int fetch = op->mval & BPF_FETCH;
	struct x86_buf *e = &s->e;
	enum x86_alu alu = X86_ADD;

	jit_check(s, dst, in->off, sz, JIT_STUB_CHECK_WA);
	switch (op->mval & ~BPF_FETCH) {
	case BPF_OR:
		alu = X86_OR;
		break;
	case BPF_AND:
		alu = X86_AND;
		break;
	case BPF_XOR:
		alu = X86_XOR;
		break;
	case BPF_XCHG & ~BPF_FETCH:
		/* locked implicitly; the 32-bit form zero-extends src */
		x86_xchg_m(e, sz, dst, in->off, src);
		return;
	case BPF_CMPXCHG & ~BPF_FETCH:
		x86_lock(e);
		x86_cmpxchg_m(e, sz, dst, in->off, src);
		if (sz == 4) /* on success the 32-bit form leaves rax's upper half alone */
			x86_mov_rr(e, 4, X86_RAX, X86_RAX);
		return;
	}
	if (!fetch) {
		x86_lock(e);
		x86_alu_mr(e, sz, alu, dst, in->off, src);
	} else if (alu == X86_ADD) {
		x86_lock(e);
		x86_xadd_m(e, sz, dst, in->off, src);
	} else {
		jit_atomic_fetch_loop(e, sz, alu, dst, in->off, src);
	}
}

/* Legacy packet loads: r0 = the big-endian value at packet[o]; when o is
 * negative or the bytes run past the end, the program ends with r0 = 0. */
static void jit_ldpkt_value(struct x86_buf *e, int sz, int base, int32_t disp)
{
	x86_load(e, sz, X86_RAX, base, disp);
	if (sz == 2)
		x86_shift_ri(e, 2, X86_ROL, X86_RAX, 8); /* upper bits stay zero */
	else if (sz == 4)
		x86_bswap(e, 4, X86_RAX);
}

/* The fused batch loop may hold the packet and its length in registers the
 * program never names (jit_fuse.c). */
static int jit_pkt_in_regs(const struct jit_state *s)
{
	return s->fuse.on && s->fuse.pkt_reg >= 0;
}

/* Where the legacy packet is: the fused loop's jit_run fields (its code has
 * no calls, so nothing moves the packet), else the call context's, which
 * helpers move (T2 = the context).  Returns the base register. */
static int jit_pkt_base(struct jit_state *s, int32_t *data_off, int32_t *len_off)
{
	if (s->fuse.on) {
		*data_off = JIT_RUN_OFF(packet);
		*len_off = JIT_RUN_OFF(packet_len);
		return JIT_RUN;
	}
	x86_load(&s->e, 8, JIT_T2, JIT_RUN, JIT_RUN_OFF(cx));
	*data_off = (int32_t)offsetof(struct skep_call_ctx, packet);
	*len_off = (int32_t)offsetof(struct skep_call_ctx, packet_len);
	return JIT_T2;
}

/* Flags of the packet's length minus end, the length in the fused loop's
 * register (base < 0) or at [base + len_off]. */
static void jit_pkt_len_cmp(struct jit_state *s, int base, int32_t len_off, int64_t end)
{
	struct x86_buf *e = &s->e;

	if (end <= INT32_MAX && base < 0) {
		x86_alu_ri(e, 8, X86_CMP, s->fuse.len_reg, (int32_t)end);
	} else if (end <= INT32_MAX) {
		x86_alu_mi(e, 8, X86_CMP, base, len_off, (int32_t)end);
	} else {
		if (base < 0)
			x86_mov_rr(e, 8, JIT_T0, s->fuse.len_reg);
		else
			x86_load(e, 8, JIT_T0, base, len_off);
		x86_mov_ri32(e, JIT_T1, (uint32_t)end); /* fits: end < 2^31 + 8 */
		x86_alu_rr(e, 8, X86_CMP, JIT_T0, JIT_T1);
	}
}

/* LD_ABS with a constant offset: its bounds are partly known at compile time. */
static void jit_emit_ldabs(struct jit_state *s, int sz, int32_t imm)
{
	struct x86_buf *e = &s->e;
	int32_t data_off = 0, len_off = 0;
	int base = -1;

	if (imm < 0) {
		jit_stub_jmp(s, JIT_STUB_PKT_OOB);
		return;
	}
	if (!jit_pkt_in_regs(s))
		base = jit_pkt_base(s, &data_off, &len_off);
	jit_pkt_len_cmp(s, base, len_off, (int64_t)imm + sz);
	jit_stub_jcc(s, X86_CC_B, JIT_STUB_PKT_OOB);
	if (base < 0) {
		jit_ldpkt_value(e, sz, s->fuse.pkt_reg, imm);
		return;
	}
	x86_load(e, 8, JIT_T0, base, data_off);
	jit_ldpkt_value(e, sz, JIT_T0, imm);
}

void jit_emit_ldpkt(struct jit_state *s, const struct isa_insn *in)
{
	const struct isa_op *op = &isa_ops[in->op];
	int sz = isa_mem_size(op->code);
	struct x86_buf *e = &s->e;
	int32_t data_off = 0, len_off = 0;
	int base = -1;

	if (op->form == ISA_FORM_LD_ABS && !s->harden) {
		jit_emit_ldabs(s, sz, in->imm);
		return;
	}
	/* o = (s64)(s32)((u32)src + (u32)imm), LD_ABS being LD_IND with src = 0 */
	if (s->harden) {
		jit_load_const(s, JIT_T2, (uint32_t)in->imm);
		if (op->form == ISA_FORM_LD_IND)
			x86_alu_rr(e, 4, X86_ADD, JIT_T2, jit_reg(in->src));
		x86_mov_rr(e, 4, JIT_T1, JIT_T2);
	} else {
		x86_mov_rr(e, 4, JIT_T1, jit_reg(in->src));
		x86_alu_ri(e, 4, X86_ADD, JIT_T1, in->imm);
	}
	x86_movsx_rr(e, 8, 4, JIT_T1, JIT_T1);
	x86_test_rr(e, 8, JIT_T1, JIT_T1);
	jit_stub_jcc(s, X86_CC_S, JIT_STUB_PKT_OOB);
	x86_lea(e, JIT_T0, JIT_T1, sz);
	if (!jit_pkt_in_regs(s))
		base = jit_pkt_base(s, &data_off, &len_off);
	if (base < 0)
		x86_alu_rr(e, 8, X86_CMP, JIT_T0, s->fuse.len_reg);
	else
		x86_alu_rm(e, 8, X86_CMP, JIT_T0, base, len_off);
	jit_stub_jcc(s, X86_CC_A, JIT_STUB_PKT_OOB);
	if (base < 0)
		x86_alu_rr(e, 8, X86_ADD, JIT_T1, s->fuse.pkt_reg);
	else
		x86_alu_rm(e, 8, X86_ADD, JIT_T1, base, data_off);
	jit_ldpkt_value(e, sz, JIT_T1, 0);
}
