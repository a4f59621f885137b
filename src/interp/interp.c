/* The interpreter loop: computed goto over pre-decoded instructions.
 *
 * This file is compiled twice.  Plain, it is interp_run(): verified programs,
 * no checks in the hot loop.  With -DSKEP_INTERP_CHECKED it is
 * interp_run_checked(): every load, store and atomic is checked against the
 * regions in the call context, and an instruction budget stops runaway loops;
 * a violation ends the run with the faulting instruction, never a crash.
 *
 * Semantics follow RFC 9669 and the kernel: shift counts are masked, x / 0 = 0,
 * x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0, 32-bit results and
 * 32-bit fetched values are zero-extended.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/callctx.h"
#include "core/log.h"
#include "interp/interp.h"
#include "interp/interp_mem.h"

#ifdef SKEP_INTERP_CHECKED
#define INTERP_FN interp_run_checked
#define INTERP_CHECKED 1
#else
#define INTERP_FN interp_run
#define INTERP_CHECKED 0
#endif

/* The kernel's per-frame may_goto allowance (BPF_MAX_LOOPS). */
#define INTERP_MAX_LOOPS (8u * 1024 * 1024)

#if defined(__GNUC__) && !defined(SKEP_INTERP_SWITCH)
#define INTERP_COMPUTED_GOTO 1
#define vmdispatch(o) goto *labels[o];
#define vmcase(ID) L_##ID:
#define vmgo() goto *labels[pc->op]
#else
#define INTERP_COMPUTED_GOTO 0
#define vmdispatch(o) switch (o)
#define vmcase(ID) case ISA_OP_##ID:
#define vmgo() goto dispatch
#endif

#if INTERP_CHECKED
#define BUDGET() do { if (++executed > budget) goto out_budget; } while (0)
#define MEMCHECK(a, n, w) do { if (!interp_region_ok(cx, (a), (n), (w))) { fault_addr = (a); fault_size = (n); fault_write = (w); goto out_fault; } } while (0)
#define ALIGNCHECK(a, n) do { if ((a) & ((n) - 1)) { fault_addr = (a); fault_size = (n); fault_write = 2; goto out_fault; } } while (0)
#else
#define BUDGET() do { } while (0)
#define MEMCHECK(a, n, w) do { } while (0)
#define ALIGNCHECK(a, n) do { } while (0)
#endif

#define NEXT() do { pc++; BUDGET(); vmgo(); } while (0)
#define JUMP(t) do { pc = base + (t); BUDGET(); vmgo(); } while (0)

#define D R[pc->dst]
#define S R[pc->src]

/* clang-format off */
#define ALU64(ID, EXPR)                                                                      \
	vmcase(ID##64_IMM) { uint64_t d = D, s = (uint64_t)(int64_t)pc->imm; (void)d; D = (EXPR); NEXT(); } \
	vmcase(ID##64_REG) { uint64_t d = D, s = S; (void)d; D = (EXPR); NEXT(); }
#define ALU32(ID, EXPR)                                                                      \
	vmcase(ID##32_IMM) { uint32_t d = (uint32_t)D, s = (uint32_t)pc->imm; (void)d; D = (uint32_t)(EXPR); NEXT(); } \
	vmcase(ID##32_REG) { uint32_t d = (uint32_t)D, s = (uint32_t)S; (void)d; D = (uint32_t)(EXPR); NEXT(); }
#define ALU(ID, EXPR) ALU64(ID, EXPR) ALU32(ID, EXPR)

#define JMP64(ID, T, CMP)                                                                    \
	vmcase(ID##64_IMM) { T d = (T)D, s = (T)(int64_t)pc->imm; if (CMP) JUMP(pc->target); NEXT(); } \
	vmcase(ID##64_REG) { T d = (T)D, s = (T)S; if (CMP) JUMP(pc->target); NEXT(); }
#define JMP32(ID, T, CMP)                                                                    \
	vmcase(ID##32_IMM) { T d = (T)(uint32_t)D, s = (T)(uint32_t)pc->imm; if (CMP) JUMP(pc->target); NEXT(); } \
	vmcase(ID##32_REG) { T d = (T)(uint32_t)D, s = (T)(uint32_t)S; if (CMP) JUMP(pc->target); NEXT(); }
#define JMP(ID, CMP) JMP64(ID, uint64_t, CMP) JMP32(ID, uint32_t, CMP)
#define JMPS(ID, CMP) JMP64(ID, int64_t, CMP) JMP32(ID, int32_t, CMP)

#define LDX(ID, T, EXT) vmcase(ID) { uint64_t a = S + (uint64_t)(int64_t)pc->off; MEMCHECK(a, sizeof(T), 0); D = (uint64_t)(EXT)mem_load_##T(a); NEXT(); }
#define ST(ID, T)  vmcase(ID) { uint64_t a = D + (uint64_t)(int64_t)pc->off; MEMCHECK(a, sizeof(T), 1); mem_store_##T(a, (T)pc->imm); NEXT(); }
#define STX(ID, T) vmcase(ID) { uint64_t a = D + (uint64_t)(int64_t)pc->off; MEMCHECK(a, sizeof(T), 1); mem_store_##T(a, (T)S); NEXT(); }

/* Atomic read-modify-write; FETCH puts the old value (zero-extended) in src. */
#define ATOMIC_RMW(ID, BUILTIN, FETCH)                                                       \
	vmcase(ID##32) { uint64_t a = D + (uint64_t)(int64_t)pc->off; MEMCHECK(a, 4, 1); ALIGNCHECK(a, 4); \
		uint32_t old = BUILTIN((uint32_t *)(uintptr_t)a, (uint32_t)S, __ATOMIC_SEQ_CST); \
		S = (FETCH) ? (uint64_t)old : S; NEXT(); }                                               \
	vmcase(ID##64) { uint64_t a = D + (uint64_t)(int64_t)pc->off; MEMCHECK(a, 8, 1); ALIGNCHECK(a, 8); \
		uint64_t old = BUILTIN((uint64_t *)(uintptr_t)a, S, __ATOMIC_SEQ_CST);      \
		S = (FETCH) ? (uint64_t)old : S; NEXT(); }

#define LDACQ(ID, T) vmcase(ID) { uint64_t a = S + (uint64_t)(int64_t)pc->off; MEMCHECK(a, sizeof(T), 0); ALIGNCHECK(a, sizeof(T)); \
	D = __atomic_load_n((T *)(uintptr_t)a, __ATOMIC_ACQUIRE); NEXT(); }
#define STREL(ID, T) vmcase(ID) { uint64_t a = D + (uint64_t)(int64_t)pc->off; MEMCHECK(a, sizeof(T), 1); ALIGNCHECK(a, sizeof(T)); \
	__atomic_store_n((T *)(uintptr_t)a, (T)S, __ATOMIC_RELEASE); NEXT(); }

/* Legacy packet loads: out of bounds ends the whole program with r0 = 0. */
#define LDPKT(ID, T, OFFSET)                                                                 \
	vmcase(ID) { int64_t o = (OFFSET);                                                   \
		if (o < 0 || (uint64_t)o + sizeof(T) > env->cx->packet_len) { R[0] = 0; goto out_done; } \
		R[0] = mem_load_be_##T(env->cx->packet + o); NEXT(); }
/* clang-format on */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TO_LE16(x) ((uint16_t)(x))
#define TO_LE32(x) ((uint32_t)(x))
#define TO_LE64(x) ((uint64_t)(x))
#define TO_BE16(x) __builtin_bswap16((uint16_t)(x))
#define TO_BE32(x) __builtin_bswap32((uint32_t)(x))
#define TO_BE64(x) __builtin_bswap64((uint64_t)(x))
#else
#define TO_LE16(x) __builtin_bswap16((uint16_t)(x))
#define TO_LE32(x) __builtin_bswap32((uint32_t)(x))
#define TO_LE64(x) __builtin_bswap64((uint64_t)(x))
#define TO_BE16(x) ((uint16_t)(x))
#define TO_BE32(x) ((uint32_t)(x))
#define TO_BE64(x) ((uint64_t)(x))
#endif

struct interp_frame {
	const struct interp_insn *ret;
	uint64_t saved[5]; /* r6-r9 and r10 */
	uint32_t loops;
	/* The caller's program: a tail call in a subprogram switches programs. */
	const struct interp_insn *base;
	const struct interp_code *code;
};

int INTERP_FN(const struct interp_code *code, struct interp_env *env, struct skep_run_result *res)
{
#if INTERP_COMPUTED_GOTO
	static const void *const labels[ISA_OP_COUNT] = {
#define OP(ID, ...) [ISA_OP_##ID] = &&L_##ID,
#include "isa/opcodes.def"
#undef OP
	};
#endif
	const struct interp_insn *base = code->insns, *pc = base + env->entry;
	struct interp_frame frames[SKEP_MAX_FRAMES];
	struct skep_call_ctx *cx = env->cx;
	uint64_t R[11] = {0};
	uint32_t loops = INTERP_MAX_LOOPS;
	uint64_t call_target;
	int depth = 0, err = 0;
#if INTERP_CHECKED
	uint64_t executed = 1, budget = env->budget;
	uint64_t fault_addr = 0;
	int fault_size = 0, fault_write = 0;
#endif

	memcpy(&R[1], env->args, sizeof(env->args));
	R[10] = (uint64_t)(uintptr_t)(env->stack + SKEP_MAX_FRAMES * SKEP_STACK_SIZE);

#if !INTERP_COMPUTED_GOTO
dispatch:
#endif
	vmdispatch(pc->op)
	{
		ALU(ADD, d + s)
		ALU(SUB, d - s)
		ALU(MUL, d * s)
		ALU(DIV, s ? d / s : 0)
		ALU(MOD, s ? d % s : d)
		ALU(OR, d | s)
		ALU(AND, d & s)
		ALU(XOR, d ^ s)
		ALU(MOV, s)
		ALU64(LSH, d << (s & 63))
		ALU64(RSH, d >> (s & 63))
		ALU64(ARSH, (uint64_t)((int64_t)d >> (s & 63)))
		ALU32(LSH, d << (s & 31))
		ALU32(RSH, d >> (s & 31))
		ALU32(ARSH, (uint32_t)((int32_t)d >> (s & 31)))
		ALU64(SDIV, s == 0 ? 0 : s == UINT64_MAX ? 0 - d : (uint64_t)((int64_t)d / (int64_t)s))
		ALU32(SDIV, s == 0 ? 0 : s == UINT32_MAX ? 0 - d : (uint32_t)((int32_t)d / (int32_t)s))
		ALU64(SMOD, s == 0 ? d : s == UINT64_MAX ? 0 : (uint64_t)((int64_t)d % (int64_t)s))
		ALU32(SMOD, s == 0 ? d : s == UINT32_MAX ? 0 : (uint32_t)((int32_t)d % (int32_t)s))

		vmcase(NEG64) { D = 0 - D; NEXT(); }
		vmcase(NEG32) { D = (uint32_t)(0u - (uint32_t)D); NEXT(); }
		vmcase(MOVSX8_64) { D = (uint64_t)(int64_t)(int8_t)S; NEXT(); }
		vmcase(MOVSX16_64) { D = (uint64_t)(int64_t)(int16_t)S; NEXT(); }
		vmcase(MOVSX32_64) { D = (uint64_t)(int64_t)(int32_t)S; NEXT(); }
		vmcase(MOVSX8_32) { D = (uint32_t)(int32_t)(int8_t)S; NEXT(); }
		vmcase(MOVSX16_32) { D = (uint32_t)(int32_t)(int16_t)S; NEXT(); }

		vmcase(LE16) { D = TO_LE16(D); NEXT(); }
		vmcase(LE32) { D = TO_LE32(D); NEXT(); }
		vmcase(LE64) { D = TO_LE64(D); NEXT(); }
		vmcase(BE16) { D = TO_BE16(D); NEXT(); }
		vmcase(BE32) { D = TO_BE32(D); NEXT(); }
		vmcase(BE64) { D = TO_BE64(D); NEXT(); }
		vmcase(BSWAP16) { D = __builtin_bswap16((uint16_t)D); NEXT(); }
		vmcase(BSWAP32) { D = __builtin_bswap32((uint32_t)D); NEXT(); }
		vmcase(BSWAP64) { D = __builtin_bswap64(D); NEXT(); }

		/* Every lddw form: the build stage resolved the constant into k. */
		vmcase(LDDW)
		vmcase(LDDW_MAPFD)
		vmcase(LDDW_MAPVAL)
		vmcase(LDDW_BTFID)
		vmcase(LDDW_FUNC)
		vmcase(LDDW_MAPIDX)
		vmcase(LDDW_MAPIDXVAL) { D = pc->k; pc++; NEXT(); }

		LDPKT(LDABSW, u32, (int64_t)pc->imm)
		LDPKT(LDABSH, u16, (int64_t)pc->imm)
		LDPKT(LDABSB, u8, (int64_t)pc->imm)
		LDPKT(LDINDW, u32, (int64_t)(int32_t)((uint32_t)S + (uint32_t)pc->imm))
		LDPKT(LDINDH, u16, (int64_t)(int32_t)((uint32_t)S + (uint32_t)pc->imm))
		LDPKT(LDINDB, u8, (int64_t)(int32_t)((uint32_t)S + (uint32_t)pc->imm))

		LDX(LDXW, u32, uint32_t)
		LDX(LDXH, u16, uint16_t)
		LDX(LDXB, u8, uint8_t)
		LDX(LDXDW, u64, uint64_t)
		LDX(LDXSW, u32, int32_t)
		LDX(LDXSH, u16, int16_t)
		LDX(LDXSB, u8, int8_t)
		ST(STW, u32)
		ST(STH, u16)
		ST(STB, u8)
		ST(STDW, u64)
		STX(STXW, u32)
		STX(STXH, u16)
		STX(STXB, u8)
		STX(STXDW, u64)

		ATOMIC_RMW(AADD, __atomic_fetch_add, 0)
		ATOMIC_RMW(AOR, __atomic_fetch_or, 0)
		ATOMIC_RMW(AAND, __atomic_fetch_and, 0)
		ATOMIC_RMW(AXOR, __atomic_fetch_xor, 0)
		ATOMIC_RMW(AFADD, __atomic_fetch_add, 1)
		ATOMIC_RMW(AFOR, __atomic_fetch_or, 1)
		ATOMIC_RMW(AFAND, __atomic_fetch_and, 1)
		ATOMIC_RMW(AFXOR, __atomic_fetch_xor, 1)
		ATOMIC_RMW(AXCHG, __atomic_exchange_n, 1)
		vmcase(ACMPXCHG32)
		{
			uint64_t a = D + (uint64_t)(int64_t)pc->off;
			uint32_t expected = (uint32_t)R[0];
			MEMCHECK(a, 4, 1);
			ALIGNCHECK(a, 4);
			__atomic_compare_exchange_n((uint32_t *)(uintptr_t)a, &expected, (uint32_t)S, 0,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			R[0] = expected;
			NEXT();
		}
		vmcase(ACMPXCHG64)
		{
			uint64_t a = D + (uint64_t)(int64_t)pc->off;
			uint64_t expected = R[0];
			MEMCHECK(a, 8, 1);
			ALIGNCHECK(a, 8);
			__atomic_compare_exchange_n((uint64_t *)(uintptr_t)a, &expected, S, 0,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			R[0] = expected;
			NEXT();
		}
		LDACQ(LDACQB, uint8_t)
		LDACQ(LDACQH, uint16_t)
		LDACQ(LDACQW, uint32_t)
		LDACQ(LDACQDW, uint64_t)
		STREL(STRELB, uint8_t)
		STREL(STRELH, uint16_t)
		STREL(STRELW, uint32_t)
		STREL(STRELDW, uint64_t)

		JMP(JEQ, d == s)
		JMP(JNE, d != s)
		JMP(JGT, d > s)
		JMP(JGE, d >= s)
		JMP(JLT, d < s)
		JMP(JLE, d <= s)
		JMP(JSET, (d & s) != 0)
		JMPS(JSGT, d > s)
		JMPS(JSGE, d >= s)
		JMPS(JSLT, d < s)
		JMPS(JSLE, d <= s)
		vmcase(JA) { JUMP(pc->target); }
		vmcase(JA32) { JUMP(pc->target); }
		vmcase(MAY_GOTO)
		{
			if (loops == 0)
				JUMP(pc->target);
			loops--;
			NEXT();
		}

		vmcase(CALL)
		{
			R[0] = ((skep_helper_fn)(uintptr_t)pc->k)(R[1], R[2], R[3], R[4], R[5], cx);
			/* The helper asked for more than a return value: bpf_tail_call
			 * succeeded, or a callback it ran faulted. */
			if (__builtin_expect(cx->pending != CALLCTX_NONE, 0))
				goto do_pending;
			NEXT();
		do_pending:
			if (cx->pending == CALLCTX_ABORT) {
				cx->pending = CALLCTX_NONE;
				err = cx->abort_err;
				goto out_err;
			}
			/* Tail call: the same frame and r1 (the helper's first
			 * argument), the new program from its first instruction. */
			cx->pending = CALLCTX_NONE;
			code = cx->tail_code;
			base = code->insns;
			JUMP(0);
		}
		vmcase(CALLX)
		{
			uint64_t t = D;
			uint64_t lo = (uint64_t)(uintptr_t)base;
			if (t >= lo && t < lo + code->len * sizeof(*base) &&
			    (t - lo) % sizeof(*base) == 0 &&
			    code->is_func_start[(t - lo) / sizeof(*base)]) {
				call_target = (t - lo) / sizeof(*base);
				goto do_local_call;
			}
			skep_helper_fn fn = code->lookup ? code->lookup(code->lookup_arg, t) : NULL;
			if (!fn) {
				log_printf(env->log, "insn %td: callx r%u = 0x%" PRIx64
						     " is neither a function nor a helper id",
					   pc - base, pc->dst, t);
				err = -EINVAL;
				goto out_err;
			}
			R[0] = fn(R[1], R[2], R[3], R[4], R[5], cx);
			NEXT();
		do_local_call:
			if (depth + 1 >= SKEP_MAX_FRAMES) {
				log_printf(env->log, "insn %td: call nests deeper than %d frames",
					   pc - base, SKEP_MAX_FRAMES);
				err = -E2BIG;
				goto out_err;
			}
			frames[depth].ret = pc + 1;
			memcpy(frames[depth].saved, &R[6], sizeof(frames[depth].saved));
			frames[depth].loops = loops;
			frames[depth].base = base;
			frames[depth].code = code;
			depth++;
			loops = INTERP_MAX_LOOPS;
			R[10] -= SKEP_STACK_SIZE;
			JUMP(call_target);
		}
		vmcase(CALL_LOCAL)
		{
			call_target = pc->target;
			goto do_local_call;
		}
		vmcase(CALL_KFUNC)
		{
			log_printf(env->log, "insn %td: kfunc calls are not supported", pc - base);
			err = -EINVAL;
			goto out_err;
		}
		vmcase(EXIT)
		{
			if (depth == 0)
				goto out_done;
			depth--;
			memcpy(&R[6], frames[depth].saved, sizeof(frames[depth].saved));
			loops = frames[depth].loops;
			pc = frames[depth].ret;
			base = frames[depth].base;
			code = frames[depth].code;
			BUDGET();
			vmgo();
		}
	}
#if !INTERP_COMPUTED_GOTO
	err = -EINVAL; /* unreachable: every row has a case */
	goto out_err;
#endif

out_done:
	res->retval = R[0];
	res->fault_insn = -1;
#if INTERP_CHECKED
	res->insns = executed;
#endif
	return 0;
#if INTERP_CHECKED
out_budget:
	log_printf(env->log, "insn %td: instruction budget of %" PRIu64 " spent; stopped", pc - base,
		   budget);
	err = -E2BIG;
	goto out_err;
out_fault:
	interp_log_fault(env->log, cx, pc - base, fault_addr, fault_size, fault_write);
	res->fault_addr = fault_addr;
	err = -EFAULT;
	goto out_err;
#endif
out_err:
	res->retval = R[0];
	res->fault_insn = pc - base;
#if INTERP_CHECKED
	res->insns = executed;
#endif
	return err;
}
