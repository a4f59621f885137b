/* The Linux kernel as the reference: thin wrappers over the bpf(2) syscall
 * for loading a program, running it with BPF_PROG_TEST_RUN and using maps.
 * Tests and benchmarks use them to compare skep with the kernel; where bpf()
 * is not permitted, kbpf_available() says why and the tests skip. */
#ifndef SKEP_TESTS_KERNEL_BPF_H
#define SKEP_TESTS_KERNEL_BPF_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

/* 1 if this process can load and test-run programs; else 0 with a reason. */
int kbpf_available(char *why, size_t why_size);

/* Load; returns an fd, or -errno with the verifier log (if any) in log. */
int kbpf_prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t len,
		   char *log, size_t log_size);

struct kbpf_run {
	const void *data_in;
	uint32_t data_size_in;
	void *data_out; /* may be NULL */
	uint32_t data_size_out; /* in: buffer size; out: bytes written */
	void *ctx_in;
	uint32_t ctx_size_in;
	uint32_t repeat;
	uint32_t retval;   /* out */
	uint32_t duration; /* out: mean ns per run */
};
int kbpf_prog_test_run(int prog_fd, struct kbpf_run *run);

int kbpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		    uint32_t max_entries, uint32_t flags);
int kbpf_map_lookup(int fd, const void *key, void *value);
int kbpf_map_update(int fd, const void *key, const void *value, uint64_t flags);
int kbpf_map_delete(int fd, const void *key);
int kbpf_map_get_next_key(int fd, const void *key, void *next);

/* More map commands, for the map differential tests (tests/maps). */
struct kbpf_map_opts {
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, flags;
	uint64_t map_extra;
	int inner_map_fd; /* map-in-map template, else 0 */
};
int kbpf_map_create_opts(const struct kbpf_map_opts *o);
int kbpf_map_lookup_flags(int fd, const void *key, void *value, uint64_t flags);
int kbpf_map_lookup_and_delete(int fd, const void *key, void *value, uint64_t flags);
/* Batches: return 0 or -errno, *count updated as the kernel leaves it. */
int kbpf_map_lookup_batch(int fd, const void *in_batch, void *out_batch, void *keys,
			  void *values, uint32_t *count, uint64_t elem_flags);
int kbpf_map_lookup_and_delete_batch(int fd, const void *in_batch, void *out_batch, void *keys,
				     void *values, uint32_t *count, uint64_t elem_flags);
int kbpf_map_update_batch(int fd, const void *keys, const void *values, uint32_t *count,
			  uint64_t elem_flags);
int kbpf_map_delete_batch(int fd, const void *keys, uint32_t *count, uint64_t elem_flags);
/* The number of possible CPUs, as per-CPU map values are laid out. */
int kbpf_nr_cpus(void);

/* Load a program whose functions start at func_starts[] (0 first, then each
 * subprogram or callback): the kernel wants BTF function info for callbacks,
 * so each function gets a minimal prototype in a BTF made for the load. */
int kbpf_prog_load_funcs(enum bpf_prog_type type, const struct bpf_insn *insns, size_t len,
			 const uint32_t *func_starts, size_t nr_funcs, char *log, size_t log_size);

#endif
