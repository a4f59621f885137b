/* The hooks stage: program types whose context is a packet (XDP, tc,
 * socket filters), their contexts, and the helpers that act on them.
 *
 * Takes: a loaded program and packets.  Gives: runs as the kernel's hooks
 * would make them (include/skep/hooks.h).
 *
 * A context is the kernel's UAPI struct (struct xdp_md, struct __sk_buff) at
 * the start of a larger skep struct that holds the truth: the pointers into
 * the packet buffer.  The program reads the UAPI fields, whose 32-bit
 * data/data_end/data_meta hold the real addresses because buffers are
 * MAP_32BIT memory; after every helper that moves the packet, the fields are
 * rewritten from the truth.  Nothing trusts what a program wrote into them.
 *
 * Helpers find the context of the run in progress on their thread through
 * hook_current (the kernel keeps such per-CPU state for bpf_redirect too):
 * bpf_redirect() has no context argument, and helpers that do get one check
 * that it is this run's context before touching anything.
 */
#ifndef SKEP_HOOKS_HOOKS_H
#define SKEP_HOOKS_HOOKS_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h> /* TC_ACT_* */
#include <stddef.h>
#include <stdint.h>

#include "core/callctx.h"
#include "skep/hooks.h"

/* sizeof(struct xdp_frame): the kernel keeps it at the top of the headroom,
 * so no adjust_head or adjust_meta may reach below it. */
#define HOOK_XDP_FRAME_HDR 40
/* The most metadata in front of an XDP packet: a multiple of 4 up to the
 * u8 skb_shared_info.meta_len (the kernel's xdp_metalen_invalid). */
#define HOOK_XDP_META_MAX 255
#define HOOK_ETH_HLEN 14

/* skb buffers: room for bpf_skb_change_head in front of the packet, and to
 * grow it to SKEP_SKB_MAX_LEN. */
#define HOOK_SKB_HEADROOM 16384
#define HOOK_SKB_BUF (HOOK_SKB_HEADROOM + SKEP_SKB_MAX_LEN + 64)
/* BPF_PROG_TEST_RUN's skb limits: NET_SKB_PAD of headroom and the shared
 * info at the end of one page. */
#define HOOK_SKB_TEST_MAX (4096 - 64 - 320)

enum hook_kind { HOOK_NONE, HOOK_XDP, HOOK_SKB };

struct skep_xdp_frame {
	struct xdp_md md;  /* what the program sees; r1 points here */
	uint8_t *buf;      /* SKEP_XDP_FRAME_SIZE bytes of low memory: data_hard_start */
	uint8_t *data_meta, *data, *data_end;
	struct skep_region regions[2]; /* checked runs: ctx, packet */
};

struct hook_skb {
	struct __sk_buff md; /* r1 points here */
	uint8_t *buf;        /* HOOK_SKB_BUF bytes of low memory */
	uint8_t *data;       /* skb->data: the MAC header (tc) or network header (socket filter) */
	uint8_t *network;    /* the network header, for bpf_skb_change_tail's lower bound */
	uint32_t len;
	int l2;              /* tc: data starts at the MAC header */
	struct skep_region regions[2];
};

/* What the program asked a redirect to do (the kernel's bpf_redirect_info). */
struct hook_redirect {
	enum skep_redirect_kind kind;
	uint32_t target, key;
	uint64_t flags;
	const struct skep_map *map;
};

struct hook_run {
	enum hook_kind kind;
	struct skep_xdp_frame *xdp;
	struct hook_skb *skb;
	struct hook_redirect redirect;
};

/* The run in progress on this thread, or NULL. */
extern _Thread_local struct hook_run *hook_current;

/* Run options for a hook's run: the caller's mode, budget, cpu, user and
 * log; r1 = ctx and nothing else (the hook adds regions and packet).  Inline
 * and field by field: it is on every packet's path. */
static inline void hook_run_opts(struct skep_run_opts *ro, const struct skep_run_opts *opts,
				 uint64_t ctx)
{
	int has_log = opts && opts->sz >= offsetof(struct skep_run_opts, log_size) +
						   sizeof(opts->log_size);

	ro->sz = sizeof(*ro);
	ro->args[0] = ctx;
	ro->args[1] = ro->args[2] = ro->args[3] = ro->args[4] = 0;
	ro->regions = NULL;
	ro->nr_regions = 0;
	ro->packet = NULL;
	ro->packet_len = 0;
	ro->mode = opts ? opts->mode : SKEP_EXEC_INTERP;
	ro->insn_budget = opts ? opts->insn_budget : 0;
	ro->cpu = opts ? opts->cpu : 0;
	ro->user = opts ? opts->user : NULL;
	ro->log_buf = has_log ? opts->log_buf : NULL;
	ro->log_size = has_log ? opts->log_size : 0;
}
/* Low memory (below 4 GiB): NULL when none is left. */
void *hook_lowmem_alloc(size_t size);
void hook_lowmem_free(void *p, size_t size);

/* The names of the checked-run regions; helpers find them by pointer. */
extern const char hook_region_ctx[], hook_region_packet[];
/* A checked run's packet region became [addr, addr+size): update it. */
void hook_region_move(struct skep_call_ctx *cx, void *addr, size_t size);

/* XDP (xdp.c): rewrite the UAPI fields from the frame's pointers. */
void hook_xdp_sync(struct skep_xdp_frame *f);
/* skb (skb.c) */
int hook_skb_new(struct hook_skb **out);
void hook_skb_free(struct hook_skb *s);
void hook_skb_sync(struct hook_skb *s);
/* Fill the context and packet as BPF_PROG_TEST_RUN does; ctx may be NULL.
 * -EINVAL for what the kernel refuses (the log says why). */
struct skep_log;
int hook_skb_setup(struct hook_skb *s, int l2, const uint8_t *pkt, uint32_t len,
		   const struct __sk_buff *ctx, struct skep_log *log);
/* One run of prog on the skb. */
int hook_skb_run(struct skep_prog *prog, struct hook_skb *s, const struct skep_run_opts *opts,
		 struct skep_run_result *res);

/* The frame or skb of this run, if r1 is its context; else the run is
 * stopped (a program of another type, or a bad pointer) and NULL returned. */
struct skep_xdp_frame *hook_xdp_of(uint64_t r1, struct skep_call_ctx *cx, const char *helper);
struct hook_skb *hook_skb_of(uint64_t r1, struct skep_call_ctx *cx, const char *helper);

/* Checksum arithmetic (csum.c), as the kernel's include/net/checksum.h:
 * 32-bit partial sums, folded to 16 bits; values are in memory order. */
uint32_t hook_csum_add(uint32_t a, uint32_t b);
uint16_t hook_csum_fold(uint32_t sum);
void hook_csum_replace2(uint16_t *sum, uint16_t from, uint16_t to);
void hook_csum_replace4(uint16_t *sum, uint32_t from, uint32_t to);
void hook_csum_replace_by_diff(uint16_t *sum, uint32_t diff);

#endif
