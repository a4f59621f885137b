/* Control-flow checks made once, before the walk: every instruction is
 * reachable (from the entry, through calls and function references), every
 * reachable instruction has some path to an exit (a loop without one can
 * never end), and the places where the walk checkpoints its state for
 * pruning (jump targets, the sides of conditional jumps, functions, return
 * points).  After the walk, the stack depth of the deepest call chain. */
#include <stdlib.h>
#include <string.h>

#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

/* Up to two successors of slot i; returns how many. */
static int cfg_succ(const struct verifier_env *env, size_t i, int32_t out[2])
{
	const struct isa_insn *in = &env->isa.insns[i];
	const struct isa_op *o = &isa_ops[in->op];

	switch (o->form) {
	case ISA_FORM_EXIT:
		return 0;
	case ISA_FORM_JA:
	case ISA_FORM_JA32:
		out[0] = in->target;
		return 1;
	case ISA_FORM_JMP_IMM:
	case ISA_FORM_JMP_REG:
	case ISA_FORM_MAY_GOTO:
		out[0] = (int32_t)i + 1;
		out[1] = in->target;
		return 2;
	case ISA_FORM_LDDW:
		out[0] = (int32_t)i + 2;
		return 1;
	default:
		out[0] = (int32_t)i + 1;
		return 1;
	}
}

static int cfg_is_ref(const struct verifier_env *env, size_t i)
{
	const struct isa_insn *in = &env->isa.insns[i];

	if (in->op < 0 || in->target < 0)
		return 0;
	int f = isa_ops[in->op].form;
	return f == ISA_FORM_CALL_LOCAL || f == ISA_FORM_LDDW;
}

static int cfg_reach(struct verifier_env *env, uint8_t *seen)
{
	size_t n = env->len, top = 0;
	int32_t *work = malloc(n * sizeof(*work)), s[2];

	if (!work)
		return -ENOMEM;
	seen[0] = 1;
	work[top++] = 0;
	while (top) {
		size_t i = (size_t)work[--top];
		int k = cfg_succ(env, i, s);
		if (cfg_is_ref(env, i))
			s[k++] = env->isa.insns[i].target;
		for (int j = 0; j < k; j++)
			if (s[j] >= 0 && (size_t)s[j] < n && !seen[s[j]]) {
				seen[s[j]] = 1;
				work[top++] = s[j];
			}
	}
	free(work);
	return 0;
}

/* Slots that can reach an exit: backwards from every exit over the
 * predecessor lists (a call returns, so a call's successor counts). */
static int cfg_exits(struct verifier_env *env, uint8_t *ok)
{
	size_t n = env->len;
	int32_t *cnt = calloc(n + 1, sizeof(*cnt)), *pred = NULL, *work = NULL, s[2];
	int err = -ENOMEM;

	if (!cnt)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (env->isa.insns[i].op < 0)
			continue;
		int k = cfg_succ(env, i, s);
		for (int j = 0; j < k; j++)
			cnt[s[j] + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	pred = malloc((cnt[n] + 1) * sizeof(*pred));
	work = malloc((n + 1) * sizeof(*work));
	int32_t *fill = calloc(n, sizeof(*fill));
	if (!pred || !work || !fill)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (env->isa.insns[i].op < 0)
			continue;
		int k = cfg_succ(env, i, s);
		for (int j = 0; j < k; j++)
			pred[cnt[s[j]] + fill[s[j]]++] = (int32_t)i;
	}
	size_t top = 0;
	for (size_t i = 0; i < n; i++)
		if (env->isa.insns[i].op >= 0 && isa_ops[env->isa.insns[i].op].form == ISA_FORM_EXIT) {
			ok[i] = 1;
			work[top++] = (int32_t)i;
		}
	while (top) {
		int32_t i = work[--top];
		for (int32_t p = cnt[i]; p < cnt[i + 1]; p++)
			if (!ok[pred[p]]) {
				ok[pred[p]] = 1;
				work[top++] = pred[p];
			}
	}
	err = 0;
out:
	free(fill);
	free(work);
	free(pred);
	free(cnt);
	return err;
}

static void cfg_mark_prune(struct verifier_env *env)
{
	int32_t s[2];
	int32_t func = 0;

	for (size_t i = 0; i < env->len; i++) {
		if (env->isa.is_func_start[i]) {
			func = (int32_t)i;
			env->aux[i].prune = 1;
		}
		env->aux[i].func = func;
		if (env->isa.insns[i].op < 0)
			continue;
		int form = isa_ops[env->isa.insns[i].op].form;
		int k = cfg_succ(env, i, s);
		if (form == ISA_FORM_JA || form == ISA_FORM_JA32 || k == 2)
			for (int j = 0; j < k; j++)
				env->aux[s[j]].prune = 1;
		if (form == ISA_FORM_CALL_LOCAL && i + 1 < env->len)
			env->aux[i + 1].prune = 1;
	}
}

int verifier_check_cfg(struct verifier_env *env)
{
	size_t n = env->len;
	uint8_t *seen = calloc(n, 1), *ok = calloc(n, 1);
	int err = -ENOMEM;

	if (!seen || !ok || (err = cfg_reach(env, seen)) || (err = cfg_exits(env, ok)))
		goto out;
	cfg_mark_prune(env);
	for (size_t i = 0; i < n; i++) {
		if (env->isa.insns[i].op < 0)
			continue;
		env->at = (int64_t)i;
		if (!seen[i]) {
			err = verifier_error_inval(env, "insn %zu is unreachable (dead code)", i);
			goto out;
		}
		if (!ok[i]) {
			err = verifier_error(env, "infinite loop: no path from insn %zu leads to an "
					     "exit", i);
			goto out;
		}
	}

	err = 0;
out:
	free(seen);
	free(ok);
	return err;
}

/* The deepest chain of frames (each rounded up to 16 bytes, as the kernel
 * does with the JIT on) must fit in the 512-byte stack. */
static int depth_walk(struct verifier_env *env, int32_t func, int level, uint8_t *on_path)
{
	int32_t own = (env->func_depth[func] + 15) & ~15, best = 0;

	if (level > V_MAX_FRAMES)
		return -1;
	on_path[func] = 1;
	for (size_t i = (size_t)func; i < env->len && env->aux[i].func == func; i++) {
		if (!cfg_is_ref(env, i))
			continue;
		int32_t t = env->isa.insns[i].target;
		if (on_path[t])
			return -2;
		int d = depth_walk(env, t, level + 1, on_path);
		if (d < 0)
			return d;
		if (d > best)
			best = d;
	}
	on_path[func] = 0;
	return own + best;
}

int verifier_check_stack_depth(struct verifier_env *env)
{
	uint8_t *on_path = calloc(env->len, 1);

	if (!on_path)
		return -ENOMEM;
	int d = depth_walk(env, 0, 1, on_path);
	free(on_path);
	env->at = 0;
	if (d == -2)
		return verifier_error(env, "recursive bpf-to-bpf calls are not allowed");
	if (d == -1)
		return verifier_error(env, "calls nest more than %d deep", V_MAX_FRAMES);
	if (d > V_STACK)
		return verifier_error(env, "the deepest call chain uses %d bytes of stack; the "
				      "limit is %d", d, V_STACK);
	return 0;
}
