/* Bounded loops the verifier accepts since Linux 5.3 (not unrolled), a
 * bpf_loop with early stop, and a lookup table in .rodata. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const __u8 table[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} sums SEC(".maps");

static int until_big(__u32 i, __u64 *acc)
{
	*acc += i * i;
	return *acc > 1000; /* 1 stops the loop */
}

SEC("syscall")
int loops(void *ctx)
{
	__u64 collatz = 0, tab = 0, acc = 0;
	__u32 k;

#pragma clang loop unroll(disable)
	for (__u32 n = 27; n != 1 && collatz < 200; collatz++)
		n = n & 1 ? 3 * n + 1 : n / 2;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < 64; i++)
		tab += table[(i * 7) & 15];
	bpf_loop(100, until_big, &acc, 0);
	k = 0;
	bpf_map_update_elem(&sums, &k, &collatz, BPF_ANY);
	k = 1;
	bpf_map_update_elem(&sums, &k, &tab, BPF_ANY);
	k = 2;
	bpf_map_update_elem(&sums, &k, &acc, BPF_ANY);
	return (int)collatz;
}

char LICENSE[] SEC("license") = "GPL";
