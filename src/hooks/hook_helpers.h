/* The packet helpers of src/hooks, for the helper table (src/helpers/builtin.c),
 * and which helpers change the packet's place or size, so that a verifier
 * invalidates packet pointers after them (the kernel's
 * bpf_helper_changes_pkt_data). */
#ifndef SKEP_HOOKS_HOOK_HELPERS_H
#define SKEP_HOOKS_HOOK_HELPERS_H

#include "helpers/helpers.h"

HELPER_FN(xdp_adjust_head);
HELPER_FN(xdp_adjust_tail);
HELPER_FN(xdp_adjust_meta);
HELPER_FN(xdp_get_buff_len);
HELPER_FN(xdp_load_bytes);
HELPER_FN(xdp_store_bytes);
HELPER_FN(pkt_perf_event_output);
HELPER_FN(redirect);
HELPER_FN(redirect_map);
HELPER_FN(skb_load_bytes);
HELPER_FN(skb_store_bytes);
HELPER_FN(l3_csum_replace);
HELPER_FN(l4_csum_replace);
HELPER_FN(csum_diff);
HELPER_FN(skb_change_tail);
HELPER_FN(skb_change_head);
HELPER_FN(skb_pull_data);

/* 1 if helper `id` may move or resize the packet (packet pointers die). */
int hook_helper_changes_pkt_data(uint32_t id);

#endif
