/* Setting a program run up, as test-run and bench both do: the options that
 * say what runs on what (--mem, --rodata, --type, --data, --pcap, --ctx),
 * opening and loading PROG, deciding its type and whether it runs on
 * packets, and the run options of a program on plain memory. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_run_option(struct cli_run_spec *s, int c, const char *arg)
{
	switch (c) {
	case 'm':
		s->mem = arg;
		return 1;
	case 'R':
		if (s->nr_rodata == sizeof(s->rodata) / sizeof(s->rodata[0])) {
			fprintf(stderr, "skep: too many --rodata options\n");
			return -1;
		}
		s->rodata[s->nr_rodata++] = arg;
		return 1;
	case 'T':
		s->type = arg;
		return 1;
	case 'd':
		s->data = arg;
		return 1;
	case 'P':
		s->pcap = arg;
		return 1;
	case 'x':
		s->ctx = arg;
		return 1;
	default:
		return 0;
	}
}

int cli_run_open(const struct cli_run_spec *s, struct skep_vm *vm, struct cli_maps *maps,
		 struct cli_run *r)
{
	char log[4096] = "";
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};

	*r = (struct cli_run){0};
	if (cli_program_open(s->prog, vm, maps, &r->p))
		return CLI_USAGE;
	for (size_t i = 0; i < s->nr_rodata; i++)
		if (cli_program_set_rodata(&r->p, s->rodata[i]))
			return CLI_USAGE;
	if (cli_program_load(&r->p, &lo, &r->prog)) {
		fprintf(stderr, "skep: %s: program rejected:\n%s", s->prog, log);
		return CLI_NEGATIVE;
	}
	return 0;
}

int cli_run_kind(const struct cli_run_spec *s, struct cli_run *r)
{
	if (s->type && cli_prog_type_parse(s->type, &r->type)) {
		fprintf(stderr, "skep: --type %s: no such program type\n", s->type);
		return CLI_USAGE;
	}
	if (!s->type)
		r->type = r->p.prog_type;
	r->packets = s->data || s->pcap || cli_is_packet_type(r->type);
	if (!r->packets)
		return 0;
	if (s->data && s->pcap) {
		fprintf(stderr, "skep: --data and --pcap: one or the other\n");
		return CLI_USAGE;
	}
	if (!cli_is_packet_type(r->type)) {
		fprintf(stderr,
			"skep: --data/--pcap run packet programs (xdp, tc, "
			"socket_filter); %s is %s\n",
			s->prog, cli_prog_type_name(r->type));
		return CLI_USAGE;
	}
	return 0;
}

void cli_run_close(struct cli_run *r)
{
	cli_program_close(&r->p);
	*r = (struct cli_run){0};
}

void cli_mem_run_opts(struct skep_run_opts *ro, struct skep_region *region, uint8_t *mem,
		      size_t mem_len, enum skep_exec_mode mode, uint64_t budget, char *log,
		      size_t log_size)
{
	*region = (struct skep_region){mem, mem_len, 1, "mem"};
	*ro = (struct skep_run_opts){
		.sz = sizeof(*ro),
		.args = {(uint64_t)(uintptr_t)mem, mem_len},
		.regions = region,
		.nr_regions = mem ? 1 : 0,
		.packet = mem,
		.packet_len = mem_len,
		.mode = mode,
		.insn_budget = budget,
		.log_buf = log,
		.log_size = log_size,
	};
}

/* The thread's CPU time, not the wall clock: the kernel's test run stops its
 * timer while it yields the CPU, and so time given to other processes is
 * charged to neither side. */
double cli_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}
