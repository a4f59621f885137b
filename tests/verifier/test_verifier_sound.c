/* Soundness: random and mutated programs; every one skep's verifier accepts
 * is run in the checked interpreter (every memory access checked against
 * the context, the packet, the stack and the map values it was given) on
 * random packets, and must never trip a check.  A trip means the verifier
 * accepted an unsafe program: the test prints it and fails. */
#include <stddef.h>

#include "../lib/harness.h"
#include "../lib/randprog.h"
#include "cases.h"
#include "offsetgen.h"
#include "skep/hooks.h"
#include "vtest.h"

#define SP_MAX 4096

struct sound {
	struct harness *h;
	struct skep_vm *vm;
	struct skep_xdp_frame *frame;
	struct randprog_rng rng;
	unsigned tried, accepted, runs, failures;
};

static uint32_t rnd(struct sound *s, uint32_t n)
{
	return n ? (uint32_t)(randprog_rng_next(&s->rng) % n) : 0;
}

/* Change one instruction a little: the kind of slip that turns a safe
 * program into an unsafe one (an offset, a constant, a register, a size). */
static void mutate(struct sound *s, struct bpf_insn *p, size_t n)
{
	struct bpf_insn *in = &p[rnd(s, (uint32_t)n)];
	int cls = in->code & 7;

	switch (rnd(s, 6)) {
	case 0:
		in->off = (int16_t)(in->off + (int)rnd(s, 17) - 8);
		break;
	case 1:
		/* wraps, as the instruction's 32 bits would */
		in->imm = (int32_t)((uint32_t)in->imm + (uint32_t)((int32_t)rnd(s, 33) - 16));
		break;
	case 2:
		if (cls != BPF_LD)
			in->dst_reg = rnd(s, 10);
		break;
	case 3:
		if (cls != BPF_LD && !(cls == BPF_JMP && (in->code & 0xf0) == BPF_CALL))
			in->src_reg = rnd(s, 11);
		break;
	case 4:
		if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX)
			in->code = (uint8_t)((in->code & ~0x18) | (rnd(s, 4) << 3));
		break;
	default:
		if (cls == BPF_JMP || cls == BPF_JMP32) {
			static const uint8_t ops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JNE, BPF_JLT,
						      BPF_JLE, BPF_JSGT, BPF_JSLT};
			if ((in->code & 0xf0) != BPF_CALL && (in->code & 0xf0) != BPF_EXIT &&
			    (in->code & 0xf0) != BPF_JA)
				in->code = (uint8_t)((in->code & 0x0f) | ops[rnd(s, 8)]);
		}
	}
}

static void print_prog(const struct bpf_insn *p, size_t n)
{
	char text[128];

	for (size_t i = 0; i < n; i++) {
		int k = isa_disasm_insn(&p[i], n - i, i, ISA_SYNTAX_KERNEL, text, sizeof(text));
		printf("#   %4zu: %s\n", i, text);
		if (k == 2)
			i++;
	}
}

/* Verify; when accepted, run on a few random packets in checked mode. */
static void sound_one(struct sound *s, const struct bpf_insn *p, size_t n, const char *maps_spec,
		      const char *what)
{
	struct vt_maps maps;
	char log[4096];

	s->tried++;
	if (vt_maps_make(&maps, maps_spec))
		return;
	struct skep_verify_opts o = {.sz = sizeof(o), .prog_type = BPF_PROG_TYPE_XDP,
				     .maps = maps.m, .nr_maps = maps.n};
	struct skep_verify_result r;
	if (skep_verify(s->vm, (const struct skep_insn *)p, n, &o, &r)) {
		vt_maps_free(&maps);
		return;
	}
	s->accepted++;
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log),
				    .maps = maps.m, .nr_maps = maps.n};
	struct skep_prog *prog;
	if (skep_prog_load(s->vm, (const struct skep_insn *)p, n, &lo, &prog)) {
		vt_maps_free(&maps);
		return;
	}
	uint8_t pkt[1024];
	for (int run = 0; run < 8; run++) {
		/* Short packets find out-of-bounds accesses: a packet of exactly
		 * the proven size half the time. */
		uint32_t len = run & 1 ? 14 + rnd(s, run < 4 ? 100 : 600) : (uint32_t)(OG_PROVEN + (run & 2));
		randprog_fill(randprog_rng_next(&s->rng), pkt, len);
		skep_xdp_frame_set(s->frame, pkt, len, 1, 0);
		struct skep_run_opts ro = {.sz = sizeof(ro), .mode = SKEP_EXEC_CHECKED,
					   .log_buf = log, .log_size = sizeof(log)};
		struct skep_xdp_result xr;
		log[0] = 0;
		int err = skep_xdp_run(prog, s->frame, &ro, &xr);
		s->runs++;
		if (err == -EFAULT || err == -E2BIG || err == -EINVAL) {
			if (s->failures++ < 5) {
				harness_fail(s->h, what, "accepted, but a checked run on %u bytes "
					     "stops: %s", len, log);
				print_prog(p, n);
			}
			break;
		}
	}
	skep_prog_free(prog);
	vt_maps_free(&maps);
}

/* randprog bodies behind the packet check of test_kernel_diff. */
static size_t wrap_random(uint64_t seed, struct bpf_insn *p, uint32_t body)
{
	struct randprog_opts ro = {.data_size = 64, .nr_insns = body, .features = RANDPROG_ALL};
	struct randprog_layout lay;
	size_t n = 0;

	randprog_layout(&ro, &lay);
	p[n++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0);
	p[n++] = randprog_insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct xdp_md, data_end), 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_X, 9, 2, 0, 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, (int32_t)lay.size);
	p[n++] = randprog_insn(BPF_JMP | BPF_JLE | BPF_X, 2, 3, 2, 0);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	n += randprog_generate(seed, &ro, p + n, SP_MAX - n - 2, NULL);
	p[n++] = randprog_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2);
	p[n++] = randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

/* The oracle works: an unsafe program, run unverified, trips the check. */
static void sound_oracle(struct sound *s)
{
	struct bpf_insn p[] = {
		randprog_insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0),
		randprog_insn(BPF_LDX | BPF_MEM | BPF_B, 0, 2, 200, 0),
		randprog_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct skep_load_opts lo = {.sz = sizeof(lo)};
	struct skep_prog *prog;
	uint8_t pkt[20] = {0};
	struct skep_xdp_result xr;
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = SKEP_EXEC_CHECKED};

	skep_prog_load(s->vm, (const struct skep_insn *)p, 3, &lo, &prog);
	skep_xdp_frame_set(s->frame, pkt, sizeof(pkt), 1, 0);
	int err = skep_xdp_run(prog, s->frame, &ro, &xr);
	harness_check(s->h, err == -EFAULT, "soundness oracle: an unsafe read trips the check",
		      "run gave %d", err);
	skep_prog_free(prog);
}

int main(int argc, char **argv)
{
	struct harness h = {0};
	struct sound s = {.h = &h, .vm = skep_vm_new()};
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 3000;
	static struct bpf_insn base[SP_MAX], p[SP_MAX];
	char err[256];

	randprog_rng_seed(&s.rng, 0x5eed);
	if (skep_xdp_frame_new(&s.frame)) {
		harness_skip(&h, "soundness", "no XDP frame");
		return harness_exit(&h);
	}
	sound_oracle(&s);
	/* Random programs, as generated and with 1-3 slips each. */
	for (unsigned i = 0; i < rounds; i++) {
		size_t n = wrap_random(i + 1, base, 24 + (i % 5) * 8);
		memcpy(p, base, n * sizeof(*p));
		if (i % 4)
			for (unsigned k = 0, m = 1 + rnd(&s, 3); k < m; k++)
				mutate(&s, p + 7, n - 9);
		sound_one(&s, p, n, "", "random program");
	}
	unsigned acc_random = s.accepted, tried_random = s.tried;
	/* Computed offsets: ALU and branches on packet bytes, then an access. */
	for (unsigned i = 0; i < rounds * 4; i++) {
		size_t n = offsetgen(i + 1, p, i & 1);
		sound_one(&s, p, n, i & 1 ? "array:4:64:1" : "", "computed offset");
	}
	unsigned acc_off = s.accepted - acc_random, tried_off = s.tried - tried_random;
	/* The rule table's XDP programs with slips. */
	for (unsigned i = 0; i < rounds; i++) {
		const struct vcase *c = &vcases[i % NR_VCASES];
		size_t n;
		if (c->type != BPF_PROG_TYPE_XDP)
			continue;
		struct skep_insn *insns = vt_assemble(c->text, &n, err, sizeof(err));
		if (!insns || n > SP_MAX) {
			free(insns);
			continue;
		}
		memcpy(p, insns, n * sizeof(*p));
		free(insns);
		if (i >= NR_VCASES)
			for (unsigned k = 0, m = 1 + rnd(&s, 2); k < m; k++)
				mutate(&s, p, n);
		sound_one(&s, p, n, c->maps, c->name);
	}
	printf("# soundness: %u programs, %u accepted (random: %u of %u; computed offsets: %u of "
	       "%u), %u checked runs, %u tripped a check\n", s.tried, s.accepted, acc_random,
	       tried_random, acc_off, tried_off, s.runs, s.failures);
	harness_check(&h, s.failures == 0, "soundness: accepted programs never trip a check",
		      "%u did", s.failures);
	skep_xdp_frame_free(s.frame);
	skep_vm_free(s.vm);
	return harness_exit(&h);
}
