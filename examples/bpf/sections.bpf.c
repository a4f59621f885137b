/* One trivial program per kind of section name libbpf knows, to check that
 * skep types them as libbpf does (the program type and expected attach type
 * come from the name alone), plus a SEC("?...") program libbpf would not
 * autoload. Not run: the kernel would need each attach point. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PROG(sec, name) SEC(sec) int name(void *ctx) { return 0; }

PROG("xdp", p_xdp)
PROG("xdp.frags", p_xdp_frags)
PROG("xdp/devmap", p_xdp_devmap)
PROG("tc", p_tc)
PROG("classifier", p_classifier)
PROG("action", p_action)
PROG("socket", p_socket)
PROG("kprobe/do_unlinkat", p_kprobe)
PROG("kretprobe/do_unlinkat", p_kretprobe)
PROG("uprobe//bin/sh:main", p_uprobe)
PROG("tracepoint/syscalls/sys_enter_openat", p_tracepoint)
PROG("tp/sched/sched_switch", p_tp)
PROG("raw_tp/sys_enter", p_raw_tp)
PROG("raw_tracepoint/sys_exit", p_raw_tracepoint)
PROG("perf_event", p_perf_event)
PROG("cgroup_skb/ingress", p_cgroup_skb_ingress)
PROG("cgroup_skb/egress", p_cgroup_skb_egress)
PROG("cgroup/connect4", p_connect4)
PROG("fentry/do_unlinkat", p_fentry)
PROG("fexit/do_unlinkat", p_fexit)
PROG("lsm/file_open", p_lsm)
PROG("sk_skb/stream_verdict", p_sk_skb)
PROG("sockops", p_sockops)
PROG("syscall", p_syscall)
PROG("?xdp", p_not_autoloaded)
PROG("mystery/section", p_unknown)

char LICENSE[] SEC("license") = "GPL";
