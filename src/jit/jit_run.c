/* Running compiled code: setting up the jit_run the code works on, calling
 * the trampoline, and turning a stop into the interpreter's result, error
 * code and log message.  Also the C halves of callx (telling a function's
 * address from a helper id) and of tail calls (finding the new program's
 * code), which the generated code calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/callctx.h"
#include "core/log.h"
#include "interp/interp_mem.h"
#include "jit/jit_x86.h"

static uint64_t jit_image(const struct jit_prog *jit)
{
	return (uint64_t)(uintptr_t)jit->image;
}

/* The slot whose function starts at this interpreter address, or -1: the
 * rule interp.c applies to callx targets and callback.c to callbacks. */
static long jit_func_slot(const struct jit_prog *jit, uint64_t target)
{
	const struct interp_code *code = jit->code;
	uint64_t lo = (uint64_t)(uintptr_t)code->insns, sz = sizeof(*code->insns);

	if (target < lo || target - lo >= code->len * sz || (target - lo) % sz)
		return -1;
	return code->is_func_start[(target - lo) / sz] ? (long)((target - lo) / sz) : -1;
}

uint64_t jit_callx_resolve(struct jit_run *run, uint64_t target, uint64_t ret,
			   const struct jit_prog *jit)
{
	const struct interp_code *code = jit->code;
	long slot = jit_func_slot(jit, target);
	skep_helper_fn fn;

	if (slot >= 0) {
		run->callx_kind = 0;
		return jit_image(jit) + jit->ent[slot];
	}
	fn = code->lookup ? code->lookup(code->lookup_arg, target) : NULL;
	if (fn) {
		run->callx_kind = 1;
		return (uint64_t)(uintptr_t)fn;
	}
	run->status = JIT_STOP_CALLX;
	run->fault_ret = ret;
	run->fault_addr = target;
	return 0;
}

uint64_t jit_tail_resolve(struct jit_run *run)
{
	struct skep_call_ctx *cx = (struct skep_call_ctx *)(uintptr_t)run->cx;
	const struct jit_prog *next;

	cx->pending = CALLCTX_NONE;
	next = run->tail ? run->tail(cx->prog, run->jit->checked, run->log) : NULL;
	if (!next) {
		run->status = JIT_STOP_TAIL;
		return 0;
	}
	run->cur = next;
	return jit_image(next) + next->addr[0];
}

/* The slot whose code holds the byte before a return address: the last slot
 * starting at or before it (slots without code share their successor's start). */
static long jit_insn_at(const struct jit_prog *jit, uint64_t ret)
{
	uint64_t off = ret - 1 - jit_image(jit);
	size_t lo = 0, hi = jit->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (jit->addr[mid] <= off && mid < jit->len)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (long)lo;
}

static int jit_holds(const struct jit_prog *jit, uint64_t addr)
{
	return jit && addr - jit_image(jit) < jit->image_len;
}

static int jit_stopped(const struct jit_run *run, struct interp_env *env,
		       struct skep_run_result *res)
{
	/* After a tail call the stop may be in the other program's code. */
	const struct jit_prog *jit = jit_holds(run->cur, run->fault_ret) ? run->cur : run->jit;
	long insn = jit_insn_at(jit, run->fault_ret);

	res->fault_insn = insn;
	switch (run->status) {
	case JIT_STOP_BUDGET:
		log_printf(env->log, "insn %ld: instruction budget of %" PRIu64 " spent; stopped",
			   insn, env->budget);
		return -E2BIG;
	case JIT_STOP_DEPTH:
		log_printf(env->log, "insn %ld: call nests deeper than %d frames", insn,
			   SKEP_MAX_FRAMES);
		return -E2BIG;
	case JIT_STOP_FAULT:
		interp_log_fault(env->log, env->cx, insn, run->fault_addr, (int)run->fault_size,
				 (int)run->fault_kind);
		res->fault_addr = run->fault_addr;
		return -EFAULT;
	case JIT_STOP_CALLX:
		log_printf(env->log,
			   "insn %ld: callx r%u = 0x%" PRIx64
			   " is neither a function nor a helper id",
			   insn, jit->isa->insns[insn].dst, run->fault_addr);
		return -EINVAL;
	case JIT_STOP_PENDING:
		env->cx->pending = CALLCTX_NONE;
		return env->cx->abort_err;
	case JIT_STOP_TAIL:
		log_printf(env->log, "insn %ld: the program of the tail call has no native code",
			   insn);
		return -EINVAL;
	default:
		log_printf(env->log, "insn %ld: kfunc calls are not supported", insn);
		return -EINVAL;
	}
}

static inline __attribute__((always_inline)) void jit_run_init(struct jit_run *r,
							       const struct jit_prog *jit,
							       const struct interp_env *env,
							       jit_tail_fn tail)
{
	uint8_t *top = env->stack + SKEP_MAX_FRAMES * SKEP_STACK_SIZE;

	/* Field by field: zeroing the whole struct (a rep stos) cost more than a
	 * small filter's run; saved_rsp is the trampoline's to write. */
	/* every prologue, the entry function's too, moves r10 down one frame */
	r->stack_top = (uint64_t)(uintptr_t)(top + SKEP_STACK_SIZE);
	r->stack_limit = (uint64_t)(uintptr_t)(env->stack + SKEP_STACK_SIZE);
	r->cx = (uint64_t)(uintptr_t)env->cx;
	r->budget = env->budget;
	r->status = JIT_STOP_NONE;
	r->fault_ret = r->fault_addr = r->fault_size = r->fault_kind = 0;
	r->callx_kind = 0;
	r->tail_r1 = 0;
	r->saved_r0 = 0;
	r->jit = jit;
	r->cur = NULL;
	r->tail = tail;
	r->log = env->log;
	r->entry = jit_image(jit) + jit->ent[env->entry];
	memcpy(r->args, env->args, sizeof(r->args));
}

/* A run starts at a function's first slot (the main one, or a callback's). */
static int jit_entry_ok(const struct jit_prog *jit, struct interp_env *env)
{
	if (env->entry < jit->len && jit->isa->is_func_start[env->entry])
		return 1;
	log_printf(env->log, "insn %u: not the start of a function", env->entry);
	return 0;
}

int jit_run_batch(const struct jit_prog *jit, struct interp_env *env, const void *items,
		  size_t n, size_t stride, size_t data_off, size_t len_off, uint32_t *verdicts,
		  size_t *done)
{
	struct skep_run_result res = {.fault_insn = -1};
	struct jit_run run;

	*done = 0;
	if (jit->checked || !jit_entry_ok(jit, env))
		return -EINVAL;
	jit_run_init(&run, jit, env, NULL);
	run.batch_cur = (uint64_t)(uintptr_t)items;
	run.batch_end = run.batch_cur + n * stride;
	run.batch_stride = stride;
	run.batch_ahead = JIT_BATCH_AHEAD * stride;
	run.batch_data_off = data_off;
	run.batch_len_off = len_off;
	run.verdicts = (uint64_t)(uintptr_t)verdicts;
	jit->batch_entry(&run);
	*done = (size_t)((run.batch_cur - (uint64_t)(uintptr_t)items) / stride);
	return run.status == JIT_STOP_NONE ? 0 : jit_stopped(&run, env, &res);
}

/* One run of a set-up jit_run: r0 into res, and how it ended. */
static inline __attribute__((always_inline)) int jit_enter(const struct jit_prog *jit,
							   struct jit_run *run,
							   struct interp_env *env,
							   struct skep_run_result *res)
{
	res->retval = jit->entry(run);
	if (jit->checked)
		res->insns = env->budget - run->budget;
	if (run->status != JIT_STOP_NONE)
		return jit_stopped(run, env, res);
	res->fault_insn = -1;
	return 0;
}

int jit_run_each(const struct jit_prog *jit, struct interp_env *env, jit_tail_fn tail,
		 int (*step)(void *arg, struct interp_env *env, const struct skep_run_result *prev),
		 void *arg, struct skep_run_result *res)
{
	struct jit_run run;

	if (!jit_entry_ok(jit, env))
		return -EINVAL;
	jit_run_init(&run, jit, env, tail);
	for (const struct skep_run_result *prev = NULL; step(arg, env, prev); prev = res) {
		int err;
		/* what a run changes of the jit_run */
		run.budget = env->budget;
		run.cur = NULL;
		if ((err = jit_enter(jit, &run, env, res)))
			return err;
	}
	return 0;
}

int jit_run(const struct jit_prog *jit, struct interp_env *env, jit_tail_fn tail,
	    struct skep_run_result *res)
{
	struct jit_run run;

	if (!jit_entry_ok(jit, env))
		return -EINVAL;
	jit_run_init(&run, jit, env, tail);
	return jit_enter(jit, &run, env, res);
}
