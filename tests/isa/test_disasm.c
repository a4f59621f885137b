/* The disassembler: exact text for a set of encodings.  Kernel-syntax
 * expectations are what llvm-objdump / llvm-mc 14 print for the same bytes
 * (`llvm-mc -triple=bpfel --disassemble`), except where noted: lddw in hex as
 * newer llvm prints it, local calls and ld_ind as the kernel verifier log
 * prints them, and the v4 instructions llvm 14 does not know, as newer llvm
 * prints them. */
#include <stdio.h>
#include <string.h>

#include "../lib/harness.h"
#include "isa/isa.h"

struct dis_case {
	const char *bytes; /* hex pairs, 8 or 16 bytes */
	enum isa_syntax syntax;
	const char *want;
	int slots;
};

#define K ISA_SYNTAX_KERNEL
#define C ISA_SYNTAX_CONFORMANCE

static const struct dis_case cases[] = {
	/* ALU */
	{"07 01 00 00 05 00 00 00", K, "r1 += 5", 1},
	{"07 01 00 00 fb ff ff ff", K, "r1 += -5", 1},
	{"0f 21 00 00 00 00 00 00", K, "r1 += r2", 1},
	{"04 01 00 00 05 00 00 00", K, "w1 += 5", 1},
	{"0c 21 00 00 00 00 00 00", K, "w1 += w2", 1},
	{"b7 01 00 00 ff ff ff ff", K, "r1 = -1", 1},
	{"b4 01 00 00 ff ff ff ff", K, "w1 = -1", 1},
	{"bc 21 00 00 00 00 00 00", K, "w1 = w2", 1},
	{"54 01 00 00 ff 00 00 00", K, "w1 &= 255", 1},
	{"c7 01 00 00 03 00 00 00", K, "r1 s>>= 3", 1},
	{"c4 01 00 00 03 00 00 00", K, "w1 s>>= 3", 1},
	{"87 01 00 00 00 00 00 00", K, "r1 = -r1", 1},
	{"84 01 00 00 00 00 00 00", K, "w1 = -w1", 1},
	{"dc 01 00 00 10 00 00 00", K, "r1 = be16 r1", 1},
	{"d4 01 00 00 20 00 00 00", K, "r1 = le32 r1", 1},
	{"d4 01 00 00 40 00 00 00", K, "r1 = le64 r1", 1},
	/* v4 ALU */
	{"d7 01 00 00 10 00 00 00", K, "r1 = bswap16 r1", 1},
	{"bf 21 08 00 00 00 00 00", K, "r1 = (s8)r2", 1},
	{"bc 21 10 00 00 00 00 00", K, "w1 = (s16)w2", 1},
	{"bf 21 20 00 00 00 00 00", K, "r1 = (s32)r2", 1},
	{"3f 21 01 00 00 00 00 00", K, "r1 s/= r2", 1},
	{"94 01 01 00 03 00 00 00", K, "w1 s%= 3", 1},
	/* 64-bit constants */
	{"18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11", K, "r0 = 0x1122334455667788 ll", 2},
	{"18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff", K, "r1 = 0xffffffffffffffff ll", 2},
	{"18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00", K, "r1 = map[fd:3]", 2},
	{"18 21 00 00 03 00 00 00 00 00 00 00 08 00 00 00", K, "r1 = map[fd:3][0]+8", 2},
	{"18 51 00 00 02 00 00 00 00 00 00 00 00 00 00 00", K, "r1 = map[idx:2]", 2},
	{"18 41 00 00 05 00 00 00 00 00 00 00 00 00 00 00", K, "r1 = subprog[+5]", 2},
	{"18 01 00 00 05 00 00 00", K, "lddw (missing second slot)", 1},
	/* legacy packet loads (ld_ind as the kernel prints it; llvm drops imm) */
	{"20 00 00 00 04 00 00 00", K, "r0 = *(u32 *)skb[4]", 1},
	{"28 00 00 00 04 00 00 00", K, "r0 = *(u16 *)skb[4]", 1},
	{"30 00 00 00 04 00 00 00", K, "r0 = *(u8 *)skb[4]", 1},
	{"50 10 00 00 04 00 00 00", K, "r0 = *(u8 *)skb[r1 + 4]", 1},
	/* loads and stores */
	{"61 10 04 00 00 00 00 00", K, "r0 = *(u32 *)(r1 + 4)", 1},
	{"61 10 00 00 00 00 00 00", K, "r0 = *(u32 *)(r1 + 0)", 1},
	{"79 10 f8 ff 00 00 00 00", K, "r0 = *(u64 *)(r1 - 8)", 1},
	{"69 10 00 80 00 00 00 00", K, "r0 = *(u16 *)(r1 - 32768)", 1},
	{"91 21 ff ff 00 00 00 00", K, "r1 = *(s8 *)(r2 - 1)", 1},
	{"7b 1a f8 ff 00 00 00 00", K, "*(u64 *)(r10 - 8) = r1", 1},
	{"62 0a f8 ff 07 00 00 00", K, "*(u32 *)(r10 - 8) = 7", 1},
	{"7a 0a f8 ff f9 ff ff ff", K, "*(u64 *)(r10 - 8) = -7", 1},
	/* atomics */
	{"db 1a f8 ff 00 00 00 00", K, "lock *(u64 *)(r10 - 8) += r1", 1},
	{"c3 1a f8 ff 00 00 00 00", K, "lock *(u32 *)(r10 - 8) += w1", 1},
	{"db 1a f8 ff 40 00 00 00", K, "lock *(u64 *)(r10 - 8) |= r1", 1},
	{"c3 1a f8 ff 40 00 00 00", K, "lock *(u32 *)(r10 - 8) |= w1", 1},
	{"db 1a f8 ff 01 00 00 00", K, "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)", 1},
	{"c3 1a f8 ff 01 00 00 00", K, "w1 = atomic_fetch_add((u32 *)(r10 - 8), w1)", 1},
	{"db 1a f8 ff 51 00 00 00", K, "r1 = atomic_fetch_and((u64 *)(r10 - 8), r1)", 1},
	{"c3 1a f8 ff 41 00 00 00", K, "w1 = atomic_fetch_or((u32 *)(r10 - 8), w1)", 1},
	{"db 1a f8 ff e1 00 00 00", K, "r1 = xchg_64(r10 - 8, r1)", 1},
	{"c3 1a f8 ff e1 00 00 00", K, "w1 = xchg32_32(r10 - 8, w1)", 1},
	{"db 1a f8 ff f1 00 00 00", K, "r0 = cmpxchg_64(r10 - 8, r0, r1)", 1},
	{"c3 1a f8 ff f1 00 00 00", K, "w0 = cmpxchg32_32(r10 - 8, w0, w1)", 1},
	{"db 10 00 00 00 01 00 00", K, "r0 = load_acquire((u64 *)(r1 + 0))", 1},
	{"db 21 00 00 10 01 00 00", K, "store_release((u64 *)(r1 + 0), r2)", 1},
	/* jumps and calls */
	{"2d 21 03 00 00 00 00 00", K, "if r1 > r2 goto +3", 1},
	{"3d 21 00 00 00 00 00 00", K, "if r1 >= r2 goto +0", 1},
	{"c6 01 fe ff 05 00 00 00", K, "if w1 s< 5 goto -2", 1},
	{"55 01 03 00 ff ff ff ff", K, "if r1 != -1 goto +3", 1},
	{"56 01 03 00 ff ff ff ff", K, "if w1 != -1 goto +3", 1},
	{"45 01 03 00 04 00 00 00", K, "if r1 & 4 goto +3", 1},
	{"05 00 03 00 00 00 00 00", K, "goto +3", 1},
	{"05 00 fd ff 00 00 00 00", K, "goto -3", 1},
	{"06 00 00 00 05 00 00 00", K, "gotol +5", 1},
	{"e5 00 02 00 00 00 00 00", K, "may_goto +2", 1},
	{"85 00 00 00 05 00 00 00", K, "call 5", 1},
	{"85 10 00 00 03 00 00 00", K, "call pc+3", 1},
	{"85 10 00 00 fd ff ff ff", K, "call pc-3", 1},
	{"8d 02 00 00 00 00 00 00", K, "callx r2", 1},
	{"95 00 00 00 00 00 00 00", K, "exit", 1},
	/* unknown encodings */
	{"ff 00 00 00 00 00 00 00", K, ".insn 0x00000000000000ff", 1},
	{"00 00 00 00 2a 00 00 00", K, ".insn 0x0000002a00000000", 1},
	{"db 1a f8 ff 02 00 00 00", K, ".insn 0x00000002fff81adb", 1},
	/* the conformance dialect */
	{"b7 01 00 00 ff ff ff ff", C, "mov %r1, -1", 1},
	{"b4 01 00 00 00 00 00 80", C, "mov32 %r1, -2147483648", 1},
	{"61 10 04 00 00 00 00 00", C, "ldxw %r0, [%r1+4]", 1},
	{"61 10 00 00 00 00 00 00", C, "ldxw %r0, [%r1]", 1},
	{"7b 1a f8 ff 00 00 00 00", C, "stxdw [%r10-8], %r1", 1},
	{"72 0a f8 ff 07 00 00 00", C, "stb [%r10-8], 7", 1},
	{"c3 1a f8 ff 01 00 00 00", C, "lock fetch add32 [%r10-8], %r1", 1},
	{"db 21 00 00 f1 00 00 00", C, "lock cmpxchg [%r1], %r2", 1},
	{"56 01 03 00 ff ff ff ff", C, "jne32 %r1, -1, +3", 1},
	{"05 00 fd ff 00 00 00 00", C, "ja -3", 1},
	{"06 00 00 00 05 00 00 00", C, "ja32 +5", 1},
	{"85 10 00 00 03 00 00 00", C, "call local +3", 1},
	{"85 20 00 00 07 00 00 00", C, "call runtime 7", 1},
	{"8d 02 00 00 00 00 00 00", C, "call %r2", 1},
	{"d7 01 00 00 20 00 00 00", C, "bswap32 %r1", 1},
	{"bf 21 10 00 00 00 00 00", C, "movsx1664 %r1, %r2", 1},
	{"18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11", C, "lddw %r0, 0x1122334455667788", 2},
	{"18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00", C, "lddw_map_fd %r1, 3", 2},
	{"18 41 00 00 fe ff ff ff 00 00 00 00 00 00 00 00", C, "lddw_func %r1, -2", 2},
	{"48 30 00 00 02 00 00 00", C, "ldindh %r3, 2", 1},
	{"e5 00 02 00 00 00 00 00", C, "may_goto +2", 1},
	{"c3 10 00 00 00 01 00 00", C, "ldacqw %r0, [%r1]", 1},
	/* fields the mnemonic cannot express fall back to raw slots */
	{"07 31 00 00 01 00 00 00", C, ".insn 0x0000000100003107", 1},
	{"95 00 01 00 00 00 00 00", C, ".insn 0x0000000000010095", 1},
	{"18 01 00 00 05 00 00 00", C, ".insn 0x0000000500000118 # lddw (missing second slot)", 1},
	{"18 01 00 00 05 00 00 00 07 00 00 00 00 00 00 00", C, ".insn 0x0000000500000118", 1},
};

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (n < max && sscanf(s, " %2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		s += used;
	}
	return n;
}

static void test_case(struct harness *h, const struct dis_case *c, size_t i)
{
	struct bpf_insn slots[2];
	uint8_t bytes[16];
	size_t n = parse_hex(c->bytes, bytes, sizeof(bytes));
	char text[256], name[64];
	int used;

	memcpy(slots, bytes, n);
	snprintf(name, sizeof(name), "%s_%02zu_%.11s", c->syntax == K ? "kernel" : "conformance", i,
		 c->bytes);
	for (char *p = name; *p; p++)
		if (*p == ' ')
			*p = '_';
	used = isa_disasm_insn(slots, n / 8, 7, c->syntax, text, sizeof(text));
	harness_check(h, !strcmp(text, c->want) && used == c->slots, name,
		      "got '%s' (%d slots), want '%s' (%d)", text, used, c->want, c->slots);
}

/* Short buffers get cut text, always NUL-terminated, and nothing past them. */
static void test_truncation(struct harness *h)
{
	const struct bpf_insn s = {
		.code = 0xdb, .dst_reg = 10, .src_reg = 1, .off = -8, .imm = BPF_ADD | BPF_FETCH};
	char buf[32];
	int ok = 1;

	for (size_t size = 0; size < 20 && ok; size++) {
		memset(buf, 'X', sizeof(buf));
		int used = isa_disasm_insn(&s, 1, 0, K, buf, size);
		ok = used == 1 && buf[size] == 'X' && (size == 0 || strlen(buf) == size - 1);
	}
	harness_check(h, ok, "truncation", "a short buffer was overrun or not terminated");
}

int main(void)
{
	struct harness h = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_case(&h, &cases[i], i);
	test_truncation(&h);
	return harness_exit(&h);
}
