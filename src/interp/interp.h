/* The interpreter stage.
 *
 * Takes: a decoded program (struct isa_prog) and a way to find helpers.
 * Gives: pre-decoded code (struct interp_code) that interp_run() executes
 * with computed goto, and interp_run_checked() executes with every memory
 * access checked against the caller's regions and an instruction budget.
 * Both are the same source (interp.c) compiled twice.
 */
#ifndef SKEP_INTERP_H
#define SKEP_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"
#include "skep/skep.h"

struct skep_log;

typedef skep_helper_fn (*interp_helper_lookup)(const void *arg, uint64_t id);

/* One pre-decoded slot: everything the handler needs, nothing to re-derive. */
struct interp_insn {
	uint16_t op; /* enum isa_op_id */
	uint8_t dst, src;
	int16_t off;
	int32_t imm;
	uint32_t target; /* absolute slot index of jumps and local calls */
	uint64_t k;      /* lddw value, or the helper function of a call */
};

struct interp_code {
	struct interp_insn *insns;
	size_t len;
	const uint8_t *is_func_start;
	interp_helper_lookup lookup; /* for callx, resolved at run time */
	const void *lookup_arg;
};

/* Everything one run needs besides the code. */
struct interp_env {
	uint64_t args[5];
	uint8_t *stack; /* SKEP_MAX_FRAMES * SKEP_STACK_SIZE bytes */
	uint64_t budget;
	struct skep_call_ctx *cx;
	struct skep_log *log;
	uint32_t entry; /* slot to start at: 0, or a callback's first (bpf_loop...) */
};

/* Build pre-decoded code.  An lddw of a map (src 1, 5) loads maps[imm]; of a
 * map value (src 2, 6) the address of byte next_imm of array maps[imm]'s
 * element 0.  Calls to unknown helpers, bad map indexes or offsets and kfunc
 * calls are refused (-EINVAL, log names the insn). */
int interp_code_build(const struct isa_prog *isa, interp_helper_lookup lookup, const void *arg,
		      struct skep_map *const *maps, size_t nr_maps, struct interp_code *out,
		      struct skep_log *log);
void interp_code_free(struct interp_code *code);

int interp_run(const struct interp_code *code, struct interp_env *env, struct skep_run_result *res);
int interp_run_checked(const struct interp_code *code, struct interp_env *env,
		       struct skep_run_result *res);

#endif
