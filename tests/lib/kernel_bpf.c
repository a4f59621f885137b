/* bpf(2) wrappers for the kernel-differential tests and the benchmarks. */
#include "kernel_bpf.h"

#include <errno.h>
#include <stdio.h>
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
