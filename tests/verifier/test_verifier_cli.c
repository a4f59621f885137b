/* skep verify from the command line: exit status (0 accepted, 1 rejected,
 * 2 bad input), the exact --json shape, and the explanation of -v.  Runs
 * $SKEP_BUILD/skep from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/harness.h"

static char out[1 << 16];

/* Run a shell command; its stdout in out, its exit status returned. */
static int run(const char *fmt, const char *arg)
{
	char cmd[1024];
	const char *b = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";

	snprintf(cmd, sizeof(cmd), "%s/skep verify ", b);
	size_t n = strlen(cmd);
	snprintf(cmd + n, sizeof(cmd) - n, fmt, arg);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	struct harness h = {0};
	char good[64], bad[64];
	snprintf(good, sizeof(good), "/tmp/skep-vcli-%d-good.s", (int)getpid());
	snprintf(bad, sizeof(bad), "/tmp/skep-vcli-%d-bad.s", (int)getpid());
	write_file(good, "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\n"
			 "jgt %r4, %r3, out\nldxw %r0, [%r2+10]\nout:\nmov %r0, 2\nexit\n");
	write_file(bad, "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\n"
			"jgt %r4, %r3, out\nldxw %r0, [%r2+12]\nout:\nmov %r0, 2\nexit\n");

	int rc = run("%s --type xdp --json", good);
	harness_check(&h, rc == 0 && !strncmp(out, "{\"accepted\": true, \"insns_processed\": ", 38) &&
				  strstr(out, "\"states\": ") && strstr(out, "\"ms\": ") &&
				  !strstr(out, "error"),
		      "cli: accepted, json", "rc %d: %s", rc, out);
	rc = run("%s --type xdp --json", bad);
	harness_check(&h, rc == 1 && strstr(out, "{\"accepted\": false, ") &&
				  strstr(out, ", \"error\": {\"insn\": 5, \"source\": \"\", \"message\": "
					      "\"reads 4 bytes at packet offset 12, but only 14 bytes"),
		      "cli: rejected, json", "rc %d: %s", rc, out);
	rc = run("%s --type xdp 2>&1", bad);
	harness_check(&h, rc == 1 && strstr(out, "rejected at insn 5") && strstr(out, "fell through"),
		      "cli: rejected, explanation", "rc %d: %s", rc, out);
	rc = run("%s --type xdp -v 2>&1", bad);
	harness_check(&h, rc == 1 && !strncmp(out, "rejected at insn 5", 18) &&
				  strstr(out, "R4=pkt(off=14,r=14)"),
		      "cli: -v gives the cause first, then the states", "rc %d: %s", rc, out);
	rc = run("%s --type nosuchtype 2>/dev/null", good);
	harness_check(&h, rc == 2, "cli: bad type is a usage error", "rc %d", rc);
	rc = run("%s 2>/dev/null", "/nonexistent/x.s");
	harness_check(&h, rc == 2, "cli: missing file is an input error", "rc %d", rc);
	/* Raw by default: r1 is plain memory, so what it holds are numbers. */
	rc = run("%s --json", good);
	harness_check(&h, rc == 1 && strstr(out, "r2 is a scalar, not a pointer"),
		      "cli: raw type by default", "rc %d: %s", rc, out);
	unlink(good);
	unlink(bad);
	return harness_exit(&h);
}
