/* The verifier stage: abstract interpretation of a program, path by path,
 * proving that it terminates and touches only memory it was given.
 *
 * Takes: a decoded program (isa), the program type, its maps and the VM's
 * helper table.  Gives: a verdict; on rejection one root cause (instruction,
 * words, the branch decisions that led there) and, on request, a
 * kernel-like log of register states.
 *
 * Files, one concept each:
 *   tnum.c      known bits                 bounds.c   scalar ranges, scalar ALU
 *   alu.c       ALU instructions, pointer arithmetic rules
 *   branch.c    conditional jumps: branch taken?, refinement of both sides
 *   mem.c       loads, stores, atomics: stack, map value, packet, helper memory
 *   ctx.c       the context layouts of each program type (offset, size, access)
 *   calls.c     helper calls against their prototypes, bpf-to-bpf calls, exit
 *   cfg.c       control-flow checks before the walk (reachability, exits)
 *   state.c     register/stack state: copy, compare for pruning
 *   explore.c   the walk: work list, checkpoints, pruning, loops, budget
 *   log.c       register printing and the explanation of a rejection
 *   fixup.c     after acceptance: what the run needs resolved
 *   api.c       skep_verify()
 */
#ifndef SKEP_VERIFIER_VERIFIER_H
#define SKEP_VERIFIER_VERIFIER_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "isa/isa.h"
#include "skep/verifier.h"
#include "verifier/tnum.h"

#define V_MAX_FRAMES SKEP_MAX_FRAMES
#define V_STACK SKEP_STACK_SIZE
#define V_SLOTS (V_STACK / 8)
#define V_NR_REGS 11
#define V_INSN_BUDGET 1000000ull
#define V_MAX_VAR_OFF (1ll << 29) /* the kernel's BPF_MAX_VAR_OFF */
#define V_MAX_PACKET_OFF 0xffff
#define V_MAX_STATES_PER_INSN 64
#define V_MAX_PENDING 8192 /* the kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ */
#define V_MAX_STORED 250000 /* checkpoints kept at once: bounds memory, costs only pruning */
#define V_MAX_REFS 16

/* What a register holds (the kernel's enum bpf_reg_type, the part skep has). */
enum vtype {
	VT_NOT_INIT,
	VT_SCALAR,
	VT_CTX,         /* the program's context */
	VT_STACK,       /* frame `frameno`'s stack, at off (+ var) from its top */
	VT_MAP_PTR,     /* struct bpf_map *, from lddw */
	VT_MAP_VALUE,   /* mem_size bytes of a map value */
	VT_PACKET,      /* packet data, range bytes proven from the same-id start */
	VT_PACKET_END,
	VT_PACKET_META,
	VT_MEM,         /* mem_size bytes returned by a helper (ringbuf sample) or raw memory */
	VT_FUNC,        /* address of a subprogram (callbacks) */
	VT_COUNT
};

/* A register's abstract value.  Scalars: var and the ranges are the value.
 * Pointers: the address is base + off + var (var a scalar part). */
struct vreg {
	uint8_t type;       /* enum vtype */
	uint8_t maybe_null; /* or-null until a null check */
	uint8_t frameno;    /* VT_STACK */
	uint8_t map;        /* VT_MAP_PTR, VT_MAP_VALUE: index in the map list */
	uint8_t rdonly;     /* VT_MEM the program may only read (a map key) */
	int32_t off;
	uint32_t id;     /* shared by copies: null checks, packet ranges, scalar links */
	uint32_t ref_id; /* reference to release (ringbuf sample) */
	int32_t range;   /* packet: bytes proven in bounds from base + off=0 of this id */
	uint32_t mem_size;
	int32_t func;    /* VT_FUNC: first slot of the subprogram */
	struct tnum var;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32min, s32max;
	uint32_t u32min, u32max;
};

/* Each stack byte is one of these; an 8-byte slot may hold a spilled register. */
enum vslot_kind { SLOT_INVALID, SLOT_MISC, SLOT_ZERO, SLOT_SPILL };

struct vslot {
	uint8_t kind[8]; /* byte i is at offset -(8*slot + 8) + i */
	uint8_t spill_off, spill_size; /* the SLOT_SPILL bytes (a register stored whole) */
	struct vreg spill; /* scalars stored narrower: the stored (truncated) value */
};

struct vframe {
	struct vreg regs[V_NR_REGS];
	int32_t callsite; /* call instruction in the caller, -1 for frame 0 */
	int32_t func;     /* first slot of this function */
	int32_t nslots;   /* allocated slots (slot i covers [-8i-8, -8i)) */
	struct vslot *slots;
	/* Callbacks: the helper call to go back to, and how r0 must look. */
	int32_t cb_helper; /* -1 unless this frame is a callback */
};

struct vref {
	uint32_t id;
	int32_t insn; /* where it was acquired */
};

/* One decision on the way to an instruction: for the explanation. */
struct vpath {
	const struct vpath *prev;
	int32_t insn;
	int8_t taken;
	uint32_t depth;
};

struct vcheckpoint;

/* Path nodes come from chunks freed together at the end. */
struct varena {
	struct varena *next;
	size_t used;
	struct vpath nodes[4096];
};

struct vstate {
	struct vframe *frames[V_MAX_FRAMES];
	int curframe;
	int32_t insn;
	int nrefs;
	struct vref refs[V_MAX_REFS];
	int32_t lock_insn; /* 1 + the bpf_spin_lock call holding a lock, or 0 */
	uint8_t cb_entry;  /* just entered a callback from its helper (not a loop back) */
	struct vcheckpoint *parent; /* last checkpoint on this path */
	const struct vpath *path;
};

struct vcheckpoint {
	struct vstate st;
	struct vcheckpoint *next; /* same instruction */
	struct vcheckpoint *parent;
	uint32_t branches; /* live paths under it; 0 = fully explored */
	uint64_t hash;     /* vstate_hash(&st) */
	uint32_t hits, misses;
};

struct vmapinfo {
	uint32_t type, key_size, value_size, max_entries, flags;
	int has_spin_lock;
	uint32_t spin_lock_off;
	struct skep_map *map; /* NULL for an inner map's template */
	int inner;            /* map-in-map: index of its inner template, else -1 */
};

struct ctx_desc;

/* Per instruction. */
struct vaux {
	uint8_t prune;    /* checkpoint here */
	uint8_t seen;
	uint8_t ctx_access; /* a ctx load/store was checked here */
	int16_t ctx_off;
	int32_t func;     /* first slot of the function it belongs to */
	int32_t nstates;
	struct vcheckpoint *states;
};

struct vstack_item {
	struct vstate st;
};

struct verifier_env {
	struct skep_vm *vm;
	const struct bpf_insn *raw;
	struct isa_prog isa;
	size_t len;
	uint32_t prog_type;
	size_t raw_mem_size;
	int raw_no_mem; /* raw program run without memory: r1 = r2 = 0 */
	const struct ctx_desc *ctx;
	struct vmapinfo *maps;
	size_t nr_maps;
	struct vaux *aux;
	int32_t *func_depth; /* per slot of a function start: deepest stack use */
	uint16_t *live;      /* per slot: registers some path reads before writing */
	struct skep_log log;
	int log_level;
	/* The walk. */
	struct vstate cur;
	struct vstate *stack;
	size_t stack_len, stack_cap;
	uint64_t insns_processed, nr_states, nr_stored;
	/* Since the last checkpoint, on any path (the kernel's heuristic: a
	 * new checkpoint after at least 2 jumps and 8 instructions). */
	uint32_t cp_insns, cp_jumps;
	uint32_t id_gen;
	/* Arena for path nodes, freed at the end. */
	struct varena *arena;
	int64_t at; /* the instruction being checked, for errors */
	/* The first error. */
	int err;
	int64_t err_insn;
	char err_msg[512];
	const struct vpath *err_path;
};

/* Errors: record the first one (message, instruction, path); returns -EACCES. */
int verifier_error(struct verifier_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* -EINVAL flavour: malformed rather than unsafe. */
int verifier_error_inval(struct verifier_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void verifier_log(struct verifier_env *env, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline struct vframe *vcur(struct vstate *st) { return st->frames[st->curframe]; }
static inline struct vreg *vregs(struct vstate *st) { return st->frames[st->curframe]->regs; }
static inline const struct isa_op *vop(const struct verifier_env *env, size_t i)
{
	return &isa_ops[env->isa.insns[i].op];
}

/* bounds.c: scalar values. */
void reg_mark_unknown(struct vreg *r);
void reg_mark_const(struct vreg *r, uint64_t v);
void reg_mark_not_init(struct vreg *r);
/* A pointer of this type with offset 0 and no variable part. */
void reg_mark_ptr(struct vreg *r, int type);
/* The ranges of var alone (var is kept); for a pointer's variable part too. */
void reg_var_unbounded(struct vreg *r);
/* Tighten ranges and known bits against each other; -1 if no value fits. */
int reg_bounds_sync(struct vreg *r);
int reg_is_const(const struct vreg *r);
/* The value as seen by a 32-bit op, zero-extended. */
void reg_zext32(struct vreg *r);
/* Scalar ALU: dst = dst OP src (both scalars; 32 or 64 bits).  BPF_* op bits. */
void scalar_alu(struct vreg *dst, const struct vreg *src, int op, int is64, int sdiv);
void scalar_movsx(struct vreg *dst, const struct vreg *src, int bits, int is64);
void scalar_end(struct vreg *dst, int bits, int swap, int is64);
/* dst = var of a + var of b (pointer variable parts, like scalars). */
void scalar_add_sub(struct vreg *dst, const struct vreg *src, int sub);
/* A value loaded from memory: size bytes, zero- or sign-extended. */
void scalar_loaded(struct vreg *r, int size, int sext);

/* alu.c */
int verifier_check_alu(struct verifier_env *env, struct vstate *st, const struct isa_insn *in);
int verifier_check_lddw(struct verifier_env *env, struct vstate *st, const struct isa_insn *in);
/* A register read as a source: initialised? */
int verifier_check_read(struct verifier_env *env, struct vstate *st, int regno);

/* branch.c: returns 0 with *fall / *jump saying which sides are possible,
 * the state for the jump side in *other (refined). */
int verifier_check_cond(struct verifier_env *env, struct vstate *st, const struct isa_insn *in,
			struct vstate *other, int *fall, int *jump);
/* Give every copy of a scalar (same id) the bounds of r. */
void verifier_sync_linked(struct vstate *st, const struct vreg *r);

/* mem.c */
int verifier_check_mem(struct verifier_env *env, struct vstate *st, const struct isa_insn *in);
int verifier_check_ld_abs(struct verifier_env *env, struct vstate *st, const struct isa_insn *in);
/* Helper arguments: may the helper read (or write) [ptr, ptr + size) with
 * size in [size_min, size_max]? `what` names the argument for messages. */
int verifier_check_helper_mem(struct verifier_env *env, struct vstate *st, int regno,
			      uint64_t size_min, uint64_t size_max, int write, int zero_ok);
const char *verifier_type_name(int type);
/* 1 with *val when the `size` stack bytes at regno hold a known constant. */
int verifier_stack_const(struct vstate *st, int regno, int size, uint64_t *val);
struct vslot *verifier_stack_slots(struct vframe *f, int nslots);

/* ctx.c */
enum { CTX_READ = 1, CTX_WRITE = 2 };
struct ctx_field {
	uint16_t off, end;  /* [off, end) */
	uint8_t sizes;      /* bit n: 1 << n bytes allowed (1, 2, 4, 8) */
	uint8_t access;     /* CTX_READ | CTX_WRITE */
	uint8_t narrow;     /* smaller reads than the field allowed */
	uint8_t type;       /* enum vtype of what a load gives */
	const char *name;
};
struct ctx_desc {
	uint32_t prog_type;
	const char *name; /* "struct xdp_md" */
	uint32_t size;
	int direct_packet; /* 0: none, 1: read, 2: read/write */
	int ld_abs;        /* legacy packet loads allowed */
	const struct ctx_field *fields;
	size_t nr_fields;
};
/* The context of a program type, or NULL (raw programs: r1 is memory). */
const struct ctx_desc *ctx_desc_of(uint32_t prog_type);
/* The field an access [off, off+size) may use, or NULL with why. */
const struct ctx_field *ctx_field_find(const struct ctx_desc *d, int off, int size, int write,
				       const char **why);
/* Program type names ("xdp", "socket_filter") <-> numbers. */
int verifier_prog_type_parse(const char *s, uint32_t *type);
const char *verifier_prog_type_name(uint32_t type);

/* calls.c */
int verifier_check_helper(struct verifier_env *env, struct vstate *st, const struct isa_insn *in);
int verifier_check_local_call(struct verifier_env *env, struct vstate *st,
			      const struct isa_insn *in);
/* Exit: 1 when the path ends here, 0 when it goes on in the caller. */
int verifier_check_exit(struct verifier_env *env, struct vstate *st);

/* cfg.c */
int verifier_check_cfg(struct verifier_env *env);
int verifier_check_stack_depth(struct verifier_env *env);

/* state.c */
int vstate_copy(struct vstate *dst, const struct vstate *src);
void vstate_free(struct vstate *st);
struct vframe *vframe_new(int32_t func, int32_t callsite);
/* Does old (fully explored) cover cur?  exact: must they be equal? */
int vstate_covers(const struct vstate *old, const struct vstate *cur, int exact);
/* Repeats bounded by a helper: scalars of cur outside old's ranges become
 * unknown, so that the next repeat is covered.  0 if the shapes differ. */
int vstate_widen(struct vstate *cur, const struct vstate *old);
/* Equal for states that vstate_covers(.., exact) may call equal. */
uint64_t vstate_hash(const struct vstate *st);
/* Forget scalar ids no other register shares (they link nothing). */
void vstate_clear_single_ids(struct vstate *st);
/* Apply fn to every register of every frame, spilled ones included. */
void vstate_for_each_reg(struct vstate *st, void (*fn)(struct vreg *r, void *arg), void *arg);

/* explore.c */
int verifier_explore(struct verifier_env *env);
/* A new path node (arena). */
const struct vpath *verifier_path_add(struct verifier_env *env, const struct vpath *prev,
				      int32_t insn, int taken);
/* Queue a state to explore later (a copy is taken). */
int verifier_push(struct verifier_env *env, const struct vstate *st);

/* log.c */
void verifier_reg_print(const struct verifier_env *env, const struct vreg *r, char *buf,
			size_t size);
void verifier_log_state(struct verifier_env *env, const struct vstate *st, int level);
void verifier_log_insn(struct verifier_env *env, size_t idx, const struct vstate *st);
/* "r2 = pkt(off=14, r=14)" for messages. */
void verifier_describe_reg(const struct verifier_env *env, int regno, const struct vreg *r,
			   char *buf, size_t size);

/* fixup.c */
int verifier_fixup(struct verifier_env *env);

#endif
