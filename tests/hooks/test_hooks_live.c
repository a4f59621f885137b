/* The live datapath: `skep xdp attach` running the example firewall as a
 * bump in the wire between two network namespaces, with real traffic.
 *
 *   ns A (10.231.x.1, .3) vethA --- vethA' [ns M: skep xdp attach] vethB' --- vethB ns B (.2)
 *
 * Namespace M's interfaces have no addresses, so the kernel there neither
 * routes nor answers: skep is the only path.  A sends UDP datagrams to two
 * ports of B (one blocked by port), from two addresses (one blocked by
 * address), and ICMP echo requests, which must come back through the peer
 * path; B counts what arrives.  The firewall must drop exactly the blocked
 * ones and pass the rest, and skep's verdict counts must say so; then a TCP
 * stream (its checksums left to veth's offload, which skep completes).  Needs root
 * (namespaces, AF_PACKET); skipped visibly otherwise.  Everything the test
 * creates is deleted on every exit, and the whole test is bounded by an
 * alarm. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/harness.h"

#define NR_SEND 40
#define TCP_BYTES (256 * 1024)

static char ns_a[32], ns_m[32], ns_b[32], outpath[128];
static int made;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void cleanup(void)
{
	if (!made)
		return;
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
	   ns_a, ns_m, ns_b);
	made = 0;
	if (outpath[0])
		unlink(outpath);
}

static void on_signal(int sig)
{
	cleanup();
	_exit(sig == SIGALRM ? 1 : 128 + sig);
}

static int enter_ns(const char *name)
{
	char path[128];
	int fd, err;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

static uint16_t icmp_csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* In B: count UDP datagrams per port (5000, 5001) and bytes of one TCP
 * stream on port 6000 for at most `secs` (a slow, sanitised build of skep in
 * the middle needs time), until the whole stream is in; write the three
 * counts to fd. */
static void receiver(int out, double secs)
{
	int s[2], ls, cs = -1, one = 1;
	int n[3] = {0, 0, 0};
	char buf[65536];
	struct sockaddr_in ta = {.sin_family = AF_INET, .sin_port = htons(6000)};
	struct timespec t0, t;

	for (int i = 0; i < 2; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5000 + i)};
		struct timeval tv = {0, 20000};
		s[i] = socket(AF_INET, SOCK_DGRAM, 0);
		setsockopt(s[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (bind(s[i], (struct sockaddr *)&a, sizeof(a)))
			_exit(3);
	}
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&ta, sizeof(ta)) || listen(ls, 1))
		_exit(3);
	if (write(out, "r", 1) != 1) /* ready */
		_exit(3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 2; i++)
			while (recv(s[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				n[i]++;
		if (cs < 0)
			cs = accept(ls, NULL, NULL);
		if (cs >= 0) {
			ssize_t r;
			while ((r = recv(cs, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				n[2] += (int)r;
		}
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9 < secs &&
		 n[2] < TCP_BYTES); /* the stream comes last: all else has arrived */
	for (int i = 0; i < 2; i++)
		while (recv(s[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			n[i]++;
	if (write(out, n, sizeof(n)) != sizeof(n))
		_exit(3);
	_exit(0);
}

/* In A: NR_SEND datagrams to each of B:5000 and B:5001 from .1, NR_SEND to
 * B:5000 from .3; NR_SEND pings from .1.  Results: pings answered. */
static void sender(int out)
{
	int replies = 0, one = 1;
	const char *srcs[2] = {"10.231.0.1", "10.231.0.3"};
	struct sockaddr_in dst = {.sin_family = AF_INET};
	int ic;

	inet_pton(AF_INET, "10.231.0.2", &dst.sin_addr);
	for (int k = 0; k < 2; k++) {
		struct sockaddr_in src = {.sin_family = AF_INET};
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		inet_pton(AF_INET, srcs[k], &src.sin_addr);
		/* The checksum is left to veth's offload: skep must complete it.
		 * The blocked source's datagrams go without one (SO_NO_CHECK). */
		if (k)
			setsockopt(s, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&src, sizeof(src)))
			_exit(4);
		for (int i = 0; i < NR_SEND; i++)
			for (int port = 5000; port <= (k ? 5000 : 5001); port++) {
				dst.sin_port = htons((uint16_t)port);
				sendto(s, "skep", 4, 0, (struct sockaddr *)&dst, sizeof(dst));
				usleep(1000);
			}
		close(s);
	}
	ic = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	for (int i = 0; i < NR_SEND && ic >= 0; i++) {
		uint8_t pkt[64] = {0}, buf[256];
		struct icmphdr *h = (struct icmphdr *)pkt;
		struct timeval tv = {0, 200000};
		h->type = ICMP_ECHO;
		h->un.echo.id = htons(0x5eb);
		h->un.echo.sequence = htons((uint16_t)i);
		h->checksum = icmp_csum(pkt, sizeof(pkt));
		dst.sin_port = 0;
		setsockopt(ic, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		sendto(ic, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst));
		for (;;) {
			ssize_t n = recv(ic, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			if (n >= 28 && buf[20] == ICMP_ECHOREPLY) {
				replies++;
				break;
			}
		}
	}
	{ /* a TCP stream: checksums left to the offload, ACKs back through the peer */
		static char chunk[16384];
		int t = socket(AF_INET, SOCK_STREAM, 0);
		struct timeval tv = {15, 0};
		dst.sin_port = htons(6000);
		setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		memset(chunk, 'k', sizeof(chunk));
		if (t >= 0 && !connect(t, (struct sockaddr *)&dst, sizeof(dst)))
			for (int sent = 0; sent < TCP_BYTES;) {
				ssize_t w = send(t, chunk, sizeof(chunk), 0);
				if (w <= 0)
					break;
				sent += (int)w;
			}
		if (t >= 0)
			close(t);
	}
	if (write(out, &replies, sizeof(replies)) != sizeof(replies))
		_exit(4);
	_exit(0);
}

static pid_t spawn_in(const char *ns, void (*fn)(int, double), int out, double arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (enter_ns(ns))
			_exit(5);
		fn(out, arg);
	}
	return pid;
}

static void sender_fn(int out, double arg)
{
	(void)arg;
	sender(out);
}

int main(void)
{
	struct harness h = {0};
	const char *build = getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
	char skep[512], obj[512];
	int rp[2], sp[2], counts[3] = {-1, -1, -1}, replies = -1, pid_n = getpid() % 100000;
	pid_t recv_pid, send_pid, skep_pid;
	FILE *f;
	char json[4096] = "";

	if (geteuid() != 0 || sh("ip netns list >/dev/null 2>&1")) {
		harness_skip(&h, "xdp attach between namespaces", "needs root and iproute2's ip");
		return harness_exit(&h);
	}
	snprintf(skep, sizeof(skep), "%s/skep", build);
	snprintf(obj, sizeof(obj), "%s/examples/net/xdp_firewall.bpf.o", build);
	if (access(skep, X_OK) || access(obj, R_OK)) {
		harness_fail(&h, "xdp attach between namespaces", "no %s or %s", skep, obj);
		return harness_exit(&h);
	}
	snprintf(ns_a, sizeof(ns_a), "skep-test-%d-a", pid_n);
	snprintf(ns_m, sizeof(ns_m), "skep-test-%d-m", pid_n);
	snprintf(ns_b, sizeof(ns_b), "skep-test-%d-b", pid_n);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	alarm(60);
	made = 1;
	if (sh("set -e; ip netns add %1$s; ip netns add %2$s; ip netns add %3$s;"
	       "ip link add sa%4$d netns %1$s type veth peer name sma%4$d netns %2$s;"
	       "ip link add sb%4$d netns %3$s type veth peer name smb%4$d netns %2$s;"
	       "ip -n %1$s addr add 10.231.0.1/24 dev sa%4$d; ip -n %1$s addr add 10.231.0.3/24 dev sa%4$d;"
	       "ip -n %3$s addr add 10.231.0.2/24 dev sb%4$d;"
	       "for n in %1$s %2$s %3$s; do ip -n $n link set lo up; done;"
	       /* no GSO super-packets: AF_PACKET would hand skep 64 KiB frames that no
	        * interface can send on (a NIC segments them; skep does not) */
	       "ip -n %1$s link set dev sa%4$d gso_max_segs 1 gso_max_size 1514;"
	       "ip -n %3$s link set dev sb%4$d gso_max_segs 1 gso_max_size 1514;"
	       "ip -n %1$s link set sa%4$d up; ip -n %3$s link set sb%4$d up;"
	       "ip -n %2$s link set sma%4$d up; ip -n %2$s link set smb%4$d up;"
	       "ip netns exec %2$s sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
	       ns_a, ns_m, ns_b, pid_n)) {
		harness_fail(&h, "xdp attach between namespaces", "setting up namespaces failed");
		return harness_exit(&h);
	}
	snprintf(outpath, sizeof(outpath), "/tmp/skep-live-%d.json", pid_n);
	skep_pid = fork();
	if (skep_pid == 0) {
		char dev[32], peer[32];
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		snprintf(dev, sizeof(dev), "sma%d", pid_n);
		snprintf(peer, sizeof(peer), "smb%d", pid_n);
		if (fd < 0 || enter_ns(ns_m))
			_exit(6);
		dup2(fd, 1);
		/* port 5001 blocked; 10.231.0.3/32 blocked */
		execl(skep, skep, "xdp", "attach", obj, "--dev", dev, "--peer", peer, "--seconds", "40",
		      "--update", "blocked_ports=1389=01", "--update", "blocked_v4=200000000ae70003=01",
		      "--json", (char *)NULL);
		_exit(7);
	}
	usleep(500000); /* skep opens its rings */
	if (waitpid(skep_pid, NULL, WNOHANG) == skep_pid) {
		harness_fail(&h, "xdp attach between namespaces", "skep xdp attach exited at once");
		return harness_exit(&h);
	}
	if (pipe(rp) || pipe(sp))
		return 1;
	recv_pid = spawn_in(ns_b, receiver, rp[1], 30.0);
	close(rp[1]); /* a child that dies unheard gives EOF, not a hang */
	{
		char c;
		if (read(rp[0], &c, 1) != 1) {
			harness_fail(&h, "xdp attach between namespaces", "receiver did not start");
			return harness_exit(&h);
		}
	}
	send_pid = spawn_in(ns_a, sender_fn, sp[1], 0);
	close(sp[1]);
	if (read(sp[0], &replies, sizeof(replies)) != sizeof(replies))
		replies = -1;
	if (read(rp[0], counts, sizeof(counts)) != sizeof(counts))
		counts[0] = counts[1] = counts[2] = -1;
	waitpid(send_pid, NULL, 0);
	waitpid(recv_pid, NULL, 0);
	kill(skep_pid, SIGTERM);
	waitpid(skep_pid, NULL, 0);
	if ((f = fopen(outpath, "r"))) {
		size_t n = fread(json, 1, sizeof(json) - 1, f);
		json[n] = '\0';
		fclose(f);
	}
	unlink(outpath);
	/* B got every allowed datagram from .1 and none blocked by port or address:
	 * the blocked source's NR_SEND land on port 5000, so 5000 must see exactly NR_SEND. */
	harness_check(&h, counts[0] == NR_SEND, "udp from an allowed address to an allowed port passes",
		      "B received %d of %d (skep: %s)", counts[0], NR_SEND, json);
	harness_check(&h, counts[1] == 0, "udp to a blocked port is dropped",
		      "B received %d, expected 0", counts[1]);
	harness_check(&h, replies >= NR_SEND * 9 / 10, "ping through the bump in the wire",
		      "%d of %d echo requests answered", replies, NR_SEND);
	harness_check(&h, counts[2] == TCP_BYTES, "a TCP stream through the bump in the wire",
		      "B received %d of %d bytes", counts[2], TCP_BYTES);
	{
		const char *d = strstr(json, "\"XDP_DROP\": ");
		long drops = d ? strtol(d + 12, NULL, 10) : -1;
		harness_check(&h, drops >= 2 * NR_SEND, "skep counted the drops",
			      "XDP_DROP %ld, expected >= %d: %s", drops, 2 * NR_SEND, json);
	}
	cleanup();
	return harness_exit(&h);
}
