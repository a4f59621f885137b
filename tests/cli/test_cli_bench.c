/* skep bench as users and scripts drive it: the table, the --json object
 * (parsed, not grepped: every documented key with the right kind of value),
 * the kernel shown as skipped when it cannot run the program (for --mem, when
 * its verifier refuses the program, and with bpf() denied by a seccomp filter
 * as for a user without root), a mismatch between engines (exit 1) and usage
 * errors (exit 2).  Runs $SKEP_BUILD/skep from the repository root. */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"

static const char *build(void)
{
	return getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
}

/* `skep ARGS` with stdout only (stderr dropped), for JSON. */
static int skep_stdout(const char *args, char *out, size_t size)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "%s/skep %s 2>/dev/null", build(), args);
	return harness_run(cmd, out, size);
}

/* ---- a strict JSON reader: enough to check the object's shape ---- */

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *js_number(const char *p)
{
	if (*p == '-')
		p++;
	if (!(p = js_digits(p)))
		return NULL;
	if (*p == '.' && !(p = js_digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = js_digits(p);
	}
	return p;
}

/* Past one value, or NULL when it is not valid JSON. */
static const char *js_value(const char *p, int depth)
{
	char close;

	p = js_ws(p);
	if (depth > 16)
		return NULL;
	switch (*p) {
	case '{':
	case '[':
		close = *p == '{' ? '}' : ']';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (!(p = js_string(js_ws(p))))
					return NULL;
				if (*(p = js_ws(p)) != ':')
					return NULL;
				p++;
			}
			if (!(p = js_value(p, depth + 1)))
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '"':
		return js_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return js_number(p);
	}
}

/* Is the text one JSON object and nothing else? */
static int js_valid(const char *text)
{
	const char *end = js_value(text, 0);

	return *js_ws(text) == '{' && end && !*js_ws(end);
}

/* The value of member `key` of the object at p, or NULL. */
static const char *js_member(const char *p, const char *key)
{
	size_t len = strlen(key);

	if (*(p = js_ws(p)) != '{')
		return NULL;
	p = js_ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *v;
		if (!(p = js_string(p)) || *(p = js_ws(p)) != ':')
			return NULL;
		v = js_ws(p + 1);
		if ((size_t)(p - 1 - k) == len && !strncmp(k, key, len))
			return v;
		if (!(p = js_value(v, 0)) || *(p = js_ws(p)) != ',')
			return NULL;
		p = js_ws(p + 1);
	}
	return NULL;
}

/* "engines.interp.retval": member of member of ... */
static const char *js_path(const char *json, const char *path)
{
	char key[64];
	const char *v = json;

	while (v && *path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		v = js_member(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

/* The number at path (a JSON number, not a string); 0 when there is none. */
static int js_num(const char *json, const char *path, double *out)
{
	const char *v = js_path(json, path);

	if (!v || !js_number(v))
		return 0;
	*out = strtod(v, NULL);
	return 1;
}

/* Is the value at path exactly this number's text ("5484864030222411692")? */
static int js_num_is(const char *json, const char *path, const char *want)
{
	const char *v = js_path(json, path), *end = v ? js_number(v) : NULL;

	return end && (size_t)(end - v) == strlen(want) && !strncmp(v, want, strlen(want));
}

/* Is the value at path a string holding needle? */
static int js_str_has(const char *json, const char *path, const char *needle)
{
	const char *v = js_path(json, path), *end = v ? js_string(v) : NULL;
	char buf[1024];

	if (!end)
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)(end - v), v);
	return strstr(buf, needle) != NULL;
}

/* Is the value at path the literal true, false or null? */
static int js_lit(const char *json, const char *path, const char *lit)
{
	const char *v = js_path(json, path);

	return v && !strncmp(v, lit, strlen(lit)) && !isalnum((unsigned char)v[strlen(lit)]);
}

/* An engine that ran: a positive ns_per_run and this retval. */
static int js_engine_ran(const char *json, const char *engine, const char *retval)
{
	char path[64];
	double ns;

	snprintf(path, sizeof(path), "engines.%s.ns_per_run", engine);
	if (!js_num(json, path, &ns) || ns <= 0)
		return 0;
	snprintf(path, sizeof(path), "engines.%s.retval", engine);
	return js_num_is(json, path, retval);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A classic pcap of n copies of the packet, the second one cut to 20 bytes. */
static void write_pcap(const char *path, const uint8_t *pkt, uint32_t len, int n)
{
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1};
	FILE *f = fopen(path, "wb");

	if (!f)
		return;
	fwrite(hdr, 1, sizeof(hdr), f);
	for (int i = 0; i < n; i++) {
		uint32_t cap = i == 1 ? 20 : len, rec[4] = {(uint32_t)i, 0, cap, cap};
		fwrite(rec, 1, sizeof(rec), f);
		fwrite(pkt, 1, cap, f);
	}
	fclose(f);
}

/* bpf() fails with EPERM in this process and its children from now on, as
 * for a user without CAP_BPF. */
static int deny_bpf(char *why, size_t size)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err = ctx ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(bpf), 0) : -ENOMEM;

	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err)
		snprintf(why, size, "cannot install a seccomp filter (%s)", strerror(-err));
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct harness h = {0};
	char dir[] = "/tmp/skep-bench-cli-XXXXXX", args[4096], why[256], fw[512];
	static char out[1 << 16];
	size_t udp_len = 0;
	uint8_t *udp = (uint8_t *)harness_read_file("examples/net/udp53.bin", &udp_len);
	int kernel = kbpf_available(why, sizeof(why)), rc;
	double ns, t0;

	if (!udp || access("examples/fnv1a.s", R_OK) != 0) {
		harness_skip(&h, "bench", "run from the repository root (examples/ not found)");
		return harness_exit(&h);
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(fw, sizeof(fw), "%s/examples/net/xdp_firewall.bpf.o", build());
	snprintf(args, sizeof(args), "%s/ret3.s", dir);
	write_text(args, "mov %r0, 3\nexit\n");
	/* r0 never set: skep runs it, the kernel's verifier refuses it. */
	snprintf(args, sizeof(args), "%s/noret.s", dir);
	write_text(args, "exit\n");
	/* r1 after a helper call: the interpreter keeps it, the JIT leaves what
	 * the helper (bpf_ktime_get_ns) left in rdi. */
	snprintf(args, sizeof(args), "%s/clobber.s", dir);
	write_text(args, "mov %r1, 12345\ncall 5\nmov %r0, %r1\nexit\n");
	snprintf(args, sizeof(args), "%s/in.pcap", dir);
	write_pcap(args, udp, (uint32_t)udp_len, 4);

	/* The help and the command list. */
	harness_expect_skep(&h, "bench: --help", "bench --help", 0, "usage: skep bench PROG");
	harness_expect_skep(&h, "bench: --help documents --json", "bench --help", 0,
			    "\"jit_vs_kernel\"");
	harness_expect_skep(&h, "bench: in skep --help", "--help", 0, "\n  bench ");
	harness_expect_skep(&h, "bench: in the usage of skep", "", 2, "\n  bench ");

	/* Usage and input errors: exit 2. */
	harness_expect_skep(&h, "bench: no program", "bench", 2, "takes one program");
	harness_expect_skep(&h, "bench: bad option", "bench examples/fnv1a.s --frob", 2,
			    "usage: skep bench");
	harness_expect_skep(&h, "bench: --repeat 0", "bench examples/fnv1a.s --repeat 0", 2,
			    "--repeat wants");
	harness_expect_skep(&h, "bench: --repeat x", "bench examples/fnv1a.s --repeat 12x", 2,
			    "--repeat wants");
	harness_expect_skep(&h, "bench: missing program", "bench /nonexistent/p.s", 2,
			    "cannot open");
	harness_expect_skep(&h, "bench: missing --mem", "bench examples/fnv1a.s --mem /nonexistent",
			    2, "cannot open");
	harness_expect_skep(&h, "bench: --data on a non-packet program",
			    "bench examples/fnv1a.s --data examples/hello.txt", 2,
			    "run packet programs");
	snprintf(args, sizeof(args), "bench %s --data examples/net/udp53.bin --pcap %s/in.pcap", fw,
		 dir);
	harness_expect_skep(&h, "bench: --data and --pcap", args, 2, "one or the other");
	snprintf(args, sizeof(args), "bench %s", fw);
	harness_expect_skep(&h, "bench: an XDP program without input", args, 2,
			    "runs on --data FILE or --pcap FILE");
	snprintf(args, sizeof(args), "bench %s/ret3.s --type nosuch --data examples/net/udp53.bin",
		 dir);
	harness_expect_skep(&h, "bench: --type nosuch", args, 2, "no such program type");

	/* A program on --mem: skep's engines agree, the kernel is skipped. */
	rc = skep_stdout("bench examples/fnv1a.s --mem examples/hello.txt --repeat 200 --json", out,
			 sizeof(out));
	harness_check(&h, rc == 0 && js_valid(out), "bench --mem --json: one JSON object, exit 0",
		      "exit %d: %s", rc, out);
	harness_check(&h,
		      js_num_is(out, "runs", "200") && js_num_is(out, "batches", "5") &&
			      js_str_has(out, "program", "examples/fnv1a.s") &&
			      js_str_has(out, "type", "unspec") && !js_path(out, "packets"),
		      "bench --mem --json: runs, batches, program, type", "%s", out);
	harness_check(&h,
		      js_engine_ran(out, "interp", "5484864030222411692") &&
			      js_engine_ran(out, "jit", "5484864030222411692"),
		      "bench --mem --json: interp and jit ran, fnv1a's retval", "%s", out);
	harness_check(&h,
		      js_str_has(out, "engines.kernel.skipped", "packet programs") &&
			      !js_path(out, "engines.kernel.ns_per_run") &&
			      !js_path(out, "engines.checked") &&
			      !js_path(out, "engines.jit_checked"),
		      "bench --mem --json: kernel skipped, no checked engines", "%s", out);
	harness_check(&h,
		      js_num(out, "ratios.jit_vs_interp", &ns) && ns > 0 &&
			      js_lit(out, "ratios.jit_vs_kernel", "null") &&
			      js_lit(out, "match", "true") && !js_path(out, "mismatch"),
		      "bench --mem --json: ratios and match", "%s", out);
	harness_expect_skep(&h, "bench --mem: the table",
			    "bench examples/fnv1a.s --mem examples/hello.txt --repeat 100", 0,
			    "\nskep JIT          ");
	harness_expect_skep(&h, "bench --mem: the JIT's own ratio is 1",
			    "bench examples/fnv1a.s --mem examples/hello.txt --repeat 100", 0,
			    "        1.00x  5484864030222411692\n");
	harness_expect_skep(&h, "bench --mem: the kernel skipped",
			    "bench examples/fnv1a.s --mem examples/hello.txt --repeat 100", 0,
			    "\nkernel JIT        skipped: BPF_PROG_TEST_RUN runs packet programs");
	harness_expect_skep(&h, "bench --mem: the summary lines",
			    "bench examples/fnv1a.s --mem examples/hello.txt --repeat 100", 0,
			    "\nJIT speedup over the interpreter: ");
	harness_expect_skep(&h, "bench --mem: the engines agree",
			    "bench examples/fnv1a.s --mem examples/hello.txt --repeat 100", 0,
			    "\nevery engine computed the same retval and memory\n");

	/* Without --repeat, N is sized so that the whole bench stays short. */
	t0 = now_s();
	rc = skep_stdout("bench examples/fnv1a.s --mem examples/hello.txt --json", out,
			 sizeof(out));
	t0 = now_s() - t0;
	harness_check(&h, rc == 0 && js_num(out, "runs", &ns) && ns >= 1000 && t0 < 10,
		      "bench: default repeat sized, quick", "exit %d, %.1f s: %s", rc, t0, out);

	/* An XDP object on one packet, and on a capture. */
	snprintf(args, sizeof(args), "bench %s --data examples/net/udp53.bin --repeat 1000 --json",
		 fw);
	rc = skep_stdout(args, out, sizeof(out));
	harness_check(&h,
		      rc == 0 && js_valid(out) && js_str_has(out, "type", "xdp") &&
			      js_num_is(out, "packets", "1") && js_num_is(out, "runs", "1000") &&
			      js_engine_ran(out, "interp", "2") && js_engine_ran(out, "jit", "2") &&
			      js_lit(out, "match", "true"),
		      "bench XDP --data --json: XDP_PASS in skep's engines", "exit %d: %s", rc,
		      out);
	if (kernel)
		harness_check(&h,
			      js_engine_ran(out, "kernel", "2") &&
				      js_num(out, "ratios.jit_vs_kernel", &ns) && ns > 0,
			      "bench XDP --data --json: the kernel ran", "%s", out);
	else
		harness_check(&h,
			      js_str_has(out, "engines.kernel.skipped", "bpf()") &&
				      js_lit(out, "ratios.jit_vs_kernel", "null"),
			      "bench XDP --data --json: the kernel skipped", "%s", out);
	snprintf(args, sizeof(args), "bench %s --pcap %s/in.pcap --repeat 20", fw, dir);
	harness_expect_skep(&h, "bench XDP --pcap: every packet", args, 0,
			    "on 4 packets: ns per run, median of 5 batches of 20 runs of each");
	harness_expect_skep(
		&h, "bench XDP --pcap: engines agree", args, 0,
		"\nevery engine computed the same retval and data_out for every packet\n");
	snprintf(args, sizeof(args), "bench %s --pcap %s/in.pcap --repeat 20 --json", fw, dir);
	rc = skep_stdout(args, out, sizeof(out));
	harness_check(&h,
		      rc == 0 && js_valid(out) && js_num_is(out, "packets", "4") &&
			      js_engine_ran(out, "interp", "2") && js_lit(out, "match", "true"),
		      "bench XDP --pcap --json", "exit %d: %s", rc, out);

	/* --checked adds the checked interpreter and JIT. */
	snprintf(args, sizeof(args),
		 "bench %s/ret3.s --type xdp --data examples/net/udp53.bin --checked --repeat 500 "
		 "--json",
		 dir);
	rc = skep_stdout(args, out, sizeof(out));
	harness_check(&h,
		      rc == 0 && js_valid(out) && js_engine_ran(out, "checked", "3") &&
			      js_engine_ran(out, "jit_checked", "3") &&
			      js_engine_ran(out, "interp", "3") && js_lit(out, "match", "true"),
		      "bench --checked --json: checked and jit_checked", "exit %d: %s", rc, out);

	/* The kernel's verifier refuses what skep runs: skipped, not an error. */
	snprintf(args, sizeof(args),
		 "bench %s/noret.s --type xdp --data examples/net/udp53.bin --repeat 100 --json",
		 dir);
	rc = skep_stdout(args, out, sizeof(out));
	harness_check(&h,
		      rc == 0 && js_valid(out) && js_path(out, "engines.kernel.skipped") &&
			      (!kernel || js_str_has(out, "engines.kernel.skipped", "refuses")) &&
			      js_lit(out, "match", "true"),
		      "bench: a program the kernel refuses, kernel skipped", "exit %d: %s", rc,
		      out);

	/* Engines that disagree: exit 1, and the JSON says what differs. */
	snprintf(args, sizeof(args), "bench %s/clobber.s --repeat 10 --json", dir);
	rc = skep_stdout(args, out, sizeof(out));
	if (js_num_is(out, "engines.jit.retval", "12345"))
		harness_skip(&h, "bench: mismatch", "the JIT keeps r1 across this helper call");
	else
		harness_check(&h,
			      rc == 1 && js_valid(out) &&
				      js_num_is(out, "engines.interp.retval", "12345") &&
				      js_lit(out, "match", "false") &&
				      js_str_has(out, "mismatch", "skep JIT returns"),
			      "bench: mismatch, exit 1", "exit %d: %s", rc, out);
	snprintf(args, sizeof(args), "bench %s/clobber.s --repeat 10", dir);
	if (!js_num_is(out, "engines.jit.retval", "12345"))
		harness_expect_skep(&h, "bench: mismatch in the table", args, 1,
				    "\nMISMATCH: skep JIT returns ");

	/* No bpf() (a user without root): the kernel skipped with the reason. */
	why[0] = '\0';
	if (deny_bpf(why, sizeof(why)) || kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "bench: kernel unavailable", "%s",
			     why[0] ? why : "bpf() still works");
	} else {
		snprintf(args, sizeof(args),
			 "bench %s --data examples/net/udp53.bin --repeat 100 --json", fw);
		rc = skep_stdout(args, out, sizeof(out));
		harness_check(
			&h,
			rc == 0 && js_valid(out) &&
				js_str_has(out, "engines.kernel.skipped",
					   "refuses to load a program (Operation not permitted)") &&
				js_engine_ran(out, "jit", "2") &&
				js_lit(out, "ratios.jit_vs_kernel", "null") &&
				js_lit(out, "match", "true"),
			"bench: kernel unavailable, skipped (json)", "exit %d: %s", rc, out);
		snprintf(args, sizeof(args), "bench %s --data examples/net/udp53.bin --repeat 100",
			 fw);
		harness_expect_skep(&h, "bench: kernel unavailable, skipped (table)", args, 0,
				    "\nkernel JIT        skipped: the kernel's bpf() refuses");
	}

	free(udp);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	if (system(args))
		harness_fail(&h, "cleanup", "could not remove %s", dir);
	return harness_exit(&h);
}
