/* The parts of the image that are not eBPF instructions: the trampoline C
 * calls to start a run, and the shared out-of-line stubs that stop a run,
 * check memory accesses and resolve callx targets.
 *
 * Stopping works from any call depth: the trampoline records in the jit_run
 * where its call to the eBPF function leaves the return address, and a stop
 * reloads that rsp and returns to the trampoline, with rax (eBPF r0) as it
 * was: the plain trampoline then returns to C, the batch one goes on to the
 * next packet or, if the run stopped with a status, returns to C.  Stubs
 * reached by `call` find the return address on the stack; it lies inside the
 * code of the eBPF instruction that stopped, which is how jit_run() names
 * that instruction.
 */
#include <string.h>

#include "core/callctx.h"
#include "jit/jit_x86.h"

static const uint8_t jit_c_saved[] = {X86_RBP, X86_RBX, X86_R12, X86_R13, X86_R14, X86_R15};

void jit_c_epilogue(struct x86_buf *e)
{
	x86_alu_ri(e, 8, X86_ADD, X86_RSP, 8);
	for (size_t r = sizeof(jit_c_saved); r-- > 0;)
		x86_pop(e, jit_c_saved[r]);
	x86_ret(e);
}

/* uint64_t entry(struct jit_run *run): registers as the interpreter starts
 * them (r1-r5 the arguments, r10 the stack top, the rest zero), then a call
 * to the function run->entry names (the main function, or a callback's). */
/* A jump to code already emitted in this pass (stubs refer to earlier stubs). */
static void jit_jmp_back(struct x86_buf *e, int cc, size_t to)
{
	int64_t rel8 = (int64_t)to - (int64_t)(e->len + 2);

	if (x86_fits8(rel8) && cc < 0)
		x86_jmp_rel8(e, (int8_t)rel8);
	else if (x86_fits8(rel8))
		x86_jcc_rel8(e, cc, (int8_t)rel8);
	else if (cc < 0)
		x86_jmp_rel32(e, (int32_t)((int64_t)to - (int64_t)(e->len + X86_JMP32_LEN)));
	else
		x86_jcc_rel32(e, cc, (int32_t)((int64_t)to - (int64_t)(e->len + X86_JCC32_LEN)));
}

void jit_c_prologue(struct x86_buf *e)
{
	for (size_t r = 0; r < sizeof(jit_c_saved); r++)
		x86_push(e, jit_c_saved[r]);
	x86_alu_ri(e, 8, X86_SUB, X86_RSP, 8); /* 16-byte alignment inside the functions */
	x86_mov_rr(e, 8, JIT_RUN, X86_RDI);
}

/* Registers as the interpreter starts them, then the call; a stop comes
 * back to just after it (saved_rsp is where the call puts its return address). */
void jit_emit_entry_regs(struct x86_buf *e)
{
	for (unsigned r = 1; r <= 5; r++)
		x86_load(e, 8, jit_reg(r), JIT_RUN, JIT_RUN_OFF(args) + 8 * (int32_t)(r - 1));
	x86_alu_rr(e, 4, X86_XOR, X86_RAX, X86_RAX);
	for (unsigned r = 6; r <= 9; r++)
		x86_alu_rr(e, 4, X86_XOR, jit_reg(r), jit_reg(r));
}

static void jit_c_call_entry(struct x86_buf *e)
{
	x86_lea(e, JIT_T1, X86_RSP, -8);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(saved_rsp), JIT_T1);
	x86_load(e, 8, X86_RBP, JIT_RUN, JIT_RUN_OFF(stack_top));
	jit_emit_entry_regs(e);
	x86_call_m(e, JIT_RUN, JIT_RUN_OFF(entry));
}

void jit_emit_trampoline(struct jit_state *s)
{
	jit_c_prologue(&s->e);
	jit_c_call_entry(&s->e);
	jit_c_epilogue(&s->e);
}

/* A forward branch whose 32-bit distance is filled in by jit_bind32. */
static size_t jit_jcc32_fwd(struct x86_buf *e, enum x86_cc cc)
{
	x86_jcc_rel32(e, cc, 0);
	return e->len - 4;
}

static void jit_bind32(struct x86_buf *e, size_t at)
{
	int32_t rel = (int32_t)(e->len - (at + 4));

	if (!e->err)
		memcpy(e->buf + at, &rel, sizeof(rel));
}

/* The data of the item JIT_BATCH_AHEAD ahead, if there is one, is on its
 * way into the cache while the one at `cur` runs. */
void jit_emit_batch_prefetch(struct x86_buf *e, int cur)
{
	size_t skip;

	x86_mov_rr(e, 8, JIT_T1, cur);
	x86_alu_rm(e, 8, X86_ADD, JIT_T1, JIT_RUN, JIT_RUN_OFF(batch_ahead));
	x86_alu_rm(e, 8, X86_CMP, JIT_T1, JIT_RUN, JIT_RUN_OFF(batch_end));
	skip = x86_jcc8_fwd(e, X86_CC_AE);
	x86_alu_rm(e, 8, X86_ADD, JIT_T1, JIT_RUN, JIT_RUN_OFF(batch_data_off));
	x86_load(e, 8, JIT_T1, JIT_T1, 0);
	/* prefetcht0 [r11] */
	x86_byte(e, 0x41);
	x86_byte(e, 0x0f);
	x86_byte(e, 0x18);
	x86_byte(e, 0x0b);
	x86_bind8(e, skip);
}

void jit_emit_batch_item(struct x86_buf *e)
{
	jit_emit_batch_prefetch(e, JIT_T0);
	x86_load(e, 8, JIT_T2, JIT_RUN, JIT_RUN_OFF(cx));
	x86_load(e, 8, JIT_T1, JIT_RUN, JIT_RUN_OFF(batch_data_off));
	x86_alu_rr(e, 8, X86_ADD, JIT_T1, JIT_T0);
	x86_load(e, 8, JIT_T1, JIT_T1, 0);
	x86_store(e, 8, JIT_T2, (int32_t)offsetof(struct skep_call_ctx, packet), JIT_T1);
	x86_load(e, 8, JIT_T1, JIT_RUN, JIT_RUN_OFF(batch_len_off));
	x86_alu_rr(e, 8, X86_ADD, JIT_T1, JIT_T0);
	x86_load(e, 8, JIT_T1, JIT_T1, 0);
	x86_store(e, 8, JIT_T2, (int32_t)offsetof(struct skep_call_ctx, packet_len), JIT_T1);
}

/* uint64_t batch_entry(struct jit_run *run): the program once per item, as
 * the plain trampoline runs it once, without going back to C in between
 * (for a small filter the way in and out of C costs more than the filter).
 * A run that stops with a status ends the batch at its item. */
size_t jit_emit_batch_trampoline(struct jit_state *s)
{
	struct x86_buf *e = &s->e;
	size_t start = e->len, loop, to_end, to_stop;

	jit_c_prologue(e);
	loop = e->len;
	x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_cur));
	x86_alu_rm(e, 8, X86_CMP, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_end));
	to_end = jit_jcc32_fwd(e, X86_CC_AE);
	jit_emit_batch_item(e);
	jit_c_call_entry(e);
	x86_alu_mi(e, 8, X86_CMP, JIT_RUN, JIT_RUN_OFF(status), JIT_STOP_NONE);
	to_stop = x86_jcc8_fwd(e, X86_CC_NE);
	x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(verdicts));
	x86_store(e, 4, JIT_T0, 0, X86_RAX);
	x86_alu_mi(e, 8, X86_ADD, JIT_RUN, JIT_RUN_OFF(verdicts), 4);
	x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_stride));
	x86_alu_mr(e, 8, X86_ADD, JIT_RUN, JIT_RUN_OFF(batch_cur), JIT_T0);
	jit_jmp_back(e, -1, loop);
	jit_bind32(e, to_end);
	x86_bind8(e, to_stop);
	jit_c_epilogue(e);
	return start;
}

static void jit_bind_all(struct x86_buf *e, const size_t *at, int n)
{
	for (int i = 0; i < n; i++)
		x86_bind8(e, at[i]);
}

/* Called with r10 = address, r11 = size.  Walks the call context's regions
 * in order, like the interpreter: the first region holding [a, a+n) decides
 * (read-only refuses a write); none holding it is a fault.  Keeps every
 * register but r9-r11. */
static void jit_emit_check_stub(struct jit_state *s, int write, int align)
{
	struct x86_buf *e = &s->e;
	size_t fail[2], next[3], misaligned = 0, report = 0;
	int nfail = 0, nnext = 0;
	size_t loop;

	x86_push(e, X86_RAX);
	x86_push(e, X86_RCX);
	x86_load(e, 8, JIT_T2, JIT_RUN, JIT_RUN_OFF(cx));
	x86_load(e, 8, X86_RCX, JIT_T2, (int32_t)offsetof(struct skep_call_ctx, nr_regions));
	x86_lea(e, JIT_T2, JIT_T2, (int32_t)offsetof(struct skep_call_ctx, regions));
	loop = e->len;
	x86_test_rr(e, 8, X86_RCX, X86_RCX);
	fail[nfail++] = x86_jcc8_fwd(e, X86_CC_E);
	x86_mov_rr(e, 8, X86_RAX, JIT_T0);
	x86_alu_rm(e, 8, X86_SUB, X86_RAX, JIT_T2, (int32_t)offsetof(struct skep_region, addr));
	next[nnext++] = x86_jcc8_fwd(e, X86_CC_B); /* a < lo */
	x86_alu_rm(e, 8, X86_CMP, X86_RAX, JIT_T2, (int32_t)offsetof(struct skep_region, size));
	next[nnext++] = x86_jcc8_fwd(e, X86_CC_A); /* a - lo > size */
	x86_neg(e, 8, X86_RAX);
	x86_alu_rm(e, 8, X86_ADD, X86_RAX, JIT_T2, (int32_t)offsetof(struct skep_region, size));
	x86_alu_rr(e, 8, X86_CMP, X86_RAX, JIT_T1);
	next[nnext++] = x86_jcc8_fwd(e, X86_CC_B); /* size - (a - lo) < n */
	if (write) {
		x86_alu_mi(e, 4, X86_CMP, JIT_T2, (int32_t)offsetof(struct skep_region, writable),
			   0);
		fail[nfail++] = x86_jcc8_fwd(e, X86_CC_E);
	}
	if (align) {
		x86_lea(e, X86_RAX, JIT_T1, -1);
		x86_test_rr(e, 8, X86_RAX, JIT_T0);
		misaligned = x86_jcc8_fwd(e, X86_CC_NE);
	}
	x86_pop(e, X86_RCX);
	x86_pop(e, X86_RAX);
	x86_ret(e);

	jit_bind_all(e, next, nnext);
	x86_alu_ri(e, 8, X86_ADD, JIT_T2, (int32_t)sizeof(struct skep_region));
	x86_alu_ri(e, 8, X86_SUB, X86_RCX, 1);
	jit_jmp_back(e, -1, loop);

	if (align) {
		x86_bind8(e, misaligned);
		x86_mov_ri32(e, JIT_T2, JIT_ACCESS_MISALIGNED);
		report = x86_jmp8_fwd(e);
	}
	jit_bind_all(e, fail, nfail);
	x86_mov_ri32(e, JIT_T2, write ? JIT_ACCESS_WRITE : JIT_ACCESS_READ);
	if (align)
		x86_bind8(e, report);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(fault_kind), JIT_T2);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(fault_addr), JIT_T0);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(fault_size), JIT_T1);
	x86_pop(e, X86_RCX);
	x86_pop(e, X86_RAX);
	x86_mov_ri32(e, JIT_T1, JIT_STOP_FAULT);
	jit_jmp_back(e, -1, s->next_stub[JIT_STUB_STOP]);
}

/* Called with r10 = the callx register and r11 = the jit_prog of the caller.
 * Calls jit_callx_resolve() (C), keeping r0-r5, and returns with r10 = the
 * code to call. */
static void jit_emit_callx_stub(struct jit_state *s)
{
	static const uint8_t keep[] = {X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8};
	struct x86_buf *e = &s->e;

	for (size_t r = 0; r < sizeof(keep); r++)
		x86_push(e, keep[r]);
	x86_mov_rr(e, 8, X86_RDI, JIT_RUN);
	x86_mov_rr(e, 8, X86_RSI, JIT_T0);
	x86_load(e, 8, X86_RDX, X86_RSP, 8 * (int32_t)sizeof(keep));
	x86_mov_rr(e, 8, X86_RCX, JIT_T1);
	x86_alu_ri(e, 8, X86_SUB, X86_RSP, 8); /* six pushes and a return address: realign */
	x86_movabs(e, X86_RAX, (uint64_t)(uintptr_t)jit_callx_resolve);
	x86_call_r(e, X86_RAX);
	x86_alu_ri(e, 8, X86_ADD, X86_RSP, 8);
	x86_mov_rr(e, 8, JIT_T0, X86_RAX);
	for (size_t r = sizeof(keep); r-- > 0;)
		x86_pop(e, keep[r]);
	x86_test_rr(e, 8, JIT_T0, JIT_T0);
	jit_jmp_back(e, X86_CC_E, s->next_stub[JIT_STUB_ABORT]); /* resolver set the status */
	x86_ret(e);
}

/* Called when a helper set cx->pending.  For a tail call: drop the return
 * address, and jump to the new program's first instruction in the same frame
 * (C finds or compiles its code), with r0 as the helper returned it and r1 as
 * it was at the call.  Otherwise stop; jit_run() reports abort_err. */
static void jit_emit_pending_stub(struct jit_state *s)
{
	struct x86_buf *e = &s->e;
	size_t tail;

	x86_load(e, 8, JIT_T1, JIT_RUN, JIT_RUN_OFF(cx));
	x86_alu_mi(e, 4, X86_CMP, JIT_T1, (int32_t)offsetof(struct skep_call_ctx, pending),
		   CALLCTX_TAIL_CALL);
	tail = x86_jcc8_fwd(e, X86_CC_E);
	x86_mov_ri32(e, JIT_T1, JIT_STOP_PENDING);
	jit_jmp_back(e, -1, s->next_stub[JIT_STUB_STOP]);
	x86_bind8(e, tail);
	x86_pop(e, JIT_T2);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(fault_ret), JIT_T2);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(saved_r0), X86_RAX);
	x86_mov_rr(e, 8, X86_RDI, JIT_RUN);
	x86_movabs(e, X86_RAX, (uint64_t)(uintptr_t)jit_tail_resolve);
	x86_call_r(e, X86_RAX); /* rsp is aligned: the return address is gone */
	x86_test_rr(e, 8, X86_RAX, X86_RAX);
	jit_jmp_back(e, X86_CC_E, s->next_stub[JIT_STUB_ABORT]);
	x86_mov_rr(e, 8, JIT_T0, X86_RAX);
	x86_load(e, 8, X86_RAX, JIT_RUN, JIT_RUN_OFF(saved_r0));
	x86_load(e, 8, X86_RDI, JIT_RUN, JIT_RUN_OFF(tail_r1));
	x86_jmp_r(e, JIT_T0);
}

static void jit_emit_stop_entry(struct jit_state *s, enum jit_stub stub, enum jit_stop why)
{
	s->next_stub[stub] = (uint32_t)s->e.len;
	x86_mov_ri32(&s->e, JIT_T1, why);
	jit_jmp_back(&s->e, -1, s->next_stub[JIT_STUB_STOP]);
}

void jit_emit_stubs(struct jit_state *s)
{
	struct x86_buf *e = &s->e;

	s->next_stub[JIT_STUB_PKT_OOB] = (uint32_t)e->len;
	x86_alu_rr(e, 4, X86_XOR, X86_RAX, X86_RAX);
	s->next_stub[JIT_STUB_ABORT] = (uint32_t)e->len; /* falls in from PKT_OOB */
	x86_load(e, 8, X86_RSP, JIT_RUN, JIT_RUN_OFF(saved_rsp));
	x86_ret(e); /* to the trampoline, just after its call */

	s->next_stub[JIT_STUB_STOP] = (uint32_t)e->len;
	x86_pop(e, JIT_T2);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(fault_ret), JIT_T2);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(status), JIT_T1);
	jit_jmp_back(e, -1, s->next_stub[JIT_STUB_ABORT]);

	jit_emit_stop_entry(s, JIT_STUB_BUDGET, JIT_STOP_BUDGET);
	jit_emit_stop_entry(s, JIT_STUB_DEPTH, JIT_STOP_DEPTH);
	jit_emit_stop_entry(s, JIT_STUB_KFUNC, JIT_STOP_KFUNC);
	for (int k = 0; k < 4; k++) {
		s->next_stub[JIT_STUB_CHECK_R + k] = (uint32_t)e->len;
		jit_emit_check_stub(s, k & 1, k >> 1);
	}
	s->next_stub[JIT_STUB_CALLX] = (uint32_t)e->len;
	jit_emit_callx_stub(s);
	s->next_stub[JIT_STUB_PENDING] = (uint32_t)e->len;
	jit_emit_pending_stub(s);
}
