/* The command line on ELF objects: FILE.o and FILE.o:NAME in test-run and
 * disasm, --source, --rodata, --dump-maps, and the errors for a missing
 * program name or a bad object.  Runs $SKEP_BUILD/skep. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../lib/harness.h"

/* Maps of objects print typed elements from the object's BTF, and a map
 * the object pins keeps its types for `skep map dump` in another process. */
static void test_typed_maps(struct harness *h, const char *ex)
{
	char args[1024], dir[] = "/tmp/skep-loader-pin-XXXXXX";

	snprintf(args, sizeof(args), "test-run %s/globals.bpf.o --dump-maps", ex);
	harness_expect_skep(h, "dump_maps_typed", args, 0, "key: (__u32)1  value: (__u64)103");
	harness_expect_skep(h, "dump_maps_datasec", args, 0,
			    "value: SEC(\".rodata\") __u32 scale = (__u32)3;");
	if (!mkdtemp(dir)) {
		harness_fail(h, "pin_dir", "mkdtemp failed");
		return;
	}
	setenv("SKEP_PIN_DIR", dir, 1);
	snprintf(args, sizeof(args), "test-run %s/pinned.bpf.o", ex);
	harness_expect_skep(h, "pinned_object_runs", args, 0, NULL);
	harness_expect_skep(h, "pinned_map_typed", "map dump runs --json", 0,
			    "\"formatted\": {\"key\": \"(__u32)0\", \"value\": \"(__u64)1\"}");
	harness_expect_skep(h, "pinned_map_unpin", "map unpin runs", 0, NULL);
	unsetenv("SKEP_PIN_DIR");
	rmdir(dir);
}

int main(void)
{
	struct harness h = {0};
	const char *b = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	char args[1024], ex[512];

	snprintf(ex, sizeof(ex), "%s/examples", b);
	snprintf(args, sizeof(args), "%s/globals.bpf.o", ex);
	if (access(args, R_OK)) {
		harness_skip(&h, "loader-cli", "%s not built", args);
		return harness_exit(&h);
	}
	snprintf(args, sizeof(args), "test-run %s/globals.bpf.o", ex);
	harness_expect_skep(&h, "test_run_object", args, 0, "retval: 21 (0x15)");
	/* A kprobe with a STACK_TRACE map: no kernel stack in user space, so
	 * bpf_get_stackid's -EFAULT is what each run counts. */
	snprintf(args, sizeof(args), "test-run %s/stackcount.bpf.o --repeat 3 --dump-maps", ex);
	harness_expect_skep(&h, "stack_trace_object", args, 0, "key: (__s32)-14  value: (__u64)3");
	snprintf(args, sizeof(args), "verify %s/stackcount.bpf.o --json", ex);
	harness_expect_skep(&h, "stack_trace_object_verifies", args, 0, "{\"accepted\": true");
	snprintf(args, sizeof(args), "test-run %s/globals.bpf.o:globals --rodata scale=u32:5 --json "
		 "--dump-maps", ex);
	harness_expect_skep(&h, "test_run_rodata", args, 0, "{\"retval\": 35,");
	harness_expect_skep(&h, "test_run_rodata_map", args, 0,
			    "\".rodata\": [{\"key\": \"00000000\", \"value\": \"05000000\"}]");
	snprintf(args, sizeof(args), "test-run %s/globals.bpf.o --rodata nope=u32:5", ex);
	harness_expect_skep(&h, "test_run_rodata_unknown", args, 2, "no .rodata variable 'nope'");
	snprintf(args, sizeof(args), "test-run %s/globals.bpf.o --rodata scale=0102", ex);
	harness_expect_skep(&h, "test_run_rodata_size", args, 2, "4 bytes");
	snprintf(args, sizeof(args), "test-run %s/subprogs.bpf.o", ex);
	harness_expect_skep(&h, "test_run_ambiguous", args, 2, "subprogs.bpf.o:optional");
	snprintf(args, sizeof(args), "test-run %s/subprogs.bpf.o:optional", ex);
	harness_expect_skep(&h, "test_run_by_name", args, 0, "retval: 2 ");
	snprintf(args, sizeof(args), "test-run %s/subprogs.bpf.o:nothing", ex);
	harness_expect_skep(&h, "test_run_no_such", args, 2, "no program or section named");
	snprintf(args, sizeof(args), "test-run %s/map_in_map.bpf.o --dump-maps", ex);
	harness_expect_skep(&h, "test_run_inner_maps", args, 0, "map 1 (inner_b):");
	snprintf(args, sizeof(args), "disasm %s/subprogs.bpf.o:entry --source", ex);
	harness_expect_skep(&h, "disasm_source", args, 0,
			    "; \tbpf_loop(10, step, &c, 0); [file:");
	harness_expect_skep(&h, "disasm_subprog_label", args, 0, "\nsquare:\n");
	snprintf(args, sizeof(args), "disasm %s/subprogs.bpf.o", ex);
	harness_expect_skep(&h, "disasm_all", args, 0, "subprogs.bpf.o:optional (section syscall");
	snprintf(args, sizeof(args), "disasm %s/globals.bpf.o", ex);
	harness_expect_skep(&h, "disasm_map_value", args, 0, "map[idx:1][0]+0");
	harness_expect_skep(&h, "not_an_object", "disasm tests/loader/test_loader_cli.c:x.o", 2, NULL);
	snprintf(args, sizeof(args), "disasm %s/../skep.o", ex);
	harness_expect_skep(&h, "missing_object", args, 2, "cannot");
	harness_expect_skep(&h, "source_needs_object", "disasm examples/fnv1a.s --source", 2,
			    "ELF object");
	test_typed_maps(&h, ex);
	return harness_exit(&h);
}
