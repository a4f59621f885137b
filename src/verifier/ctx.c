/* The contexts of the program types skep runs, as the verifier sees them:
 * which byte ranges of the UAPI struct a program may read or write, with
 * which sizes, and what a load gives (a scalar, or a packet pointer).
 * These follow the kernel's is_valid_access rules for each type
 * (xdp_is_valid_access, sk_filter_is_valid_access,
 * tc_cls_act_is_valid_access, bpf_skb_is_valid_access).  Fields skep's
 * contexts do not model (sk, flow_keys, the socket address fields) are
 * refused, where the kernel would sometimes allow them.
 *
 * Tracing programs (kprobe, tracepoint, raw tracepoint, perf_event, and the
 * BTF-typed tracing and LSM programs) read their context and never write it
 * (kprobe_prog_is_valid_access, tp_prog_is_valid_access,
 * bpf_tracing_ctx_access, pe_prog_is_valid_access, btf_ctx_access).  skep
 * cannot run them (there is no kernel to attach to) but verifies them as the
 * kernel does, so that their objects can be checked in CI.
 *
 * Raw programs (BPF_PROG_TYPE_UNSPEC) have no table: r1 is plain memory.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <linux/bpf_perf_event.h>

#include "isa/bpf_compat.h"
#include "verifier/verifier.h"

#define SZ1 1
#define SZ2 2
#define SZ4 4
#define SZ8 8
#define F(field, sizes, acc, narrow, type)                                                     \
	{offsetof(SKEP_CTX_STRUCT, field), offsetof(SKEP_CTX_STRUCT, field) +                   \
					       sizeof(((SKEP_CTX_STRUCT *)0)->field),           \
	 sizes, acc, narrow, type, #field}
#define R CTX_READ
#define RW (CTX_READ | CTX_WRITE)

/* clang-format off */
#define SKEP_CTX_STRUCT struct xdp_md
static const struct ctx_field xdp_fields[] = {
	F(data,            SZ4, R, 0, VT_PACKET),
	F(data_end,        SZ4, R, 0, VT_PACKET_END),
	F(data_meta,       SZ4, R, 0, VT_PACKET_META),
	F(ingress_ifindex, SZ4, R, 0, VT_SCALAR),
	F(rx_queue_index,  SZ4, R, 0, VT_SCALAR),
	/* egress_ifindex: only for devmap programs (BPF_XDP_DEVMAP) */
};
#undef SKEP_CTX_STRUCT

#define SKEP_CTX_STRUCT struct __sk_buff
#define U32R(f) F(f, SZ1 | SZ2 | SZ4, R, 1, VT_SCALAR)
#define U32RW(f) F(f, SZ1 | SZ2 | SZ4, RW, 1, VT_SCALAR)
static const struct ctx_field socket_fields[] = {
	U32R(len), U32R(pkt_type), U32R(mark), U32R(queue_mapping), U32R(protocol),
	U32R(vlan_present), U32R(vlan_tci), U32R(vlan_proto), U32R(priority),
	U32R(ingress_ifindex), U32R(ifindex), U32R(tc_index),
	F(cb, SZ1 | SZ2 | SZ4 | SZ8, RW, 1, VT_SCALAR),
	U32R(hash), U32R(napi_id), U32R(gso_segs), U32R(gso_size),
};
static const struct ctx_field tc_fields[] = {
	U32R(len), U32R(pkt_type), U32RW(mark), U32RW(queue_mapping), U32R(protocol),
	U32R(vlan_present), U32R(vlan_tci), U32R(vlan_proto), U32RW(priority),
	U32R(ingress_ifindex), U32R(ifindex), U32RW(tc_index),
	F(cb, SZ1 | SZ2 | SZ4 | SZ8, RW, 1, VT_SCALAR),
	U32R(hash), U32RW(tc_classid),
	F(data,      SZ4, R, 0, VT_PACKET),
	F(data_end,  SZ4, R, 0, VT_PACKET_END),
	F(data_meta, SZ4, R, 0, VT_PACKET_META),
	U32R(napi_id),
	F(tstamp,    SZ8, RW, 0, VT_SCALAR),
	U32R(wire_len), U32R(gso_segs), U32R(gso_size),
	F(hwtstamp,  SZ8, R, 0, VT_SCALAR),
};
#undef SKEP_CTX_STRUCT

/* Syscall programs: the context is the caller's buffer, read-only to the
 * program, any offset below 64K (syscall_prog_is_valid_access). */
static const struct ctx_field syscall_fields[] = {
	{0, 0xffff, SZ1 | SZ2 | SZ4 | SZ8, R, 1, VT_SCALAR, "ctx"},
};

/* x86-64's struct pt_regs (21 longs), the kprobe context and the start of
 * struct bpf_perf_event_data; the kernel refuses accesses past its end. */
#define PT_REGS_SIZE 168
#define SZANY (SZ1 | SZ2 | SZ4 | SZ8)
#define TP_MAX_TRACE_SIZE 8192 /* PERF_MAX_TRACE_SIZE */
#define TRACING_ARGS_SIZE 96   /* MAX_BPF_FUNC_ARGS u64 arguments */
_Static_assert(sizeof(bpf_user_pt_regs_t) == PT_REGS_SIZE, "x86-64 struct pt_regs");

static const struct ctx_field kprobe_fields[] = {
	{0, PT_REGS_SIZE, SZANY, R, 1, VT_SCALAR, "regs"},
};
/* The tracepoint's record; its first 8 bytes (common fields) are not readable. */
static const struct ctx_field tracepoint_fields[] = {
	{8, TP_MAX_TRACE_SIZE, SZANY, R, 1, VT_SCALAR, "the tracepoint's fields"},
};
/* Raw tracepoints: the u64 arguments of the tracepoint. */
static const struct ctx_field raw_tp_fields[] = {
	{0, TRACING_ARGS_SIZE, SZANY, R, 1, VT_SCALAR, "args"},
};
/* BTF-typed programs (fentry/fexit/fmod_ret, tp_btf, iter, lsm): one u64 per
 * argument, read at a multiple of 8 (btf_ctx_access).  skep does not type
 * them from the kernel's BTF: a pointer argument is a scalar here, so reads
 * through it must use bpf_probe_read_kernel (BPF_CORE_READ), where the
 * kernel would also allow direct loads. */
#define ARG(n) {8 * (n), 8 * (n) + 8, SZANY, R, 0, VT_SCALAR, "args"}
static const struct ctx_field tracing_fields[] = {
	ARG(0), ARG(1), ARG(2), ARG(3), ARG(4), ARG(5),
	ARG(6), ARG(7), ARG(8), ARG(9), ARG(10), ARG(11),
};
#undef ARG
#define SKEP_CTX_STRUCT struct bpf_perf_event_data
static const struct ctx_field perf_event_fields[] = {
	F(regs,          SZ8,   R, 1, VT_SCALAR), /* whole longs only */
	F(sample_period, SZANY, R, 1, VT_SCALAR),
	F(addr,          SZANY, R, 1, VT_SCALAR),
};
#undef SKEP_CTX_STRUCT

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct ctx_desc ctx_descs[] = {
	{BPF_PROG_TYPE_XDP, "struct xdp_md", sizeof(struct xdp_md), 2, 0, xdp_fields, N(xdp_fields)},
	{BPF_PROG_TYPE_SOCKET_FILTER, "struct __sk_buff", sizeof(struct __sk_buff), 0, 1,
	 socket_fields, N(socket_fields)},
	{BPF_PROG_TYPE_SCHED_CLS, "struct __sk_buff", sizeof(struct __sk_buff), 2, 1,
	 tc_fields, N(tc_fields)},
	{BPF_PROG_TYPE_SCHED_ACT, "struct __sk_buff", sizeof(struct __sk_buff), 2, 1,
	 tc_fields, N(tc_fields)},
	{BPF_PROG_TYPE_SYSCALL, "the syscall context", 0xffff, 0, 0, syscall_fields,
	 N(syscall_fields)},
	{BPF_PROG_TYPE_KPROBE, "struct pt_regs", PT_REGS_SIZE, 0, 0, kprobe_fields,
	 N(kprobe_fields)},
	{BPF_PROG_TYPE_TRACEPOINT, "the tracepoint record", TP_MAX_TRACE_SIZE, 0, 0,
	 tracepoint_fields, N(tracepoint_fields)},
	{BPF_PROG_TYPE_RAW_TRACEPOINT, "the raw tracepoint arguments", TRACING_ARGS_SIZE, 0, 0,
	 raw_tp_fields, N(raw_tp_fields)},
	{BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, "the raw tracepoint arguments",
	 TRACING_ARGS_SIZE, 0, 0, raw_tp_fields, N(raw_tp_fields)},
	{BPF_PROG_TYPE_PERF_EVENT, "struct bpf_perf_event_data",
	 sizeof(struct bpf_perf_event_data), 0, 0, perf_event_fields, N(perf_event_fields)},
	{BPF_PROG_TYPE_TRACING, "the traced function's arguments", TRACING_ARGS_SIZE, 0, 0,
	 tracing_fields, N(tracing_fields)},
	{BPF_PROG_TYPE_LSM, "the LSM hook's arguments", TRACING_ARGS_SIZE, 0, 0, tracing_fields,
	 N(tracing_fields)},
};
/* clang-format on */

const struct ctx_desc *ctx_desc_of(uint32_t prog_type)
{
	for (size_t i = 0; i < N(ctx_descs); i++)
		if (ctx_descs[i].prog_type == prog_type)
			return &ctx_descs[i];
	return NULL;
}

const struct ctx_field *ctx_field_find(const struct ctx_desc *d, int off, int size, int write,
				       const char **why)
{
	if (off < 0 || (uint32_t)(off + size) > d->size) {
		*why = "outside the context";
		return NULL;
	}
	if (off % size) {
		*why = "misaligned";
		return NULL;
	}
	for (size_t i = 0; i < d->nr_fields; i++) {
		const struct ctx_field *f = &d->fields[i];
		if (off < f->off || off >= f->end)
			continue;
		if (off + size > f->end) {
			*why = "the access runs past the field";
			return NULL;
		}
		if (!(f->sizes & size)) {
			*why = "wrong size for this field";
			return NULL;
		}
		if (!(f->access & (write ? CTX_WRITE : CTX_READ))) {
			*why = write ? "this field is read-only for this program type"
				     : "this field cannot be read";
			return NULL;
		}
		if (!f->narrow && off != f->off) {
			*why = "this field must be accessed whole";
			return NULL;
		}
		if (write && f->narrow && f->end - f->off == 4 && size != 4) {
			*why = "this field must be written whole";
			return NULL;
		}
		return f;
	}
	*why = "no field this program type may access is there";
	return NULL;
}

static const struct {
	const char *name;
	uint32_t type;
} prog_type_names[] = {
	{"raw", BPF_PROG_TYPE_UNSPEC},
	{"unspec", BPF_PROG_TYPE_UNSPEC},
	{"socket_filter", BPF_PROG_TYPE_SOCKET_FILTER},
	{"socket", BPF_PROG_TYPE_SOCKET_FILTER},
	{"xdp", BPF_PROG_TYPE_XDP},
	{"sched_cls", BPF_PROG_TYPE_SCHED_CLS},
	{"tc", BPF_PROG_TYPE_SCHED_CLS},
	{"classifier", BPF_PROG_TYPE_SCHED_CLS},
	{"sched_act", BPF_PROG_TYPE_SCHED_ACT},
	{"action", BPF_PROG_TYPE_SCHED_ACT},
	{"syscall", BPF_PROG_TYPE_SYSCALL},
	{"kprobe", BPF_PROG_TYPE_KPROBE},
	{"tracepoint", BPF_PROG_TYPE_TRACEPOINT},
	{"raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT},
	{"raw_tracepoint_writable", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE},
	{"perf_event", BPF_PROG_TYPE_PERF_EVENT},
	{"tracing", BPF_PROG_TYPE_TRACING},
	{"lsm", BPF_PROG_TYPE_LSM},
};

int verifier_prog_type_parse(const char *s, uint32_t *type)
{
	for (size_t i = 0; i < N(prog_type_names); i++)
		if (!strcasecmp(s, prog_type_names[i].name)) {
			*type = prog_type_names[i].type;
			return 0;
		}
	return -EINVAL;
}

const char *verifier_prog_type_name(uint32_t type)
{
	for (size_t i = 0; i < N(prog_type_names); i++)
		if (prog_type_names[i].type == type)
			return prog_type_names[i].name;
	return "unknown";
}

int skep_prog_type_parse(const char *name, uint32_t *type)
{
	return verifier_prog_type_parse(name, type);
}

const char *skep_prog_type_name(uint32_t type)
{
	return verifier_prog_type_name(type);
}
