/* A map pinned by name (LIBBPF_PIN_BY_NAME): the first object to load
 * creates it under the pin directory, later ones share it, so the counter
 * keeps counting across runs and processes (`skep map dump runs` shows it). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} runs SEC(".maps");

SEC("syscall")
int count_runs(void *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&runs, &zero);

	if (!n)
		return -1;
	return (int)__sync_add_and_fetch(n, 1);
}

char LICENSE[] SEC("license") = "GPL";
