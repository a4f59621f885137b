/* skep: classic BPF.
 *
 * Classic BPF (cBPF) is what tcpdump, libpcap and seccomp speak: two 32-bit
 * registers A and X, sixteen scratch words M[], forward-only jumps, and a
 * RET that gives the verdict.  skep checks a cBPF program with the Linux
 * kernel's rules, converts it to eBPF with the kernel's semantics, and runs
 * the result in the interpreter or the JIT like any other program.
 *
 *   check:    skep_cbpf_check()       the kernel's bpf_check_classic() rules
 *                                     (and seccomp's stricter ones)
 *   convert:  skep_cbpf_convert()     eBPF the kernel's verifier accepts as a
 *                                     BPF_PROG_TYPE_SOCKET_FILTER
 *   run:      skep_cbpf_filter_*()    check + convert + load once, then a
 *                                     verdict per packet or per syscall
 *   tcpdump:  skep_cbpf_compile()     a tcpdump expression, compiled by libpcap
 *
 * Every function returns 0 or a negative errno; the reason goes into the
 * caller's log, naming the cBPF instruction ("insn 3: ...").
 */
#ifndef SKEP_CBPF_H
#define SKEP_CBPF_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One cBPF instruction, laid out exactly as the kernel's struct sock_filter
 * and libpcap's struct bpf_insn (so arrays of either can be cast to it; the
 * two headers cannot be included together, hence a type of our own). */
struct skep_cbpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

#define SKEP_CBPF_MAXINSNS 4096 /* the kernel's BPF_MAXINSNS */
#define SKEP_CBPF_MEMWORDS 16   /* M[0..15] */

enum skep_cbpf_mode {
	/* A socket filter: LD ABS/IND/MSH read the packet in network order, an
	 * out-of-range read ends the filter with 0, LD LEN and the ancillary
	 * loads (SKF_AD_*) read the packet's struct __sk_buff. */
	SKEP_CBPF_SOCKET,
	/* A seccomp filter: LD W ABS reads struct seccomp_data in host order,
	 * LEN is its size (64); the kernel's seccomp rules apply on top. */
	SKEP_CBPF_SECCOMP,
};

struct skep_cbpf_opts {
	size_t sz; /* sizeof(struct skep_cbpf_opts), for ABI growth */
	enum skep_cbpf_mode mode;
	enum skep_exec_mode exec; /* skep_cbpf_filter_*: how runs execute */
	char *log_buf;
	size_t log_size;
};

/* The kernel's rules: 1..4096 instructions, known opcodes, jumps forward and
 * inside the program, RET K or RET A last, no constant division or modulo by
 * zero, constant shifts below 32, M[k] with k < 16 and read only after a
 * write on every path (the kernel's own flow rule), ancillary loads by known
 * SKF_AD_* offsets.  -EINVAL with "insn N: why" in the log. */
SKEP_API int skep_cbpf_check(const struct skep_cbpf_insn *insns, size_t len,
			     const struct skep_cbpf_opts *opts);

/* Check, then convert to eBPF (*out malloc'd, free() it).  The program
 * expects r1 = the context: a struct __sk_buff for SOCKET (and packet bytes
 * for LD_ABS/LD_IND), a struct seccomp_data for SECCOMP; it returns the
 * verdict in r0 (32 bits).  -EOPNOTSUPP when an ancillary load needs what a
 * struct __sk_buff does not hold (SKF_AD_NLATTR, NLATTR_NEST, HATYPE,
 * PAY_OFFSET); -EINVAL, -ENOMEM. */
SKEP_API int skep_cbpf_convert(const struct skep_cbpf_insn *insns, size_t len,
			       const struct skep_cbpf_opts *opts, struct skep_insn **out,
			       size_t *out_len);

/* A converted, loaded filter, ready to run many times. */
struct skep_cbpf_filter;

/* vm must outlive the filter.  Converts with opts->mode and runs with
 * opts->exec; with SKEP_EXEC_JIT* the code is compiled here, so a program the
 * JIT cannot take fails now rather than on the first packet. */
SKEP_API int skep_cbpf_filter_new(struct skep_vm *vm, const struct skep_cbpf_insn *insns,
				  size_t len, const struct skep_cbpf_opts *opts,
				  struct skep_cbpf_filter **out);
SKEP_API void skep_cbpf_filter_free(struct skep_cbpf_filter *f);
/* The eBPF program the filter runs. */
SKEP_API struct skep_prog *skep_cbpf_filter_prog(const struct skep_cbpf_filter *f);

/* A packet as a capture holds it: link type `linktype` (a pcap DLT_*
 * number: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4 and IPV6 fill the context
 * from their headers; with any other, such as -1, only its length is set),
 * caplen bytes captured of a frame wire_len long. */
struct skep_cbpf_packet {
	int linktype;
	const void *data;
	size_t caplen;
	size_t wire_len;
};

/* Run a SOCKET filter on one packet: *verdict = what RET returned (0: drop;
 * otherwise the bytes to keep).  The struct __sk_buff it reads is filled
 * from the link-layer header (len = wire_len, protocol = the EtherType...).
 * 0, or the run's error (checked modes: -EFAULT, -E2BIG). */
SKEP_API int skep_cbpf_filter_packet(struct skep_cbpf_filter *f,
				     const struct skep_cbpf_packet *pkt, uint32_t *verdict);

/* Many packets: verdicts[i] for pkts[i].  In the unchecked modes one run
 * environment serves the whole batch, which makes this much cheaper per
 * packet than skep_cbpf_filter_packet; checked modes run packet by packet.
 * 0, or the first error (the verdicts before it are set). */
SKEP_API int skep_cbpf_filter_packets(struct skep_cbpf_filter *f,
				      const struct skep_cbpf_packet *pkts, size_t n,
				      uint32_t *verdicts);

/* The kernel's struct seccomp_data, field for field. */
struct skep_seccomp_data {
	int32_t nr;
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t args[6];
};

/* Run a SECCOMP filter on one system call: *action = SECCOMP_RET_* | data. */
SKEP_API int skep_cbpf_filter_seccomp(struct skep_cbpf_filter *f,
				      const struct skep_seccomp_data *sd, uint32_t *action);

/* The name of a seccomp action, as the kernel's SECCOMP_RET_* (KILL_PROCESS,
 * KILL_THREAD, TRAP, ERRNO, USER_NOTIF, TRACE, LOG, ALLOW), written with its
 * data where the action has any: "ERRNO(13)", "TRACE(7)".  An unknown action
 * is KILL_PROCESS, as the kernel treats it. */
SKEP_API void skep_seccomp_action_name(uint32_t action, char *buf, size_t size);

/* Compile a tcpdump filter expression with libpcap (pcap_compile, optimised)
 * for captures of link type `linktype` and snapshot length `snaplen` (the
 * accept verdict of libpcap's programs); netmask 0, as tcpdump -r uses.
 * *out malloc'd.  -EINVAL with libpcap's message in the log. */
SKEP_API int skep_cbpf_compile(const char *expr, int linktype, int snaplen,
			       struct skep_cbpf_insn **out, size_t *len, char *log_buf,
			       size_t log_size);

#ifdef __cplusplus
}
#endif

#endif
