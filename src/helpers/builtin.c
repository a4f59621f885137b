/* The table of skep's built-in helpers: one row per kernel enum bpf_func_id
 * number, giving the implementation and the prototype the verifier checks
 * calls against.  A new VM gets every row registered.
 *
 * probe_read_kernel and its _str form read user memory here: in user space
 * there is no other (ARCHITECTURE.md).  The packet helpers (skb_*, l3/l4_csum_replace,
 * csum_diff, redirect, redirect_map, xdp_*) are src/hooks': they act on the context
 * of the XDP or skb run in progress, and hook_helper_changes_pkt_data() says which
 * of them move the packet.
 */
#include <stddef.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "hooks/hook_helpers.h"
#include "isa/bpf_compat.h"

#define RO(t) ((t) | HELPER_RDONLY)
#define NUL(t) ((t) | HELPER_MAYBE_NULL)

/* clang-format off */
static const struct helper_proto helper_table[] = {
	{BPF_FUNC_map_lookup_elem, "map_lookup_elem", helper_map_lookup_elem,
	 RET_PTR_TO_MAP_VALUE_OR_NULL, {ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY}},
	{BPF_FUNC_map_update_elem, "map_update_elem", helper_map_update_elem,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING}},
	{BPF_FUNC_map_delete_elem, "map_delete_elem", helper_map_delete_elem,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY}},
	{BPF_FUNC_probe_read, "probe_read", helper_probe_read,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_ktime_get_ns, "ktime_get_ns", helper_ktime_get_ns, RET_INTEGER, {0}},
	{BPF_FUNC_trace_printk, "trace_printk", helper_trace_printk,
	 RET_INTEGER, {RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING}},
	{BPF_FUNC_get_prandom_u32, "get_prandom_u32", helper_get_prandom_u32, RET_INTEGER, {0}},
	{BPF_FUNC_get_smp_processor_id, "get_smp_processor_id", helper_get_smp_processor_id,
	 RET_INTEGER, {0}},
	{BPF_FUNC_skb_store_bytes, "skb_store_bytes", helper_skb_store_bytes,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE,
		       ARG_ANYTHING}},
	{BPF_FUNC_l3_csum_replace, "l3_csum_replace", helper_l3_csum_replace,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING}},
	{BPF_FUNC_l4_csum_replace, "l4_csum_replace", helper_l4_csum_replace,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING}},
	{BPF_FUNC_tail_call, "tail_call", helper_tail_call,
	 RET_VOID, {ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING}},
	{BPF_FUNC_get_current_pid_tgid, "get_current_pid_tgid", helper_get_current_pid_tgid,
	 RET_INTEGER, {0}},
	{BPF_FUNC_get_current_uid_gid, "get_current_uid_gid", helper_get_current_uid_gid,
	 RET_INTEGER, {0}},
	{BPF_FUNC_get_current_comm, "get_current_comm", helper_get_current_comm,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE}},
	{BPF_FUNC_perf_event_read, "perf_event_read", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_ANYTHING}},
	{BPF_FUNC_redirect, "redirect", helper_redirect, RET_INTEGER, {ARG_ANYTHING, ARG_ANYTHING}},
	/* packet programs may append packet bytes (BPF_F_CTXLEN_MASK): src/hooks */
	{BPF_FUNC_perf_event_output, "perf_event_output", helper_pkt_perf_event_output,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, RO(ARG_PTR_TO_MEM),
		       ARG_CONST_SIZE_OR_ZERO}},
	{BPF_FUNC_skb_load_bytes, "skb_load_bytes", helper_skb_load_bytes,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE}},
	{BPF_FUNC_get_stackid, "get_stackid", helper_get_stackid,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING}},
	{BPF_FUNC_csum_diff, "csum_diff", helper_csum_diff,
	 RET_INTEGER, {NUL(RO(ARG_PTR_TO_MEM)), ARG_CONST_SIZE_OR_ZERO, NUL(RO(ARG_PTR_TO_MEM)),
		       ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_get_current_task, "get_current_task", helper_get_current_task, RET_INTEGER, {0}},
	{BPF_FUNC_probe_write_user, "probe_write_user", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_ANYTHING, RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE}},
	{BPF_FUNC_skb_change_tail, "skb_change_tail", helper_skb_change_tail,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING}},
	{BPF_FUNC_skb_pull_data, "skb_pull_data", helper_skb_pull_data,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING}},
	{BPF_FUNC_get_numa_node_id, "get_numa_node_id", helper_get_numa_node_id, RET_INTEGER, {0}},
	{BPF_FUNC_skb_change_head, "skb_change_head", helper_skb_change_head,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING}},
	{BPF_FUNC_xdp_adjust_head, "xdp_adjust_head", helper_xdp_adjust_head,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING}},
	{BPF_FUNC_probe_read_str, "probe_read_str", helper_probe_read_str,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_redirect_map, "redirect_map", helper_redirect_map,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING}},
	{BPF_FUNC_xdp_adjust_meta, "xdp_adjust_meta", helper_xdp_adjust_meta,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING}},
	{BPF_FUNC_perf_event_read_value, "perf_event_read_value", helper_tracing_unsupported_buf,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE}},
	{BPF_FUNC_perf_prog_read_value, "perf_prog_read_value", helper_tracing_unsupported_buf,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE}},
	{BPF_FUNC_override_return, "override_return", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING}},
	{BPF_FUNC_xdp_adjust_tail, "xdp_adjust_tail", helper_xdp_adjust_tail,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING}},
	{BPF_FUNC_get_stack, "get_stack", helper_get_stack,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_fib_lookup, "fib_lookup", helper_fib_lookup,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING}},
	{BPF_FUNC_get_current_cgroup_id, "get_current_cgroup_id", helper_get_current_cgroup_id,
	 RET_INTEGER, {0}},
	{BPF_FUNC_map_push_elem, "map_push_elem", helper_map_push_elem,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING}},
	{BPF_FUNC_map_pop_elem, "map_pop_elem", helper_map_pop_elem,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_PTR_TO_UNINIT_MAP_VALUE}},
	{BPF_FUNC_map_peek_elem, "map_peek_elem", helper_map_peek_elem,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_PTR_TO_UNINIT_MAP_VALUE}},
	{BPF_FUNC_spin_lock, "spin_lock", helper_spin_lock, RET_VOID, {ARG_PTR_TO_SPIN_LOCK}},
	{BPF_FUNC_spin_unlock, "spin_unlock", helper_spin_unlock, RET_VOID, {ARG_PTR_TO_SPIN_LOCK}},
	{BPF_FUNC_send_signal, "send_signal", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_ANYTHING}},
	{BPF_FUNC_probe_read_user, "probe_read_user", helper_probe_read,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_probe_read_kernel, "probe_read_kernel", helper_probe_read,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_probe_read_user_str, "probe_read_user_str", helper_probe_read_str,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_probe_read_kernel_str, "probe_read_kernel_str", helper_probe_read_str,
	 RET_INTEGER, {ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_send_signal_thread, "send_signal_thread", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_ANYTHING}},
	{BPF_FUNC_jiffies64, "jiffies64", helper_jiffies64, RET_INTEGER, {0}},
	{BPF_FUNC_get_ns_current_pid_tgid, "get_ns_current_pid_tgid",
	 helper_get_ns_current_pid_tgid,
	 RET_INTEGER, {ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE}},
	{BPF_FUNC_get_current_ancestor_cgroup_id, "get_current_ancestor_cgroup_id",
	 helper_get_current_ancestor_cgroup_id, RET_INTEGER, {ARG_ANYTHING}},
	{BPF_FUNC_ktime_get_boot_ns, "ktime_get_boot_ns", helper_ktime_get_boot_ns,
	 RET_INTEGER, {0}},
	{BPF_FUNC_ringbuf_output, "ringbuf_output", helper_ringbuf_output,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_ringbuf_reserve, "ringbuf_reserve", helper_ringbuf_reserve,
	 RET_PTR_TO_ALLOC_MEM_OR_NULL, {ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_ANYTHING}},
	{BPF_FUNC_ringbuf_submit, "ringbuf_submit", helper_ringbuf_submit,
	 RET_VOID, {ARG_PTR_TO_ALLOC_MEM, ARG_ANYTHING}},
	{BPF_FUNC_ringbuf_discard, "ringbuf_discard", helper_ringbuf_discard,
	 RET_VOID, {ARG_PTR_TO_ALLOC_MEM, ARG_ANYTHING}},
	{BPF_FUNC_ringbuf_query, "ringbuf_query", helper_ringbuf_query,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_ANYTHING}},
	{BPF_FUNC_ktime_get_coarse_ns, "ktime_get_coarse_ns", helper_ktime_get_coarse_ns,
	 RET_INTEGER, {0}},
	{BPF_FUNC_for_each_map_elem, "for_each_map_elem", helper_for_each_map_elem,
	 RET_INTEGER, {ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC, NUL(ARG_PTR_TO_STACK), ARG_ANYTHING}},
	{BPF_FUNC_snprintf, "snprintf", helper_snprintf,
	 RET_INTEGER, {ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_CONST_STR,
		       NUL(RO(ARG_PTR_TO_MEM)), ARG_CONST_SIZE_OR_ZERO}},
	{BPF_FUNC_get_func_ip, "get_func_ip", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_PTR_TO_CTX}},
	{BPF_FUNC_get_attach_cookie, "get_attach_cookie", helper_tracing_unsupported,
	 RET_INTEGER, {ARG_PTR_TO_CTX}},
	{BPF_FUNC_trace_vprintk, "trace_vprintk", helper_trace_vprintk,
	 RET_INTEGER, {RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE, NUL(RO(ARG_PTR_TO_MEM)),
		       ARG_CONST_SIZE_OR_ZERO}},
	{BPF_FUNC_loop, "loop", helper_loop,
	 RET_INTEGER, {ARG_ANYTHING, ARG_PTR_TO_FUNC, NUL(ARG_PTR_TO_STACK), ARG_ANYTHING}},
	{BPF_FUNC_strncmp, "strncmp", helper_strncmp,
	 RET_INTEGER, {RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE, ARG_PTR_TO_CONST_STR}},
	{BPF_FUNC_get_func_arg, "get_func_arg", helper_get_func_arg,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_LONG}},
	{BPF_FUNC_get_func_ret, "get_func_ret", helper_get_func_ret,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_PTR_TO_LONG}},
	{BPF_FUNC_get_func_arg_cnt, "get_func_arg_cnt", helper_get_func_arg_cnt,
	 RET_INTEGER, {ARG_PTR_TO_CTX}},
	{BPF_FUNC_xdp_get_buff_len, "xdp_get_buff_len", helper_xdp_get_buff_len,
	 RET_INTEGER, {ARG_PTR_TO_CTX}},
	{BPF_FUNC_xdp_load_bytes, "xdp_load_bytes", helper_xdp_load_bytes,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE}},
	{BPF_FUNC_xdp_store_bytes, "xdp_store_bytes", helper_xdp_store_bytes,
	 RET_INTEGER, {ARG_PTR_TO_CTX, ARG_ANYTHING, RO(ARG_PTR_TO_MEM), ARG_CONST_SIZE}},
	{BPF_FUNC_map_lookup_percpu_elem, "map_lookup_percpu_elem", helper_map_lookup_percpu_elem,
	 RET_PTR_TO_MAP_VALUE_OR_NULL, {ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING}},
	{BPF_FUNC_ktime_get_tai_ns, "ktime_get_tai_ns", helper_ktime_get_tai_ns, RET_INTEGER, {0}},
};
/* clang-format on */

const struct helper_proto *helper_protos(size_t *n)
{
	*n = sizeof(helper_table) / sizeof(helper_table[0]);
	return helper_table;
}

const struct helper_proto *helper_proto_of(uint32_t id)
{
	size_t n;
	const struct helper_proto *t = helper_protos(&n);

	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

int helpers_register_builtin(struct skep_vm *vm)
{
	size_t n;
	const struct helper_proto *t = helper_protos(&n);

	for (size_t i = 0; i < n; i++) {
		int err = skep_vm_register_helper(vm, t[i].id, t[i].name, t[i].fn);
		if (err)
			return err;
	}
	return 0;
}
