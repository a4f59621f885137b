/* The packet helpers at their limits, against the kernel.
 *
 * Small hand-built programs take their arguments from the packet (XDP) or
 * from skb->cb[] (tc), so that one program loaded once covers many values:
 * bpf_xdp_adjust_head/_tail/_meta in every order of two, at offsets around
 * each bound (the xdp_frame at the top of the headroom, the Ethernet header,
 * the tailroom, the metadata's alignment and size), with and without
 * metadata given in the context; bpf_l3/l4_csum_replace with every flag and
 * field size, odd, out-of-range and past-the-end offsets; bpf_csum_diff with
 * sizes of every alignment; bpf_skb_load_bytes/_store_bytes/_change_tail/
 * _change_head/_pull_data at and past the packet's edges.  Each run's
 * return value, output packet and output context must equal the kernel's
 * BPF_PROG_TEST_RUN.  Without the kernel the same programs still run in
 * skep (interpreter, checked, JIT) and must agree with one another. */
#include <arpa/inet.h>
#include <stdint.h>
#include <unistd.h>

#include "../cbpf/pktgen.h"
#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "../maps/progbuild.h"
#include "hooktest.h"

#define LDX(SZ, D, S, O) PB(.code = BPF_LDX | BPF_MEM | (SZ), .dst_reg = (D), .src_reg = (S), .off = (O))
#define STX(SZ, D, S, O) PB(.code = BPF_STX | BPF_MEM | (SZ), .dst_reg = (D), .src_reg = (S), .off = (O))
#define ALU(OP, D, K) PB(.code = BPF_ALU64 | (OP) | BPF_K, .dst_reg = (D), .imm = (K))
#define ALUX(OP, D, S) PB(.code = BPF_ALU64 | (OP) | BPF_X, .dst_reg = (D), .src_reg = (S))
#define JMP(OP, D, K, O) PB(.code = BPF_JMP | (OP) | BPF_K, .dst_reg = (D), .imm = (K), .off = (O))
#define JMPX(OP, D, S, O) PB(.code = BPF_JMP | (OP) | BPF_X, .dst_reg = (D), .src_reg = (S), .off = (O))
#define CB(i) ((int16_t)(offsetof(struct __sk_buff, cb) + 4 * (i)))

struct prog_pair {
	struct skep_vm *vm;
	struct skep_prog *sp;
	int kfd;
	uint32_t type;
	unsigned runs; /* inputs run so far */
};

/* Whether this input also runs three times over: the first two of each
 * program, then every 16th of skb programs (the kernel's XDP test run with
 * repeats waits for an RCU grace period: ~0.1 s here). */
static int pair_repeats(struct prog_pair *p)
{
	unsigned k = p->runs++;

	return k < 2 || (p->type != BPF_PROG_TYPE_XDP && k % 16 == 15);
}

static int pair_load(struct prog_pair *p, uint32_t type, struct pb *b, int kernel, char *why,
		     size_t n)
{
	char log[65536];
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = 4096};

	p->vm = skep_vm_new();
	p->type = type;
	p->kfd = -1;
	if (skep_prog_load(p->vm, (const struct skep_insn *)b->i, (size_t)b->n, &lo, &p->sp)) {
		snprintf(why, n, "skep: %.900s", log);
		return -1;
	}
	if (kernel) {
		p->kfd = kbpf_prog_load(type, b->i, (size_t)b->n, log, sizeof(log));
		if (p->kfd < 0) {
			snprintf(why, n, "kernel: %.*s", 900, log);
			return -1;
		}
	}
	return 0;
}

static void pair_free(struct prog_pair *p)
{
	if (p->kfd >= 0)
		close(p->kfd);
	skep_prog_free(p->sp);
	skep_vm_free(p->vm);
}

static const enum skep_exec_mode modes[] = {SKEP_EXEC_INTERP, SKEP_EXEC_CHECKED, SKEP_EXEC_JIT};

/* One input on every engine and (if there) the kernel: "" or what differs.
 * Some inputs also run three times over, each run on the packet the last
 * left (pair_repeats). */
static const char *pair_run(struct prog_pair *p, const void *pkt, uint32_t len, const void *ctx,
			    uint32_t ctx_len, char *diff, size_t n)
{
	static struct ht_out ref, o;
	struct ht_prog hp = {.sprog = p->sp, .kfd = p->kfd, .type = p->type};
	uint32_t last = pair_repeats(p) ? 3 : 1;

	for (hp.repeat = 1; hp.repeat <= last; hp.repeat += 2) {
		if (p->kfd >= 0)
			ht_run_kernel(&hp, pkt, len, ctx, ctx_len, &ref);
		else
			ht_run_skep(&hp, SKEP_EXEC_INTERP, pkt, len, ctx, ctx_len, &ref);
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			ht_run_skep(&hp, modes[m], pkt, len, ctx, ctx_len, &o);
			if (*ht_diff(&o, &ref, diff, n)) {
				size_t used = strlen(diff);
				snprintf(diff + used, n - used, " (repeat %u, mode %zu)", hp.repeat,
					 m);
				return diff;
			}
		}
	}
	return "";
}

/* r2 = data, r3 = data_end from the ctx in r6; exit 99 unless 8 bytes are there. */
static void xdp_prove8(struct pb *b)
{
	LDX(BPF_W, 2, 6, offsetof(struct xdp_md, data));
	LDX(BPF_W, 3, 6, offsetof(struct xdp_md, data_end));
	pb_movr(b, 4, 2);
	ALU(BPF_ADD, 4, 8);
	JMPX(BPF_JLE, 4, 3, 2);
	pb_mov(b, 0, 99);
	pb_exit(b);
}

/* XDP: r6 = ctx; A = *(s32 *)(data + 0), B = *(s32 *)(data + 4) (exit 99 if the
 * packet is shorter); r0 = (h1(ctx, A) & 0xff) << 8 | (h2(ctx, B) & 0xff). */
static void build_xdp_pair(struct pb *b, int h1, int h2)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	xdp_prove8(b);
	LDX(BPF_W, 8, 2, 4);
	LDX(BPF_W, 2, 2, 0);
	PB(.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 2, .off = 32); /* movsx32 */
	pb_movr(b, 1, 6);
	pb_call(b, h1);
	pb_movr(b, 7, 0);
	pb_movr(b, 1, 6);
	pb_movr(b, 2, 8);
	pb_call(b, h2);
	ALU(BPF_AND, 0, 0xff);
	ALU(BPF_AND, 7, 0xff);
	ALU(BPF_LSH, 7, 8);
	ALUX(BPF_OR, 0, 7);
	pb_exit(b);
}

static void test_xdp_adjust(struct harness *h, int kernel)
{
	static const int helpers[] = {BPF_FUNC_xdp_adjust_head, BPF_FUNC_xdp_adjust_tail,
				      BPF_FUNC_xdp_adjust_meta};
	static const char *const names[] = {"head", "tail", "meta"};
	static const int32_t offs[] = {-100000, -300, -257, -256, -217, -216, -215, -212, -40,
				       -33, -32, -31, -16, -8, -4, -3, -1, 0, 1, 2, 4, 8, 13,
				       14, 46, 47, 50, 100, 1000, 3000, 3200, 3264, 3265, 3300,
				       3460, 3461, 100000, INT32_MAX, INT32_MIN};
	static const uint32_t lens[] = {14, 22, 60, 64, 200, 1514, 3520};
	static uint8_t pkt[4096];
	struct pb b = {0};
	char why[1024], name[96], diff[256];

	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			struct prog_pair p;
			const char *bad = "";
			int runs = 0;
			snprintf(name, sizeof(name), "xdp adjust_%s then adjust_%s", names[i], names[j]);
			build_xdp_pair(&b, helpers[i], helpers[j]);
			if (pair_load(&p, BPF_PROG_TYPE_XDP, &b, kernel, why, sizeof(why))) {
				harness_fail(h, name, "%s", why);
				pair_free(&p);
				continue;
			}
			for (size_t a = 0; a < sizeof(offs) / 4 && !*bad; a++)
				for (size_t c = 0; c < sizeof(offs) / 4 && !*bad; c += 3)
					for (size_t l = 0; l < sizeof(lens) / 4 && !*bad; l++)
						for (uint32_t meta = 0; meta <= 8 && !*bad; meta += 8) {
							struct xdp_md ctx = {.data = meta,
									     .data_end = lens[l]};
							uint32_t len = lens[l];
							for (uint32_t k = 0; k < len; k++)
								pkt[k] = (uint8_t)(k * 7 + 1);
							memcpy(pkt + meta, &offs[a], 4);
							memcpy(pkt + meta + 4, &offs[(c + a) % (sizeof(offs) / 4)], 4);
							bad = pair_run(&p, pkt, len, meta ? &ctx : NULL,
								       meta ? sizeof(ctx) : 0, diff, sizeof(diff));
							runs++;
							if (*bad)
								harness_fail(h, name, "A=%d B=%d len %u meta %u: %s",
									     offs[a],
									     offs[(c + a) % (sizeof(offs) / 4)],
									     len, meta, bad);
						}
			if (!*bad) {
				snprintf(name + strlen(name), sizeof(name) - strlen(name), ": %d runs",
					 runs);
				harness_pass(h, name);
			}
			pair_free(&p);
		}
}

/* XDP: A = *(u32 *)data, B = *(u32 *)(data + 4); fp-32 is filled with 0xa5;
 * load: r0 = xdp_load_bytes(ctx, A, fp-32, (B & 31) + 1), then the buffer is
 * stored at offset 8 (xdp_store_bytes, 32 bytes) so that data_out shows it;
 * store: r0 = xdp_store_bytes(ctx, A, fp-32, (B & 31) + 1). */
static void build_xdp_bytes(struct pb *b, int load)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	for (int i = 0; i < 4; i++) {
		pb_mov(b, 1, (int32_t)0xa5a5a5a5);
		STX(BPF_DW, 10, 1, -32 + 8 * i);
	}
	xdp_prove8(b);
	LDX(BPF_W, 4, 2, 4);
	LDX(BPF_W, 2, 2, 0);
	ALU(BPF_AND, 4, 31);
	ALU(BPF_ADD, 4, 1);
	pb_fp(b, 3, -32);
	pb_movr(b, 1, 6);
	pb_call(b, load ? BPF_FUNC_xdp_load_bytes : BPF_FUNC_xdp_store_bytes);
	if (load) {
		pb_movr(b, 7, 0);
		pb_movr(b, 1, 6);
		pb_mov(b, 2, 8);
		pb_fp(b, 3, -32);
		pb_mov(b, 4, 32);
		pb_call(b, BPF_FUNC_xdp_store_bytes);
		pb_movr(b, 0, 7);
	}
	pb_exit(b);
}

static void xdp_bytes_cases(struct harness *h, const char *name, int load, int kernel)
{
	static const int32_t offs[] = {0, 1, 8, 13, 14, 30, 31, 32, 40, 59, 60, 63, 64, 100,
				       1000, 0xffff, 0x10000, -1};
	static const uint32_t lens[] = {40, 60, 64, 65, 100, 200};
	static uint8_t pkt[512];
	struct pb b = {0};
	struct prog_pair p;
	char why[1024], diff[256];
	const char *bad = "";
	int runs = 0;

	build_xdp_bytes(&b, load);
	if (pair_load(&p, BPF_PROG_TYPE_XDP, &b, kernel, why, sizeof(why))) {
		harness_fail(h, name, "%s", why);
		pair_free(&p);
		return;
	}
	for (size_t o = 0; o < sizeof(offs) / 4 && !*bad; o++)
		for (uint32_t l = 0; l < 32 && !*bad; l += 3)
			for (size_t n = 0; n < sizeof(lens) / 4 && !*bad; n++) {
				for (uint32_t k = 0; k < lens[n]; k++)
					pkt[k] = (uint8_t)(k * 13 + 5);
				memcpy(pkt, &offs[o], 4);
				memcpy(pkt + 4, &l, 4);
				bad = pair_run(&p, pkt, lens[n], NULL, 0, diff, sizeof(diff));
				runs++;
				if (*bad)
					harness_fail(h, name, "offset %d len %u packet %u: %s", offs[o],
						     l + 1, lens[n], bad);
			}
	if (!*bad) {
		char n2[96];
		snprintf(n2, sizeof(n2), "%s: %d runs", name, runs);
		harness_pass(h, n2);
	}
	pair_free(&p);
}

/* tc: r0 = helper(ctx, cb[0], cb[1], cb[2], cb[3]), the arguments zero-extended;
 * cb[4] gets r0's upper half.  For csum_replace the flags come from cb[3]. */
static void build_tc_call(struct pb *b, int helper, int nargs)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	for (int i = 0; i < nargs - 1 && i < 4; i++)
		LDX(BPF_W, 2 + i, 6, CB(i));
	pb_movr(b, 1, 6);
	pb_call(b, helper);
	pb_movr(b, 1, 0);
	ALU(BPF_RSH, 1, 32);
	STX(BPF_W, 6, 1, CB(4));
	pb_exit(b);
}

/* tc: the bytes helpers need a buffer: load/store 1..32 bytes at fp-32.
 * store: fp-32 is filled with 0xa5 first; load: the buffer goes to cb[0..3]
 * after the call (first 16 bytes) so that the context shows it. */
static void build_tc_bytes(struct pb *b, int helper)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	for (int i = 0; i < 4; i++) {
		pb_mov(b, 1, (int32_t)0xa5a5a5a5);
		STX(BPF_DW, 10, 1, -32 + 8 * i);
	}
	LDX(BPF_W, 2, 6, CB(0));
	LDX(BPF_W, 4, 6, CB(1));
	ALU(BPF_AND, 4, 31);
	ALU(BPF_ADD, 4, 1); /* 1..32 */
	LDX(BPF_W, 5, 6, CB(2));
	pb_fp(b, 3, -32);
	pb_movr(b, 1, 6);
	pb_call(b, helper);
	for (int i = 0; i < 4; i++) {
		LDX(BPF_W, 1, 10, -32 + 4 * i);
		STX(BPF_W, 6, 1, CB(i));
	}
	pb_exit(b);
}

/* tc: r0 = csum_diff(fp-64, cb[0] & 63 [<= 32], fp-32, cb[1] & 63 [<= 32], cb[2]) over
 * 64 bytes loaded from the packet (exit 98 if the packet is shorter). */
static void build_tc_csum_diff(struct pb *b)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	pb_movr(b, 1, 6);
	pb_mov(b, 2, 0);
	pb_fp(b, 3, -64);
	pb_mov(b, 4, 64);
	pb_call(b, BPF_FUNC_skb_load_bytes);
	JMP(BPF_JEQ, 0, 0, 2);
	pb_mov(b, 0, 98);
	pb_exit(b);
	LDX(BPF_W, 2, 6, CB(0));
	JMP(BPF_JLE, 2, 32, 1);
	pb_mov(b, 2, 32);
	LDX(BPF_W, 4, 6, CB(1));
	JMP(BPF_JLE, 4, 32, 1);
	pb_mov(b, 4, 32);
	LDX(BPF_W, 5, 6, CB(2));
	pb_fp(b, 1, -64);
	pb_fp(b, 3, -32);
	pb_call(b, BPF_FUNC_csum_diff);
	pb_exit(b);
}

#define LDPKT(MODE, SZ, S, K) PB(.code = BPF_LD | (MODE) | (SZ), .src_reg = (S), .imm = (K))

/* tc: legacy packet loads (LD_ABS at fixed offsets, LD_IND at cb[0] & 0x7ff,
 * where most reach past the end and end the program with 0), folded into
 * r8; with `moved`, after skb_change_head(cb[1] & 31): they read the packet
 * as it is then. */
static void build_tc_ldpkt(struct pb *b, int moved)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	if (moved) {
		LDX(BPF_W, 2, 6, CB(1));
		ALU(BPF_AND, 2, 31);
		pb_mov(b, 3, 0);
		pb_call(b, BPF_FUNC_skb_change_head);
		JMP(BPF_JEQ, 0, 0, 2);
		pb_mov(b, 0, 97);
		pb_exit(b);
	}
	pb_mov(b, 8, 0);
	LDPKT(BPF_ABS, BPF_H, 0, 12);
	ALUX(BPF_XOR, 8, 0);
	LDPKT(BPF_ABS, BPF_W, 0, 26);
	ALUX(BPF_XOR, 8, 0);
	LDX(BPF_W, 7, 6, CB(0));
	ALU(BPF_AND, 7, 0x7ff);
	LDPKT(BPF_IND, BPF_B, 7, 0);
	ALUX(BPF_XOR, 8, 0);
	LDPKT(BPF_IND, BPF_H, 7, 14);
	ALUX(BPF_XOR, 8, 0);
	pb_movr(b, 0, 8);
	pb_exit(b);
}

static void tc_cases(struct harness *h, const char *name, struct pb *b, int kernel,
		     uint32_t (*arg)(struct pktgen *g, int i), int nr)
{
	struct prog_pair p;
	static uint8_t pkt[4096];
	struct __sk_buff ctx;
	struct pktgen g = {0x1234567887654321ull};
	char why[1024], diff[256];
	const char *bad = "";
	int i;

	if (pair_load(&p, BPF_PROG_TYPE_SCHED_CLS, b, kernel, why, sizeof(why))) {
		harness_fail(h, name, "%s", why);
		pair_free(&p);
		return;
	}
	for (i = 0; i < nr && !*bad; i++) {
		size_t caplen;
		pg_packet(&g, 1, pkt, 1600, &caplen);
		if (caplen < 60) { /* keep most packets long enough to hold the fields */
			caplen = 60 + pg_below(&g, 100);
			pkt[12] = 0x88, pkt[13] = 0xb5;
		}
		memset(&ctx, 0, sizeof(ctx));
		for (int k = 0; k < 4; k++)
			ctx.cb[k] = arg(&g, k);
		bad = pair_run(&p, pkt, (uint32_t)caplen, &ctx, sizeof(ctx), diff, sizeof(diff));
		if (*bad)
			harness_fail(h, name, "case %d: cb %x %x %x %x, %zu bytes: %s", i, ctx.cb[0],
				     ctx.cb[1], ctx.cb[2], ctx.cb[3], caplen, bad);
	}
	if (!*bad) {
		char n2[128];
		snprintf(n2, sizeof(n2), "%s: %d cases", name, nr);
		harness_pass(h, n2);
	}
	pair_free(&p);
}

static uint32_t pick(struct pktgen *g, const uint32_t *v, size_t n)
{
	return pg_chance(g, 25) ? pg_rand(g) : v[pg_below(g, (uint32_t)n)];
}

static uint32_t csum_args(struct pktgen *g, int i)
{
	static const uint32_t offs[] = {0, 1, 10, 24, 26, 40, 50, 58, 59, 60, 61, 62, 0xffff,
					0x10000, 0x7fffffff, 0x80000000};
	static const uint32_t flags[] = {0, 1, 2, 3, 4, 8, 15, 0x10, 0x12, 0x14, 0x22, 0x24, 0x32,
					 0x62, 0x64, 0x84, 0x92, 0x100, 0x20, 0x40};
	static const uint32_t vals[] = {0, 1, 0xffff, 0xffffffff, 0x8000, 0x0a000001};

	switch (i) {
	case 0:
		return pick(g, offs, sizeof(offs) / 4);
	case 3:
		return flags[pg_below(g, sizeof(flags) / 4)];
	default:
		return pick(g, vals, sizeof(vals) / 4);
	}
}

static uint32_t bytes_args(struct pktgen *g, int i)
{
	static const uint32_t offs[] = {0, 1, 13, 14, 40, 59, 60, 100, 1500, 0x7fffffff,
					0x80000000, 0xffffffff};
	static const uint32_t flags[] = {0, 1, 2, 3, 4};

	if (i == 0)
		return pick(g, offs, sizeof(offs) / 4);
	if (i == 2)
		return flags[pg_below(g, 5)];
	return pg_rand(g);
}

static uint32_t len_args(struct pktgen *g, int i)
{
	static const uint32_t lens[] = {0, 1, 13, 14, 15, 34, 60, 100, 1514, 3000, 9000, 16063,
					16064, 16065, 65535, 0xffffffff, 0x80000000};

	if (i == 1)
		return pg_chance(g, 80) ? 0 : pg_rand(g) & 3;
	return pick(g, lens, sizeof(lens) / 4);
}

static uint32_t diff_args(struct pktgen *g, int i)
{
	static const uint32_t sizes[] = {0, 1, 2, 3, 4, 5, 8, 12, 16, 20, 31, 32};
	static const uint32_t seeds[] = {0, 1, 0xffff, 0xffffffff, 0x12345678};

	if (i < 2)
		return sizes[pg_below(g, sizeof(sizes) / 4)];
	return pick(g, seeds, sizeof(seeds) / 4);
}

static uint32_t ldpkt_args(struct pktgen *g, int i)
{
	static const uint32_t offs[] = {0, 1, 12, 13, 40, 45, 46, 58, 59, 60, 100, 200};

	return i == 0 ? pick(g, offs, sizeof(offs) / 4) : pg_rand(g);
}

/* The context fields as BPF_PROG_TEST_RUN fills them: a program returning
 * one field, on packets of every kind (IPv4, IPv6, ARP, VLAN, 802.3 with and
 * without the IPX mark, short ones; unicast to loopback's zero MAC, other
 * hosts, broadcast, multicast), with and without a context in. */
static void test_ctx_fields(struct harness *h, int kernel)
{
	static const struct {
		uint32_t type;
		const char *name;
		int16_t off;
		int size; /* BPF_W or BPF_DW */
	} fields[] = {
#define SKB(f, sz) {BPF_PROG_TYPE_SCHED_CLS, "tc " #f, offsetof(struct __sk_buff, f), sz}
#define SOCK(f) {BPF_PROG_TYPE_SOCKET_FILTER, "socket " #f, offsetof(struct __sk_buff, f), BPF_W}
		SKB(len, BPF_W), SKB(pkt_type, BPF_W), SKB(mark, BPF_W), SKB(queue_mapping, BPF_W),
		SKB(protocol, BPF_W), SKB(vlan_present, BPF_W), SKB(vlan_tci, BPF_W),
		SKB(vlan_proto, BPF_W), SKB(priority, BPF_W), SKB(ingress_ifindex, BPF_W),
		SKB(ifindex, BPF_W), SKB(tc_index, BPF_W), SKB(cb[0], BPF_W), SKB(cb[4], BPF_W),
		SKB(hash, BPF_W), SKB(tc_classid, BPF_W), SKB(napi_id, BPF_W), SKB(wire_len, BPF_W),
		SKB(gso_segs, BPF_W), SKB(gso_size, BPF_W), SKB(tstamp, BPF_DW),
		SKB(hwtstamp, BPF_DW), SOCK(len), SOCK(pkt_type), SOCK(mark), SOCK(protocol),
		SOCK(priority), SOCK(ifindex), SOCK(ingress_ifindex), SOCK(cb[2]), SOCK(hash),
		{BPF_PROG_TYPE_XDP, "xdp ingress_ifindex", offsetof(struct xdp_md, ingress_ifindex), BPF_W},
		{BPF_PROG_TYPE_XDP, "xdp rx_queue_index", offsetof(struct xdp_md, rx_queue_index), BPF_W},
#undef SKB
#undef SOCK
	};
	static const char *const pkts[] = {
		"000000000000020000000001080045000028000100004006000a0a0000010a000002",
		"02aabbccddee0200000000010800450000280001000040110000c0a80101c0a80102",
		"ffffffffffff02000000000108060001080006040001020000000001",
		"01005e00000102000000000186dd6000000000083a40" "fe800000000000000000000000000001"
		"ff020000000000000000000000000001",
		"00000000000002000000000181000064080045000028000100004006000a0a0000010a000002",
		"000000000000020000000001002642420300000000000000",
		"000000000000020000000001002affff0000000000000000",
		"0000000000000200000000010800",
		"0000000000000200000000019999",
	};
	int bad = 0, runs = 0, skipped = 0;
	char why[512] = "";

	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		struct pb prog = {0}, *b = &prog;
		struct prog_pair p;
		char lw[1024];
		LDX(fields[f].size, 0, 1, fields[f].off);
		if (fields[f].size == BPF_DW) { /* fold the upper half in */
			pb_movr(b, 2, 0);
			ALU(BPF_RSH, 2, 32);
			ALUX(BPF_XOR, 0, 2);
		}
		pb_exit(b);
		if (pair_load(&p, fields[f].type, b, kernel, lw, sizeof(lw))) {
			skipped++; /* the kernel does not let this type read the field */
			pair_free(&p);
			continue;
		}
		for (size_t k = 0; k < sizeof(pkts) / sizeof(pkts[0]); k++)
			for (int with = 0; with < 2; with++) {
				uint8_t pkt[128];
				size_t n = strlen(pkts[k]) / 2;
				struct __sk_buff sc = {.mark = 7, .priority = 3, .ingress_ifindex = 1,
						       .cb = {1, 2, 3, 4, 5}, .tstamp = 99,
						       .gso_segs = 2, .gso_size = 1400, .hwtstamp = 5};
				struct xdp_md xc = {.data_end = (uint32_t)n, .ingress_ifindex = 1};
				char diff[256];
				const char *d;
				for (size_t i = 0; i < n; i++)
					sscanf(pkts[k] + 2 * i, "%2hhx", &pkt[i]);
				if (fields[f].type == BPF_PROG_TYPE_XDP)
					d = pair_run(&p, pkt, (uint32_t)n, with ? &xc : NULL,
						     with ? sizeof(xc) : 0, diff, sizeof(diff));
				else
					d = pair_run(&p, pkt, (uint32_t)n, with ? &sc : NULL,
						     with ? sizeof(sc) : 0, diff, sizeof(diff));
				runs++;
				if (*d && !bad++)
					snprintf(why, sizeof(why), "%s, packet %zu%s: %s", fields[f].name,
						 k, with ? " with ctx" : "", d);
			}
		pair_free(&p);
	}
	{
		char n2[128];
		snprintf(n2, sizeof(n2), "context fields as the test run fills them: %d runs (%d "
					 "fields the kernel does not let the type read)",
			 runs, skipped);
		harness_check(h, !bad, n2, "%s", why);
	}
}

int main(void)
{
	struct harness h = {0};
	char why[256];
	int kernel = kbpf_available(why, sizeof(why));
	struct pb b = {0};

	if (!kernel)
		harness_skip(&h, "helpers against the kernel", "%s (skep engines still compared)",
			     why);
	test_ctx_fields(&h, kernel);
	test_xdp_adjust(&h, kernel);
	xdp_bytes_cases(&h, "xdp_load_bytes", 1, kernel);
	xdp_bytes_cases(&h, "xdp_store_bytes", 0, kernel);
	build_tc_call(&b, BPF_FUNC_l3_csum_replace, 5);
	tc_cases(&h, "l3_csum_replace", &b, kernel, csum_args, 3000);
	build_tc_call(&b, BPF_FUNC_l4_csum_replace, 5);
	tc_cases(&h, "l4_csum_replace", &b, kernel, csum_args, 3000);
	build_tc_call(&b, BPF_FUNC_skb_change_tail, 3);
	tc_cases(&h, "skb_change_tail", &b, kernel, len_args, 1000);
	build_tc_call(&b, BPF_FUNC_skb_change_head, 3);
	tc_cases(&h, "skb_change_head", &b, kernel, len_args, 1000);
	build_tc_call(&b, BPF_FUNC_skb_pull_data, 2);
	tc_cases(&h, "skb_pull_data", &b, kernel, len_args, 500);
	build_tc_bytes(&b, BPF_FUNC_skb_load_bytes);
	tc_cases(&h, "skb_load_bytes", &b, kernel, bytes_args, 1000);
	build_tc_bytes(&b, BPF_FUNC_skb_store_bytes);
	tc_cases(&h, "skb_store_bytes", &b, kernel, bytes_args, 1000);
	build_tc_csum_diff(&b);
	tc_cases(&h, "csum_diff", &b, kernel, diff_args, 2000);
	build_tc_ldpkt(&b, 0);
	tc_cases(&h, "LD_ABS/LD_IND", &b, kernel, ldpkt_args, 1000);
	build_tc_ldpkt(&b, 1);
	tc_cases(&h, "LD_ABS/LD_IND after skb_change_head", &b, kernel, ldpkt_args, 1000);
	return harness_exit(&h);
}
