/* Shared pieces of the skep command line: subcommand table, reading
 * programs from files, exit codes. */
#ifndef SKEP_CLI_H
#define SKEP_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "skep/maps.h"
#include "skep/skep.h"

/* Exit codes of every subcommand (ARCHITECTURE.md). */
enum { CLI_OK = 0, CLI_NEGATIVE = 1, CLI_USAGE = 2 };

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_test_run(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_seccomp(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Instructions of PROG: FILE.s (assembled), FILE.bin (raw slots).  Returns 0
 * or prints the reason to stderr and returns CLI_USAGE. *insns is malloc'd. */
int cli_read_program(const char *path, struct skep_insn **insns, size_t *len);
/* A whole file; NULL (with a message on stderr) on error. */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Hex string of bytes, malloc'd. */
char *cli_hex(const uint8_t *data, size_t len);
/* A JSON string of text (quotes and backslashes escaped, controls dropped). */
void cli_print_json_string(FILE *f, const char *text);
/* Does `s` end with `suffix`? */
int cli_has_suffix(const char *s, const char *suffix);

/* Maps (cli_maps.c).  Type names are the kernel's without the prefix ("hash"). */
struct skep_map;
const char *cli_map_type_name(uint32_t type);
int cli_map_type_parse(const char *s, uint32_t *type);
/* Exactly `size` bytes from hex ("0a 00", "0x0a00") or "u32:N"; 0 or -EINVAL. */
int cli_parse_bytes(const char *s, uint8_t *out, size_t size);
/* Every element of a map with keys: text, a JSON list, or a log2 histogram. */
int cli_map_dump(FILE *f, struct skep_map *map, const char *name, int json, int hist);
/* The BTF types of a map's key and value (cli_btf.c), where known. */
struct btf;
struct cli_map_types {
	struct btf *btf; /* NULL: unknown, hex only */
	uint32_t key, value;
	int owned; /* btf is freed by cli_map_types_free */
};
/* cli_map_dump, with each element also printed as typed fields where t knows
 * its types: in text after the hex, in JSON as "formatted": {"key", "value"}. */
int cli_map_dump_typed(FILE *f, struct skep_map *map, const char *name, int json, int hist,
		       const struct cli_map_types *t);
/* The types kept beside a pinned map: 0, or -ENOENT when it has none. */
int cli_map_types_pinned(const char *name, struct cli_map_types *t);
void cli_map_types_free(struct cli_map_types *t);
/* The bytes as their BTF type prints them (malloc'd), or NULL. */
char *cli_btf_string(const struct btf *btf, uint32_t type_id, const void *data, size_t size);
/* A --map option: a pinned NAME, or TYPE:KEY_SIZE:VALUE_SIZE:MAX[:NAME] for a new
 * map; `name` gets what to call it.  Prints why on failure. */
int cli_map_open(const char *spec, struct skep_map **out, char *name, size_t name_size);
/* The maps of a program run (test-run --map, --dump-maps): map i is lddw index i. */
#define CLI_MAX_MAPS 16
struct cli_maps {
	struct skep_map *maps[CLI_MAX_MAPS];
	char names[CLI_MAX_MAPS][64];
	size_t n;
	int dump; /* print them after the run */
};
int cli_maps_add(struct cli_maps *cm, const char *spec);
/* Text lines, or `, "maps": {...}` to go inside a JSON object; nothing unless dump. */
void cli_maps_print(const struct cli_maps *cm, int json);
void cli_maps_free(struct cli_maps *cm);
/* bpf_trace_printk's lines, to stderr (a skep_trace_fn). */
void cli_trace_line(void *ctx, const char *line, size_t len);

/* Programs (cli_prog.c).  PROG is FILE.s, FILE.bin (maps from --map: the
 * n-th is lddw map index n) or FILE.o[:NAME] (an ELF object: NAME is a
 * function or section; without it the object must hold one program). */
struct skep_object;
struct cli_program {
	const struct skep_insn *insns; /* linked and relocated for objects */
	size_t len;
	uint32_t prog_type;   /* enum bpf_prog_type; BPF_PROG_TYPE_UNSPEC for raw */
	uint32_t attach_type; /* enum bpf_attach_type (objects) */
	const char *name;     /* function name, or the file of a raw program */
	const char *section;  /* ELF section; NULL for raw */
	struct skep_map **maps; /* lddw map index order; not owned for raw */
	const char **map_names;
	size_t nr_maps;
	struct skep_object *obj; /* NULL for raw */
	size_t prog_idx;         /* in obj */
	/* private */
	struct skep_vm *vm;
	struct skep_insn *raw;
	struct skep_prog *loaded;
};
/* 0, or prints why to stderr and returns CLI_USAGE.  extra_maps may be NULL;
 * the program uses (does not own) them and they must outlive it. */
int cli_program_open(const char *spec, struct skep_vm *vm, struct cli_maps *extra_maps,
		     struct cli_program *out);
/* The mode to run p in: the unchecked engines (--interp, --jit) trust the
 * program, so one that skep's verifier does not accept as it will run (as
 * `type` with its context, or raw with raw_mem bytes at r1, or none:
 * SKEP_VERIFY_NO_MEM) runs in the checked engine of the same kind instead, and
 * stderr says why: a bad access is then an error naming the instruction, not
 * a crash.  Checked modes are returned as they are. */
enum skep_exec_mode cli_program_safe_mode(const struct cli_program *p, uint32_t type,
					  size_t raw_mem, enum skep_exec_mode mode);
/* Load (once) with the program's maps; the program stays owned by p. */
int cli_program_load(struct cli_program *p, const struct skep_load_opts *lo,
		     struct skep_prog **out);
/* --rodata NAME=VALUE (hex bytes or u32:N, as cli_parse_bytes), before loading. */
int cli_program_set_rodata(struct cli_program *p, const char *spec);
/* The maps as cli_maps_print prints them (text, or `, "maps": {...}`). */
void cli_program_print_maps(const struct cli_program *p, int json);
/* "  FILE.o:NAME  (section S, type T)" per program of obj. */
void cli_program_list(FILE *f, const struct skep_object *obj, const char *path);
void cli_program_close(struct cli_program *p);
/* skep disasm --jited (cli_jited.c): the native code under each instruction. */
int cli_print_jited(struct skep_prog *prog, int checked, int raw);
/* Program types by bpftool's names (xdp, sched_cls or tc, socket_filter or
 * socket, kprobe, tracepoint, raw_tracepoint, ...): 0 or -ENOENT. */
int cli_prog_type_parse(const char *name, uint32_t *type);
const char *cli_prog_type_name(uint32_t type);

/* Setting a run up as test-run and bench do (cli_run.c): PROG and the
 * options both take, the program opened with its maps and --rodata, loaded,
 * and its type decided. */
struct cli_run_spec {
	const char *prog;
	const char *mem;                      /* --mem: read by the caller */
	const char *type, *data, *pcap, *ctx; /* --type, --data, --pcap, --ctx */
	const char *rodata[16];               /* --rodata NAME=VALUE */
	size_t nr_rodata;
};
/* The options of a cli_run_spec, for a getopt_long table (--map is each
 * command's own: test-run opens maps as it parses, bench per instance). */
/* clang-format off */
#define CLI_RUN_OPTIONS \
	{"mem", required_argument, NULL, 'm'},  {"rodata", required_argument, NULL, 'R'}, \
	{"type", required_argument, NULL, 'T'}, {"data", required_argument, NULL, 'd'},   \
	{"pcap", required_argument, NULL, 'P'}, {"ctx", required_argument, NULL, 'x'}
/* clang-format on */
/* An option's value: 1 when c is one of CLI_RUN_OPTIONS, 0 when it is not,
 * -1 when its value is refused (printed). */
int cli_run_option(struct cli_run_spec *s, int c, const char *arg);
struct cli_run {
	struct cli_program p;
	struct skep_prog *prog; /* owned by p */
	uint32_t type;          /* --type, else the object's */
	int packets;            /* runs as BPF_PROG_TEST_RUN on --data or --pcap */
};
/* Open PROG with maps (may be NULL), set its --rodata, load it: 0, CLI_USAGE
 * or CLI_NEGATIVE (rejected), the reason printed. */
int cli_run_open(const struct cli_run_spec *s, struct skep_vm *vm, struct cli_maps *maps,
		 struct cli_run *r);
/* The program's type, and whether it runs on packets (--data/--pcap checked
 * against it): 0 or CLI_USAGE, the reason printed. */
int cli_run_kind(const struct cli_run_spec *s, struct cli_run *r);
void cli_run_close(struct cli_run *r);
/* skep_run_opts for a program on --mem: r1 = mem, r2 = its length, the one
 * writable region "mem" (none without mem), LD_ABS reading it. */
void cli_mem_run_opts(struct skep_run_opts *ro, struct skep_region *region, uint8_t *mem,
		      size_t mem_len, enum skep_exec_mode mode, uint64_t budget, char *log,
		      size_t log_size);
/* The calling thread's CPU time in ns (what skep_prog_test_run times with). */
double cli_thread_ns(void);

/* Packet programs (cli_pkt.c, cli_kernel.c, cmd_xdp.c). */
struct skep_test_run_opts;
struct bpf_object;
/* Captures (cli_pcap.c): every packet of a pcap/pcapng file of Ethernet frames. */
struct cli_packet {
	uint8_t *data;
	uint32_t len, wire_len;
	uint64_t ts_sec, ts_usec;
};
int cli_pcap_load(const char *path, struct cli_packet **out, size_t *n);
void cli_packets_free(struct cli_packet *p, size_t n);
struct cli_pcap_out;
struct cli_pcap_out *cli_pcap_create(const char *path);
/* Write data as the packet `meta` became (its timestamp). */
void cli_pcap_write(struct cli_pcap_out *o, const struct cli_packet *meta, const uint8_t *data,
		    uint32_t len);
void cli_pcap_close(struct cli_pcap_out *o);
/* Does the type run on packets (XDP, SCHED_CLS, SCHED_ACT, SOCKET_FILTER)? */
int cli_is_packet_type(uint32_t type);
/* test-run on packets: --data FILE (one packet) or --pcap FILE (each one). */
struct cli_pkt_run {
	const char *spec; /* PROG as given */
	const char *data, *pcap, *ctx;
	uint32_t type;
	unsigned long repeat;
	enum skep_exec_mode mode;
	uint64_t budget; /* checked modes; 0: the default */
	int json, kernel, dump_maps;
};
int cli_test_run_packets(const struct cli_pkt_run *r, struct cli_program *p,
			 struct skep_prog *prog);
/* The packets of r's --data or --pcap and its --ctx bytes: 0 or CLI_USAGE (printed). */
struct cli_pkt_input {
	struct cli_packet *pk;
	size_t n;
	uint8_t *ctx;
	size_t ctx_len;
};
int cli_pkt_input_load(const struct cli_pkt_run *r, struct cli_pkt_input *in);
void cli_pkt_input_free(struct cli_pkt_input *in);
/* One BPF_PROG_TEST_RUN of a packet, r->repeat times in r->mode: in skep
 * (k NULL) or in the kernel.  res->out must hold CLI_PKT_OUT_MAX bytes. */
#define CLI_PKT_OUT_MAX 65536
struct cli_pkt_res {
	int err;
	uint32_t retval;
	double ns;
	uint8_t *out;
	uint32_t out_len;
	uint8_t ctx[256];
	uint32_t ctx_len;
};
struct cli_kprog;
void cli_pkt_run_one(const struct cli_pkt_run *r, struct skep_prog *prog, struct cli_kprog *k,
		     const struct cli_packet *pk, const uint8_t *ctx, uint32_t ctx_len,
		     struct cli_pkt_res *res);
/* Same error, or same retval, data_out and ctx_out? */
int cli_pkt_same(const struct cli_pkt_res *a, const struct cli_pkt_res *b);
/* "XDP_PASS", "TC_ACT_SHOT"... for the type, or "" for a value with no name. */
const char *cli_pkt_action_name(uint32_t type, uint32_t v);
/* The same program in the Linux kernel (--kernel). */
#define CLI_MAX_KMAPS 64
struct cli_kprog {
	int fd;
	struct bpf_object *obj; /* objects: libbpf's */
	int map_fds[CLI_MAX_KMAPS];
	size_t nr_maps;
};
/* Can this process load and test-run programs in the kernel?  1, or 0 with
 * the reason in why. */
int cli_kernel_available(char *why, size_t why_size);
int cli_kernel_load(const char *spec, const struct cli_program *p, uint32_t type,
		    struct cli_kprog *k);
/* BPF_PROG_TEST_RUN with t's data, ctx and repeat: fills retval, data_size_out,
 * ctx_size_out and ns_per_run; 0 or -errno. */
int cli_kernel_test_run(struct cli_kprog *k, struct skep_test_run_opts *t);
void cli_kernel_print_maps(const struct cli_kprog *k, const struct cli_program *p, int json);
void cli_kernel_close(struct cli_kprog *k);
int cmd_xdp(int argc, char **argv);

#endif
