/* skep xdp attach: an XDP program on live traffic, in user space.
 *
 * Packets come from an AF_PACKET socket on --dev with a TPACKET_V3
 * memory-mapped receive ring (blocks of frames the kernel fills and hands
 * over; no copy per packet into the socket API), go through the program in
 * an XDP frame, and the verdict is acted on: XDP_TX sends the packet as the
 * program left it back out of --dev, XDP_PASS sends it to --peer (the bump
 * in the wire; without --peer it is only counted: the host's stack has its
 * own copy), XDP_REDIRECT sends it out of the redirect's interface (a
 * DEVMAP entry or bpf_redirect's ifindex), XDP_DROP and XDP_ABORTED drop it.
 * Packets arriving on --peer go out of --dev unchanged, so replies return.
 *
 * AF_PACKET sees a copy of each packet: for skep to be the only path, the
 * interfaces must not route or bridge in the kernel (give them no
 * addresses, as the test's namespace does).  Our own transmissions are not
 * read back (PACKET_IGNORE_OUTGOING).
 *
 * A sender that leaves its TCP/UDP checksum to an offload (veth, most NICs
 * on transmit) hands AF_PACKET a packet whose checksum field holds only the
 * pseudo-header sum (TP_STATUS_CSUMNOTREADY).  Forwarded as it is, the
 * receiver would drop it; skep completes the checksum first, as the device
 * would have, and the program sees the packet as it would be on the wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd_xdp.h"
#include "skep/hooks.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define LIVE_BLOCK_SIZE (1u << 18)
#define LIVE_BLOCKS 16
#define LIVE_FRAME_SIZE 2048

struct live_ring {
	int fd;
	int ifindex;
	uint8_t *map;
	size_t map_size;
	unsigned block;
};

static volatile sig_atomic_t live_stop;

static void live_on_signal(int sig)
{
	(void)sig;
	live_stop = 1;
}

static int live_ring_open(const char *dev, struct live_ring *r)
{
	struct tpacket_req3 req = {
		.tp_block_size = LIVE_BLOCK_SIZE,
		.tp_block_nr = LIVE_BLOCKS,
		.tp_frame_size = LIVE_FRAME_SIZE,
		.tp_frame_nr = LIVE_BLOCK_SIZE / LIVE_FRAME_SIZE * LIVE_BLOCKS,
		.tp_retire_blk_tov = 2, /* ms: hand over a part-filled block soon */
	};
	int v = TPACKET_V3, one = 1;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->ifindex = (int)if_nametoindex(dev);
	if (!r->ifindex) {
		fprintf(stderr, "skep: %s: no such interface\n", dev);
		return -ENODEV;
	}
	r->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (r->fd < 0) {
		fprintf(stderr, "skep: AF_PACKET socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
		return -errno;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		fprintf(stderr, "skep: %s: TPACKET_V3 ring: %s\n", dev, strerror(errno));
		return -errno;
	}
	(void)setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	r->map_size = (size_t)req.tp_block_size * req.tp_block_nr;
	r->map = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->fd, 0);
	if (r->map == MAP_FAILED)
		r->map = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		fprintf(stderr, "skep: %s: mmap of the ring: %s\n", dev, strerror(errno));
		return -errno;
	}
	sll.sll_ifindex = r->ifindex;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "skep: %s: bind: %s\n", dev, strerror(errno));
		return -errno;
	}
	return 0;
}

static void live_ring_close(struct live_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_size);
	if (r->fd >= 0)
		close(r->fd);
}

/* One's complement sum of 16-bit big-endian words. */
static uint32_t live_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t live_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Complete the TCP or UDP checksum of an IPv4/IPv6 packet (see the top). */
static void live_fix_csum(uint8_t *p, uint32_t len)
{
	uint32_t off = 14, l4, l4len, s = 0;
	uint16_t type = len >= 14 ? (uint16_t)(p[12] << 8 | p[13]) : 0, sum;
	uint8_t proto;
	size_t at;

	if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		off = 18;
	}
	if (type == 0x0800 && len >= off + 20) {
		uint32_t ihl = (p[off] & 15u) * 4, tot = (uint32_t)(p[off + 2] << 8 | p[off + 3]);
		if (ihl < 20 || tot < ihl || off + tot > len)
			return;
		proto = p[off + 9];
		l4 = off + ihl;
		l4len = tot - ihl;
		s = live_sum(p + off + 12, 8, 0);
	} else if (type == 0x86dd && len >= off + 40) {
		l4len = (uint32_t)(p[off + 4] << 8 | p[off + 5]);
		proto = p[off + 6];
		l4 = off + 40;
		if (l4 + l4len > len)
			return;
		s = live_sum(p + off + 8, 32, 0);
	} else {
		return;
	}
	if (proto == 6 && l4len >= 20)
		at = l4 + 16;
	else if (proto == 17 && l4len >= 8)
		at = l4 + 6;
	else
		return;
	s += proto + l4len;
	p[at] = p[at + 1] = 0;
	sum = live_fold(live_sum(p + l4, l4len, s));
	if (proto == 17 && !sum)
		sum = 0xffff; /* 0 means "no checksum" in UDP */
	p[at] = (uint8_t)(sum >> 8);
	p[at + 1] = (uint8_t)sum;
}

static int live_send(int fd, int ifindex, const uint8_t *data, uint32_t len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};

	memcpy(sll.sll_addr, data, 6);
	return sendto(fd, data, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0 ? -errno : 0;
}

struct live_stats {
	uint64_t rx, count[6], tx_err, back;
};

struct live {
	struct skep_prog *prog;
	struct skep_xdp_frame *f;
	struct skep_run_opts ro;
	struct live_ring dev, peer;
	int have_peer;
	struct live_stats st;
	uint64_t limit;
};

/* One packet from --dev through the program, and its verdict acted on. */
static void live_one(struct live *l, const uint8_t *data, uint32_t len)
{
	struct skep_xdp_result r;
	int err = 0;

	l->st.rx++;
	if (skep_xdp_frame_set(l->f, data, len, (uint32_t)l->dev.ifindex, 0) ||
	    skep_xdp_run(l->prog, l->f, &l->ro, &r)) {
		l->st.count[XDP_ABORTED]++;
		return;
	}
	l->st.count[r.action < 5 ? r.action : 5]++;
	switch (r.action) {
	case XDP_TX:
		err = live_send(l->dev.fd, l->dev.ifindex, r.data, r.len);
		break;
	case XDP_PASS:
		if (l->have_peer)
			err = live_send(l->peer.fd, l->peer.ifindex, r.data, r.len);
		break;
	case XDP_REDIRECT:
		if (r.redirect == SKEP_REDIRECT_IFINDEX && r.redirect_target)
			err = live_send(l->dev.fd, (int)r.redirect_target, r.data, r.len);
		else if (l->have_peer)
			err = live_send(l->peer.fd, l->peer.ifindex, r.data, r.len);
		break;
	default:
		break;
	}
	if (err)
		l->st.tx_err++;
}

/* Walk every block the kernel has handed over; fn gets each packet. */
static void live_drain(struct live *l, struct live_ring *ring, int from_dev)
{
	for (;;) {
		struct tpacket_block_desc *bd =
			(struct tpacket_block_desc *)(ring->map + (size_t)ring->block * LIVE_BLOCK_SIZE);
		struct tpacket3_hdr *h;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return;
		h = (struct tpacket3_hdr *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			uint8_t *pkt = (uint8_t *)h + h->tp_mac;
			if (h->tp_status & TP_STATUS_CSUMNOTREADY)
				live_fix_csum(pkt, h->tp_snaplen);
			if (from_dev) {
				if (!l->limit || l->st.rx < l->limit)
					live_one(l, pkt, h->tp_snaplen);
			} else if (live_send(l->dev.fd, l->dev.ifindex, pkt, h->tp_snaplen)) {
				l->st.tx_err++;
			} else {
				l->st.back++;
			}
			h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		ring->block = (ring->block + 1) % LIVE_BLOCKS;
	}
}

static double live_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int xdp_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dev", required_argument, NULL, 'd'},     {"peer", required_argument, NULL, 'p'},
		{"count", required_argument, NULL, 'n'},   {"seconds", required_argument, NULL, 's'},
		{"interp", no_argument, NULL, 'i'},        {"checked", no_argument, NULL, 'c'},
		{"jit", no_argument, NULL, 'J'},           {"json", no_argument, NULL, 'j'},
		{"map", required_argument, NULL, 'M'},     {"help", no_argument, NULL, 'h'},
		{"update", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	const char *dev = NULL, *peer = NULL;
	double seconds = 0, t0;
	int json = 0, c, rc = CLI_USAGE;
	struct cli_maps maps = {0};
	struct cli_program p = {0};
	struct skep_vm *vm = NULL;
	struct live l = {.dev.fd = -1, .peer.fd = -1};
	struct sigaction sa = {.sa_handler = live_on_signal};
	const char *updates[64];
	size_t nr_updates = 0;

	l.ro = (struct skep_run_opts){.sz = sizeof(l.ro), .mode = SKEP_EXEC_JIT};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'p':
			peer = optarg;
			break;
		case 'n':
			l.limit = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'i':
			l.ro.mode = SKEP_EXEC_INTERP;
			break;
		case 'c':
			l.ro.mode = SKEP_EXEC_CHECKED;
			break;
		case 'J':
			l.ro.mode = SKEP_EXEC_JIT;
			break;
		case 'j':
			json = 1;
			break;
		case 'M':
			if (cli_maps_add(&maps, optarg))
				return CLI_USAGE;
			break;
		case 'u':
			if (nr_updates == 64)
				return CLI_USAGE;
			updates[nr_updates++] = optarg;
			break;
		case 'h':
			printf("usage: skep xdp attach PROG --dev IF [--peer IF2] [--count N] "
			       "[--seconds S] [--json]\n(see skep xdp --help)\n");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || !dev) {
		fprintf(stderr, "skep: xdp attach takes one program and --dev IF\n");
		return CLI_USAGE;
	}
	if (!(vm = skep_vm_new()))
		goto out;
	skep_vm_set_trace(vm, cli_trace_line, NULL);
	if ((rc = xdp_open_prog(argv[optind], vm, &maps, &p, &l.prog)))
		goto out;
	l.ro.mode = cli_program_safe_mode(&p, BPF_PROG_TYPE_XDP, 0, l.ro.mode);
	for (size_t i = 0; i < nr_updates; i++)
		if ((rc = xdp_apply_update(&p, updates[i])))
			goto out;
	rc = CLI_USAGE;
	if (skep_xdp_frame_new(&l.f))
		goto out;
	if (live_ring_open(dev, &l.dev) || (peer && live_ring_open(peer, &l.peer)))
		goto out;
	l.have_peer = !!peer;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!json)
		fprintf(stderr, "skep: %s on %s%s%s; ^C to stop\n", argv[optind], dev,
			peer ? ", passing to " : "", peer ? peer : "");
	t0 = live_now();
	while (!live_stop && (!l.limit || l.st.rx < l.limit) &&
	       (seconds <= 0 || live_now() - t0 < seconds)) {
		struct pollfd pf[2] = {{l.dev.fd, POLLIN | POLLERR, 0}, {l.peer.fd, POLLIN | POLLERR, 0}};
		if (poll(pf, peer ? 2 : 1, 50) < 0 && errno != EINTR)
			break;
		live_drain(&l, &l.dev, 1);
		if (peer)
			live_drain(&l, &l.peer, 0);
	}
	if (json) {
		printf("{\"packets\": %" PRIu64 ", \"seconds\": %.3f, \"actions\": {", l.st.rx,
		       live_now() - t0);
		for (int i = 0; i < 5; i++)
			printf("%s\"%s\": %" PRIu64, i ? ", " : "", skep_xdp_action_name((uint32_t)i),
			       l.st.count[i]);
		printf("}, \"other\": %" PRIu64 ", \"from_peer\": %" PRIu64 ", \"send_errors\": %" PRIu64,
		       l.st.count[5], l.st.back, l.st.tx_err);
		cli_program_print_maps(&p, 1);
		printf("}\n");
	} else {
		printf("%" PRIu64 " packets from %s in %.1f s\n", l.st.rx, dev, live_now() - t0);
		for (int i = 0; i < 5; i++)
			printf("  %-13s %10" PRIu64 "\n", skep_xdp_action_name((uint32_t)i), l.st.count[i]);
		if (peer)
			printf("  from %s to %s: %" PRIu64 "\n", peer, dev, l.st.back);
		if (l.st.tx_err)
			printf("  send errors: %" PRIu64 "\n", l.st.tx_err);
		cli_program_print_maps(&p, 0);
	}
	rc = CLI_OK;
out:
	live_ring_close(&l.dev);
	live_ring_close(&l.peer);
	skep_xdp_frame_free(l.f);
	cli_program_close(&p);
	cli_maps_free(&maps);
	skep_vm_free(vm);
	return rc;
}
