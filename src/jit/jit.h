/* The JIT stage: x86-64 machine code for a decoded program.
 *
 * Takes: a decoded program (struct isa_prog) and the interpreter's
 * pre-decoded code built from it (struct interp_code), whose constants are
 * already resolved: helper functions, maps, map values, and function
 * addresses.  The JIT uses the very same values (an lddw of a function gives
 * the address the interpreter gives), so both engines compute identical
 * results and callbacks find their functions whichever engine runs.
 * Gives: a struct jit_prog holding native code in memory that is never
 * writable and executable at once, and jit_run(), which runs it with the same
 * environment (struct interp_env) and the same results, errors and messages as
 * the interpreter.
 *
 * Compiled checked (opts.checked), the code tests every load, store and
 * atomic against the regions of the call context and counts instructions per
 * basic block against the budget; a violation stops the run cleanly with the
 * faulting instruction, as interp_run_checked() does.
 */
#ifndef SKEP_JIT_JIT_H
#define SKEP_JIT_JIT_H

#include <stddef.h>
#include <stdint.h>

#include "interp/interp.h"
#include "isa/isa.h"
#include "skep/skep.h"

struct skep_log;
struct skep_prog;
struct jit_prog;

struct jit_opts {
	int checked; /* bounds checks and an instruction budget in the generated code */
	int harden;  /* blind the program's constants (as the kernel's bpf_jit_harden) */
	int no_bmi2; /* shifts by a register through cl even where BMI2 exists (tests) */
	int batch;   /* jit_run_batch will run it on many items: inline it into the
		      * batch loop if it has no calls (a second copy of its code) */
	int fuse_regs_off; /* tests: of the fused loop's 4 state registers, this many
			    * stay in memory even where registers are free */
};

/* Compile; isa and code must outlive the result.  -EINVAL (log names the
 * instruction) for what cannot be run, -ENOMEM, -E2BIG for a program whose
 * code would not fit in 1 GiB. */
int jit_compile(const struct isa_prog *isa, const struct interp_code *code,
		const struct jit_opts *opts, struct jit_prog **out, struct skep_log *log);
void jit_free(struct jit_prog *jit);
/* Was the program inlined into its batch loop (jit_opts.batch, no calls)? */
int jit_batch_fused(const struct jit_prog *jit);

/* The native code of the program a tail call switches to, compiled the same
 * way (checked or not); NULL with the log saying why. */
typedef const struct jit_prog *(*jit_tail_fn)(struct skep_prog *prog, int checked,
					      struct skep_log *log);

/* Run once: the contract of interp_run() (or interp_run_checked() for checked
 * code), env->entry included.  tail may be NULL if no tail call can happen. */
int jit_run(const struct jit_prog *jit, struct interp_env *env, jit_tail_fn tail,
	    struct skep_run_result *res);

/* Runs on one environment, set up once (test-run's repeats, a capture's
 * packets), while step(arg, env, prev) returns nonzero: it comes ahead of
 * each run, sees the last run's result (prev; NULL at first) and may change
 * what changes between runs (the call context, its packet included).
 * Stops at the first run that fails, with its error; *res is the last run's. */
int jit_run_each(const struct jit_prog *jit, struct interp_env *env, jit_tail_fn tail,
		 int (*step)(void *arg, struct interp_env *env, const struct skep_run_result *prev),
		 void *arg, struct skep_run_result *res);

/* Many runs of unchecked code in one call, one per item of an array: item
 * k sits stride bytes after item k-1 and holds the address (a pointer) and
 * length (a size_t) of the data that legacy packet loads read, at data_off
 * and len_off (they become env->cx's packet); every other part of env is the
 * same for all runs.  The low
 * 32 bits of each run's r0 go to verdicts[k].  0 when all ran; otherwise the
 * error of the run that stopped, *done its index (*done = n when all ran). */
int jit_run_batch(const struct jit_prog *jit, struct interp_env *env, const void *items,
		  size_t n, size_t stride, size_t data_off, size_t len_off, uint32_t *verdicts,
		  size_t *done);

/* The machine code, for disassembly and tests. */
const void *jit_code(const struct jit_prog *jit, size_t *size);
/* Per instruction slot, the offset of its code; slot len holds the end. */
const uint32_t *jit_insn_offsets(const struct jit_prog *jit);

#endif
