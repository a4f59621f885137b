/* The verifier's rules, one small program each, in both directions: what
 * must be accepted and what must be rejected, with a fragment of the
 * message the rejection must carry. */
#include "../lib/harness.h"
#include "vtest.h"

#include "cases.h"


static void run_case(struct harness *h, struct skep_vm *vm, const struct vcase *c)
{
	char err[256], log[8192];
	size_t len;
	struct vt_maps maps;
	struct skep_insn *insns = vt_assemble(c->text, &len, err, sizeof(err));

	if (!insns) {
		harness_fail(h, c->name, "does not assemble: %s", err);
		return;
	}
	if (vt_maps_make(&maps, c->maps)) {
		harness_fail(h, c->name, "cannot make maps '%s'", c->maps);
		free(insns);
		return;
	}
	struct skep_verify_opts o = {.sz = sizeof(o), .prog_type = c->type, .maps = maps.m,
				     .nr_maps = maps.n, .log_buf = log, .log_size = sizeof(log)};
	struct skep_verify_result r;
	int rc = skep_verify(vm, insns, len, &o, &r);
	if (!c->expect)
		harness_check(h, rc == 0 && r.accepted, c->name, "rejected: insn %lld: %s",
			      (long long)r.error_insn, r.message);
	else
		harness_check(h, rc != 0 && !r.accepted && strstr(r.message, c->expect), c->name,
			      "%s (wanted '%s'): insn %lld: %s", rc ? "wrong message" : "accepted",
			      c->expect, (long long)r.error_insn, r.message);
	vt_maps_free(&maps);
	free(insns);
}

/* The explanation: instruction, words, the branch that led there. */
static void test_explain(struct harness *h, struct skep_vm *vm)
{
	const char *text = PKT "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxw %r0, [%r2+12]\n"
			   "out:\nmov %r0, 2\nexit\n";
	char err[256], log[8192];
	size_t len;
	struct skep_insn *insns = vt_assemble(text, &len, err, sizeof(err));
	struct skep_verify_opts o = {.sz = sizeof(o), .prog_type = XDP, .log_buf = log,
				     .log_size = sizeof(log), .log_level = 1};
	struct skep_verify_result r;

	int rc = skep_verify(vm, insns, len, &o, &r);
	harness_check(h, rc == -EACCES && r.error_insn == 5, "explain: error insn",
		      "rc %d insn %lld", rc, (long long)r.error_insn);
	harness_check(h, strstr(log, "rejected at insn 5") && strstr(log, "4: if r4 > r3") &&
				 strstr(log, "fell through"),
		      "explain: path in the log", "log:\n%s", log);
	harness_check(h, strstr(log, "R2=pkt(r=14)") != NULL, "explain: -v register states",
		      "log:\n%s", log);
	free(insns);
}

static void test_budget_speed(struct harness *h, struct skep_vm *vm)
{
	/* 600,000 iterations of a 2-instruction loop: over the budget. */
	const char *text = "mov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 600000, loop\nmov %r0, 0\nexit\n";
	char err[256];
	size_t len;
	struct skep_insn *insns = vt_assemble(text, &len, err, sizeof(err));
	struct skep_verify_opts o = {.sz = sizeof(o)};
	struct skep_verify_result r;

	int rc = skep_verify(vm, insns, len, &o, &r);
	harness_check(h, rc == -EACCES && strstr(r.message, "too complex") &&
				 r.insns_processed > 1000000,
		      "budget of 1M processed instructions", "rc %d: %s", rc, r.message);
	printf("# budget run: %llu insns in %.1f ms (%.0f ns/insn)\n",
	       (unsigned long long)r.insns_processed, r.ms, r.ms * 1e6 / (double)r.insns_processed);
	free(insns);
}

int main(void)
{
	struct harness h = {0};
	struct skep_vm *vm = skep_vm_new();

	for (size_t i = 0; i < NR_VCASES; i++)
		run_case(&h, vm, &vcases[i]);
	test_explain(&h, vm);
	test_budget_speed(&h, vm);
	skep_vm_free(vm);
	return harness_exit(&h);
}
