/* A loaded program: decode, build the interpreter's code, and run it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/callctx.h"
#include "core/core.h"
#include "core/log.h"

static skep_helper_fn prog_lookup_helper(const void *arg, uint64_t id)
{
	return vm_helper_lookup(arg, id);
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
	err = interp_code_build(&prog->isa, prog_lookup_helper, vm, &prog->code, &log);
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
	interp_code_free(&prog->code);
	isa_prog_free(&prog->isa);
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

int skep_prog_run(struct skep_prog *prog, const struct skep_run_opts *opts,
		  struct skep_run_result *res)
{
	static const struct skep_run_opts no_opts = {.sz = sizeof(no_opts)};
	const struct skep_run_opts *o = opts ? opts : &no_opts;
	struct skep_log log = log_init(o->log_buf, o->log_size);
	_Alignas(16) uint8_t stack[SKEP_MAX_FRAMES * SKEP_STACK_SIZE];
	struct skep_call_ctx cx = {.prog = prog, .user = o->user, .cpu = o->cpu};
	struct skep_run_result scratch;
	struct interp_env env = {
		.stack = stack,
		.packet = o->packet,
		.packet_len = o->packet_len,
		.budget = o->insn_budget ? o->insn_budget : SKEP_DEFAULT_INSN_BUDGET,
		.cx = &cx,
		.log = &log,
	};

	if (!res)
		res = &scratch;
	memset(res, 0, sizeof(*res));
	res->fault_insn = -1;
	memcpy(env.args, o->args, sizeof(env.args));
	if (o->mode == SKEP_EXEC_CHECKED) {
		memset(stack, 0, sizeof(stack));
		if (prog_add_regions(&cx, o, stack)) {
			log_printf(&log, "too many memory regions (at most %d)", CALLCTX_MAX_REGIONS);
			return -E2BIG;
		}
		return interp_run_checked(&prog->code, &env, res);
	}
	return interp_run(&prog->code, &env, res);
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
