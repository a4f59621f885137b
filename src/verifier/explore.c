/* The walk: depth-first over paths, one current state and a stack of
 * states queued at branches.  At checkpoints (cfg.c) the current state is
 * compared with the states stored there: a fully explored state that
 * covers it ends the path (pruning); an ancestor still being explored that
 * equals it exactly means the program can loop forever; otherwise the
 * state is stored.  Each stored state counts the live paths below it
 * (branches), so "fully explored" is known exactly.  Loops are walked
 * iteration by iteration until they end, repeat, or the budget of 1M
 * processed instructions runs out. */
#include <stdlib.h>
#include <string.h>

#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

const struct vpath *verifier_path_add(struct verifier_env *env, const struct vpath *prev,
				      int32_t insn, int taken)
{
	struct varena *a = env->arena;

	if (!a || a->used == sizeof(a->nodes) / sizeof(a->nodes[0])) {
		a = malloc(sizeof(*a));
		if (!a)
			return prev; /* the explanation gets shorter; nothing else depends on it */
		a->next = env->arena;
		a->used = 0;
		env->arena = a;
	}
	struct vpath *p = &a->nodes[a->used++];
	*p = (struct vpath){prev, insn, (int8_t)taken, prev ? prev->depth + 1 : 1};
	return p;
}

int verifier_push(struct verifier_env *env, const struct vstate *st)
{
	if (env->stack_len >= V_MAX_PENDING)
		return verifier_error(env, "more than %d branches wait to be walked (the kernel's "
				      "limit): the program branches too much", V_MAX_PENDING);
	if (env->stack_len == env->stack_cap) {
		size_t cap = env->stack_cap ? env->stack_cap * 2 : 64;
		struct vstate *s = realloc(env->stack, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		env->stack = s;
		env->stack_cap = cap;
	}
	int err = vstate_copy(&env->stack[env->stack_len], st);
	if (err)
		return err;
	env->stack_len++;
	if (st->parent)
		st->parent->branches++;
	return 0;
}

static void explore_path_done(struct vstate *st)
{
	struct vcheckpoint *cp = st->parent;

	while (cp && --cp->branches == 0)
		cp = cp->parent;
}

/* 1: pruned; 0: go on (maybe with a new checkpoint); <0: error. */
static int explore_checkpoint(struct verifier_env *env, struct vstate *st)
{
	struct vaux *aux = &env->aux[st->insn];
	/* Repeats bounded by a helper (bpf_loop and friends call their
	 * callback a bounded number of times): at the call, and at the
	 * callback's entry. */
	int bounded = aux->prune == 2 || st->cb_entry;

	int widened = 0;
	struct vreg *regs = vregs(st);

	/* What no path reads again cannot make a difference. */
	for (int r = 0; r < 10; r++)
		if (!(env->live[st->insn] & (1u << r)) && regs[r].type != VT_NOT_INIT)
			reg_mark_not_init(&regs[r]);
	vstate_clear_single_ids(st);
	uint64_t hash = vstate_hash(st);
	for (struct vcheckpoint **pp = &aux->states, *cp; (cp = *pp);) {
		if (cp->branches) {
			if (bounded && vstate_covers(&cp->st, st, 0))
				return 1;
			/* Callbacks: the helper bounds the repeats, so a
			 * value growing from one call to the next can be
			 * widened instead of walked call by call. */
			if (bounded && aux->prune == 2 && vstate_widen(st, &cp->st))
				widened = 1;
			if (cp->hash == hash && vstate_covers(&cp->st, st, 1))
				return verifier_error(env, "infinite loop: insn %d is reached again in "
						      "exactly the same state, so the loop can "
						      "never end", st->insn);
			pp = &cp->next;
			continue;
		}
		if (vstate_covers(&cp->st, st, 0)) {
			cp->hits++;
			verifier_log(env, 2, "%d: pruned: a state already proven safe covers this one",
				     st->insn);
			return 1;
		}
		/* A finished state that keeps failing to cover others only
		 * costs time (the kernel drops these too). */
		if (++cp->misses > cp->hits * 16 + 64) {
			*pp = cp->next;
			vstate_free(&cp->st);
			free(cp);
			aux->nstates--;
			env->nr_stored--;
			continue;
		}
		pp = &cp->next;
	}
	if (widened)
		hash = vstate_hash(st);
	if (aux->nstates >= V_MAX_STATES_PER_INSN || env->nr_stored >= V_MAX_STORED ||
	    (!bounded && !env->isa.is_func_start[st->insn] &&
	     (env->cp_jumps < 2 || env->cp_insns < 8)))
		return 0;
	env->cp_jumps = env->cp_insns = 0;
	struct vcheckpoint *cp = malloc(sizeof(*cp));
	if (!cp || vstate_copy(&cp->st, st)) {
		free(cp);
		return -ENOMEM;
	}
	cp->parent = st->parent;
	cp->branches = 1;
	cp->hash = hash;
	cp->hits = cp->misses = 0;
	cp->st.parent = NULL;
	cp->next = aux->states;
	aux->states = cp;
	aux->nstates++;
	env->nr_states++;
	env->nr_stored++;
	st->parent = cp;
	return 0;
}

static int explore_branch(struct verifier_env *env, struct vstate *st, const struct isa_insn *in)
{
	struct vstate other;
	int fall, jump, err, form = isa_ops[in->op].form;

	if (form == ISA_FORM_MAY_GOTO) {
		if ((err = vstate_copy(&other, st)))
			return err;
		fall = jump = 1;
	} else if ((err = verifier_check_cond(env, st, in, &other, &fall, &jump))) {
		return err;
	}
	env->cp_jumps++;
	if (!jump) {
		st->insn++;
		return fall ? 0 : 1;
	}
	other.insn = in->target;
	if (fall && jump) {
		other.path = verifier_path_add(env, st->path, st->insn, 1);
		st->path = verifier_path_add(env, st->path, st->insn, 0);
		err = verifier_push(env, &other);
		vstate_free(&other);
		st->insn++;
		return err;
	}
	vstate_free(st);
	*st = other;
	return 0;
}

/* One instruction: 0 to go on at st->insn, 1 when the path ends. */
static int explore_step(struct verifier_env *env, struct vstate *st)
{
	const struct isa_insn *in = &env->isa.insns[st->insn];
	int err;

	switch (isa_ops[in->op].form) {
	case ISA_FORM_ALU_IMM:
	case ISA_FORM_ALU_REG:
	case ISA_FORM_NEG:
	case ISA_FORM_END:
		err = verifier_check_alu(env, st, in);
		st->insn++;
		return err;
	case ISA_FORM_LDDW:
		err = verifier_check_lddw(env, st, in);
		st->insn += 2;
		return err;
	case ISA_FORM_LD_ABS:
	case ISA_FORM_LD_IND:
		err = verifier_check_ld_abs(env, st, in);
		st->insn++;
		return err;
	case ISA_FORM_LDX:
	case ISA_FORM_ST:
	case ISA_FORM_STX:
	case ISA_FORM_ATOMIC:
	case ISA_FORM_LDACQ:
	case ISA_FORM_STREL:
		err = verifier_check_mem(env, st, in);
		st->insn++;
		return err;
	case ISA_FORM_JA:
	case ISA_FORM_JA32:
		st->insn = in->target;
		return 0;
	case ISA_FORM_MAY_GOTO:
	case ISA_FORM_JMP_IMM:
	case ISA_FORM_JMP_REG:
		return explore_branch(env, st, in);
	case ISA_FORM_CALL:
		return verifier_check_helper(env, st, in);
	case ISA_FORM_CALL_LOCAL:
		return verifier_check_local_call(env, st, in);
	case ISA_FORM_CALL_KFUNC:
		return verifier_error_inval(env, "kfunc calls are not supported");
	case ISA_FORM_CALLX:
		return verifier_error_inval(env, "callx (indirect calls) is not allowed, as in "
					    "the kernel");
	case ISA_FORM_EXIT:
		return verifier_check_exit(env, st);
	}
	return verifier_error_inval(env, "unexpected instruction");
}

/* Walk the current state until its path ends. */
static int explore_path(struct verifier_env *env)
{
	struct vstate *st = &env->cur;

	for (;;) {
		env->at = st->insn;
		if (++env->insns_processed > V_INSN_BUDGET)
			return verifier_error(env, "program too complex: more than %llu instructions "
					      "processed (the kernel's budget); loops must end "
					      "sooner or branches must merge into fewer states",
					      V_INSN_BUDGET);
		env->aux[st->insn].seen = 1;
		env->cp_insns++;
		if (env->aux[st->insn].prune) {
			int r = explore_checkpoint(env, st);
			if (r)
				return r < 0 ? r : 0;
		}
		st->cb_entry = 0;
		verifier_log_insn(env, (size_t)st->insn, st);
		int r = explore_step(env, st);
		if (r < 0)
			return r;
		if (r == 1)
			return 0;
		if (env->log_level)
			verifier_log_state(env, st, env->log_level);
	}
}

static void explore_init(struct verifier_env *env, struct vstate *st)
{
	memset(st, 0, sizeof(*st));
	st->frames[0] = vframe_new(0, -1);
	if (!st->frames[0])
		return;
	struct vreg *regs = st->frames[0]->regs;
	if (env->ctx) {
		reg_mark_ptr(&regs[1], VT_CTX);
		return;
	}
	if (env->raw_no_mem) {
		reg_mark_const(&regs[1], 0);
		reg_mark_const(&regs[2], 0);
		return;
	}
	reg_mark_ptr(&regs[1], VT_MEM);
	regs[1].mem_size = (uint32_t)env->raw_mem_size;
	reg_mark_unknown(&regs[2]);
	regs[2].umax = env->raw_mem_size;
	reg_bounds_sync(&regs[2]);
}

int verifier_explore(struct verifier_env *env)
{
	int err;

	explore_init(env, &env->cur);
	if (!env->cur.frames[0])
		return -ENOMEM;
	for (;;) {
		err = explore_path(env);
		if (err)
			return err;
		explore_path_done(&env->cur);
		vstate_free(&env->cur);
		if (!env->stack_len)
			return 0;
		env->cur = env->stack[--env->stack_len];
		verifier_log(env, 1, "from the branch at %d to %d:",
			     env->cur.path ? env->cur.path->insn : -1, env->cur.insn);
	}
}
