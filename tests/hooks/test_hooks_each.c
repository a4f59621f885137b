/* skep_xdp_run_each against skep_xdp_run, packet by packet.
 *
 * The example XDP programs, each opened twice (so each side has its own
 * maps), run over the same generated packets in every mode: one side calls
 * skep_xdp_run per packet, the other runs them all through
 * skep_xdp_run_each; every packet's verdict, redirect and output bytes must
 * be the same.  A hand-built program whose run fails on some packets (a
 * helper given a bad context) shows the loop ending at such a packet with
 * its error, and a further call going on with the next one; an error from
 * next() ends the loop with that error.
 */
#include "../cbpf/pktgen.h"
#include "../lib/harness.h"
#include "hooktest.h"

#define NR_PKTS 2000

static const enum skep_exec_mode modes[] = {SKEP_EXEC_INTERP, SKEP_EXEC_CHECKED, SKEP_EXEC_JIT,
					    SKEP_EXEC_JIT_CHECKED};

struct verdict {
	int err; /* the run failed (skep_xdp_run's error; the loop's for run_each) */
	uint32_t action, len;
	enum skep_redirect_kind redirect;
	uint32_t target;
	uint8_t data[256];
};

struct packets {
	uint8_t data[NR_PKTS][256];
	size_t len[NR_PKTS];
};

static void note(struct verdict *v, const struct skep_xdp_result *r)
{
	v->err = 0;
	v->action = r->action;
	v->len = r->len;
	v->redirect = r->redirect;
	v->target = r->redirect_target;
	memcpy(v->data, r->data, r->len < sizeof(v->data) ? r->len : sizeof(v->data));
}

struct each {
	const struct packets *pk;
	struct verdict *out;
	size_t next, cur;
	int fail_next_at; /* next() returns -EIO at this packet (-1: never) */
};

static int each_next(void *arg, struct skep_xdp_frame *f)
{
	struct each *e = arg;

	if (e->next == NR_PKTS)
		return 0;
	if ((int)e->next == e->fail_next_at)
		return -EIO;
	e->cur = e->next++;
	return skep_xdp_frame_set(f, e->pk->data[e->cur], e->pk->len[e->cur], 1, 0) ? -EINVAL : 1;
}

static void each_done(void *arg, struct skep_xdp_frame *f, const struct skep_xdp_result *r)
{
	struct each *e = arg;

	note(&e->out[e->cur], r);
}

static void run_single(struct skep_prog *prog, struct skep_xdp_frame *f, enum skep_exec_mode m,
		       const struct packets *pk, struct verdict *out)
{
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = m};
	struct skep_xdp_result r;

	for (size_t i = 0; i < NR_PKTS; i++) {
		skep_xdp_frame_set(f, pk->data[i], pk->len[i], 1, 0);
		out[i].err = skep_xdp_run(prog, f, &ro, &r);
		if (!out[i].err)
			note(&out[i], &r);
	}
}

/* Returns how many calls it took: one per failed run, plus the last. */
static int run_each(struct skep_prog *prog, struct skep_xdp_frame *f, enum skep_exec_mode m,
		    const struct packets *pk, struct verdict *out)
{
	struct skep_run_opts ro = {.sz = sizeof(ro), .mode = m};
	struct each e = {pk, out, 0, 0, -1};
	int calls = 1, err;

	while ((err = skep_xdp_run_each(prog, f, &ro, each_next, each_done, &e))) {
		out[e.cur].err = err;
		calls++;
	}
	return calls;
}

static const char *compare(const struct verdict *a, const struct verdict *b, char *buf,
			   size_t n)
{
	for (size_t i = 0; i < NR_PKTS; i++) {
		const struct verdict *x = &a[i], *y = &b[i];
		if ((x->err != 0) != (y->err != 0) ||
		    (!x->err && (x->action != y->action || x->len != y->len ||
				 x->redirect != y->redirect || x->target != y->target ||
				 memcmp(x->data, y->data, x->len < 256 ? x->len : 256)))) {
			snprintf(buf, n, "packet %zu: each %d/%u (%u bytes), single %d/%u (%u bytes)",
				 i, y->err, y->action, y->len, x->err, x->action, x->len);
			return buf;
		}
	}
	return NULL;
}

static void make_packets(struct packets *pk, uint64_t seed)
{
	struct pktgen g = {seed};

	for (size_t i = 0; i < NR_PKTS; i++) {
		pg_packet(&g, 1, pk->data[i], sizeof(pk->data[i]), &pk->len[i]);
		if (pk->len[i] < 14)
			pk->len[i] = 14;
	}
}

static void test_example(struct harness *h, const char *example, struct packets *pk)
{
	static struct verdict a[NR_PKTS], b[NR_PKTS];
	struct ht_prog p1, p2;
	struct skep_xdp_frame *f;
	char why[1024], name[128];
	const char *bad;

	if (ht_open(&p1, example, example, 0, why, sizeof(why)) ||
	    ht_open(&p2, example, example, 0, why, sizeof(why)) || skep_xdp_frame_new(&f)) {
		harness_fail(h, example, "%s", why);
		return;
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		run_single(p1.sprog, f, modes[m], pk, a);
		run_each(p2.sprog, f, modes[m], pk, b);
		snprintf(name, sizeof(name), "each/%s, mode %zu: as packet by packet", example, m);
		bad = compare(a, b, why, sizeof(why));
		harness_check(h, !bad, name, "%s", bad ? bad : "");
	}
	skep_xdp_frame_free(f);
	ht_close(&p1);
	ht_close(&p2);
}

/* r0 = XDP_PASS, unless the packet's first byte is 0xff: then
 * bpf_xdp_adjust_head(r1 = 0, 0), a context that is no frame, fails the run. */
static int load_failing(struct skep_vm *vm, struct skep_prog **out)
{
	const struct skep_insn insns[] = {
		{.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 2, .src_reg = 1,
		 .off = offsetof(struct xdp_md, data)},
		{.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 3, .src_reg = 1,
		 .off = offsetof(struct xdp_md, data_end)},
		{.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 4, .src_reg = 2},
		{.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 4, .imm = 1},
		{.code = BPF_JMP | BPF_JGT | BPF_X, .dst_reg = 4, .src_reg = 3, .off = 5},
		{.code = BPF_LDX | BPF_B | BPF_MEM, .dst_reg = 5, .src_reg = 2},
		{.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 5, .off = 3, .imm = 0xff},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 0},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = 0},
		{.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_xdp_adjust_head},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct skep_load_opts lo = {.sz = sizeof(lo)};

	return skep_prog_load(vm, insns, sizeof(insns) / sizeof(insns[0]), &lo, out);
}

static void test_failing(struct harness *h, struct packets *pk)
{
	static struct verdict a[NR_PKTS], b[NR_PKTS];
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *prog = NULL;
	struct skep_xdp_frame *f = NULL;
	int bad_pkts = 0;
	char why[256], name[96];

	for (size_t i = 0; i < NR_PKTS; i += 97)
		pk->data[i][0] = 0xff;
	for (size_t i = 0; i < NR_PKTS; i++) /* broadcasts are generated too */
		bad_pkts += pk->data[i][0] == 0xff;
	if (load_failing(vm, &prog) || skep_xdp_frame_new(&f)) {
		harness_fail(h, "each/failing runs", "cannot load the program");
		goto out;
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		const char *bad;
		int calls;
		run_single(prog, f, modes[m], pk, a);
		calls = run_each(prog, f, modes[m], pk, b);
		bad = compare(a, b, why, sizeof(why));
		snprintf(name, sizeof(name), "each/failing runs, mode %zu", m);
		harness_check(h, !bad && calls == bad_pkts + 1, name, "%s; %d calls for %d failing",
			      bad ? bad : "same verdicts", calls, bad_pkts);
	}
	{
		struct skep_run_opts ro = {.sz = sizeof(ro), .mode = SKEP_EXEC_JIT};
		struct each e = {pk, b, 0, 0, 5};
		pk->data[0][0] = pk->data[1][0] = 0;
		harness_check(h, skep_xdp_run_each(prog, f, &ro, each_next, each_done, &e) == -EIO &&
				 e.next == 5,
			      "each/next's error ends the loop", "next stopped at %zu", e.next);
	}
out:
	skep_xdp_frame_free(f);
	skep_prog_free(prog);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};
	static struct packets pk;

	make_packets(&pk, 0xeac4);
	test_example(&h, "xdp_scrub", &pk);
	test_example(&h, "xdp_firewall", &pk);
	test_example(&h, "xdp_tunnel", &pk);
	test_failing(&h, &pk);
	return harness_exit(&h);
}
