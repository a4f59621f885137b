/* Stack counting, as profilers do it: a kprobe records the stack it fires
 * on in a STACK_TRACE map and counts each stack id in a hash.  In user space
 * there is no kernel stack to record: bpf_get_stackid answers -EFAULT, as
 * the kernel does when it finds no frames, and that is what gets counted. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __s32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("kprobe/do_nanosleep")
int stackcount(void *ctx)
{
	__s32 id = bpf_get_stackid(ctx, &stacks, 0);
	__u64 one = 1, *n = bpf_map_lookup_elem(&counts, &id);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &id, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
