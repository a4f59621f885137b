/* The cBPF checker: what the Linux kernel accepts as a classic BPF program.
 *
 * The rules are the kernel's (bpf_check_classic, and seccomp's filter check
 * on top for seccomp), as its documentation and behaviour define them:
 * 1..4096 instructions; every opcode one of the table below; jumps land
 * inside the program (they are forward by construction); the last
 * instruction is RET K or RET A; no constant division or modulo by zero and
 * no constant shift by 32 or more; scratch words M[k] with k < 16, never read
 * before a write on every path that reaches the read; an LD ABS at or above
 * SKF_AD_OFF names a known ancillary load.
 *
 * The scratch-memory rule is the kernel's own, which is stricter than real
 * reachability: the words known written flow along jumps and along the
 * fall-through of every instruction but a jump, a RET included.  A program
 * the kernel refuses for that reason is refused here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "cbpf/cbpf.h"
#include "core/log.h"

/* clang-format off */
enum { OK_SOCKET = 1, OK_SECCOMP = 2, OK_BOTH = 3 };

struct cbpf_op {
	const char *name;
	uint8_t ok; /* in which modes the kernel takes it */
};

#define ALU_OP(OP, NAME, OK) \
	[BPF_ALU | OP | BPF_K] = {NAME " #k", OK}, [BPF_ALU | OP | BPF_X] = {NAME " x", OK}
#define JMP_OP(OP, NAME) \
	[BPF_JMP | OP | BPF_K] = {NAME " #k", OK_BOTH}, [BPF_JMP | OP | BPF_X] = {NAME " x", OK_BOTH}

/* Every opcode the kernel accepts, indexed by the opcode. */
static const struct cbpf_op cbpf_ops[256] = {
	[BPF_LD | BPF_W | BPF_IMM]   = {"ld #k",          OK_BOTH},
	[BPF_LD | BPF_W | BPF_ABS]   = {"ld [k]",         OK_BOTH},
	[BPF_LD | BPF_H | BPF_ABS]   = {"ldh [k]",        OK_SOCKET},
	[BPF_LD | BPF_B | BPF_ABS]   = {"ldb [k]",        OK_SOCKET},
	[BPF_LD | BPF_W | BPF_IND]   = {"ld [x+k]",       OK_SOCKET},
	[BPF_LD | BPF_H | BPF_IND]   = {"ldh [x+k]",      OK_SOCKET},
	[BPF_LD | BPF_B | BPF_IND]   = {"ldb [x+k]",      OK_SOCKET},
	[BPF_LD | BPF_W | BPF_MEM]   = {"ld M[k]",        OK_BOTH},
	[BPF_LD | BPF_W | BPF_LEN]   = {"ld #len",        OK_BOTH},
	[BPF_LDX | BPF_W | BPF_IMM]  = {"ldx #k",         OK_BOTH},
	[BPF_LDX | BPF_W | BPF_MEM]  = {"ldx M[k]",       OK_BOTH},
	[BPF_LDX | BPF_W | BPF_LEN]  = {"ldx #len",       OK_BOTH},
	[BPF_LDX | BPF_B | BPF_MSH]  = {"ldxb 4*([k]&0xf)", OK_SOCKET},
	[BPF_ST]                     = {"st M[k]",        OK_BOTH},
	[BPF_STX]                    = {"stx M[k]",       OK_BOTH},
	ALU_OP(BPF_ADD, "add", OK_BOTH),
	ALU_OP(BPF_SUB, "sub", OK_BOTH),
	ALU_OP(BPF_MUL, "mul", OK_BOTH),
	ALU_OP(BPF_DIV, "div", OK_BOTH),
	ALU_OP(BPF_MOD, "mod", OK_SOCKET),
	ALU_OP(BPF_AND, "and", OK_BOTH),
	ALU_OP(BPF_OR,  "or",  OK_BOTH),
	ALU_OP(BPF_XOR, "xor", OK_BOTH),
	ALU_OP(BPF_LSH, "lsh", OK_BOTH),
	ALU_OP(BPF_RSH, "rsh", OK_BOTH),
	[BPF_ALU | BPF_NEG]          = {"neg",            OK_BOTH},
	[BPF_JMP | BPF_JA]           = {"ja",             OK_BOTH},
	JMP_OP(BPF_JEQ,  "jeq"),
	JMP_OP(BPF_JGT,  "jgt"),
	JMP_OP(BPF_JGE,  "jge"),
	JMP_OP(BPF_JSET, "jset"),
	[BPF_RET | BPF_K]            = {"ret #k",         OK_BOTH},
	[BPF_RET | BPF_A]            = {"ret a",          OK_BOTH},
	[BPF_MISC | BPF_TAX]         = {"tax",            OK_BOTH},
	[BPF_MISC | BPF_TXA]         = {"txa",            OK_BOTH},
};
/* clang-format on */

const char *cbpf_op_name(uint16_t code)
{
	return code < 256 && cbpf_ops[code].name ? cbpf_ops[code].name : "unknown opcode";
}

static int cbpf_is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* The ancillary load an LD ABS offset names, or -1 (k below SKF_AD_OFF: a
 * plain packet offset), or -2 (in the ancillary range but not a known one). */
static int cbpf_anc_code(uint32_t k)
{
	uint32_t off = k - (uint32_t)SKF_AD_OFF;

	if (k < (uint32_t)SKF_AD_OFF)
		return -1;
	if (off >= SKF_AD_MAX || off % 4)
		return -2;
	return (int)off;
}

/* Rules of one instruction alone; the program length is len. */
static int cbpf_check_insn(const struct skep_cbpf_insn *in, size_t i, size_t len,
			   enum skep_cbpf_mode mode, struct skep_log *log)
{
	uint16_t code = in->code;
	uint8_t want = mode == SKEP_CBPF_SECCOMP ? OK_SECCOMP : OK_SOCKET;
	size_t left = len - i - 1; /* instructions after this one */

	if (code >= 256 || !cbpf_ops[code].name) {
		log_printf(log, "insn %zu: unknown opcode 0x%02x", i, code);
		return -EINVAL;
	}
	if (!(cbpf_ops[code].ok & want)) {
		log_printf(log, "insn %zu: '%s' is not allowed in a seccomp filter", i,
			   cbpf_ops[code].name);
		return -EINVAL;
	}
	switch (code) {
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		if (in->k == 0) {
			log_printf(log, "insn %zu: '%s' by the constant 0", i, cbpf_ops[code].name);
			return -EINVAL;
		}
		return 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		if (in->k >= 32) {
			log_printf(log, "insn %zu: shift by %u; 32-bit shifts take 0 to 31", i,
				   in->k);
			return -EINVAL;
		}
		return 0;
	case BPF_LD | BPF_W | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (in->k >= SKEP_CBPF_MEMWORDS) {
			log_printf(log, "insn %zu: M[%u] out of range: scratch memory is M[0]..M[%d]",
				   i, in->k, SKEP_CBPF_MEMWORDS - 1);
			return -EINVAL;
		}
		return 0;
	case BPF_JMP | BPF_JA:
		if ((int32_t)in->k < 0) {
			/* libpcap's protochain loops like this; the kernel refuses it */
			log_printf(log, "insn %zu: ja %d jumps backwards; classic BPF jumps only "
					"forward", i, (int32_t)in->k);
			return -EINVAL;
		}
		if (in->k >= left) {
			log_printf(log, "insn %zu: ja +%u lands past the end (%zu instructions)", i,
				   in->k, len);
			return -EINVAL;
		}
		return 0;
	}
	if (cbpf_is_cond_jump(code) && (in->jt >= left || in->jf >= left)) {
		log_printf(log, "insn %zu: %s jumps to +%u/+%u, past the end (%zu instructions)",
			   i, cbpf_ops[code].name, in->jt, in->jf, len);
		return -EINVAL;
	}
	if (code == (BPF_LD | BPF_W | BPF_ABS) && mode == SKEP_CBPF_SECCOMP &&
	    (in->k >= sizeof(struct seccomp_data) || in->k % 4)) {
		log_printf(log, "insn %zu: ld [%u]: a seccomp filter reads struct seccomp_data "
				"in aligned 32-bit words below %zu", i, in->k,
			   sizeof(struct seccomp_data));
		return -EINVAL;
	}
	if (BPF_CLASS(code) == BPF_LD && BPF_MODE(code) == BPF_ABS && cbpf_anc_code(in->k) == -2) {
		log_printf(log, "insn %zu: %s: offset %d is no known ancillary load (SKF_AD_*)", i,
			   cbpf_ops[code].name, (int32_t)in->k);
		return -EINVAL;
	}
	return 0;
}

/* The kernel's scratch-memory rule (see the top of the file). */
static int cbpf_check_mem(const struct skep_cbpf_insn *p, size_t len, struct skep_log *log)
{
	uint16_t *masks = malloc(len * sizeof(*masks));
	uint16_t valid = 0;
	int err = 0;

	if (!masks)
		return -ENOMEM;
	memset(masks, 0xff, len * sizeof(*masks));
	for (size_t i = 0; i < len && !err; i++) {
		uint16_t code = p[i].code;

		valid &= masks[i];
		if (code == BPF_ST || code == BPF_STX) {
			valid |= (uint16_t)(1u << p[i].k);
		} else if (code == (BPF_LD | BPF_W | BPF_MEM) || code == (BPF_LDX | BPF_W | BPF_MEM)) {
			if (!(valid & (1u << p[i].k))) {
				log_printf(log, "insn %zu: %s reads M[%u], which is not written on "
						"every path here", i, cbpf_ops[code].name, p[i].k);
				err = -EINVAL;
			}
		} else if (code == (BPF_JMP | BPF_JA)) {
			masks[i + 1 + p[i].k] &= valid;
			valid = 0xffff;
		} else if (cbpf_is_cond_jump(code)) {
			masks[i + 1 + p[i].jt] &= valid;
			masks[i + 1 + p[i].jf] &= valid;
			valid = 0xffff;
		}
	}
	free(masks);
	return err;
}

/* Which instructions run at all; the kernel's eBPF verifier refuses
 * unreachable code, so the converter leaves it out. */
static uint8_t *cbpf_reachable(const struct skep_cbpf_insn *p, size_t len)
{
	uint8_t *r = calloc(len, 1);

	if (!r)
		return NULL;
	r[0] = 1;
	for (size_t i = 0; i < len; i++) {
		uint16_t code = p[i].code;

		if (!r[i] || BPF_CLASS(code) == BPF_RET)
			continue;
		if (code == (BPF_JMP | BPF_JA)) {
			r[i + 1 + p[i].k] = 1;
		} else if (cbpf_is_cond_jump(code)) {
			r[i + 1 + p[i].jt] = 1;
			r[i + 1 + p[i].jf] = 1;
		} else {
			r[i + 1] = 1; /* not the last: the last is a RET */
		}
	}
	return r;
}

int cbpf_check(const struct skep_cbpf_insn *insns, size_t len, enum skep_cbpf_mode mode,
	       struct cbpf_info *info, struct skep_log *log)
{
	uint16_t last;
	int err;

	if (info)
		info->reachable = NULL;
	if (mode != SKEP_CBPF_SOCKET && mode != SKEP_CBPF_SECCOMP) {
		log_printf(log, "unknown cBPF mode %d", (int)mode);
		return -EINVAL;
	}
	if (!insns || len == 0 || len > SKEP_CBPF_MAXINSNS) {
		log_printf(log, "a classic BPF program has 1 to %d instructions, not %zu",
			   SKEP_CBPF_MAXINSNS, insns ? len : 0);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		err = cbpf_check_insn(&insns[i], i, len, mode, log);
		if (err)
			return err;
	}
	last = insns[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) {
		log_printf(log, "insn %zu: the program must end with 'ret #k' or 'ret a', not '%s'",
			   len - 1, cbpf_op_name(last));
		return -EINVAL;
	}
	err = cbpf_check_mem(insns, len, log);
	if (err || !info)
		return err;
	info->reachable = cbpf_reachable(insns, len);
	return info->reachable ? 0 : -ENOMEM;
}

void cbpf_info_free(struct cbpf_info *info)
{
	free(info->reachable);
	info->reachable = NULL;
}

int skep_cbpf_check(const struct skep_cbpf_insn *insns, size_t len,
		    const struct skep_cbpf_opts *opts)
{
	struct skep_log log = log_init(opts ? opts->log_buf : NULL, opts ? opts->log_size : 0);

	return cbpf_check(insns, len, opts ? opts->mode : SKEP_CBPF_SOCKET, NULL, &log);
}
