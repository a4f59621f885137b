/* Helper calls the JIT writes out inline, as the kernel's JIT does with its
 * maps' map_gen_lookup: bpf_map_lookup_elem on an ARRAY map known at compile
 * time becomes a bounds check and an address computation, with no call.
 *
 * The map is known when r1 was last set by an lddw of a map in the same
 * straight-line run of instructions (no jump lands in between), which is
 * how clang emits every map call.  Only unchecked, unhardened code inlines:
 * checked runs must register what the helper hands out, and hardened code
 * must not carry the map's address as a plain constant.
 */
#include <linux/bpf.h>

#include "jit/jit_x86.h"
#include "maps/map.h"

/* Does the instruction write r1 (or end the straight line)? */
static int jit_clobbers_r1(const struct isa_insn *in)
{
	switch (isa_ops[in->op].form) {
	case ISA_FORM_ST:
	case ISA_FORM_STX:
	case ISA_FORM_STREL:
		return 0;
	case ISA_FORM_ATOMIC: /* fetch forms write src; cmpxchg writes r0 */
		return in->src == 1;
	case ISA_FORM_LD_ABS:
	case ISA_FORM_LD_IND: /* write r0, but may end the program */
		return 1;
	default:
		return in->dst == 1 || isa_ops[in->op].form >= ISA_FORM_JA;
	}
}

/* The map r1 holds at this call, if the code says; else NULL. */
static struct skep_map *jit_known_map(const struct jit_state *s)
{
	for (size_t j = s->slot; j-- > 0;) {
		const struct isa_insn *in = &s->isa->insns[j];

		if (s->is_target[j + 1] || s->isa->is_func_start[j + 1])
			return NULL;
		if (in->op < 0) /* second half of an lddw */
			continue;
		if (!jit_clobbers_r1(in))
			continue;
		if (isa_ops[in->op].form == ISA_FORM_LDDW && in->dst == 1 &&
		    (in->src == BPF_PSEUDO_MAP_FD || in->src == BPF_PSEUDO_MAP_IDX))
			return (struct skep_map *)(uintptr_t)s->code->insns[j].k;
		return NULL;
	}
	return NULL;
}

/* r0 = key < max_entries ? values + key * stride : NULL, key = *(u32 *)r2. */
static void jit_inline_array_lookup(struct jit_state *s, const struct skep_map *m)
{
	struct x86_buf *e = &s->e;
	size_t to_null, to_done;

	x86_load(e, 4, X86_RAX, X86_RSI, 0);
	x86_alu_ri(e, 4, X86_CMP, X86_RAX, (int32_t)m->max_entries);
	to_null = x86_jcc8_fwd(e, X86_CC_AE);
	x86_imul_rri(e, 8, X86_RAX, X86_RAX, (int32_t)m->vstride);
	x86_movabs(e, JIT_T0, (uint64_t)(uintptr_t)m->u.array.values);
	x86_alu_rr(e, 8, X86_ADD, X86_RAX, JIT_T0);
	to_done = x86_jmp8_fwd(e);
	x86_bind8(e, to_null);
	x86_alu_rr(e, 4, X86_XOR, X86_RAX, X86_RAX);
	x86_bind8(e, to_done);
}

int jit_emit_inline_call(struct jit_state *s, const struct isa_insn *in)
{
	const struct skep_map *m;

	if (s->checked || s->harden || in->imm != BPF_FUNC_map_lookup_elem)
		return 0;
	m = jit_known_map(s);
	if (!m || m->type != BPF_MAP_TYPE_ARRAY || m->vstride > INT32_MAX)
		return 0;
	jit_inline_array_lookup(s, m);
	return 1;
}
