/* The contexts of the program types skep runs, as the verifier sees them:
 * which byte ranges of the UAPI struct a program may read or write, with
 * which sizes, and what a load gives (a scalar, or a packet pointer).
 * These follow the kernel's is_valid_access rules for each type
 * (xdp_is_valid_access, sk_filter_is_valid_access,
 * tc_cls_act_is_valid_access, bpf_skb_is_valid_access).  Fields skep's
 * contexts do not model (sk, flow_keys, the socket address fields) are
 * refused, where the kernel would sometimes allow them.
 *
 * Raw programs (BPF_PROG_TYPE_UNSPEC) have no table: r1 is plain memory.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

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
