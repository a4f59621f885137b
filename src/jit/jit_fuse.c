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
 * The loop's own state (the item and verdict cursors, the packet and its
 * length) lives in host registers of eBPF registers the program never names
 * (classic BPF leaves r2-r5 and r9 alone), so no value is carried from one
 * item to the next through memory; what finds no free register stays in the
 * jit_run.  Registers the program never names are not set up per item either:
 * nothing can tell their values.
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

/* eBPF registers named as dst or src by some instruction. */
static uint16_t jit_fuse_named(const struct isa_prog *isa)
{
	uint16_t named = 0;

	for (size_t i = 0; i < isa->len; i++)
		if (isa->insns[i].op >= 0)
			named |= (uint16_t)(1u << (isa->insns[i].dst & 15) |
					    1u << (isa->insns[i].src & 15));
	return named;
}

/* Free registers for the loop, in order of worth: the cursors carry values
 * from item to item, the packet and its length only save loads. */
static void jit_fuse_pick_regs(struct jit_fuse *f)
{
	static const uint8_t order[] = {9, 5, 4, 3, 2, 8, 7, 6, 1};
	int *want[] = {&f->cur_reg, &f->out_reg, &f->pkt_reg, &f->len_reg};
	size_t k = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		*want[i] = -1;
	for (size_t i = 0; i < sizeof(order) && k < 4; i++)
		if (!(f->named & (1u << order[i])))
			*want[k++] = jit_reg(order[i]);
	for (int off = f->regs_off; off > 0 && k > 0; off--)
		*want[--k] = -1;
	if (f->len_reg < 0) /* the packet goes in registers both or neither */
		f->pkt_reg = -1;
}

int jit_fuse_init(struct jit_state *s)
{
	size_t n = s->isa->len + 1;

	s->fuse.named = jit_fuse_named(s->isa);
	jit_fuse_pick_regs(&s->fuse);

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

/* Where a piece of loop state lives: its register, or the jit_run. */
static void jit_fuse_get(struct x86_buf *e, int reg, int dst, int32_t off)
{
	if (reg >= 0)
		x86_mov_rr(e, 8, dst, reg);
	else
		x86_load(e, 8, dst, JIT_RUN, off);
}

static void jit_fuse_sync_out(struct x86_buf *e, const struct jit_fuse *f)
{
	if (f->cur_reg >= 0)
		x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(batch_cur), f->cur_reg);
	if (f->out_reg >= 0)
		x86_store(e, 8, JIT_RUN, JIT_RUN_OFF(verdicts), f->out_reg);
}

static void jit_fuse_sync_in(struct x86_buf *e, const struct jit_fuse *f)
{
	if (f->cur_reg >= 0)
		x86_load(e, 8, f->cur_reg, JIT_RUN, JIT_RUN_OFF(batch_cur));
	if (f->out_reg >= 0)
		x86_load(e, 8, f->out_reg, JIT_RUN, JIT_RUN_OFF(verdicts));
}

/* The item's packet (T0 = the item) into its registers or the jit_run. */
static void jit_fuse_item(struct x86_buf *e, const struct jit_fuse *f)
{
	int32_t offs[2] = {JIT_RUN_OFF(batch_data_off), JIT_RUN_OFF(batch_len_off)};
	int32_t dest[2] = {JIT_RUN_OFF(packet), JIT_RUN_OFF(packet_len)};
	int regs[2] = {f->pkt_reg, f->len_reg};

	jit_emit_batch_prefetch(e, JIT_T0);
	for (int i = 0; i < 2; i++) {
		int r = regs[i] >= 0 ? regs[i] : JIT_T1;
		x86_mov_rr(e, 8, r, JIT_T0);
		x86_alu_rm(e, 8, X86_ADD, r, JIT_RUN, offs[i]);
		x86_load(e, 8, r, r, 0);
		if (regs[i] < 0)
			x86_store(e, 8, JIT_RUN, dest[i], r);
	}
}

/* Registers as the interpreter starts a run, those the program names. */
static void jit_fuse_entry_regs(struct x86_buf *e, const struct jit_fuse *f)
{
	for (unsigned r = 0; r <= 9; r++) {
		if (!(f->named & (1u << r)))
			continue;
		if (r >= 1 && r <= 5)
			x86_load(e, 8, jit_reg(r), JIT_RUN,
				 JIT_RUN_OFF(args) + 8 * (int32_t)(r - 1));
		else
			x86_alu_rr(e, 4, X86_XOR, jit_reg(r), jit_reg(r));
	}
	if (f->named & (1u << 10)) {
		/* r10 as the function prologue sets it: one frame below stack_top */
		x86_load(e, 8, X86_RBP, JIT_RUN, JIT_RUN_OFF(stack_top));
		x86_alu_ri(e, 8, X86_SUB, X86_RBP, SKEP_STACK_SIZE);
	}
}

/* After an item: its verdict from r0, then the next item. */
static void jit_fuse_done(struct x86_buf *e, const struct jit_fuse *f, size_t loop)
{
	if (f->out_reg >= 0) {
		x86_store(e, 4, f->out_reg, 0, X86_RAX);
		x86_alu_ri(e, 8, X86_ADD, f->out_reg, 4);
	} else {
		x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(verdicts));
		x86_store(e, 4, JIT_T0, 0, X86_RAX);
		x86_alu_mi(e, 8, X86_ADD, JIT_RUN, JIT_RUN_OFF(verdicts), 4);
	}
	if (f->cur_reg >= 0) {
		x86_alu_rm(e, 8, X86_ADD, f->cur_reg, JIT_RUN, JIT_RUN_OFF(batch_stride));
	} else {
		x86_load(e, 8, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_stride));
		x86_alu_mr(e, 8, X86_ADD, JIT_RUN, JIT_RUN_OFF(batch_cur), JIT_T0);
	}
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
	jit_fuse_sync_in(e, f);
	jit_emit_align(e);
	loop = e->len;
	jit_fuse_get(e, f->cur_reg, JIT_T0, JIT_RUN_OFF(batch_cur));
	x86_alu_rm(e, 8, X86_CMP, JIT_T0, JIT_RUN, JIT_RUN_OFF(batch_end));
	x86_jcc_rel32(e, X86_CC_AE, 0);
	to_end = e->len - 4;
	jit_fuse_item(e, f);
	jit_fuse_entry_regs(e, f);
	jit_fuse_body(s);
	f->next_oob = (uint32_t)e->len;
	x86_alu_rr(e, 4, X86_XOR, X86_RAX, X86_RAX);
	f->next_done = (uint32_t)e->len;
	jit_fuse_done(e, f, loop);
	/* Unwound by a stub (rsp = saved_rsp + 8): put the return address back;
	 * a stop without a status (an abort) ends the item normally.  The loop's
	 * registers are the program's untouched ones: the stubs keep them. */
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
	jit_fuse_sync_out(e, f);
	x86_alu_ri(e, 8, X86_ADD, X86_RSP, 8);
	jit_c_epilogue(e);
}
