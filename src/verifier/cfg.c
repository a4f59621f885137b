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

/* ---- register liveness: which registers some path from an instruction
 * reads before writing.  A checkpoint forgets the others (they cannot
 * matter), which lets far more states cover each other. ---- */

#define R(n) (1u << (n))
#define R1_5 (R(1) | R(2) | R(3) | R(4) | R(5))

static void cfg_use_def(const struct verifier_env *env, size_t i, uint16_t *use, uint16_t *def)
{
	const struct isa_insn *in = &env->isa.insns[i];
	const struct isa_op *o = &isa_ops[in->op];
	int op = o->code & 0xf0;

	*use = *def = 0;
	switch (o->form) {
	case ISA_FORM_ALU_IMM:
		*use = op == BPF_MOV ? 0 : R(in->dst);
		*def = R(in->dst);
		break;
	case ISA_FORM_ALU_REG:
		*use = R(in->src) | (op == BPF_MOV ? 0 : R(in->dst));
		*def = R(in->dst);
		break;
	case ISA_FORM_NEG:
	case ISA_FORM_END:
		*use = *def = R(in->dst);
		break;
	case ISA_FORM_LDDW:
		*def = R(in->dst);
		break;
	case ISA_FORM_LD_IND:
		*use = R(in->src);
		/* fall through */
	case ISA_FORM_LD_ABS:
		*use |= R(6);
		*def = R(0) | R1_5;
		break;
	case ISA_FORM_LDX:
	case ISA_FORM_LDACQ:
		*use = R(in->src);
		*def = R(in->dst);
		break;
	case ISA_FORM_ST:
		*use = R(in->dst);
		break;
	case ISA_FORM_STX:
	case ISA_FORM_STREL:
		*use = R(in->dst) | R(in->src);
		break;
	case ISA_FORM_ATOMIC:
		*use = R(in->dst) | R(in->src) | (in->imm == BPF_CMPXCHG ? R(0) : 0);
		*def = in->imm == BPF_CMPXCHG ? R(0) : (in->imm & BPF_FETCH) ? R(in->src) : 0;
		break;
	case ISA_FORM_JMP_REG:
		*use = R(in->dst) | R(in->src);
		break;
	case ISA_FORM_JMP_IMM:
		*use = R(in->dst);
		break;
	case ISA_FORM_CALL:
	case ISA_FORM_CALL_LOCAL:
	case ISA_FORM_CALL_KFUNC:
		*use = R1_5;
		*def = R(0) | R1_5;
		break;
	case ISA_FORM_CALLX:
		*use = R(in->dst) | R1_5;
		*def = R(0) | R1_5;
		break;
	case ISA_FORM_EXIT:
		*use = R(0);
		break;
	}
}

static int cfg_liveness(struct verifier_env *env)
{
	size_t n = env->len;
	uint16_t *use = calloc(n, sizeof(*use)), *def = calloc(n, sizeof(*def));
	uint8_t *queued = calloc(n, 1);
	int32_t *work = malloc(n * sizeof(*work)), s[2];
	int err = -ENOMEM;

	env->live = calloc(n, sizeof(*env->live));
	if (!use || !def || !queued || !work || !env->live)
		goto out;
	size_t top = 0;
	for (size_t i = 0; i < n; i++)
		if (env->isa.insns[i].op >= 0) {
			cfg_use_def(env, i, &use[i], &def[i]);
			env->live[i] = use[i];
			work[top++] = (int32_t)i;
			queued[i] = 1;
		}
	/* Predecessors change when a successor's live set grows: iterate over
	 * successors instead, to a fixed point (the sets only grow). */
	int changed = 1;
	while (changed) {
		changed = 0;
		for (size_t j = n; j-- > 0;) {
			if (env->isa.insns[j].op < 0)
				continue;
			uint16_t out = 0;
			int k = cfg_succ(env, j, s);
			for (int m = 0; m < k; m++)
				if (s[m] >= 0 && (size_t)s[m] < n)
					out |= env->live[s[m]];
			uint16_t in = (uint16_t)(use[j] | (out & ~def[j]));
			if (in != env->live[j]) {
				env->live[j] = in;
				changed = 1;
			}
		}
	}
	err = 0;
out:
	free(work);
	free(queued);
	free(use);
	free(def);
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
	if ((err = cfg_liveness(env)))
		goto out;
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
