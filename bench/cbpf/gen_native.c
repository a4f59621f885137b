/* gen_native: writes the gcc -O2 column of skep-bench-cbpf as C.
 *
 * libpcap compiles each expression of exprs.h exactly as the bench does, and
 * each classic BPF instruction becomes one C statement, labelled where a jump
 * lands, with the semantics of libpcap's own interpreter (bpf_filter.c, what
 * pcap_offline_filter(3PCAP) runs): A and X 32-bit unsigned, 16 scratch words,
 * big-endian packet loads that end the filter with 0 when they would read past
 * the captured length, len = the wire length, division by zero ending the
 * filter with 0: what gcc gets is what one would write by hand for the filter.
 * An instruction it does not know stops it with an error: a filter computed
 * some other way would make the column meaningless.
 *
 *   gen_native > cbpf_native.c
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "exprs.h"
#include "native.h"

#define MEMWORDS 16
/* Loads from k >= SKF_AD_OFF are Linux's ancillary data (VLAN tag, protocol
 * ...), which pcap_offline_filter has no source for. */
#define ANCILLARY_OFF 0xfffff000u

/* fprintf that returns 0, so an emitter can end with it; write errors are
 * caught once, at the end. */
static int out(FILE *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(o, fmt, ap);
	va_end(ap);
	return 0;
}

static int fail(const char *expr, unsigned i, const char *why)
{
	fprintf(stderr, "gen_native: '%s': insn %u: %s\n", expr, i, why);
	return -1;
}

/* target[t] = 1 where a goto lands: every jump's destination but the next
 * instruction, which it falls through to.  -1 for a jump that leaves the
 * program or goes backward (libpcap's protochain does; no filter here). */
static int mark_targets(const struct bpf_program *bp, uint8_t *target, const char *expr)
{
	for (unsigned i = 0; i < bp->bf_len; i++) {
		const struct bpf_insn *in = &bp->bf_insns[i];
		uint64_t t[2] = {(uint64_t)i + 1 + in->jt, (uint64_t)i + 1 + in->jf};
		int n = 2;

		if (BPF_CLASS(in->code) != BPF_JMP)
			continue;
		if (BPF_OP(in->code) == BPF_JA) {
			if ((int32_t)in->k < 0)
				return fail(expr, i, "backward jump");
			t[0] = (uint64_t)i + 1 + in->k;
			n = 1;
		}
		for (int j = 0; j < n; j++) {
			if (t[j] >= bp->bf_len)
				return fail(expr, i, "jump past the end");
			target[t[j]] |= t[j] != i + 1;
		}
	}
	return 0;
}

/* A packet load of size bytes at K (+ X for BPF_IND), big-endian.  The bound
 * is computed in 64 bits so that no offset wraps around; ABS offsets are below
 * ANCILLARY_OFF, so there K + size fits in 32. */
static int emit_load(FILE *o, const struct bpf_insn *in, const char *dst, const char *expr,
		     unsigned i)
{
	unsigned sz = BPF_SIZE(in->code), size = sz == BPF_W ? 4 : sz == BPF_H ? 2 : 1;
	uint64_t end = (uint64_t)in->k + size;
	char at[32];

	if (sz != BPF_W && sz != BPF_H && sz != BPF_B)
		return fail(expr, i, "load size not handled");
	if (BPF_MODE(in->code) == BPF_ABS) {
		if (in->k >= ANCILLARY_OFF)
			return fail(expr, i, "ancillary load not handled");
		out(o, "\tif (caplen < %" PRIu64 "u)\n\t\treturn 0;\n", end);
		snprintf(at, sizeof(at), "%" PRIu32 "u", in->k);
	} else {
		out(o, "\tif ((uint64_t)X + %" PRIu64 "u > caplen)\n\t\treturn 0;\n", end);
		snprintf(at, sizeof(at), "X + %" PRIu32 "u", in->k);
	}
	if (size == 1)
		return out(o, "\t%s = pkt[%s];\n", dst, at);
	return out(o, "\t%s = ld%u(pkt + (%s));\n", dst, size * 8, at);
}

static int emit_ld(FILE *o, const struct bpf_insn *in, const char *expr, unsigned i)
{
	int x = BPF_CLASS(in->code) == BPF_LDX;
	const char *dst = x ? "X" : "A";

	switch (BPF_MODE(in->code)) {
	case BPF_IMM:
		return out(o, "\t%s = %" PRIu32 "u;\n", dst, in->k);
	case BPF_LEN:
		return out(o, "\t%s = wirelen;\n", dst);
	case BPF_MEM:
		if (in->k >= MEMWORDS)
			return fail(expr, i, "scratch word out of range");
		return out(o, "\t%s = M[%" PRIu32 "];\n", dst, in->k);
	case BPF_ABS:
	case BPF_IND:
		if (x)
			break;
		return emit_load(o, in, dst, expr, i);
	case BPF_MSH:
		if (!x || BPF_SIZE(in->code) != BPF_B)
			break;
		if (in->k >= ANCILLARY_OFF)
			return fail(expr, i, "ancillary load not handled");
		fprintf(o, "\tif (caplen < %" PRIu64 "u)\n\t\treturn 0;\n", (uint64_t)in->k + 1);
		return out(o, "\tX = (pkt[%" PRIu32 "u] & 0xf) << 2;\n", in->k);
	}
	return fail(expr, i, "load mode not handled");
}

/* A op= K, or A op= X.  Constant cases that libpcap ends or zeroes (division
 * by 0, shifts by 32 or more) are decided here. */
static int emit_alu(FILE *o, const struct bpf_insn *in, const char *expr, unsigned i)
{
	static const char *const op[16] = {
		[BPF_ADD >> 4] = "+=",	[BPF_SUB >> 4] = "-=",	[BPF_MUL >> 4] = "*=",
		[BPF_DIV >> 4] = "/=",	[BPF_OR >> 4] = "|=",	[BPF_AND >> 4] = "&=",
		[BPF_LSH >> 4] = "<<=", [BPF_RSH >> 4] = ">>=", [BPF_MOD >> 4] = "%=",
		[BPF_XOR >> 4] = "^=",
	};
	unsigned code = BPF_OP(in->code);
	int div = code == BPF_DIV || code == BPF_MOD, shift = code == BPF_LSH || code == BPF_RSH;

	if (code == BPF_NEG)
		return out(o, "\tA = 0u - A;\n");
	if (!op[code >> 4])
		return fail(expr, i, "ALU operation not handled");
	if (BPF_SRC(in->code) == BPF_X) {
		if (div)
			fprintf(o, "\tif (X == 0)\n\t\treturn 0;\n");
		if (shift)
			return out(o, "\tA = X < 32 ? A %.2s X : 0;\n", op[code >> 4]); /* no = */
		return out(o, "\tA %s X;\n", op[code >> 4]);
	}
	if (div && in->k == 0)
		return out(o, "\treturn 0;\n");
	if (shift && in->k >= 32)
		return out(o, "\tA = 0;\n");
	return out(o, "\tA %s 0x%" PRIx32 "u;\n", op[code >> 4], in->k);
}

/* A jump to the next instruction falls through to it; any other is a goto
 * (mark_targets labels exactly those). */
static int emit_jmp(FILE *o, const struct bpf_insn *in, const char *expr, unsigned i)
{
	static const char *const cmp[16] = {
		[BPF_JEQ >> 4] = "==",
		[BPF_JGT >> 4] = ">",
		[BPF_JGE >> 4] = ">=",
		[BPF_JSET >> 4] = "&",
	};
	unsigned code = BPF_OP(in->code), next = i + 1, t = next + in->jt, f = next + in->jf;
	char cond[48];

	if (code == BPF_JA)
		t = f = next + in->k;
	else if (!cmp[code >> 4])
		return fail(expr, i, "jump not handled");
	if (t == f)
		return t == next ? out(o, "\t; /* to the next */\n") : out(o, "\tgoto L%u;\n", t);
	if (BPF_SRC(in->code) == BPF_X)
		snprintf(cond, sizeof(cond), "A %s X", cmp[code >> 4]);
	else
		snprintf(cond, sizeof(cond), "A %s 0x%" PRIx32 "u", cmp[code >> 4], in->k);
	if (t == next)
		return out(o, "\tif (!(%s))\n\t\tgoto L%u;\n", cond, f);
	out(o, "\tif (%s)\n\t\tgoto L%u;\n", cond, t);
	return f == next ? 0 : out(o, "\tgoto L%u;\n", f);
}

static int emit_insn(FILE *o, const struct bpf_insn *in, const char *expr, unsigned i)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
	case BPF_LDX:
		return emit_ld(o, in, expr, i);
	case BPF_ST:
	case BPF_STX:
		if (in->code != BPF_ST && in->code != BPF_STX)
			break;
		if (in->k >= MEMWORDS)
			return fail(expr, i, "scratch word out of range");
		return out(o, "\tM[%" PRIu32 "] = %s;\n", in->k, in->code == BPF_ST ? "A" : "X");
	case BPF_ALU:
		return emit_alu(o, in, expr, i);
	case BPF_JMP:
		return emit_jmp(o, in, expr, i);
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_A)
			return out(o, "\treturn A;\n");
		if (BPF_RVAL(in->code) == BPF_K)
			return out(o, "\treturn %" PRIu32 "u;\n", in->k);
		break;
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			return out(o, "\tX = A;\n");
		if (BPF_MISCOP(in->code) == BPF_TXA)
			return out(o, "\tA = X;\n");
		break;
	}
	return fail(expr, i, "opcode not handled");
}

/* The function's locals: M only where the program has scratch words. */
static void emit_locals(FILE *o, const struct bpf_program *bp)
{
	int mem = 0;

	for (unsigned i = 0; i < bp->bf_len; i++) {
		unsigned c = bp->bf_insns[i].code;
		mem |= BPF_CLASS(c) == BPF_ST || BPF_CLASS(c) == BPF_STX ||
		       ((BPF_CLASS(c) == BPF_LD || BPF_CLASS(c) == BPF_LDX) &&
			BPF_MODE(c) == BPF_MEM);
	}
	fprintf(o, "\tuint32_t A = 0, X = 0;\n");
	if (mem)
		fprintf(o, "\tuint32_t M[%d] = {0};\n", MEMWORDS);
	fprintf(o, "\n\t(void)A, (void)X, (void)pkt, (void)caplen, (void)wirelen;\n");
}

static int emit_prog(FILE *o, const struct bpf_program *bp, const char *expr, unsigned n)
{
	uint8_t *target = calloc(bp->bf_len + 1, 1);
	int err = -1;

	if (!target || mark_targets(bp, target, expr))
		goto done;
	fprintf(o, "\n/* %s */\n", expr);
	fprintf(o,
		"static __attribute__((noinline)) uint32_t bench_native_%u(const uint8_t *pkt, "
		"uint32_t caplen, uint32_t wirelen)\n{\n",
		n);
	emit_locals(o, bp);
	for (unsigned i = 0; i < bp->bf_len; i++) {
		if (target[i])
			fprintf(o, "L%u:", i);
		fprintf(o, "\t/* %s */\n", bpf_image(&bp->bf_insns[i], (int)i));
		if (emit_insn(o, &bp->bf_insns[i], expr, i))
			goto done;
	}
	/* Running off the end ends the filter with 0, as in libpcap. */
	if (!bp->bf_len || BPF_CLASS(bp->bf_insns[bp->bf_len - 1].code) != BPF_RET)
		fprintf(o, "\treturn 0;\n");
	fprintf(o, "}\n");
	err = 0;
done:
	free(target);
	return err;
}

/* The expression goes into comments and a string literal as it is. */
static int expr_printable(const char *expr)
{
	if (!strpbrk(expr, "\"\\\n") && !strstr(expr, "*/"))
		return 0;
	fprintf(stderr, "gen_native: '%s': has characters this does not quote\n", expr);
	return -1;
}

static const char prologue[] =
	"/* Generated by bench/cbpf/gen_native.c from bench/cbpf/exprs.h: each filter as\n"
	" * libpcap compiles it, one C statement per classic BPF instruction.  Do not edit. */\n"
	"#include <stdint.h>\n\n#include \"native.h\"\n\n"
	"static inline uint32_t ld32(const uint8_t *p)\n{\n"
	"\treturn (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];\n}\n\n"
	"static inline uint32_t ld16(const uint8_t *p)\n{\n"
	"\treturn (uint32_t)p[0] << 8 | p[1];\n}\n";

int main(void)
{
	pcap_t *pd = pcap_open_dead(BENCH_CBPF_LINKTYPE, BENCH_CBPF_SNAPLEN);
	struct bpf_program bp[BENCH_CBPF_NR_EXPRS];

	if (!pd)
		return fprintf(stderr, "gen_native: pcap_open_dead failed\n"), 1;
	fputs(prologue, stdout);
	for (unsigned i = 0; i < BENCH_CBPF_NR_EXPRS; i++) {
		const char *expr = bench_cbpf_exprs[i];

		if (expr_printable(expr))
			return 1;
		if (pcap_compile(pd, &bp[i], expr, 1, 0))
			return fprintf(stderr, "gen_native: '%s': %s\n", expr, pcap_geterr(pd)), 1;
		if (emit_prog(stdout, &bp[i], expr, i))
			return 1;
	}
	printf("\nconst struct bench_native bench_cbpf_native[] = {\n");
	for (unsigned i = 0; i < BENCH_CBPF_NR_EXPRS; i++) {
		printf("\t{\"%s\", bench_native_%u, %u, 0x%08" PRIx32 "u},\n", bench_cbpf_exprs[i],
		       i, bp[i].bf_len, bench_native_hash(bp[i].bf_insns, bp[i].bf_len));
		pcap_freecode(&bp[i]);
	}
	printf("};\n\nconst size_t bench_cbpf_nr_native = %zu;\n", BENCH_CBPF_NR_EXPRS);
	pcap_close(pd);
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
