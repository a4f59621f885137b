/* skep verify: run the verifier on a program and say why it is rejected, at
 * which instruction and source line; -v/-vv add the walk's register states. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "skep/object.h"
#include "skep/verifier.h"

struct verify_args {
	const char *prog;
	const char *type;
	int verbose;
	int json;
	size_t mem_size;
	struct cli_maps maps;
};

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: skep verify PROG [--type T] [--map SPEC]... [-v|-vv] [--json]\n\n"
		"Checks that PROG (FILE.s, FILE.bin or FILE.o[:NAME]) is safe to run, with the\n"
		"Linux kernel's rules.  Exit status 0: accepted; 1: rejected; 2: bad input.\n"
		"  --type T      program type: xdp, sched_cls (tc), sched_act, socket_filter,\n"
		"                raw (r1 = memory, r2 = its length); default: the section's\n"
		"                type for objects, raw otherwise\n"
		"  --map SPEC    a map the program refers to (as skep test-run --map)\n"
		"  --mem-size N  raw programs: bytes at r1 (default 65536)\n"
		"  -v, -vv       the walk: register states per instruction (-vv: and stack)\n"
		"  --json        {\"accepted\", \"insns_processed\", \"states\", \"ms\", \"error\"}\n");
}

static int verify_parse(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
		{"type", required_argument, NULL, 't'}, {"map", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},       {"verbose", no_argument, NULL, 'v'},
		{"mem-size", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:m:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->type = optarg; break;
		case 'm':
			if (cli_maps_add(&a->maps, optarg))
				return CLI_USAGE;
			break;
		case 'j': a->json = 1; break;
		case 'v': a->verbose++; break;
		case 's': a->mem_size = strtoul(optarg, NULL, 0); break;
		case 'h': verify_usage(stdout); exit(0);
		default: verify_usage(stderr); return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		verify_usage(stderr);
		return CLI_USAGE;
	}
	a->prog = argv[optind];
	return 0;
}

struct verify_src {
	const struct cli_program *p;
};

static int verify_source_of(void *arg, size_t insn, char *buf, size_t size)
{
	const struct cli_program *p = ((struct verify_src *)arg)->p;
	struct skep_line_info li;

	if (!p->obj || skep_object_prog_line(p->obj, p->prog_idx, insn, &li))
		return -ENOENT;
	const char *file = strrchr(li.file, '/');
	snprintf(buf, size, "%s:%u", file ? file + 1 : li.file, li.line_no);
	return 0;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void verify_print_json(const struct skep_verify_result *r)
{
	printf("{\"accepted\": %s, \"insns_processed\": %llu, \"states\": %llu, \"ms\": %.3f",
	       r->accepted ? "true" : "false", (unsigned long long)r->insns_processed,
	       (unsigned long long)r->states, r->ms);
	if (!r->accepted) {
		printf(", \"error\": {\"insn\": %lld, \"source\": ", (long long)r->error_insn);
		json_string(stdout, r->source);
		printf(", \"message\": ");
		json_string(stdout, r->message);
		printf("}");
	}
	printf("}\n");
}

/* The program's source line for an instruction, when the object has one. */
static void verify_print_line(const struct cli_program *p, int64_t insn)
{
	struct skep_line_info li;

	if (insn < 0 || !p->obj || skep_object_prog_line(p->obj, p->prog_idx, (size_t)insn, &li))
		return;
	if (li.line && *li.line)
		fprintf(stderr, "  source: %s\n", li.line);
}

static int verify_run(struct verify_args *a, struct skep_vm *vm, struct cli_program *p)
{
	uint32_t type = p->prog_type;
	size_t log_size = a->verbose ? 64u << 20 : 1u << 16;
	char *log = malloc(log_size);

	if (!log)
		return CLI_USAGE;
	if (a->type && skep_prog_type_parse(a->type, &type) && cli_prog_type_parse(a->type, &type)) {
		fprintf(stderr, "skep verify: unknown program type '%s'\n", a->type);
		free(log);
		return CLI_USAGE;
	}
	struct verify_src src = {p};
	struct skep_verify_opts o = {
		.sz = sizeof(o), .prog_type = type, .maps = p->maps, .nr_maps = p->nr_maps,
		.log_buf = log, .log_size = log_size, .log_level = a->verbose,
		.source_of = verify_source_of, .source_arg = &src, .raw_mem_size = a->mem_size};
	struct skep_verify_result r;
	int err = skep_verify(vm, p->insns, p->len, &o, &r);
	if (a->json) {
		verify_print_json(&r);
		if (a->verbose)
			fputs(log, stderr);
	} else {
		fputs(log, err ? stderr : stdout);
		if (err)
			verify_print_line(p, r.error_insn);
	}
	free(log);
	if (err == -ENOMEM)
		return CLI_USAGE;
	return err ? CLI_NEGATIVE : CLI_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = {0};
	struct cli_program p;
	int rc = verify_parse(argc, argv, &a);

	if (rc)
		return rc;
	struct skep_vm *vm = skep_vm_new();
	if (!vm) {
		cli_maps_free(&a.maps);
		return CLI_USAGE;
	}
	rc = cli_program_open(a.prog, vm, &a.maps, &p);
	if (!rc) {
		rc = verify_run(&a, vm, &p);
		cli_program_close(&p);
	}
	cli_maps_free(&a.maps);
	skep_vm_free(vm);
	return rc;
}
