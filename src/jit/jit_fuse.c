/* The fused batch loop: for a small program without calls, a second copy of
 * its code inlined into the loop over a batch's items.
 *
 * The plain batch trampoline calls the program's function once per item, and
 * for a filter of a dozen instructions the call, the frame (five pushes and
 * pops) and the stop bookkeeping cost as much as the filter.  Without calls
 * a program's code never needs a frame of its own: r10 is set per item, an
 * exit jumps to the loop's "done" label, and an out-of-bounds packet load to
 * its "oob" label.  Any other stop still unwinds through saved_rsp, which
 * here points at a return address to the loop's "stop" label, so the stubs
 * work unchanged.
 *
 * Checked code, calls of any kind and may_goto (its counter lives in the
 * function frame) keep the plain trampoline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jit/jit_x86.h"

/* Copies past this size would only cost compile time: filters are small. */
#define JIT_FUSE_MAX_SLOTS 4096

int jit_fuse_eligible(const struct isa_prog *isa, int checked)
{
	if (checked || isa->len > JIT_FUSE_MAX_SLOTS)
		return 0;
	for (size_t i = 0; i < isa->len; i++) {
		const struct isa_insn *in = &isa->insns[i];
		if (i > 0 && isa->is_func_start[i])
			return 0;
		if (in->op < 0)
			continue;
		switch (isa_ops[in->op].form) {
		case ISA_FORM_CALL:
		case ISA_FORM_CALL_LOCAL:
		case ISA_FORM_CALL_KFUNC:
		case ISA_FORM_CALLX:
		case ISA_FORM_MAY_GOTO:
			return 0;
		default:
			break;
		}
	}
	return 1;
}

int jit_fuse_init(struct jit_state *s)
{
	size_t n = s->isa->len + 1;

	s->fuse.addr = calloc(n, sizeof(uint32_t));
	s->fuse.next = calloc(n, sizeof(uint32_t));
	return s->fuse.addr && s->fuse.next ? 0 : -ENOMEM;
}

void jit_fuse_free(struct jit_state *s)
{
	free(s->fuse.addr);
	free(s->fuse.next);
	s->fuse.addr = s->fuse.next = NULL;
}

int jit_fuse_settled(const struct jit_state *s)
{
	const struct jit_fuse *f = &s->fuse;

	if (!f->wanted)
		return 1;
	return !memcmp(f->addr, f->next, (s->isa->len + 1) * sizeof(uint32_t)) &&
	       f->oob == f->next_oob && f->done == f->next_done && f->stop == f->next_stop &&
	       f->start == f->next_start;
}

/* This pass's offsets become the ones the next pass reads. */
void jit_fuse_flip(struct jit_state *s)
{
	struct jit_fuse *f = &s->fuse;
	uint32_t *t = f->addr;

	if (!f->wanted)
		return;
	f->addr = f->next;
	f->next = t;
	f->oob = f->next_oob;
	f->done = f->next_done;
	f->stop = f->next_stop;
	f->start = f->next_start;
}

void jit_fuse_exit(struct jit_state *s)
{
	jit_branch_to(s, s->fuse.done, -1);
}

/* lea T1, [rip + to], to an offset of the previous pass. */
static void jit_fuse_lea_label(struct x86_buf *e, uint32_t to)
{
	x86_lea_rip(e, JIT_T1, (int32_t)((int64_t)to - (int64_t)(e->len + X86_LEA_RIP_LEN)));
}

/* The program's slots, branching within the copy. */
static void jit_fuse_body(struct jit_state *s)
{
	uint32_t *addr = s->addr, *next = s->next;

	s->addr = s->fuse.addr;
	s->next = s->fuse.next;
	s->fuse.on = 1;
	for (size_t i = 0; i < s->isa->len && !s->err; i++)
		jit_emit_slot(s, i);
	s->next[s->isa->len] = (uint32_t)s->e.len;
	s->fuse.on = 0;
	s->addr = addr;
	s->next = next;
}

/* After an item: its verdict from r0, then the next item. */
static void jit_fuse_done(struct x86_buf *e, size_t loop)
{
	x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(verdicts));
	x86_store(e, 4, JIT_T0, 0, X86_RAX);
	x86_alu_mi(e, 8, X86_ADD, JIT_RUN, JIT_RUN_OFF(verdicts), 4);
	x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_stride));
	x86_alu_mr(e, 8, X86_ADD, JIT_RUN, JIT_RUN_OFF(batch_cur), JIT_T0);
	x86_jmp_rel32(e, (int32_t)((int64_t)loop - (int64_t)(e->len + X86_JMP32_LEN)));
}

/* uint64_t batch_entry(struct jit_run *run), as the plain batch trampoline. */
void jit_emit_fused_batch(struct jit_state *s)
{
	struct x86_buf *e = &s->e;
	struct jit_fuse *f = &s->fuse;
	size_t loop, to_end;

	f->next_start = (uint32_t)e->len;
	jit_c_prologue(e);
	/* [saved_rsp] = the address of "stop": a stub's unwinding ret lands there */
	jit_fuse_lea_label(e, f->stop);
	x86_push(e, JIT_T1);
	x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(saved_rsp), X86_RSP);
	jit_emit_align(e);
	loop = e->len;
	x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_cur));
	x86_alu_rm(e, 8, X86_CMP, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_end));
	x86_jcc_rel32(e, X86_CC_AE, 0);
	to_end = e->len - 4;
	jit_emit_batch_item(e);
	jit_emit_entry_regs(e);
	/* r10 as the function prologue sets it: one frame below stack_top */
	x86_load(e, 8, X86_RBP, JIT_RUN, JIT_RUN_OFF(stack_top));
	x86_alu_ri(e, 8, X86_SUB, X86_RBP, SKEP_STACK_SIZE);
	jit_fuse_body(s);
	f->next_oob = (uint32_t)e->len;
	x86_alu_rr(e, 4, X86_XOR, X86_RAX, X86_RAX);
	f->next_done = (uint32_t)e->len;
	jit_fuse_done(e, loop);
	/* Unwound by a stub (rsp = saved_rsp + 8): put the return address back;
	 * a stop without a status (an abort) ends the item normally. */
	f->next_stop = (uint32_t)e->len;
	jit_fuse_lea_label(e, f->stop);
	x86_push(e, JIT_T1);
	x86_alu_mi(e, 8, X86_CMP, JIT_RUN, JIT_RUN_OFF(status), JIT_STOP_NONE);
	x86_jcc_rel32(e, X86_CC_E,
		      (int32_t)((int64_t)f->next_done - (int64_t)(e->len + X86_JCC32_LEN)));
	if (!e->err) {
		int32_t rel = (int32_t)(e->len - (to_end + 4));
		memcpy(e->buf + to_end, &rel, sizeof(rel));
	}
	x86_alu_ri(e, 8, X86_ADD, X86_RSP, 8);
	jit_c_epilogue(e);
}
