/* Compiling a decoded program: the basic blocks the checked budget is
 * charged by, the passes that settle branch sizes, and the final pass into
 * W^X memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/log.h"
#include "jit/jit_mem.h"
#include "jit/jit_x86.h"

#define JIT_MAX_PASSES 40
#define JIT_LONG_AFTER 20	 /* passes before every branch is made long */
#define JIT_MAX_IMAGE (1u << 30) /* rel32 branches must reach across the image */

/* Does control leave the straight line after this slot (or may it)? */
static int jit_ends_block(const struct isa_insn *in)
{
	switch (isa_ops[in->op].form) {
	case ISA_FORM_CALL: /* a tail call leaves the rest of the block unrun */
		return in->imm == BPF_FUNC_tail_call;
	case ISA_FORM_JA:
	case ISA_FORM_JA32:
	case ISA_FORM_MAY_GOTO:
	case ISA_FORM_JMP_IMM:
	case ISA_FORM_JMP_REG:
	case ISA_FORM_CALL_LOCAL:
	case ISA_FORM_CALL_KFUNC:
	case ISA_FORM_CALLX:
	case ISA_FORM_EXIT:
	case ISA_FORM_LD_ABS: /* may end the program */
	case ISA_FORM_LD_IND:
		return 1;
	default:
		return 0;
	}
}

/* Basic blocks: a leader is a function start, a jump target or a slot after
 * a block end; block[leader] = instructions (lddw counted once) up to the next
 * leader.  Entering a block always runs it to its end unless the run stops,
 * so charging it on entry counts exactly what the interpreter counts. */
static int jit_find_blocks(struct jit_state *s)
{
	const struct isa_prog *p = s->isa;
	uint8_t *leader = calloc(p->len + 1, 1);
	size_t start = 0;

	if (!leader)
		return -ENOMEM;
	for (size_t i = 0; i < p->len; i++) {
		const struct isa_insn *in = &p->insns[i];
		if (p->is_func_start[i])
			leader[i] = 1;
		if (in->op < 0)
			continue;
		if (jit_ends_block(in))
			leader[i + 1] = 1;
		if (in->target >= 0 && isa_ops[in->op].form != ISA_FORM_LDDW)
			leader[in->target] = 1;
	}
	for (size_t i = 0; i <= p->len; i++) {
		if (i == p->len || (leader[i] && i > start)) {
			uint32_t n = 0;
			for (size_t j = start; j < i; j++)
				n += p->insns[j].op >= 0;
			s->block[start] = n;
			start = i;
		}
	}
	free(leader);
	return 0;
}

static int jit_pass(struct jit_state *s)
{
	size_t n = s->isa->len;

	s->e.len = 0;
	s->blind_state = s->blind_seed;
	jit_emit_trampoline(s);
	s->batch_off = jit_emit_batch_trampoline(s);
	for (size_t i = 0; i < n && !s->err; i++)
		jit_emit_slot(s, i);
	s->next[n] = (uint32_t)s->e.len;
	jit_emit_stubs(s);
	if (s->fuse.wanted)
		jit_emit_fused_batch(s);
	if (!s->e.err && s->e.len > JIT_MAX_IMAGE)
		x86_buf_fail(&s->e, -E2BIG);
	return s->err ? s->err : s->e.err;
}

static int jit_settled(const struct jit_state *s)
{
	size_t n = (s->isa->len + 1) * sizeof(uint32_t);

	return !memcmp(s->addr, s->next, n) && !memcmp(s->ent, s->next_ent, n) &&
	       !memcmp(s->stub, s->next_stub, sizeof(s->stub)) && jit_fuse_settled(s);
}

static void jit_swap(uint32_t **a, uint32_t **b)
{
	uint32_t *t = *a;
	*a = *b;
	*b = t;
}

/* Passes into a scratch buffer until the layout stops changing. */
static int jit_settle(struct jit_state *s, size_t *len)
{
	int err;

	x86_buf_init(&s->e, NULL, 0);
	s->first = 1;
	for (int pass = 0;; pass++) {
		err = jit_pass(s);
		if (err)
			break;
		if (!s->first && jit_settled(s))
			break;
		jit_swap(&s->addr, &s->next);
		jit_swap(&s->ent, &s->next_ent);
		memcpy(s->stub, s->next_stub, sizeof(s->stub));
		jit_fuse_flip(s);
		s->first = 0;
		s->all_long = pass >= JIT_LONG_AFTER;
		if (pass == JIT_MAX_PASSES) {
			log_printf(s->log, "jit: code layout did not settle after %d passes", pass);
			err = -EFAULT;
			break;
		}
	}
	*len = s->e.len;
	x86_buf_release(&s->e);
	return err;
}

/* The last pass writes into the mapping, now that its address is known. */
static int jit_final(struct jit_state *s, struct jit_prog *jit, size_t len)
{
	int err;

	jit->image = jit_mem_alloc(len, &jit->mapped);
	if (!jit->image)
		return -ENOMEM;
	jit->image_len = len;
	x86_buf_init(&s->e, jit->image, len);
	err = jit_pass(s);
	if (!err && (s->e.len != len || !jit_settled(s))) {
		log_printf(s->log, "jit: final pass changed the code layout");
		err = -EFAULT;
	}
	if (!err)
		err = jit_mem_seal(jit->image, jit->mapped);
	return err;
}

static int jit_cpu_has_bmi2(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	return __builtin_cpu_supports("bmi2");
#else
	return 0;
#endif
}

static uint64_t jit_random_key(void)
{
	uint64_t k;

	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) == (ssize_t)sizeof(k))
		return k;
	return (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&k;
}

static int jit_state_init(struct jit_state *s, const struct isa_prog *isa)
{
	size_t n = isa->len + 1;

	s->addr = calloc(n, sizeof(uint32_t));
	s->next = calloc(n, sizeof(uint32_t));
	s->ent = calloc(n, sizeof(uint32_t));
	s->next_ent = calloc(n, sizeof(uint32_t));
	s->block = calloc(n, sizeof(uint32_t));
	s->is_target = calloc(n, 1);
	s->loop_head = calloc(n, 1);
	if (!s->addr || !s->next || !s->ent || !s->next_ent || !s->block || !s->is_target ||
	    !s->loop_head)
		return -ENOMEM;
	for (size_t i = 0; i < isa->len; i++) {
		const struct isa_insn *in = &isa->insns[i];
		int jump = in->op >= 0 && isa_ops[in->op].form >= ISA_FORM_JA &&
			   isa_ops[in->op].form <= ISA_FORM_JMP_REG;
		if (in->op >= 0 && in->target >= 0 && (size_t)in->target < n)
			s->is_target[in->target] = 1;
		/* hardened code keeps its layout: no padding to reason about */
		if (jump && (size_t)in->target <= i && !s->harden)
			s->loop_head[in->target] = 1;
	}
	if (s->fuse.wanted && jit_fuse_init(s))
		return -ENOMEM;
	return s->checked ? jit_find_blocks(s) : 0;
}

static void jit_state_free(struct jit_state *s)
{
	free(s->addr);
	free(s->next);
	free(s->ent);
	free(s->next_ent);
	free(s->block);
	free(s->is_target);
	free(s->loop_head);
	jit_fuse_free(s);
}

int jit_compile(const struct isa_prog *isa, const struct interp_code *code,
		const struct jit_opts *opts, struct jit_prog **out, struct skep_log *log)
{
	struct jit_prog *jit = calloc(1, sizeof(*jit));
	struct jit_state s = {
		.isa = isa,
		.code = code,
		.jit = jit,
		.log = log,
		.checked = opts && opts->checked,
		.harden = opts && opts->harden,
		.bmi2 = jit_cpu_has_bmi2() && !(opts && opts->no_bmi2),
		.fuse.wanted = opts && opts->batch && jit_fuse_eligible(isa, opts->checked),
		.fuse.regs_off = opts ? opts->fuse_regs_off : 0,
	};
	size_t len = 0;
	int err;

	*out = NULL;
	if (!jit)
		return -ENOMEM;
#ifndef __x86_64__
	log_printf(log, "the JIT generates x86-64 code only");
	free(jit);
	return -EOPNOTSUPP;
#endif
	if (s.harden)
		s.blind_seed = jit_random_key();
	err = jit_state_init(&s, isa);
	if (!err)
		err = jit_settle(&s, &len);
	if (!err)
		err = jit_final(&s, jit, len);
	if (err) {
		jit_state_free(&s);
		jit_free(jit);
		return err;
	}
	jit->entry = (uint64_t(*)(struct jit_run *))(uintptr_t)jit->image;
	jit->batch_entry = (uint64_t(*)(struct jit_run *))((uintptr_t)jit->image +
							   (s.fuse.wanted ? s.fuse.start : s.batch_off));
	jit->fused = s.fuse.wanted;
	jit->addr = s.addr;
	jit->ent = s.ent;
	s.addr = s.ent = NULL;
	jit->len = isa->len;
	jit->isa = isa;
	jit->code = code;
	jit->checked = s.checked;
	jit_state_free(&s);
	*out = jit;
	return 0;
}

void jit_free(struct jit_prog *jit)
{
	if (!jit)
		return;
	jit_mem_free(jit->image, jit->mapped);
	free(jit->addr);
	free(jit->ent);
	free(jit);
}

int jit_batch_fused(const struct jit_prog *jit)
{
	return jit->fused;
}

const uint32_t *jit_insn_offsets(const struct jit_prog *jit)
{
	return jit->addr;
}

const void *jit_code(const struct jit_prog *jit, size_t *size)
{
	*size = jit->image_len;
	return jit->image;
}
