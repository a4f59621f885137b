/* Unit tests of the x86-64 encoders: every instruction form the JIT uses,
 * against bytes that GNU as produces for the AT&T text beside them (and that
 * `objdump -D -b binary -mi386:x86-64` reads back as that text), plus the
 * branch forms, forward labels, and the sticky error.
 *
 * The table covers the encodings' corner cases: r8-r15 (REX.R/REX.B),
 * rsp/r12 bases (SIB), rbp/r13 bases (always a displacement), disp8 vs
 * disp32, imm8 vs imm32, and byte registers sil/dil/bpl that need a bare REX.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/harness.h"
#include "jit/x86_emit.h"

/* X(AT&T text, expected bytes, emitter calls on `e`) */
/* clang-format off */
#define EMIT_CASES(X) \
	X("add %rdi,%rax", "48 01 f8", x86_alu_rr(e, 8, X86_ADD, X86_RAX, X86_RDI)) \
	X("sub %r15d,%r8d", "45 29 f8", x86_alu_rr(e, 4, X86_SUB, X86_R8, X86_R15)) \
	X("xor %rbp,%r13", "49 31 ed", x86_alu_rr(e, 8, X86_XOR, X86_R13, X86_RBP)) \
	X("cmp %r9,%rbx", "4c 39 cb", x86_alu_rr(e, 8, X86_CMP, X86_RBX, X86_R9)) \
	X("and %edx,%ecx", "21 d1", x86_alu_rr(e, 4, X86_AND, X86_RCX, X86_RDX)) \
	X("or %r14,%r14", "4d 09 f6", x86_alu_rr(e, 8, X86_OR, X86_R14, X86_R14)) \
	X("add $1,%rax", "48 83 c0 01", x86_alu_ri(e, 8, X86_ADD, X86_RAX, 1)) \
	X("and $0x12345678,%r14", "49 81 e6 78 56 34 12", \
	  x86_alu_ri(e, 8, X86_AND, X86_R14, 0x12345678)) \
	X("or $-128,%esi", "83 ce 80", x86_alu_ri(e, 4, X86_OR, X86_RSI, -128)) \
	X("xor $128,%edi", "81 f7 80 00 00 00", x86_alu_ri(e, 4, X86_XOR, X86_RDI, 128)) \
	X("cmp $-1,%r11", "49 83 fb ff", x86_alu_ri(e, 8, X86_CMP, X86_R11, -1)) \
	X("sub $512,%rbp", "48 81 ed 00 02 00 00", x86_alu_ri(e, 8, X86_SUB, X86_RBP, 512)) \
	X("sub $-0x80000000,%ebx", "81 eb 00 00 00 80", \
	  x86_alu_ri(e, 4, X86_SUB, X86_RBX, INT32_MIN)) \
	X("add %rsi,16(%rdi)", "48 01 77 10", x86_alu_mr(e, 8, X86_ADD, X86_RDI, 16, X86_RSI)) \
	X("or %eax,-8(%r12)", "41 09 44 24 f8", x86_alu_mr(e, 4, X86_OR, X86_R12, -8, X86_RAX)) \
	X("and %r15,-512(%rbp)", "4c 21 bd 00 fe ff ff", \
	  x86_alu_mr(e, 8, X86_AND, X86_RBP, -512, X86_R15)) \
	X("xor %r8d,0(%r13)", "45 31 45 00", x86_alu_mr(e, 4, X86_XOR, X86_R13, 0, X86_R8)) \
	X("subq $100,0x30(%r12)", "49 83 6c 24 30 64", \
	  x86_alu_mi(e, 8, X86_SUB, X86_R12, 0x30, 100)) \
	X("cmpl $0,(%rsp)", "83 3c 24 00", x86_alu_mi(e, 4, X86_CMP, X86_RSP, 0, 0)) \
	X("subl $1,(%rsp)", "83 2c 24 01", x86_alu_mi(e, 4, X86_SUB, X86_RSP, 0, 1)) \
	X("addq $1000,0(%rbp)", "48 81 45 00 e8 03 00 00", \
	  x86_alu_mi(e, 8, X86_ADD, X86_RBP, 0, 1000)) \
	X("cmp 0x30(%r12),%rbp", "49 3b 6c 24 30", \
	  x86_alu_rm(e, 8, X86_CMP, X86_RBP, X86_R12, 0x30)) \
	X("sub (%r9),%rax", "49 2b 01", x86_alu_rm(e, 8, X86_SUB, X86_RAX, X86_R9, 0)) \
	X("add 0x18(%r12),%r11", "4d 03 5c 24 18", \
	  x86_alu_rm(e, 8, X86_ADD, X86_R11, X86_R12, 0x18)) \
	X("test %rdi,%rdi", "48 85 ff", x86_test_rr(e, 8, X86_RDI, X86_RDI)) \
	X("test %r11d,%r11d", "45 85 db", x86_test_rr(e, 4, X86_R11, X86_R11)) \
	X("test %r10,%rax", "4c 85 d0", x86_test_rr(e, 8, X86_RAX, X86_R10)) \
	X("test $0x100,%rsi", "48 f7 c6 00 01 00 00", x86_test_ri(e, 8, X86_RSI, 0x100)) \
	X("test $-1,%r8d", "41 f7 c0 ff ff ff ff", x86_test_ri(e, 4, X86_R8, -1)) \
	X("mov %r15,%rax", "4c 89 f8", x86_mov_rr(e, 8, X86_RAX, X86_R15)) \
	X("mov %edi,%edi", "89 ff", x86_mov_rr(e, 4, X86_RDI, X86_RDI)) \
	X("mov %rdi,%r12", "49 89 fc", x86_mov_rr(e, 8, X86_R12, X86_RDI)) \
	X("mov $0xdeadbeef,%r9d", "41 b9 ef be ad de", x86_mov_ri32(e, X86_R9, 0xdeadbeef)) \
	X("mov $5,%eax", "b8 05 00 00 00", x86_mov_ri32(e, X86_RAX, 5)) \
	X("movq $-2,%rcx", "48 c7 c1 fe ff ff ff", x86_mov_ri_sx(e, X86_RCX, -2)) \
	X("movq $0x7fffffff,%r10", "49 c7 c2 ff ff ff 7f", x86_mov_ri_sx(e, X86_R10, 0x7fffffff)) \
	X("movabs $0x1122334455667788,%r13", "49 bd 88 77 66 55 44 33 22 11", \
	  x86_movabs(e, X86_R13, 0x1122334455667788ull)) \
	X("movabs $0xffffffff00000000,%rax", "48 b8 00 00 00 00 ff ff ff ff", \
	  x86_movabs(e, X86_RAX, 0xffffffff00000000ull)) \
	X("xor %ebx,%ebx", "31 db", x86_mov_imm64(e, X86_RBX, 0)) \
	X("mov $0xffffffff,%r14d", "41 be ff ff ff ff", x86_mov_imm64(e, X86_R14, 0xffffffffull)) \
	X("movq $-5,%rbx", "48 c7 c3 fb ff ff ff", x86_mov_imm64(e, X86_RBX, (uint64_t)-5)) \
	X("movabs $0x10000000000,%rbx", "48 bb 00 00 00 00 00 01 00 00", \
	  x86_mov_imm64(e, X86_RBX, 1ull << 40)) \
	X("movzbl %sil,%eax", "40 0f b6 c6", x86_movzx_rr(e, 1, X86_RAX, X86_RSI)) \
	X("movzbl %dl,%ecx", "0f b6 ca", x86_movzx_rr(e, 1, X86_RCX, X86_RDX)) \
	X("movzwl %r8w,%r8d", "45 0f b7 c0", x86_movzx_rr(e, 2, X86_R8, X86_R8)) \
	X("movzwl %bx,%ebp", "0f b7 eb", x86_movzx_rr(e, 2, X86_RBP, X86_RBX)) \
	X("movsbq %dil,%rax", "48 0f be c7", x86_movsx_rr(e, 8, 1, X86_RAX, X86_RDI)) \
	X("movswq %si,%r13", "4c 0f bf ee", x86_movsx_rr(e, 8, 2, X86_R13, X86_RSI)) \
	X("movslq %r11d,%r11", "4d 63 db", x86_movsx_rr(e, 8, 4, X86_R11, X86_R11)) \
	X("movsbl %bpl,%edx", "40 0f be d5", x86_movsx_rr(e, 4, 1, X86_RDX, X86_RBP)) \
	X("movswl %cx,%ebx", "0f bf d9", x86_movsx_rr(e, 4, 2, X86_RBX, X86_RCX)) \
	X("movsbq %bl,%r15", "4c 0f be fb", x86_movsx_rr(e, 8, 1, X86_R15, X86_RBX)) \
	X("lea -4(%rdi),%r10", "4c 8d 57 fc", x86_lea(e, X86_R10, X86_RDI, -4)) \
	X("lea 0(%r13),%r10", "4d 8d 55 00", x86_lea(e, X86_R10, X86_R13, 0)) \
	X("lea -1(%r11),%rax", "49 8d 43 ff", x86_lea(e, X86_RAX, X86_R11, -1)) \
	X("lea 0x20(%r9),%r9", "4d 8d 49 20", x86_lea(e, X86_R9, X86_R9, 0x20)) \
	X("lea 0x7fff(%rsp),%r10", "4c 8d 94 24 ff 7f 00 00", \
	  x86_lea(e, X86_R10, X86_RSP, 0x7fff)) \
	X("lea 0x10(%rip),%r11", "4c 8d 1d 10 00 00 00", x86_lea_rip(e, X86_R11, 0x10)) \
	X("lea -0x7(%rip),%rax", "48 8d 05 f9 ff ff ff", x86_lea_rip(e, X86_RAX, -7)) \
	X("movzbl (%rsi),%eax", "0f b6 06", x86_load(e, 1, X86_RAX, X86_RSI, 0)) \
	X("movzwl -2(%rbp),%r14d", "44 0f b7 75 fe", x86_load(e, 2, X86_R14, X86_RBP, -2)) \
	X("mov 0x58(%r12),%edi", "41 8b 7c 24 58", x86_load(e, 4, X86_RDI, X86_R12, 0x58)) \
	X("mov 0x1000(%r13),%rbx", "49 8b 9d 00 10 00 00", \
	  x86_load(e, 8, X86_RBX, X86_R13, 0x1000)) \
	X("mov 0x58(%r12),%rsp", "49 8b 64 24 58", x86_load(e, 8, X86_RSP, X86_R12, 0x58)) \
	X("mov -32768(%r10),%eax", "41 8b 82 00 80 ff ff", \
	  x86_load(e, 4, X86_RAX, X86_R10, -32768)) \
	X("movsbq 7(%rdx),%rcx", "48 0f be 4a 07", x86_load_sx(e, 1, X86_RCX, X86_RDX, 7)) \
	X("movswq (%rsp),%r8", "4c 0f bf 04 24", x86_load_sx(e, 2, X86_R8, X86_RSP, 0)) \
	X("movslq -512(%rbp),%r15", "4c 63 bd 00 fe ff ff", \
	  x86_load_sx(e, 4, X86_R15, X86_RBP, -512)) \
	X("mov %sil,(%rdi)", "40 88 37", x86_store(e, 1, X86_RDI, 0, X86_RSI)) \
	X("mov %al,-1(%rbp)", "88 45 ff", x86_store(e, 1, X86_RBP, -1, X86_RAX)) \
	X("mov %r13b,(%r8)", "45 88 28", x86_store(e, 1, X86_R8, 0, X86_R13)) \
	X("mov %cx,2(%r8)", "66 41 89 48 02", x86_store(e, 2, X86_R8, 2, X86_RCX)) \
	X("mov %r14d,-4(%rbp)", "44 89 75 fc", x86_store(e, 4, X86_RBP, -4, X86_R14)) \
	X("mov %rsp,0x58(%r12)", "49 89 64 24 58", x86_store(e, 8, X86_R12, 0x58, X86_RSP)) \
	X("movb $0xff,3(%rdi)", "c6 47 03 ff", x86_store_imm(e, 1, X86_RDI, 3, -1)) \
	X("movw $0x1234,-8(%rbp)", "66 c7 45 f8 34 12", x86_store_imm(e, 2, X86_RBP, -8, 0x1234)) \
	X("movl $0x800000,(%rsp)", "c7 04 24 00 00 80 00", \
	  x86_store_imm(e, 4, X86_RSP, 0, 0x800000)) \
	X("movq $-2,8(%r13)", "49 c7 45 08 fe ff ff ff", x86_store_imm(e, 8, X86_R13, 8, -2)) \
	X("lock xadd %rsi,8(%rdi)", "f0 48 0f c1 77 08", \
	  x86_lock(e); x86_xadd_m(e, 8, X86_RDI, 8, X86_RSI)) \
	X("lock xadd %eax,(%r15)", "f0 41 0f c1 07", \
	  x86_lock(e); x86_xadd_m(e, 4, X86_R15, 0, X86_RAX)) \
	X("xchg %rdx,-8(%rbp)", "48 87 55 f8", x86_xchg_m(e, 8, X86_RBP, -8, X86_RDX)) \
	X("xchg %r8d,(%rdi)", "44 87 07", x86_xchg_m(e, 4, X86_RDI, 0, X86_R8)) \
	X("lock cmpxchg %r11,(%r10)", "f0 4d 0f b1 1a", \
	  x86_lock(e); x86_cmpxchg_m(e, 8, X86_R10, 0, X86_R11)) \
	X("lock cmpxchg %eax,4(%rax)", "f0 0f b1 40 04", \
	  x86_lock(e); x86_cmpxchg_m(e, 4, X86_RAX, 4, X86_RAX)) \
	X("lock add %rbx,-16(%r14)", "f0 49 01 5e f0", \
	  x86_lock(e); x86_alu_mr(e, 8, X86_ADD, X86_R14, -16, X86_RBX)) \
	X("shl $3,%rax", "48 c1 e0 03", x86_shift_ri(e, 8, X86_SHL, X86_RAX, 3)) \
	X("sar $31,%r9d", "41 c1 f9 1f", x86_shift_ri(e, 4, X86_SAR, X86_R9, 31)) \
	X("rol $8,%dx", "66 c1 c2 08", x86_shift_ri(e, 2, X86_ROL, X86_RDX, 8)) \
	X("rol $8,%r15w", "66 41 c1 c7 08", x86_shift_ri(e, 2, X86_ROL, X86_R15, 8)) \
	X("shr $63,%r15", "49 c1 ef 3f", x86_shift_ri(e, 8, X86_SHR, X86_R15, 63)) \
	X("sar %cl,%rdi", "48 d3 ff", x86_shift_cl(e, 8, X86_SAR, X86_RDI)) \
	X("shl %cl,%r11d", "41 d3 e3", x86_shift_cl(e, 4, X86_SHL, X86_R11)) \
	X("shr %cl,%rcx", "48 d3 e9", x86_shift_cl(e, 8, X86_SHR, X86_RCX)) \
	X("shlx %rcx,%rax,%rax", "c4 e2 f1 f7 c0", x86_shiftx(e, 8, X86_SHL, X86_RAX, X86_RAX, X86_RCX)) \
	X("sarx %r8,%rbx,%r13", "c4 62 ba f7 eb", x86_shiftx(e, 8, X86_SAR, X86_R13, X86_RBX, X86_R8)) \
	X("shrx %ecx,%r11d,%r9d", "c4 42 73 f7 cb", x86_shiftx(e, 4, X86_SHR, X86_R9, X86_R11, X86_RCX)) \
	X("shlx %rsi,%rdi,%rdi", "c4 e2 c9 f7 ff", x86_shiftx(e, 8, X86_SHL, X86_RDI, X86_RDI, X86_RSI)) \
	X("imul %rdi,%rax", "48 0f af c7", x86_imul_rr(e, 8, X86_RAX, X86_RDI)) \
	X("imul %r13d,%r14d", "45 0f af f5", x86_imul_rr(e, 4, X86_R14, X86_R13)) \
	X("imul $10,%rbx,%rbx", "48 6b db 0a", x86_imul_rri(e, 8, X86_RBX, X86_RBX, 10)) \
	X("imul $100000,%esi,%esi", "69 f6 a0 86 01 00", \
	  x86_imul_rri(e, 4, X86_RSI, X86_RSI, 100000)) \
	X("imul $-1,%r8,%r8", "4d 6b c0 ff", x86_imul_rri(e, 8, X86_R8, X86_R8, -1)) \
	X("div %r11", "49 f7 f3", x86_div(e, 8, 0, X86_R11)) \
	X("idiv %r11d", "41 f7 fb", x86_div(e, 4, 1, X86_R11)) \
	X("idiv %rcx", "48 f7 f9", x86_div(e, 8, 1, X86_RCX)) \
	X("cqto", "48 99", x86_sign_extend_ax(e, 8)) \
	X("cltd", "99", x86_sign_extend_ax(e, 4)) \
	X("neg %r8", "49 f7 d8", x86_neg(e, 8, X86_R8)) \
	X("neg %eax", "f7 d8", x86_neg(e, 4, X86_RAX)) \
	X("bswap %edi", "0f cf", x86_bswap(e, 4, X86_RDI)) \
	X("bswap %r13", "49 0f cd", x86_bswap(e, 8, X86_R13)) \
	X("bswap %rax", "48 0f c8", x86_bswap(e, 8, X86_RAX)) \
	X("bswap %r11d", "41 0f cb", x86_bswap(e, 4, X86_R11)) \
	X("push %rbx", "53", x86_push(e, X86_RBX)) \
	X("push %r13", "41 55", x86_push(e, X86_R13)) \
	X("pop %rbp", "5d", x86_pop(e, X86_RBP)) \
	X("pop %r15", "41 5f", x86_pop(e, X86_R15)) \
	X("ret", "c3", x86_ret(e)) \
	X("call *%rax", "ff d0", x86_call_r(e, X86_RAX)) \
	X("call *%r10", "41 ff d2", x86_call_r(e, X86_R10)) \
	X("call *0x70(%r12)", "41 ff 54 24 70", x86_call_m(e, X86_R12, 0x70)) \
	X("call *(%rax)", "ff 10", x86_call_m(e, X86_RAX, 0)) \
	X("jmp *%r10", "41 ff e2", x86_jmp_r(e, X86_R10)) \
	X("jmp *%rax", "ff e0", x86_jmp_r(e, X86_RAX))

/* Branches: displacements count from the end of the instruction. */
#define BRANCH_CASES(X) \
	X("call .+0x105", "e8 00 01 00 00", x86_call_rel32(e, 0x100)) \
	X("jmp .", "e9 fb ff ff ff", x86_jmp_rel32(e, -5)) \
	X("jmp . (short)", "eb fe", x86_jmp_rel8(e, -2)) \
	X("je .+0x86", "0f 84 80 00 00 00", x86_jcc_rel32(e, X86_CC_E, 0x80)) \
	X("jne .+7", "75 05", x86_jcc_rel8(e, X86_CC_NE, 5)) \
	X("jle .-126", "7e 80", x86_jcc_rel8(e, X86_CC_LE, -128)) \
	X("jg .", "0f 8f fa ff ff ff", x86_jcc_rel32(e, X86_CC_G, -6)) \
	X("ja .+7", "77 05", x86_jcc_rel8(e, X86_CC_A, 5)) \
	X("jb over 3 nops", "72 03 90 90 90", \
	  size_t at = x86_jcc8_fwd(e, X86_CC_B); x86_byte(e, 0x90); x86_byte(e, 0x90); \
	  x86_byte(e, 0x90); x86_bind8(e, at)) \
	X("jmp over nothing", "eb 00", size_t at = x86_jmp8_fwd(e); x86_bind8(e, at))
/* clang-format on */

static void emit_hex(const struct x86_buf *e, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t k = 0; k < e->len && n + 4 < size; k++)
		n += (size_t)snprintf(out + n, size - n, "%s%02x", k ? " " : "", e->buf[k]);
}

static void check_bytes(struct harness *h, struct x86_buf *e, const char *name, const char *want)
{
	char got[256];

	emit_hex(e, got, sizeof(got));
	harness_check(h, !e->err && strcmp(got, want) == 0, name,
		      "got \"%s\" (err %d), want \"%s\"", got, e->err, want);
	x86_buf_release(e);
}

static void test_table(struct harness *h)
{
#define X(ASM, HEX, CODE)                      \
	{                                      \
		struct x86_buf buf, *e = &buf; \
		x86_buf_init(e, NULL, 0);      \
		CODE;                          \
		check_bytes(h, e, ASM, HEX);   \
	}
	EMIT_CASES(X)
	BRANCH_CASES(X)
#undef X
}

/* Once emission fails, nothing more is written and the first error stays. */
static void test_sticky(struct harness *h)
{
	uint8_t mem[4];
	struct x86_buf buf, *e = &buf;

	memset(mem, 0xcc, sizeof(mem));
	x86_buf_init(e, mem, sizeof(mem));
	x86_ret(e);
	x86_movabs(e, X86_RAX, 1); /* 10 bytes do not fit in the 3 left */
	size_t len = e->len;
	x86_ret(e);
	x86_jmp_rel8(e, 0);
	harness_check(h, e->err == -E2BIG && e->len == len && len <= sizeof(mem) && mem[0] == 0xc3,
		      "sticky error: full buffer", "err %d len %zu", e->err, e->len);

	x86_buf_init(e, NULL, 0);
	size_t at = x86_jcc8_fwd(e, X86_CC_E);
	for (int i = 0; i < 128; i++)
		x86_byte(e, 0x90);
	x86_bind8(e, at);
	int err = e->err;
	x86_ret(e);
	harness_check(h, err == -ERANGE && e->len == 130, "sticky error: short jump out of reach",
		      "err %d len %zu", err, e->len);
	x86_buf_release(e);
}

static void test_grow(struct harness *h)
{
	struct x86_buf buf, *e = &buf;
	int ok = 1;

	x86_buf_init(e, NULL, 0);
	for (int i = 0; i < 5000; i++)
		x86_movabs(e, X86_R15, (uint64_t)i);
	for (size_t i = 0; i < e->len && ok; i += 10)
		ok = e->buf[i] == 0x49 && e->buf[i + 1] == 0xbf &&
		     e->buf[i + 2] == (uint8_t)(i / 10);
	harness_check(h, !e->err && e->len == 50000 && ok, "growing buffer keeps every byte",
		      "err %d len %zu", e->err, e->len);
	x86_buf_release(e);
}

int main(void)
{
	struct harness h = {0};

	test_table(&h);
	test_sticky(&h);
	test_grow(&h);
	return harness_exit(&h);
}
