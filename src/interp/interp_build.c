/* Turning a decoded program into the interpreter's pre-decoded form:
 * helper calls resolved to function pointers, function pointers (lddw src 4)
 * to code addresses, map references (lddw src 1, 2, 5, 6) to maps and value
 * addresses, and references the interpreter cannot run refused. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "interp/interp.h"
#include "interp/interp_mem.h"
#include "maps/map.h"

/* lddw of a map (src 1, 5) or of a map value (src 2, 6): the constant. */
static int interp_resolve_map(struct interp_insn *out, const struct isa_insn *in, size_t i,
			      struct skep_map *const *maps, size_t nr_maps, struct skep_log *log)
{
	const char *name = isa_ops[in->op].name, *why = NULL;
	uint32_t idx = (uint32_t)in->imm, off = (uint32_t)(in->imm64 >> 32);
	int value = in->src == BPF_PSEUDO_MAP_VALUE || in->src == BPF_PSEUDO_MAP_IDX_VALUE;
	int err;

	if (idx >= nr_maps || !maps[idx]) {
		log_printf(log, "insn %zu: %s refers to a map (index %u), but the program was given "
				"%zu maps", i, name, idx, nr_maps);
		return -EINVAL;
	}
	if (!value) {
		out->k = (uint64_t)(uintptr_t)maps[idx];
		return 0;
	}
	err = map_direct_value_addr(maps[idx], off, &out->k, &why);
	if (err)
		log_printf(log, "insn %zu: %s of map %u at offset %u: %s", i, name, idx, off, why);
	return err ? -EINVAL : 0;
}

static int interp_resolve(struct interp_insn *out, const struct isa_insn *in, size_t i,
			  const struct interp_code *code, struct skep_map *const *maps,
			  size_t nr_maps, struct skep_log *log)
{
	const struct isa_op *op = &isa_ops[in->op];

	switch (op->form) {
	case ISA_FORM_CALL: {
		skep_helper_fn fn = code->lookup ? code->lookup(code->lookup_arg, (uint32_t)in->imm) : NULL;
		if (!fn) {
			log_printf(log, "insn %zu: call to unknown helper id %d", i, in->imm);
			return -EINVAL;
		}
		out->k = (uint64_t)(uintptr_t)fn;
		return 0;
	}
	case ISA_FORM_CALL_KFUNC:
		log_printf(log, "insn %zu: kfunc call (BTF id %d) is not supported", i, in->imm);
		return -EINVAL;
	case ISA_FORM_LDDW:
		if (in->src == BPF_PSEUDO_FUNC) {
			out->k = (uint64_t)(uintptr_t)&code->insns[in->target];
		} else if (in->src == BPF_PSEUDO_MAP_FD || in->src == BPF_PSEUDO_MAP_IDX ||
			   in->src == BPF_PSEUDO_MAP_VALUE || in->src == BPF_PSEUDO_MAP_IDX_VALUE) {
			return interp_resolve_map(out, in, i, maps, nr_maps, log);
		} else if (in->src != 0) {
			log_printf(log, "insn %zu: %s refers to a map or BTF object, and none was "
					"resolved for this program", i, op->name);
			return -EINVAL;
		}
		return 0;
	default:
		return 0;
	}
}

int interp_code_build(const struct isa_prog *isa, interp_helper_lookup lookup, const void *arg,
		      struct skep_map *const *maps, size_t nr_maps, struct interp_code *out,
		      struct skep_log *log)
{
	out->len = isa->len;
	out->is_func_start = isa->is_func_start;
	out->lookup = lookup;
	out->lookup_arg = arg;
	out->insns = calloc(isa->len, sizeof(*out->insns));
	if (!out->insns)
		return -ENOMEM;
	for (size_t i = 0; i < isa->len; i++) {
		const struct isa_insn *in = &isa->insns[i];
		struct interp_insn *o = &out->insns[i];
		if (in->op < 0)
			continue; /* second half of lddw: never dispatched */
		*o = (struct interp_insn){
			.op = (uint16_t)in->op,
			.dst = in->dst,
			.src = in->src,
			.off = in->off,
			.imm = in->imm,
			.target = in->target < 0 ? 0 : (uint32_t)in->target,
			.k = in->imm64,
		};
		int err = interp_resolve(o, in, i, out, maps, nr_maps, log);
		if (err) {
			interp_code_free(out);
			return err;
		}
	}
	return 0;
}

void interp_code_free(struct interp_code *code)
{
	free(code->insns);
	code->insns = NULL;
}

void interp_log_fault(struct skep_log *log, const struct skep_call_ctx *cx, long insn,
		      uint64_t addr, int size, int write)
{
	static const char *const what[] = {"read", "write", "atomic access (misaligned)"};
	char regions[512];
	size_t n = 0;

	regions[0] = '\0';
	for (size_t i = 0; i < cx->nr_regions && n < sizeof(regions); i++) {
		const struct skep_region *r = &cx->regions[i];
		int w = snprintf(regions + n, sizeof(regions) - n, "%s%s [0x%" PRIxPTR ", +%zu)%s",
				 i ? ", " : "", r->name ? r->name : "region", (uintptr_t)r->addr,
				 r->size, r->writable ? "" : " read-only");
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (write == 2)
		log_printf(log, "insn %ld: %d-byte atomic access at 0x%" PRIx64 " is not aligned to %d",
			   insn, size, addr, size);
	else
		log_printf(log, "insn %ld: %d-byte %s at 0x%" PRIx64
				" is outside the memory the program may %s: %s",
			   insn, size, what[write], addr, write ? "write" : "read",
			   n ? regions : "no regions");
}
