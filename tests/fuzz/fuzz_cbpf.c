/* libFuzzer target: arbitrary classic BPF through checker -> converter ->
 * checked run.
 *
 * Input: a flags byte (bit 0: seccomp rather than socket filter; bit 1: repair
 * the program's shape first, so that most inputs get past the checker: jumps
 * folded into range, a RET last), a packet length byte and that many packet
 * bytes (the seccomp_data for seccomp), then the cBPF instructions.  Besides
 * not crashing, these must hold, and a violation aborts:
 *   - a program the checker accepts converts (unless it needs an ancillary
 *     load skep cannot answer, -EOPNOTSUPP) and the result loads;
 *   - the checked interpreter runs it without a fault: converted programs
 *     touch only their context and the stack, and cannot loop;
 *   - the interpreter, the JIT and the checked JIT return the same verdict;
 *   - a socket filter run by the JIT on a batch of the packet's prefixes
 *     (its fused batch loop) gives each the checked interpreter's verdict.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skep/cbpf.h"

static int fuzz_random(const struct skep_prog *prog)
{
	const struct skep_insn *in = skep_prog_insns(prog);

	for (size_t i = 0; i < skep_prog_len(prog); i++)
		if (in[i].code == 0x85 && in[i].imm == 7) /* bpf_get_prandom_u32 */
			return 1;
	return 0;
}

static void fuzz_repair(struct skep_cbpf_insn *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t left = (uint32_t)(n - i - 1);
		if (p[i].code == 0x05) { /* ja */
			p[i].k %= left;
		} else if ((p[i].code & 7) == 5) {
			p[i].jt = (uint8_t)(p[i].jt % left);
			p[i].jf = (uint8_t)(p[i].jf % left);
		}
	}
	if (n && (p[n - 1].code & 0xff) != 0x06 && (p[n - 1].code & 0xff) != 0x16)
		p[n - 1].code = 0x06; /* ret #k */
}

static uint32_t fuzz_run(struct skep_vm *vm, const struct skep_cbpf_insn *p, size_t n,
			 const struct skep_cbpf_opts *o, const uint8_t *pkt, size_t pkt_len)
{
	struct skep_cbpf_filter *f;
	struct skep_seccomp_data sd = {0};
	uint32_t v = 0;
	int err = skep_cbpf_filter_new(vm, p, n, o, &f);

	if (err == -EOPNOTSUPP)
		return 0;
	if (err)
		abort(); /* checked and converted, so it must load (and compile) */
	if (o->mode == SKEP_CBPF_SECCOMP) {
		memcpy(&sd, pkt, pkt_len < sizeof(sd) ? pkt_len : sizeof(sd));
		err = skep_cbpf_filter_seccomp(f, &sd, &v);
	} else {
		struct skep_cbpf_packet pk = {1, pkt, pkt_len, pkt_len + 4};
		err = skep_cbpf_filter_packet(f, &pk, &v);
	}
	if (err)
		abort(); /* a converted program never faults */
	if (fuzz_random(skep_cbpf_filter_prog(f)))
		v = 0;
	skep_cbpf_filter_free(f);
	return v;
}

static struct skep_cbpf_filter *fuzz_filter(struct skep_vm *vm, const struct skep_cbpf_insn *p,
					    size_t n, const struct skep_cbpf_opts *o,
					    enum skep_exec_mode mode)
{
	struct skep_cbpf_opts mo = *o;
	struct skep_cbpf_filter *f = NULL;

	mo.exec = mode;
	return skep_cbpf_filter_new(vm, p, n, &mo, &f) ? NULL : f;
}

#define FUZZ_BATCH 4

static void fuzz_batch(struct skep_vm *vm, const struct skep_cbpf_insn *p, size_t n,
		       const struct skep_cbpf_opts *o, const uint8_t *pkt, size_t pkt_len)
{
	struct skep_cbpf_filter *ref = fuzz_filter(vm, p, n, o, SKEP_EXEC_CHECKED);
	struct skep_cbpf_filter *jit = fuzz_filter(vm, p, n, o, SKEP_EXEC_JIT);
	struct skep_cbpf_packet pk[FUZZ_BATCH];
	uint32_t v[FUZZ_BATCH], want;

	if (!ref || !jit || fuzz_random(skep_cbpf_filter_prog(ref)))
		goto out; /* not loading was judged by fuzz_run already */
	for (int i = 0; i < FUZZ_BATCH; i++)
		pk[i] = (struct skep_cbpf_packet){
			1, pkt, pkt_len * (size_t)(FUZZ_BATCH - i) / FUZZ_BATCH, pkt_len + 4};
	if (skep_cbpf_filter_packets(jit, pk, FUZZ_BATCH, v))
		abort();
	for (int i = 0; i < FUZZ_BATCH; i++)
		if (skep_cbpf_filter_packet(ref, &pk[i], &want) || want != v[i])
			abort(); /* the batch disagrees with the checked interpreter */
out:
	skep_cbpf_filter_free(ref);
	skep_cbpf_filter_free(jit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum skep_exec_mode modes[] = {SKEP_EXEC_CHECKED, SKEP_EXEC_INTERP,
						    SKEP_EXEC_JIT, SKEP_EXEC_JIT_CHECKED};
	struct skep_cbpf_opts o = {.sz = sizeof(o)};
	struct skep_cbpf_insn *p;
	struct skep_vm *vm;
	size_t pkt_len, n;
	uint32_t first = 0;

	if (size < 2 || (size_t)data[1] + 2 > size)
		return 0;
	o.mode = data[0] & 1 ? SKEP_CBPF_SECCOMP : SKEP_CBPF_SOCKET;
	pkt_len = data[1];
	n = (size - 2 - pkt_len) / sizeof(*p);
	p = malloc(n * sizeof(*p) + 1);
	if (!p)
		return 0;
	memcpy(p, data + 2 + pkt_len, n * sizeof(*p));
	if (data[0] & 2)
		fuzz_repair(p, n);
	if (skep_cbpf_check(p, n, &o)) {
		free(p);
		return 0;
	}
	vm = skep_vm_new();
	for (size_t m = 0; vm && m < sizeof(modes) / sizeof(modes[0]); m++) {
		uint32_t v;

		o.exec = modes[m];
		v = fuzz_run(vm, p, n, &o, data + 2, pkt_len);
		if (m == 0)
			first = v;
		else if (v != first)
			abort(); /* the engines disagree */
	}
	if (vm && o.mode == SKEP_CBPF_SOCKET)
		fuzz_batch(vm, p, n, &o, data + 2, pkt_len);
	skep_vm_free(vm);
	free(p);
	return 0;
}
