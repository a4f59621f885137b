/* A loaded program: decode, build the interpreter's code, and run it, in
 * the interpreter or as native code compiled on the first JIT run. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/callctx.h"
#include "core/core.h"
#include "core/log.h"
#include "jit/jit.h"
#include "maps/map_run.h"

static skep_helper_fn prog_lookup_helper(const void *arg, uint64_t id)
{
	return vm_helper_lookup(arg, id);
}

/* The maps of skep_load_opts, if the caller's struct is new enough to have them. */
static int prog_take_maps(struct skep_prog *prog, const struct skep_load_opts *opts)
{
	size_t end = offsetof(struct skep_load_opts, nr_maps) + sizeof(opts->nr_maps);

	if (!opts || opts->sz < end || !opts->nr_maps)
		return 0;
	if (!opts->maps)
		return -EINVAL;
	prog->maps = malloc(opts->nr_maps * sizeof(*prog->maps));
	if (!prog->maps)
		return -ENOMEM;
	memcpy(prog->maps, opts->maps, opts->nr_maps * sizeof(*prog->maps));
	prog->nr_maps = opts->nr_maps;
	return 0;
}

int skep_prog_load(struct skep_vm *vm, const struct skep_insn *insns, size_t len,
		   const struct skep_load_opts *opts, struct skep_prog **out)
{
	struct skep_log log = log_init(opts ? opts->log_buf : NULL, opts ? opts->log_size : 0);
	struct skep_prog *prog;
	int err;

	*out = NULL;
	if (!vm || (!insns && len)) {
		log_printf(&log, "no VM or no instructions given");
		return -EINVAL;
	}
	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	pthread_mutex_init(&prog->jit_lock, NULL);
	prog->vm = vm;
	prog->len = len;
	prog->raw = malloc(len ? len * sizeof(*prog->raw) : 1);
	if (!prog->raw) {
		err = -ENOMEM;
		goto fail;
	}
	if (len)
		memcpy(prog->raw, insns, len * sizeof(*prog->raw));
	err = isa_decode(prog->raw, len, &prog->isa, &log);
	if (err)
		goto fail;
	err = prog_take_maps(prog, opts);
	if (err)
		goto fail;
	err = interp_code_build(&prog->isa, prog_lookup_helper, vm, prog->maps, prog->nr_maps,
				&prog->code, &log);
	if (err)
		goto fail;
	*out = prog;
	return 0;
fail:
	skep_prog_free(prog);
	return err;
}

void skep_prog_free(struct skep_prog *prog)
{
	if (!prog)
		return;
	jit_free(prog->jit);
	jit_free(prog->jit_checked);
	pthread_mutex_destroy(&prog->jit_lock);
	interp_code_free(&prog->code);
	isa_prog_free(&prog->isa);
	free(prog->maps);
	free(prog->raw);
	free(prog);
}

size_t skep_prog_len(const struct skep_prog *prog)
{
	return prog->len;
}

const struct skep_insn *skep_prog_insns(const struct skep_prog *prog)
{
	return (const struct skep_insn *)prog->raw;
}

static int prog_add_regions(struct skep_call_ctx *cx, const struct skep_run_opts *o, void *stack)
{
	if (skep_call_ctx_add_region(cx, stack, SKEP_MAX_FRAMES * SKEP_STACK_SIZE, 1, "stack"))
		return -ENOSPC;
	for (size_t i = 0; i < o->nr_regions; i++) {
		const struct skep_region *r = &o->regions[i];
		if (skep_call_ctx_add_region(cx, r->addr, r->size, r->writable, r->name))
			return -ENOSPC;
	}
	return 0;
}

static int prog_env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* SKEP_JIT_HARDEN=1 in the environment blinds constants in JIT code. */
static int prog_jit_harden(void)
{
	return prog_env_flag("SKEP_JIT_HARDEN");
}

/* The native code for a run mode, compiled by the first run that wants it;
 * concurrent first runs wait for one compile.  A compile that failed for any
 * reason but memory is not retried. */
static int prog_jit(struct skep_prog *prog, int checked, struct jit_prog **out,
		    struct skep_log *log)
{
	struct jit_prog **slot = checked ? &prog->jit_checked : &prog->jit;
	int *failed = checked ? &prog->jit_checked_err : &prog->jit_err;
	struct jit_prog *jit = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	int err = 0;

	if (jit) {
		*out = jit;
		return 0;
	}
	pthread_mutex_lock(&prog->jit_lock);
	jit = *slot;
	if (!jit && *failed) {
		log_printf(log, "the JIT could not compile this program (error %d)", *failed);
		err = *failed;
	} else if (!jit) {
		struct jit_opts jo = {.checked = checked, .harden = prog_jit_harden(),
				      .no_bmi2 = prog_env_flag("SKEP_JIT_NO_BMI2"),
				      .batch = prog->jit_batch};
		err = jit_compile(&prog->isa, &prog->code, &jo, &jit, log);
		if (err && err != -ENOMEM)
			*failed = err;
		__atomic_store_n(slot, jit, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&prog->jit_lock);
	*out = jit;
	return err;
}

int skep_prog_jited(struct skep_prog *prog, int checked, struct skep_jited *out, char *log_buf,
		    size_t log_size)
{
	struct skep_log log = log_init(log_buf, log_size);
	struct jit_prog *jit;
	int err;

	if (!prog || !out)
		return -EINVAL;
	err = prog_jit(prog, checked, &jit, &log);
	if (err)
		return err;
	out->code = jit_code(jit, &out->size);
	out->insn_off = jit_insn_offsets(jit);
	out->len = prog->len;
	return 0;
}

/* The code of the program a tail call switches to (compiled on its first use). */
static const struct jit_prog *prog_tail_jit(struct skep_prog *prog, int checked,
					    struct skep_log *log)
{
	struct jit_prog *jit;

	return prog_jit(prog, checked, &jit, log) ? NULL : jit;
}

static int prog_run_jit(struct skep_prog *prog, int checked, struct interp_env *env,
			struct skep_run_result *res)
{
	/* compiled already: the common case, without a call */
	struct jit_prog *jit =
		__atomic_load_n(checked ? &prog->jit_checked : &prog->jit, __ATOMIC_ACQUIRE);
	int err = jit ? 0 : prog_jit(prog, checked, &jit, env->log);

	return err ? err : jit_run(jit, env, prog_tail_jit, res);
}

/* A run's call context as o asks for it, its packet included. */
static void prog_cx_init(struct skep_call_ctx *cx, struct skep_prog *prog,
			 const struct skep_run_opts *o, struct skep_log *log)
{
	callctx_init(cx, prog, o->user, o->cpu, log);
	cx->packet = o->packet;
	cx->packet_len = o->packet_len;
}

/* What every run of o starts from: r1-r5, the stack, the budget; a blank result. */
static void prog_env_init(struct interp_env *env, uint8_t *stack, struct skep_call_ctx *cx,
			  struct skep_log *log, const struct skep_run_opts *o,
			  struct skep_run_result *res)
{
	*env = (struct interp_env){
		.stack = stack,
		.budget = o->insn_budget ? o->insn_budget : SKEP_DEFAULT_INSN_BUDGET,
		.cx = cx,
		.log = log,
	};
	memcpy(env->args, o->args, sizeof(env->args));
	memset(res, 0, sizeof(*res));
	res->fault_insn = -1;
}

int skep_prog_run(struct skep_prog *prog, const struct skep_run_opts *opts,
		  struct skep_run_result *res)
{
	static const struct skep_run_opts no_opts = {.sz = sizeof(no_opts)};
	const struct skep_run_opts *o = opts ? opts : &no_opts;
	struct skep_log log = log_init(o->log_buf, o->log_size);
	_Alignas(16) uint8_t stack[SKEP_MAX_FRAMES * SKEP_STACK_SIZE];
	struct skep_call_ctx cx;
	struct skep_run_result scratch;
	struct interp_env env;

	if (!res)
		res = &scratch;
	prog_cx_init(&cx, prog, o, &log);
	prog_env_init(&env, stack, &cx, &log, o, res);
	if (o->mode == SKEP_EXEC_CHECKED || o->mode == SKEP_EXEC_JIT_CHECKED) {
		memset(stack, 0, sizeof(stack));
		cx.checked = 1;
		if (prog_add_regions(&cx, o, stack) || map_callctx_add_all(&cx, prog)) {
			log_printf(&log, "too many memory regions or maps (at most %d of each)",
				   CALLCTX_MAX_REGIONS);
			return -E2BIG;
		}
	}
	if (o->mode == SKEP_EXEC_JIT || o->mode == SKEP_EXEC_JIT_CHECKED)
		return prog_run_jit(prog, o->mode == SKEP_EXEC_JIT_CHECKED, &env, res);
	if (o->mode == SKEP_EXEC_CHECKED)
		return interp_run_checked(&prog->code, &env, res);
	return interp_run(&prog->code, &env, res);
}

struct prog_each {
	struct skep_prog *prog;
	const struct skep_run_opts *o;
	struct skep_call_ctx *cx;
	prog_step_fn step;
	void *arg;
};

static int prog_each_step(void *p, struct interp_env *env, const struct skep_run_result *prev)
{
	struct prog_each *r = p;

	prog_cx_init(r->cx, r->prog, r->o, env->log);
	return r->step(r->arg, prev, &r->cx->packet, &r->cx->packet_len);
}

int prog_run_each(struct skep_prog *prog, const struct skep_run_opts *o, prog_step_fn step,
		  void *arg, struct skep_run_result *res)
{
	struct skep_log log = log_init(o->log_buf, o->log_size);
	_Alignas(16) uint8_t stack[SKEP_MAX_FRAMES * SKEP_STACK_SIZE];
	struct skep_call_ctx cx;
	struct prog_each r = {prog, o, &cx, step, arg};
	struct interp_env env;
	struct jit_prog *jit;
	int err;

	/* the context is set up before each run, by prog_each_step */
	prog_env_init(&env, stack, &cx, &log, o, res);
	if (o->mode == SKEP_EXEC_JIT) {
		err = prog_jit(prog, 0, &jit, &log);
		if (err)
			return err;
		return jit_run_each(jit, &env, prog_tail_jit, prog_each_step, &r, res);
	}
	if (o->mode != SKEP_EXEC_INTERP)
		return -EINVAL;
	for (const struct skep_run_result *prev = NULL; prog_each_step(&r, &env, prev); prev = res)
		if ((err = interp_run(&prog->code, &env, res)))
			return err;
	return 0;
}

void *skep_call_ctx_user(struct skep_call_ctx *cx)
{
	return cx->user;
}

uint32_t skep_call_ctx_cpu(struct skep_call_ctx *cx)
{
	return cx->cpu;
}

struct skep_prog *skep_call_ctx_prog(struct skep_call_ctx *cx)
{
	return cx->prog;
}

int skep_call_ctx_add_region(struct skep_call_ctx *cx, void *addr, size_t size, int writable,
			     const char *name)
{
	if (cx->nr_regions >= CALLCTX_MAX_REGIONS)
		return -ENOSPC;
	cx->regions[cx->nr_regions++] = (struct skep_region){addr, size, writable, name};
	return 0;
}
