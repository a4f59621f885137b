/* Subprograms: a static and a global (separately verified) function in .text,
 * a function in the program's own section, two programs in one object (one
 * of them SEC("?syscall"), which libbpf does not autoload), and a bpf_loop
 * callback (a function pointer: lddw src 4). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __noinline __u64 square(__u64 x)
{
	return x * x;
}

__noinline int mix(int a, int b)
{
	return (a * 2654435761u) ^ (b + 0x9e3779b9);
}

struct loop_ctx {
	__u64 acc;
};

static int step(__u32 i, struct loop_ctx *c)
{
	c->acc = c->acc * 3 + i;
	return 0;
}

SEC("syscall")
int entry(void *ctx)
{
	struct loop_ctx c = {1};
	__u32 k = 0;
	__u64 v;

	bpf_loop(10, step, &c, 0);
	v = square(12) + mix(3, 4) + c.acc;
	bpf_map_update_elem(&out, &k, &v, BPF_ANY);
	return (int)(v & 0xffff);
}

SEC("?syscall")
int optional(void *ctx)
{
	__u32 k = 1;
	__u64 v = square(mix(5, 6) & 0xff);

	bpf_map_update_elem(&out, &k, &v, BPF_ANY);
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
