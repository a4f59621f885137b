/* Function frames and calls: every eBPF function is a native function, so a
 * bpf-to-bpf call is a native call and exit is a native return.
 *
 * The interpreter saves r6-r9 and r10 at a call and restores them at exit;
 * here the callee's prologue pushes them and its epilogue pops them, which is
 * the same thing.  Like the interpreter, a call from the eighth frame stops
 * the run (-E2BIG): eBPF frames are 512 bytes of the caller's 8-frame stack,
 * so the depth is read off r10 itself.
 *
 * Helpers are called with the System V ABI: r1-r5 already sit in the
 * argument registers, r9 gets the call context, r0 comes back in rax.  After
 * each helper the code looks at cx->pending, where a helper asks for a tail
 * call or for the run to stop.
 */
#include <errno.h>
#include <stddef.h>

#include "core/callctx.h"
#include "jit/jit_x86.h"

static const uint8_t jit_saved[] = {X86_RBX, X86_R13, X86_R14, X86_R15, X86_RBP};

void jit_emit_prologue(struct jit_state *s)
{
	struct x86_buf *e = &s->e;

	for (size_t r = 0; r < sizeof(jit_saved); r++)
		x86_push(e, jit_saved[r]);
	x86_alu_ri(e, 8, X86_SUB, X86_RBP, SKEP_STACK_SIZE);
	/* 16 bytes keep rsp aligned for helper calls; the counter is at [rsp]. */
	x86_alu_ri(e, 8, X86_SUB, X86_RSP, 16);
	x86_store_imm(e, 4, X86_RSP, 0, (int32_t)JIT_MAX_LOOPS);
}

void jit_emit_exit(struct jit_state *s)
{
	struct x86_buf *e = &s->e;

	x86_alu_ri(e, 8, X86_ADD, X86_RSP, 16);
	for (size_t r = sizeof(jit_saved); r-- > 0;)
		x86_pop(e, jit_saved[r]);
	x86_ret(e);
}

/* A helper that set cx->pending sends the run to the pending stub. */
static void jit_pending_check(struct jit_state *s)
{
	struct x86_buf *e = &s->e;

	x86_load(e, 8, JIT_T1, JIT_RUN, JIT_RUN_OFF(cx));
	x86_alu_mi(e, 4, X86_CMP, JIT_T1, (int32_t)offsetof(struct skep_call_ctx, pending),
		   CALLCTX_NONE);
	x86_jcc_rel8(e, X86_CC_E, X86_CALL32_LEN);
	jit_stub_call(s, JIT_STUB_PENDING);
}

void jit_emit_call(struct jit_state *s, const struct isa_insn *in)
{
	uint64_t fn = s->code->insns[s->slot].k; /* resolved when the program was loaded */
	struct x86_buf *e = &s->e;

	if (!fn) {
		jit_fail(s, -EINVAL, "call to unknown helper id %d", in->imm);
		return;
	}
	if (jit_emit_inline_call(s, in))
		return;
	if (in->imm == BPF_FUNC_tail_call)
		x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(tail_r1), X86_RDI);
	x86_load(e, 8, JIT_T2, JIT_RUN, JIT_RUN_OFF(cx));
	x86_movabs(e, X86_RAX, fn);
	x86_call_r(e, X86_RAX);
	jit_pending_check(s);
}

/* Stop with -E2BIG unless the current frame may call one deeper. */
static void jit_depth_check(struct jit_state *s)
{
	struct x86_buf *e = &s->e;

	x86_alu_rm(e, 8, X86_CMP, X86_RBP, JIT_RUN, JIT_RUN_OFF(stack_limit));
	x86_jcc_rel8(e, X86_CC_A, X86_CALL32_LEN);
	jit_stub_call(s, JIT_STUB_DEPTH);
}

void jit_emit_call_local(struct jit_state *s, const struct isa_insn *in)
{
	struct x86_buf *e = &s->e;
	int64_t to = s->ent[in->target];

	jit_depth_check(s);
	x86_call_rel32(e, (int32_t)(to - (int64_t)(e->len + X86_CALL32_LEN)));
}

/* callx: the register holds either a function's address (from lddw src=4)
 * or a helper id; the stub resolves which, at run time, as the interpreter
 * does. */
void jit_emit_callx(struct jit_state *s, const struct isa_insn *in)
{
	struct x86_buf *e = &s->e;
	size_t helper, done;

	x86_mov_rr(e, 8, JIT_T0, jit_reg(in->dst));
	x86_movabs(e, JIT_T1, (uint64_t)(uintptr_t)s->jit);
	jit_stub_call(s, JIT_STUB_CALLX);
	x86_alu_mi(e, 4, X86_CMP, JIT_RUN, JIT_RUN_OFF(callx_kind), 0);
	helper = x86_jcc8_fwd(e, X86_CC_NE);
	jit_depth_check(s);
	x86_call_r(e, JIT_T0);
	done = x86_jmp8_fwd(e);
	x86_bind8(e, helper);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(tail_r1), X86_RDI);
	x86_load(e, 8, JIT_T2, JIT_RUN, JIT_RUN_OFF(cx));
	x86_call_r(e, JIT_T0);
	jit_pending_check(s);
	x86_bind8(e, done);
}
