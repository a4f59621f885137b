/* Maps through skep's own API, where there is nothing in the kernel to
 * compare with: BPF_F_LOCK and spin locks, user-space access flags,
 * mmap-able arrays, map-in-map and prog arrays, pinning (another process
 * sees the live map; it outlives its creator), the ring buffer consumer and
 * its epoll fd, lddw map references and their load errors, and checked runs
 * that use maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "isa/bpf_compat.h"
#include "progbuild.h"
#include "skep/maps.h"
#include "skep/skep.h"
#include "mapattr.h"

static void test_spin_lock_values(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_HASH, 4, 16, 4, 0);
	struct { uint32_t lock, pad; uint64_t x; } v = {7, 7, 42}, out;
	struct skep_map *m = NULL, *nolock = make(BPF_MAP_TYPE_HASH, 4, 16, 4, 0);
	uint32_t k = 1;
	int ok;

	a.has_spin_lock = 1;
	a.spin_lock_off = 0;
	ok = !skep_map_create(&a, &m);
	ok = ok && !skep_map_update(m, &k, &v, BPF_ANY) &&
	     !skep_map_update(m, &k, &v, BPF_EXIST | BPF_F_LOCK) &&
	     skep_map_update(m, &k, &v, BPF_NOEXIST | BPF_F_LOCK) == -EEXIST &&
	     !skep_map_lookup_flags(m, &k, &out, BPF_F_LOCK);
	/* user space never sees (or sets) the lock word */
	ok = ok && out.lock == 0 && out.x == 42 && out.pad == 7;
	harness_check(h, ok, "spin_lock_f_lock", "lock %u x %llu", out.lock,
		      (unsigned long long)out.x);
	harness_check(h, skep_map_update(nolock, &k, &v, BPF_F_LOCK) == -EINVAL &&
				 skep_map_lookup_flags(nolock, &k, &out, BPF_F_LOCK) == -EINVAL,
		      "f_lock_without_lock", "BPF_F_LOCK accepted on a map without a lock");
	a.type = BPF_MAP_TYPE_PERCPU_HASH;
	struct skep_map *bad = NULL;
	harness_check(h, skep_map_create(&a, &bad) == -EOPNOTSUPP, "spin_lock_percpu_refused",
		      "per-CPU map with a spin lock was created");
	skep_map_free(bad);
	skep_map_free(m);
	skep_map_free(nolock);
}

static void test_access_flags(struct harness *h)
{
	struct skep_map *ro = make(BPF_MAP_TYPE_ARRAY, 4, 8, 2, BPF_F_RDONLY);
	struct skep_map *wo = make(BPF_MAP_TYPE_HASH, 4, 8, 2, BPF_F_WRONLY);
	uint32_t k = 0, next;
	uint64_t v = 1;

	harness_check(h, ro && wo && skep_map_update(ro, &k, &v, 0) == -EPERM &&
				 !skep_map_lookup(ro, &k, &v) && !skep_map_update(wo, &k, &v, 0) &&
				 skep_map_lookup(wo, &k, &v) == -EPERM &&
				 skep_map_get_next_key(wo, NULL, &next) == -EPERM,
		      "rdonly_wronly", "access flags not enforced");
	skep_map_free(ro);
	skep_map_free(wo);
}

static void test_mmap(struct harness *h)
{
	struct skep_map *m = make(BPF_MAP_TYPE_ARRAY, 4, 12, 3, BPF_F_MMAPABLE);
	struct skep_map *plain = make(BPF_MAP_TYPE_ARRAY, 4, 12, 3, 0);
	size_t size = 0;
	uint8_t *p = skep_map_mmap(m, &size), v[12] = {0};
	uint32_t k = 2;

	if (p) {
		p[2 * 16 + 5] = 0x5a; /* element 2, stride round_up(12, 8) */
		skep_map_lookup(m, &k, v);
	}
	harness_check(h, p && size == 48 && (uintptr_t)p % 4096 == 0 && v[5] == 0x5a &&
				 !skep_map_mmap(plain, NULL),
		      "mmapable_array", "mmap %p size %zu v[5] %u", (void *)p, size, v[5]);
	skep_map_free(m);
	skep_map_free(plain);
}

static void test_map_in_map(struct harness *h)
{
	struct skep_map *inner = make(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct skep_map *other = make(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0);
	struct skep_map_attr ah = ATTR(BPF_MAP_TYPE_HASH_OF_MAPS, 8, 4, 2, 0);
	struct skep_map *outer = NULL, *houter = NULL;
	uint32_t k = 1, k9 = 9;
	uint64_t hk = 77;
	void *got = NULL;
	int ok;

	a.inner_map = inner;
	ah.inner_map = inner;
	ok = !skep_map_create(&a, &outer) && !skep_map_create(&ah, &houter);
	ok = ok && !skep_map_update_obj(outer, &k, inner, BPF_ANY) &&
	     skep_map_update_obj(outer, &k, other, BPF_ANY) == -EINVAL &&
	     skep_map_update_obj(outer, &k9, inner, BPF_ANY) == -E2BIG &&
	     !skep_map_lookup_obj(outer, &k, &got) && got == inner &&
	     skep_map_update(outer, &k, &k, 0) == -EINVAL &&
	     !skep_map_update_obj(houter, &hk, inner, BPF_NOEXIST) &&
	     skep_map_update_obj(houter, &hk, inner, BPF_NOEXIST) == -EEXIST &&
	     !skep_map_lookup_obj(houter, &hk, &got) && got == inner &&
	     !skep_map_update_obj(houter, &hk, NULL, 0) &&
	     skep_map_lookup_obj(houter, &hk, &got) == -ENOENT &&
	     skep_map_pin(outer, "never") == -EOPNOTSUPP;
	harness_check(h, ok, "map_in_map_api", "map-in-map update/lookup semantics");
	skep_map_free(outer);
	skep_map_free(houter);
	skep_map_free(other);
	skep_map_free(inner);
}

/* A program: inner = outer[1]; inner[2] += 5; return inner[2]. */
static void test_map_in_map_prog(struct harness *h)
{
	struct skep_map *inner = make(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0);
	struct skep_map *outer = NULL, *maps[2];
	int ref[2] = {0, 1};
	struct pb pbuf = {.mapref = ref}, *b = &pbuf;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p = NULL;
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = maps, .nr_maps = 2};
	struct skep_run_result res = {0};
	uint32_t k = 1, k2 = 2;
	uint64_t v = 0;
	int ok;

	a.inner_map = inner;
	ok = !skep_map_create(&a, &outer) && !skep_map_update_obj(outer, &k, inner, 0);
	maps[0] = inner; /* unused by the program: the lookup finds it */
	maps[1] = outer;
	pb_st32(b, -8, 1);
	pb_ld_map(b, 1, 1);
	pb_fp(b, 2, -8);
	pb_call(b, BPF_FUNC_map_lookup_elem); /* r0 = the inner map */
	PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 1);
	pb_exit(b);
	pb_movr(b, 1, 0);
	pb_st32(b, -8, 2);
	pb_fp(b, 2, -8);
	pb_call(b, BPF_FUNC_map_lookup_elem); /* r0 = &inner[2] */
	PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 1);
	pb_exit(b);
	pb_mov(b, 1, 5);
	PB(.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_ADD);
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 0);
	pb_exit(b);
	ok = ok && !skep_prog_load(vm, (struct skep_insn *)b->i, (size_t)b->n, &lo, &p);
	for (int mode = 0; ok && mode < 2; mode++) {
		struct skep_run_opts ro = {.sz = sizeof(ro),
					   .mode = mode ? SKEP_EXEC_CHECKED : SKEP_EXEC_INTERP};
		ok = !skep_prog_run(p, &ro, &res);
	}
	ok = ok && !skep_map_lookup(inner, &k2, &v);
	harness_check(h, ok && v == 10 && res.retval == 10, "map_in_map_prog", "v %llu r0 %llu",
		      (unsigned long long)v, (unsigned long long)res.retval);
	skep_prog_free(p);
	skep_vm_free(vm);
	skep_map_free(outer);
	skep_map_free(inner);
}

static int pin_env(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/skep-test-pin-%d", (int)getpid());
	setenv("SKEP_PIN_DIR", dir, 1);
	return 0;
}

static void pin_cleanup(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd)) {
		/* best effort */
	}
}

static void test_pinning(struct harness *h)
{
	char dir[256];
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_HASH, 4, 8, 16, 0);
	struct skep_map *m = NULL, *again = NULL, *late = NULL, *opened = NULL;
	uint32_t k = 3;
	uint64_t v = 99, out = 0;
	int status = -1, ok;
	pid_t pid;

	pin_env(dir, sizeof(dir));
	a.pin_name = "counts";
	a.name = "counts";
	ok = !skep_map_create(&a, &m) && !skep_map_update(m, &k, &v, 0);
	harness_check(h, ok && skep_map_create(&a, &again) == -EEXIST, "pin_create",
		      "pinned create failed or a second create was allowed");
	/* Another process sees the live map and writes to it. */
	pid = fork();
	if (pid == 0) {
		struct skep_map *c = NULL;
		uint64_t got = 0, nv = 123;
		uint32_t k2 = 4;
		if (skep_map_open_pinned("counts", &c) || skep_map_lookup(c, &k, &got) || got != 99 ||
		    skep_map_update(c, &k2, &nv, BPF_NOEXIST))
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	k = 4;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !skep_map_lookup(m, &k, &out) &&
	     out == 123;
	harness_check(h, ok, "pin_other_process", "child status %d, value %llu", status,
		      (unsigned long long)out);
	/* The map outlives its creator's handle, and an unpinned one can be pinned later. */
	skep_map_free(m);
	ok = !skep_map_open_pinned("counts", &opened) && !skep_map_lookup(opened, &k, &out) &&
	     out == 123;
	late = make(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	k = 1;
	v = 5;
	ok = ok && late && !skep_map_update(late, &k, &v, 0) && !skep_map_pin(late, "late") &&
	     !skep_map_update(late, &k, &v, 0);
	skep_map_free(late);
	late = NULL;
	ok = ok && !skep_map_open_pinned("late", &late) && !skep_map_lookup(late, &k, &out) &&
	     out == 5;
	harness_check(h, ok, "pin_survives", "reopened map lost its contents");
	harness_check(h, skep_map_open_pinned("nope", &again) == -ENOENT &&
				 skep_map_open_pinned("../etc", &again) == -EINVAL &&
				 !skep_map_unpin("counts") &&
				 skep_map_open_pinned("counts", &again) == -ENOENT,
		      "pin_names", "bad names or unpin misbehave");
	skep_map_free(opened);
	skep_map_free(late);
	pin_cleanup(dir);
}

static void test_pin_garbage(struct harness *h)
{
	char dir[256], path[512];
	struct skep_map *m = NULL;
	FILE *f;

	pin_env(dir, sizeof(dir));
	m = make(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	skep_map_pin(m, "x"); /* creates the directory */
	skep_map_free(m);
	snprintf(path, sizeof(path), "%s/garbage", dir);
	f = fopen(path, "w");
	if (f) {
		for (int i = 0; i < 1000; i++)
			fputc(i * 37, f);
		fclose(f);
	}
	harness_check(h, skep_map_open_pinned("garbage", &m) == -EINVAL, "pin_open_garbage",
		      "a file that is not a map was opened");
	pin_cleanup(dir);
}

struct samples {
	int n;
	uint64_t sum;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct samples *s = ctx;
	uint64_t v;

	memcpy(&v, data, 8);
	s->n++;
	s->sum += v + size;
	return 0;
}

/* A program outputs its r1 to the ring; the consumer's epoll fd wakes. */
static void test_ringbuf_consumer(struct harness *h)
{
	struct skep_map *rb = make(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	int ref[1] = {0};
	struct pb pbuf = {.mapref = ref}, *b = &pbuf;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p = NULL;
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = &rb, .nr_maps = 1};
	struct samples s = {0};
	struct skep_ringbuf *c = NULL;
	struct epoll_event ev;
	int ok, ready = 0, total = 0;

	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 1, .off = -8);
	pb_ld_map(b, 1, 0);
	pb_fp(b, 2, -8);
	pb_mov(b, 3, 8);
	pb_mov(b, 4, 0);
	pb_call(b, BPF_FUNC_ringbuf_output);
	pb_exit(b);
	ok = rb && !skep_prog_load(vm, (struct skep_insn *)b->i, (size_t)b->n, &lo, &p);
	c = ok ? skep_ringbuf_new(rb, on_sample, &s) : NULL;
	ok = ok && c;
	/* 1000 samples of 16 bytes through a 4 KiB ring: it wraps many times */
	for (uint64_t i = 1; ok && i <= 1000; i++) {
		struct skep_run_opts ro = {.sz = sizeof(ro), .args = {i}};
		struct skep_run_result res;
		ok = !skep_prog_run(p, &ro, &res) && res.retval == 0;
		if (i % 100 == 0) {
			int epfd = skep_ringbuf_epoll_fd(c);
			ready += epoll_wait(epfd, &ev, 1, 0) == 1;
			total += skep_ringbuf_poll(c, 0);
		}
	}
	harness_check(h, ok && s.n == 1000 && total == 1000 && s.sum == 500500 + 8000 && ready == 10,
		      "ringbuf_consumer_epoll", "n %d total %d sum %llu ready %d", s.n, total,
		      (unsigned long long)s.sum, ready);
	skep_ringbuf_free(c);
	skep_prog_free(p);
	skep_vm_free(vm);
	skep_map_free(rb);
}

static void test_lddw_resolution(struct harness *h)
{
	struct skep_map *arr = make(BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0);
	struct skep_map *big = make(BPF_MAP_TYPE_ARRAY, 4, 16, 2, 0);
	struct skep_map *maps[2] = {arr, big};
	struct bpf_insn value[] = {
		{.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_VALUE},
		{.imm = 8},
		{.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 1},
		{.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 0, .imm = 1},
		{.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 1, .src_reg = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	char log[512];
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log),
				    .maps = maps, .nr_maps = 2};
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p = NULL;
	struct skep_run_result res = {0};
	uint8_t out[16] = {0};
	uint32_t k = 0;
	int ok;

	for (int src = BPF_PSEUDO_MAP_VALUE; src <= BPF_PSEUDO_MAP_IDX_VALUE; src += 4) {
		value[0].src_reg = (uint8_t)src;
		ok = !skep_prog_load(vm, (struct skep_insn *)value, 6, &lo, &p);
		for (int mode = 0; ok && mode < 2; mode++) {
			struct skep_run_opts ro = {.sz = sizeof(ro),
						   .mode = mode ? SKEP_EXEC_CHECKED : SKEP_EXEC_INTERP};
			ok = !skep_prog_run(p, &ro, &res);
		}
		skep_prog_free(p);
		p = NULL;
		harness_check(h, ok, src == 2 ? "lddw_map_value" : "lddw_map_idx_value", "%s", log);
	}
	skep_map_lookup(arr, &k, out);
	harness_check(h, out[8] == 4 && res.retval == 4, "lddw_map_value_writes", "value %u",
		      out[8]);
	value[1].imm = 16;
	harness_check(h, skep_prog_load(vm, (struct skep_insn *)value, 6, &lo, &p) == -EINVAL &&
				 strstr(log, "insn 0") && strstr(log, "offset 16"),
		      "lddw_map_value_bad_offset", "%s", log);
	value[1].imm = 0;
	value[0].imm = 1;
	harness_check(h, skep_prog_load(vm, (struct skep_insn *)value, 6, &lo, &p) == -EINVAL &&
				 strstr(log, "one element"),
		      "lddw_map_value_not_single", "%s", log);
	value[0].imm = 2;
	harness_check(h, skep_prog_load(vm, (struct skep_insn *)value, 6, &lo, &p) == -EINVAL &&
				 strstr(log, "index 2") && strstr(log, "given 2 maps"),
		      "lddw_map_bad_index", "%s", log);
	skep_vm_free(vm);
	skep_map_free(arr);
	skep_map_free(big);
}

/* Checked runs: map values are memory the program may use, past them not;
 * a map pointer the program was not given stops the run. */
static void test_checked_maps(struct harness *h)
{
	struct skep_map *hm = make(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	int ref[1] = {0};
	struct pb ok_prog = {.mapref = ref}, bad_off = {.mapref = ref}, bad_map = {.mapref = ref};
	struct pb bad_key = {.mapref = ref};
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = &hm, .nr_maps = 1};
	struct skep_vm *vm = skep_vm_new();
	char log[1024];
	uint32_t k = 5;
	uint64_t v = 1;

	skep_map_update(hm, &k, &v, 0);
	struct pb *progs[4] = {&ok_prog, &bad_off, &bad_map, &bad_key};
	for (int i = 0; i < 4; i++) {
		struct pb *b = progs[i];
		pb_st32(b, -8, 5);
		if (i == 2)
			pb_mov(b, 1, 12345); /* not a map */
		else
			pb_ld_map(b, 1, 0);
		if (i == 3)
			pb_mov(b, 2, 64); /* not memory */
		else
			pb_fp(b, 2, -8);
		pb_call(b, BPF_FUNC_map_lookup_elem);
		PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 1);
		pb_exit(b);
		PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 0,
		   .off = i == 1 ? -4096 : 0);
		pb_exit(b);
	}
	static const char *const names[4] = {"checked_map_value_ok", "checked_map_value_outside",
					     "checked_bad_map_pointer", "checked_bad_key_pointer"};
	static const char *const expect[4] = {NULL, "8-byte read", "not a map", "r2 (key"};
	for (int i = 0; i < 4; i++) {
		struct skep_prog *p = NULL;
		struct skep_run_opts ro = {.sz = sizeof(ro), .mode = SKEP_EXEC_CHECKED,
					   .log_buf = log, .log_size = sizeof(log)};
		struct skep_run_result res = {0};
		int err = skep_prog_load(vm, (struct skep_insn *)progs[i]->i, (size_t)progs[i]->n, &lo,
					 &p);
		if (!err)
			err = skep_prog_run(p, &ro, &res);
		if (!expect[i])
			harness_check(h, !err && res.retval == 1, names[i], "err %d: %s", err, log);
		else
			harness_check(h, err && res.fault_insn >= 0 && strstr(log, expect[i]), names[i],
				      "err %d insn %lld: %s", err, (long long)res.fault_insn, log);
		skep_prog_free(p);
	}
	skep_vm_free(vm);
	skep_map_free(hm);
}

struct perf_seen {
	int samples[2];
	uint64_t sum, lost;
};

static void on_perf_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	struct perf_seen *s = ctx;
	uint64_t v;

	memcpy(&v, data, 8);
	if (cpu >= 0 && cpu < 2 && size == 8)
		s->samples[cpu]++;
	s->sum += v;
}

static void on_perf_lost(void *ctx, int cpu, uint64_t count)
{
	((struct perf_seen *)ctx)->lost += count;
}

/* perf_event_output(ctx, map, r3 = flags, &r1 (8 bytes), 8) */
static int64_t perf_run(struct skep_vm *vm, struct skep_map *pa, uint64_t flags, uint64_t v,
			uint32_t cpu)
{
	int ref[1] = {0};
	struct pb pbuf = {.mapref = ref}, *b = &pbuf;
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = &pa, .nr_maps = 1};
	struct skep_run_opts ro = {.sz = sizeof(ro), .args = {v, flags}, .cpu = cpu};
	struct skep_run_result res = {0};
	struct skep_prog *p = NULL;

	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 1, .off = -8);
	pb_movr(b, 3, 2);
	pb_ld_map(b, 2, 0);
	pb_fp(b, 4, -8);
	pb_mov(b, 5, 8);
	pb_call(b, BPF_FUNC_perf_event_output);
	pb_exit(b);
	if (skep_prog_load(vm, (struct skep_insn *)b->i, (size_t)b->n, &lo, &p) ||
	    skep_prog_run(p, &ro, &res))
		res.retval = 12345;
	skep_prog_free(p);
	return (int64_t)res.retval;
}

static void test_perfbuf(struct harness *h)
{
	struct skep_map *pa = make(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0);
	struct skep_vm *vm = skep_vm_new();
	struct perf_seen s;
	struct skep_perfbuf *pb;
	int64_t before = perf_run(vm, pa, BPF_F_CURRENT_CPU, 1, 0);
	int errors = 0, n;

	memset(&s, 0, sizeof(s));
	pb = skep_perfbuf_new(pa, 1, on_perf_sample, on_perf_lost, &s);
	for (uint64_t i = 1; pb && i <= 100; i++)
		errors += perf_run(vm, pa, BPF_F_CURRENT_CPU, i, (uint32_t)(i % 2)) != 0;
	n = pb ? skep_perfbuf_poll(pb, 0) : -1;
	harness_check(h, before == -ENOENT && !errors && n == 100 && s.samples[0] == 50 &&
				 s.samples[1] == 50 && s.sum == 5050,
		      "perf_event_output", "before %lld errors %d n %d samples %d/%d sum %llu",
		      (long long)before, errors, n, s.samples[0], s.samples[1],
		      (unsigned long long)s.sum);
	/* one page holds 256 samples of 8 bytes: the rest are lost and counted */
	errors = 0;
	for (int i = 0; pb && i < 300; i++)
		errors += perf_run(vm, pa, 1, 1, 0) == -ENOSPC;
	memset(&s, 0, sizeof(s));
	n = pb ? skep_perfbuf_consume(pb) : -1;
	harness_check(h, errors == 44 && n == 256 && s.samples[1] == 256 && s.lost == 44,
		      "perf_lost_samples", "enospc %d n %d lost %llu", errors, n,
		      (unsigned long long)s.lost);
	harness_check(h, perf_run(vm, pa, 5, 1, 0) == -E2BIG &&
				 perf_run(vm, pa, 1ull << 40, 1, 0) == -EINVAL,
		      "perf_bad_index", "index checks");
	skep_perfbuf_free(pb);
	harness_check(h, perf_run(vm, pa, 0, 1, 0) == -ENOENT, "perf_after_free",
		      "the freed rings are still in the array");
	skep_vm_free(vm);
	skep_map_free(pa);
}

static void test_batch_lpm_unsupported(struct harness *h)
{
	struct skep_map *m = make(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 4, BPF_F_NO_PREALLOC);
	uint32_t count = 4, keys[8];
	uint64_t vals[4], out;

	harness_check(h, m && skep_map_lookup_batch(m, NULL, &out, keys, vals, &count, 0) == -524 &&
				 count == 4,
		      "batch_unsupported_type", "count %u", count);
	skep_map_free(m);
}

int main(void)
{
	struct harness h = {0};

	test_spin_lock_values(&h);
	test_access_flags(&h);
	test_mmap(&h);
	test_map_in_map(&h);
	test_map_in_map_prog(&h);
	test_pinning(&h);
	test_pin_garbage(&h);
	test_ringbuf_consumer(&h);
	test_lddw_resolution(&h);
	test_checked_maps(&h);
	test_batch_lpm_unsupported(&h);
	test_perfbuf(&h);
	return harness_exit(&h);
}
