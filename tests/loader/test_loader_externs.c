/* Extern symbols in objects: kconfig externs get values from the kernel's
 * configuration ($SKEP_KCONFIG here) and libbpf's LINUX_ values, in a
 * read-only .kconfig map; a kfunc skep does not have poisons only the
 * instructions using it, so the object opens, the other programs load and
 * run, and the verifier says why the kfunc's caller cannot; a strong
 * kconfig extern without a value fails the open.  The object is compiled
 * from tests/loader/externs.bpf.c with clang (skipped without clang). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "skep/hooks.h"
#include "skep/object.h"
#include "skep/verifier.h"

static int compile(const char *out, const char *defs)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu %s "
		 "-c tests/loader/externs.bpf.c -o %s 2>/dev/null",
		 defs, out);
	return system(cmd);
}

static int verify(struct skep_vm *vm, struct skep_object *obj, size_t idx,
		  struct skep_verify_result *r)
{
	size_t len, nmaps;
	const struct skep_insn *insns = skep_object_prog_insns(obj, idx, &len);
	struct skep_map **maps = skep_object_maps(obj, &nmaps);
	struct skep_verify_opts o = {.sz = sizeof(o),
				     .prog_type = skep_object_prog_type(obj, idx),
				     .maps = maps,
				     .nr_maps = nmaps};
	return skep_verify(vm, insns, len, &o, r);
}

int main(void)
{
	struct harness h = {0};
	char dir[] = "/tmp/skep-externs-XXXXXX", obj_path[600], strong_path[600], cfg[600];
	char log[4096] = "";
	struct skep_object *obj = NULL;
	struct skep_vm *vm = skep_vm_new();

	if (!mkdtemp(dir) || !vm)
		return 1;
	snprintf(obj_path, sizeof(obj_path), "%s/externs.bpf.o", dir);
	snprintf(strong_path, sizeof(strong_path), "%s/strong.bpf.o", dir);
	snprintf(cfg, sizeof(cfg), "%s/config", dir);
	if (compile(obj_path, "") || compile(strong_path, "-DSTRONG_MISSING")) {
		harness_skip(&h, "externs object", "clang cannot build tests/loader/externs.bpf.c");
		goto out;
	}
	FILE *f = fopen(cfg, "w");
	fputs("# test configuration\nCONFIG_SKEPTEST_MODULE=m\nCONFIG_SKEPTEST_BOOL=y\n"
	      "CONFIG_SKEPTEST_NUMBER=0x123\nCONFIG_SKEPTEST_STRING=\"skep\"\n"
	      "# CONFIG_SKEPTEST_UNSET is not set\n",
	      f);
	fclose(f);
	setenv("SKEP_KCONFIG", cfg, 1);

	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log)};
	int err = skep_object_open_file(vm, obj_path, &oo, &obj);
	harness_check(&h, !err, "object with kconfig externs and a kfunc opens", "err %d: %s", err,
		      log);
	if (err)
		goto out;
	int vi = skep_object_find_prog(obj, "kconfig_values");
	int ki = skep_object_find_prog(obj, "calls_kfunc");
	struct skep_verify_result r;
	err = verify(vm, obj, (size_t)vi, &r);
	harness_check(&h, !err, "program reading kconfig externs verifies", "%s", r.message);
	err = verify(vm, obj, (size_t)ki, &r);
	harness_check(&h, err && strstr(r.message, "extern kernel symbol"),
		      "program calling a missing kfunc is refused, saying why", "err %d: %s", err,
		      r.message);

	struct skep_prog *prog = NULL;
	struct skep_load_opts lo = {.sz = sizeof(lo)};
	err = skep_object_prog_load(obj, (size_t)vi, &lo, &prog);
	unsigned char pkt[64] = {0}, out_buf[512];
	struct skep_test_run_opts t = {.sz = sizeof(t),
				       .prog_type = BPF_PROG_TYPE_XDP,
				       .data_in = pkt,
				       .data_size_in = sizeof(pkt),
				       .data_out = out_buf,
				       .data_size_out = sizeof(out_buf),
				       .repeat = 1};
	if (!err)
		err = skep_prog_test_run(prog, &t);
	harness_check(&h, !err && t.retval == 2 * 100000 + 10000 + 0x123 + 'k',
		      "kconfig values: m=2, y=1, 0x123, string byte 'k'", "err %d retval %u", err,
		      t.retval);

	size_t nmaps;
	skep_object_maps(obj, &nmaps);
	int found = 0;
	for (size_t i = 0; i < nmaps; i++)
		found |= !strcmp(skep_object_map_name(obj, i), ".kconfig");
	harness_check(&h, found, "the values live in a map named .kconfig", "no .kconfig map");
	skep_object_free(obj);
	obj = NULL;

	log[0] = 0;
	err = skep_object_open_file(vm, strong_path, &oo, &obj);
	harness_check(&h, err == -ESRCH && strstr(log, "CONFIG_SKEPTEST_MISSING"),
		      "a strong kconfig extern without a value fails the open", "err %d: %s", err,
		      log);
out:
	skep_object_free(obj);
	unlink(obj_path);
	unlink(strong_path);
	unlink(cfg);
	rmdir(dir);
	skep_vm_free(vm);
	return harness_exit(&h);
}
