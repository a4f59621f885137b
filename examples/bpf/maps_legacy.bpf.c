/* Legacy map definitions: struct bpf_map_def in SEC("maps"), as programs
 * written for iproute2 and old libbpf still have them (libbpf 1.0 dropped
 * them; skep still loads them). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 8,
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 16,
};

static __always_inline void fill(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&legacy_counts, &i);
	__u32 sq = i * i + 1;

	if (v)
		*v = i * 10;
	bpf_map_update_elem(&legacy_hash, &i, &sq, BPF_ANY);
}

SEC("socket")
int legacy(void *skb)
{
	fill(1);
	fill(2);
	fill(5);
	fill(7);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
