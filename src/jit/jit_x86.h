/* Internals of the x86-64 JIT shared by its translation files.
 *
 * Register assignment.  eBPF r1-r5 sit exactly in the System V argument
 * registers, so a helper call is `mov r9, cx; call`: the sixth argument, r9,
 * is the skep_call_ctx pointer.  r0 is rax, the return register; r6-r9 live
 * in callee-saved registers and so survive helper calls for free:
 *
 *   eBPF  r0  r1  r2  r3  r4  r5  r6  r7  r8  r9  r10
 *   x86   rax rdi rsi rdx rcx r8  rbx r13 r14 r15 rbp
 *
 *   r12        the struct jit_run of this run (args, stack, packet, budget...)
 *   r9-r11     scratch, dead between eBPF instructions
 *
 * Stack.  eBPF stack frames live in the caller's stack buffer exactly as the
 * interpreter lays them out (r10 = top, each call 512 bytes lower); the native
 * stack only holds return addresses and saved registers.  Each eBPF function
 * is a native function:
 *
 *   entry:  push rbx, r13, r14, r15, rbp; rbp -= 512
 *           sub rsp, 16; mov dword [rsp], 8M     the frame's may_goto counter
 *   body:   rsp is 16-byte aligned here, so helpers may be called directly
 *   exit:   add rsp, 16; pop rbp, r15, r14, r13, rbx; ret
 *
 * Every frame has the same shape, so a tail call can hand its frame to the
 * new program: it jumps to that program's first instruction with the frame,
 * r1, r6-r9 and the may_goto counter as they are, as the interpreter does.
 *
 * Layout of the image: the entry trampoline (a C-callable function taking
 * the jit_run), the eBPF functions in program order, then the shared stubs
 * (stopping a run, memory checks, callx resolution).
 *
 * Branches and passes.  Every pass translates the whole program with the
 * offsets the previous pass produced, choosing 2-byte branches where they
 * reached then; as code only shrinks, distances only shrink, and the passes
 * stop when the offsets no longer change.  The final pass writes into the
 * executable mapping.
 */
#ifndef SKEP_JIT_JIT_X86_H
#define SKEP_JIT_JIT_X86_H

#include <stddef.h>
#include <stdint.h>

#include "jit/jit.h"
#include "jit/x86_emit.h"

#define JIT_RUN X86_R12 /* struct jit_run * */
#define JIT_T0 X86_R10	/* scratch: addresses */
#define JIT_T1 X86_R11	/* scratch: sizes, operands */
#define JIT_T2 X86_R9	/* scratch; helper argument 6 */

/* The kernel's per-frame may_goto allowance (BPF_MAX_LOOPS), as in the interpreter. */
#define JIT_MAX_LOOPS (8u * 1024 * 1024)

static inline int jit_reg(unsigned bpf_reg)
{
	/* clang-format off */
	static const uint8_t map[11] = {
		X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8,
		X86_RBX, X86_R13, X86_R14, X86_R15, X86_RBP,
	};
	/* clang-format on */
	return map[bpf_reg];
}

/* How a run stopped early (jit_run.status). */
enum jit_stop {
	JIT_STOP_NONE,
	JIT_STOP_BUDGET,  /* checked: instruction budget spent */
	JIT_STOP_DEPTH,	  /* a call would nest deeper than SKEP_MAX_FRAMES */
	JIT_STOP_FAULT,	  /* checked: access outside the regions, misaligned atomic */
	JIT_STOP_CALLX,	  /* callx target is neither a function nor a helper */
	JIT_STOP_KFUNC,	  /* kfunc call (refused at load; kept for safety) */
	JIT_STOP_PENDING, /* a helper asked to stop the run (cx->pending, abort_err) */
	JIT_STOP_TAIL,	  /* the program a tail call switches to could not be compiled */
};

/* Memory-check kinds, as the interpreter reports them. */
enum { JIT_ACCESS_READ, JIT_ACCESS_WRITE, JIT_ACCESS_MISALIGNED };

/* What the generated code reads and writes during one run; r12 points at it. */
struct jit_run {
	uint64_t args[5];     /* r1-r5 at entry */
	uint64_t stack_top;   /* r10 of the entry frame + 512 (every prologue subtracts 512) */
	uint64_t stack_limit; /* a call from a frame whose r10 is at or below this nests too deep */
	uint64_t packet; /* the fused batch loop's legacy LD_ABS/LD_IND data; elsewhere
			  * the code reads the call context's (helpers move it) */
	uint64_t packet_len;
	uint64_t cx;	    /* struct skep_call_ctx *: helper argument 6, checked regions */
	uint64_t budget;    /* checked: instructions left */
	uint64_t saved_rsp; /* where the trampoline's call left its return address: a stop returns there */
	uint64_t status;    /* enum jit_stop */
	uint64_t fault_ret; /* a return address inside the code of the stopping instruction */
	uint64_t fault_addr;
	uint64_t fault_size;
	uint64_t fault_kind;
	uint64_t callx_kind; /* set by the callx resolver: 0 function, 1 helper */
	uint64_t entry;	     /* code address of the function the run starts in */
	uint64_t tail_r1;    /* r1 at a bpf_tail_call: the new program's r1 */
	uint64_t saved_r0;
	/* jit_run_batch: items [batch_cur, batch_end) batch_stride bytes apart,
	 * each with the packet's address and length at these offsets; r0 of
	 * each run goes to the u32 at verdicts, which moves on. */
	uint64_t batch_cur, batch_end, batch_stride, batch_data_off, batch_len_off, verdicts;
	uint64_t batch_ahead; /* JIT_BATCH_AHEAD items in bytes: whose data to prefetch */
	/* used by C only */
	const struct jit_prog *jit; /* the program run started with */
	const struct jit_prog *cur; /* the program the last tail call switched to */
	jit_tail_fn tail;
	struct skep_log *log;
};

/* Items ahead of the current one whose data the batch trampoline prefetches. */
#define JIT_BATCH_AHEAD 4

#define JIT_RUN_OFF(field) ((int32_t)offsetof(struct jit_run, field))

enum jit_stub {
	JIT_STUB_PKT_OOB, /* legacy packet load out of bounds: r0 = 0, normal end */
	JIT_STUB_ABORT,	  /* unwind to the trampoline and return r0 */
	JIT_STUB_STOP,	  /* stop with the reason in r11 (fault_ret = return address) */
	JIT_STUB_BUDGET,  /* called: stop for the budget */
	JIT_STUB_DEPTH,	  /* called: stop for call depth */
	JIT_STUB_KFUNC,	  /* called: stop at a kfunc call */
	JIT_STUB_CHECK_R, /* called with r10 = address, r11 = size: may the program read? */
	JIT_STUB_CHECK_W,
	JIT_STUB_CHECK_RA, /* ... and is the address aligned to the size (atomics) */
	JIT_STUB_CHECK_WA,
	JIT_STUB_CALLX,	  /* r10 = target, r11 = jit_prog: r10 = code, callx_kind */
	JIT_STUB_PENDING, /* called after a helper set cx->pending: tail call or stop */
	JIT_NR_STUBS
};

struct jit_prog {
	void *image; /* read-execute mapping */
	size_t image_len, mapped;
	uint64_t (*entry)(struct jit_run *run);
	uint64_t (*batch_entry)(struct jit_run *run); /* the batch trampoline or fused loop */
	int fused;
	uint32_t *addr; /* per slot: offset of its code; [len] = end of the functions */
	uint32_t *ent;	/* per function-start slot: offset of its entry (prologue) */
	size_t len;
	const struct isa_prog *isa;
	const struct interp_code *code; /* resolved constants; callx targets */
	int checked;
};

/* Called by the callx stub: the code address to call for `target` (callx_kind
 * says function or helper), or 0 with the run's status set. */
uint64_t jit_callx_resolve(struct jit_run *run, uint64_t target, uint64_t ret,
			   const struct jit_prog *jit);
/* Called by the pending stub after a successful bpf_tail_call: the address of
 * the new program's first instruction, or 0 with the run's status set. */
uint64_t jit_tail_resolve(struct jit_run *run);

/* The fused batch loop (jit_fuse.c): a second copy of a small, call-free
 * program inlined into a loop over the batch's items.  Offsets are pairs as
 * in jit_state: the previous pass's (read) and this pass's (written). */
struct jit_fuse {
	int wanted; /* the caller asked for it and the program qualifies */
	int on;	    /* the copy is being emitted: exits and packet stops go to its labels */
	uint32_t *addr, *next; /* per slot, as jit_state's, for the copy */
	uint32_t oob, next_oob;	    /* r0 = 0, then on to done */
	uint32_t done, next_done;   /* the item's verdict is r0: store it, next item */
	uint32_t stop, next_stop;   /* a stub's unwinding returns here */
	uint32_t start, next_start; /* the loop's C entry */
	uint16_t named;		    /* eBPF registers some instruction names */
	/* Host registers of eBPF registers the program never names, or -1: the
	 * item and verdict cursors, the packet and its length (else in memory). */
	int cur_reg, out_reg, pkt_reg, len_reg;
	int regs_off; /* jit_opts.fuse_regs_off */
};

/* One translation pass. */
struct jit_state {
	struct x86_buf e;
	const struct isa_prog *isa;
	const struct interp_code *code;
	const struct jit_prog *jit; /* being built (callx sites pass it to the resolver) */
	struct skep_log *log;
	int checked, harden;
	int bmi2; /* the CPU has BMI2 (shlx/shrx/sarx) */
	uint64_t blind_seed, blind_state; /* constant blinding keys (jit_load_const) */
	int first;    /* no previous pass: every variable branch takes its long form */
	int all_long; /* fallback if the passes did not settle */
	/* previous pass (read) and this pass (written): */
	uint32_t *addr, *next;	  /* per slot: offset of its code, after any prologue */
	uint32_t *ent, *next_ent; /* per function-start slot: offset of its prologue */
	uint32_t stub[JIT_NR_STUBS], next_stub[JIT_NR_STUBS];
	uint32_t *block; /* checked: at a leader, the instructions of its basic block */
	uint8_t *is_target; /* per slot: some jump lands here */
	uint8_t *loop_head; /* per slot: a backward jump lands here (aligned code) */
	size_t slot;	 /* slot being translated */
	int err;	 /* translation error besides the buffer's (logged) */
	size_t batch_off; /* where the batch trampoline starts */
	struct jit_fuse fuse;
};

/* Translation of one slot (jit_x86.c dispatches to the others). */
void jit_emit_slot(struct jit_state *s, size_t i);
void jit_emit_alu(struct jit_state *s, const struct isa_insn *in);
void jit_emit_divmod(struct jit_state *s, const struct isa_insn *in, int sz, int src, int is_imm);
void jit_emit_shift(struct jit_state *s, const struct isa_insn *in, int sz, int src, int is_imm);
void jit_emit_mem(struct jit_state *s, const struct isa_insn *in);
void jit_emit_atomic(struct jit_state *s, const struct isa_insn *in);
void jit_emit_ldpkt(struct jit_state *s, const struct isa_insn *in);
void jit_emit_prologue(struct jit_state *s);
void jit_emit_exit(struct jit_state *s);
void jit_emit_call(struct jit_state *s, const struct isa_insn *in);
/* A helper call written out inline (jit_inline.c): 1 if it was, else 0. */
int jit_emit_inline_call(struct jit_state *s, const struct isa_insn *in);
void jit_emit_call_local(struct jit_state *s, const struct isa_insn *in);
void jit_emit_callx(struct jit_state *s, const struct isa_insn *in);
void jit_emit_trampoline(struct jit_state *s);
/* The batch trampoline, right after the other; returns its offset. */
size_t jit_emit_batch_trampoline(struct jit_state *s);
void jit_emit_stubs(struct jit_state *s);
/* The plain batch loop's: T0 = the current item; prefetch the data of the
 * one JIT_BATCH_AHEAD on and set the call context's packet from this one. */
void jit_emit_batch_item(struct x86_buf *e);
/* Prefetch the data of the item JIT_BATCH_AHEAD after the one at `cur`. */
void jit_emit_batch_prefetch(struct x86_buf *e, int cur);
/* Registers as the interpreter starts a run (r10 is the prologue's). */
void jit_emit_entry_regs(struct x86_buf *e);
void jit_c_prologue(struct x86_buf *e);
void jit_c_epilogue(struct x86_buf *e);
void jit_emit_align(struct x86_buf *e);

/* jit_fuse.c: does the program qualify; the loop (after the stubs); an exit
 * inside it; the pass bookkeeping. */
int jit_fuse_eligible(const struct isa_prog *isa, int checked);
void jit_emit_fused_batch(struct jit_state *s);
void jit_fuse_exit(struct jit_state *s);
int jit_fuse_init(struct jit_state *s);
int jit_fuse_settled(const struct jit_state *s);
void jit_fuse_flip(struct jit_state *s);
void jit_fuse_free(struct jit_state *s);

/* Branches.  jit_branch() jumps to slot t (cc < 0: unconditionally), short
 * when the previous pass says it reaches; the stub forms are always long. */
void jit_branch(struct jit_state *s, size_t t, int cc);
/* The same to a code offset of the previous pass's layout, from within a slot. */
void jit_branch_to(struct jit_state *s, uint32_t to, int cc);
void jit_stub_call(struct jit_state *s, enum jit_stub stub);
void jit_stub_jmp(struct jit_state *s, enum jit_stub stub);
void jit_stub_jcc(struct jit_state *s, enum x86_cc cc, enum jit_stub stub);

/* A constant the program supplied, into JIT_T2 (blinded when hardening). */
void jit_load_const(struct jit_state *s, int reg, uint64_t v);

void jit_fail(struct jit_state *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
