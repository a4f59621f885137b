/* skep_verify(): set up the walk, run the passes (decode, control flow,
 * walk, stack depth, fixup) and turn the first error into the explanation:
 * one root cause, with the instruction, its source line, the words, and
 * the branch decisions on the path that led there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maps/map.h"
#include "verifier/verifier.h"

/* The program's maps, then one entry per map-in-map for its inner maps
 * (their template: a lookup in the outer map gives one of them). */
static int api_take_maps(struct verifier_env *env, const struct skep_verify_opts *o)
{
	size_t n = o->nr_maps, extra = 0;

	if (!n)
		return 0;
	if (!o->maps || n > 127)
		return -EINVAL;
	env->maps = calloc(2 * n, sizeof(*env->maps));
	if (!env->maps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct skep_map *m = o->maps[i];
		if (!m)
			return -EINVAL;
		env->maps[i] = (struct vmapinfo){m->type, m->key_size, m->value_size,
						 m->max_entries, m->flags, m->lock_off >= 0,
						 (uint32_t)(m->lock_off >= 0 ? m->lock_off : 0),
						 o->maps[i], -1};
		if (m->type != BPF_MAP_TYPE_ARRAY_OF_MAPS && m->type != BPF_MAP_TYPE_HASH_OF_MAPS)
			continue;
		const struct map_inner_tmpl *t = &m->inner;
		env->maps[n + extra] = (struct vmapinfo){t->type, t->key_size, t->value_size,
							 t->max_entries, t->flags, 0, 0, NULL, -1};
		env->maps[i].inner = (int)(n + extra++);
	}
	env->nr_maps = n;
	return 0;
}

static void api_free(struct verifier_env *env)
{
	for (size_t i = 0; env->aux && i < env->len; i++) {
		struct vcheckpoint *cp = env->aux[i].states;
		while (cp) {
			struct vcheckpoint *next = cp->next;
			vstate_free(&cp->st);
			free(cp);
			cp = next;
		}
	}
	for (size_t i = 0; i < env->stack_len; i++)
		vstate_free(&env->stack[i]);
	vstate_free(&env->cur);
	while (env->arena) {
		struct varena *next = env->arena->next;
		free(env->arena);
		env->arena = next;
	}
	free(env->stack);
	free(env->aux);
	free(env->func_depth);
	free(env->live);
	free(env->maps);
	isa_prog_free(&env->isa);
}

/* "insn 12: ..." from the decoder's log gives the instruction. */
static void api_decode_error(struct verifier_env *env, const char *msg)
{
	long long i;

	env->err = -EINVAL;
	env->err_insn = sscanf(msg, "insn %lld", &i) == 1 ? i : -1;
	snprintf(env->err_msg, sizeof(env->err_msg), "%s", msg);
}

static void api_explain_text(struct verifier_env *env, const struct skep_verify_opts *o,
			     struct skep_verify_result *res);

static void api_explain_path(struct verifier_env *env)
{
	const struct vpath *p = env->err_path;
	int32_t shown[16];
	int n = 0;

	while (p && n < 16) {
		shown[n++] = p->insn | (p->taken ? (int32_t)0x40000000 : 0);
		p = p->prev;
	}
	if (!n)
		return;
	log_printf(&env->log, "  on the path through %s%d branch%s (latest last):",
		   p ? "the last " : "", n, n == 1 ? "" : "es");
	for (int i = n - 1; i >= 0; i--) {
		int32_t insn = shown[i] & 0x3fffffff;
		char text[128];
		isa_disasm_insn(&env->raw[insn], env->len - (size_t)insn, (size_t)insn,
				ISA_SYNTAX_KERNEL, text, sizeof(text));
		log_printf(&env->log, "    %d: %s   -> %s", insn, text,
			   (shown[i] & 0x40000000) ? "jumped (the condition held)"
						    : "fell through (the condition did not hold)");
	}
}

/* The explanation goes first, before any walk log (-v): move what the log
 * holds behind it. */
static void api_prepend(struct verifier_env *env, size_t walk_len)
{
	struct skep_log *l = &env->log;
	size_t expl = l->len - walk_len;

	if (!walk_len || !l->buf || l->len >= l->size)
		return;
	char *tmp = malloc(expl + 1);
	if (!tmp)
		return;
	memcpy(tmp, l->buf + walk_len, expl);
	memmove(l->buf + expl, l->buf, walk_len);
	memcpy(l->buf, tmp, expl);
	free(tmp);
}

static void api_explain(struct verifier_env *env, const struct skep_verify_opts *o,
			struct skep_verify_result *res)
{
	size_t walk_len = env->log.len;

	api_explain_text(env, o, res);
	if (walk_len && env->log.len < env->log.size)
		log_printf(&env->log, "--- the walk (log level %d) ---", env->log_level);
	api_prepend(env, walk_len);
}

static void api_explain_text(struct verifier_env *env, const struct skep_verify_opts *o,
			     struct skep_verify_result *res)
{
	char where[300] = "";

	res->error_insn = env->err_insn;
	snprintf(res->message, sizeof(res->message), "%s", env->err_msg);
	if (env->err_insn >= 0 && o->source_of &&
	    o->source_of(o->source_arg, (size_t)env->err_insn, res->source, sizeof(res->source)))
		res->source[0] = 0;
	if (res->source[0])
		snprintf(where, sizeof(where), " (%s)", res->source);
	if (env->err_insn < 0) {
		log_printf(&env->log, "rejected: %s", env->err_msg);
		return;
	}
	log_printf(&env->log, "rejected at insn %lld%s: %s", (long long)env->err_insn, where,
		   env->err_msg);
	if ((size_t)env->err_insn < env->len) {
		char text[128];
		isa_disasm_insn(&env->raw[env->err_insn], env->len - (size_t)env->err_insn,
				(size_t)env->err_insn, ISA_SYNTAX_KERNEL, text, sizeof(text));
		log_printf(&env->log, "  %lld: %s", (long long)env->err_insn, text);
	}
	api_explain_path(env);
	if (env->cur.frames[env->cur.curframe])
		verifier_log_state(env, &env->cur, 1);
}

static int api_setup(struct verifier_env *env, const struct skep_verify_opts *o)
{
	env->prog_type = o->prog_type;
	env->raw_no_mem = o->raw_mem_size == SKEP_VERIFY_NO_MEM;
	env->raw_mem_size = o->raw_mem_size ? o->raw_mem_size : 65536;
	if (env->raw_mem_size > 0x7fffffff)
		env->raw_mem_size = 0x7fffffff;
	env->ctx = ctx_desc_of(o->prog_type);
	if (!env->ctx && o->prog_type != 0) {
		snprintf(env->err_msg, sizeof(env->err_msg), "program type %u is not supported "
			 "by skep's verifier (xdp, socket_filter, sched_cls, sched_act, syscall, "
			 "kprobe, tracepoint, raw_tracepoint, perf_event, tracing, lsm, raw)",
			 o->prog_type);
		env->err = -EINVAL;
		return -EINVAL;
	}
	env->aux = calloc(env->len, sizeof(*env->aux));
	env->func_depth = calloc(env->len, sizeof(*env->func_depth));
	return env->aux && env->func_depth ? 0 : -ENOMEM;
}

static int api_run(struct verifier_env *env, const struct skep_verify_opts *o)
{
	char dlog[512];
	struct skep_log l = log_init(dlog, sizeof(dlog));
	int err;

	if ((err = api_take_maps(env, o)))
		return err;
	if (isa_decode(env->raw, env->len, &env->isa, &l)) {
		api_decode_error(env, dlog);
		return -EINVAL;
	}
	if ((err = api_setup(env, o)))
		return err;
	if ((err = verifier_check_cfg(env)))
		return err;
	if ((err = verifier_explore(env)))
		return err;
	if ((err = verifier_check_stack_depth(env)))
		return err;
	return verifier_fixup(env);
}

int skep_verify(struct skep_vm *vm, const struct skep_insn *insns, size_t len,
		const struct skep_verify_opts *opts, struct skep_verify_result *res)
{
	struct skep_verify_opts o = {0};
	struct verifier_env *env;
	struct timespec t0, t1;
	int err;

	if (!res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->error_insn = -1;
	if (!vm || !insns || !len || !opts)
		return -EINVAL;
	memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	env = calloc(1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	env->vm = vm;
	env->raw = (const struct bpf_insn *)insns;
	env->len = len;
	env->log = log_init(o.log_buf, o.log_size);
	env->log_level = o.log_level;
	env->err_insn = -1;
	err = api_run(env, &o);
	if (err && !env->err) {
		snprintf(env->err_msg, sizeof(env->err_msg), "%s", err == -ENOMEM ? "out of memory"
			 : "invalid arguments");
		env->err = err;
	}
	if (env->err && err != -ENOMEM)
		err = env->err;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	res->insns_processed = env->insns_processed;
	res->states = env->nr_states;
	res->accepted = !err;
	if (err)
		api_explain(env, &o, res);
	else
		log_printf(&env->log, "accepted: %llu instructions processed, %llu states, %.3f ms",
			   (unsigned long long)res->insns_processed,
			   (unsigned long long)res->states, res->ms);
	api_free(env);
	free(env);
	return err;
}
