/* Shared by the JIT tests: building programs slot by slot, and running one
 * program in every engine (interpreter, checked interpreter, JIT, checked
 * JIT, hardened JIT) on the same memory, to compare what each leaves behind.
 *
 * Every run gets the same buffer (reset to the same bytes first), so even
 * pointers the program stores are equal across engines.  r1 points at it,
 * r2 holds its length, and legacy packet loads read it.
 */
#ifndef SKEP_TESTS_JIT_TEST_H
#define SKEP_TESTS_JIT_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "skep/skep.h"

/* ---- building programs ---- */

struct tprog {
	struct bpf_insn *insns;
	size_t n, cap;
};

static inline struct bpf_insn t_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
				     int32_t imm)
{
	struct bpf_insn in = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return in;
}

static inline void tp_add(struct tprog *p, struct bpf_insn in)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->insns = realloc(p->insns, p->cap * sizeof(*p->insns));
		if (!p->insns)
			abort();
	}
	p->insns[p->n++] = in;
}

static inline void tp_op(struct tprog *p, uint8_t code, int dst, int src, int off, int32_t imm)
{
	tp_add(p, t_insn(code, (uint8_t)dst, (uint8_t)src, (int16_t)off, imm));
}

static inline void tp_lddw(struct tprog *p, int dst, uint64_t v)
{
	tp_op(p, BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (int32_t)(uint32_t)v);
	tp_op(p, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

static inline void tp_mov(struct tprog *p, int dst, int32_t imm)
{
	tp_op(p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

static inline void tp_exit(struct tprog *p)
{
	tp_op(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Patch the jump at slot `at` to land on the next slot to be added. */
static inline void tp_land(struct tprog *p, size_t at)
{
	p->insns[at].off = (int16_t)(p->n - at - 1);
}

static inline void tp_free(struct tprog *p)
{
	free(p->insns);
	*p = (struct tprog){0};
}

/* ---- running ---- */

struct trun {
	int err;
	uint64_t retval, insns, fault_addr;
	int64_t fault_insn;
	char log[512];
	uint8_t *mem; /* the buffer as the run left it (copy) */
};

struct tenv {
	struct skep_vm *vm;
	uint8_t *buf;  /* what runs use */
	uint8_t *init; /* what it holds before each run */
	size_t len;
	int readonly; /* the region is read-only */
	uint64_t budget;
	struct skep_map **maps; /* given to programs at load */
	size_t nr_maps;
	void (*reset)(struct tenv *te); /* before each run, besides the buffer */
};

static inline void trun_free(struct trun *r)
{
	free(r->mem);
	r->mem = NULL;
}

static inline int t_exec(struct tenv *te, struct skep_prog *prog, enum skep_exec_mode mode,
			 struct trun *r)
{
	struct skep_region region = {te->buf, te->len, !te->readonly, "mem"};
	struct skep_run_opts ro = {
		.sz = sizeof(ro),
		.args = {(uint64_t)(uintptr_t)te->buf, te->len},
		.regions = &region,
		.nr_regions = 1,
		.packet = te->buf,
		.packet_len = te->len,
		.mode = mode,
		.insn_budget = te->budget,
		.cpu = 3,
		.log_buf = r->log,
		.log_size = sizeof(r->log),
	};
	struct skep_run_result res;

	memcpy(te->buf, te->init, te->len);
	if (te->reset)
		te->reset(te);
	r->err = skep_prog_run(prog, &ro, &res);
	r->retval = res.retval;
	r->insns = res.insns;
	r->fault_insn = res.fault_insn;
	r->fault_addr = res.fault_addr;
	r->mem = malloc(te->len ? te->len : 1);
	if (!r->mem)
		abort();
	memcpy(r->mem, te->buf, te->len);
	return r->err;
}

static inline int t_load(struct tenv *te, const struct tprog *p, struct skep_prog **prog, char *log,
			 size_t log_size)
{
	struct skep_load_opts lo = {
		.sz = sizeof(lo),
		.log_buf = log,
		.log_size = log_size,
		.maps = te->maps,
		.nr_maps = te->nr_maps,
	};

	return skep_prog_load(te->vm, (const struct skep_insn *)p->insns, p->n, &lo, prog);
}

/* The JIT reads SKEP_JIT_HARDEN when it compiles, at a program's first JIT run. */
static inline void t_harden(int on)
{
	if (on)
		setenv("SKEP_JIT_HARDEN", "1", 1);
	else
		unsetenv("SKEP_JIT_HARDEN");
}

/* Same outcome?  On a difference, why says what and where. */
static inline int t_same(const struct tenv *te, const struct trun *a, const struct trun *b,
			 int compare_faults, char *why, size_t why_size)
{
	if (a->err != b->err) {
		snprintf(why, why_size, "error %d vs %d (%.200s | %.200s)", a->err, b->err, a->log,
			 b->log);
		return 0;
	}
	if (a->retval != b->retval) {
		snprintf(why, why_size, "r0 0x%" PRIx64 " vs 0x%" PRIx64, a->retval, b->retval);
		return 0;
	}
	if (compare_faults && (a->fault_insn != b->fault_insn || a->fault_addr != b->fault_addr)) {
		snprintf(why, why_size,
			 "fault at insn %" PRId64 " addr 0x%" PRIx64 " vs insn %" PRId64
			 " addr 0x%" PRIx64,
			 a->fault_insn, a->fault_addr, b->fault_insn, b->fault_addr);
		return 0;
	}
	for (size_t i = 0; i < te->len; i++) {
		if (a->mem[i] != b->mem[i]) {
			snprintf(why, why_size, "memory byte %zu: 0x%02x vs 0x%02x", i, a->mem[i],
				 b->mem[i]);
			return 0;
		}
	}
	return 1;
}

enum { T_INTERP, T_CHECKED, T_JIT, T_JIT_CHECKED, T_JIT_HARDENED, T_NR_ENGINES };
static const char *const t_engine_name[T_NR_ENGINES] = {
	"interp", "checked", "jit", "jit-checked", "jit-hardened",
};

/* Runs p in every engine and compares each with the interpreter (and the
 * instruction counts of the two checked engines).  0 when all agree; else 1
 * with why filled in.  The reference run is left in *ref. */
static inline int t_compare_all(struct tenv *te, const struct tprog *p, struct trun *ref, char *why,
				size_t why_size)
{
	static const enum skep_exec_mode mode[T_NR_ENGINES] = {
		SKEP_EXEC_INTERP,      SKEP_EXEC_CHECKED, SKEP_EXEC_JIT,
		SKEP_EXEC_JIT_CHECKED, SKEP_EXEC_JIT,
	};
	struct skep_prog *prog = NULL, *hard = NULL;
	char log[512] = "";
	uint64_t checked_insns = 0;
	int bad = 0;

	if (t_load(te, p, &prog, log, sizeof(log)) || t_load(te, p, &hard, log, sizeof(log))) {
		snprintf(why, why_size, "load failed: %s", log);
		skep_prog_free(prog);
		return 1;
	}
	t_exec(te, prog, SKEP_EXEC_INTERP, ref);
	for (int e = 1; e < T_NR_ENGINES && !bad; e++) {
		struct trun r = {0};
		char diff[700];
		t_harden(e == T_JIT_HARDENED);
		t_exec(te, e == T_JIT_HARDENED ? hard : prog, mode[e], &r);
		if (!t_same(te, ref, &r, 0, diff, sizeof(diff))) {
			snprintf(why, why_size, "interp vs %s: %s", t_engine_name[e], diff);
			bad = 1;
		} else if (e == T_CHECKED) {
			checked_insns = r.insns;
		} else if (e == T_JIT_CHECKED && !r.err && r.insns != checked_insns) {
			snprintf(why, why_size,
				 "checked runs counted %" PRIu64 " and %" PRIu64 " instructions",
				 checked_insns, r.insns);
			bad = 1;
		}
		trun_free(&r);
	}
	t_harden(0);
	skep_prog_free(prog);
	skep_prog_free(hard);
	return bad;
}

#endif
