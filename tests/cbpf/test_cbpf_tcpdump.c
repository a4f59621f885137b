/* tcpdump filters on skep, compared with tcpdump and libpcap themselves.
 *
 * The test writes its own captures (Ethernet with VLAN, ARP, IPv4 with options
 * and fragments, IPv6 with extension headers, TCP, UDP, ICMP, garbage,
 * truncated packets; a capture cut at snaplen 96; Linux cooked and raw IP
 * ones) with libpcap's pcap_dump, then for each filter expression:
 *   w/...      `skep filter -r IN -w OUT EXPR` keeps exactly the packets
 *              `tcpdump -r IN -w OUT EXPR` keeps, headers and bytes alike;
 *   d/...      `skep filter -d|-dd|-ddd` prints what tcpdump prints;
 *   modes/...  the library's verdict in every execution mode (interpreter,
 *              checked, JIT, checked JIT), packet by packet and batched, is
 *              libpcap's pcap_offline_filter's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "../lib/harness.h"
#include "pktgen.h"
#include "skep/cbpf.h"

#define MAX_PKTS 2000

struct capture {
	const char *name;
	int linktype, snaplen, count;
	char path[256];
	struct pcap_pkthdr hdr[MAX_PKTS];
	uint8_t *data[MAX_PKTS];
};

static const char *const eth_exprs[] = {
	"",
	"ip",
	"ip6",
	"arp",
	"tcp",
	"udp",
	"icmp",
	"icmp6",
	"not ip",
	"tcp or udp",
	"ip and not tcp",
	"host 10.0.0.1",
	"src host 10.0.0.2",
	"dst host 192.168.1.10",
	"net 192.168.0.0/16",
	"src net 10.0.0.0/8 and dst net 192.168.2.0/24",
	"port 80",
	"tcp port 80",
	"ip and tcp port 80",
	"udp port 53",
	"src port 443",
	"tcp dst port 8080",
	"portrange 1000-2000",
	"tcp[13] & 2 != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"tcp[tcpflags] & tcp-push != 0",
	"ip[6:2] & 0x1fff != 0",
	"ip[6] & 0x20 != 0",
	"ip[0] & 0xf > 5",
	"ip[2:2] > 60",
	"ip[8] == 1",
	"ip proto 47",
	"icmp[icmptype] == icmp-echo",
	"udp[8:4] == 0xdeadbeef",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"ip[2:2] / 4 > 20",
	"ip[2:2] % 7 == 3",
	"ip[2:2] * 3 > 300",
	"ip[8] << 2 > 200",
	"ip[8] >> 1 == 32",
	"ip[1] ^ 0xff == 0xff",
	"ip[2:2] - 20 > 30",
	"ip[2:2] / (ip[9] & 3) > 10",
	"ip[2:2] % (ip[9] & 3) == 1",
	"len - 14 > 100",
	"greater 100",
	"less 60",
	"ether broadcast",
	"ether multicast",
	"ip multicast",
	"ether host 00:11:22:33:44:55",
	"ether src 02:aa:bb:cc:dd:ee",
	"ether proto 0x88cc",
	"vlan",
	"vlan 100",
	"vlan and ip",
	"vlan 100 and tcp port 80",
	"vlan and vlan",
	"vlan and ip6 and udp",
	"ip6 and tcp",
	"ip6 host fe80::1",
	"ip6 net 2001:db8::/32",
	"ip6 and udp port 53",
	"ip6[6] == 17",
	"icmp6 and ip6[40] == 128",
	"stp",
	"llc",
	"ip or ip6 or arp",
	"tcp port 22 or (udp and not port 53) or icmp",
	"ether[0] & 1 == 0 and ip[19] == 1",
};

/* For the other captures: what every link type can compile. */
static const char *const l3_exprs[] = {
	"", "ip", "ip6", "tcp", "udp port 53", "host 10.0.0.1", "net 192.168.0.0/16",
	"tcp[13] & 2 != 0", "ip[6:2] & 0x1fff != 0", "ip6 and tcp port 80", "greater 100",
	"icmp or icmp6", "arp",
};

static struct capture caps[] = {
	{.name = "eth", .linktype = 1, .snaplen = 262144, .count = 2000},
	{.name = "eth96", .linktype = 1, .snaplen = 96, .count = 800},
	{.name = "sll", .linktype = 113, .snaplen = 262144, .count = 500},
	{.name = "raw", .linktype = 12, .snaplen = 262144, .count = 500},
};

static int capture_write(struct capture *c, const char *dir, uint64_t seed)
{
	struct pktgen g = {seed};
	pcap_t *p = pcap_open_dead(c->linktype, c->snaplen);
	pcap_dumper_t *d;
	uint8_t buf[2048];

	snprintf(c->path, sizeof(c->path), "%s/%s.pcap", dir, c->name);
	d = p ? pcap_dump_open(p, c->path) : NULL;
	if (!d)
		return -1;
	for (int i = 0; i < c->count; i++) {
		size_t caplen, len = pg_packet(&g, c->linktype, buf, sizeof(buf), &caplen);
		struct pcap_pkthdr *h = &c->hdr[i];

		if (caplen > (size_t)c->snaplen)
			caplen = (size_t)c->snaplen;
		h->ts.tv_sec = 1700000000 + i / 1000;
		h->ts.tv_usec = i % 1000 * 1000;
		h->caplen = (bpf_u_int32)caplen;
		h->len = (bpf_u_int32)len;
		c->data[i] = malloc(caplen + 1);
		memcpy(c->data[i], buf, caplen);
		pcap_dump((u_char *)d, h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

/* Run argv with stdout into out_path (stderr into err_path or discarded);
 * returns the exit status, or -1. */
static int run(char *const argv[], const char *out_path, const char *err_path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The records of two captures are the same: count, headers and bytes. */
static int same_packets(const char *a, const char *b, char *why, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pa = pcap_open_offline(a, err), *pb = pcap_open_offline(b, err);
	struct pcap_pkthdr *ha, *hb;
	const u_char *da, *db;
	int n = 0, ok = 0;

	if (!pa || !pb) {
		snprintf(why, size, "cannot open an output: %s", err);
		goto out;
	}
	for (;; n++) {
		int ra = pcap_next_ex(pa, &ha, &da), rb = pcap_next_ex(pb, &hb, &db);
		if (ra != rb) {
			snprintf(why, size, "packet %d: tcpdump %s, skep %s", n,
				 ra == 1 ? "kept it" : "ended", rb == 1 ? "kept it" : "ended");
			goto out;
		}
		if (ra != 1)
			break;
		if (ha->caplen != hb->caplen || ha->len != hb->len ||
		    ha->ts.tv_sec != hb->ts.tv_sec || ha->ts.tv_usec != hb->ts.tv_usec ||
		    memcmp(da, db, ha->caplen)) {
			snprintf(why, size, "packet %d differs", n);
			goto out;
		}
	}
	ok = 1;
out:
	if (pa)
		pcap_close(pa);
	if (pb)
		pcap_close(pb);
	return ok;
}

static char *slurp(const char *path)
{
	size_t n;
	char *s = harness_read_file(path, &n);
	return s ? s : strdup("");
}

struct ctx {
	struct harness h;
	char dir[64], skep[512], tcpdump[64];
	int have_tcpdump;
	int nontrivial, judged;
};

static void check_write(struct ctx *t, struct capture *c, const char *expr)
{
	char name[256], o1[320], o2[320], e2[320], why[512] = "";
	char *tcpd[] = {t->tcpdump, "-Z", "root", "-r", c->path, "-w", o1, (char *)expr, NULL};
	char *skep[] = {t->skep, "filter", "-r", c->path, "-w", o2, (char *)expr, NULL};
	int r1, r2;

	snprintf(name, sizeof(name), "w/%s/'%s'", c->name, expr);
	snprintf(o1, sizeof(o1), "%s/tcpdump.pcap", t->dir);
	snprintf(o2, sizeof(o2), "%s/skep.pcap", t->dir);
	snprintf(e2, sizeof(e2), "%s/skep.err", t->dir);
	if (!*expr) { /* no expression: no filter argument at all */
		tcpd[7] = NULL;
		skep[6] = NULL;
	}
	r1 = run(tcpd, "/dev/null", NULL);
	r2 = run(skep, "/dev/null", e2);
	if (r1 != 0 || r2 != 0) {
		char *err = slurp(e2);
		harness_fail(&t->h, name, "exit status: tcpdump %d, skep %d: %s", r1, r2, err);
		free(err);
		return;
	}
	harness_check(&t->h, same_packets(o1, o2, why, sizeof(why)), name, "%s", why);
}

static void check_dump(struct ctx *t, struct capture *c, const char *expr, int level)
{
	static const char *const flags[] = {"", "-d", "-dd", "-ddd"};
	char name[256], o1[320], o2[320];
	char *tcpd[] = {t->tcpdump, (char *)flags[level], "-r", c->path, (char *)expr, NULL};
	char *skep[] = {t->skep, "filter", (char *)flags[level], "-r", c->path, (char *)expr, NULL};
	char *s1, *s2;
	int r1, r2;

	snprintf(name, sizeof(name), "%s/%s/'%s'", flags[level] + 1, c->name, expr);
	snprintf(o1, sizeof(o1), "%s/tcpdump.txt", t->dir);
	snprintf(o2, sizeof(o2), "%s/skep.txt", t->dir);
	r1 = run(tcpd, o1, NULL);
	r2 = run(skep, o2, NULL);
	s1 = slurp(o1);
	s2 = slurp(o2);
	harness_check(&t->h, r1 == 0 && r2 == 0 && !strcmp(s1, s2), name,
		      "exit %d/%d; tcpdump printed:\n%s\nskep printed:\n%s", r1, r2, s1, s2);
	free(s1);
	free(s2);
}

/* The batch runner gives the one-packet runner's verdicts. */
static int check_batch(struct ctx *t, struct capture *c, struct skep_cbpf_filter *f,
		       const struct bpf_program *bp, const char *name, int mode)
{
	static struct skep_cbpf_packet pkts[MAX_PKTS];
	static uint32_t v[MAX_PKTS];
	int err;

	for (int i = 0; i < c->count; i++)
		pkts[i] = (struct skep_cbpf_packet){c->linktype, c->data[i], c->hdr[i].caplen,
						    c->hdr[i].len};
	err = skep_cbpf_filter_packets(f, pkts, (size_t)c->count, v);
	for (int i = 0; i < c->count; i++) {
		uint32_t want = (uint32_t)pcap_offline_filter(bp, &c->hdr[i], c->data[i]);
		if (err || v[i] != want) {
			harness_fail(&t->h, name, "mode %d, batch, packet %d: skep %u (error %d), "
					"libpcap %u", mode, i, v[i], err, want);
			return 1;
		}
	}
	return 0;
}

/* Every execution mode against libpcap's own interpreter, in process, one
 * packet at a time and in a batch. */
static void check_modes(struct ctx *t, struct capture *c, const char *expr)
{
	static const enum skep_exec_mode modes[] = {SKEP_EXEC_INTERP, SKEP_EXEC_CHECKED,
						    SKEP_EXEC_JIT, SKEP_EXEC_JIT_CHECKED};
	char name[256], log[4096] = "";
	struct skep_cbpf_insn *prog;
	size_t len;
	struct bpf_program bp;
	pcap_t *p = pcap_open_dead(c->linktype, c->snaplen);
	struct skep_vm *vm = skep_vm_new();
	int bad = 0, matched = 0;

	snprintf(name, sizeof(name), "modes/%s/'%s'", c->name, expr);
	if (pcap_compile(p, &bp, expr, 1, 0) < 0 ||
	    skep_cbpf_compile(expr, c->linktype, c->snaplen, &prog, &len, log, sizeof(log))) {
		harness_fail(&t->h, name, "does not compile: %s %s", pcap_geterr(p), log);
		pcap_close(p);
		skep_vm_free(vm);
		return;
	}
	for (size_t m = 0; m < 4 && !bad; m++) {
		struct skep_cbpf_opts co = {.sz = sizeof(co), .exec = modes[m], .log_buf = log,
					    .log_size = sizeof(log)};
		struct skep_cbpf_filter *f;

		if (skep_cbpf_filter_new(vm, prog, len, &co, &f)) {
			harness_fail(&t->h, name, "mode %d: %s", (int)modes[m], log);
			bad = 1;
			break;
		}
		for (int i = 0; i < c->count && !bad; i++) {
			struct skep_cbpf_packet pkt = {c->linktype, c->data[i], c->hdr[i].caplen,
						       c->hdr[i].len};
			uint32_t v, want = (uint32_t)pcap_offline_filter(&bp, &c->hdr[i], c->data[i]);
			int err = skep_cbpf_filter_packet(f, &pkt, &v);

			if (err || v != want) {
				harness_fail(&t->h, name, "mode %d, packet %d: skep %u (error %d), "
						"libpcap %u", (int)modes[m], i, v, err, want);
				bad = 1;
			}
			matched += m == 0 && v;
		}
		if (!bad)
			bad = check_batch(t, c, f, &bp, name, (int)modes[m]);
		skep_cbpf_filter_free(f);
	}
	if (!bad)
		harness_pass(&t->h, name);
	t->judged++;
	t->nontrivial += matched > 0 && matched < c->count;
	free(prog);
	pcap_freecode(&bp);
	pcap_close(p);
	skep_vm_free(vm);
}

static int compiles(struct capture *c, const char *expr)
{
	pcap_t *p = pcap_open_dead(c->linktype, c->snaplen);
	struct bpf_program bp;
	int ok = pcap_compile(p, &bp, expr, 1, 0) == 0;

	if (ok)
		pcap_freecode(&bp);
	pcap_close(p);
	return ok;
}

static void check_capture(struct ctx *t, struct capture *c, const char *const *exprs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c->linktype != 1 && !compiles(c, exprs[i]))
			continue; /* e.g. arp on raw IP: libpcap refuses, so does tcpdump */
		check_modes(t, c, exprs[i]);
		if (!t->have_tcpdump)
			continue;
		check_write(t, c, exprs[i]);
		if (*exprs[i])
			check_dump(t, c, exprs[i], c->linktype == 1 ? 1 + (int)(i % 3) : 1);
	}
}

/* libpcap's protochain loops with a backward jump: the kernel refuses such a
 * program and so does skep, saying why. */
static void check_protochain(struct ctx *t)
{
	char e[320], *err;
	char *skep[] = {t->skep, "filter", "-r", caps[0].path, "ip6 protochain 6", NULL};
	int rc;

	snprintf(e, sizeof(e), "%s/skep.err", t->dir);
	rc = run(skep, "/dev/null", e);
	err = slurp(e);
	harness_check(&t->h, rc == 1 && strstr(err, "jumps backwards"), "protochain refused",
		      "exit %d: %s", rc, err);
	free(err);
}

/* A pcapng copy of a capture (section header, one interface, enhanced packet
 * blocks), for reading pcapng through libpcap. */
static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static int write_pcapng(const struct capture *c, const char *path, int n)
{
	FILE *f = fopen(path, "wb");
	static const uint8_t pad[4];

	if (!f)
		return -1;
	put32(f, 0x0a0d0d0a), put32(f, 28), put32(f, 0x1a2b3c4d), put32(f, 1);
	put32(f, 0xffffffff), put32(f, 0xffffffff), put32(f, 28);
	put32(f, 1), put32(f, 20), put32(f, (uint32_t)c->linktype), put32(f, (uint32_t)c->snaplen);
	put32(f, 20);
	for (int i = 0; i < n; i++) {
		const struct pcap_pkthdr *h = &c->hdr[i];
		uint32_t padded = (h->caplen + 3) & ~3u;
		uint64_t us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;

		put32(f, 6), put32(f, 32 + padded), put32(f, 0);
		put32(f, (uint32_t)(us >> 32)), put32(f, (uint32_t)us);
		put32(f, h->caplen), put32(f, h->len);
		fwrite(c->data[i], 1, h->caplen, f);
		fwrite(pad, 1, padded - h->caplen, f);
		put32(f, 32 + padded);
	}
	return fclose(f);
}

/* Runs `skep ARGS` through the shell; stdout+stderr into out. */
static int cli(struct ctx *t, const char *args, char *out, size_t size)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cd %s && %s filter %s 2>&1", t->dir, t->skep, args);
	return harness_run(cmd, out, size);
}

static void expect(struct ctx *t, const char *name, const char *args, int code, const char *want)
{
	char out[8192];
	int rc = cli(t, args, out, sizeof(out));

	harness_check(&t->h, rc == code && strstr(out, want), name,
		      "exit %d (want %d), output lacks \"%s\":\n%s", rc, code, want, out);
}

static void check_cli(struct ctx *t)
{
	char want[128], path[320];
	pcap_t *p = pcap_open_dead(1, 262144);
	struct bpf_program bp;
	int matched = 0;

	expect(t, "cli/convert only", "'tcp port 80'", 0, "classic BPF instructions -> ");
	expect(t, "cli/--ebpf", "--ebpf ip", 0, "   0: r6 = r1\n   1: w0 = 0\n   2: w7 = 0\n");
	expect(t, "cli/bad expression", "'tcp port ((('", 2, "syntax error");
	expect(t, "cli/-w needs -r", "-w out.pcap ip", 2, "-w needs -r");
	expect(t, "cli/missing capture", "-r no-such.pcap ip", 2, "no-such.pcap");
	expect(t, "cli/unknown link type", "-y NO_SUCH_DLT ip", 2, "unknown link type");
	expect(t, "cli/-w - is a pcap on stdout", "-r eth.pcap -w - ip | od -An -tx1 -N4", 0,
	       "d4 c3 b2 a1");
	if (pcap_compile(p, &bp, "ip", 1, 0) == 0) {
		for (int i = 0; i < caps[0].count; i++)
			matched += pcap_offline_filter(&bp, &caps[0].hdr[i], caps[0].data[i]) != 0;
		pcap_freecode(&bp);
	}
	pcap_close(p);
	snprintf(want, sizeof(want), "{\"packets\": %d, \"matched\": %d, \"ns_per_packet\": ",
		 caps[0].count, matched);
	expect(t, "cli/--json", "-r eth.pcap --json ip", 0, want);
	snprintf(want, sizeof(want), "%d packets matched of %d\n", matched, caps[0].count);
	expect(t, "cli/count by default", "-r eth.pcap --interp ip", 0, want);
	snprintf(path, sizeof(path), "%s/eth.pcapng", t->dir);
	if (write_pcapng(&caps[0], path, 400)) {
		harness_fail(&t->h, "cli/pcapng", "cannot write %s", path);
		return;
	}
	if (t->have_tcpdump) {
		struct capture ng = caps[0];
		strcpy(ng.path, path);
		ng.name = "pcapng";
		check_write(t, &ng, "tcp or udp port 53");
	}
}

int main(void)
{
	struct ctx t = {0};
	const char *build = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";

	strcpy(t.dir, "/tmp/skep-cbpf-XXXXXX");
	if (!mkdtemp(t.dir)) {
		harness_fail(&t.h, "setup", "mkdtemp: %s", strerror(errno));
		return harness_exit(&t.h);
	}
	if (!realpath(build, t.skep))
		snprintf(t.skep, sizeof(t.skep), "%s", build);
	strcat(t.skep, "/skep");
	strcpy(t.tcpdump, "/usr/bin/tcpdump");
	t.have_tcpdump = access(t.tcpdump, X_OK) == 0;
	if (!t.have_tcpdump)
		harness_skip(&t.h, "tcpdump", "no %s: install Debian's tcpdump to compare with it",
			     t.tcpdump);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (capture_write(&caps[i], t.dir, 0x9e3779b97f4a7c15ull + i)) {
			harness_fail(&t.h, "setup", "cannot write %s", caps[i].name);
			return harness_exit(&t.h);
		}
	}
	check_capture(&t, &caps[0], eth_exprs, sizeof(eth_exprs) / sizeof(eth_exprs[0]));
	for (size_t i = 1; i < sizeof(caps) / sizeof(caps[0]); i++)
		check_capture(&t, &caps[i], l3_exprs, sizeof(l3_exprs) / sizeof(l3_exprs[0]));
	check_protochain(&t);
	check_cli(&t);
	/* a filter that keeps everything or nothing proves little */
	harness_check(&t.h, t.nontrivial * 10 >= t.judged * 8, "captures exercise the filters",
		      "only %d of %d expressions keep some but not all packets", t.nontrivial,
		      t.judged);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		for (int j = 0; j < caps[i].count; j++)
			free(caps[i].data[j]);
	if (!t.h.failed) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", t.dir);
	}
	return harness_exit(&t.h);
}
