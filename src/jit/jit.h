/* The JIT stage: x86-64 machine code for a decoded program.
 *
 * Takes: a decoded program (struct isa_prog) and a way to find helpers.
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
struct jit_prog;

typedef skep_helper_fn (*jit_helper_lookup)(const void *arg, uint64_t id);

struct jit_opts {
	int checked; /* bounds checks and an instruction budget in the generated code */
	int harden;  /* blind the program's constants (as the kernel's bpf_jit_harden) */
};

/* Compile; the decoded program and the lookup's argument must outlive the
 * result.  -EINVAL (log names the instruction) for what cannot be run: calls
 * to unknown helpers, unresolved map references, kfunc calls; -ENOMEM. */
int jit_compile(const struct isa_prog *isa, jit_helper_lookup lookup, const void *arg,
		const struct jit_opts *opts, struct jit_prog **out, struct skep_log *log);
void jit_free(struct jit_prog *jit);

/* Run once: the contract of interp_run() (or interp_run_checked() for checked code). */
int jit_run(const struct jit_prog *jit, struct interp_env *env, struct skep_run_result *res);

/* The machine code, for disassembly and tests. */
const void *jit_code(const struct jit_prog *jit, size_t *size);

#endif
