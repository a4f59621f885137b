/* Structural checks of the decoder: every malformed program is refused with
 * a message naming the instruction, and well-formed edge cases are accepted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/harness.h"
#include "core/log.h"
#include "isa/isa.h"

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define MOV0 I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0)

struct decode_case {
	const char *name;
	struct bpf_insn insns[8];
	size_t len;
	const char *error; /* expected substring of the log, NULL = accepted */
};

static const struct decode_case cases[] = {
	{"empty", {EXIT}, 0, "program is empty"},
	{"minimal", {MOV0, EXIT}, 2, NULL},
	{"unknown_opcode", {I(0xff, 0, 0, 0, 0), EXIT}, 2, "insn 0: unknown opcode 0xff"},
	{"unknown_class_op", {MOV0, I(BPF_ALU64 | 0xe0, 0, 0, 0, 0), EXIT}, 3, "insn 1: unknown opcode 0xe7"},
	{"bad_atomic_imm", {MOV0, I(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, 0x02), EXIT}, 3,
	 "insn 1: opcode 0xdb does not allow imm 2"},
	{"bad_div_off", {I(BPF_ALU64 | BPF_DIV | BPF_X, 0, 1, 2, 0), EXIT}, 2,
	 "insn 0: opcode 0x3f does not allow off 2"},
	{"bad_movsx32_off", {I(BPF_ALU | BPF_MOV | BPF_X, 0, 1, 32, 0), EXIT}, 2,
	 "does not allow off 32"},
	{"reserved_src_imm_alu", {I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 3, 0, 1), EXIT}, 2,
	 "insn 0: add uses reserved field src_reg (3)"},
	{"reserved_imm_reg_alu", {I(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 7), EXIT}, 2,
	 "insn 0: add uses reserved field imm (7)"},
	{"reserved_exit", {MOV0, I(BPF_JMP | BPF_EXIT, 1, 0, 0, 0)}, 2,
	 "insn 1: exit uses reserved field dst_reg"},
	{"reserved_neg_imm", {I(BPF_ALU64 | BPF_NEG, 0, 0, 0, 1), EXIT}, 2, "reserved field imm"},
	{"reserved_call_off", {I(BPF_JMP | BPF_CALL, 0, 0, 1, 5), EXIT}, 2, "reserved field off"},
	{"register_11", {I(BPF_ALU64 | BPF_MOV | BPF_X, 11, 0, 0, 0), EXIT}, 2,
	 "insn 0: register r11 does not exist"},
	{"src_register_12", {I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 12, 0, 0), EXIT}, 2,
	 "register r12 does not exist"},
	{"write_r10", {I(BPF_ALU64 | BPF_MOV | BPF_K, 10, 0, 0, 0), EXIT}, 2,
	 "insn 0: mov writes r10"},
	{"load_into_r10", {I(BPF_LDX | BPF_MEM | BPF_DW, 10, 1, 0, 0), EXIT}, 2, "writes r10"},
	{"store_via_r10_ok", {I(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 1), MOV0, EXIT}, 3, NULL},
	{"fetch_into_r10", {I(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 10, 0, BPF_ADD | BPF_FETCH), EXIT}, 2,
	 "fetches into r10"},
	{"jump_past_end", {I(BPF_JMP | BPF_JA, 0, 0, 5, 0), EXIT}, 2,
	 "insn 0: ja target 6 is outside the program"},
	{"jump_before_start", {MOV0, I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, -3, 0), EXIT}, 3,
	 "insn 1: jeq target -1 is outside the program"},
	{"jump_into_lddw", {I(BPF_JMP | BPF_JA, 0, 0, 1, 0), I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			    I(0, 0, 0, 0, 2), EXIT}, 4, "insn 0: ja target 2 is the second half of an lddw"},
	{"lddw_truncated", {MOV0, I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1)}, 2,
	 "insn 1: lddw is missing its second slot"},
	{"lddw_bad_second", {I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1), I(0x07, 0, 0, 0, 2), EXIT}, 3,
	 "second slot of lddw"},
	{"lddw_ok", {I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1), I(0, 0, 0, 0, 2), EXIT}, 3, NULL},
	{"fall_off_end", {MOV0, I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1)}, 2,
	 "insn 1: last instruction of the program is not exit or goto"},
	{"ends_in_lddw", {I(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1), I(0, 0, 0, 0, 2)}, 2,
	 "not exit or goto"},
	{"ends_in_goto_ok", {MOV0, I(BPF_JMP | BPF_JA, 0, 0, -2, 0)}, 2, NULL},
	{"subprog_falls_through", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), EXIT, MOV0},
	 3, "insn 2: last instruction of the program"},
	{"subprog_fall_into_next", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), MOV0, MOV0, EXIT},
	 4, "insn 1: last instruction of a subprogram is not exit"},
	{"call_out_of_range", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 9), EXIT}, 2,
	 "insn 0: call local target 10 is outside the program"},
	{"jump_into_other_subprog", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2),
				     I(BPF_JMP | BPF_JA, 0, 0, 1, 0), EXIT, MOV0, EXIT}, 5,
	 "insn 1: jump to insn 3 leaves the subprogram"},
	{"local_call_ok", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), EXIT, MOV0, EXIT}, 4, NULL},
	{"ja32_ok", {I(BPF_JMP32 | BPF_JA, 0, 0, 0, 1), MOV0, EXIT}, 3, NULL},
	{"ja32_off_reserved", {I(BPF_JMP32 | BPF_JA, 0, 0, 1, 1), MOV0, EXIT}, 3, "reserved field off"},
	{"kfunc_decodes", {I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1234), EXIT}, 2, NULL},
	{"call_bad_src", {I(BPF_JMP | BPF_CALL, 0, 3, 0, 1), EXIT}, 2, "does not allow src_reg 3"},
	{"callx_ok", {I(BPF_JMP | BPF_CALL | BPF_X, 2, 0, 0, 0), EXIT}, 2, NULL},
	{"callx_llvm14_imm_form", {I(BPF_JMP | BPF_CALL | BPF_X, 0, 0, 0, 2), EXIT}, 2, NULL},
	{"callx_imm_bad_register", {I(BPF_JMP | BPF_CALL | BPF_X, 0, 0, 0, 11), EXIT}, 2,
	 "callx register r11 does not exist"},
	{"callx_both_fields", {I(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 0, 2), EXIT}, 2,
	 "reserved field imm"},
	{"endian_bad_width", {I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 24), EXIT}, 2,
	 "does not allow imm 24"},
	{"ldabs_dst_reserved", {I(BPF_LD | BPF_ABS | BPF_W, 1, 0, 0, 0), EXIT}, 2, "reserved field dst_reg"},
	{"ld_abs_dw_unknown", {I(BPF_LD | BPF_ABS | BPF_DW, 0, 0, 0, 0), EXIT}, 2, "unknown opcode 0x38"},
	{"load_acquire_ok", {I(BPF_STX | BPF_ATOMIC | BPF_B, 0, 1, 0, BPF_LOAD_ACQ), EXIT}, 2, NULL},
	{"may_goto_ok", {I(BPF_JMP | BPF_JCOND, 0, 0, 1, 0), MOV0, EXIT}, 3, NULL},
};

static void decode_run_case(struct harness *h, const struct decode_case *c)
{
	char buf[1024];
	struct skep_log log = log_init(buf, sizeof(buf));
	struct isa_prog p;
	int err = isa_decode(c->insns, c->len, &p, &log);

	if (!c->error) {
		harness_check(h, err == 0, c->name, "rejected: %s", buf);
		if (!err)
			isa_prog_free(&p);
		return;
	}
	if (!err) {
		isa_prog_free(&p);
		harness_fail(h, c->name, "accepted, expected \"%s\"", c->error);
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
	harness_check(h, err == -EINVAL && strstr(buf, c->error), c->name,
		      "error %d \"%s\", expected \"%s\"", err, buf, c->error);
}

/* Every table row must decode back to itself from a canonical encoding. */
static void decode_every_row(struct harness *h)
{
	int bad = 0;

	for (int r = 0; r < ISA_OP_COUNT && !bad; r++) {
		const struct isa_op *op = &isa_ops[r];
		struct bpf_insn in = {.code = op->code};
		if (op->match == ISA_MATCH_OFF)
			in.off = (int16_t)op->mval;
		else if (op->match == ISA_MATCH_IMM)
			in.imm = op->mval;
		else if (op->match == ISA_MATCH_SRC)
			in.src_reg = (uint8_t)op->mval;
		if (isa_lookup(&in) != r) {
			harness_fail(h, "every_row_looks_up", "row %d (%s) looks up as %d", r,
				     op->name, isa_lookup(&in));
			bad = 1;
		}
	}
	if (!bad)
		harness_pass(h, "every_row_looks_up");
}

int main(void)
{
	struct harness h = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		decode_run_case(&h, &cases[i]);
	decode_every_row(&h);
	return harness_exit(&h);
}
