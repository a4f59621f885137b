/* Maps under concurrency: threads running programs that update the same
 * values (atomics, bpf_spin_lock), hash churn while lock-free lookups of
 * stable keys must never miss, LRU eviction from many threads, queue and ring
 * buffer producers and consumers, a pinned map read by another process
 * while this one writes, and a process killed in the middle of updates
 * leaving its pinned map readable and writable. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "isa/bpf_compat.h"
#include "progbuild.h"
#include "skep/maps.h"
#include "skep/skep.h"
#include "mapattr.h"

#define THREADS 4
#define ROUNDS 20000

static struct skep_prog *load(struct skep_vm *vm, struct pb *b, struct skep_map **maps, size_t n)
{
	char log[512];
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log),
				    .maps = maps, .nr_maps = n};
	struct skep_prog *p = NULL;

	if (skep_prog_load(vm, (struct skep_insn *)b->i, (size_t)b->n, &lo, &p))
		fprintf(stderr, "load: %s\n", log);
	return p;
}

struct runner {
	struct skep_prog *prog;
	uint32_t cpu;
	int rounds, failures;
	enum skep_exec_mode mode;
};

static void *run_many(void *arg)
{
	struct runner *r = arg;
	struct skep_run_opts ro = {.sz = sizeof(ro), .cpu = r->cpu, .mode = r->mode};
	struct skep_run_result res;

	for (int i = 0; i < r->rounds; i++)
		if (skep_prog_run(r->prog, &ro, &res) || res.retval != 0)
			r->failures++;
	return NULL;
}

static int run_threads(struct skep_prog *p, int rounds, enum skep_exec_mode mode)
{
	pthread_t t[THREADS];
	struct runner r[THREADS];
	int failures = 0;

	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct runner){p, (uint32_t)i, rounds, 0, mode};
		pthread_create(&t[i], NULL, run_many, &r[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		failures += r[i].failures;
	}
	return failures;
}

/* arr[0] += 1 and pcpu[0] += 1 with atomics, from every thread. */
static void test_atomic_counters(struct harness *h)
{
	struct skep_map *maps[2] = {make(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0),
				    make(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0)};
	int ref[2] = {0, 1};
	struct pb pbuf = {.mapref = ref}, *b = &pbuf;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p;
	uint64_t total = 0, per[1024];
	uint32_t k = 0, ncpu = skep_nr_cpus();
	int fails, ok;

	for (int m = 0; m < 2; m++) {
		pb_st32(b, -8, 0);
		pb_ld_map(b, 1, m);
		pb_fp(b, 2, -8);
		pb_call(b, BPF_FUNC_map_lookup_elem);
		PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 2);
		pb_mov(b, 0, 1);
		pb_exit(b);
		pb_mov(b, 1, 1);
		PB(.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_ADD);
	}
	pb_epilogue(b, 0);
	p = load(vm, b, maps, 2);
	fails = p ? run_threads(p, ROUNDS, SKEP_EXEC_INTERP) +
			    run_threads(p, ROUNDS / 10, SKEP_EXEC_CHECKED)
		  : -1;
	skep_map_lookup(maps[0], &k, &total);
	skep_map_lookup(maps[1], &k, per);
	ok = !fails && total == THREADS * (ROUNDS + ROUNDS / 10);
	/* thread i runs as CPU i (modulo the CPUs): the slots add up */
	uint64_t sum = 0;
	for (uint32_t c = 0; c < ncpu; c++)
		sum += per[c];
	ok = ok && sum == THREADS * (ROUNDS + ROUNDS / 10);
	harness_check(h, ok, "atomic_counters", "fails %d total %llu per-CPU sum %llu", fails,
		      (unsigned long long)total, (unsigned long long)sum);
	skep_prog_free(p);
	skep_vm_free(vm);
	skep_map_free(maps[0]);
	skep_map_free(maps[1]);
}

/* value = {lock, pad, counter}: lock; counter++; unlock, from every thread. */
static void test_spin_lock(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_HASH, 4, 16, 4, 0);
	struct skep_map *m = NULL;
	int ref[1] = {0};
	struct pb pbuf = {.mapref = ref}, *b = &pbuf;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p = NULL;
	uint64_t v[2] = {0, 0};
	uint32_t k = 7;
	int fails = -1;

	a.has_spin_lock = 1;
	if (!skep_map_create(&a, &m) && !skep_map_update(m, &k, v, BPF_ANY)) {
		pb_st32(b, -8, 7);
		pb_ld_map(b, 1, 0);
		pb_fp(b, 2, -8);
		pb_call(b, BPF_FUNC_map_lookup_elem);
		PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 2);
		pb_mov(b, 0, 1);
		pb_exit(b);
		pb_movr(b, 6, 0);
		pb_movr(b, 1, 6);
		pb_call(b, BPF_FUNC_spin_lock);
		PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 6, .off = 8);
		PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 0, .imm = 1);
		PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 6, .src_reg = 0, .off = 8);
		pb_movr(b, 1, 6);
		pb_call(b, BPF_FUNC_spin_unlock);
		pb_epilogue(b, 0);
		p = load(vm, b, &m, 1);
		fails = p ? run_threads(p, ROUNDS, SKEP_EXEC_INTERP) : -1;
		skep_map_lookup_flags(m, &k, v, BPF_F_LOCK);
	}
	harness_check(h, !fails && v[1] == THREADS * ROUNDS && v[0] == 0, "spin_lock_counter",
		      "fails %d counter %llu", fails, (unsigned long long)v[1]);
	skep_prog_free(p);
	skep_vm_free(vm);
	skep_map_free(m);
}

struct churn {
	struct skep_map *m;
	int id, errors;
	volatile int *stop;
};

/* Keys id*1000 .. id*1000+99: insert, update, delete, over and over. */
static void *churn_writer(void *arg)
{
	struct churn *c = arg;

	for (int r = 0; r < ROUNDS / 20; r++)
		for (uint32_t i = 0; i < 100; i++) {
			uint32_t k = (uint32_t)c->id * 1000 + i;
			uint64_t v = ((uint64_t)k << 32) | (uint32_t)r;
			if (skep_map_update(c->m, &k, &v, BPF_NOEXIST) ||
			    skep_map_update(c->m, &k, &v, BPF_EXIST) || skep_map_delete(c->m, &k))
				c->errors++;
		}
	return NULL;
}

/* Stable keys 0..63 must always be found, with their own value. */
static void *churn_reader(void *arg)
{
	struct churn *c = arg;

	while (!*c->stop)
		for (uint32_t k = 0; k < 64; k++) {
			uint64_t v = 0;
			if (skep_map_lookup(c->m, &k, &v) || v != (uint64_t)k * 3)
				c->errors++;
		}
	return NULL;
}

static void test_hash_churn(struct harness *h, uint32_t flags, const char *name)
{
	struct skep_map *m = make(BPF_MAP_TYPE_HASH, 4, 8, 64 + 3 * 100, flags);
	pthread_t t[THREADS];
	struct churn c[THREADS];
	volatile int stop = 0;
	int errors = 0;
	uint32_t count = 0, k;

	for (k = 0; k < 64; k++) {
		uint64_t v = (uint64_t)k * 3;
		skep_map_update(m, &k, &v, BPF_NOEXIST);
	}
	for (int i = 0; i < THREADS; i++) {
		c[i] = (struct churn){m, i + 1, 0, &stop};
		pthread_create(&t[i], NULL, i == 0 ? churn_reader : churn_writer, &c[i]);
	}
	for (int i = 1; i < THREADS; i++)
		pthread_join(t[i], NULL);
	stop = 1;
	pthread_join(t[0], NULL);
	for (int i = 0; i < THREADS; i++)
		errors += c[i].errors;
	for (uint8_t prev[4], *pk = NULL, key[4]; !skep_map_get_next_key(m, pk, key); count++) {
		memcpy(prev, key, 4);
		pk = prev;
	}
	harness_check(h, !errors && count == 64, name, "%d errors, %u keys left", errors, count);
	skep_map_free(m);
}

/* Many threads insert far more keys than an LRU holds: nothing fails. */
static void *lru_writer(void *arg)
{
	struct churn *c = arg;

	for (uint32_t i = 0; i < ROUNDS; i++) {
		uint32_t k = (uint32_t)c->id << 24 | i;
		uint64_t v = k;
		if (skep_map_update(c->m, &k, &v, BPF_ANY))
			c->errors++;
		if (i % 3 == 0 && !skep_map_lookup(c->m, &k, &v) && v != k)
			c->errors++;
	}
	return NULL;
}

static void test_lru_threads(struct harness *h)
{
	struct skep_map *m = make(BPF_MAP_TYPE_LRU_HASH, 4, 8, 1000, 0);
	pthread_t t[THREADS];
	struct churn c[THREADS];
	int errors = 0;
	uint32_t count = 0;

	for (int i = 0; i < THREADS; i++) {
		c[i] = (struct churn){m, i + 1, 0, NULL};
		pthread_create(&t[i], NULL, lru_writer, &c[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		errors += c[i].errors;
	}
	for (uint8_t prev[4], *pk = NULL, key[4]; !skep_map_get_next_key(m, pk, key); count++) {
		memcpy(prev, key, 4);
		pk = prev;
	}
	harness_check(h, !errors && count > 0 && count <= 1000, "lru_threads",
		      "%d errors, %u keys", errors, count);
	skep_map_free(m);
}

struct qarg {
	struct skep_map *m;
	int producer;
	uint64_t sum, n;
	volatile int *done;
};

static void *queue_worker(void *arg)
{
	struct qarg *q = arg;
	uint64_t v;

	if (q->producer) {
		for (v = 1; v <= ROUNDS; v++)
			while (skep_map_update(q->m, NULL, &v, BPF_ANY) == -E2BIG)
				sched_yield();
		return NULL;
	}
	for (;;) {
		if (!skep_map_lookup_and_delete(q->m, NULL, &v, 0)) {
			q->sum += v;
			q->n++;
		} else if (*q->done) {
			if (skep_map_lookup_and_delete(q->m, NULL, &v, 0))
				return NULL;
			q->sum += v;
			q->n++;
		}
	}
}

static void test_queue_threads(struct harness *h)
{
	struct skep_map *m = make(BPF_MAP_TYPE_QUEUE, 0, 8, 64, 0);
	pthread_t t[THREADS];
	struct qarg q[THREADS];
	volatile int done = 0;
	uint64_t sum = 0, n = 0;

	for (int i = 0; i < THREADS; i++) {
		q[i] = (struct qarg){m, i < THREADS / 2, 0, 0, &done};
		pthread_create(&t[i], NULL, queue_worker, &q[i]);
	}
	for (int i = 0; i < THREADS / 2; i++)
		pthread_join(t[i], NULL);
	done = 1;
	for (int i = THREADS / 2; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		sum += q[i].sum;
		n += q[i].n;
	}
	harness_check(h, n == (THREADS / 2) * (uint64_t)ROUNDS &&
				 sum == (THREADS / 2) * (uint64_t)ROUNDS * (ROUNDS + 1) / 2,
		      "queue_threads", "popped %llu values summing %llu", (unsigned long long)n,
		      (unsigned long long)sum);
	skep_map_free(m);
}

static int count_sample(void *ctx, void *data, size_t size)
{
	uint64_t *acc = ctx, v;

	memcpy(&v, data, 8);
	acc[0]++;
	acc[1] += v;
	return size == 8 ? 0 : -1;
}

/* Every thread's program outputs 1..n to the ring; one consumer reads all. */
static void test_ringbuf_threads(struct harness *h)
{
	struct skep_map *rb = make(BPF_MAP_TYPE_RINGBUF, 0, 0, 1 << 16, 0);
	struct skep_map *ctr = make(BPF_MAP_TYPE_ARRAY, 4, 8, THREADS, 0);
	struct skep_map *maps[2] = {rb, ctr};
	int ref[2] = {0, 1};
	struct pb pbuf = {.mapref = ref}, *b = &pbuf;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p;
	uint64_t acc[2] = {0, 0};
	struct skep_ringbuf *c = skep_ringbuf_new(rb, count_sample, acc);
	int fails = 0;

	/* v = ++ctr[cpu]; output(&v, 8) until it fits */
	pb_call(b, BPF_FUNC_get_smp_processor_id);
	PB(.code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = 10, .src_reg = 0, .off = -4);
	pb_ld_map(b, 1, 1);
	pb_fp(b, 2, -4);
	pb_call(b, BPF_FUNC_map_lookup_elem);
	PB(.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 1);
	pb_exit(b);
	pb_mov(b, 1, 1);
	PB(.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_FETCH | BPF_ADD);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 1, .imm = 1);
	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 1, .off = -16);
	pb_ld_map(b, 1, 0);
	pb_fp(b, 2, -16);
	pb_mov(b, 3, 8);
	pb_mov(b, 4, 0);
	pb_call(b, BPF_FUNC_ringbuf_output);
	pb_exit(b);
	p = load(vm, b, maps, 2);
	pthread_t t[THREADS];
	struct runner r[THREADS];
	/* The ring holds 4096 samples: run in slices and drain between them. */
	for (int slice = 0; p && c && slice < 10; slice++) {
		for (int i = 0; i < THREADS; i++) {
			r[i] = (struct runner){p, (uint32_t)i, 500, 0, SKEP_EXEC_INTERP};
			pthread_create(&t[i], NULL, run_many, &r[i]);
		}
		for (int i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			fails += r[i].failures;
		}
		skep_ringbuf_consume(c);
	}
	uint64_t n = THREADS * 5000ull;
	harness_check(h, !fails && acc[0] == n && acc[1] == THREADS * 5000ull * 5001 / 2,
		      "ringbuf_threads", "fails %d samples %llu sum %llu", fails,
		      (unsigned long long)acc[0], (unsigned long long)acc[1]);
	skep_ringbuf_free(c);
	skep_prog_free(p);
	skep_vm_free(vm);
	skep_map_free(rb);
	skep_map_free(ctr);
}

static void pin_dir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/skep-stress-%d", (int)getpid());
	setenv("SKEP_PIN_DIR", dir, 1);
}

static void pin_cleanup(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd)) {
		/* best effort */
	}
}

/* A child reads the counter while the parent bumps it: it only grows. */
static void test_pinned_reader(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct skep_map *m = NULL;
	char dir[256];
	uint32_t k = 0;
	int status = -1, pipefd[2];
	char ready;
	pid_t pid;

	pin_dir(dir, sizeof(dir));
	a.pin_name = "live";
	if (skep_map_create(&a, &m) || pipe(pipefd)) {
		harness_fail(h, "pinned_live_reader", "setup");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct skep_map *c = NULL;
		uint64_t v, last = 0, changes = 0;
		if (skep_map_open_pinned("live", &c) || write(pipefd[1], "r", 1) != 1)
			_exit(2);
		do {
			if (skep_map_lookup(c, &k, &v) || v < last)
				_exit(1);
			changes += v != last;
			last = v;
		} while (last < 200000);
		_exit(changes > 1 ? 0 : 3);
	}
	/* Write only once the reader has the map open, slowly enough to be seen. */
	if (read(pipefd[0], &ready, 1) != 1)
		harness_fail(h, "pinned_live_reader", "pipe");
	for (uint64_t v = 1; v <= 200000; v++) {
		skep_map_update(m, &k, &v, BPF_ANY);
		if (v % 1000 == 0)
			sched_yield();
	}
	waitpid(pid, &status, 0);
	harness_check(h, WIFEXITED(status) && WEXITSTATUS(status) == 0, "pinned_live_reader",
		      "reader exited with %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(pipefd[0]);
	close(pipefd[1]);
	skep_map_free(m);
	pin_cleanup(dir);
}

/* A writer is killed at a random moment; the map must stay usable. */
static void test_killed_writer(struct harness *h)
{
	struct skep_map_attr a = ATTR(BPF_MAP_TYPE_HASH, 4, 8, 256, 0);
	struct skep_map *m = NULL;
	char dir[256];
	int ok = 1;

	pin_dir(dir, sizeof(dir));
	a.pin_name = "victim";
	if (skep_map_create(&a, &m)) {
		harness_fail(h, "killed_writer", "create");
		return;
	}
	for (int round = 0; round < 5 && ok; round++) {
		pid_t pid = fork();
		struct timespec ts = {0, 2000000 + round * 1500000};
		uint32_t count = 0, k;
		uint64_t v = 1;
		if (pid == 0) {
			struct skep_map *c = NULL;
			if (skep_map_open_pinned("victim", &c))
				_exit(2);
			for (uint32_t i = 0;; i++) {
				k = i % 300;
				skep_map_update(c, &k, &v, BPF_ANY);
				k = (i * 7) % 300;
				skep_map_delete(c, &k);
			}
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* readable: the walk ends; writable: the locks were taken back */
		for (uint8_t prev[4], *pk = NULL, key[4]; !skep_map_get_next_key(m, pk, key) && count < 1000;
		     count++) {
			memcpy(prev, key, 4);
			pk = prev;
		}
		for (k = 0; k < 300 && ok; k++) {
			int e = skep_map_update(m, &k, &v, BPF_ANY);
			ok = !e || e == -E2BIG;
			skep_map_delete(m, &k);
		}
		ok = ok && count <= 256;
	}
	harness_check(h, ok, "killed_writer", "the map was not usable after its writer died");
	skep_map_free(m);
	pin_cleanup(dir);
}

int main(void)
{
	struct harness h = {0};

	test_atomic_counters(&h);
	test_spin_lock(&h);
	test_hash_churn(&h, 0, "hash_churn");
	test_hash_churn(&h, BPF_F_NO_PREALLOC, "hash_churn_no_prealloc");
	test_lru_threads(&h);
	test_queue_threads(&h);
	test_ringbuf_threads(&h);
	test_pinned_reader(&h);
	test_killed_writer(&h);
	return harness_exit(&h);
}
