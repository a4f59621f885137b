/* Kernel-differential test of the packet hooks: the example XDP, tc and
 * socket-filter programs (examples/net) run on thousands of generated
 * packets, varied and malformed (tests/cbpf/pktgen.h), in skep (interpreter,
 * checked interpreter, JIT) and in the kernel's BPF_PROG_TEST_RUN; verdict,
 * output bytes, context out and errors must agree packet by packet, and the
 * firewall's verdict counters must agree at the end. */
#include <arpa/inet.h>
#include <stdint.h>

#include "../cbpf/pktgen.h"
#include "../lib/harness.h"
#include "../lib/kernel_bpf.h"
#include "hooktest.h"

#define NR_PACKETS 3000

static const enum skep_exec_mode modes[] = {SKEP_EXEC_INTERP, SKEP_EXEC_CHECKED, SKEP_EXEC_JIT};
static const char *const mode_names[] = {"interp", "checked", "jit"};

/* Steer some packets to what the examples act on: the tunnel's 10.99/16
 * and IPIP, the NAT's rewritten address. */
static void steer(struct pktgen *g, uint8_t *pkt, size_t len, const char *example)
{
	if (len < 34 || pkt[12] != 0x08 || pkt[13] != 0x00)
		return;
	if (!strcmp(example, "xdp_tunnel")) {
		if (pg_chance(g, 40)) {
			pkt[30] = 10;
			pkt[31] = 99;
		} else if (pg_chance(g, 30)) {
			pkt[23] = 4; /* IPIP */
		}
	} else if (!strcmp(example, "tc_nat") && pg_chance(g, 50)) {
		pkt[30] = 10, pkt[31] = 0, pkt[32] = 0, pkt[33] = 1;
	}
}

static void fill_maps(struct ht_prog *p, const char *example, struct harness *h)
{
	int err = 0;

	if (!strcmp(example, "xdp_firewall")) {
		uint8_t one = 1;
		uint16_t ports[] = {htons(22), htons(8080), htons(53)};
		struct {
			uint32_t plen;
			uint32_t addr;
		} pfx[] = {{32, htonl(0x0a000002)}, {24, htonl(0xc0a80100)}, {8, htonl(0x08000000)}};
		for (size_t i = 0; i < 3 && !err; i++)
			err = ht_map_update(p, "blocked_ports", &ports[i], &one);
		for (size_t i = 0; i < 3 && !err; i++)
			err = ht_map_update(p, "blocked_v4", &pfx[i], &one);
	} else if (!strcmp(example, "tc_nat")) {
		struct nat_key {
			uint32_t addr;
			uint16_t port, pad;
		} k[] = {{htonl(0x0a000001), htons(80), 0}, {htonl(0x0a000001), htons(53), 0},
			 {htonl(0x0a000001), htons(443), 0}},
		  v[] = {{htonl(0xc0a80214), htons(8080), 0}, {htonl(0x08080808), htons(5353), 0},
			 {htonl(0x0a0a0a0a), htons(443), 0}};
		for (size_t i = 0; i < 3 && !err; i++)
			err = ht_map_update(p, "nat", &k[i], &v[i]);
	}
	if (err)
		harness_fail(h, example, "filling the maps: %d", err);
}

/* The firewall's per-CPU verdict counters, summed over CPUs, on each side. */
static void check_counters(struct ht_prog *p, struct harness *h, const char *name)
{
	size_t n;
	struct skep_map **maps = skep_object_maps(p->sobj, &n);
	int idx = skep_object_find_map(p->sobj, "verdicts");
	struct bpf_map *km = bpf_object__find_map_by_name(p->kobj, "verdicts");
	int ncpu = libbpf_num_possible_cpus();
	struct skep_map_info info;
	uint64_t sv[1024], kv[1024];

	if (idx < 0 || !km || ncpu <= 0 || ncpu > 1024) {
		harness_fail(h, name, "no verdicts map");
		return;
	}
	skep_map_info(maps[idx], &info);
	for (uint32_t a = 0; a < 5; a++) {
		uint64_t s = 0, k = 0;
		if (skep_map_lookup(maps[idx], &a, sv) || bpf_map_lookup_elem(bpf_map__fd(km), &a, kv)) {
			harness_fail(h, name, "lookup of verdict %u failed", a);
			return;
		}
		for (uint32_t c = 0; c < info.nr_cpus; c++)
			s += sv[c];
		for (int c = 0; c < ncpu; c++)
			k += kv[c];
		if (s != k) {
			harness_fail(h, name, "verdict %u counted %llu times, kernel %llu", a,
				     (unsigned long long)s, (unsigned long long)k);
			return;
		}
	}
	harness_pass(h, name);
}

static void run_example(struct harness *h, const char *example, int with_ctx)
{
	struct ht_prog p;
	char why[8192], name[128], diff[256];
	static uint8_t pkt[4096];
	static struct ht_out so, ko;
	struct __sk_buff ctx;
	size_t nmodes = sizeof(modes) / sizeof(modes[0]);
	int failed[3] = {0};
	unsigned counted = 0;

	if (ht_open(&p, example, example, 1, why, sizeof(why))) {
		harness_fail(h, example, "%s", why);
		ht_close(&p);
		return;
	}
	fill_maps(&p, example, h);
	for (int m = 0; m < (int)nmodes; m++) {
		struct pktgen g = {0x9e3779b97f4a7c15ull ^ (uint64_t)strlen(example)};
		for (int i = 0; i < NR_PACKETS && !failed[m]; i++) {
			size_t caplen;
			pg_packet(&g, 1, pkt, sizeof(pkt) - 64, &caplen);
			const void *c = NULL;
			uint32_t clen = 0;
			steer(&g, pkt, caplen, example);
			if (with_ctx && pg_chance(&g, 50)) {
				memset(&ctx, 0, sizeof(ctx));
				ctx.mark = pg_rand(&g);
				ctx.priority = pg_rand(&g) & 7;
				ctx.cb[pg_below(&g, 5)] = pg_rand(&g);
				c = &ctx;
				clen = sizeof(ctx);
			}
			/* Repeats run on the last run's packet: a few XDP packets (the
			 * kernel's XDP test run with repeats waits for an RCU grace
			 * period, ~0.1 s here), every 8th skb one. */
			if (p.type == BPF_PROG_TYPE_XDP)
				p.repeat = i < 3 ? 3 : 1;
			else
				p.repeat = i % 8 == 7 ? 3 : 1;
			ht_run_skep(&p, modes[m], pkt, (uint32_t)caplen, c, clen, &so);
			/* Each mode's pass runs the kernel too: both sides' counters see
			 * every packet once per mode. */
			ht_run_kernel(&p, pkt, (uint32_t)caplen, c, clen, &ko);
			if (*ht_diff(&so, &ko, diff, sizeof(diff))) {
				snprintf(name, sizeof(name), "%s/%s", example, mode_names[m]);
				harness_fail(h, name, "packet %d (%zu bytes%s): %s", i, caplen,
					     c ? ", with ctx" : "", diff);
				if (getenv("HT_DUMP"))
					for (size_t j = 0; j < caplen; j++)
						fprintf(stderr, "%02x%s", pkt[j], j + 1 == caplen ? "\n" : "");
				if (getenv("HT_DUMP") && c)
					fprintf(stderr, "ctx mark %x prio %u cb %x %x %x %x %x\n", ctx.mark,
						ctx.priority, ctx.cb[0], ctx.cb[1], ctx.cb[2], ctx.cb[3], ctx.cb[4]);
				failed[m] = 1;
			}
		}
		counted++;
		if (!failed[m]) {
			snprintf(name, sizeof(name), "%s/%s: %d packets", example, mode_names[m],
				 NR_PACKETS);
			harness_pass(h, name);
		}
	}
	if (!strcmp(example, "xdp_firewall") && counted == nmodes) {
		snprintf(name, sizeof(name), "%s: verdict counters equal the kernel's", example);
		check_counters(&p, h, name);
	}
	ht_close(&p);
}

int main(void)
{
	struct harness h = {0};
	char why[256];

	if (!kbpf_available(why, sizeof(why))) {
		harness_skip(&h, "hooks kernel differential", "%s", why);
		return harness_exit(&h);
	}
	libbpf_set_print(NULL);
	run_example(&h, "xdp_firewall", 0);
	run_example(&h, "xdp_tunnel", 0);
	run_example(&h, "xdp_scrub", 0);
	run_example(&h, "tc_nat", 1);
	run_example(&h, "sock_filter", 1);
	return harness_exit(&h);
}
