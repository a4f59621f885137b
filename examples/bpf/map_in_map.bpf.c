/* Maps of maps: an ARRAY_OF_MAPS whose slots are statically initialised with
 * two inner arrays, and a HASH_OF_MAPS with one; the program reaches the
 * inner maps through the outer ones. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps"), inner_c SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {&inner_a, &inner_b},
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = {[3] = &inner_c},
};

/* Writes `base + k` at k = 0..3 of the inner map at outer[o]; 1 if found. */
static __always_inline int fill(__u32 o, __u32 base)
{
	void *in = bpf_map_lookup_elem(&outer, &o);
	__u32 k, v;

	if (!in)
		return 0;
	k = 0, v = base;
	bpf_map_update_elem(in, &k, &v, BPF_ANY);
	k = 3, v = base + 3;
	bpf_map_update_elem(in, &k, &v, BPF_ANY);
	return 1;
}

SEC("syscall")
int map_in_map(void *ctx)
{
	__u32 three = 3, k = 1, v = 77;
	int found = fill(0, 100) + fill(1, 200);
	void *in = bpf_map_lookup_elem(&outer_hash, &three);

	if (in) {
		bpf_map_update_elem(in, &k, &v, BPF_ANY);
		found += 10;
	}
	return found;
}

char LICENSE[] SEC("license") = "GPL";
