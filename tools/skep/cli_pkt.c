/* test-run on packets: a program of a packet type (XDP, tc, socket filter)
 * run as BPF_PROG_TEST_RUN on --data (one packet) or on every packet of
 * --pcap, in skep and, with --kernel, in the Linux kernel beside it.
 *
 * JSON: the object ARCHITECTURE.md gives (retval, runs, ns_per_run, data_out,
 * maps with --dump-maps), for the one packet or for the last of a capture;
 * "ctx_out" (hex) when --ctx was given; with --pcap a "packets" list of
 * {"retval", "ns_per_run", "data_out"} (or {"error"}) per packet; with
 * --kernel a "kernel" object of the same fields.  Exit status 1 when a run
 * failed or skep and the kernel disagree.
 *
 * Its pieces serve skep bench too: the packets of --data/--pcap with the
 * --ctx bytes (cli_pkt_input_load), one test run of a packet in skep or the
 * kernel (cli_pkt_run_one) and the comparison of two results. */
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "skep/hooks.h"

int cli_is_packet_type(uint32_t t)
{
	return t == BPF_PROG_TYPE_XDP || t == BPF_PROG_TYPE_SCHED_CLS ||
	       t == BPF_PROG_TYPE_SCHED_ACT || t == BPF_PROG_TYPE_SOCKET_FILTER;
}

const char *cli_pkt_action_name(uint32_t type, uint32_t v)
{
	const char *n = type == BPF_PROG_TYPE_XDP ? skep_xdp_action_name(v)
		      : type == BPF_PROG_TYPE_SOCKET_FILTER ? NULL
							      : skep_tc_action_name((int32_t)v);
	return n ? n : "";
}

void cli_pkt_run_one(const struct cli_pkt_run *r, struct skep_prog *prog, struct cli_kprog *k,
		     const struct cli_packet *pk, const uint8_t *ctx, uint32_t ctx_len,
		     struct cli_pkt_res *res)
{
	uint8_t ctx_in[256];
	char log[1024] = "";
	struct skep_test_run_opts t = {
		.sz = sizeof(t), .prog_type = r->type, .data_in = pk->data, .data_size_in = pk->len,
		.data_out = res->out, .data_size_out = CLI_PKT_OUT_MAX,
		.repeat = (uint32_t)r->repeat, .mode = r->mode, .log_buf = log,
		.log_size = sizeof(log), .insn_budget = r->budget,
	};

	if (ctx) {
		memcpy(ctx_in, ctx, ctx_len);
		/* An XDP context's data_end is the packet's size: follow each packet. */
		if (r->type == BPF_PROG_TYPE_XDP && ctx_len >= sizeof(struct xdp_md))
			((struct xdp_md *)ctx_in)->data_end = pk->len;
		t.ctx_in = ctx_in;
		t.ctx_size_in = ctx_len;
		t.ctx_out = res->ctx;
		t.ctx_size_out = sizeof(res->ctx);
	}
	res->err = k ? cli_kernel_test_run(k, &t) : skep_prog_test_run(prog, &t);
	if (res->err && !k && log[0] && !r->pcap)
		fprintf(stderr, "skep: %s", log);
	res->retval = t.retval;
	res->ns = t.ns_per_run;
	res->out_len = t.data_size_out > CLI_PKT_OUT_MAX ? CLI_PKT_OUT_MAX : t.data_size_out;
	res->ctx_len = ctx ? (t.ctx_size_out > sizeof(res->ctx) ? sizeof(res->ctx) : t.ctx_size_out)
			   : 0;
}

int cli_pkt_same(const struct cli_pkt_res *a, const struct cli_pkt_res *b)
{
	if (a->err || b->err)
		return a->err == b->err;
	return a->retval == b->retval && a->out_len == b->out_len &&
	       !memcmp(a->out, b->out, a->out_len) && a->ctx_len == b->ctx_len &&
	       !memcmp(a->ctx, b->ctx, a->ctx_len);
}

static void pkt_print_hex(const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", d[i]);
}

/* The fields of one result, inside a JSON object. */
static void pkt_json_fields(const struct cli_pkt_res *s, int with_runs, unsigned long runs)
{
	if (s->err) {
		printf("\"error\": \"%s\"", strerror(-s->err));
		return;
	}
	printf("\"retval\": %" PRIu32 ", ", s->retval);
	if (with_runs)
		printf("\"runs\": %lu, ", runs);
	printf("\"ns_per_run\": %.1f, \"data_out\": \"", s->ns);
	pkt_print_hex(s->out, s->out_len);
	printf("\"");
	if (s->ctx_len) {
		printf(", \"ctx_out\": \"");
		pkt_print_hex(s->ctx, s->ctx_len);
		printf("\"");
	}
}

static void pkt_json_side(const struct cli_pkt_run *r, struct cli_pkt_res *all, size_t n,
			  const struct cli_program *p, const struct cli_kprog *k)
{
	pkt_json_fields(&all[n - 1], 1, r->repeat);
	if (r->dump_maps) {
		if (k)
			cli_kernel_print_maps(k, p, 1);
		else
			cli_program_print_maps(p, 1);
	}
	if (r->pcap) {
		printf(", \"packets\": [");
		for (size_t i = 0; i < n; i++) {
			printf("%s{", i ? ", " : "");
			pkt_json_fields(&all[i], 0, 0);
			printf("}");
		}
		printf("]");
	}
}

static void pkt_text_one(const struct cli_pkt_run *r, const struct cli_pkt_res *s,
			 const char *pfx)
{
	if (s->err) {
		printf("%serror: %s\n", pfx, strerror(-s->err));
		return;
	}
	printf("%sretval: %" PRIu32 " (0x%" PRIx32 ")%s%s\n%sruns: %lu\n%sns/run: %.1f\n%sdata_out: ",
	       pfx, s->retval, s->retval, *cli_pkt_action_name(r->type, s->retval) ? " " : "",
	       cli_pkt_action_name(r->type, s->retval), pfx, r->repeat, pfx, s->ns, pfx);
	pkt_print_hex(s->out, s->out_len);
	printf("\n");
	if (s->ctx_len) {
		printf("%sctx_out: ", pfx);
		pkt_print_hex(s->ctx, s->ctx_len);
		printf("\n");
	}
}

static void pkt_text_line(const struct cli_pkt_run *r, size_t i, const struct cli_packet *pk,
			  const struct cli_pkt_res *s, const struct cli_pkt_res *kr)
{
	printf("%zu: ", i + 1);
	if (s->err)
		printf("error: %s", strerror(-s->err));
	else
		printf("%s%s%" PRIu32 "  %u -> %u bytes  %.1f ns",
		       cli_pkt_action_name(r->type, s->retval),
		       *cli_pkt_action_name(r->type, s->retval) ? " " : "retval ", s->retval,
		       pk->len, s->out_len, s->ns);
	if (kr)
		printf("  | kernel: %s", cli_pkt_same(s, kr) ? "same" : "DIFFERENT");
	if (kr && !cli_pkt_same(s, kr)) {
		if (kr->err)
			printf(" (error: %s)", strerror(-kr->err));
		else
			printf(" (%s retval %" PRIu32 ", %u bytes)",
			       cli_pkt_action_name(r->type, kr->retval), kr->retval, kr->out_len);
	}
	printf("\n");
}

int cli_pkt_input_load(const struct cli_pkt_run *r, struct cli_pkt_input *in)
{
	*in = (struct cli_pkt_input){0};
	if (r->pcap) {
		if (cli_pcap_load(r->pcap, &in->pk, &in->n))
			return CLI_USAGE;
	} else if (r->data) {
		size_t len;
		in->pk = calloc(1, sizeof(*in->pk));
		if (!in->pk || !(in->pk->data = cli_read_file(r->data, &len)))
			return CLI_USAGE;
		in->pk->len = (uint32_t)len;
		in->n = 1;
	} else {
		fprintf(stderr, "skep: a %s program runs on --data FILE or --pcap FILE\n",
			cli_prog_type_name(r->type));
		return CLI_USAGE;
	}
	if (!in->n) {
		fprintf(stderr, "skep: %s: no packets\n", r->pcap);
		return CLI_USAGE;
	}
	if (r->ctx && !(in->ctx = cli_read_file(r->ctx, &in->ctx_len)))
		return CLI_USAGE;
	if (in->ctx_len > 256) {
		fprintf(stderr, "skep: %s: a context is at most 256 bytes\n", r->ctx);
		return CLI_USAGE;
	}
	return 0;
}

void cli_pkt_input_free(struct cli_pkt_input *in)
{
	cli_packets_free(in->pk, in->n);
	free(in->ctx);
	*in = (struct cli_pkt_input){0};
}

int cli_test_run_packets(const struct cli_pkt_run *r, struct cli_program *p,
			 struct skep_prog *prog)
{
	struct cli_pkt_input in;
	struct cli_packet *pk;
	size_t n, nsame = 0;
	struct cli_pkt_res *sr = NULL, *kr = NULL;
	struct cli_kprog k = {.fd = -1};
	int rc = CLI_USAGE, failed = 0;

	if (cli_pkt_input_load(r, &in))
		goto out;
	pk = in.pk;
	n = in.n;
	if (r->kernel && cli_kernel_load(r->spec, p, r->type, &k)) {
		rc = CLI_NEGATIVE;
		goto out;
	}
	sr = calloc(n, sizeof(*sr));
	kr = r->kernel ? calloc(n, sizeof(*kr)) : NULL;
	if (!sr || (r->kernel && !kr))
		goto out;
	for (size_t i = 0; i < n; i++) {
		sr[i].out = malloc(CLI_PKT_OUT_MAX);
		if (kr)
			kr[i].out = malloc(CLI_PKT_OUT_MAX);
		if (!sr[i].out || (kr && !kr[i].out))
			goto out;
		cli_pkt_run_one(r, prog, NULL, &pk[i], in.ctx, (uint32_t)in.ctx_len, &sr[i]);
		if (kr) {
			cli_pkt_run_one(r, prog, &k, &pk[i], in.ctx, (uint32_t)in.ctx_len, &kr[i]);
			nsame += cli_pkt_same(&sr[i], &kr[i]);
		}
		failed |= !r->pcap && sr[i].err;
	}
	if (r->json) {
		printf("{");
		pkt_json_side(r, sr, n, p, NULL);
		if (kr) {
			printf(", \"kernel\": {");
			pkt_json_side(r, kr, n, p, &k);
			printf("}");
		}
		printf("}\n");
	} else if (!r->pcap) {
		pkt_text_one(r, &sr[0], "");
		if (r->dump_maps)
			cli_program_print_maps(p, 0);
		if (kr) {
			printf("kernel: %s\n",
			       cli_pkt_same(&sr[0], &kr[0]) ? "same result" : "DIFFERENT");
			pkt_text_one(r, &kr[0], "  ");
			if (r->dump_maps)
				cli_kernel_print_maps(&k, p, 0);
		}
	} else {
		for (size_t i = 0; i < n; i++)
			pkt_text_line(r, i, &pk[i], &sr[i], kr ? &kr[i] : NULL);
		if (kr)
			printf("%zu packets, %zu the same in skep and the kernel\n", n, nsame);
		if (r->dump_maps)
			cli_program_print_maps(p, 0);
		if (r->dump_maps && kr)
			cli_kernel_print_maps(&k, p, 0);
	}
	rc = failed || (kr && nsame != n) ? CLI_NEGATIVE : CLI_OK;
out:
	for (size_t i = 0; i < in.n; i++) {
		if (sr)
			free(sr[i].out);
		if (kr)
			free(kr[i].out);
	}
	cli_pkt_input_free(&in);
	free(sr);
	free(kr);
	cli_kernel_close(&k);
	return rc;
}
