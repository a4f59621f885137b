/* bpf_perf_event_output from packet programs: the upper 32 bits of the
 * flags (BPF_F_CTXLEN_MASK) append that many bytes of the packet to the
 * sample, as the kernel's bpf_xdp_event_output / bpf_skb_event_output do
 * (how xdpdump-style tools capture); more than the packet holds is -EFAULT,
 * unknown flag bits -EINVAL.  Read back through skep's perf buffer. */
#include <stdint.h>

#include "../lib/harness.h"
#include "../maps/progbuild.h"
#include "hooktest.h"

struct seen {
	uint8_t data[256];
	uint32_t size;
	int n;
};

static void on_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	struct seen *s = ctx;

	s->n++;
	s->size = size;
	memcpy(s->data, data, size < sizeof(s->data) ? size : sizeof(s->data));
}

/* *(u64 *)(fp-8) = 0x1122334455667788; r0 = perf_event_output(ctx, map0, flags, fp-8, 8) */
static void build(struct pb *b, uint64_t flags)
{
	b->n = 0;
	pb_movr(b, 6, 1);
	PB(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1, .imm = 0x55667788);
	PB(.code = 0, .imm = 0x11223344);
	PB(.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 1, .off = -8);
	pb_movr(b, 1, 6);
	pb_ld_map(b, 2, 0);
	PB(.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 3, .imm = (int32_t)(uint32_t)flags);
	PB(.code = 0, .imm = (int32_t)(uint32_t)(flags >> 32));
	pb_fp(b, 4, -8);
	pb_mov(b, 5, 8);
	pb_call(b, BPF_FUNC_perf_event_output);
	pb_exit(b);
}

static void one(struct harness *h, const char *name, uint32_t type, uint64_t flags, int64_t want,
		uint32_t want_pkt)
{
	struct skep_map_attr a = {.sz = sizeof(a), .type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
				  .key_size = 4, .value_size = 4, .max_entries = 4};
	struct skep_map *m = NULL;
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p = NULL;
	struct skep_perfbuf *pb = NULL;
	struct seen s = {0};
	int ref[1] = {0};
	struct pb b = {.mapref = ref};
	uint8_t pkt[60], out[256];
	struct skep_load_opts lo = {.sz = sizeof(lo), .maps = &m, .nr_maps = 1};
	struct skep_test_run_opts t = {.sz = sizeof(t), .prog_type = type, .data_in = pkt,
				       .data_size_in = sizeof(pkt), .data_out = out,
				       .data_size_out = sizeof(out), .mode = SKEP_EXEC_JIT};
	int err, ok;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i + 1);
	pkt[12] = 0x08, pkt[13] = 0x06;
	build(&b, flags);
	if (skep_map_create(&a, &m) || !(pb = skep_perfbuf_new(m, 1, on_sample, NULL, &s)) ||
	    skep_prog_load(vm, (const struct skep_insn *)b.i, (size_t)b.n, &lo, &p)) {
		harness_fail(h, name, "set-up failed");
		goto out;
	}
	err = skep_prog_test_run(p, &t);
	skep_perfbuf_poll(pb, 0);
	ok = !err && (int32_t)t.retval == want;
	if (ok && !want) {
		static const uint8_t head[8] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
		ok = s.n == 1 && s.size == 8 + want_pkt && !memcmp(s.data, head, 8) &&
		     !memcmp(s.data + 8, pkt, want_pkt);
	} else if (ok) {
		ok = s.n == 0;
	}
	harness_check(h, ok, name, "error %d, r0 %d (want %lld), %d samples of %u bytes", err,
		      (int32_t)t.retval, (long long)want, s.n, s.size);
out:
	skep_perfbuf_free(pb);
	skep_prog_free(p);
	skep_vm_free(vm);
	skep_map_free(m);
}

int main(void)
{
	struct harness h = {0};

	one(&h, "xdp: data and 20 packet bytes", BPF_PROG_TYPE_XDP, BPF_F_CURRENT_CPU | (20ull << 32), 0, 20);
	one(&h, "xdp: the whole packet", BPF_PROG_TYPE_XDP, BPF_F_CURRENT_CPU | (60ull << 32), 0, 60);
	one(&h, "xdp: more than the packet is -EFAULT", BPF_PROG_TYPE_XDP,
	    BPF_F_CURRENT_CPU | (61ull << 32), -EFAULT, 0);
	one(&h, "xdp: no length, no packet bytes", BPF_PROG_TYPE_XDP, BPF_F_CURRENT_CPU, 0, 0);
	one(&h, "tc: data and 14 packet bytes", BPF_PROG_TYPE_SCHED_CLS,
	    BPF_F_CURRENT_CPU | (14ull << 32), 0, 14);
	one(&h, "tc: unknown flag bits are -EINVAL", BPF_PROG_TYPE_SCHED_CLS,
	    BPF_F_CURRENT_CPU | (1ull << 52) | (14ull << 32), -EINVAL, 0);
	return harness_exit(&h);
}
