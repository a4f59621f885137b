/* The packet subcommands as users and scripts drive them: skep test-run on
 * --data / --pcap with --kernel and --json (the ARCHITECTURE.md object and
 * its "kernel" and "packets" parts), skep xdp run over a capture (output
 * files per verdict, whose packets must be what the kernel's
 * BPF_PROG_TEST_RUN leaves), and usage errors (exit 2).  Runs $SKEP_BUILD/skep. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cbpf/pktgen.h"
#include "../lib/harness.h"

/* libpcap's headers define struct bpf_insn too: only what is needed here. */
int kbpf_available(char *why, size_t why_size);

static const char *build(void)
{
	return getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
}

static int run(const char *args, char *out, size_t size)
{
	char cmd[4096];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/skep %s 2>&1", build(), args);
	if (!(p = popen(cmd, "r")))
		return -1;
	while (n + 1 < size && fgets(out + n, (int)(size - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(struct harness *h, const char *name, const char *args, int code,
		   const char *needle)
{
	static char out[1 << 20];
	int rc = run(args, out, sizeof(out));

	harness_check(h, rc == code && (!needle || strstr(out, needle)), name,
		      "exit %d (want %d), output lacks \"%s\":\n%.2000s", rc, code,
		      needle ? needle : "", out);
}

/* A capture of generated packets (the tunnel's 10.99/16 steered into some). */
static int make_pcap(const char *path, int n)
{
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pc ? pcap_dump_open(pc, path) : NULL;
	struct pktgen g = {77};
	uint8_t pkt[2048];

	if (!d)
		return -1;
	for (int i = 0; i < n; i++) {
		size_t caplen;
		struct pcap_pkthdr hd = {{i, 0}, 0, 0};
		pg_packet(&g, 1, pkt, sizeof(pkt), &caplen);
		if (caplen >= 34 && pkt[12] == 8 && pkt[13] == 0 && pg_chance(&g, 50))
			pkt[30] = 10, pkt[31] = 99;
		hd.caplen = hd.len = (uint32_t)caplen;
		pcap_dump((u_char *)d, &hd, pkt);
	}
	pcap_dump_close(d);
	pcap_close(pc);
	return 0;
}

static int count_pcap(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	struct pcap_pkthdr *hd;
	const u_char *d;
	int n = 0;

	if (!pc)
		return -1;
	while (pcap_next_ex(pc, &hd, &d) == 1)
		n++;
	pcap_close(pc);
	return n;
}

int main(void)
{
	struct harness h = {0};
	char dir[] = "/tmp/skep-hooks-cli-XXXXXX", args[4096], why[256], out[65536];
	char obj_fw[512], obj_tun[512], obj_nat[512];
	static const uint8_t udp[] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10,   0,
		0,    1,    10,   0,    0,    9,    0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00,
		'a',  'b',  'c',  'd'};
	int kernel = kbpf_available(why, sizeof(why)), n_tx, n_pass, rc;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(obj_fw, sizeof(obj_fw), "%s/examples/net/xdp_firewall.bpf.o", build());
	snprintf(obj_tun, sizeof(obj_tun), "%s/examples/net/xdp_tunnel.bpf.o", build());
	snprintf(obj_nat, sizeof(obj_nat), "%s/examples/net/tc_nat.bpf.o", build());
	snprintf(args, sizeof(args), "%s/udp.bin", dir);
	if ((f = fopen(args, "wb"))) {
		fwrite(udp, 1, sizeof(udp), f);
		fclose(f);
	}
	snprintf(args, sizeof(args), "%s/in.pcap", dir);
	make_pcap(args, 400);
	snprintf(args, sizeof(args), "%s/prog.s", dir);
	if ((f = fopen(args, "w"))) {
		fputs("mov %r0, 3\nexit\n", f);
		fclose(f);
	}

	snprintf(args, sizeof(args), "test-run %s --data %s/udp.bin --json", obj_fw, dir);
	expect(&h, "test-run --data --json: the ARCHITECTURE.md object", args, 0,
	       "{\"retval\": 2, \"runs\": 1, \"ns_per_run\": ");
	expect(&h, "test-run --data --json: data_out", args, 0,
	       "\"data_out\": \"00112233445502aabbccddee08004500002000010000401100000a0000010a00000904d20035000c000061626364\"}");
	snprintf(args, sizeof(args), "test-run %s --data %s/udp.bin --repeat 50 --jit", obj_fw, dir);
	expect(&h, "test-run --data text", args, 0, "retval: 2 (0x2) XDP_PASS\nruns: 50\n");
	snprintf(args, sizeof(args), "test-run %s/prog.s --type xdp --data %s/udp.bin --json", dir, dir);
	expect(&h, "test-run raw program --type xdp", args, 0, "{\"retval\": 3, \"runs\": 1,");
	snprintf(args, sizeof(args), "test-run %s --data %s/udp.bin --dump-maps --json", obj_fw, dir);
	expect(&h, "test-run --dump-maps", args, 0, "\"maps\": {\"blocked_v4\": [], ");
	snprintf(args, sizeof(args), "test-run %s --pcap %s/in.pcap --json", obj_fw, dir);
	expect(&h, "test-run --pcap --json: packets list", args, 0, ", \"packets\": [{\"retval\": ");
	snprintf(args, sizeof(args), "test-run %s --pcap %s/in.pcap", obj_nat, dir);
	expect(&h, "test-run --pcap text, a tc program", args, 0, "400: ");
	if (kernel) {
		snprintf(args, sizeof(args), "test-run %s --data %s/udp.bin --kernel --json", obj_fw,
			 dir);
		expect(&h, "test-run --kernel --json", args, 0, ", \"kernel\": {\"retval\": 2, \"runs\": 1, \"ns_per_run\": ");
		snprintf(args, sizeof(args), "test-run %s --pcap %s/in.pcap --kernel", obj_tun, dir);
		expect(&h, "test-run --pcap --kernel: every packet the same (tunnel)", args, 0,
		       "400 packets, 400 the same in skep and the kernel");
		snprintf(args, sizeof(args), "test-run %s --pcap %s/in.pcap --kernel --jit", obj_nat, dir);
		expect(&h, "test-run --pcap --kernel: every packet the same (tc NAT)", args, 0,
		       "400 packets, 400 the same in skep and the kernel");
		snprintf(args, sizeof(args), "test-run %s/prog.s --type xdp --data %s/udp.bin --kernel --json",
			 dir, dir);
		expect(&h, "test-run --kernel, raw program", args, 0, "\"kernel\": {\"retval\": 3, ");
	} else {
		harness_skip(&h, "test-run --kernel", "%s", why);
	}

	/* xdp run: the tunnel TXes encapsulated packets, PASSes the rest; the
	 * output captures hold them as the program left them. */
	snprintf(args, sizeof(args),
		 "xdp run %s --pcap %s/in.pcap --tx %s/tx.pcap --pass %s/pass.pcap --json", obj_tun,
		 dir, dir, dir);
	rc = run(args, out, sizeof(out));
	n_tx = count_pcap(strcat(strcpy(why, dir), "/tx.pcap"));
	n_pass = count_pcap(strcat(strcpy(why, dir), "/pass.pcap"));
	harness_check(&h, rc == 0 && strstr(out, "{\"packets\": 400, \"threads\": 1,") && n_tx > 0 &&
			      n_pass > 0,
		      "xdp run --tx --pass --json", "exit %d, %d tx, %d pass: %.500s", rc, n_tx, n_pass,
		      out);
	{
		char want[128];
		snprintf(want, sizeof(want), "\"XDP_PASS\": %d, \"XDP_TX\": %d,", n_pass, n_tx);
		harness_check(&h, strstr(out, want) != NULL, "xdp run: counts match the output files",
			      "want %s in %.500s", want, out);
	}
	/* Each packet of tx.pcap must be what the kernel's BPF_PROG_TEST_RUN made
	 * of the same input (its data_out less the 4 bytes of metadata). */
	if (kernel) {
		static char js[1 << 22];
		char eb[PCAP_ERRBUF_SIZE];
		const char *k, *pk;
		pcap_t *pc;
		int same = 0, bad = 0;
		snprintf(args, sizeof(args), "test-run %s --pcap %s/in.pcap --kernel --json", obj_tun, dir);
		run(args, js, sizeof(js));
		k = strstr(js, "\"kernel\": {");
		pk = k ? strstr(k, "\"packets\": [") : NULL;
		pc = pcap_open_offline(strcat(strcpy(why, dir), "/tx.pcap"), eb);
		while (pk && pc && (pk = strstr(pk + 1, "{\"retval\": "))) {
			struct pcap_pkthdr *hd;
			const u_char *d;
			const char *hex;
			if (atoi(pk + 11) != 3) /* XDP_TX */
				continue;
			hex = strstr(pk, "\"data_out\": \"") + 13 + 8;
			if (pcap_next_ex(pc, &hd, &d) != 1) {
				bad++;
				break;
			}
			for (uint32_t i = 0; i < hd->caplen; i++) {
				char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
				if (strtoul(b, NULL, 16) != d[i]) {
					bad++;
					break;
				}
			}
			same++;
		}
		if (pc)
			pcap_close(pc);
		harness_check(&h, !bad && same == n_tx, "xdp run: the TX capture is what the kernel makes",
			      "%d packets compared, %d differ, %d in tx.pcap", same, bad, n_tx);
	}
	snprintf(args, sizeof(args), "xdp run %s --pcap %s/in.pcap --threads 3 --drop %s/drop.pcap "
				     "--update blocked_ports=0050=01",
		 obj_fw, dir, dir);
	expect(&h, "xdp run --threads 3 --update", args, 0, "400 packets, 3 threads");

	snprintf(args, sizeof(args), "test-run %s --data %s/none.bin", obj_fw, dir);
	expect(&h, "test-run --data missing file: exit 2", args, 2, NULL);
	snprintf(args, sizeof(args), "test-run %s --data %s/udp.bin --pcap %s/in.pcap", obj_fw, dir,
		 dir);
	expect(&h, "test-run --data and --pcap: exit 2", args, 2, "one or the other");
	snprintf(args, sizeof(args), "xdp run %s", obj_fw);
	expect(&h, "xdp run without --pcap: exit 2", args, 2, NULL);
	snprintf(args, sizeof(args), "xdp run %s --pcap %s/in.pcap", obj_nat, dir);
	expect(&h, "xdp run of a tc program: exit 2", args, 2, "not XDP");
	snprintf(args, sizeof(args), "xdp run %s --pcap %s/in.pcap --update nosuch=00=00", obj_fw, dir);
	expect(&h, "xdp run --update of no such map: exit 2", args, 2, "no map nosuch");

	snprintf(args, sizeof(args), "rm -rf %s", dir);
	if (system(args))
		return 1;
	return harness_exit(&h);
}
