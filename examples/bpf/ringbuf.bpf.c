/* A ring buffer: records reserved and submitted, one output by copy, one
 * reservation discarded. User space reads them in order. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 seq;
	__u32 square;
	char tag[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("syscall")
int ringbuf(void *ctx)
{
	int sent = 0;

	for (__u32 i = 0; i < 5; i++) {
		struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			continue;
		e->seq = i;
		e->square = i * i;
		__builtin_memcpy(e->tag, "skep-rb", 8);
		if (i == 3) {
			bpf_ringbuf_discard(e, 0);
			continue;
		}
		bpf_ringbuf_submit(e, 0);
		sent++;
	}
	struct event last = {.seq = 99, .square = 0, .tag = "output"};
	if (!bpf_ringbuf_output(&events, &last, sizeof(last), 0))
		sent++;
	return sent;
}

char LICENSE[] SEC("license") = "GPL";
