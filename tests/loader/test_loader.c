/* The loader without the kernel: what an object exposes (programs, types
 * from section names, linked instructions, maps, .rodata, line info, CO-RE
 * against a named BTF), and malformed objects: truncated files, bad section
 * and symbol indexes, relocations out of range, bad BTF and .BTF.ext, and
 * thousands of corrupted copies.  Each must fail with a negative errno and a
 * message naming what is wrong, never crash (make asan runs this too). */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "skep/maps.h"
#include "skep/object.h"

static const char *build;
static struct skep_vm *vm;

static char *example_path(const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/examples/%s.bpf.o", build, name);
	return path;
}

static struct skep_object *open_example(const char *name, const char *btf, char *log, size_t n)
{
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = n,
				      .btf_path = btf};
	struct skep_object *obj = NULL;

	skep_object_open_file(vm, example_path(name), &oo, &obj);
	return obj;
}

static int open_buf(const void *buf, size_t size, char *log, size_t n)
{
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = n,
				      .btf_path = "/nonexistent"};
	struct skep_object *obj = NULL;
	int err = skep_object_open_mem(vm, buf, size, &oo, &obj);

	skep_object_free(obj);
	return err;
}

static void test_sections(struct harness *h)
{
	static const struct { const char *prog; uint32_t type, attach; } want[] = {
		{"p_xdp", BPF_PROG_TYPE_XDP, BPF_XDP},
		{"p_xdp_devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP},
		{"p_tc", BPF_PROG_TYPE_SCHED_CLS, 0},
		{"p_classifier", BPF_PROG_TYPE_SCHED_CLS, 0},
		{"p_action", BPF_PROG_TYPE_SCHED_ACT, 0},
		{"p_socket", BPF_PROG_TYPE_SOCKET_FILTER, 0},
		{"p_kprobe", BPF_PROG_TYPE_KPROBE, 0},
		{"p_uprobe", BPF_PROG_TYPE_KPROBE, 0},
		{"p_tracepoint", BPF_PROG_TYPE_TRACEPOINT, 0},
		{"p_tp", BPF_PROG_TYPE_TRACEPOINT, 0},
		{"p_raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT, 0},
		{"p_perf_event", BPF_PROG_TYPE_PERF_EVENT, 0},
		{"p_cgroup_skb_ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS},
		{"p_cgroup_skb_egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS},
		{"p_connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT},
		{"p_fentry", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY},
		{"p_fexit", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT},
		{"p_lsm", BPF_PROG_TYPE_LSM, BPF_LSM_MAC},
		{"p_sk_skb", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT},
		{"p_sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS},
		{"p_syscall", BPF_PROG_TYPE_SYSCALL, 0},
		{"p_not_autoloaded", BPF_PROG_TYPE_XDP, BPF_XDP},
		{"p_unknown", BPF_PROG_TYPE_UNSPEC, 0},
	};
	char log[4096] = "", name[128];
	struct skep_object *obj = open_example("sections", NULL, log, sizeof(log));

	if (!harness_check(h, obj != NULL, "sections/open", "%s", log))
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int idx = skep_object_find_prog(obj, want[i].prog);
		snprintf(name, sizeof(name), "sections/%s", want[i].prog);
		harness_check(h, idx >= 0 && skep_object_prog_type(obj, (size_t)idx) == want[i].type &&
				 skep_object_prog_attach_type(obj, (size_t)idx) == want[i].attach,
			      name, "idx %d: type %u attach %u, want %u %u", idx,
			      idx >= 0 ? skep_object_prog_type(obj, (size_t)idx) : 0,
			      idx >= 0 ? skep_object_prog_attach_type(obj, (size_t)idx) : 0,
			      want[i].type, want[i].attach);
	}
	int opt = skep_object_find_prog(obj, "p_not_autoloaded");
	harness_check(h, opt >= 0 && !skep_object_prog_autoload(obj, (size_t)opt) &&
			 skep_object_prog_autoload(obj, 0), "sections/?xdp-not-autoloaded", "no");
	harness_check(h, skep_object_find_prog(obj, "xdp") == -EEXIST, "sections/ambiguous-section",
		      "section xdp names several programs");
	harness_check(h, skep_object_find_prog(obj, "kprobe/do_unlinkat") ==
			 skep_object_find_prog(obj, "p_kprobe"), "sections/by-section", "no");
	harness_check(h, skep_object_find_prog(obj, "nope") == -ENOENT, "sections/no-such", "no");
	skep_object_free(obj);
}

/* lddw src 5 / 6 with indexes of the object's maps; calls point at functions. */
static void test_insns(struct harness *h)
{
	char log[4096] = "";
	struct skep_object *obj = open_example("globals", NULL, log, sizeof(log));
	size_t len, nmaps, src5 = 0, src6 = 0, bad = 0;

	if (!harness_check(h, obj != NULL, "insns/open", "%s", log))
		return;
	const struct skep_insn *in = skep_object_prog_insns(obj, 0, &len);
	skep_object_maps(obj, &nmaps);
	for (size_t i = 0; i + 1 < len; i++)
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW)) {
			src5 += in[i].src_reg == BPF_PSEUDO_MAP_IDX;
			src6 += in[i].src_reg == BPF_PSEUDO_MAP_IDX_VALUE;
			bad += (in[i].src_reg == 5 || in[i].src_reg == 6) && (size_t)in[i].imm >= nmaps;
			i++;
		}
	harness_check(h, src5 >= 4 && src6 >= 4 && !bad, "insns/map-lddw",
		      "%zu map, %zu map value, %zu out of range", src5, src6, bad);
	harness_check(h, skep_object_find_map(obj, ".rodata") >= 0 &&
			 skep_object_find_map(obj, ".bss") >= 0 &&
			 skep_object_find_map(obj, ".data.counters") >= 0 &&
			 skep_object_find_map(obj, "result") >= 0, "insns/map-names", "missing");
	harness_check(h, !strcmp(skep_object_license(obj), "GPL"), "insns/license", "%s",
		      skep_object_license(obj));

	struct skep_line_info li;
	int err = skep_object_prog_line(obj, 0, 0, &li);
	harness_check(h, !err && strstr(li.file, "globals.bpf.c") && li.line_no > 0 && li.line[0],
		      "insns/line-info", "err %d file %s line %u '%s'",
		      err, err ? "" : li.file, err ? 0 : li.line_no, err ? "" : li.line);

	uint32_t v = 9;
	size_t sz;
	harness_check(h, skep_object_set_rodata(obj, "scale", &v, 2) == -EINVAL &&
			 skep_object_set_rodata(obj, "nope", &v, 4) == -ENOENT &&
			 !skep_object_rodata_size(obj, "scale", &sz) && sz == 4 &&
			 !skep_object_set_rodata(obj, "scale", &v, 4), "rodata/set", "no");
	struct skep_load_opts lo = {.sz = sizeof(lo)};
	struct skep_prog *p;
	struct skep_run_opts ro = {.sz = sizeof(ro)};
	struct skep_run_result res;
	err = skep_object_prog_load(obj, 0, &lo, &p) || skep_prog_run(p, &ro, &res);
	harness_check(h, !err && res.retval == 63, "rodata/value-used", "retval %llu",
		      (unsigned long long)res.retval);
	harness_check(h, skep_object_set_rodata(obj, "scale", &v, 4) == -EBUSY, "rodata/frozen",
		      "set after load");
	skep_object_free(obj);
}

/* Subprograms linked after the program, and the two functions' starts. */
static void test_subprogs(struct harness *h)
{
	char log[4096] = "";
	struct skep_object *obj = open_example("subprogs", NULL, log, sizeof(log));
	const uint32_t *starts;
	const char *const *names;

	if (!harness_check(h, obj != NULL, "subprogs/open", "%s", log))
		return;
	size_t n = skep_object_prog_funcs(obj, 0, &starts, &names);
	int has_square = 0, has_mix = 0, has_step = 0;
	for (size_t i = 0; i < n; i++) {
		has_square |= !strcmp(names[i], "square");
		has_mix |= !strcmp(names[i], "mix");
		has_step |= !strcmp(names[i], "step");
	}
	harness_check(h, n == 4 && starts[0] == 0 && has_square && has_mix && has_step,
		      "subprogs/linked", "%zu functions", n);
	harness_check(h, skep_object_find_prog(obj, "syscall") == -EEXIST &&
			 skep_object_prog_count(obj) == 2, "subprogs/two-programs", "no");
	skep_object_free(obj);
}

/* CO-RE against a BTF the caller names: the object's own types. */
static void test_core_named_btf(struct harness *h)
{
	char log[4096] = "";
	struct skep_object *obj = open_example("core", example_path("core"), log, sizeof(log));
	struct skep_load_opts lo = {.sz = sizeof(lo)};
	struct skep_run_opts ro = {.sz = sizeof(ro)};
	struct skep_run_result res;
	struct skep_prog *p;
	uint64_t v[10];
	size_t n;

	if (!harness_check(h, obj != NULL, "core/named-btf-open", "%s", log))
		return;
	struct skep_map **maps = skep_object_maps(obj, &n);
	int err = skep_object_prog_load(obj, 0, &lo, &p) || skep_prog_run(p, &ro, &res);
	for (uint32_t k = 0; k < 10 && !err; k++)
		err = skep_map_lookup(maps[0], &k, &v[k]);
	harness_check(h, !err && v[0] == 0 && v[1] == 4 && v[2] == 8 && v[4] == 8 && v[5] == 4 &&
			 v[6] == 1 && v[7] == 99 && v[9] == 2, "core/named-btf-values",
		      "err %d: %llu %llu %llu %llu %llu", err, (unsigned long long)v[0],
		      (unsigned long long)v[1], (unsigned long long)v[2], (unsigned long long)v[4],
		      (unsigned long long)v[7]);
	skep_object_free(obj);
	obj = open_example("core", "/nonexistent/btf", log, sizeof(log));
	harness_check(h, !obj && strstr(log, "CO-RE"), "core/missing-btf", "%s", log);
	skep_object_free(obj);
}

/* LIBBPF_PIN_BY_NAME: a second object shares the first one's map. */
static void test_pinning(struct harness *h)
{
	char dir[] = "/tmp/skep-pin-XXXXXX", log[4096] = "";
	long r[2] = {0, 0};

	if (!mkdtemp(dir)) {
		harness_fail(h, "pinning", "mkdtemp");
		return;
	}
	setenv("SKEP_PIN_DIR", dir, 1);
	for (int i = 0; i < 2; i++) {
		struct skep_object *obj = open_example("pinned", NULL, log, sizeof(log));
		struct skep_load_opts lo = {.sz = sizeof(lo)};
		struct skep_run_opts ro = {.sz = sizeof(ro)};
		struct skep_run_result res;
		struct skep_prog *p;
		if (obj && !skep_object_prog_load(obj, 0, &lo, &p) && !skep_prog_run(p, &ro, &res))
			r[i] = (long)res.retval;
		skep_object_free(obj);
	}
	harness_check(h, r[0] == 1 && r[1] == 2, "pinning/shared", "runs %ld %ld: %s", r[0], r[1],
		      log);
	skep_map_unpin("runs");
	unsetenv("SKEP_PIN_DIR");
	rmdir(dir);
}

/* ---- malformed objects ---- */

struct image {
	uint8_t *buf;
	size_t size;
};

static struct image load_image(const char *name)
{
	struct image im = {0};
	im.buf = (uint8_t *)harness_read_file(example_path(name), &im.size);
	return im;
}

/* File offset and header of section `name`, through libelf. */
static int find_section(const struct image *im, const char *name, GElf_Shdr *out)
{
	Elf *e = elf_memory((char *)im->buf, im->size);
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int found = 0;

	if (!e || elf_getshdrstrndx(e, &shstrndx))
		return 0;
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		if (n && !strcmp(n, name))
			*out = sh, found = 1;
	}
	elf_end(e);
	return found;
}

/* A copy with `len` bytes at section `sec` + `off` replaced. */
static int expect_bad(struct harness *h, const char *test, const struct image *im,
		      const char *sec, size_t off, const void *bytes, size_t len, const char *want)
{
	char log[4096] = "";
	GElf_Shdr sh;
	uint8_t *copy = malloc(im->size);
	int err;

	memcpy(copy, im->buf, im->size);
	if (!find_section(im, sec, &sh) || sh.sh_offset + off + len > im->size) {
		free(copy);
		return harness_check(h, 0, test, "no section %s", sec);
	}
	memcpy(copy + sh.sh_offset + off, bytes, len);
	err = open_buf(copy, im->size, log, sizeof(log));
	free(copy);
	return harness_check(h, err < 0 && strstr(log, want), test, "err %d, log: %s", err, log);
}

static void test_malformed_structures(struct harness *h)
{
	struct image g = load_image("globals"), s = load_image("subprogs");
	struct image m = load_image("map_in_map");
	uint64_t big = 0x7ffffff8;
	uint32_t bad_sym = 0xffffff;

	if (!g.buf || !s.buf || !m.buf) {
		harness_fail(h, "malformed/images", "examples not built");
		return;
	}
	/* r_offset of the first relocation of the program */
	expect_bad(h, "malformed/reloc-offset", &g, ".relsyscall", 0, &big, 8, "out of range");
	/* r_info's symbol index (high 32 bits, little-endian) */
	expect_bad(h, "malformed/reloc-symbol", &g, ".relsyscall", 12, &bad_sym, 4, "symbol");
	/* a relocation type that is neither a call nor an lddw */
	uint8_t type = 3;
	expect_bad(h, "malformed/reloc-type", &g, ".relsyscall", 8, &type, 1, "relocation");
	/* misaligned relocation */
	uint64_t odd = 3;
	expect_bad(h, "malformed/reloc-misaligned", &g, ".relsyscall", 0, &odd, 8, "instruction");
	/* BTF magic */
	uint16_t magic = 0x1234;
	expect_bad(h, "malformed/btf-magic", &g, ".BTF", 0, &magic, 2, ".BTF");
	/* BTF string section length way past the end */
	uint32_t huge = 0x7fffffff;
	expect_bad(h, "malformed/btf-lengths", &g, ".BTF", 20, &huge, 4, ".BTF");
	/* .BTF.ext line info length past the section */
	expect_bad(h, "malformed/btf-ext-length", &g, ".BTF.ext", 20, &huge, 4, ".BTF.ext");
	/* .BTF.ext record size 0 */
	uint32_t zero = 0;
	GElf_Shdr sh;
	if (find_section(&s, ".BTF.ext", &sh)) {
		uint32_t hdr_len, line_off;
		memcpy(&hdr_len, s.buf + sh.sh_offset + 4, 4);
		memcpy(&line_off, s.buf + sh.sh_offset + 16, 4);
		expect_bad(h, "malformed/btf-ext-record-size", &s, ".BTF.ext", hdr_len + line_off,
			   &zero, 4, "record size");
	}
	/* a .maps initialiser relocation pointing at a function, in a map of maps */
	expect_bad(h, "malformed/maps-reloc-offset", &m, ".rel.maps", 0, &big, 8, "out of range");
	/* e_shstrndx out of range */
	uint8_t *copy = malloc(g.size);
	char log[4096];
	memcpy(copy, g.buf, g.size);
	uint16_t shstrndx = 999;
	memcpy(copy + 62, &shstrndx, 2);
	harness_check(h, open_buf(copy, g.size, log, sizeof(log)) < 0, "malformed/shstrndx", "loaded");
	/* not BPF */
	memcpy(copy, g.buf, g.size);
	uint16_t machine = 62;
	memcpy(copy + 18, &machine, 2);
	harness_check(h, open_buf(copy, g.size, log, sizeof(log)) < 0 && strstr(log, "BPF"),
		      "malformed/machine", "%s", log);
	harness_check(h, open_buf("hello", 5, log, sizeof(log)) < 0, "malformed/not-elf", "loaded");
	harness_check(h, open_buf(NULL, 0, log, sizeof(log)) < 0, "malformed/empty", "loaded");
	free(copy);
	free(g.buf);
	free(s.buf);
	free(m.buf);
}

/* Run program `prog` of an object image; the retval, or -1. */
static long run_image(const struct image *im, const char *prog)
{
	char log[4096];
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log)};
	struct skep_load_opts lo = {.sz = sizeof(lo)};
	struct skep_run_opts ro = {.sz = sizeof(ro)};
	struct skep_run_result res;
	struct skep_object *obj;
	struct skep_prog *p;
	long rc = -1;

	if (skep_object_open_mem(vm, im->buf, im->size, &oo, &obj))
		return -1;
	int idx = skep_object_find_prog(obj, prog);
	if (idx >= 0 && !skep_object_prog_load(obj, (size_t)idx, &lo, &p) &&
	    !skep_prog_run(p, &ro, &res))
		rc = (long)res.retval;
	skep_object_free(obj);
	return rc;
}

/* Rewrite the type byte of every relocation in `sec` from `from` to `to`. */
static int retype_relocs(struct image *im, const char *sec, uint8_t from, uint8_t to)
{
	GElf_Shdr sh;
	int n = 0;

	if (!find_section(im, sec, &sh))
		return 0;
	for (uint64_t off = 0; off + 16 <= sh.sh_size; off += 16) {
		uint8_t *type = im->buf + sh.sh_offset + off + 8;
		if (*type == from)
			*type = to, n++;
	}
	return n;
}

/* The other relocation numbers LLVM has used: R_BPF_64_64 (1) for data in
 * .maps before R_BPF_64_ABS64 (2), R_BPF_64_NODYLD32 (4) beside R_BPF_64_32. */
static void test_reloc_numbers(struct harness *h)
{
	struct image m = load_image("map_in_map"), s = load_image("subprogs");
	long want_m, want_s;

	if (!m.buf || !s.buf) {
		harness_fail(h, "relocs/images", "examples not built");
		return;
	}
	want_m = run_image(&m, "map_in_map");
	want_s = run_image(&s, "entry");
	int nm = retype_relocs(&m, ".rel.maps", 2, 1);
	int ns = retype_relocs(&s, ".relsyscall", 10, 4) + retype_relocs(&s, ".rel.text", 10, 4);
	harness_check(h, nm == 3 && want_m == 12 && run_image(&m, "map_in_map") == want_m,
		      "relocs/maps-R_BPF_64_64", "%d retyped, retval %ld", nm, want_m);
	harness_check(h, ns > 0 && want_s > 0 && run_image(&s, "entry") == want_s,
		      "relocs/calls-NODYLD32", "%d retyped, retval %ld", ns, want_s);
	free(m.buf);
	free(s.buf);
}

/* Every prefix length on a grid, then seeded random corruption: all must
 * either load or fail cleanly with a message. */
static void test_malformed_fuzz(struct harness *h, const char *name)
{
	struct image im = load_image(name);
	char log[4096], test[128];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int silent = 0, loaded = 0, runs = 0;

	if (!im.buf) {
		harness_fail(h, name, "not built");
		return;
	}
	uint8_t *copy = malloc(im.size);
	for (size_t len = 0; len < im.size; len += im.size / 97 + 1, runs++) {
		log[0] = '\0';
		int err = open_buf(im.buf, len, log, sizeof(log));
		silent += err < 0 && !log[0];
		loaded += !err;
	}
	for (int i = 0; i < 1500; i++, runs++) {
		memcpy(copy, im.buf, im.size);
		for (int k = 0; k < 1 + i % 8; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			copy[(seed >> 33) % im.size] ^= (uint8_t)(1u << ((seed >> 20) & 7));
		}
		log[0] = '\0';
		int err = open_buf(copy, im.size, log, sizeof(log));
		silent += err < 0 && !log[0];
		loaded += !err;
	}
	free(copy);
	free(im.buf);
	snprintf(test, sizeof(test), "malformed/corrupt-%s", name);
	harness_check(h, silent == 0, test, "%d of %d failures had no message (%d loaded)", silent,
		      runs, loaded);
}

int main(void)
{
	struct harness h = {0};
	static const char *const objs[] = {"globals", "subprogs", "maps_btf", "map_in_map",
					   "tailcall", "ringbuf", "loops", "maps_legacy", "core"};

	build = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	elf_version(EV_CURRENT);
	vm = skep_vm_new();
	test_sections(&h);
	test_insns(&h);
	test_subprogs(&h);
	test_core_named_btf(&h);
	test_pinning(&h);
	test_malformed_structures(&h);
	test_reloc_numbers(&h);
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
		test_malformed_fuzz(&h, objs[i]);
	skep_vm_free(vm);
	return harness_exit(&h);
}
