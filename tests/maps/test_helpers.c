/* The built-in helpers: the prototype table, the formatting of trace_printk
 * and snprintf, fault-safe probe reads, strings, ids, clocks, function
 * arguments from a trampoline-style context, and the checks a checked run
 * makes on helper arguments. */
#define _GNU_SOURCE /* gettid */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "helpers/helpers.h"
#include "isa/bpf_compat.h"
#include "progbuild.h"
#include "skep/maps.h"
#include "skep/skep.h"

static void test_proto_table(struct harness *h)
{
	size_t n;
	const struct helper_proto *t = helper_protos(&n);
	struct skep_vm *vm = skep_vm_new();
	int ok = n >= 35;

	for (size_t i = 0; ok && i < n; i++) {
		const char *name = skep_vm_helper_name(vm, t[i].id);
		ok = name && !strcmp(name, t[i].name) && helper_proto_of(t[i].id) == &t[i] &&
		     t[i].fn && (i == 0 || t[i - 1].id < t[i].id);
		if (!ok)
			harness_fail(h, "proto_table", "row %zu (id %u, %s)", i, t[i].id, t[i].name);
	}
	if (ok)
		harness_pass(h, "proto_table");
	t = helper_proto_of(BPF_FUNC_map_lookup_elem);
	harness_check(h, t && t->ret == RET_PTR_TO_MAP_VALUE_OR_NULL &&
				 t->args[0] == ARG_CONST_MAP_PTR && t->args[1] == ARG_PTR_TO_MAP_KEY &&
				 t->args[2] == ARG_DONTCARE,
		      "proto_map_lookup", "the prototype is not the kernel's");
	skep_vm_free(vm);
}

static void test_format(struct harness *h)
{
	static const char unmapped_note[] = "(fault)";
	uint8_t ip[4] = {192, 168, 1, 20};
	uint64_t args[6] = {(uint64_t)-5, 255, 255, 0x123456789ull, 'Z', 0};
	static const struct {
		const char *fmt;
		const char *want;
	} cases[] = {
		{"%d|%u|%x", "-5|255|ff"},
		{"%5d|%-4u|%04x", "   -5|255 |00ff"},
	};
	char out[128];
	int len;

	len = helper_format(out, sizeof(out), cases[0].fmt, strlen(cases[0].fmt), args, 6);
	harness_check(h, len == (int)strlen(cases[0].want) && !strcmp(out, cases[0].want),
		      "format_basic", "'%s' (%d)", out, len);
	len = helper_format(out, sizeof(out), cases[1].fmt, strlen(cases[1].fmt), args, 6);
	harness_check(h, !strcmp(out, cases[1].want), "format_width", "'%s'", out);
	len = helper_format(out, sizeof(out), "%lld %llx %d%% %lx", 18, args, 6);
	harness_check(h, !strcmp(out, "-5 ff 255% 123456789"), "format_long", "'%s'",
		      out);
	uint64_t a2[4] = {(uint64_t)(uintptr_t)"hi", (uint64_t)(uintptr_t)ip, (uint64_t)(uintptr_t)ip,
			  'Z'};
	len = helper_format(out, sizeof(out), "%s %pI4 %pi4 %c", 20, a2, 4);
	harness_check(h, !strcmp(out, "hi 192.168.1.20 192.168.001.020 Z"), "format_str_ip", "'%s'",
		      out);
	uint64_t bad[1] = {16}; /* page zero: never mapped */
	len = helper_format(out, sizeof(out), "[%s]", 4, bad, 1);
	harness_check(h, strstr(out, unmapped_note) != NULL, "format_bad_string", "'%s'", out);
	harness_check(h, helper_format(out, sizeof(out), "%d %d", 5, args, 1) == -EINVAL &&
				 helper_format(out, sizeof(out), "%q", 2, args, 1) == -EINVAL &&
				 helper_format(out, sizeof(out), "%hd", 3, args, 1) == -EINVAL,
		      "format_refuses", "bad formats accepted");
	len = helper_format(out, 4, "abcdef", 6, args, 0);
	harness_check(h, len == 6 && !strcmp(out, "abc"), "format_truncates", "'%s' %d", out, len);
}

struct trace_lines {
	char text[512];
	int n;
};

static void on_trace(void *ctx, const char *line, size_t len)
{
	struct trace_lines *t = ctx;
	size_t used = strlen(t->text);

	snprintf(t->text + used, sizeof(t->text) - used, "%.*s;", (int)len, line);
	t->n++;
}

/* Run a program with r1..r2 = mem, len; return r0 (or a large error). */
static uint64_t run(struct skep_vm *vm, struct pb *b, void *mem, size_t len, int checked,
		    char *log, size_t log_size, int *err_out)
{
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = log_size};
	struct skep_region r = {mem, len, 1, "mem"};
	struct skep_run_opts ro = {.sz = sizeof(ro), .args = {(uint64_t)(uintptr_t)mem, len},
				   .regions = &r, .nr_regions = mem ? 1 : 0,
				   .mode = checked ? SKEP_EXEC_CHECKED : SKEP_EXEC_INTERP,
				   .cpu = 1, .log_buf = log, .log_size = log_size};
	struct skep_run_result res = {0};
	struct skep_prog *p = NULL;
	int err = skep_prog_load(vm, (struct skep_insn *)b->i, (size_t)b->n, &lo, &p);

	if (!err)
		err = skep_prog_run(p, &ro, &res);
	skep_prog_free(p);
	if (err_out)
		*err_out = err;
	return err ? (uint64_t)-1 : res.retval;
}

static void test_trace_printk(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	struct trace_lines t = {"", 0};
	char mem[32] = "n=%d x=%x\n", log[256];
	struct pb pbuf = {0}, *b = &pbuf;
	uint64_t r0;

	skep_vm_set_trace(vm, on_trace, &t);
	pb_mov(b, 2, 12);
	pb_mov(b, 3, -7);
	pb_mov(b, 4, 0xbeef);
	pb_call(b, BPF_FUNC_trace_printk);
	pb_exit(b);
	r0 = run(vm, b, mem, sizeof(mem), 0, log, sizeof(log), NULL);
	harness_check(h, t.n == 1 && !strcmp(t.text, "n=-7 x=beef;") && r0 == 12, "trace_printk",
		      "lines %d '%s' r0 %lld", t.n, t.text, (long long)r0);
	mem[10] = mem[11] = 'x'; /* no NUL within the size: refused */
	r0 = run(vm, b, mem, 12, 0, log, sizeof(log), NULL);
	harness_check(h, r0 == (uint64_t)-EINVAL && t.n == 1, "trace_printk_needs_nul", "r0 %lld",
		      (long long)r0);
	skep_vm_free(vm);
}

/* bpf_trace_vprintk: the same line from the arguments in an array (at mem+16). */
static void test_trace_vprintk(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	struct trace_lines t = {"", 0};
	uint8_t mem[32] = "n=%d x=%x\n";
	int64_t args[2] = {-7, 0xbeef};
	char log[256];
	struct pb pbuf = {0}, *b = &pbuf;
	uint64_t r0;

	memcpy(mem + 16, args, sizeof(args));
	skep_vm_set_trace(vm, on_trace, &t);
	pb_mov(b, 2, 12);
	pb_movr(b, 3, 1);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 3, .imm = 16);
	pb_mov(b, 4, 16);
	pb_call(b, BPF_FUNC_trace_vprintk);
	pb_exit(b);
	r0 = run(vm, b, mem, sizeof(mem), 0, log, sizeof(log), NULL);
	harness_check(h, t.n == 1 && !strcmp(t.text, "n=-7 x=beef;") && r0 == 12, "trace_vprintk",
		      "lines %d '%s' r0 %lld", t.n, t.text, (long long)r0);
	b->n = 0;
	pb_mov(b, 2, 12);
	pb_movr(b, 3, 1);
	pb_mov(b, 4, 12); /* not a whole number of u64s */
	pb_call(b, BPF_FUNC_trace_vprintk);
	pb_exit(b);
	r0 = run(vm, b, mem, sizeof(mem), 0, log, sizeof(log), NULL);
	harness_check(h, r0 == (uint64_t)-EINVAL && t.n == 1, "trace_vprintk_whole_args",
		      "r0 %lld", (long long)r0);
	skep_vm_free(vm);
}

/* An unverified program that takes a lock twice (or a word that is no free
 * lock) stops with -EDEADLK in a checked run instead of spinning for ever. */
static void test_spin_lock_checked(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	uint32_t mem[4] = {0};
	char log[256] = "";
	struct pb pbuf = {0}, *b = &pbuf;
	int err = 0;

	pb_movr(b, 6, 1); /* the calls clobber r1 */
	for (int i = 0; i < 2; i++) {
		pb_movr(b, 1, 6);
		pb_call(b, BPF_FUNC_spin_lock);
	}
	pb_mov(b, 0, 0);
	pb_exit(b);
	run(vm, b, mem, sizeof(mem), 1, log, sizeof(log), &err);
	harness_check(h, err == -EDEADLK && strstr(log, "stays taken"), "spin_lock_twice_checked",
		      "error %d: %s", err, log);
	skep_vm_free(vm);
}

/* snprintf(mem+32, 32, mem (the format), mem+64 (args), 16) */
static void test_snprintf(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	uint8_t mem[96] = "v=%llu/%d";
	uint64_t a[2] = {77, (uint64_t)-1};
	struct pb pbuf = {0}, *b = &pbuf;
	char log[256];
	uint64_t r0;

	memcpy(mem + 64, a, sizeof(a));
	pb_movr(b, 6, 1);
	pb_movr(b, 3, 1);
	pb_movr(b, 4, 1);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 4, .imm = 64);
	pb_mov(b, 5, 16);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 1, .imm = 32);
	pb_mov(b, 2, 32);
	pb_call(b, BPF_FUNC_snprintf);
	pb_exit(b);
	for (int checked = 0; checked < 2; checked++) {
		memset(mem + 32, 'X', 32);
		r0 = run(vm, b, mem, sizeof(mem), checked, log, sizeof(log), NULL);
		harness_check(h, r0 == 8 && !strcmp((char *)mem + 32, "v=77/-1"),
			      checked ? "snprintf_checked" : "snprintf", "r0 %lld '%s' %s",
			      (long long)r0, mem + 32, log);
	}
	skep_vm_free(vm);
}

/* probe_read(mem, 8, src) and probe_read_str(mem, 16, src), src in r3. */
static uint64_t probe(struct skep_vm *vm, int id, uint64_t src, uint8_t *mem, size_t size,
		      int checked, int *err)
{
	struct pb pbuf = {0}, *b = &pbuf;
	char log[256];

	PB(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 3, .imm = (int32_t)(uint32_t)src);
	PB(.imm = (int32_t)(src >> 32));
	pb_mov(b, 2, (int32_t)size);
	pb_call(b, id);
	pb_exit(b);
	return run(vm, b, mem, size, checked, log, sizeof(log), err);
}

static void test_probe_read(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	uint8_t mem[16];
	static const char src[] = "hello";
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t r0;
	int err;

	memset(mem, 0xaa, sizeof(mem));
	r0 = probe(vm, BPF_FUNC_probe_read_user, (uintptr_t)src, mem, 6, 0, &err);
	harness_check(h, r0 == 0 && !memcmp(mem, "hello", 6), "probe_read", "r0 %lld",
		      (long long)r0);
	memset(mem, 0xaa, sizeof(mem));
	r0 = probe(vm, BPF_FUNC_probe_read_kernel, 8, mem, 8, 0, &err);
	harness_check(h, r0 == (uint64_t)-EFAULT && mem[0] == 0 && mem[7] == 0,
		      "probe_read_fault", "r0 %lld mem[0] %u", (long long)r0, mem[0]);
	r0 = probe(vm, BPF_FUNC_probe_read_user_str, (uintptr_t)src, mem, 16, 0, &err);
	harness_check(h, r0 == 6 && !strcmp((char *)mem, "hello"), "probe_read_str", "r0 %lld",
		      (long long)r0);
	r0 = probe(vm, BPF_FUNC_probe_read_str, (uintptr_t)src, mem, 4, 0, &err);
	harness_check(h, r0 == 4 && !strcmp((char *)mem, "hel"), "probe_read_str_truncates",
		      "r0 %lld", (long long)r0);
	/* A string that ends right before an unmapped page still reads. */
	if (two != MAP_FAILED) {
		munmap(two + page, (size_t)page);
		memcpy(two + page - 3, "ok", 3);
		r0 = probe(vm, BPF_FUNC_probe_read_kernel_str, (uintptr_t)(two + page - 3), mem, 16, 0,
			   &err);
		harness_check(h, r0 == 3 && !strcmp((char *)mem, "ok"), "probe_read_str_page_end",
			      "r0 %lld", (long long)r0);
		munmap(two, (size_t)page);
	}
	/* Checked: the destination must be the program's own memory. */
	r0 = probe(vm, BPF_FUNC_probe_read_user, (uintptr_t)src, mem, 16, 1, &err);
	harness_check(h, err == 0 && r0 == 0, "probe_read_checked_ok", "err %d", err);
	struct pb pbuf = {0}, *b = &pbuf;
	char log[256];
	pb_mov(b, 1, 64); /* not the program's memory */
	pb_mov(b, 2, 8);
	pb_mov(b, 3, 0);
	pb_call(b, BPF_FUNC_probe_read);
	pb_exit(b);
	run(vm, b, mem, sizeof(mem), 1, log, sizeof(log), &err);
	harness_check(h, err == -EFAULT && strstr(log, "bpf_probe_read: r1 (dst"),
		      "probe_read_checked_dst", "err %d: %s", err, log);
	skep_vm_free(vm);
}

static void test_ids_and_clocks(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	static const int ids[] = {BPF_FUNC_get_smp_processor_id, BPF_FUNC_get_current_pid_tgid,
				  BPF_FUNC_get_current_uid_gid, BPF_FUNC_ktime_get_ns,
				  BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ktime_get_coarse_ns,
				  BPF_FUNC_jiffies64, BPF_FUNC_get_prandom_u32};
	uint64_t r[8], r2[8];
	char log[128];

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 8; i++) {
			struct pb pbuf = {0}, *b = &pbuf;
			pb_call(b, ids[i]);
			pb_exit(b);
			(round ? r2 : r)[i] = run(vm, b, NULL, 0, 0, log, sizeof(log), NULL);
		}
	harness_check(h, r[0] == 1, "smp_processor_id", "%llu", (unsigned long long)r[0]);
	harness_check(h, r[1] >> 32 == (uint64_t)getpid() && (uint32_t)r[1] == (uint32_t)gettid(),
		      "current_pid_tgid", "%llx", (unsigned long long)r[1]);
	harness_check(h, r[2] == ((uint64_t)getgid() << 32 | getuid()), "current_uid_gid", "%llx",
		      (unsigned long long)r[2]);
	harness_check(h, r2[3] > r[3] && r2[4] >= r[4] && r2[5] >= r[5] && r2[6] >= r[6] && r[3],
		      "clocks_advance", "ktime %llu -> %llu", (unsigned long long)r[3],
		      (unsigned long long)r2[3]);
	harness_check(h, r[7] != r2[7] || r[7] != 0, "prandom", "%llu %llu",
		      (unsigned long long)r[7], (unsigned long long)r2[7]);
	skep_vm_free(vm);
}

static void test_comm_strncmp(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	char mem[32], log[128], old[17] = "";
	struct pb pbuf = {0}, *b = &pbuf;
	uint64_t r0;

	prctl(PR_GET_NAME, old);
	prctl(PR_SET_NAME, "skeptest");
	memset(mem, 'x', sizeof(mem));
	pb_mov(b, 2, 16);
	pb_call(b, BPF_FUNC_get_current_comm);
	pb_exit(b);
	r0 = run(vm, b, mem, sizeof(mem), 1, log, sizeof(log), NULL);
	harness_check(h, r0 == 0 && !strcmp(mem, "skeptest") && mem[15] == 0 && mem[16] == 'x',
		      "get_current_comm", "'%s'", mem);
	prctl(PR_SET_NAME, old);
	/* strncmp(mem, 8, mem + 16) */
	b->n = 0;
	pb_movr(b, 3, 1);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 3, .imm = 16);
	pb_mov(b, 2, 8);
	pb_call(b, BPF_FUNC_strncmp);
	pb_exit(b);
	strcpy(mem, "abcdef");
	strcpy(mem + 16, "abcdez");
	r0 = run(vm, b, mem, sizeof(mem), 1, log, sizeof(log), NULL);
	harness_check(h, (int64_t)r0 < 0, "strncmp_less", "%lld", (long long)r0);
	strcpy(mem + 16, "abcdef");
	r0 = run(vm, b, mem, sizeof(mem), 0, log, sizeof(log), NULL);
	harness_check(h, r0 == 0, "strncmp_equal", "%lld", (long long)r0);
	skep_vm_free(vm);
}

/* get_func_arg(ctx, 1, &out), get_func_ret, get_func_arg_cnt with ctx laid
 * out as the kernel's trampoline: [nr][args...][ret]. */
static void test_func_args(struct harness *h)
{
	struct skep_vm *vm = skep_vm_new();
	uint64_t frame[6] = {3, 10, 20, 30, 99, 0};
	struct pb pbuf = {0}, *b = &pbuf;
	char log[128];
	uint64_t r0;

	pb_movr(b, 6, 1);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 6, .imm = 8); /* ctx = &args[0] */
	pb_movr(b, 1, 6);
	pb_mov(b, 2, 1);
	pb_movr(b, 3, 6);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 3, .imm = 32); /* out = &frame[5] */
	pb_call(b, BPF_FUNC_get_func_arg);
	pb_movr(b, 7, 0);
	pb_movr(b, 1, 6);
	pb_mov(b, 2, 7);
	pb_movr(b, 3, 6);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 3, .imm = 32);
	pb_call(b, BPF_FUNC_get_func_arg); /* past the end: -EINVAL */
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 7, .src_reg = 0);
	pb_movr(b, 1, 6);
	pb_call(b, BPF_FUNC_get_func_arg_cnt);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 0, .src_reg = 7);
	pb_exit(b);
	r0 = run(vm, b, frame, sizeof(frame), 1, log, sizeof(log), NULL);
	harness_check(h, r0 == (uint64_t)(3 - EINVAL) && frame[5] == 20, "get_func_arg",
		      "r0 %lld out %llu %s", (long long)r0, (unsigned long long)frame[5], log);
	b->n = 0;
	pb_movr(b, 6, 1);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 6, .imm = 8);
	pb_movr(b, 1, 6);
	pb_movr(b, 2, 6);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = 32);
	pb_call(b, BPF_FUNC_get_func_ret);
	pb_exit(b);
	r0 = run(vm, b, frame, sizeof(frame), 1, log, sizeof(log), NULL);
	harness_check(h, r0 == 0 && frame[5] == 99, "get_func_ret", "out %llu",
		      (unsigned long long)frame[5]);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};

	test_proto_table(&h);
	test_format(&h);
	test_trace_printk(&h);
	test_trace_vprintk(&h);
	test_snprintf(&h);
	test_spin_lock_checked(&h);
	test_probe_read(&h);
	test_ids_and_clocks(&h);
	test_comm_strncmp(&h);
	test_func_args(&h);
	return harness_exit(&h);
}
