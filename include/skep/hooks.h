/* skep hooks: running packet programs (XDP, tc, socket filters) as the
 * kernel runs them.
 *
 * Contexts are the kernel's UAPI structs, struct xdp_md and struct __sk_buff
 * from <linux/bpf.h>.  Their data/data_end/data_meta fields are 32 bits wide
 * and hold real addresses: packet buffers live in the low 2 GiB of the
 * address space (mmap MAP_32BIT), so `(void *)(long)ctx->data` works as
 * written, in the interpreter and in the JIT, without rewriting the loads.
 *
 * skep_prog_test_run() is the kernel's BPF_PROG_TEST_RUN: the same checks on
 * data and context, the same buffers (XDP: 256 bytes of headroom, a 4 KiB
 * frame; skb: the fields BPF_PROG_TEST_RUN fills, the protocol from the
 * Ethernet header, ifindex 1 as the loopback device's), and the same output
 * (data_out from data_meta for XDP; for a socket filter the Ethernet header
 * zeroed).  The XDP frame API below is the fast path for many packets.
 *
 * Helpers (registered in every VM under their kernel ids) act on the
 * context of the run in progress on the calling thread: bpf_xdp_adjust_head,
 * _tail, _meta, bpf_redirect, bpf_redirect_map (DEVMAP, DEVMAP_HASH, CPUMAP),
 * bpf_skb_load_bytes, bpf_skb_store_bytes, bpf_l3_csum_replace,
 * bpf_l4_csum_replace, bpf_csum_diff, bpf_skb_change_tail,
 * bpf_skb_change_head, bpf_skb_pull_data, bpf_xdp_get_buff_len,
 * bpf_xdp_load_bytes, bpf_xdp_store_bytes, and bpf_perf_event_output with
 * packet bytes (BPF_F_CTXLEN_MASK).
 *
 * Every function returns 0 or a negative errno; the reason goes to the log.
 */
#ifndef SKEP_HOOKS_H
#define SKEP_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The frame of an XDP run, as BPF_PROG_TEST_RUN lays it out. */
#define SKEP_XDP_FRAME_SIZE 4096
#define SKEP_XDP_HEADROOM 256 /* XDP_PACKET_HEADROOM */
/* struct skb_shared_info at the end of the frame (SKB_DATA_ALIGN'ed). */
#define SKEP_XDP_TAILROOM 320
/* The largest packet (metadata included) of one frame. */
#define SKEP_XDP_MAX_DATA (SKEP_XDP_FRAME_SIZE - SKEP_XDP_HEADROOM - SKEP_XDP_TAILROOM)
/* The most a tc program can grow a packet to (the kernel's BPF_SKB_MAX_LEN). */
#define SKEP_SKB_MAX_LEN 16064

/* BPF_PROG_TEST_RUN.  In: prog_type (enum bpf_prog_type: XDP, SCHED_CLS,
 * SCHED_ACT, SOCKET_FILTER), data_in, ctx_in (optional: a struct xdp_md or
 * struct __sk_buff the kernel would accept), repeat (0 = 1), mode, cpu.
 * Out: retval, ns_per_run, data_out (data_size_out in: its capacity; out: the
 * packet's length, which may exceed the capacity, then -ENOSPC as the
 * kernel), ctx_out likewise. */
struct skep_test_run_opts {
	size_t sz; /* sizeof(struct skep_test_run_opts), for ABI growth */
	uint32_t prog_type;
	const void *data_in;
	uint32_t data_size_in;
	void *data_out;
	uint32_t data_size_out;
	const void *ctx_in;
	uint32_t ctx_size_in;
	void *ctx_out;
	uint32_t ctx_size_out;
	uint32_t repeat;
	enum skep_exec_mode mode;
	uint32_t cpu;
	uint32_t retval;
	double ns_per_run;
	char *log_buf;
	size_t log_size;
	uint64_t insn_budget; /* checked modes: per run; 0 = SKEP_DEFAULT_INSN_BUDGET */
};
SKEP_API int skep_prog_test_run(struct skep_prog *prog, struct skep_test_run_opts *opts);

/* An XDP frame for running many packets: one page in low memory and its
 * struct xdp_md.  One thread uses a frame at a time. */
struct skep_xdp_frame;
SKEP_API int skep_xdp_frame_new(struct skep_xdp_frame **out);
SKEP_API void skep_xdp_frame_free(struct skep_xdp_frame *f);
/* Copy a packet in at the headroom, with no metadata; -EINVAL when shorter
 * than an Ethernet header or longer than SKEP_XDP_MAX_DATA. */
SKEP_API int skep_xdp_frame_set(struct skep_xdp_frame *f, const void *data, size_t len,
				uint32_t ingress_ifindex, uint32_t rx_queue_index);

/* Where an XDP_REDIRECT verdict sends the frame. */
enum skep_redirect_kind {
	SKEP_REDIRECT_NONE,
	SKEP_REDIRECT_IFINDEX, /* bpf_redirect(ifindex), or a DEVMAP/DEVMAP_HASH entry */
	SKEP_REDIRECT_CPU,     /* a CPUMAP entry */
	SKEP_REDIRECT_XSK,     /* an XSKMAP entry (not supported: never given) */
};

struct skep_xdp_result {
	uint32_t action; /* the program's return value (XDP_ABORTED ... XDP_REDIRECT) */
	/* The packet as the program left it (inside the frame, valid until the
	 * next skep_xdp_frame_set), and its metadata in front of it. */
	uint8_t *data;
	uint32_t len;
	uint32_t meta_len;
	/* For XDP_REDIRECT. */
	enum skep_redirect_kind redirect;
	uint32_t redirect_target; /* the ifindex or CPU */
	uint32_t redirect_key;    /* the map key, for a map redirect */
	const struct skep_map *redirect_map; /* NULL for bpf_redirect() */
};

/* Run prog on the frame.  `opts` gives the mode, cpu, user pointer and log
 * (its args and regions are set here: r1 = the frame's struct xdp_md, and
 * in checked modes the context and the packet are the regions).  An error
 * of the run (checked mode faults) is returned; otherwise 0 with res filled. */
SKEP_API int skep_xdp_run(struct skep_prog *prog, struct skep_xdp_frame *f,
			  const struct skep_run_opts *opts, struct skep_xdp_result *res);

/* Run prog on packet after packet in one frame, with the run's set-up done
 * once (for a small program skep_xdp_run's set-up costs as much as the
 * program).  next(arg, f) puts the next packet into the frame
 * (skep_xdp_frame_set) and returns 1, 0 when there are no more, or a
 * negative errno, which ends the loop and is returned; after each run,
 * done(arg, f, res) sees its result before next() refills the frame.  A run
 * that fails ends the loop with its error and without done(): call again to
 * go on with the next packet.  Checked modes go through skep_xdp_run per
 * packet.  0 when next() said there are no more. */
SKEP_API int skep_xdp_run_each(struct skep_prog *prog, struct skep_xdp_frame *f,
			       const struct skep_run_opts *opts,
			       int (*next)(void *arg, struct skep_xdp_frame *f),
			       void (*done)(void *arg, struct skep_xdp_frame *f,
					    const struct skep_xdp_result *res),
			       void *arg);

/* Names: "XDP_PASS", "TC_ACT_SHOT"..., or NULL for a value with no name. */
SKEP_API const char *skep_xdp_action_name(uint32_t action);
SKEP_API const char *skep_tc_action_name(int32_t action);

#ifdef __cplusplus
}
#endif

#endif
