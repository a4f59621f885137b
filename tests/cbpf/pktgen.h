/* A generator of varied, sometimes malformed packets for the cBPF tests.
 *
 * Deterministic (a seeded xorshift), so a failure reproduces.  It builds
 * Ethernet frames (plain, 802.1Q and QinQ tagged, 802.3/LLC), IPv4 with and
 * without options and fragments, IPv6 with extension headers, TCP with
 * options and assorted flags, UDP, ICMP, ICMPv6, ARP, and garbage; addresses
 * and ports come from small pools so that host, net and port filters match
 * some packets and miss others.  Header-only: each test program that needs
 * packets includes it (the Makefile links tests only with tests/lib).
 */
#ifndef SKEP_TESTS_CBPF_PKTGEN_H
#define SKEP_TESTS_CBPF_PKTGEN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pktgen {
	uint64_t s;
};

struct pg_buf {
	uint8_t *p;
	size_t len, cap;
};

static inline uint32_t pg_rand(struct pktgen *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return (uint32_t)(g->s >> 16);
}

static inline uint32_t pg_below(struct pktgen *g, uint32_t n)
{
	return n ? pg_rand(g) % n : 0;
}

static inline int pg_chance(struct pktgen *g, unsigned pct)
{
	return pg_below(g, 100) < pct;
}

static inline void pg_put8(struct pg_buf *b, uint32_t v)
{
	if (b->len < b->cap)
		b->p[b->len] = (uint8_t)v;
	b->len++;
}

static inline void pg_put16(struct pg_buf *b, uint32_t v)
{
	pg_put8(b, v >> 8);
	pg_put8(b, v);
}

static inline void pg_put32(struct pg_buf *b, uint32_t v)
{
	pg_put16(b, v >> 16);
	pg_put16(b, v);
}

static inline void pg_putrand(struct pg_buf *b, struct pktgen *g, size_t n)
{
	while (n--)
		pg_put8(b, pg_rand(g));
}

static inline void pg_set16(struct pg_buf *b, size_t at, uint32_t v)
{
	if (at + 1 < b->cap) {
		b->p[at] = (uint8_t)(v >> 8);
		b->p[at + 1] = (uint8_t)v;
	}
}

#define PG_PICK(g, arr) ((arr)[pg_below((g), sizeof(arr) / sizeof((arr)[0]))])

static inline void pg_mac(struct pg_buf *b, struct pktgen *g)
{
	static const uint8_t macs[][6] = {
		{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, {0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
		{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	};
	if (pg_chance(g, 15)) {
		pg_putrand(b, g, 6);
		return;
	}
	const uint8_t *m = PG_PICK(g, macs);
	for (int i = 0; i < 6; i++)
		pg_put8(b, m[i]);
}

static inline uint32_t pg_ip4addr(struct pktgen *g)
{
	static const uint32_t pool[] = {
		0x0a000001, 0x0a000002, 0x0a0a0a0a, 0xc0a8010a, 0xc0a80214, 0xc0a8ff01,
		0x08080808, 0xe0000001, 0xffffffff, 0x7f000001, 0xac100001,
	};
	return pg_chance(g, 15) ? pg_rand(g) : PG_PICK(g, pool);
}

static inline uint16_t pg_port(struct pktgen *g)
{
	static const uint16_t pool[] = {22, 53, 80, 443, 8080, 1024, 1500, 65535, 67, 123, 5353};
	return pg_chance(g, 20) ? (uint16_t)pg_rand(g) : PG_PICK(g, pool);
}

static inline void pg_tcp(struct pg_buf *b, struct pktgen *g)
{
	static const uint8_t flags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x29, 0x00, 0xff};
	unsigned doff = pg_chance(g, 30) ? 5 + pg_below(g, 11) : 5;

	pg_put16(b, pg_port(g));
	pg_put16(b, pg_port(g));
	pg_put32(b, pg_rand(g));
	pg_put32(b, pg_rand(g));
	pg_put8(b, doff << 4 | pg_below(g, 2));
	pg_put8(b, pg_chance(g, 80) ? PG_PICK(g, flags) : pg_rand(g));
	pg_put16(b, pg_rand(g));
	pg_put32(b, 0);
	pg_putrand(b, g, (doff - 5) * 4);
	if (pg_chance(g, 20)) {
		static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
		for (size_t i = 0; i < sizeof(get) - 1; i++)
			pg_put8(b, (uint8_t)get[i]);
	} else {
		pg_putrand(b, g, pg_below(g, 64));
	}
}

static inline void pg_udp(struct pg_buf *b, struct pktgen *g)
{
	size_t n = pg_below(g, 48);

	pg_put16(b, pg_port(g));
	pg_put16(b, pg_port(g));
	pg_put16(b, 8 + n);
	pg_put16(b, 0);
	if (pg_chance(g, 10)) {
		pg_put32(b, 0xdeadbeef);
		n = n >= 4 ? n - 4 : 0;
	}
	pg_putrand(b, g, n);
}

static inline void pg_icmp(struct pg_buf *b, struct pktgen *g, int v6)
{
	static const uint8_t t4[] = {0, 3, 8, 11, 5, 13};
	static const uint8_t t6[] = {1, 128, 129, 135, 136, 143};

	pg_put8(b, v6 ? PG_PICK(g, t6) : PG_PICK(g, t4));
	pg_put8(b, pg_below(g, 4));
	pg_put16(b, 0);
	pg_putrand(b, g, 4 + pg_below(g, 32));
}

/* A transport header for protocol number proto. */
static inline void pg_l4(struct pg_buf *b, struct pktgen *g, uint8_t proto)
{
	if (proto == 6)
		pg_tcp(b, g);
	else if (proto == 17)
		pg_udp(b, g);
	else if (proto == 1 || proto == 58)
		pg_icmp(b, g, proto == 58);
	else
		pg_putrand(b, g, pg_below(g, 40));
}

static inline uint8_t pg_proto(struct pktgen *g, int v6)
{
	static const uint8_t p4[] = {6, 6, 6, 17, 17, 1, 47, 50, 132};
	static const uint8_t p6[] = {6, 6, 17, 17, 58, 58, 132};
	return v6 ? PG_PICK(g, p6) : PG_PICK(g, p4);
}

static inline void pg_ipv4(struct pg_buf *b, struct pktgen *g)
{
	size_t start = b->len;
	unsigned ihl = pg_chance(g, 15) ? 6 + pg_below(g, 10) : 5;
	uint8_t proto = pg_proto(g, 0);
	uint16_t frag = 0;

	if (pg_chance(g, 10))
		ihl = pg_below(g, 5); /* malformed: shorter than the header */
	if (pg_chance(g, 15))
		frag = (uint16_t)((pg_chance(g, 50) ? 0x2000 : 0) | pg_below(g, 0x1fff));
	else if (pg_chance(g, 40))
		frag = 0x4000; /* DF */
	pg_put8(b, 0x40 | ihl);
	pg_put8(b, pg_rand(g));
	pg_put16(b, 0); /* total length, set below */
	pg_put16(b, pg_rand(g));
	pg_put16(b, frag);
	pg_put8(b, pg_chance(g, 10) ? 1 : 64);
	pg_put8(b, proto);
	pg_put16(b, 0);
	pg_put32(b, pg_ip4addr(g));
	pg_put32(b, pg_ip4addr(g));
	if (ihl > 5)
		pg_putrand(b, g, (ihl - 5) * 4);
	pg_l4(b, g, proto);
	pg_set16(b, start + 2, pg_chance(g, 90) ? b->len - start : pg_rand(g));
}

static inline void pg_ip6addr(struct pg_buf *b, struct pktgen *g)
{
	static const uint8_t pool[][16] = {
		{0xfe, 0x80, [15] = 1},
		{0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2},
		{0xff, 0x02, [15] = 1},
		{[15] = 1},
	};
	if (pg_chance(g, 15)) {
		pg_putrand(b, g, 16);
		return;
	}
	const uint8_t *a = PG_PICK(g, pool);
	for (int i = 0; i < 16; i++)
		pg_put8(b, a[i]);
}

static inline void pg_ipv6(struct pg_buf *b, struct pktgen *g)
{
	static const uint8_t exts[] = {0, 43, 44, 60};
	size_t start = b->len;
	uint8_t proto = pg_proto(g, 1);
	int next_ext = pg_chance(g, 20);
	uint8_t first = next_ext ? PG_PICK(g, exts) : proto;

	pg_put32(b, 0x60000000 | pg_below(g, 1 << 20));
	pg_put16(b, 0);
	pg_put8(b, first);
	pg_put8(b, 64);
	pg_ip6addr(b, g);
	pg_ip6addr(b, g);
	if (next_ext) { /* one 8-byte extension header (a fragment header is 8 bytes too) */
		pg_put8(b, proto);
		pg_put8(b, 0);
		pg_put16(b, first == 44 ? pg_below(g, 0x10000) & ~6u : 0);
		pg_put32(b, pg_rand(g));
	}
	pg_l4(b, g, proto);
	pg_set16(b, start + 4, b->len - start - 40);
}

static inline void pg_arp(struct pg_buf *b, struct pktgen *g)
{
	pg_put16(b, 1);
	pg_put16(b, 0x0800);
	pg_put8(b, 6);
	pg_put8(b, 4);
	pg_put16(b, 1 + pg_below(g, 2));
	pg_mac(b, g);
	pg_put32(b, pg_ip4addr(g));
	pg_mac(b, g);
	pg_put32(b, pg_ip4addr(g));
}

/* A network-layer packet; returns its EtherType. */
static inline uint16_t pg_l3(struct pg_buf *b, struct pktgen *g)
{
	unsigned r = pg_below(g, 100);

	if (r < 50) {
		pg_ipv4(b, g);
		return 0x0800;
	}
	if (r < 80) {
		pg_ipv6(b, g);
		return 0x86dd;
	}
	if (r < 90) {
		pg_arp(b, g);
		return 0x0806;
	}
	pg_putrand(b, g, pg_below(g, 60));
	return r < 95 ? 0x88cc : (uint16_t)pg_rand(g);
}

/* An Ethernet frame: plain, tagged once or twice, 802.3 with LLC, or junk. */
static inline void pg_ether(struct pg_buf *b, struct pktgen *g)
{
	unsigned r = pg_below(g, 100);
	size_t type_at;
	uint16_t type;

	if (r < 4) { /* garbage, maybe shorter than a header */
		pg_putrand(b, g, pg_below(g, 80));
		return;
	}
	pg_mac(b, g);
	pg_mac(b, g);
	if (r < 8) { /* 802.3 length + LLC (STP) */
		pg_put16(b, 38);
		pg_put8(b, 0x42);
		pg_put8(b, 0x42);
		pg_put8(b, 0x03);
		pg_putrand(b, g, 35);
		return;
	}
	if (r < 20) {
		if (r < 14) {
			pg_put16(b, 0x88a8);
			pg_put16(b, pg_chance(g, 50) ? 100 : pg_rand(g));
		}
		pg_put16(b, 0x8100);
		pg_put16(b, pg_chance(g, 30) ? 100 : pg_chance(g, 50) ? 200 : pg_rand(g));
	}
	type_at = b->len;
	pg_put16(b, 0);
	type = pg_l3(b, g);
	pg_set16(b, type_at, type);
}

/* One packet for a link type (1 Ethernet, 113 Linux cooked, 12/101 raw IP):
 * returns the wire length; *caplen may be less (a truncated capture). */
static inline size_t pg_packet(struct pktgen *g, int linktype, uint8_t *buf, size_t cap,
			       size_t *caplen)
{
	struct pg_buf b = {buf, 0, cap};
	size_t len;

	if (linktype == 1) {
		pg_ether(&b, g);
	} else if (linktype == 113) {
		size_t type_at;
		pg_put16(&b, pg_below(g, 5)); /* packet type */
		pg_put16(&b, 1);
		pg_put16(&b, 6);
		pg_mac(&b, g);
		pg_put16(&b, 0);
		type_at = b.len;
		pg_put16(&b, 0);
		pg_set16(&b, type_at, pg_l3(&b, g));
	} else if (pg_chance(g, 50)) {
		pg_ipv4(&b, g);
	} else {
		pg_ipv6(&b, g);
	}
	len = b.len < cap ? b.len : cap;
	*caplen = len;
	if (pg_chance(g, 12)) /* cut short by the capture */
		*caplen = pg_below(g, (uint32_t)len + 1);
	return len;
}

#endif
