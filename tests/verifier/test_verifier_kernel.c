/* Agreement with the kernel's verifier: the rule table, a generated set of
 * safe and deliberately unsafe programs (packet checks around the edge,
 * map values with and without null checks, every register uninitialised,
 * every context offset and size, stack edges, loops) and random programs
 * (tests/lib/randprog, which the kernel accepts as XDP) are checked by skep
 * and by BPF_PROG_LOAD.  The test prints the agreement matrix and fails on
 * any program skep accepts that the kernel rejects for a safety reason. */
#include <stdarg.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <stddef.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "../lib/randprog.h"
#include "cases.h"
#include "offsetgen.h"
#include "skep/object.h"
#include "vtest.h"

#define KP_MAX 4096

struct kprog {
	char name[96];
	uint32_t type;
	char maps[64];
	struct bpf_insn insns[KP_MAX];
	size_t len;
};

struct matrix {
	unsigned both_ok, both_no, skep_only, kernel_only, kernel_nonsafety;
	unsigned skep_dead; /* skep accepts: it proves the kernel's failing insn unreachable */
	unsigned shown;
};

struct agree {
	struct harness *h;
	struct skep_vm *vm;
	struct matrix all, rnd;
	int random;
};

/* Kernel refusals that are not about safety: what skep does not model. */
static int kernel_reason_is_safety(const char *log)
{
	static const char *const nonsafety[] = {
		"unknown func", "program of this type cannot use helper", "not supported",
		"BTF", "func_info", "is not allowed in non-GPL", "cannot call GPL-restricted",
		"unknown opcode", "invalid func", "calling kernel function", "can only be sleepable",
	};
	for (size_t i = 0; i < sizeof(nonsafety) / sizeof(nonsafety[0]); i++)
		if (strstr(log, nonsafety[i]))
			return 0;
	return 1;
}

/* The line of the kernel's log that says why: the last non-empty one
 * before "processed N insns", or the last one. */
static void kernel_reason(const char *log, char *out, size_t size)
{
	const char *best = log, *p = log;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17))
			best = p;
		p += n + (e ? 1 : 0);
	}
	size_t n = strcspn(best, "\n");
	snprintf(out, size, "%.*s", (int)(n < 200 ? n : 200), best);
}

/* The instruction the kernel's log stops at: its last "N: (op) ..." line. */
static long kernel_fail_insn(const char *log)
{
	long insn = -1;

	for (const char *p = log; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		long n;
		char c;
		if (sscanf(p, "%ld: (%c", &n, &c) == 2)
			insn = n;
	}
	return insn;
}

/* Did skep's walk reach instruction insn at all? (log level 1 lists each.) */
static int skep_reaches(struct agree *a, const struct kprog *kp, struct vt_maps *maps,
			long insn)
{
	static char log[1 << 22];
	char key[32];
	struct skep_verify_opts o = {.sz = sizeof(o), .prog_type = kp->type, .maps = maps->m,
				     .nr_maps = maps->n, .log_buf = log, .log_size = sizeof(log),
				     .log_level = 1};
	struct skep_verify_result r;

	skep_verify(a->vm, (const struct skep_insn *)kp->insns, kp->len, &o, &r);
	snprintf(key, sizeof(key), "\n%ld: ", insn);
	return strstr(log, key) != NULL || (insn == 0 && !strncmp(log, "0: ", 3));
}

static int kernel_load(const struct kprog *kp, const struct vt_maps *maps, char *log,
		       size_t log_size)
{
	struct bpf_insn *insns = malloc(kp->len * sizeof(*insns));
	int fds[8] = {0}, fd;
	struct skep_map_info info;

	if (!insns)
		return -ENOMEM;
	memcpy(insns, kp->insns, kp->len * sizeof(*insns));
	for (size_t i = 0; i < maps->n; i++) {
		skep_map_info(maps->m[i], &info);
		fds[i] = kbpf_map_create(info.type, info.key_size, info.value_size,
					 info.max_entries, info.flags);
	}
	for (size_t i = 0; i < kp->len; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    insns[i].src_reg == BPF_PSEUDO_MAP_FD) {
			int idx = insns[i].imm;
			insns[i].imm = idx >= 0 && idx < 8 && fds[idx] > 0 ? fds[idx] : 999;
		}
	/* Functions for the kernel's BTF (callbacks need it). */
	struct isa_prog isa;
	uint32_t starts[16];
	size_t nf = 0;
	struct skep_log l = log_init(NULL, 0);
	if (!isa_decode(insns, kp->len, &isa, &l)) {
		for (size_t i = 0; i < kp->len && nf < 16; i++)
			if (isa.is_func_start[i])
				starts[nf++] = (uint32_t)i;
		isa_prog_free(&isa);
	}
	if (nf > 1)
		fd = kbpf_prog_load_funcs(kp->type, insns, kp->len, starts, nf, log, log_size);
	else
		fd = kbpf_prog_load(kp->type, insns, kp->len, log, log_size);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < maps->n; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(insns);
	return fd >= 0 ? 0 : fd;
}

static void agree_one(struct agree *a, const struct kprog *kp)
{
	static char klog[1 << 20];
	char slog[4096], kwhy[256];
	struct vt_maps maps;
	struct matrix *m = a->random ? &a->rnd : &a->all;

	if (vt_maps_make(&maps, kp->maps)) {
		harness_fail(a->h, kp->name, "cannot make maps");
		return;
	}
	struct skep_verify_opts o = {.sz = sizeof(o), .prog_type = kp->type, .maps = maps.m,
				     .nr_maps = maps.n, .log_buf = slog, .log_size = sizeof(slog)};
	struct skep_verify_result r;
	int s_ok = !skep_verify(a->vm, (const struct skep_insn *)kp->insns, kp->len, &o, &r);
	klog[0] = 0;
	int k_ok = !kernel_load(kp, &maps, klog, sizeof(klog));
	kernel_reason(klog, kwhy, sizeof(kwhy));
	if (s_ok && k_ok) {
		m->both_ok++;
	} else if (!s_ok && !k_ok) {
		m->both_no++;
	} else if (s_ok) {
		long at = kernel_fail_insn(klog);
		m->skep_only++;
		if (!kernel_reason_is_safety(klog)) {
			m->kernel_nonsafety++;
		} else if (at >= 0 && !skep_reaches(a, kp, &maps, at)) {
			/* More precise, not less safe: skep's ranges show that no
			 * execution gets to where the kernel stopped. */
			m->skep_dead++;
			printf("# skep proves unreachable: %s: the kernel stops at insn %ld (%s)\n",
			       kp->name, at, kwhy);
		} else {
			harness_fail(a->h, kp->name, "skep accepts, the kernel rejects: %s", kwhy);
		}
	} else {
		m->kernel_only++;
		if (m->shown++ < 40)
			printf("# stricter than the kernel: %s: skep: insn %lld: %s\n", kp->name,
			       (long long)r.error_insn, r.message);
	}
	vt_maps_free(&maps);
}

/* ---- the programs ---- */

#define I(c, d, s, o, i) randprog_insn((c), (d), (s), (o), (i))
#define MOVK(d, i) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOVX(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADDK(d, i) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LDX(sz, d, s, o) I(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)

static int bpf_size(int n)
{
	return n == 1 ? BPF_B : n == 2 ? BPF_H : n == 4 ? BPF_W : BPF_DW;
}

static void kp_start(struct kprog *kp, uint32_t type, const char *maps, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void kp_start(struct kprog *kp, uint32_t type, const char *maps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kp->name, sizeof(kp->name), fmt, ap);
	va_end(ap);
	kp->type = type;
	snprintf(kp->maps, sizeof(kp->maps), "%s", maps);
	kp->len = 0;
}

#define E(x) (kp->insns[kp->len++] = (x))

static void gen_cases(struct agree *a, struct kprog *kp)
{
	for (size_t i = 0; i < NR_VCASES; i++) {
		const struct vcase *c = &vcases[i];
		char err[256];
		size_t len;
		if (c->type == 0)
			continue; /* raw programs have no kernel counterpart */
		struct skep_insn *insns = vt_assemble(c->text, &len, err, sizeof(err));
		if (!insns || len > KP_MAX) {
			free(insns);
			continue;
		}
		kp_start(kp, c->type, c->maps, "table: %s", c->name);
		memcpy(kp->insns, insns, len * sizeof(*insns));
		kp->len = len;
		free(insns);
		agree_one(a, kp);
	}
}

/* data + n compared with data_end in four ways, then a load of `size` at `off`. */
static void gen_packet(struct agree *a, struct kprog *kp)
{
	static const int ns[] = {1, 8, 14, 34};
	static const char *const forms[] = {"p > end", "p <= end", "end >= p", "p < end"};

	for (size_t ni = 0; ni < 4; ni++)
		for (int size = 1; size <= 8; size *= 2)
			for (int d = -1; d <= 1; d++)
				for (int f = 0; f < 4; f++) {
					int n = ns[ni], off = n - size + d;
					if (off < 0)
						continue;
					kp_start(kp, BPF_PROG_TYPE_XDP, "", "packet: %s with n=%d, "
						 "read %d at %d", forms[f], n, size, off);
					E(LDX(BPF_W, 2, 1, offsetof(struct xdp_md, data)));
					E(LDX(BPF_W, 3, 1, offsetof(struct xdp_md, data_end)));
					E(MOVX(4, 2));
					E(ADDK(4, n));
					/* jump to "out" (skip the load) when not proven */
					if (f == 0)
						E(I(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 1, 0));
					else if (f == 1)
						E(I(BPF_JMP | BPF_JLE | BPF_X, 4, 3, 1, 0)),
							E(I(BPF_JMP | BPF_JA, 0, 0, 1, 0));
					else if (f == 2)
						E(I(BPF_JMP | BPF_JGE | BPF_X, 3, 4, 1, 0)),
							E(I(BPF_JMP | BPF_JA, 0, 0, 1, 0));
					else
						E(I(BPF_JMP | BPF_JLT | BPF_X, 4, 3, 1, 0)),
							E(I(BPF_JMP | BPF_JA, 0, 0, 1, 0));
					if (f == 0)
						E(LDX(bpf_size(size), 0, 2, off));
					else
						E(LDX(bpf_size(size), 0, 2, off));
					E(MOVK(0, 2));
					E(EXIT);
					agree_one(a, kp);
				}
}

static void gen_map(struct agree *a, struct kprog *kp)
{
	static const int offs[] = {-1, 0, 4, 8, 9, 12, 14, 15, 16};

	for (int nullck = 0; nullck < 2; nullck++)
		for (size_t oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++)
			for (int size = 1; size <= 8; size *= 2) {
				kp_start(kp, BPF_PROG_TYPE_XDP, "array:4:16:1", "map value: %s, read %d "
					 "at %d", nullck ? "null-checked" : "no null check", size,
					 offs[oi]);
				E(I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0));
				E(I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0));
				E(I(0, 0, 0, 0, 0));
				E(MOVX(2, 10));
				E(ADDK(2, -4));
				E(I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
				if (nullck)
					E(I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0));
				E(LDX(bpf_size(size), 1, 0, offs[oi]));
				E(MOVK(0, 2));
				E(EXIT);
				agree_one(a, kp);
			}
}

static void gen_uninit(struct agree *a, struct kprog *kp)
{
	for (int r = 0; r <= 9; r++) {
		kp_start(kp, BPF_PROG_TYPE_XDP, "", "uninit: r0 = r%d", r);
		E(MOVX(0, r));
		E(EXIT);
		agree_one(a, kp);
		kp_start(kp, BPF_PROG_TYPE_XDP, "", "uninit: r0 += r%d", r);
		E(MOVK(0, 1));
		E(I(BPF_ALU64 | BPF_ADD | BPF_X, 0, r, 0, 0));
		E(EXIT);
		agree_one(a, kp);
	}
	kp_start(kp, BPF_PROG_TYPE_XDP, "", "uninit: exit without r0");
	E(EXIT);
	agree_one(a, kp);
}

static void gen_ctx(struct agree *a, struct kprog *kp)
{
	static const struct {
		uint32_t type;
		const char *name;
		int size;
	} ts[] = {{BPF_PROG_TYPE_XDP, "xdp", 28},
		  {BPF_PROG_TYPE_SOCKET_FILTER, "socket_filter", 196},
		  {BPF_PROG_TYPE_SCHED_CLS, "sched_cls", 196}};

	for (size_t t = 0; t < 3; t++)
		for (int off = -4; off < ts[t].size; off += (t ? 2 : 1))
			for (int size = 1; size <= 8; size *= 2)
				for (int w = 0; w < 2; w++) {
					if (w && size != 4 && size != 8 && (off & 3))
						continue;
					kp_start(kp, ts[t].type, "", "ctx %s: %s %d at %d", ts[t].name,
						 w ? "write" : "read", size, off);
					if (w)
						E(I(BPF_ST | BPF_MEM | bpf_size(size), 1, 0, off, 0));
					else
						E(LDX(bpf_size(size), 2, 1, off));
					E(MOVK(0, 0));
					E(EXIT);
					agree_one(a, kp);
				}
}

static void gen_stack(struct agree *a, struct kprog *kp)
{
	static const int offs[] = {-520, -516, -512, -508, -504, -16, -12, -8, -6, -4, -1, 0, 8};

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (int size = 1; size <= 8; size *= 2) {
			kp_start(kp, BPF_PROG_TYPE_XDP, "", "stack: write+read %d at r10%+d", size,
				 offs[i]);
			E(I(BPF_ST | BPF_MEM | bpf_size(size), 10, 0, offs[i], 1));
			E(LDX(bpf_size(size), 0, 10, offs[i]));
			E(EXIT);
			agree_one(a, kp);
			kp_start(kp, BPF_PROG_TYPE_XDP, "", "stack: read %d at r10%+d unwritten",
				 size, offs[i]);
			E(I(BPF_ST | BPF_MEM | BPF_B, 10, 0, -1, 1));
			E(LDX(bpf_size(size), 0, 10, offs[i]));
			E(EXIT);
			agree_one(a, kp);
		}
}

static void gen_loops(struct agree *a, struct kprog *kp)
{
	static const int counts[] = {1, 10, 1000, 100000, 400000};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		kp_start(kp, BPF_PROG_TYPE_XDP, "", "loop: %d iterations", counts[i]);
		E(MOVK(1, 0));
		E(ADDK(1, 1));
		E(I(BPF_JMP | BPF_JLT | BPF_K, 1, 0, -2, counts[i]));
		E(MOVK(0, 2));
		E(EXIT);
		agree_one(a, kp);
	}
	kp_start(kp, BPF_PROG_TYPE_XDP, "", "loop: forever (ja -1)");
	E(MOVK(0, 2));
	E(I(BPF_JMP | BPF_JA, 0, 0, -1, 0));
	E(EXIT);
	agree_one(a, kp);
	kp_start(kp, BPF_PROG_TYPE_XDP, "", "loop: same state again");
	E(MOVK(1, 0));
	E(I(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, -1, 0));
	E(MOVK(0, 2));
	E(EXIT);
	agree_one(a, kp);
	kp_start(kp, BPF_PROG_TYPE_XDP, "", "loop: counting down an unknown");
	E(LDX(BPF_W, 1, 1, offsetof(struct xdp_md, ingress_ifindex)));
	E(I(BPF_ALU64 | BPF_SUB | BPF_K, 1, 0, 0, 1));
	E(I(BPF_JMP | BPF_JNE | BPF_K, 1, 0, -2, 0));
	E(MOVK(0, 2));
	E(EXIT);
	agree_one(a, kp);
	kp_start(kp, BPF_PROG_TYPE_XDP, "", "loop: masked unknown bound");
	E(LDX(BPF_W, 2, 1, offsetof(struct xdp_md, ingress_ifindex)));
	E(I(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 15));
	E(MOVK(1, 0));
	E(ADDK(1, 1));
	E(I(BPF_JMP | BPF_JLT | BPF_X, 1, 2, -2, 0));
	E(MOVK(0, 2));
	E(EXIT);
	agree_one(a, kp);
}

/* Helper memory arguments: stack buffers at and past the edges, sizes that
 * are constants or bounded (or not) variables. */
static void gen_helpers(struct agree *a, struct kprog *kp)
{
	static const int offs[] = {-64, -16, -8, -4, 0};
	static const int masks[] = {0, 7, 15, 63, 64, -1};

	for (size_t oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++)
		for (size_t mi = 0; mi < sizeof(masks) / sizeof(masks[0]); mi++)
			for (int init = 0; init < 2; init++) {
				kp_start(kp, BPF_PROG_TYPE_XDP, "ringbuf:0:0:4096", "helper: ringbuf_output "
					 "of r10%+d, size %s%d, stack %s", offs[oi], masks[mi] ? "& " : "",
					 masks[mi], init ? "written" : "partly written");
				for (int o = -64; o < 0; o += 8)
					if (init || o >= -16)
						E(I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, (int16_t)o, 0));
				E(LDX(BPF_W, 3, 1, offsetof(struct xdp_md, ingress_ifindex)));
				if (masks[mi] > 0)
					E(I(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, masks[mi]));
				else if (masks[mi] == 0)
					E(MOVK(3, 8));
				E(I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0));
				E(I(0, 0, 0, 0, 0));
				E(MOVX(2, 10));
				E(ADDK(2, offs[oi]));
				E(MOVK(4, 0));
				E(I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output));
				E(MOVK(0, 2));
				E(EXIT);
				agree_one(a, kp);
			}
	static const int koffs[] = {-8, -4, -2, 0};
	for (size_t ki = 0; ki < 4; ki++)
		for (size_t vi = 0; vi < 4; vi++) {
			kp_start(kp, BPF_PROG_TYPE_XDP, "hash:4:8:16", "helper: map_update key r10%+d "
				 "value r10%+d", koffs[ki] - 8, koffs[vi] - 16);
			E(I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0));
			E(I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 0));
			E(I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -24, 0));
			E(I(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0));
			E(I(0, 0, 0, 0, 0));
			E(MOVX(2, 10));
			E(ADDK(2, koffs[ki] - 8));
			E(MOVX(3, 10));
			E(ADDK(3, koffs[vi] - 16));
			E(MOVK(4, 0));
			E(I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem));
			E(MOVK(0, 2));
			E(EXIT);
			agree_one(a, kp);
		}
}

/* randprog bodies wrapped as test_kernel_diff does for the kernel. */
static void gen_random(struct agree *a, struct kprog *kp, unsigned n, unsigned body)
{
	struct randprog_opts ro = {.data_size = 256, .nr_insns = body, .features = RANDPROG_ALL};
	struct randprog_layout lay;
	static struct bpf_insn b[KP_MAX];

	randprog_layout(&ro, &lay);
	a->random = 1;
	for (unsigned s = 1; s <= n; s++) {
		size_t bn = randprog_generate(s, &ro, b, KP_MAX - 16, NULL);
		kp_start(kp, BPF_PROG_TYPE_XDP, "", "random seed %u (%u insns)", s, body);
		E(LDX(BPF_W, 2, 1, offsetof(struct xdp_md, data)));
		E(LDX(BPF_W, 3, 1, offsetof(struct xdp_md, data_end)));
		E(MOVX(9, 2));
		E(ADDK(2, (int32_t)lay.size));
		E(I(BPF_JMP | BPF_JLE | BPF_X, 2, 3, 2, 0));
		E(MOVK(0, 0));
		E(EXIT);
		memcpy(kp->insns + kp->len, b, bn * sizeof(*b));
		kp->len += bn;
		E(MOVK(0, 2));
		E(EXIT);
		agree_one(a, kp);
	}
	a->random = 0;
}

static char libbpf_log[4 << 20];
static size_t libbpf_log_len;

static int libbpf_collect(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || libbpf_log_len >= sizeof(libbpf_log) - 1)
		return 0;
	int n = vsnprintf(libbpf_log + libbpf_log_len, sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
	if (n > 0)
		libbpf_log_len += (size_t)n;
	if (libbpf_log_len >= sizeof(libbpf_log))
		libbpf_log_len = sizeof(libbpf_log) - 1;
	return 0;
}

/* The kernel's verdict on one program of an object, loaded by libbpf. */
static int kernel_load_object_prog(const char *path, const char *name, char *why, size_t size)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	why[0] = 0;
	if (!o) {
		snprintf(why, size, "libbpf cannot open it");
		return -2;
	}
	bpf_object__for_each_program(p, o)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
	libbpf_log_len = 0;
	libbpf_log[0] = 0;
	int err = bpf_object__load(o);
	bpf_object__close(o);
	if (!err)
		return 0;
	/* The verifier's own words sit between libbpf's log markers. */
	char *b = strstr(libbpf_log, "-- BEGIN PROG LOAD LOG --");
	char *e = b ? strstr(b, "-- END PROG LOAD LOG --") : NULL;
	if (!b || !e) {
		kernel_reason(libbpf_log, why, size);
		return -3; /* refused before the verifier ran */
	}
	*e = 0;
	kernel_reason(strchr(b, '\n') ? strchr(b, '\n') + 1 : b, why, size);
	return -1;
}

/* Every program of every example object the build made. */
static void gen_examples(struct agree *a)
{
	const char *b = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	static const char *const dirs[] = {"examples/net", "examples/clang16", "examples/bpf"};
	char dir[512], path[1024], why[256];

	libbpf_set_print(libbpf_collect);
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		snprintf(dir, sizeof(dir), "%s/%s", b, dirs[d]);
		DIR *dh = opendir(dir);
		struct dirent *e;
		while (dh && (e = readdir(dh))) {
			if (!strstr(e->d_name, ".o"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			struct skep_object *obj;
			if (skep_object_open_file(a->vm, path, NULL, &obj))
				continue;
			for (size_t i = 0; i < skep_object_prog_count(obj); i++) {
				size_t len, nmaps;
				const struct skep_insn *insns = skep_object_prog_insns(obj, i, &len);
				struct skep_map **maps = skep_object_maps(obj, &nmaps);
				const char *pname = skep_object_prog_name(obj, i);
				char name[1200];
				snprintf(name, sizeof(name), "example %s:%s", path, pname);
				if (!insns)
					continue;
				struct skep_verify_opts o = {.sz = sizeof(o),
							     .prog_type = skep_object_prog_type(obj, i),
							     .maps = maps, .nr_maps = nmaps};
				struct skep_verify_result r;
				int s_ok = !skep_verify(a->vm, insns, len, &o, &r);
				if (!s_ok && strstr(r.message, "is not supported by skep's verifier")) {
					printf("# %s: program type %u: not verified by skep yet\n",
					       name, o.prog_type);
					continue;
				}
				int k = kernel_load_object_prog(path, pname, why, sizeof(why));
				if (k == -2 || k == -3) {
					printf("# %s: skep %s; the kernel cannot load it for another "
					       "reason: %s\n", name, s_ok ? "accepts" : "rejects",
					       k == -2 ? "libbpf cannot open the object" : why);
					continue;
				}
				if (s_ok && k == 0)
					a->all.both_ok++;
				else if (!s_ok && k)
					a->all.both_no++;
				else if (s_ok) {
					a->all.skep_only++;
					if (!kernel_reason_is_safety(why))
						a->all.kernel_nonsafety++;
				} else {
					a->all.kernel_only++;
					printf("# stricter than the kernel: %s: skep: insn %lld: %s\n",
					       name, (long long)r.error_insn, r.message);
				}
				if (!s_ok == !k)
					harness_fail(a->h, name, "skep %s (%s), the kernel %s (%s)",
						     s_ok ? "accepts" : "rejects", r.message,
						     k ? "rejects" : "accepts", why);
				else
					harness_pass(a->h, name);
			}
			skep_object_free(obj);
		}
		if (dh)
			closedir(dh);
	}
}

/* Computed offsets (offsetgen.h): where scalar precision decides. */
static void gen_offsets(struct agree *a, struct kprog *kp, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		kp_start(kp, BPF_PROG_TYPE_XDP, i & 1 ? "array:4:64:1" : "", "computed offset seed "
			 "%u%s", i + 1, i & 1 ? " (map value)" : "");
		kp->len = offsetgen(i + 1, kp->insns, i & 1);
		agree_one(a, kp);
	}
}

static void print_matrix(const char *what, const struct matrix *m)
{
	unsigned total = m->both_ok + m->both_no + m->skep_only + m->kernel_only;

	printf("# %s: %u programs\n", what, total);
	printf("#                     kernel accepts  kernel rejects\n");
	printf("#   skep accepts      %14u  %14u (%u not for safety, %u at an instruction skep "
	       "proves unreachable)\n", m->both_ok, m->skep_only, m->kernel_nonsafety, m->skep_dead);
	printf("#   skep rejects      %14u  %14u\n", m->kernel_only, m->both_no);
}

int main(int argc, char **argv)
{
	struct harness h = {0};
	char why[256];
	unsigned nrand = argc > 1 ? (unsigned)atoi(argv[1]) : 300;

	if (!kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "kernel agreement", "%s", why);
		return harness_exit(&h);
	}
	struct agree a = {.h = &h, .vm = skep_vm_new()};
	struct kprog *kp = malloc(sizeof(*kp));
	gen_cases(&a, kp);
	gen_packet(&a, kp);
	gen_map(&a, kp);
	gen_uninit(&a, kp);
	gen_ctx(&a, kp);
	gen_stack(&a, kp);
	gen_loops(&a, kp);
	gen_helpers(&a, kp);
	gen_examples(&a);
	print_matrix("generated and table programs", &a.all);
	harness_check(&h, a.all.skep_only == a.all.kernel_nonsafety + a.all.skep_dead,
		      "agreement: generated programs",
		      "skep accepts %u programs the kernel rejects for safety",
		      a.all.skep_only - a.all.kernel_nonsafety - a.all.skep_dead);
	a.all.shown = 0;
	struct matrix before = a.all;
	memset(&a.all, 0, sizeof(a.all));
	a.all.shown = 40; /* the matrix says enough */
	gen_offsets(&a, kp, nrand * 4);
	print_matrix("computed offsets (ALU and branches on packet bytes, then an access)", &a.all);
	harness_check(&h, a.all.skep_only == a.all.kernel_nonsafety + a.all.skep_dead,
		      "agreement: computed offsets", "skep accepts %u the kernel rejects",
		      a.all.skep_only - a.all.kernel_nonsafety - a.all.skep_dead);
	a.all = before;
	gen_random(&a, kp, nrand, 64);
	gen_random(&a, kp, nrand / 3, 128);
	print_matrix("random programs (tests/lib/randprog)", &a.rnd);
	unsigned kacc = a.rnd.both_ok + a.rnd.kernel_only;
	printf("# random programs the kernel accepts that skep accepts: %u of %u (%.1f%%)\n",
	       a.rnd.both_ok, kacc, kacc ? 100.0 * a.rnd.both_ok / kacc : 0.0);
	harness_check(&h, a.rnd.skep_only == a.rnd.kernel_nonsafety + a.rnd.skep_dead,
		      "agreement: random programs",
		      "skep accepts %u the kernel rejects", a.rnd.skep_only);
	free(kp);
	skep_vm_free(a.vm);
	return harness_exit(&h);
}
