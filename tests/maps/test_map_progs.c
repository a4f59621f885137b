/* Programs that use maps through helpers, run in skep (in each engine:
 * interpreter, checked interpreter, JIT, checked JIT) and in the kernel
 * (BPF_PROG_TEST_RUN, XDP): the return codes the helpers gave (kept in a
 * results map), the program's r0 and every map's contents afterwards must be
 * the same.  Covers element helpers on hash, array, per-CPU, LRU and LPM
 * maps, queue and stack helpers, ring buffer output (the samples are read
 * back from both rings), tail calls up to the kernel's limit, bpf_loop and
 * bpf_for_each_map_elem.  Skipped, visibly, where bpf() is not permitted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "progbuild.h"
#include "skep/maps.h"
#include "skep/skep.h"
#include "mapattr.h"

#define MAX_MAPS 4

/* The engine skep runs the programs in, and its name for test names. */
static enum skep_exec_mode g_mode;
static const char *g_mode_name = "";
#define NO_CONTENT 1 /* compare the results, not this map's contents */

struct pcase {
	const char *name;
	struct skep_map_attr maps[MAX_MAPS]; /* maps[0]: the results array */
	int nr_maps;
	int content[MAX_MAPS]; /* NO_CONTENT */
	void (*gen)(struct pb *b);
	uint32_t repeat;
};

struct side {
	int kfd[MAX_MAPS];
	struct skep_map *sm[MAX_MAPS];
};

static void sides_close(struct side *s, int n)
{
	for (int i = 0; i < n; i++) {
		if (s->kfd[i] > 0)
			close(s->kfd[i]);
		skep_map_free(s->sm[i]);
	}
}

static int sides_open(struct side *s, const struct pcase *c, char *why, size_t why_size)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < c->nr_maps; i++) {
		const struct skep_map_attr *a = &c->maps[i];
		struct kbpf_map_opts o = {a->type, a->key_size, a->value_size, a->max_entries,
					  a->flags, 0, 0};
		int err;
		s->kfd[i] = kbpf_map_create_opts(&o);
		err = skep_map_create(a, &s->sm[i]);
		if (s->kfd[i] < 0 || err) {
			snprintf(why, why_size, "map %d: kernel %d skep %d", i, s->kfd[i], err);
			sides_close(s, i + 1);
			return -1;
		}
	}
	return 0;
}

/* One element's value as a number: per-CPU values summed. */
static uint64_t value_sum(const uint8_t *v, uint32_t vsz, int ncpu, int percpu)
{
	uint64_t sum = 0, x;

	for (int c = 0; c < (percpu ? ncpu : 1); c++) {
		x = 0;
		memcpy(&x, v + (size_t)c * ((vsz + 7) & ~7u), vsz < 8 ? vsz : 8);
		sum += x;
	}
	return sum;
}

static int is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Compare a keyed map: same keys (in either order), same values. */
static int compare_keyed(const struct skep_map_attr *a, int kfd, struct skep_map *sm, char *why,
			 size_t why_size)
{
	int ncpu = kbpf_nr_cpus(), percpu = is_percpu(a->type);
	size_t vbytes = percpu ? (size_t)ncpu * ((a->value_size + 7) & ~7u) : a->value_size;
	uint8_t key[64], *prev = NULL, pk[64], *kv = malloc(vbytes), *sv = malloc(vbytes);
	int n = 0, ok = 1;

	/* Every kernel key is in skep with the same value... */
	while (ok && !kbpf_map_get_next_key(kfd, prev, key)) {
		int ke = kbpf_map_lookup(kfd, key, kv), se = skep_map_lookup(sm, key, sv);
		if (ke || se || value_sum(kv, a->value_size, ncpu, percpu) !=
					value_sum(sv, a->value_size, ncpu, percpu)) {
			snprintf(why, why_size, "key #%d: kernel %d/%llu skep %d/%llu", n, ke,
				 (unsigned long long)value_sum(kv, a->value_size, ncpu, percpu), se,
				 (unsigned long long)value_sum(sv, a->value_size, ncpu, percpu));
			ok = 0;
		}
		memcpy(pk, key, sizeof(key));
		prev = pk;
		n++;
	}
	/* ...and skep has no more. */
	prev = NULL;
	for (int m = 0; ok && !skep_map_get_next_key(sm, prev, key); m++) {
		if (m >= n) {
			snprintf(why, why_size, "skep has more keys than the kernel's %d", n);
			ok = 0;
		}
		memcpy(pk, key, sizeof(key));
		prev = pk;
	}
	free(kv);
	free(sv);
	return ok;
}

static int compare_queue(int kfd, struct skep_map *sm, char *why, size_t why_size)
{
	uint64_t kv, sv;
	int k, s;

	for (int i = 0; i < 64; i++) {
		kv = sv = 0;
		k = kbpf_map_lookup_and_delete(kfd, NULL, &kv, 0);
		s = skep_map_lookup_and_delete(sm, NULL, &sv, 0);
		if (k != s || kv != sv) {
			snprintf(why, why_size, "pop #%d: kernel %d/%llu skep %d/%llu", i, k,
				 (unsigned long long)kv, s, (unsigned long long)sv);
			return 0;
		}
		if (k)
			return 1;
	}
	return 1;
}

/* Samples as a transcript: "len:hex," for each, in order. */
struct transcript {
	char text[4096];
	size_t len;
};

static void transcript_add(struct transcript *t, const uint8_t *data, size_t n)
{
	t->len += (size_t)snprintf(t->text + t->len, sizeof(t->text) - t->len, "%zu:", n);
	for (size_t i = 0; i < n && t->len + 4 < sizeof(t->text); i++)
		t->len += (size_t)snprintf(t->text + t->len, sizeof(t->text) - t->len, "%02x", data[i]);
	if (t->len + 2 < sizeof(t->text))
		t->text[t->len++] = ',';
	t->text[t->len] = '\0';
}

static int skep_sample(void *ctx, void *data, size_t size)
{
	transcript_add(ctx, data, size);
	return 0;
}

/* The kernel's ring, read as libbpf does: consumer page, then producer page
 * and the data mapped twice. */
static int kernel_ring_read(int fd, uint32_t size, struct transcript *t)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t *cons = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint8_t *prod = mmap(NULL, (size_t)page + 2 * size, PROT_READ, MAP_SHARED, fd, page);
	uint8_t *data = prod + page;

	if (cons == MAP_FAILED || prod == MAP_FAILED)
		return -1;
	for (uint64_t c = *cons, p = *(uint64_t *)prod; c < p;) {
		uint32_t len = *(uint32_t *)(data + (c & (size - 1)));
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		if (!(len & BPF_RINGBUF_DISCARD_BIT))
			transcript_add(t, data + (c & (size - 1)) + BPF_RINGBUF_HDR_SZ, len);
		c += ((len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + 8 + 7) & ~7u;
		*cons = c;
	}
	munmap(cons, (size_t)page);
	munmap(prod, (size_t)page + 2 * size);
	return 0;
}

static int compare_ring(const struct skep_map_attr *a, int kfd, struct skep_map *sm, char *why,
			size_t why_size)
{
	static struct transcript kt, st;
	struct skep_ringbuf *rb = skep_ringbuf_new(sm, skep_sample, &st);

	memset(&kt, 0, sizeof(kt));
	memset(&st, 0, sizeof(st));
	if (!rb || kernel_ring_read(kfd, a->max_entries, &kt) || skep_ringbuf_consume(rb) < 0) {
		snprintf(why, why_size, "could not read the rings");
		skep_ringbuf_free(rb);
		return 0;
	}
	skep_ringbuf_free(rb);
	if (strcmp(kt.text, st.text)) {
		snprintf(why, why_size, "samples: kernel %.120s skep %.120s", kt.text, st.text);
		return 0;
	}
	return 1;
}

static int compare_maps(const struct pcase *c, struct side *s, char *why, size_t why_size)
{
	for (int i = 0; i < c->nr_maps; i++) {
		const struct skep_map_attr *a = &c->maps[i];
		char sub[300] = "";
		int ok = 1;
		if (c->content[i] == NO_CONTENT || a->type == BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		if (a->type == BPF_MAP_TYPE_RINGBUF)
			ok = compare_ring(a, s->kfd[i], s->sm[i], sub, sizeof(sub));
		else if (a->type == BPF_MAP_TYPE_QUEUE || a->type == BPF_MAP_TYPE_STACK)
			ok = compare_queue(s->kfd[i], s->sm[i], sub, sizeof(sub));
		else
			ok = compare_keyed(a, s->kfd[i], s->sm[i], sub, sizeof(sub));
		if (!ok) {
			snprintf(why, why_size, "map %d: %s", i, sub);
			return 0;
		}
	}
	return 1;
}

/* The results slots of both sides, side by side, on the first difference. */
static int compare_results(struct side *s, char *why, size_t why_size)
{
	uint64_t kr[32] = {0}, sr[32] = {0};
	uint32_t zero = 0;

	kbpf_map_lookup(s->kfd[0], &zero, kr);
	skep_map_lookup(s->sm[0], &zero, sr);
	for (int i = 0; i < 32; i++)
		if (kr[i] != sr[i]) {
			snprintf(why, why_size, "result slot %d: kernel %lld skep %lld", i,
				 (long long)kr[i], (long long)sr[i]);
			return 0;
		}
	return 1;
}

static int load_both(struct pb *kb, struct pb *sb, struct side *s, int nr_maps, int *kprog,
		     struct skep_vm *vm, struct skep_prog **sprog, char *why, size_t why_size)
{
	static char klog[65536];
	char slog[2048];
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = slog, .log_size = sizeof(slog),
				    .maps = s->sm, .nr_maps = (size_t)nr_maps};
	int err;

	uint32_t funcs[9] = {0};

	memcpy(funcs + 1, kb->funcs, (size_t)kb->nr_funcs * sizeof(funcs[0]));
	if (kb->nr_funcs)
		*kprog = kbpf_prog_load_funcs(BPF_PROG_TYPE_XDP, kb->i, (size_t)kb->n, funcs,
					      (size_t)kb->nr_funcs + 1, klog, sizeof(klog));
	else
		*kprog = kbpf_prog_load(BPF_PROG_TYPE_XDP, kb->i, (size_t)kb->n, klog, sizeof(klog));
	if (*kprog < 0) {
		const char *tail = strlen(klog) > 400 ? klog + strlen(klog) - 400 : klog;
		snprintf(why, why_size, "kernel refused (%d): %.400s", *kprog, tail);
		return -1;
	}
	err = skep_prog_load(vm, (const struct skep_insn *)sb->i, (size_t)sb->n, &lo, sprog);
	if (err) {
		snprintf(why, why_size, "skep refused (%d): %.400s", err, slog);
		close(*kprog);
		return -1;
	}
	return 0;
}

static int run_both(int kprog, struct skep_prog *sprog, uint32_t repeat, uint32_t *kret,
		    uint64_t *sret, char *why, size_t why_size)
{
	uint8_t pkt[64] = {0}, ctx[64] = {0};
	struct kbpf_run kr = {.data_in = pkt, .data_size_in = sizeof(pkt), .repeat = repeat};
	char log[1024] = "";
	struct skep_region region = {ctx, sizeof(ctx), 1, "ctx"};
	struct skep_run_opts ro = {.sz = sizeof(ro), .args = {(uint64_t)(uintptr_t)ctx},
				   .regions = &region, .nr_regions = 1, .mode = g_mode,
				   .log_buf = log, .log_size = sizeof(log)};
	struct skep_run_result res = {0};
	int err = kbpf_prog_test_run(kprog, &kr);

	if (err) {
		snprintf(why, why_size, "kernel test run failed: %d", err);
		return -1;
	}
	*kret = kr.retval;
	for (uint32_t i = 0; i < repeat; i++) {
		err = skep_prog_run(sprog, &ro, &res);
		if (err) {
			snprintf(why, why_size, "skep run failed: %d: %s", err, log);
			return -1;
		}
	}
	*sret = res.retval;
	return 0;
}

static const char *case_name(const char *base)
{
	static char name[128];

	snprintf(name, sizeof(name), "%s%s", base, g_mode_name);
	return name;
}

static void run_case(struct harness *h, const struct pcase *c)
{
	struct side s;
	struct pb kb = {.n = 0}, sb = {.n = 0};
	int kmapref[MAX_MAPS], smapref[MAX_MAPS] = {0, 1, 2, 3}, kprog = -1;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *sprog = NULL;
	uint32_t kret = 0;
	uint64_t sret = 0;
	char why[600] = "";
	int ok = 0;

	if (sides_open(&s, c, why, sizeof(why))) {
		harness_fail(h, case_name(c->name), "%s", why);
		skep_vm_free(vm);
		return;
	}
	for (int i = 0; i < c->nr_maps; i++)
		kmapref[i] = s.kfd[i];
	kb.mapref = kmapref;
	sb.mapref = smapref;
	c->gen(&kb);
	c->gen(&sb);
	if (!load_both(&kb, &sb, &s, c->nr_maps, &kprog, vm, &sprog, why, sizeof(why)) &&
	    !run_both(kprog, sprog, c->repeat ? c->repeat : 1, &kret, &sret, why, sizeof(why))) {
		if (kret != sret)
			snprintf(why, sizeof(why), "r0: kernel %u skep %llu", kret,
				 (unsigned long long)sret);
		else
			ok = compare_results(&s, why, sizeof(why)) &&
			     compare_maps(c, &s, why, sizeof(why));
	}
	harness_check(h, ok, case_name(c->name), "%s", why);
	if (kprog >= 0)
		close(kprog);
	skep_prog_free(sprog);
	skep_vm_free(vm);
	sides_close(&s, c->nr_maps);
}

#define RESULTS ATTR(BPF_MAP_TYPE_ARRAY, 4, 256, 1, 0)

static void gen_hash(struct pb *b)
{
	pb_prologue(b);
	pb_key(b, 1, 0, 0);
	pb_update(b, 1, 10, BPF_ANY, 0);
	pb_update(b, 1, 11, BPF_NOEXIST, 1);
	pb_key(b, 2, 0, 0);
	pb_update(b, 1, 12, BPF_EXIST, 2);
	for (int k = 2; k <= 5; k++) {
		pb_key(b, (uint32_t)k, 0, 0);
		pb_update(b, 1, 20 + k, BPF_ANY, 1 + k); /* slots 3-6; key 5 is one too many */
	}
	pb_key(b, 9, 0, 0);
	pb_delete(b, 1, 7);
	pb_key(b, 3, 0, 0);
	pb_delete(b, 1, 8);
	pb_lookup(b, 1, 9, 0);
	pb_key(b, 1, 0, 0);
	pb_lookup(b, 1, 10, 5);
	pb_key(b, 5, 0, 0);
	pb_update(b, 1, 55, BPF_ANY, 11);
	pb_key(b, 4, 0, 0);
	pb_lookup(b, 1, 12, 0);
	pb_update(b, 1, 1, 3, 13);
	pb_update(b, 1, 1, BPF_F_LOCK, 14);
	pb_epilogue(b, 2);
}

static void gen_array(struct pb *b)
{
	pb_prologue(b);
	pb_key(b, 3, 0, 0);
	pb_lookup(b, 1, 0, 1);
	pb_key(b, 8, 0, 0);
	pb_lookup(b, 1, 1, 0);
	pb_update(b, 1, 5, BPF_ANY, 2);
	pb_key(b, 2, 0, 0);
	pb_update(b, 1, 6, BPF_NOEXIST, 3);
	pb_update(b, 1, 7, BPF_ANY, 4);
	pb_update(b, 1, 8, BPF_EXIST, 5);
	pb_delete(b, 1, 6);
	pb_key(b, 7, 0, 0);
	pb_lookup(b, 1, 7, 100);
	pb_epilogue(b, 1);
}

static void gen_percpu(struct pb *b)
{
	pb_prologue(b);
	pb_key(b, 1, 0, 0);
	pb_lookup(b, 1, 0, 1);
	pb_update(b, 2, 5, BPF_NOEXIST, 1);
	pb_lookup(b, 2, 2, 2);
	pb_key(b, 3, 0, 0);
	pb_update(b, 2, 9, BPF_ANY, 3);
	pb_epilogue(b, 2);
}

static void gen_lru(struct pb *b)
{
	pb_prologue(b);
	for (int k = 0; k < 40; k++) {
		pb_key(b, (uint32_t)k * 7, 0, 0);
		pb_update(b, 1, k, BPF_ANY, k % 30);
	}
	pb_lookup(b, 1, 30, 0); /* the newest key is there */
	pb_update(b, 1, 1, BPF_NOEXIST, 31);
	pb_epilogue(b, 2);
}

/* LPM keys: prefixlen, then the address bytes as a little-endian u32. */
#define IP(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static void gen_lpm(struct pb *b)
{
	static const struct {
		uint32_t plen, addr;
	} ins[] = {{8, IP(10, 0, 0, 0)}, {16, IP(10, 1, 0, 0)}, {24, IP(10, 1, 2, 0)}},
	  probe[] = {{32, IP(10, 1, 2, 3)}, {32, IP(10, 1, 9, 9)}, {32, IP(10, 9, 9, 9)},
		     {32, IP(11, 0, 0, 0)}, {16, IP(10, 1, 2, 3)}};
	int slot = 0;

	pb_prologue(b);
	for (int i = 0; i < 3; i++) {
		pb_key(b, ins[i].plen, ins[i].addr, 1);
		pb_update(b, 1, i + 1, BPF_NOEXIST, slot++);
	}
	for (int i = 0; i < 5; i++) {
		pb_key(b, probe[i].plen, probe[i].addr, 1);
		pb_lookup(b, 1, slot++, 0);
	}
	pb_key(b, 16, IP(10, 1, 0, 0), 1);
	pb_delete(b, 1, slot++);
	pb_delete(b, 1, slot++);
	pb_key(b, 32, IP(10, 1, 9, 9), 1);
	pb_lookup(b, 1, slot++, 0);
	pb_key(b, 33, IP(10, 1, 9, 9), 1);
	pb_update(b, 1, 7, BPF_ANY, slot++);
	pb_key(b, 32, IP(10, 1, 2, 9), 1);
	pb_update(b, 1, 7, BPF_EXIST, slot++);
	pb_epilogue(b, 2);
}

static void gen_queue(struct pb *b)
{
	int slot = 0;

	pb_prologue(b);
	for (int m = 1; m <= 2; m++) {
		for (int v = 1; v <= 4; v++)
			pb_push(b, m, v * m, BPF_ANY, slot++);
		pb_push(b, m, 50 * m, BPF_EXIST, slot++);
		pb_pop(b, m, BPF_FUNC_map_peek_elem, slot);
		slot += 2;
		pb_pop(b, m, BPF_FUNC_map_pop_elem, slot);
		slot += 2;
	}
	pb_epilogue(b, 2);
}

/* bpf_loop: the callback adds its index to *ctx and stops at 7. */
static void gen_loop(struct pb *b)
{
	int call_at;

	pb_prologue(b);
	pb_st64(b, -16, 0);
	pb_mov(b, 1, 10);
	call_at = b->n;
	PB(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 2, .src_reg = BPF_PSEUDO_FUNC);
	PB(.code = 0);
	pb_fp(b, 3, -16);
	pb_mov(b, 4, 0);
	pb_call(b, BPF_FUNC_loop);
	pb_save(b, 0);
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 10, .off = -16);
	pb_save(b, 1);
	pb_epilogue(b, 2);
	b->i[call_at].imm = b->n - call_at - 1;
	b->funcs[b->nr_funcs++] = (uint32_t)b->n;
	/* callback(index r1, ctx r2) */
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 2);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 0, .src_reg = 1);
	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 2, .src_reg = 0);
	PB(.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 1, .imm = 7, .off = 2);
	pb_mov(b, 0, 0);
	pb_exit(b);
	pb_mov(b, 0, 1);
	pb_exit(b);
}

/* bpf_for_each_map_elem over a hash the program fills: count and sum. */
static void gen_for_each(struct pb *b)
{
	int call_at;

	pb_prologue(b);
	for (int k = 1; k <= 5; k++) {
		pb_key(b, (uint32_t)k, 0, 0);
		pb_update(b, 1, k * 10, BPF_ANY, 10 + k);
	}
	pb_st64(b, -24, 0);
	pb_ld_map(b, 1, 1);
	call_at = b->n;
	PB(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 2, .src_reg = BPF_PSEUDO_FUNC);
	PB(.code = 0);
	pb_fp(b, 3, -24);
	pb_mov(b, 4, 0);
	pb_call(b, BPF_FUNC_for_each_map_elem);
	pb_save(b, 0);
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 10, .off = -24);
	pb_save(b, 1);
	pb_epilogue(b, 2);
	b->i[call_at].imm = b->n - call_at - 1;
	b->funcs[b->nr_funcs++] = (uint32_t)b->n;
	/* callback(map r1, key r2, value r3, ctx r4): *ctx += *value */
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 3);
	PB(.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 5, .src_reg = 4);
	PB(.code = BPF_ALU64 | BPF_ADD | BPF_X, .dst_reg = 5, .src_reg = 0);
	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 4, .src_reg = 5);
	pb_mov(b, 0, 0);
	pb_exit(b);
}

/* Ring buffer: output, reserve + submit, reserve + discard, queries. */
static void gen_ringbuf(struct pb *b)
{
	int slot = 0;

	pb_prologue(b);
	pb_st64(b, -16, 0x11223344);
	pb_st64(b, -8, 0x55667788);
	for (int flags = 0; flags <= 4; flags += 4) {
		pb_ld_map(b, 1, 1);
		pb_fp(b, 2, -16);
		pb_mov(b, 3, 13);
		pb_mov(b, 4, flags);
		pb_call(b, BPF_FUNC_ringbuf_output);
		pb_save(b, slot++);
	}
	for (int discard = 0; discard <= 1; discard++) {
		pb_ld_map(b, 1, 1);
		pb_mov(b, 2, 24);
		pb_mov(b, 3, 0);
		pb_call(b, BPF_FUNC_ringbuf_reserve);
		PB(.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 6);
		PB(.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 0, .off = 8, .imm = 77 + discard);
		PB(.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 0, .off = 0, .imm = 1);
		PB(.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 0, .off = 16, .imm = 3);
		pb_movr(b, 1, 0);
		pb_mov(b, 2, 0);
		pb_call(b, discard ? BPF_FUNC_ringbuf_discard : BPF_FUNC_ringbuf_submit);
	}
	for (int q = BPF_RB_AVAIL_DATA; q <= BPF_RB_PROD_POS; q++) {
		pb_ld_map(b, 1, 1);
		pb_mov(b, 2, q);
		pb_call(b, BPF_FUNC_ringbuf_query);
		pb_save(b, slot++);
	}
	pb_epilogue(b, 2);
}

static const struct pcase cases[] = {
	{"prog_hash", {RESULTS, ATTR(BPF_MAP_TYPE_HASH, 4, 8, 4, 0)}, 2, {0}, gen_hash, 3},
	{"prog_array", {RESULTS, ATTR(BPF_MAP_TYPE_ARRAY, 4, 8, 8, 0)}, 2, {0}, gen_array, 10},
	{"prog_percpu",
	 {RESULTS, ATTR(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0),
	  ATTR(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4, 0)},
	 3, {0}, gen_percpu, 5},
	{"prog_lru", {RESULTS, ATTR(BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0)}, 2, {0, NO_CONTENT},
	 gen_lru, 1},
	{"prog_lpm", {RESULTS, ATTR(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 8, BPF_F_NO_PREALLOC)}, 2, {0},
	 gen_lpm, 1},
	{"prog_queue_stack",
	 {RESULTS, ATTR(BPF_MAP_TYPE_QUEUE, 0, 8, 3, 0), ATTR(BPF_MAP_TYPE_STACK, 0, 8, 3, 0)},
	 3, {0}, gen_queue, 1},
	{"prog_loop", {RESULTS}, 1, {0}, gen_loop, 1},
	{"prog_for_each_map_elem", {RESULTS, ATTR(BPF_MAP_TYPE_HASH, 4, 8, 8, 0)}, 2, {0},
	 gen_for_each, 1},
	{"prog_ringbuf", {RESULTS, ATTR(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0)}, 2, {0},
	 gen_ringbuf, 2},
};

/* Tail calls: T counts its runs in results[0] and tail-calls itself (slot 0)
 * until the kernel's limit stops it, then tries an empty slot and returns 7;
 * U tail-calls V (slot 2), which returns 42. */
static void gen_tail_self(struct pb *b)
{
	pb_movr(b, 7, 1);
	pb_prologue(b);
	pb_mov(b, 1, 1);
	PB(.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 6, .src_reg = 1, .imm = BPF_ADD);
	for (int slot = 0; slot <= 1; slot++) {
		pb_movr(b, 1, 7);
		pb_ld_map(b, 2, 1);
		pb_mov(b, 3, slot);
		pb_call(b, BPF_FUNC_tail_call);
	}
	pb_epilogue(b, 7);
}

static void gen_tail_caller(struct pb *b)
{
	pb_ld_map(b, 2, 1);
	pb_mov(b, 3, 2);
	pb_call(b, BPF_FUNC_tail_call);
	pb_epilogue(b, 1);
}

static void gen_tail_callee(struct pb *b)
{
	pb_prologue(b);
	pb_mov(b, 0, 42);
	pb_save(b, 1);
	pb_epilogue(b, 42);
}

static int tail_load(void (*gen)(struct pb *), struct side *s, struct skep_vm *vm, int *kfd,
		     struct skep_prog **sp, char *why, size_t size)
{
	int kref[2] = {s->kfd[0], s->kfd[1]}, sref[2] = {0, 1};
	struct pb kb = {.mapref = kref}, sb = {.mapref = sref};

	gen(&kb);
	gen(&sb);
	return load_both(&kb, &sb, s, 2, kfd, vm, sp, why, size);
}

static void test_tail_calls(struct harness *h)
{
	static const struct pcase c = {
		"prog_tail_calls", {RESULTS, ATTR(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0)}, 2, {0}, NULL, 1};
	void (*const gens[3])(struct pb *) = {gen_tail_self, gen_tail_caller, gen_tail_callee};
	const uint32_t slots[3] = {0, 1, 2};
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *sp[3] = {0};
	int kfd[3] = {-1, -1, -1}, ok = 0, i;
	uint32_t kret[2];
	uint64_t sret[2];
	char why[600] = "";
	struct side s;

	if (sides_open(&s, &c, why, sizeof(why))) {
		harness_fail(h, case_name(c.name), "%s", why);
		skep_vm_free(vm);
		return;
	}
	for (i = 0; i < 3; i++) {
		if (tail_load(gens[i], &s, vm, &kfd[i], &sp[i], why, sizeof(why)))
			break;
		if (i != 1 && (kbpf_map_update(s.kfd[1], &slots[i], &kfd[i], BPF_ANY) ||
			       skep_map_update_obj(s.sm[1], &slots[i], sp[i], BPF_ANY))) {
			snprintf(why, sizeof(why), "could not fill the prog array");
			break;
		}
	}
	if (i == 3 && !run_both(kfd[0], sp[0], 1, &kret[0], &sret[0], why, sizeof(why)) &&
	    !run_both(kfd[1], sp[1], 1, &kret[1], &sret[1], why, sizeof(why))) {
		if (kret[0] != sret[0] || kret[1] != sret[1])
			snprintf(why, sizeof(why), "r0: kernel %u/%u skep %llu/%llu", kret[0],
				 kret[1], (unsigned long long)sret[0], (unsigned long long)sret[1]);
		else
			ok = compare_results(&s, why, sizeof(why));
	}
	harness_check(h, ok, case_name(c.name), "%s", why);
	for (i = 0; i < 3; i++) {
		if (kfd[i] >= 0)
			close(kfd[i]);
	}
	sides_close(&s, 2);
	for (i = 0; i < 3; i++)
		skep_prog_free(sp[i]);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};
	char why[256];

	if (!kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "map_prog_kernel_diff", "%s", why);
		return harness_exit(&h);
	}
	static const struct {
		enum skep_exec_mode mode;
		const char *name;
	} modes[] = {{SKEP_EXEC_INTERP, ""},
		     {SKEP_EXEC_CHECKED, "[checked]"},
		     {SKEP_EXEC_JIT, "[jit]"},
		     {SKEP_EXEC_JIT_CHECKED, "[jit-checked]"}};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		g_mode = modes[m].mode;
		g_mode_name = modes[m].name;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&h, &cases[i]);
		test_tail_calls(&h);
	}
	return harness_exit(&h);
}
