/* The interpreter through the public API: helpers, calls and frames, the
 * checked mode's faults and budget, legacy packet loads, may_goto, and the
 * references a program without maps cannot use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/harness.h"
#include "isa/bpf_compat.h"
#include "skep/skep.h"

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define MOVK(d, k) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOVX(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADDK(d, k) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define ADDX(d, s) I(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o) I(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) I(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define JA(o) I(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(id) I(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALL_LOCAL(rel) I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct run {
	int load_err, run_err;
	struct skep_run_result res;
	char log[2048];
};

static void run_prog(const struct bpf_insn *insns, size_t len, struct skep_run_opts *ro,
		     struct skep_vm *vm, struct run *r)
{
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = r->log, .log_size = sizeof(r->log)};
	struct skep_prog *prog = NULL;
	int own_vm = !vm;

	memset(r, 0, sizeof(*r));
	if (own_vm)
		vm = skep_vm_new();
	r->load_err = skep_prog_load(vm, (const struct skep_insn *)insns, len, &lo, &prog);
	if (!r->load_err) {
		ro->sz = sizeof(*ro);
		ro->log_buf = r->log;
		ro->log_size = sizeof(r->log);
		r->run_err = skep_prog_run(prog, ro, &r->res);
	}
	skep_prog_free(prog);
	if (own_vm)
		skep_vm_free(vm);
}

#define RUN(insns, ro, vm, r) run_prog(insns, sizeof(insns) / sizeof(insns[0]), ro, vm, r)

static uint64_t helper_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			   struct skep_call_ctx *cx)
{
	return a + b + c + d + e + *(uint64_t *)skep_call_ctx_user(cx);
}

static void test_custom_helper(struct harness *h)
{
	static const struct bpf_insn p[] = {MOVK(1, 1), MOVK(2, 2), MOVK(3, 3), MOVK(4, 4),
					    MOVK(5, 5), CALL(1000), EXIT};
	uint64_t extra = 100;
	struct skep_run_opts ro = {.user = &extra};
	struct skep_vm *vm = skep_vm_new();
	struct run r;

	skep_vm_register_helper(vm, 1000, "sum", helper_sum);
	RUN(p, &ro, vm, &r);
	harness_check(h, !r.load_err && !r.run_err && r.res.retval == 115, "custom_helper",
		      "load %d run %d r0 %llu: %s", r.load_err, r.run_err,
		      (unsigned long long)r.res.retval, r.log);
	harness_check(h, skep_vm_helper_name(vm, 1000) && !strcmp(skep_vm_helper_name(vm, 1000), "sum"),
		      "helper_name", "name lookup failed");
	harness_check(h, skep_vm_register_helper(vm, SKEP_MAX_HELPER_ID + 1, "x", helper_sum) ==
				 -EINVAL, "helper_id_range", "id above the maximum accepted");
	skep_vm_free(vm);
}

static void test_unknown_helper(struct harness *h)
{
	static const struct bpf_insn p[] = {CALL(999), EXIT};
	struct skep_run_opts ro = {0};
	struct run r;

	RUN(p, &ro, NULL, &r);
	harness_check(h, r.load_err == -EINVAL && strstr(r.log, "insn 0: call to unknown helper id 999"),
		      "unknown_helper", "load %d: %s", r.load_err, r.log);
}

static void test_checked_faults(struct harness *h)
{
	static const struct bpf_insn rd[] = {LDX(BPF_W, 0, 1, 6), EXIT};
	static const struct bpf_insn wr[] = {MOVK(0, 0), STX(BPF_B, 1, 0, 0), EXIT};
	static const struct bpf_insn stack_ok[] = {MOVK(0, 7), STX(BPF_DW, 10, 0, -512 * 8),
						   LDX(BPF_DW, 0, 10, -512 * 8), EXIT};
	static const struct bpf_insn stack_bad[] = {MOVK(0, 7), STX(BPF_DW, 10, 0, 0), EXIT};
	static const struct bpf_insn atomic[] = {MOVK(0, 1),
						 I(BPF_STX | BPF_ATOMIC | BPF_W, 1, 0, 1, BPF_ADD),
						 EXIT};
	uint8_t mem[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct skep_region region = {mem, sizeof(mem), 1, "mem"};
	struct skep_region ro_region = {mem, sizeof(mem), 0, "rodata"};
	struct skep_run_opts ro = {.args = {(uintptr_t)mem}, .regions = &region, .nr_regions = 1,
				   .mode = SKEP_EXEC_CHECKED};
	struct run r;

	RUN(rd, &ro, NULL, &r);
	harness_check(h, r.run_err == -EFAULT && r.res.fault_insn == 0 &&
				 r.res.fault_addr == (uintptr_t)mem + 6 && strstr(r.log, "insn 0: 4-byte read") &&
				 strstr(r.log, "mem ["),
		      "checked_read_out_of_bounds", "err %d insn %lld: %s", r.run_err,
		      (long long)r.res.fault_insn, r.log);
	ro.regions = &ro_region;
	RUN(wr, &ro, NULL, &r);
	harness_check(h, r.run_err == -EFAULT && r.res.fault_insn == 1 && strstr(r.log, "1-byte write"),
		      "checked_write_read_only", "err %d: %s", r.run_err, r.log);
	ro.regions = &region;
	RUN(stack_ok, &ro, NULL, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 7, "checked_stack_bottom",
		      "err %d: %s", r.run_err, r.log);
	RUN(stack_bad, &ro, NULL, &r);
	harness_check(h, r.run_err == -EFAULT && r.res.fault_insn == 1, "checked_above_stack",
		      "err %d: %s", r.run_err, r.log);
	RUN(atomic, &ro, NULL, &r);
	harness_check(h, r.run_err == -EFAULT && strstr(r.log, "not aligned"),
		      "checked_misaligned_atomic", "err %d: %s", r.run_err, r.log);
}

static void test_budget(struct harness *h)
{
	static const struct bpf_insn loop[] = {MOVK(0, 0), ADDK(0, 1), JA(-2)};
	struct skep_run_opts ro = {.mode = SKEP_EXEC_CHECKED, .insn_budget = 1000};
	struct run r;

	RUN(loop, &ro, NULL, &r);
	harness_check(h, r.run_err == -E2BIG && strstr(r.log, "budget of 1000"), "budget_stops_loop",
		      "err %d: %s", r.run_err, r.log);
}

static void test_frames(struct harness *h)
{
	/* Caller keeps 42 in r6 and at r10-8; the callee clobbers r6 and its own r10-8. */
	static const struct bpf_insn p[] = {
		MOVK(6, 42), STX(BPF_DW, 10, 6, -8), MOVK(1, 5), CALL_LOCAL(4),
		LDX(BPF_DW, 7, 10, -8), ADDX(0, 6), ADDX(0, 7), EXIT,
		/* callee: r0 = r1 * 2 */
		MOVK(6, 1000), STX(BPF_DW, 10, 6, -8), MOVX(0, 1), ADDX(0, 1), EXIT,
	};
	static const struct bpf_insn recurse[] = {CALL_LOCAL(-1), EXIT};
	struct skep_run_opts ro = {0};
	struct run r;

	RUN(p, &ro, NULL, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 10 + 42 + 42, "frames_preserve_r6_stack",
		      "err %d r0 %llu: %s", r.run_err, (unsigned long long)r.res.retval, r.log);
	RUN(recurse, &ro, NULL, &r);
	harness_check(h, r.run_err == -E2BIG && strstr(r.log, "deeper than 8 frames"),
		      "call_depth_limit", "err %d: %s", r.run_err, r.log);
}

static void test_callx(struct harness *h)
{
	static const struct bpf_insn p[] = {
		I(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 4), I(0, 0, 0, 0, 0),
		MOVK(1, 20), I(BPF_JMP | BPF_CALL | BPF_X, 2, 0, 0, 0), EXIT,
		ADDK(1, 1), MOVX(0, 1), EXIT,
	};
	static const struct bpf_insn helper[] = {MOVK(2, BPF_FUNC_get_smp_processor_id),
						 I(BPF_JMP | BPF_CALL | BPF_X, 2, 0, 0, 0), EXIT};
	static const struct bpf_insn bad[] = {MOVK(2, 4242), I(BPF_JMP | BPF_CALL | BPF_X, 2, 0, 0, 0),
					      EXIT};
	struct skep_run_opts ro = {.cpu = 3};
	struct run r;

	RUN(p, &ro, NULL, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 21, "callx_function_pointer",
		      "err %d r0 %llu: %s", r.run_err, (unsigned long long)r.res.retval, r.log);
	RUN(helper, &ro, NULL, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 3, "callx_helper_id", "err %d: %s",
		      r.run_err, r.log);
	RUN(bad, &ro, NULL, &r);
	harness_check(h, r.run_err == -EINVAL && strstr(r.log, "insn 1: callx r2 = 0x1092"),
		      "callx_bad_target", "err %d: %s", r.run_err, r.log);
}

static void test_ld_abs(struct harness *h)
{
	static const struct bpf_insn w[] = {I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 2), EXIT};
	static const struct bpf_insn ind[] = {MOVK(7, 1), I(BPF_LD | BPF_IND | BPF_H, 0, 7, 0, 3), EXIT};
	static const struct bpf_insn oob[] = {MOVK(0, 9), I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 6),
					      MOVK(0, 9), EXIT};
	uint8_t pkt[6] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15};
	struct skep_run_opts ro = {.packet = pkt, .packet_len = sizeof(pkt)};
	struct run r;

	RUN(w, &ro, NULL, &r);
	harness_check(h, r.res.retval == 0x12131415, "ld_abs_word_network_order", "r0 0x%llx",
		      (unsigned long long)r.res.retval);
	RUN(ind, &ro, NULL, &r);
	harness_check(h, r.res.retval == 0x1415, "ld_ind_half", "r0 0x%llx",
		      (unsigned long long)r.res.retval);
	RUN(oob, &ro, NULL, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 0, "ld_abs_out_of_bounds_returns_0",
		      "err %d r0 %llu", r.run_err, (unsigned long long)r.res.retval);
}

static void test_may_goto(struct harness *h)
{
	static const struct bpf_insn p[] = {MOVK(0, 0), I(BPF_JMP | BPF_JCOND, 0, 0, 2, 0), ADDK(0, 1),
					    JA(-3), EXIT};
	struct skep_run_opts ro = {0};
	struct run r;

	RUN(p, &ro, NULL, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 8u * 1024 * 1024, "may_goto_allowance",
		      "err %d r0 %llu", r.run_err, (unsigned long long)r.res.retval);
}

static void test_refused_references(struct harness *h)
{
	static const struct bpf_insn map[] = {I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 3),
					      I(0, 0, 0, 0, 0), MOVK(0, 0), EXIT};
	static const struct bpf_insn kfunc[] = {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 77),
						EXIT};
	struct skep_run_opts ro = {0};
	struct run r;

	RUN(map, &ro, NULL, &r);
	harness_check(h, r.load_err == -EINVAL && strstr(r.log, "insn 0: lddw_map_fd refers to a map"),
		      "unresolved_map_refused", "err %d: %s", r.load_err, r.log);
	RUN(kfunc, &ro, NULL, &r);
	harness_check(h, r.load_err == -EINVAL && strstr(r.log, "insn 0: kfunc call"),
		      "kfunc_refused", "err %d: %s", r.load_err, r.log);
}

/* A helper that hands the program memory must make it accessible when checked. */
static uint64_t helper_buffer(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			      struct skep_call_ctx *cx)
{
	uint64_t *buf = skep_call_ctx_user(cx);
	skep_call_ctx_add_region(cx, buf, sizeof(*buf), 0, "helper buffer");
	return (uintptr_t)buf;
}

static void test_helper_region(struct harness *h)
{
	static const struct bpf_insn p[] = {CALL(1001), LDX(BPF_DW, 0, 0, 0), EXIT};
	uint64_t value = 0x1234;
	struct skep_run_opts ro = {.mode = SKEP_EXEC_CHECKED, .user = &value};
	struct skep_vm *vm = skep_vm_new();
	struct run r;

	skep_vm_register_helper(vm, 1001, "buffer", helper_buffer);
	RUN(p, &ro, vm, &r);
	harness_check(h, r.run_err == 0 && r.res.retval == 0x1234, "checked_helper_region",
		      "err %d: %s", r.run_err, r.log);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};

	test_custom_helper(&h);
	test_unknown_helper(&h);
	test_checked_faults(&h);
	test_budget(&h);
	test_frames(&h);
	test_callx(&h);
	test_ld_abs(&h);
	test_may_goto(&h);
	test_refused_references(&h);
	test_helper_region(&h);
	return harness_exit(&h);
}
