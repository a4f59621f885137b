/* BTF-defined maps of several types: hash with a struct key, LRU hash,
 * per-CPU array, array with map_flags, and a queue. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow {
	__u32 src, dst;
	__u16 port;
	__u16 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct flow);
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32); /* no evictions: the kernel's LRU order is per CPU */
	__type(key, __u32);
	__type(value, __u32);
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u32);
} fifo SEC(".maps");

SEC("syscall")
int maps_btf(void *ctx)
{
	__u32 zero = 0;
	int popped = 0;

	for (__u32 i = 0; i < 12; i++) {
		struct flow f = {.src = 0x0a000001 + i % 4, .dst = 0x0a0000fe, .port = 80, .proto = 6};
		__u64 one = 1, *n = bpf_map_lookup_elem(&flows, &f);
		__u32 v = i * i;
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&flows, &f, &one, BPF_NOEXIST);
		bpf_map_update_elem(&recent, &i, &v, BPF_ANY);
		bpf_map_push_elem(&fifo, &v, 0);
	}
	__u64 *c = bpf_map_lookup_elem(&per_cpu, &zero);
	if (c)
		*c += 42;
	for (int i = 0; i < 3; i++) {
		__u32 v;
		if (!bpf_map_pop_elem(&fifo, &v))
			popped += v;
	}
	return popped;
}

char LICENSE[] SEC("license") = "GPL";
