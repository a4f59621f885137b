/* CO-RE: field offsets, sizes and existence, type sizes and enum values of
 * the target kernel's types, resolved at load against its BTF
 * (/sys/kernel/btf/vmlinux).  The local definitions name only the fields
 * used; `___local` flavours match the kernel type of the base name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	void *mm;
} __attribute__((preserve_access_index));

struct task_struct___local {
	int no_such_field;
} __attribute__((preserve_access_index));

struct sk_buff {
	unsigned int len;
	__u16 protocol;
} __attribute__((preserve_access_index));

enum bpf_map_type___local {
	BPF_MAP_TYPE_RINGBUF___local = 99,
	BPF_MAP_TYPE_NOT_THERE___local = 1000,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 10);
	__type(key, __u32);
	__type(value, __u64);
} facts SEC(".maps");

static void fact(__u32 k, __u64 v)
{
	bpf_map_update_elem(&facts, &k, &v, BPF_ANY);
}

SEC("syscall")
int core(void *ctx)
{
	fact(0, bpf_core_field_offset(struct task_struct, pid));
	fact(1, bpf_core_field_offset(struct task_struct, tgid));
	fact(2, bpf_core_field_size(struct task_struct, mm));
	fact(3, bpf_core_field_exists(struct task_struct___local, no_such_field));
	fact(4, bpf_core_type_size(struct sk_buff));
	fact(5, bpf_core_field_offset(struct sk_buff, protocol));
	fact(6, bpf_core_type_exists(struct task_struct));
	fact(7, bpf_core_enum_value(enum bpf_map_type___local, BPF_MAP_TYPE_RINGBUF___local));
	fact(8, bpf_core_enum_value_exists(enum bpf_map_type___local,
					   BPF_MAP_TYPE_NOT_THERE___local));
	fact(9, bpf_core_field_size(struct sk_buff, protocol));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
