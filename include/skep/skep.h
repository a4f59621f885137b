/* skep: eBPF outside the kernel.
 *
 * This is the embedding API.  A skep_vm holds what programs share (the helper
 * table); a skep_prog is one loaded program, decoded and checked, ready to run
 * in the interpreter.  Every function returns 0 or a negative errno; a
 * human-readable reason goes into the log buffer the caller passes (the
 * library itself never prints).
 *
 * Numbers are the Linux kernel's: instructions are struct bpf_insn slots,
 * helper ids are enum bpf_func_id values.
 */
#ifndef SKEP_SKEP_H
#define SKEP_SKEP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SKEP_API __attribute__((visibility("default")))

/* One 8-byte instruction slot, laid out exactly as the kernel's struct bpf_insn. */
struct skep_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

/* Frames a program may nest through bpf-to-bpf calls, and the stack each gets
 * (the kernel's MAX_CALL_FRAMES and MAX_BPF_STACK). */
#define SKEP_MAX_FRAMES 8
#define SKEP_STACK_SIZE 512

struct skep_vm;
struct skep_prog;
struct skep_map;
/* What a helper sees of the program that called it. */
struct skep_call_ctx;

/* A helper: r1-r5 of the calling program, plus the call context. */
typedef uint64_t (*skep_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				   uint64_t r5, struct skep_call_ctx *cx);

/* A new VM with skep's built-in helpers registered; NULL when out of memory. */
SKEP_API struct skep_vm *skep_vm_new(void);
SKEP_API void skep_vm_free(struct skep_vm *vm);

/* Register (or replace) helper `id` (a kernel enum bpf_func_id value, or an
 * embedder's own id up to SKEP_MAX_HELPER_ID). Programs loaded afterwards can
 * call it. -EINVAL for a bad id or NULL fn, -ENOMEM. */
#define SKEP_MAX_HELPER_ID 65535
SKEP_API int skep_vm_register_helper(struct skep_vm *vm, uint32_t id, const char *name,
				     skep_helper_fn fn);
/* The helper's name, or NULL if it is not registered. */
SKEP_API const char *skep_vm_helper_name(const struct skep_vm *vm, uint32_t id);

/* Where bpf_trace_printk's lines go (the kernel's trace_pipe): fn gets each
 * formatted line, without its newline.  Until set, lines are dropped. */
typedef void (*skep_trace_fn)(void *ctx, const char *line, size_t len);
SKEP_API void skep_vm_set_trace(struct skep_vm *vm, skep_trace_fn fn, void *ctx);

struct skep_load_opts {
	size_t sz; /* sizeof(struct skep_load_opts), for ABI growth */
	char *log_buf;
	size_t log_size;
	/* Maps the program refers to (<skep/maps.h>): an lddw with src 1
	 * (BPF_PSEUDO_MAP_FD) or 5 (BPF_PSEUDO_MAP_IDX) loads maps[imm]; src 2
	 * or 6 (MAP_VALUE, MAP_IDX_VALUE) the address of byte `imm of the
	 * second slot` of element 0 of array maps[imm].  The program does not
	 * own the maps: they must outlive it. */
	struct skep_map **maps;
	size_t nr_maps;
};

/* Decode and structurally check `len` slots and prepare them to run.  The
 * program keeps its own copy of the instructions; vm must outlive it.
 * -EINVAL with the log naming the instruction for a malformed program. */
SKEP_API int skep_prog_load(struct skep_vm *vm, const struct skep_insn *insns, size_t len,
			    const struct skep_load_opts *opts, struct skep_prog **out);
SKEP_API void skep_prog_free(struct skep_prog *prog);
SKEP_API size_t skep_prog_len(const struct skep_prog *prog);
SKEP_API const struct skep_insn *skep_prog_insns(const struct skep_prog *prog);

/* Memory a program may touch when run checked. */
struct skep_region {
	void *addr;
	size_t size;
	int writable;
	const char *name; /* for messages: "mem", "ctx", "packet"... */
};

enum skep_exec_mode {
	SKEP_EXEC_INTERP,  /* the interpreter, no runtime checks (verified programs) */
	SKEP_EXEC_CHECKED, /* the interpreter, every access checked against the regions */
	/* Native x86-64 code, compiled by the first run in this mode.  Results
	 * are the interpreter's, except that r1-r5 after a helper call hold
	 * what the helper left there (undefined, as in the kernel; the
	 * interpreter keeps them).  SKEP_JIT_HARDEN=1 in the environment
	 * blinds the program's constants (as the kernel's bpf_jit_harden). */
	SKEP_EXEC_JIT,
	/* Native code with the checked interpreter's guarantees: every memory
	 * access is tested against the regions (the stack included) and a run
	 * stops cleanly with -EFAULT, -E2BIG or -EINVAL, the faulting instruction
	 * in fault_insn.  The instruction budget is charged per basic block on
	 * entering it, so a run that overspends stops at the start of the block
	 * that would overspend (and insns counts through that block). */
	SKEP_EXEC_JIT_CHECKED,
};

struct skep_run_opts {
	size_t sz;          /* sizeof(struct skep_run_opts) */
	uint64_t args[5];   /* r1-r5 at entry */
	const struct skep_region *regions;
	size_t nr_regions;
	const void *packet; /* what legacy LD_ABS/LD_IND read; NULL: none */
	size_t packet_len;
	enum skep_exec_mode mode;
	uint64_t insn_budget; /* checked mode: stop after this many; 0 = default */
	uint32_t cpu;         /* what bpf_get_smp_processor_id returns */
	void *user;           /* handed to helpers through skep_call_ctx_user() */
	char *log_buf;
	size_t log_size;
};

#define SKEP_DEFAULT_INSN_BUDGET 100000000ull

struct skep_run_result {
	uint64_t retval;   /* r0 at exit */
	uint64_t insns;    /* instructions executed (checked mode only) */
	int64_t fault_insn; /* instruction that stopped a failed run, else -1 */
	uint64_t fault_addr;
};

/* Run once. 0 on a normal exit with res->retval = r0.  A checked run that
 * breaks a rule stops with -EFAULT (bad memory access), -E2BIG (instruction
 * budget spent) or -EINVAL (bad call target), the log naming the instruction,
 * address and region. */
SKEP_API int skep_prog_run(struct skep_prog *prog, const struct skep_run_opts *opts,
			   struct skep_run_result *res);

/* A program's native code, for disassembly (skep disasm --jited). */
struct skep_jited {
	const void *code; /* read-execute memory, owned by the program */
	size_t size;
	/* Per instruction slot i < len, the offset in code where its native code
	 * starts (a slot's code may be empty: the second half of an lddw);
	 * insn_off[len] is where the program's functions end and the shared
	 * stubs begin. */
	const uint32_t *insn_off;
	size_t len;
};

/* Compile the program for SKEP_EXEC_JIT (checked = 0) or SKEP_EXEC_JIT_CHECKED
 * now, if no run did yet, and describe the code.  0, or the compile error
 * with the reason in the log. */
SKEP_API int skep_prog_jited(struct skep_prog *prog, int checked, struct skep_jited *out,
			     char *log_buf, size_t log_size);

/* Inside a helper. */
SKEP_API void *skep_call_ctx_user(struct skep_call_ctx *cx);
SKEP_API uint32_t skep_call_ctx_cpu(struct skep_call_ctx *cx);
SKEP_API struct skep_prog *skep_call_ctx_prog(struct skep_call_ctx *cx);
/* Memory a helper hands to the program (a map value, a buffer): in checked
 * mode the program may then access it.  -ENOSPC when too many are added. */
SKEP_API int skep_call_ctx_add_region(struct skep_call_ctx *cx, void *addr, size_t size,
				      int writable, const char *name);

#ifdef __cplusplus
}
#endif

#endif
