/* bpf(2) wrappers for the kernel-differential tests and the benchmarks. */
#include "kernel_bpf.h"

#include <linux/btf.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long kbpf_sys(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int kbpf_available(char *why, size_t why_size)
{
	static const struct bpf_insn ret0[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	uint8_t pkt[64] = {0};
	struct kbpf_run run = {.data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1};
	int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, ret0, 2, NULL, 0);

	if (fd < 0) {
		snprintf(why, why_size, "the kernel's bpf() refuses to load a program (%s); "
					"kernel comparisons need root", strerror(-fd));
		return 0;
	}
	int err = kbpf_prog_test_run(fd, &run);
	close(fd);
	if (err) {
		snprintf(why, why_size, "BPF_PROG_TEST_RUN is not available (%s)", strerror(-err));
		return 0;
	}
	return 1;
}

int kbpf_prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t len,
		   char *log, size_t log_size)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)len;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (log && log_size) {
		log[0] = '\0';
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_size;
		a.log_level = 1;
	}
	fd = kbpf_sys(BPF_PROG_LOAD, &a);
	if (fd < 0 && log && log_size && errno == ENOSPC) {
		/* The log was too small for level 1: retry without it to get the verdict. */
		a.log_buf = 0, a.log_size = 0, a.log_level = 0;
		fd = kbpf_sys(BPF_PROG_LOAD, &a);
	}
	return fd < 0 ? -errno : (int)fd;
}

int kbpf_prog_test_run(int prog_fd, struct kbpf_run *run)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog_fd;
	a.test.data_in = (uint64_t)(uintptr_t)run->data_in;
	a.test.data_size_in = run->data_size_in;
	a.test.data_out = (uint64_t)(uintptr_t)run->data_out;
	a.test.data_size_out = run->data_out ? run->data_size_out : 0;
	a.test.ctx_in = (uint64_t)(uintptr_t)run->ctx_in;
	a.test.ctx_size_in = run->ctx_size_in;
	a.test.repeat = run->repeat;
	if (kbpf_sys(BPF_PROG_TEST_RUN, &a))
		return -errno;
	run->retval = a.test.retval;
	run->duration = a.test.duration;
	run->data_size_out = a.test.data_size_out;
	return 0;
}

int kbpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		    uint32_t max_entries, uint32_t flags)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max_entries;
	a.map_flags = flags;
	fd = kbpf_sys(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : (int)fd;
}

static int kbpf_map_elem(int cmd, int fd, const void *key, const void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return kbpf_sys(cmd, &a) ? -errno : 0;
}

int kbpf_map_lookup(int fd, const void *key, void *value)
{
	return kbpf_map_elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0);
}

int kbpf_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	return kbpf_map_elem(BPF_MAP_UPDATE_ELEM, fd, key, value, flags);
}

int kbpf_map_delete(int fd, const void *key)
{
	return kbpf_map_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

int kbpf_map_get_next_key(int fd, const void *key, void *next)
{
	return kbpf_map_elem(BPF_MAP_GET_NEXT_KEY, fd, key, next, 0);
}

int kbpf_map_create_opts(const struct kbpf_map_opts *o)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.map_type = o->type;
	a.key_size = o->key_size;
	a.value_size = o->value_size;
	a.max_entries = o->max_entries;
	a.map_flags = o->flags;
	a.map_extra = o->map_extra;
	a.inner_map_fd = (uint32_t)o->inner_map_fd;
	fd = kbpf_sys(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : (int)fd;
}

int kbpf_map_lookup_flags(int fd, const void *key, void *value, uint64_t flags)
{
	return kbpf_map_elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, flags);
}

int kbpf_map_lookup_and_delete(int fd, const void *key, void *value, uint64_t flags)
{
	return kbpf_map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, flags);
}

static int kbpf_map_batch(int cmd, int fd, const void *in_batch, void *out_batch,
			  const void *keys, const void *values, uint32_t *count,
			  uint64_t elem_flags)
{
	union bpf_attr a;
	int err;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = (uint32_t)fd;
	a.batch.in_batch = (uint64_t)(uintptr_t)in_batch;
	a.batch.out_batch = (uint64_t)(uintptr_t)out_batch;
	a.batch.keys = (uint64_t)(uintptr_t)keys;
	a.batch.values = (uint64_t)(uintptr_t)values;
	a.batch.count = *count;
	a.batch.elem_flags = elem_flags;
	err = kbpf_sys(cmd, &a) ? -errno : 0;
	*count = a.batch.count;
	return err;
}

int kbpf_map_lookup_batch(int fd, const void *in_batch, void *out_batch, void *keys,
			  void *values, uint32_t *count, uint64_t elem_flags)
{
	return kbpf_map_batch(BPF_MAP_LOOKUP_BATCH, fd, in_batch, out_batch, keys, values, count,
			      elem_flags);
}

int kbpf_map_lookup_and_delete_batch(int fd, const void *in_batch, void *out_batch, void *keys,
				     void *values, uint32_t *count, uint64_t elem_flags)
{
	return kbpf_map_batch(BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, in_batch, out_batch, keys,
			      values, count, elem_flags);
}

int kbpf_map_update_batch(int fd, const void *keys, const void *values, uint32_t *count,
			  uint64_t elem_flags)
{
	return kbpf_map_batch(BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, values, count,
			      elem_flags);
}

int kbpf_map_delete_batch(int fd, const void *keys, uint32_t *count, uint64_t elem_flags)
{
	return kbpf_map_batch(BPF_MAP_DELETE_BATCH, fd, NULL, NULL, keys, NULL, count, elem_flags);
}

int kbpf_nr_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char buf[256], *p = buf;
	int n = 0;

	if (f && fgets(buf, sizeof(buf), f)) {
		while (*p >= '0' && *p <= '9') {
			long lo = strtol(p, &p, 10), hi = lo;
			if (*p == '-')
				hi = strtol(p + 1, &p, 10);
			n += (int)(hi - lo + 1);
			if (*p == ',')
				p++;
		}
	}
	if (f)
		fclose(f);
	return n > 0 ? n : 1;
}

/* A BTF blob: int, a prototype returning int with no arguments, and one
 * static FUNC of that prototype per function ("f0", "f1", ...). */
static size_t kbpf_btf_funcs(uint8_t *buf, size_t size, size_t nr_funcs)
{
	uint32_t types[3 + 3 + 3 * 64], nt = 0;
	char strs[4 + 64 * 8];
	size_t ns = 1, total;
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
	} hdr = {0xeB9F, 1, 0, 24, 0, 0, 0, 0};

	if (nr_funcs > 64)
		return 0;
	strs[0] = '\0';
	memcpy(strs + ns, "int", 4);
	types[nt++] = (uint32_t)ns; /* [1] int */
	types[nt++] = (uint32_t)BTF_KIND_INT << 24;
	types[nt++] = 4;
	types[nt++] = 1u << 24 | 32; /* signed, 32 bits */
	ns += 4;
	types[nt++] = 0; /* [2] int (void) */
	types[nt++] = (uint32_t)BTF_KIND_FUNC_PROTO << 24;
	types[nt++] = 1;
	for (size_t f = 0; f < nr_funcs; f++) { /* [3 + f] */
		int n = snprintf(strs + ns, sizeof(strs) - ns, "f%zu", f);
		types[nt++] = (uint32_t)ns;
		types[nt++] = (uint32_t)BTF_KIND_FUNC << 24; /* static linkage */
		types[nt++] = 2;
		ns += (size_t)n + 1;
	}
	hdr.type_len = nt * 4;
	hdr.str_off = hdr.type_len;
	hdr.str_len = (uint32_t)ns;
	total = sizeof(hdr) + hdr.type_len + ns;
	if (total > size)
		return 0;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), types, hdr.type_len);
	memcpy(buf + sizeof(hdr) + hdr.type_len, strs, ns);
	return total;
}

int kbpf_prog_load_funcs(enum bpf_prog_type type, const struct bpf_insn *insns, size_t len,
			 const uint32_t *func_starts, size_t nr_funcs, char *log, size_t log_size)
{
	uint8_t btf[4096];
	struct bpf_func_info fi[64];
	size_t btf_len = kbpf_btf_funcs(btf, sizeof(btf), nr_funcs);
	union bpf_attr a;
	long btf_fd, fd;

	if (!btf_len)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)btf;
	a.btf_size = (uint32_t)btf_len;
	btf_fd = kbpf_sys(BPF_BTF_LOAD, &a);
	if (btf_fd < 0)
		return -errno;
	for (size_t f = 0; f < nr_funcs; f++)
		fi[f] = (struct bpf_func_info){func_starts[f], (uint32_t)(3 + f)};
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)len;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.prog_btf_fd = (uint32_t)btf_fd;
	a.func_info_rec_size = sizeof(fi[0]);
	a.func_info = (uint64_t)(uintptr_t)fi;
	a.func_info_cnt = (uint32_t)nr_funcs;
	if (log && log_size) {
		log[0] = '\0';
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_size;
		a.log_level = 1;
	}
	fd = kbpf_sys(BPF_PROG_LOAD, &a);
	fd = fd < 0 ? -errno : fd;
	close((int)btf_fd);
	return (int)fd;
}
