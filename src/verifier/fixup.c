/* After acceptance: what the run needs resolved before it starts.
 *
 * Context field accesses: skep's runtime contexts for XDP and skb programs
 * ARE the kernel's UAPI structs (struct xdp_md, struct __sk_buff), with
 * the packet in MAP_32BIT memory so that the u32 data, data_end and
 * data_meta fields hold real addresses.  The kernel has to rewrite each
 * ctx load into loads from its internal struct xdp_buff / sk_buff; skep
 * does not, so the rewrite of every access the walk recorded is the
 * identity.  The pass still visits each one and checks that it is an
 * access the table allows, so that a future context layout that differs
 * from the UAPI one has exactly one place to change.
 *
 * Map and helper references are resolved by the loader and interpreter
 * (lddw map indexes, helper ids): nothing is left for the verifier to do.
 */
#include "verifier/verifier.h"

int verifier_fixup(struct verifier_env *env)
{
	for (size_t i = 0; i < env->len; i++) {
		if (!env->aux[i].ctx_access)
			continue;
		const struct isa_op *o = vop(env, i);
		int write = o->form == ISA_FORM_ST || o->form == ISA_FORM_STX;
		const char *why = "";
		env->at = (int64_t)i;
		if (!env->ctx || !ctx_field_find(env->ctx, env->aux[i].ctx_off,
						 isa_mem_size(o->code), write, &why))
			return verifier_error_inval(env, "ctx rewrite: no field for this access");
		/* identity: the UAPI offset is the runtime offset */
	}
	return 0;
}
