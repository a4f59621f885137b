/* The loader against the kernel: every example object (built by clang, and
 * by clang-16 when installed) is loaded and run in skep (interpreter and
 * JIT) and, through libbpf's bpf_object loader, in the Linux kernel
 * (BPF_PROG_TEST_RUN); the return values and the contents of every map
 * must be the same.  The legacy `maps` section, which libbpf 1.x no longer
 * reads, goes to the kernel as skep linked it, with kernel maps of the same
 * attributes.  Skipped visibly without bpf(). */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "skep/maps.h"
#include "skep/object.h"

struct example {
	const char *file, *prog;
	const char *rodata; /* a .rodata u32 to set before loading, or NULL */
	uint32_t rodata_val;
	int packet;         /* runs on a 64-byte packet (tc, socket) */
	int legacy;         /* kernel side through skep's linked instructions */
};

static const struct example examples[] = {
	{.file = "globals", .prog = "globals"},
	{.file = "globals", .prog = "globals", .rodata = "scale", .rodata_val = 11},
	{.file = "subprogs", .prog = "entry"},
	{.file = "subprogs", .prog = "optional"},
	{.file = "maps_btf", .prog = "maps_btf"},
	{.file = "maps_legacy", .prog = "legacy", .packet = 1, .legacy = 1},
	{.file = "map_in_map", .prog = "map_in_map"},
	{.file = "tailcall", .prog = "tail_entry", .packet = 1},
	{.file = "tailcall", .prog = "stage1", .packet = 1},
	{.file = "ringbuf", .prog = "ringbuf"},
	{.file = "loops", .prog = "loops"},
	{.file = "core", .prog = "core"},
};

/* What a run left behind, on either side. */
struct side {
	uint32_t retval;
	int map_fd[64];     /* kernel: per skep map index, -1 if absent */
	uint8_t samples[4096]; /* ring buffer samples, length-prefixed */
	size_t samples_len;
};

static int lbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int sample_add(void *ctx, void *data, size_t size)
{
	struct side *s = ctx;
	uint32_t n = (uint32_t)size;

	if (s->samples_len + 4 + size > sizeof(s->samples))
		return -E2BIG;
	memcpy(s->samples + s->samples_len, &n, 4);
	memcpy(s->samples + s->samples_len + 4, data, size);
	s->samples_len += 4 + size;
	return 0;
}

static int skep_run(struct skep_object *obj, const struct example *ex, enum skep_exec_mode mode,
		    struct side *out, char *why, size_t why_size)
{
	char log[8192] = "";
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	uint8_t ctx[256] = {0};
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = mode,
				   .args = {ex->packet ? (uint64_t)(uintptr_t)ctx : 0}};
	struct skep_run_result res;
	struct skep_prog *prog;
	int idx = skep_object_find_prog(obj, ex->prog), err;

	if (ex->rodata && skep_object_set_rodata(obj, ex->rodata, &ex->rodata_val, 4))
		return snprintf(why, why_size, "cannot set %s", ex->rodata), -1;
	if (idx < 0 || (err = skep_object_prog_load(obj, (size_t)idx, &lo, &prog)))
		return snprintf(why, why_size, "skep load: %s", log), -1;
	if ((err = skep_prog_run(prog, &ro, &res)))
		return snprintf(why, why_size, "skep run: %s", strerror(-err)), -1;
	out->retval = (uint32_t)res.retval;
	return 0;
}

/* The offset of .rodata variable `name` in libbpf's fixed-up BTF. */
static int rodata_offset(struct bpf_object *obj, const char *name)
{
	const struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	const struct btf_type *ds = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;

	for (int i = 0; ds && i < btf_vlen(ds); i++) {
		const struct btf_var_secinfo *vi = &btf_var_secinfos(ds)[i];
		const struct btf_type *v = btf__type_by_id(btf, vi->type);
		if (!strcmp(btf__name_by_offset(btf, v->name_off), name))
			return (int)vi->offset;
	}
	return -1;
}

static struct bpf_map *kernel_find_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m;
	size_t n = strlen(name);

	bpf_object__for_each_map(m, obj) {
		const char *kn = bpf_map__name(m);
		size_t kl = strlen(kn);
		/* libbpf names global data "<object>.rodata" */
		if (!strcmp(kn, name) || (name[0] == '.' && kl >= n && !strcmp(kn + kl - n, name)))
			return m;
	}
	return NULL;
}

static int kernel_set_rodata(struct bpf_object *obj, const struct example *ex)
{
	struct bpf_map *m = kernel_find_map(obj, ".rodata");
	size_t sz;
	uint8_t *p = m ? (uint8_t *)bpf_map__initial_value(m, &sz) : NULL;
	int off = rodata_offset(obj, ex->rodata);

	if (!p || off < 0 || (size_t)off + 4 > sz)
		return -1;
	memcpy(p + off, &ex->rodata_val, 4);
	return 0;
}

static int kernel_test_run(int fd, const struct example *ex, struct side *out)
{
	uint8_t pkt[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	if (ex->packet) {
		topts.data_in = pkt;
		topts.data_size_in = sizeof(pkt);
		topts.repeat = 1;
	}
	int err = bpf_prog_test_run_opts(fd, &topts);
	out->retval = topts.retval;
	return err;
}

static int kernel_run_libbpf(const char *path, const struct example *ex, struct skep_object *sobj,
			     struct bpf_object **kobj, struct side *out, char *why, size_t wsz)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	size_t n;

	*kobj = obj;
	if (!obj)
		return snprintf(why, wsz, "libbpf cannot open %s", path), -1;
	if (ex->rodata && kernel_set_rodata(obj, ex))
		return snprintf(why, wsz, "libbpf: cannot set %s", ex->rodata), -1;
	bpf_object__for_each_program(p, obj)
		if (!strcmp(bpf_program__name(p), ex->prog))
			bpf_program__set_autoload(p, true);
	if (bpf_object__load(obj))
		return snprintf(why, wsz, "the kernel refuses the object: %s", strerror(errno)), -1;
	p = bpf_object__find_program_by_name(obj, ex->prog);
	if (!p || kernel_test_run(bpf_program__fd(p), ex, out))
		return snprintf(why, wsz, "kernel test run failed: %s", strerror(errno)), -1;
	skep_object_maps(sobj, &n);
	for (size_t i = 0; i < n && i < 64; i++) {
		struct bpf_map *m = kernel_find_map(obj, skep_object_map_name(sobj, i));
		out->map_fd[i] = m ? bpf_map__fd(m) : -1;
	}
	return 0;
}

/* The legacy path: kernel maps like skep's, skep's instructions with fds. */
static int kernel_run_raw(struct skep_object *sobj, const struct example *ex, struct side *out,
			  char *why, size_t wsz)
{
	int idx = skep_object_find_prog(sobj, ex->prog);
	size_t len, n;
	const struct skep_insn *in = skep_object_prog_insns(sobj, (size_t)idx, &len);
	struct skep_map **maps = skep_object_maps(sobj, &n);
	struct bpf_insn *k = calloc(len, sizeof(*k));
	char log[4096] = "";
	int fd;

	for (size_t i = 0; i < n && i < 64; i++) {
		struct skep_map_info mi;
		skep_map_info(maps[i], &mi);
		out->map_fd[i] = kbpf_map_create(mi.type, mi.key_size, mi.value_size, mi.max_entries,
						 mi.flags);
	}
	memcpy(k, in, len * sizeof(*k));
	for (size_t i = 0; i < len; i++)
		if (k[i].code == (BPF_LD | BPF_IMM | BPF_DW) && (k[i].src_reg == 5 || k[i].src_reg == 6)) {
			k[i].src_reg = k[i].src_reg == 5 ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
			k[i].imm = out->map_fd[k[i].imm];
		}
	fd = kbpf_prog_load(skep_object_prog_type(sobj, (size_t)idx), k, len, log, sizeof(log));
	free(k);
	if (fd < 0)
		return snprintf(why, wsz, "kernel load: %s", log), -1;
	int err = kernel_test_run(fd, ex, out);
	close(fd);
	return err ? snprintf(why, wsz, "kernel test run failed"), -1 : 0;
}

/* Per-CPU values are compared as per-slot sums: the kernel ran on some CPU. */
static void sum_percpu(uint8_t *v, const struct skep_map_info *mi)
{
	uint32_t stride = (mi->value_size + 7) / 8 * 8;
	uint64_t acc = 0, x;

	for (uint32_t c = 0; c < mi->nr_cpus && mi->value_size == 8; c++) {
		memcpy(&x, v + (size_t)c * stride, 8);
		acc += x;
	}
	memset(v, 0, mi->user_value_size);
	memcpy(v, &acc, 8);
}

static int is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Queues compare by popping both dry. */
static int compare_queue(struct skep_map *m, int fd, const struct skep_map_info *mi, char *why,
			 size_t wsz)
{
	uint8_t a[256], b[256];

	for (int i = 0; i < 1024; i++) {
		int ea = skep_map_lookup_and_delete(m, NULL, a, 0);
		int eb = bpf_map_lookup_and_delete_elem(fd, NULL, b) ? -errno : 0;
		if (ea != eb || (!ea && memcmp(a, b, mi->value_size)))
			return snprintf(why, wsz, "element %d differs (skep %d, kernel %d)", i, ea, eb), -1;
		if (ea)
			return 0;
	}
	return 0;
}

static int compare_map(struct skep_map *m, int fd, const char *name, char *why, size_t wsz)
{
	struct skep_map_info mi;
	uint8_t key[256], prev[256], *a, *b;
	int n = 0, kn = 0, rc = 0;

	skep_map_info(m, &mi);
	if (mi.type == BPF_MAP_TYPE_QUEUE || mi.type == BPF_MAP_TYPE_STACK)
		return compare_queue(m, fd, &mi, why, wsz);
	if (!mi.key_size || mi.key_size > sizeof(key) || mi.type == BPF_MAP_TYPE_PROG_ARRAY ||
	    mi.type == BPF_MAP_TYPE_ARRAY_OF_MAPS || mi.type == BPF_MAP_TYPE_HASH_OF_MAPS)
		return 0;
	a = calloc(1, mi.user_value_size + 8);
	b = calloc(1, mi.user_value_size + 8);
	while (!rc && !skep_map_get_next_key(m, n ? prev : NULL, key)) {
		memcpy(prev, key, mi.key_size);
		n++;
		if (skep_map_lookup(m, key, a) || bpf_map_lookup_elem(fd, key, b)) {
			rc = -!!snprintf(why, wsz, "map %s: element %d only in skep", name, n);
			break;
		}
		if (is_percpu(mi.type)) {
			sum_percpu(a, &mi);
			sum_percpu(b, &mi);
		}
		if (memcmp(a, b, is_percpu(mi.type) ? 8 : mi.value_size))
			rc = -!!snprintf(why, wsz, "map %s: element %d differs", name, n);
	}
	for (int e = bpf_map_get_next_key(fd, NULL, key); !e; e = bpf_map_get_next_key(fd, prev, key)) {
		memcpy(prev, key, mi.key_size);
		kn++;
	}
	if (!rc && kn != n)
		rc = -!!snprintf(why, wsz, "map %s: skep has %d elements, the kernel %d", name, n, kn);
	free(a);
	free(b);
	return rc;
}

static int compare_ringbufs(struct skep_map *m, int fd, struct side *s, struct side *k, char *why,
			    size_t wsz)
{
	struct skep_ringbuf *rb = skep_ringbuf_new(m, sample_add, s);
	struct ring_buffer *krb = ring_buffer__new(fd, sample_add, k, NULL);

	if (rb)
		skep_ringbuf_consume(rb);
	if (krb)
		ring_buffer__consume(krb);
	skep_ringbuf_free(rb);
	ring_buffer__free(krb);
	if (!rb || !krb || s->samples_len != k->samples_len ||
	    memcmp(s->samples, k->samples, s->samples_len))
		return snprintf(why, wsz, "ring buffer samples differ (%zu vs %zu bytes)",
				s->samples_len, k->samples_len), -1;
	return 0;
}

static int compare_maps(struct skep_object *obj, struct side *s, struct side *k, char *why,
			size_t wsz)
{
	size_t n;
	struct skep_map **maps = skep_object_maps(obj, &n);

	for (size_t i = 0; i < n && i < 64; i++) {
		struct skep_map_info mi;
		const char *name = skep_object_map_name(obj, i);
		if (k->map_fd[i] < 0)
			return snprintf(why, wsz, "map %s: not in the kernel's object", name), -1;
		skep_map_info(maps[i], &mi);
		int rc = mi.type == BPF_MAP_TYPE_RINGBUF
				 ? compare_ringbufs(maps[i], k->map_fd[i], s, k, why, wsz)
				 : compare_map(maps[i], k->map_fd[i], name, why, wsz);
		if (rc)
			return rc;
	}
	return 0;
}

static void run_example(struct harness *h, const char *dir, const char *tag,
			const struct example *ex, enum skep_exec_mode mode, int kernel_ok)
{
	char path[512], name[256], why[8192] = "", log[8192] = "";
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log)};
	struct skep_vm *vm = skep_vm_new();
	struct skep_object *obj = NULL;
	struct bpf_object *kobj = NULL;
	static struct side s, k;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(&k, 0, sizeof(k));
	memset(k.map_fd, -1, sizeof(k.map_fd));
	snprintf(path, sizeof(path), "%s/%s.bpf.o", dir, ex->file);
	snprintf(name, sizeof(name), "kernel/%s/%s:%s%s%s/%s", tag, ex->file, ex->prog,
		 ex->rodata ? "+rodata" : "", "", mode == SKEP_EXEC_JIT ? "jit" : "interp");
	if (skep_object_open_file(vm, path, &oo, &obj)) {
		harness_fail(h, name, "skep cannot open it: %s", log);
		goto out;
	}
	if (skep_run(obj, ex, mode, &s, why, sizeof(why)))
		goto out;
	if (!kernel_ok) {
		harness_skip(h, name, "no bpf() here; skep ran it (retval %u)", s.retval);
		rc = 0;
		goto out;
	}
	if (ex->legacy ? kernel_run_raw(obj, ex, &k, why, sizeof(why))
		       : kernel_run_libbpf(path, ex, obj, &kobj, &k, why, sizeof(why)))
		goto out;
	if (s.retval != k.retval)
		snprintf(why, sizeof(why), "retval: skep %u, kernel %u", s.retval, k.retval);
	else if (!compare_maps(obj, &s, &k, why, sizeof(why)))
		rc = 0, harness_pass(h, name);
out:
	if (rc && why[0])
		harness_fail(h, name, "%s", why);
	if (ex->legacy)
		for (int i = 0; i < 64; i++)
			if (k.map_fd[i] >= 0)
				close(k.map_fd[i]);
	bpf_object__close(kobj);
	skep_object_free(obj);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};
	const char *build = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	char why[256], dir[2][512];
	const char *tags[2] = {"clang", "clang16"};
	int kernel_ok = kbpf_available(why, sizeof(why));

	libbpf_set_print(lbpf_print);
	snprintf(dir[0], sizeof(dir[0]), "%s/examples", build);
	snprintf(dir[1], sizeof(dir[1]), "%s/examples/clang16", build);
	if (!kernel_ok)
		printf("# %s\n", why);
	for (int d = 0; d < 2; d++) {
		char probe[600];
		snprintf(probe, sizeof(probe), "%s/globals.bpf.o", dir[d]);
		if (access(probe, R_OK)) {
			harness_skip(&h, tags[d], "%s not built (is %s installed?)", probe,
				     d ? "clang-16" : "clang");
			continue;
		}
		for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
			run_example(&h, dir[d], tags[d], &examples[i], SKEP_EXEC_INTERP, kernel_ok);
			run_example(&h, dir[d], tags[d], &examples[i], SKEP_EXEC_JIT, kernel_ok);
		}
	}
	return harness_exit(&h);
}
