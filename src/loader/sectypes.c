/* Section names to program types, as libbpf reads SEC("...") (its
 * documented section-name table, program_types.rst), and the program type
 * names bpftool prints. A name matches an entry when it is the entry or the
 * entry followed by '/' and anything (kprobe/do_unlinkat); a leading '?'
 * (do not autoload) is stripped by the caller. */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#include "loader/loader.h"

struct sectype {
	const char *prefix;
	uint32_t type, attach;
};

/* clang-format off */
static const struct sectype sectypes[] = {
	{"socket",		BPF_PROG_TYPE_SOCKET_FILTER,	0},
	{"sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT,	BPF_SK_REUSEPORT_SELECT_OR_MIGRATE},
	{"sk_reuseport",	BPF_PROG_TYPE_SK_REUSEPORT,	BPF_SK_REUSEPORT_SELECT},
	{"kprobe",		BPF_PROG_TYPE_KPROBE,		0},
	{"uprobe",		BPF_PROG_TYPE_KPROBE,		0},
	{"uprobe.s",		BPF_PROG_TYPE_KPROBE,		0},
	{"kretprobe",		BPF_PROG_TYPE_KPROBE,		0},
	{"uretprobe",		BPF_PROG_TYPE_KPROBE,		0},
	{"uretprobe.s",		BPF_PROG_TYPE_KPROBE,		0},
	{"kprobe.multi",	BPF_PROG_TYPE_KPROBE,		BPF_TRACE_KPROBE_MULTI},
	{"kretprobe.multi",	BPF_PROG_TYPE_KPROBE,		BPF_TRACE_KPROBE_MULTI},
	{"ksyscall",		BPF_PROG_TYPE_KPROBE,		0},
	{"kretsyscall",		BPF_PROG_TYPE_KPROBE,		0},
	{"usdt",		BPF_PROG_TYPE_KPROBE,		0},
	{"tc",			BPF_PROG_TYPE_SCHED_CLS,	0},
	{"classifier",		BPF_PROG_TYPE_SCHED_CLS,	0},
	{"action",		BPF_PROG_TYPE_SCHED_ACT,	0},
	{"tracepoint",		BPF_PROG_TYPE_TRACEPOINT,	0},
	{"tp",			BPF_PROG_TYPE_TRACEPOINT,	0},
	{"raw_tracepoint",	BPF_PROG_TYPE_RAW_TRACEPOINT,	0},
	{"raw_tp",		BPF_PROG_TYPE_RAW_TRACEPOINT,	0},
	{"raw_tracepoint.w",	BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0},
	{"raw_tp.w",		BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0},
	{"tp_btf",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_RAW_TP},
	{"fentry",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_FENTRY},
	{"fentry.s",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_FENTRY},
	{"fmod_ret",		BPF_PROG_TYPE_TRACING,		BPF_MODIFY_RETURN},
	{"fmod_ret.s",		BPF_PROG_TYPE_TRACING,		BPF_MODIFY_RETURN},
	{"fexit",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_FEXIT},
	{"fexit.s",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_FEXIT},
	{"iter",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_ITER},
	{"iter.s",		BPF_PROG_TYPE_TRACING,		BPF_TRACE_ITER},
	{"freplace",		BPF_PROG_TYPE_EXT,		0},
	{"lsm",			BPF_PROG_TYPE_LSM,		BPF_LSM_MAC},
	{"lsm.s",		BPF_PROG_TYPE_LSM,		BPF_LSM_MAC},
	{"lsm_cgroup",		BPF_PROG_TYPE_LSM,		BPF_LSM_CGROUP},
	{"xdp/devmap",		BPF_PROG_TYPE_XDP,		BPF_XDP_DEVMAP},
	{"xdp.frags/devmap",	BPF_PROG_TYPE_XDP,		BPF_XDP_DEVMAP},
	{"xdp/cpumap",		BPF_PROG_TYPE_XDP,		BPF_XDP_CPUMAP},
	{"xdp.frags/cpumap",	BPF_PROG_TYPE_XDP,		BPF_XDP_CPUMAP},
	{"xdp",			BPF_PROG_TYPE_XDP,		BPF_XDP},
	{"xdp.frags",		BPF_PROG_TYPE_XDP,		BPF_XDP},
	{"perf_event",		BPF_PROG_TYPE_PERF_EVENT,	0},
	{"lwt_in",		BPF_PROG_TYPE_LWT_IN,		0},
	{"lwt_out",		BPF_PROG_TYPE_LWT_OUT,		0},
	{"lwt_xmit",		BPF_PROG_TYPE_LWT_XMIT,		0},
	{"lwt_seg6local",	BPF_PROG_TYPE_LWT_SEG6LOCAL,	0},
	{"sockops",		BPF_PROG_TYPE_SOCK_OPS,		BPF_CGROUP_SOCK_OPS},
	{"sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB,		BPF_SK_SKB_STREAM_PARSER},
	{"sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB,		BPF_SK_SKB_STREAM_VERDICT},
	{"sk_skb",		BPF_PROG_TYPE_SK_SKB,		0},
	{"sk_msg",		BPF_PROG_TYPE_SK_MSG,		BPF_SK_MSG_VERDICT},
	{"lirc_mode2",		BPF_PROG_TYPE_LIRC_MODE2,	BPF_LIRC_MODE2},
	{"flow_dissector",	BPF_PROG_TYPE_FLOW_DISSECTOR,	BPF_FLOW_DISSECTOR},
	{"cgroup_skb/ingress",	BPF_PROG_TYPE_CGROUP_SKB,	BPF_CGROUP_INET_INGRESS},
	{"cgroup_skb/egress",	BPF_PROG_TYPE_CGROUP_SKB,	BPF_CGROUP_INET_EGRESS},
	{"cgroup/skb",		BPF_PROG_TYPE_CGROUP_SKB,	0},
	{"cgroup/sock_create",	BPF_PROG_TYPE_CGROUP_SOCK,	BPF_CGROUP_INET_SOCK_CREATE},
	{"cgroup/sock_release",	BPF_PROG_TYPE_CGROUP_SOCK,	BPF_CGROUP_INET_SOCK_RELEASE},
	{"cgroup/sock",		BPF_PROG_TYPE_CGROUP_SOCK,	BPF_CGROUP_INET_SOCK_CREATE},
	{"cgroup/post_bind4",	BPF_PROG_TYPE_CGROUP_SOCK,	BPF_CGROUP_INET4_POST_BIND},
	{"cgroup/post_bind6",	BPF_PROG_TYPE_CGROUP_SOCK,	BPF_CGROUP_INET6_POST_BIND},
	{"cgroup/dev",		BPF_PROG_TYPE_CGROUP_DEVICE,	BPF_CGROUP_DEVICE},
	{"cgroup/bind4",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET4_BIND},
	{"cgroup/bind6",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET6_BIND},
	{"cgroup/connect4",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET4_CONNECT},
	{"cgroup/connect6",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET6_CONNECT},
	{"cgroup/sendmsg4",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_UDP4_SENDMSG},
	{"cgroup/sendmsg6",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_UDP6_SENDMSG},
	{"cgroup/recvmsg4",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_UDP4_RECVMSG},
	{"cgroup/recvmsg6",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_UDP6_RECVMSG},
	{"cgroup/getpeername4",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET4_GETPEERNAME},
	{"cgroup/getpeername6",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET6_GETPEERNAME},
	{"cgroup/getsockname4",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET4_GETSOCKNAME},
	{"cgroup/getsockname6",	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,	BPF_CGROUP_INET6_GETSOCKNAME},
	{"cgroup/sysctl",	BPF_PROG_TYPE_CGROUP_SYSCTL,	BPF_CGROUP_SYSCTL},
	{"cgroup/getsockopt",	BPF_PROG_TYPE_CGROUP_SOCKOPT,	BPF_CGROUP_GETSOCKOPT},
	{"cgroup/setsockopt",	BPF_PROG_TYPE_CGROUP_SOCKOPT,	BPF_CGROUP_SETSOCKOPT},
	{"struct_ops",		BPF_PROG_TYPE_STRUCT_OPS,	0},
	{"struct_ops.s",	BPF_PROG_TYPE_STRUCT_OPS,	0},
	{"sk_lookup",		BPF_PROG_TYPE_SK_LOOKUP,	BPF_SK_LOOKUP},
	{"syscall",		BPF_PROG_TYPE_SYSCALL,		0},
};

/* bpftool's names, by enum bpf_prog_type. */
static const char *const prog_type_names[] = {
	[BPF_PROG_TYPE_UNSPEC] = "unspec",
	[BPF_PROG_TYPE_SOCKET_FILTER] = "socket_filter",
	[BPF_PROG_TYPE_KPROBE] = "kprobe",
	[BPF_PROG_TYPE_SCHED_CLS] = "sched_cls",
	[BPF_PROG_TYPE_SCHED_ACT] = "sched_act",
	[BPF_PROG_TYPE_TRACEPOINT] = "tracepoint",
	[BPF_PROG_TYPE_XDP] = "xdp",
	[BPF_PROG_TYPE_PERF_EVENT] = "perf_event",
	[BPF_PROG_TYPE_CGROUP_SKB] = "cgroup_skb",
	[BPF_PROG_TYPE_CGROUP_SOCK] = "cgroup_sock",
	[BPF_PROG_TYPE_LWT_IN] = "lwt_in",
	[BPF_PROG_TYPE_LWT_OUT] = "lwt_out",
	[BPF_PROG_TYPE_LWT_XMIT] = "lwt_xmit",
	[BPF_PROG_TYPE_SOCK_OPS] = "sock_ops",
	[BPF_PROG_TYPE_SK_SKB] = "sk_skb",
	[BPF_PROG_TYPE_CGROUP_DEVICE] = "cgroup_device",
	[BPF_PROG_TYPE_SK_MSG] = "sk_msg",
	[BPF_PROG_TYPE_RAW_TRACEPOINT] = "raw_tracepoint",
	[BPF_PROG_TYPE_CGROUP_SOCK_ADDR] = "cgroup_sock_addr",
	[BPF_PROG_TYPE_LWT_SEG6LOCAL] = "lwt_seg6local",
	[BPF_PROG_TYPE_LIRC_MODE2] = "lirc_mode2",
	[BPF_PROG_TYPE_SK_REUSEPORT] = "sk_reuseport",
	[BPF_PROG_TYPE_FLOW_DISSECTOR] = "flow_dissector",
	[BPF_PROG_TYPE_CGROUP_SYSCTL] = "cgroup_sysctl",
	[BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE] = "raw_tracepoint_writable",
	[BPF_PROG_TYPE_CGROUP_SOCKOPT] = "cgroup_sockopt",
	[BPF_PROG_TYPE_TRACING] = "tracing",
	[BPF_PROG_TYPE_STRUCT_OPS] = "struct_ops",
	[BPF_PROG_TYPE_EXT] = "ext",
	[BPF_PROG_TYPE_LSM] = "lsm",
	[BPF_PROG_TYPE_SK_LOOKUP] = "sk_lookup",
	[BPF_PROG_TYPE_SYSCALL] = "syscall",
};

/* Short names people type, as bpftool and libbpf's SEC() spell them. */
static const struct { const char *alias; uint32_t type; } prog_type_aliases[] = {
	{"socket", BPF_PROG_TYPE_SOCKET_FILTER},
	{"tc", BPF_PROG_TYPE_SCHED_CLS},
	{"classifier", BPF_PROG_TYPE_SCHED_CLS},
	{"action", BPF_PROG_TYPE_SCHED_ACT},
	{"tp", BPF_PROG_TYPE_TRACEPOINT},
	{"raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT},
	{"sockops", BPF_PROG_TYPE_SOCK_OPS},
	{"raw", BPF_PROG_TYPE_UNSPEC},
};
/* clang-format on */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int sectype_lookup(const char *sec, uint32_t *type, uint32_t *attach)
{
	for (size_t i = 0; i < ARRAY_LEN(sectypes); i++) {
		size_t n = strlen(sectypes[i].prefix);
		if (strncmp(sec, sectypes[i].prefix, n) || (sec[n] && sec[n] != '/'))
			continue;
		*type = sectypes[i].type;
		*attach = sectypes[i].attach;
		return 0;
	}
	*type = BPF_PROG_TYPE_UNSPEC;
	*attach = 0;
	return -ENOENT;
}

const char *sectype_prog_type_name(uint32_t type)
{
	if (type < ARRAY_LEN(prog_type_names) && prog_type_names[type])
		return prog_type_names[type];
	return NULL;
}

int sectype_prog_type_parse(const char *name, uint32_t *type)
{
	for (uint32_t t = 0; t < ARRAY_LEN(prog_type_names); t++)
		if (prog_type_names[t] && !strcmp(name, prog_type_names[t]))
			return *type = t, 0;
	for (size_t i = 0; i < ARRAY_LEN(prog_type_aliases); i++)
		if (!strcmp(name, prog_type_aliases[i].alias))
			return *type = prog_type_aliases[i].type, 0;
	return -ENOENT;
}
