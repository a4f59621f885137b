/* The helpers stage: skep's implementations of the kernel's helpers, under
 * their enum bpf_func_id numbers, and one table of their prototypes.
 *
 * Takes: a new VM.  Gives: every helper registered (helpers_register_builtin)
 * and, for the verifier, what each helper takes and returns
 * (helper_proto_of): argument and return types named and meant as the
 * kernel's (include/linux/bpf.h), so the verifier can check calls as the
 * kernel does.
 *
 * Verified programs call helpers with what the prototype promises.  Checked
 * runs are not verified: there every helper checks the pointers it is given
 * against the run's regions and stops the run (CALLCTX_ABORT) when one is
 * outside them, so a bad program cannot make a helper touch host memory.
 */
#ifndef SKEP_HELPERS_HELPERS_H
#define SKEP_HELPERS_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "core/callctx.h"
#include "skep/skep.h"

/* Instructions the ELF loader could not resolve become calls to these
 * helper numbers, which no VM registers, so that only a program that
 * reaches one is refused.  0xbad2310 is libbpf's own poison for failed
 * CO-RE relocations; the next one marks uses of an extern symbol (kfunc,
 * ksym) skep does not have. */
#define SKEP_POISON_CORE 0xbad2310
#define SKEP_POISON_EXTERN 0xbad2311

/* Argument types (the kernel's enum bpf_arg_type). */
enum helper_arg {
	ARG_DONTCARE = 0,
	ARG_ANYTHING,                 /* any scalar or pointer */
	ARG_CONST_MAP_PTR,            /* a map, from lddw */
	ARG_PTR_TO_MAP_KEY,           /* key_size bytes, read */
	ARG_PTR_TO_MAP_VALUE,         /* value_size bytes, read */
	ARG_PTR_TO_UNINIT_MAP_VALUE,  /* value_size bytes, written */
	ARG_PTR_TO_MEM,               /* bytes read; the size is the next argument */
	ARG_PTR_TO_UNINIT_MEM,        /* bytes written; the size is the next argument */
	ARG_CONST_SIZE,               /* a known size > 0 */
	ARG_CONST_SIZE_OR_ZERO,       /* a known size >= 0 */
	ARG_PTR_TO_CTX,               /* the program's context */
	ARG_PTR_TO_FUNC,              /* a callback: lddw src 4 */
	ARG_PTR_TO_STACK,             /* the callback's context (PTR_MAYBE_NULL) */
	ARG_PTR_TO_CONST_STR,         /* a NUL-terminated string in a read-only map */
	ARG_PTR_TO_SPIN_LOCK,         /* a struct bpf_spin_lock in a map value */
	ARG_PTR_TO_ALLOC_MEM,         /* a ring buffer sample (released by the call) */
	ARG_CONST_ALLOC_SIZE_OR_ZERO, /* the size of the sample to reserve */
	ARG_PTR_TO_LONG,              /* 8 bytes written */
};
/* Modifiers or'ed into an argument type, as the kernel's type flags. */
#define HELPER_MAYBE_NULL 0x100 /* PTR_MAYBE_NULL */
#define HELPER_RDONLY 0x200     /* MEM_RDONLY: the helper only reads */

/* Return types (the kernel's enum bpf_return_type). */
enum helper_ret {
	RET_INTEGER,
	RET_VOID,
	RET_PTR_TO_MAP_VALUE_OR_NULL,
	RET_PTR_TO_ALLOC_MEM_OR_NULL, /* ringbuf_reserve: a sample of arg 2's size */
};

struct helper_proto {
	uint32_t id; /* enum bpf_func_id */
	const char *name;
	skep_helper_fn fn;
	uint8_t ret;       /* enum helper_ret */
	uint16_t args[5];  /* enum helper_arg | modifiers; ARG_DONTCARE from the first unused */
};

/* The prototype of a built-in helper, or NULL. */
const struct helper_proto *helper_proto_of(uint32_t id);
/* Every prototype, in id order; *n gets the count. */
const struct helper_proto *helper_protos(size_t *n);

#define HELPER_FN(name)                                                                    \
	uint64_t helper_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, \
			       struct skep_call_ctx *cx)

/* Checked runs: may the program's memory [addr, addr+size) be read (or
 * written)?  Unchecked runs: always.  On no, the run is stopped with -EFAULT
 * and the log names the helper and argument. */
int helper_mem_checked(struct skep_call_ctx *cx, uint64_t addr, uint64_t size, int write,
		       const char *helper, const char *what);
static inline int helper_mem(struct skep_call_ctx *cx, uint64_t addr, uint64_t size, int write,
			     const char *helper, const char *what)
{
	return !cx->checked || !size || helper_mem_checked(cx, addr, size, write, helper, what);
}
/* The map in r (checked runs: only one the run may use), or NULL (stopped). */
struct skep_map *helper_map_checked(struct skep_call_ctx *cx, uint64_t r, const char *helper);
static inline struct skep_map *helper_map(struct skep_call_ctx *cx, uint64_t r, const char *helper)
{
	return cx->checked ? helper_map_checked(cx, r, helper) : (struct skep_map *)(uintptr_t)r;
}
/* Stop the run with err; the log line says why.  Returns 0 for the helper's r0. */
uint64_t helper_abort(struct skep_call_ctx *cx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copy from any address of this process without faulting: 0 or -EFAULT. */
int helper_read_user(void *dst, uint64_t src, size_t size);

/* Formatting for trace_printk and snprintf: the kernel's conversions, with
 * args[] as the 64-bit arguments.  Writes at most size bytes (NUL included)
 * and returns the length the whole output needs, without the NUL; -EINVAL
 * for a bad format or too few arguments. */
int helper_format(char *out, size_t size, const char *fmt, size_t fmt_len, const uint64_t *args,
		  size_t nr_args);

HELPER_FN(map_lookup_elem);
HELPER_FN(map_update_elem);
HELPER_FN(map_delete_elem);
HELPER_FN(map_push_elem);
HELPER_FN(map_pop_elem);
HELPER_FN(map_peek_elem);
HELPER_FN(map_lookup_percpu_elem);
HELPER_FN(tail_call);
HELPER_FN(for_each_map_elem);
HELPER_FN(loop);
HELPER_FN(spin_lock);
HELPER_FN(spin_unlock);
HELPER_FN(perf_event_output);
HELPER_FN(ringbuf_output);
HELPER_FN(ringbuf_reserve);
HELPER_FN(ringbuf_submit);
HELPER_FN(ringbuf_discard);
HELPER_FN(ringbuf_query);
HELPER_FN(ktime_get_ns);
HELPER_FN(ktime_get_boot_ns);
HELPER_FN(ktime_get_coarse_ns);
HELPER_FN(jiffies64);
HELPER_FN(get_prandom_u32);
HELPER_FN(get_smp_processor_id);
HELPER_FN(get_current_pid_tgid);
HELPER_FN(get_current_uid_gid);
HELPER_FN(get_current_comm);
HELPER_FN(probe_read);
HELPER_FN(probe_read_str);
HELPER_FN(strncmp);
HELPER_FN(trace_printk);
HELPER_FN(snprintf);
HELPER_FN(trace_vprintk);
HELPER_FN(get_func_arg);
HELPER_FN(get_func_ret);
HELPER_FN(get_func_arg_cnt);
HELPER_FN(get_current_task);
HELPER_FN(get_current_ancestor_cgroup_id);
HELPER_FN(get_current_cgroup_id);
HELPER_FN(get_numa_node_id);
HELPER_FN(ktime_get_tai_ns);
HELPER_FN(get_stackid);
HELPER_FN(get_stack);
HELPER_FN(tracing_unsupported);
HELPER_FN(tracing_unsupported_buf);
HELPER_FN(get_ns_current_pid_tgid);
HELPER_FN(fib_lookup);

#endif
