/* skep's verifier: proves an eBPF program safe before it runs, with the
 * Linux kernel's rules and precision (what the kernel accepts is accepted;
 * what it rejects for a safety reason is rejected).
 *
 * It walks every path of the program, tracking each register (uninitialised,
 * scalar with known bits and signed/unsigned 64- and 32-bit ranges, or a
 * pointer to the context, the stack, a map, a map value, the packet, its
 * end or metadata, or memory a helper returned) and each stack byte, and
 * checks every memory access, helper call, and exit.  Paths that reach a
 * state already proven safe are pruned; loops are allowed as long as the
 * walk shows them to end within the kernel's budget of 1,000,000 processed
 * instructions.
 *
 * A rejected program gets one root cause: the instruction, its source line
 * (when the caller can say), what is wrong in words and the branch decisions
 * that led there; log_level 1 and 2 add register states per instruction.
 */
#ifndef SKEP_VERIFIER_H
#define SKEP_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

#ifdef __cplusplus
extern "C" {
#endif

struct skep_verify_opts {
	size_t sz;          /* sizeof(struct skep_verify_opts), for ABI growth */
	uint32_t prog_type; /* enum bpf_prog_type; BPF_PROG_TYPE_UNSPEC (0): raw */
	/* The maps the program's lddw instructions name, as in skep_load_opts. */
	struct skep_map **maps;
	size_t nr_maps;
	char *log_buf; /* the explanation, and with log_level > 0 the walk */
	size_t log_size;
	int log_level; /* 0: root cause only; 1: states per insn; 2: and stack, pruning */
	/* Source line of instruction `insn` into buf ("prog.c:42"); 0 when known. */
	int (*source_of)(void *arg, size_t insn, char *buf, size_t size);
	void *source_arg;
	/* Raw programs (BPF_PROG_TYPE_UNSPEC): r1 points at this many bytes and
	 * r2 holds the length (the bpf_conformance convention).  0: 65536,
	 * trusting the caller to pass at least what the program touches;
	 * SKEP_VERIFY_NO_MEM: there is no memory, r1 and r2 are 0. */
	size_t raw_mem_size;
};

#define SKEP_VERIFY_NO_MEM ((size_t)-1)

struct skep_verify_result {
	int accepted;
	uint64_t insns_processed;
	uint64_t states; /* checkpoints stored for pruning */
	double ms;
	int64_t error_insn; /* -1 when accepted */
	char source[256];   /* "file.c:42", or "" */
	char message[512];  /* the root cause in words */
};

/* Verify `len` slots.  0: accepted.  -EACCES: unsafe; -EINVAL: malformed
 * (result and log say why in both cases); -ENOMEM.  The helpers are the
 * VM's: built-in ones are checked against their prototypes; an embedder's
 * helper takes anything in r1-r5 and returns a scalar. */
SKEP_API int skep_verify(struct skep_vm *vm, const struct skep_insn *insns, size_t len,
			 const struct skep_verify_opts *opts, struct skep_verify_result *result);

/* Program type names as skep's CLI takes them ("xdp", "socket_filter",
 * "sched_cls", "raw"), and back; -EINVAL / "unknown". */
SKEP_API int skep_prog_type_parse(const char *name, uint32_t *type);
SKEP_API const char *skep_prog_type_name(uint32_t type);

#ifdef __cplusplus
}
#endif

#endif
