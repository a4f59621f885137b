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

SEC("syscall")
int map_in_map(void *ctx)
{
	int found = 0;

	for (__u32 o = 0; o < 2; o++) {
		void *in = bpf_map_lookup_elem(&outer, &o);
		if (!in)
			continue;
		for (__u32 k = 0; k < 4; k++) {
			__u32 v = (o + 1) * 100 + k;
			bpf_map_update_elem(in, &k, &v, BPF_ANY);
		}
		found++;
	}
	__u32 three = 3, k = 1, v = 77;
	void *in = bpf_map_lookup_elem(&outer_hash, &three);
	if (in) {
		bpf_map_update_elem(in, &k, &v, BPF_ANY);
		found += 10;
	}
	return found;
}

char LICENSE[] SEC("license") = "GPL";
