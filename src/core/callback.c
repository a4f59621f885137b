/* Running a program's function from inside a helper (see callback.h).
 *
 * The callback runs in the interpreter whatever engine runs the caller (a JIT
 * that wants to run callbacks natively can do so later), checked when the run
 * is checked, with the run's call context: the same regions, maps and CPU.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/callback.h"
#include "core/core.h"
#include "core/log.h"

static void callback_drop_region(struct skep_call_ctx *cx, const void *addr)
{
	for (size_t i = cx->nr_regions; i-- > 0;) {
		if (cx->regions[i].addr == addr) {
			cx->regions[i] = cx->regions[--cx->nr_regions];
			return;
		}
	}
}

static int callback_fail(struct skep_call_ctx *cx, int err)
{
	cx->pending = CALLCTX_ABORT;
	cx->abort_err = err;
	return err;
}

int callback_call(struct skep_call_ctx *cx, uint64_t fn, const uint64_t args[5], uint64_t *ret)
{
	const struct interp_code *code = &cx->prog->code;
	uint64_t lo = (uint64_t)(uintptr_t)code->insns, size = code->len * sizeof(*code->insns);
	_Alignas(16) uint8_t stack[SKEP_MAX_FRAMES * SKEP_STACK_SIZE];
	struct skep_run_result res;
	struct interp_env env = {
		.stack = stack,
		.budget = SKEP_DEFAULT_INSN_BUDGET,
		.cx = cx,
		.log = cx->log,
	};
	int err;

	if (fn < lo || fn - lo >= size || (fn - lo) % sizeof(*code->insns) ||
	    !code->is_func_start[(fn - lo) / sizeof(*code->insns)]) {
		log_printf(cx->log, "callback 0x%" PRIx64 " is not a function of the program", fn);
		return callback_fail(cx, -EINVAL);
	}
	env.entry = (uint32_t)((fn - lo) / sizeof(*code->insns));
	memcpy(env.args, args, sizeof(env.args));
	if (cx->checked) {
		memset(stack, 0, sizeof(stack));
		if (skep_call_ctx_add_region(cx, stack, sizeof(stack), 1, "callback stack")) {
			log_printf(cx->log, "too many memory regions for a callback");
			return callback_fail(cx, -E2BIG);
		}
		err = interp_run_checked(code, &env, &res);
		callback_drop_region(cx, stack);
	} else {
		err = interp_run(code, &env, &res);
	}
	if (err)
		return callback_fail(cx, err);
	*ret = res.retval;
	return 0;
}
