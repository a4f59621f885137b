/* Checked runs of packet programs: the packet and the context are the
 * regions a program may touch, and they follow the packet when a helper
 * moves it.  Unverified programs that read past data_end, before data_meta,
 * write the read-only XDP context or hand a helper something that is not the
 * context are stopped (-EFAULT / -EINVAL, the log naming why), in the
 * checked interpreter and in checked native code alike; programs that stay
 * inside run normally, also after adjust_head/_meta and change_tail. */
#include <stdint.h>

#include "../lib/harness.h"
#include "../maps/progbuild.h"
#include "hooktest.h"

#define LDXW(D, S, O) PB(.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = (D), .src_reg = (S), .off = (O))
#define LDXB(D, S, O) PB(.code = BPF_LDX | BPF_MEM | BPF_B, .dst_reg = (D), .src_reg = (S), .off = (O))
#define ADDI(D, K) PB(.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = (D), .imm = (K))

/* Run b as `type` on a 64-byte packet in both checked modes: 0 (and r0) or the error. */
static void expect(struct harness *h, const char *name, uint32_t type, struct pb *b, int want_err,
		   uint32_t want_ret)
{
	static const enum skep_exec_mode modes[] = {SKEP_EXEC_CHECKED, SKEP_EXEC_JIT_CHECKED};
	struct skep_vm *vm = skep_vm_new();
	struct skep_prog *p = NULL;
	uint8_t pkt[64] = {0}, out[4096];
	char log[1024] = "", n2[128];

	pkt[12] = 0x08, pkt[13] = 0x06; /* ARP: not an IP packet the skb test run would refuse */
	if (skep_prog_load(vm, (const struct skep_insn *)b->i, (size_t)b->n, NULL, &p)) {
		harness_fail(h, name, "load failed");
		skep_vm_free(vm);
		return;
	}
	for (size_t m = 0; m < 2; m++) {
		struct skep_test_run_opts t = {.sz = sizeof(t), .prog_type = type, .data_in = pkt,
					       .data_size_in = sizeof(pkt), .data_out = out,
					       .data_size_out = sizeof(out), .mode = modes[m],
					       .log_buf = log, .log_size = sizeof(log)};
		int err = skep_prog_test_run(p, &t);
		snprintf(n2, sizeof(n2), "%s (%s)", name, m ? "jit-checked" : "checked");
		harness_check(h, err == want_err && (err || t.retval == want_ret), n2,
			      "error %d (want %d), r0 %u (want %u): %s", err, want_err, t.retval,
			      want_ret, log);
	}
	skep_prog_free(p);
	skep_vm_free(vm);
}

int main(void)
{
	struct harness h = {0};
	static struct pb prog;
	struct pb *b = &prog;

	/* r0 = *(u8 *)data_end */
	b->n = 0;
	LDXW(2, 1, offsetof(struct xdp_md, data_end));
	LDXB(0, 2, 0);
	pb_exit(b);
	expect(&h, "xdp: a read at data_end is stopped", BPF_PROG_TYPE_XDP, b, -EFAULT, 0);

	/* r0 = *(u8 *)(data_end - 1) */
	b->n = 0;
	LDXW(2, 1, offsetof(struct xdp_md, data_end));
	LDXB(0, 2, -1);
	pb_exit(b);
	expect(&h, "xdp: the last byte may be read", BPF_PROG_TYPE_XDP, b, 0, 0);

	/* *(u32 *)ctx = 0 */
	b->n = 0;
	PB(.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 1, .off = 0, .imm = 0);
	pb_mov(b, 0, 2);
	pb_exit(b);
	expect(&h, "xdp: the context is read-only", BPF_PROG_TYPE_XDP, b, -EFAULT, 0);

	/* bpf_xdp_adjust_head(data, 0) */
	b->n = 0;
	LDXW(1, 1, offsetof(struct xdp_md, data));
	pb_mov(b, 2, 0);
	pb_call(b, BPF_FUNC_xdp_adjust_head);
	pb_exit(b);
	expect(&h, "xdp: a helper given data, not the context, stops the run", BPF_PROG_TYPE_XDP, b,
	       -EINVAL, 0);

	/* adjust_meta(ctx, -8); r0 = *(u8 *)data_meta (allowed), then *(data_meta - 1) */
	for (int past = 0; past < 2; past++) {
		b->n = 0;
		pb_movr(b, 6, 1);
		pb_mov(b, 2, -8);
		pb_call(b, BPF_FUNC_xdp_adjust_meta);
		LDXW(2, 6, offsetof(struct xdp_md, data_meta));
		LDXB(0, 2, past ? -1 : 0);
		ADDI(0, 7);
		pb_exit(b);
		expect(&h, past ? "xdp: before data_meta is stopped" : "xdp: metadata may be read",
		       BPF_PROG_TYPE_XDP, b, past ? -EFAULT : 0, 7);
	}

	/* adjust_head(ctx, -16); r0 = *(u8 *)data: the region moved with the packet */
	b->n = 0;
	pb_movr(b, 6, 1);
	pb_mov(b, 2, -16);
	pb_call(b, BPF_FUNC_xdp_adjust_head);
	LDXW(2, 6, offsetof(struct xdp_md, data));
	LDXB(0, 2, 0);
	ADDI(0, 5);
	pb_exit(b);
	expect(&h, "xdp: after adjust_head the new head may be read", BPF_PROG_TYPE_XDP, b, 0, 5);

	/* tc: change_tail(ctx, 164); r0 = *(u8 *)(data_end - 1) (grown bytes are zero) + 9 */
	b->n = 0;
	pb_movr(b, 6, 1);
	pb_mov(b, 2, 164);
	pb_mov(b, 3, 0);
	pb_call(b, BPF_FUNC_skb_change_tail);
	LDXW(2, 6, offsetof(struct __sk_buff, data_end));
	LDXB(0, 2, -1);
	ADDI(0, 9);
	pb_exit(b);
	expect(&h, "tc: after change_tail the grown tail may be read", BPF_PROG_TYPE_SCHED_CLS, b, 0,
	       9);

	/* tc: skb_load_bytes(ctx, 0, data_end, 8): the destination is not the program's */
	b->n = 0;
	pb_movr(b, 6, 1);
	pb_mov(b, 2, 0);
	LDXW(3, 6, offsetof(struct __sk_buff, data_end));
	pb_mov(b, 4, 8);
	pb_call(b, BPF_FUNC_skb_load_bytes);
	pb_exit(b);
	expect(&h, "tc: skb_load_bytes into memory past the packet is stopped",
	       BPF_PROG_TYPE_SCHED_CLS, b, -EFAULT, 0);
	return harness_exit(&h);
}
