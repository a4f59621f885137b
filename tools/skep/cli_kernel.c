/* The Linux kernel beside skep (test-run --kernel): the same program loaded
 * with bpf(BPF_PROG_LOAD) and run with BPF_PROG_TEST_RUN.
 *
 * An ELF object goes through libbpf, which creates its maps in the kernel;
 * only the program being tested is loaded.  A raw program (.s/.bin) gets a
 * kernel map for each --map, with the skep map's type, sizes, flags and
 * contents, and its lddw map references rewritten to those maps' fds.
 * Kernel maps are printed by copying them into scratch skep maps, so both
 * sides print alike. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "skep/hooks.h"

static int cli_kernel_copy_map(struct skep_map *m, int fd)
{
	struct skep_map_info in;
	uint8_t *key, *prev, *val;
	int n = 0, err = 0;

	skep_map_info(m, &in);
	if (!in.key_size)
		return 0;
	key = calloc(1, in.key_size);
	prev = calloc(1, in.key_size);
	val = calloc(1, in.user_value_size + 8);
	if (!key || !prev || !val)
		err = -ENOMEM;
	while (!err && !skep_map_get_next_key(m, n ? prev : NULL, key)) {
		memcpy(prev, key, in.key_size);
		n++;
		if (skep_map_lookup(m, key, val))
			continue;
		if (bpf_map_update_elem(fd, key, val, BPF_ANY))
			err = -errno;
	}
	free(key);
	free(prev);
	free(val);
	return err;
}

/* A raw program: kernel twins of its maps, and its lddw rewritten. */
static int cli_kernel_load_raw(const struct cli_program *p, uint32_t type, struct cli_kprog *k)
{
	struct bpf_insn *insns = malloc(p->len * sizeof(*insns));
	char *log = malloc(1 << 20);
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = 1 << 20, .log_level = 0);
	int err = 0;

	if (!insns || !log) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(insns, p->insns, p->len * sizeof(*insns));
	for (size_t i = 0; i < p->nr_maps && !err; i++) {
		struct skep_map_info in;
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = 0);
		skep_map_info(p->maps[i], &in);
		mo.map_flags = in.flags;
		k->map_fds[i] = bpf_map_create(in.type, in.name, in.key_size, in.value_size,
					       in.max_entries, &mo);
		if (k->map_fds[i] < 0) {
			err = -errno;
			fprintf(stderr, "skep: --kernel: the kernel refused map %zu (%s): %s\n", i,
				p->map_names[i], strerror(errno));
			break;
		}
		k->nr_maps = i + 1;
		if ((err = cli_kernel_copy_map(p->maps[i], k->map_fds[i])))
			fprintf(stderr, "skep: --kernel: copying map %s: %s\n", p->map_names[i],
				strerror(-err));
	}
	for (size_t i = 0; i + 1 < p->len && !err; i++) {
		struct bpf_insn *in = &insns[i];
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX ||
		    in->src_reg == BPF_PSEUDO_MAP_VALUE || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
			if (in->imm < 0 || (size_t)in->imm >= k->nr_maps) {
				fprintf(stderr, "skep: --kernel: insn %zu names map %d of %zu\n", i,
					in->imm, k->nr_maps);
				err = -EINVAL;
				break;
			}
			in->imm = k->map_fds[in->imm];
			in->src_reg = in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX
					      ? BPF_PSEUDO_MAP_FD
					      : BPF_PSEUDO_MAP_VALUE;
		}
		i++;
	}
	if (!err) {
		k->fd = bpf_prog_load(type, "skep", "GPL", insns, p->len, &lo);
		if (k->fd < 0) {
			err = -errno;
			lo.log_level = 1;
			if (bpf_prog_load(type, "skep", "GPL", insns, p->len, &lo) < 0)
				fprintf(stderr, "skep: --kernel: the kernel refused the program: %s\n%s",
					strerror(-err), log);
		}
	}
out:
	free(insns);
	free(log);
	return err;
}

/* An object: libbpf loads it, with only this program. */
static int cli_kernel_load_obj(const char *spec, const struct cli_program *p, uint32_t type,
			       struct cli_kprog *k)
{
	char path[4096];
	const char *colon = strrchr(spec, ':');
	struct bpf_program *prog, *mine = NULL;
	struct bpf_map *map;
	int err;

	snprintf(path, sizeof(path), "%.*s",
		 colon && colon - spec >= 2 && !strncmp(colon - 2, ".o", 2) ? (int)(colon - spec)
									   : (int)strlen(spec),
		 spec);
	k->obj = bpf_object__open_file(path, NULL);
	if (!k->obj) {
		err = -errno;
		fprintf(stderr, "skep: --kernel: libbpf cannot open %s: %s\n", path, strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, k->obj) {
		int me = !strcmp(bpf_program__name(prog), p->name);
		bpf_program__set_autoload(prog, me);
		if (me) {
			mine = prog;
			bpf_program__set_type(prog, type);
		}
	}
	if (!mine) {
		fprintf(stderr, "skep: --kernel: libbpf finds no program %s in %s\n", p->name, path);
		return -ENOENT;
	}
	if ((err = bpf_object__load(k->obj))) {
		fprintf(stderr, "skep: --kernel: the kernel refused %s: %s\n", path, strerror(-err));
		return err;
	}
	k->fd = bpf_program__fd(mine);
	/* The maps in skep's order, matched by name (libbpf prefixes .rodata & co
	 * with the object's name). */
	for (size_t i = 0; i < p->nr_maps && i < CLI_MAX_KMAPS; i++) {
		k->map_fds[i] = -1;
		bpf_object__for_each_map(map, k->obj) {
			const char *n = bpf_map__name(map), *want = p->map_names[i];
			size_t ln = strlen(n), lw = strlen(want);
			if (!strcmp(n, want) ||
			    (want[0] == '.' && ln >= lw && !strcmp(n + ln - lw, want)))
				k->map_fds[i] = bpf_map__fd(map);
		}
		k->nr_maps = i + 1;
	}
	return 0;
}

int cli_kernel_available(char *why, size_t why_size)
{
	static const struct bpf_insn ret0[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	uint8_t pkt[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
	int fd, err;

	libbpf_set_print(NULL);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "skep", "GPL", ret0, 2, NULL);
	if (fd < 0) {
		err = errno;
		snprintf(why, why_size, "the kernel's bpf() refuses to load a program (%s)%s",
			 strerror(err),
			 err == EPERM || err == EACCES ? "; it needs root or CAP_BPF" : "");
		return 0;
	}
	err = bpf_prog_test_run_opts(fd, &o) ? errno : 0;
	close(fd);
	if (err) {
		snprintf(why, why_size, "BPF_PROG_TEST_RUN is not available (%s)", strerror(err));
		return 0;
	}
	return 1;
}

int cli_kernel_load(const char *spec, const struct cli_program *p, uint32_t type,
		    struct cli_kprog *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	libbpf_set_print(NULL);
	return p->obj ? cli_kernel_load_obj(spec, p, type, k) : cli_kernel_load_raw(p, type, k);
}

int cli_kernel_test_run(struct cli_kprog *k, struct skep_test_run_opts *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = t->data_in, .data_size_in = t->data_size_in,
		    .data_out = t->data_out, .data_size_out = t->data_size_out, .ctx_in = t->ctx_in,
		    .ctx_size_in = t->ctx_size_in, .ctx_out = t->ctx_out,
		    .ctx_size_out = t->ctx_size_out, .repeat = t->repeat);
	int err = bpf_prog_test_run_opts(k->fd, &o) ? -errno : 0;

	t->retval = o.retval;
	t->data_size_out = o.data_size_out;
	t->ctx_size_out = o.ctx_size_out;
	t->ns_per_run = o.duration;
	return err;
}

/* One kernel map as skep prints maps: copied into a scratch skep map. */
static void cli_kernel_print_map(int fd, const char *name, int json)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);
	struct skep_map_attr a = {.sz = sizeof(a)};
	struct skep_map *m = NULL;
	uint8_t *key = NULL, *prev = NULL, *val = NULL;
	int n = 0;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf(json ? "[]" : "  (no such map in the kernel)\n");
		return;
	}
	a.type = info.type;
	a.key_size = info.key_size;
	a.value_size = info.value_size;
	a.max_entries = info.max_entries;
	a.flags = info.map_flags & ~(uint32_t)BPF_F_RDONLY_PROG;
	a.nr_cpus = (uint32_t)libbpf_num_possible_cpus();
	if (skep_map_create(&a, &m) || !info.key_size) {
		printf(json ? "[]" : "  (cannot show a %s map)\n", cli_map_type_name(info.type));
		skep_map_free(m);
		return;
	}
	key = calloc(1, info.key_size);
	prev = calloc(1, info.key_size);
	val = calloc(a.nr_cpus ? a.nr_cpus : 1, (info.value_size + 7) & ~7u);
	while (key && prev && val && !bpf_map_get_next_key(fd, n ? prev : NULL, key)) {
		memcpy(prev, key, info.key_size);
		n++;
		if (!bpf_map_lookup_elem(fd, key, val))
			skep_map_update(m, key, val, BPF_ANY);
	}
	if (cli_map_dump(stdout, m, name, json, 0) && json)
		printf("[]");
	free(key);
	free(prev);
	free(val);
	skep_map_free(m);
}

void cli_kernel_print_maps(const struct cli_kprog *k, const struct cli_program *p, int json)
{
	if (json)
		printf(", \"maps\": {");
	for (size_t i = 0; i < k->nr_maps; i++) {
		if (json)
			printf("%s\"%s\": ", i ? ", " : "", p->map_names[i]);
		else
			printf("kernel map %zu (%s):\n", i, p->map_names[i]);
		cli_kernel_print_map(k->map_fds[i], p->map_names[i], json);
	}
	if (json)
		printf("}");
}

void cli_kernel_close(struct cli_kprog *k)
{
	if (k->obj) {
		bpf_object__close(k->obj);
	} else {
		if (k->fd >= 0)
			close(k->fd);
		for (size_t i = 0; i < k->nr_maps; i++)
			if (k->map_fds[i] >= 0)
				close(k->map_fds[i]);
	}
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}
