/* The objects behind the public API: the VM (helper table) and a loaded
 * program.  Internal to libskep. */
#ifndef SKEP_CORE_CORE_H
#define SKEP_CORE_CORE_H

#include <pthread.h>

#include "skep/skep.h"
#include "isa/isa.h"
#include "interp/interp.h"

struct jit_prog;

struct vm_helper {
	skep_helper_fn fn;
	char *name;
};

struct skep_vm {
	struct vm_helper *helpers; /* dense, indexed by helper id */
	size_t nr_helpers;
	skep_trace_fn trace; /* bpf_trace_printk's lines; NULL: dropped */
	void *trace_ctx;
};

struct skep_prog {
	struct skep_vm *vm;
	struct bpf_insn *raw;
	size_t len;
	struct isa_prog isa;
	struct interp_code code;
	struct skep_map **maps; /* from skep_load_opts; not owned */
	size_t nr_maps;
	/* Native code, compiled on the first JIT run (plain and checked are
	 * separate images); jit_lock serialises compiling, readers use acquire
	 * loads.  jit_err remembers a failed compile so it is not retried. */
	struct jit_prog *jit, *jit_checked;
	int jit_err, jit_checked_err;
	/* run through jit_run_batch: compile the batch loop with the code inlined */
	int jit_batch;
	pthread_mutex_t jit_lock;
};

/* Ahead of each of prog_run_each()'s runs: prev is the last run's result
 * (NULL at first).  Brings up to date what changes between runs (a hook's
 * context fields; the packet legacy loads read, which may move) and returns
 * nonzero to run again, 0 to stop. */
typedef int (*prog_step_fn)(void *arg, const struct skep_run_result *prev,
			    const uint8_t **packet, size_t *packet_len);

/* Runs of an unchecked mode (SKEP_EXEC_INTERP, SKEP_EXEC_JIT) while step()
 * says so, with skep_prog_run()'s set-up done once: BPF_PROG_TEST_RUN's
 * repeats, a capture's packets (a per-run set-up costs more than a small
 * program).  Each run gets a fresh call context and registers; the stack and
 * memory carry over, as they do between skep_prog_run() calls.  Stops at the
 * first failed run, with its error (step() does not see that run); *res is
 * the last run's.  -EINVAL for the checked modes. */
int prog_run_each(struct skep_prog *prog, const struct skep_run_opts *o, prog_step_fn step,
		  void *arg, struct skep_run_result *res);

/* The function registered for a helper id, or NULL. */
skep_helper_fn vm_helper_lookup(const struct skep_vm *vm, uint64_t id);
/* Registers skep's own helpers (kernel ids) in a new VM. */
int helpers_register_builtin(struct skep_vm *vm);

#endif
