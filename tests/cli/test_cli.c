/* The skep command line as users and scripts drive it: outputs, the --json
 * shape of ARCHITECTURE.md, and exit codes (0 ok, 1 negative verdict,
 * 2 usage or input error).  Runs $SKEP_BUILD/skep from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

int main(void)
{
	struct harness h = {0};
	char tmp[] = "/tmp/skep-cli-XXXXXX", args[1024], path[512];
	/* r0 = *(u32 *)(r1 + 64): past the end of an 8-byte --mem */
	static const unsigned char oob[] = {0x61, 0x10, 0x40, 0, 0, 0, 0, 0,
					    0x95, 0,	0,    0, 0, 0, 0, 0};
	static const unsigned char badop[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0};

	if (access("examples/fnv1a.s", R_OK) != 0) {
		harness_skip(&h, "cli", "run from the repository root (examples/ not found)");
		return harness_exit(&h);
	}
	if (!mkdtemp(tmp))
		return 1;
	harness_expect_skep(&h, "help", "--help", 0, "test-run");
	harness_expect_skep(&h, "no_command", "", 2, "usage");
	harness_expect_skep(&h, "unknown_command", "frobnicate", 2, "unknown command");
	snprintf(args, sizeof(args), "asm examples/fnv1a.s -o %s/fnv1a.bin", tmp);
	harness_expect_skep(&h, "asm", args, 0, NULL);
	snprintf(args, sizeof(args), "disasm %s/fnv1a.bin", tmp);
	harness_expect_skep(&h, "disasm_kernel_syntax", args, 0, "   8: r6 = *(u8 *)(r5 + 0)");
	/* The load of r6 becomes a movzx of a byte; the stubs come after the code. */
	snprintf(args, sizeof(args), "disasm %s/fnv1a.bin --jited", tmp);
	harness_expect_skep(&h, "disasm_jited", args, 0, "   8: r6 = *(u8 *)(r5 + 0)\n");
	harness_expect_skep(&h, "disasm_jited_movzx", args, 0, "movzx");
	harness_expect_skep(&h, "disasm_jited_stubs", args, 0, "; shared stubs");
	snprintf(args, sizeof(args), "test-run %s/fnv1a.bin --mem examples/hello.txt", tmp);
	harness_expect_skep(&h, "test_run_fnv1a", args, 0,
			    "retval: 5484864030222411692 (0x4c1e26c682b967ac)");
	harness_expect_skep(&h, "test_run_json",
			    "test-run examples/fnv1a.s --mem examples/hello.txt --json", 0,
			    "{\"retval\": 5484864030222411692, \"runs\": 1, \"ns_per_run\": ");
	harness_expect_skep(&h, "test_run_json_data_out",
			    "test-run examples/fnv1a.s --mem examples/hello.txt --json --repeat 3",
			    0, "\"runs\": 3, ");
	harness_expect_skep(&h, "test_run_checked",
			    "test-run examples/fnv1a.s --mem examples/hello.txt --checked", 0,
			    "0x4c1e26c682b967ac");
	harness_expect_skep(&h, "missing_file", "test-run /nonexistent/prog.bin", 2, "cannot open");
	harness_expect_skep(&h, "bad_option", "test-run examples/fnv1a.s --frob", 2, "usage");

	snprintf(path, sizeof(path), "%s/oob.bin", tmp);
	write_file(path, oob, sizeof(oob));
	snprintf(args, sizeof(args), "test-run %s --mem examples/fnv1a.s --checked", path);
	harness_expect_skep(&h, "checked_read_in_bounds", args, 0, NULL);
	snprintf(path, sizeof(path), "%s/small", tmp);
	write_file(path, "12345678", 8);
	snprintf(args, sizeof(args), "test-run %s/oob.bin --mem %s --checked", tmp, path);
	harness_expect_skep(&h, "checked_fault_names_insn", args, 1, "insn 0: 4-byte read at 0x");
	/* The unchecked engines run only what the verifier accepts: the rest runs
	 * checked, so a read past --mem (or through r1 with no --mem) is an error
	 * naming the instruction, never a crash. */
	snprintf(args, sizeof(args), "test-run %s/oob.bin --mem %s", tmp, path);
	harness_expect_skep(&h, "unverified_runs_checked", args, 1,
			    "running it in the checked interpreter");
	harness_expect_skep(&h, "unverified_fault_names_insn", args, 1,
			    "insn 0: 4-byte read at 0x");
	snprintf(args, sizeof(args), "test-run %s/oob.bin --mem %s --jit", tmp, path);
	harness_expect_skep(&h, "unverified_jit_runs_checked", args, 1,
			    "running it in the checked JIT");
	snprintf(args, sizeof(args), "test-run %s/oob.bin --jit", tmp);
	harness_expect_skep(&h, "no_mem_read_is_an_error", args, 1, "insn 0: 4-byte read at 0x40");
	{
		static char out[8192];
		int rc = harness_skep("test-run examples/fnv1a.s --mem examples/hello.txt --jit",
				      out, sizeof(out));
		harness_check(&h, rc == 0 && !strstr(out, "checked"), "verified_runs_unchecked",
			      "exit %d: %s", rc, out);
	}

	snprintf(path, sizeof(path), "%s/badop.bin", tmp);
	write_file(path, badop, sizeof(badop));
	snprintf(args, sizeof(args), "test-run %s", path);
	harness_expect_skep(&h, "rejected_program_exit_1", args, 1, "insn 0: unknown opcode 0xff");
	snprintf(path, sizeof(path), "%s/odd.bin", tmp);
	write_file(path, badop, 12);
	snprintf(args, sizeof(args), "test-run %s", path);
	harness_expect_skep(&h, "truncated_binary_exit_2", args, 2, "4 stray bytes at offset 8");

	snprintf(args, sizeof(args), "rm -rf %s", tmp);
	if (system(args))
		harness_fail(&h, "cleanup", "could not remove %s", tmp);
	return harness_exit(&h);
}
