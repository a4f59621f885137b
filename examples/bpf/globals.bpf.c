/* Global variables: .data, .bss, .rodata (a const volatile knob set before
 * load, as skeletons do: skep test-run --rodata scale=u32:N), a custom
 * .data.counters section, and strings in .rodata.str1.1 compared with
 * bpf_strncmp. The results land in the `result` map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 scale = 3;         /* .rodata */
__u64 counter = 100;                    /* .data */
__u64 hits;                             /* .bss */
__u32 extra SEC(".data.counters") = 7;  /* .data.counters */
char name[16] = "skep-loader";          /* .data: mutable, so not folded */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} result SEC(".maps");

static void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&result, &k, &v, BPF_ANY);
}

SEC("syscall")
int globals(void *ctx)
{
	__u64 sum = 0;

	for (int i = 0; i < (int)sizeof(name) && name[i]; i++)
		sum = sum * 31 + name[i];
	counter += scale;
	hits++;
	extra *= 2;
	put(0, sum);
	put(1, counter);
	put(2, hits + extra);
	put(3, bpf_strncmp(name, sizeof(name), "skep-loader") == 0);
	return scale * 7;
}

char LICENSE[] SEC("license") = "GPL";
