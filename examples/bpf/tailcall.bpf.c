/* Tail calls through a prog array initialised statically with programs of
 * the object (libbpf fills it at load); each stage records that it ran. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} trail SEC(".maps");

static void mark(__u32 stage)
{
	__u32 *v = bpf_map_lookup_elem(&trail, &stage);
	if (v)
		*v += stage + 1;
}

int stage1(struct __sk_buff *skb);
int stage2(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(struct __sk_buff *));
} jump SEC(".maps") = {
	.values = {[1] = (void *)&stage1, [2] = (void *)&stage2},
};

SEC("tc")
int stage2(struct __sk_buff *skb)
{
	mark(2);
	return 2;
}

SEC("tc")
int stage1(struct __sk_buff *skb)
{
	mark(1);
	bpf_tail_call(skb, &jump, 2);
	return 1;
}

SEC("tc")
int tail_entry(struct __sk_buff *skb)
{
	mark(0);
	bpf_tail_call(skb, &jump, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
