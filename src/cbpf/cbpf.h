/* The classic BPF stage: check a cBPF program with the kernel's rules and
 * convert it to eBPF.
 *
 * Takes: cBPF instructions (struct skep_cbpf_insn, the layout of struct
 * sock_filter) and a mode (socket filter or seccomp).
 * Gives: eBPF instructions that the rest of the pipeline (decode, interpreter,
 * JIT) runs like any other program, plus the contexts those programs read:
 * struct __sk_buff for socket filters, struct seccomp_data for seccomp.
 *
 * Converted register use (fixed, so the runtime and the tests can rely on it):
 *   A = r0, X = r7, the context = r6 (saved from r1: LD_ABS/LD_IND need it
 *   there and clobber r0-r5), r8 keeps A across the byte load of LDX MSH,
 *   M[k] = the 32-bit stack word at r10 - 64 + 4k.
 */
#ifndef SKEP_CBPF_CBPF_H
#define SKEP_CBPF_CBPF_H

#include <stddef.h>
#include <stdint.h>

#include "skep/cbpf.h"

struct skep_log;

/* What the checker learnt that the converter needs. */
struct cbpf_info {
	uint8_t *reachable; /* per instruction: reached from insn 0 (malloc'd) */
};

/* The kernel's rules for `mode`; -EINVAL naming the instruction.  When info
 * is not NULL it is filled (free it with cbpf_info_free) on success. */
int cbpf_check(const struct skep_cbpf_insn *insns, size_t len, enum skep_cbpf_mode mode,
	       struct cbpf_info *info, struct skep_log *log);
void cbpf_info_free(struct cbpf_info *info);

/* Convert a checked program; *out malloc'd. */
int cbpf_convert(const struct skep_cbpf_insn *insns, size_t len, enum skep_cbpf_mode mode,
		 const struct cbpf_info *info, struct skep_insn **out, size_t *out_len,
		 struct skep_log *log);

/* The name of a cBPF opcode for messages ("ld [k]", "jeq x"...). */
const char *cbpf_op_name(uint16_t code);

/* Fill the struct __sk_buff (ctx, of ctx_size bytes) a socket filter reads for
 * one packet.  This is the one place that decides what the context holds, so
 * the packet hooks can replace it. */
void cbpf_skb_fill(void *ctx, size_t ctx_size, const struct skep_cbpf_packet *pkt);
/* sizeof(struct __sk_buff), for callers that cannot include <linux/bpf.h>. */
size_t cbpf_skb_size(void);

#endif
