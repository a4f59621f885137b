/* Helpers about the world outside the program: clocks, random numbers, the
 * CPU, and the calling thread's ids and name.  In user space the "current
 * task" is the thread that runs the program. */
#define _GNU_SOURCE /* gettid */
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "helpers/helpers.h"

/* jiffies64 counts at this rate; the kernel's HZ is a build option. */
#define HELPER_HZ 1000

static uint64_t helper_clock(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

HELPER_FN(ktime_get_ns)
{
	return helper_clock(CLOCK_MONOTONIC);
}

HELPER_FN(ktime_get_boot_ns)
{
	return helper_clock(CLOCK_BOOTTIME);
}

HELPER_FN(ktime_get_coarse_ns)
{
	return helper_clock(CLOCK_MONOTONIC_COARSE);
}

HELPER_FN(jiffies64)
{
	return helper_clock(CLOCK_MONOTONIC_COARSE) / (1000000000ull / HELPER_HZ);
}

/* xorshift64*, seeded once per run from the clock and where the run's
 * context lives, so concurrent runs draw different numbers. */
HELPER_FN(get_prandom_u32)
{
	uint64_t x = cx->rng;

	if (!x) {
		x = helper_clock(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)cx * 0x9e3779b97f4a7c15ull;
		x = x ? x : 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	cx->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

HELPER_FN(get_smp_processor_id)
{
	return cx->cpu;
}

HELPER_FN(get_current_pid_tgid)
{
	return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
}

HELPER_FN(get_current_uid_gid)
{
	return (uint64_t)getgid() << 32 | getuid();
}

HELPER_FN(get_current_comm)
{
	char comm[17] = "";
	size_t n;

	if (!r2)
		return (uint64_t)-22; /* -EINVAL */
	if (!helper_mem(cx, r1, r2, 1, "bpf_get_current_comm", "r1 (buf)"))
		return 0;
	prctl(PR_GET_NAME, comm);
	n = strnlen(comm, 16);
	if (n >= r2)
		n = r2 - 1;
	/* As the kernel's strscpy_pad: the rest of the buffer is zeroed. */
	memset((char *)(uintptr_t)r1, 0, r2);
	memcpy((char *)(uintptr_t)r1, comm, n);
	return 0;
}

/* The kernel's trampoline context: the arguments as u64s, their count in the
 * word before them and the return value after them.  A hook that supplies
 * function arguments lays its context out this way. */
static int helper_func_ctx(struct skep_call_ctx *cx, uint64_t ctx, uint64_t *nr, const char *name)
{
	if (!helper_mem(cx, ctx - 8, 8, 0, name, "r1 (ctx)"))
		return -1;
	memcpy(nr, (const void *)(uintptr_t)(ctx - 8), 8);
	if (*nr > 64 || !helper_mem(cx, ctx, (*nr + 1) * 8, 0, name, "r1 (ctx)"))
		return -1;
	return 0;
}

HELPER_FN(get_func_arg)
{
	uint64_t nr;

	if (helper_func_ctx(cx, r1, &nr, "bpf_get_func_arg") ||
	    !helper_mem(cx, r3, 8, 1, "bpf_get_func_arg", "r3 (value)"))
		return 0;
	if ((uint32_t)r2 >= nr)
		return (uint64_t)-22; /* -EINVAL, the value left alone as in the kernel */
	memcpy((void *)(uintptr_t)r3, (const uint64_t *)(uintptr_t)r1 + (uint32_t)r2, 8);
	return 0;
}

HELPER_FN(get_func_ret)
{
	uint64_t nr;

	if (helper_func_ctx(cx, r1, &nr, "bpf_get_func_ret") ||
	    !helper_mem(cx, r2, 8, 1, "bpf_get_func_ret", "r2 (value)"))
		return 0;
	memcpy((void *)(uintptr_t)r2, (const uint64_t *)(uintptr_t)r1 + nr, 8);
	return 0;
}

HELPER_FN(get_func_arg_cnt)
{
	uint64_t nr;

	return helper_func_ctx(cx, r1, &nr, "bpf_get_func_arg_cnt") ? 0 : nr;
}

/* Tracing helpers.  Programs that use them are kprobes, tracepoints and the
 * like, which skep verifies but has no kernel event to run them on; when an
 * embedder runs one anyway, each answers as the kernel does where nothing
 * is there to report: no task struct, no stack, no cgroup, no perf event. */
HELPER_FN(get_current_task)
{
	return 0;
}

HELPER_FN(get_current_ancestor_cgroup_id)
{
	return 0;
}

HELPER_FN(get_current_cgroup_id)
{
	return 0;
}

HELPER_FN(get_numa_node_id)
{
	return 0;
}

HELPER_FN(ktime_get_tai_ns)
{
	return helper_clock(CLOCK_TAI);
}

/* -EFAULT: no stack to walk (the kernel's answer when it cannot unwind). */
HELPER_FN(get_stackid)
{
	return (uint64_t)-14;
}

HELPER_FN(get_stack)
{
	if (!helper_mem(cx, r2, r3, 1, "bpf_get_stack", "r2 (buf)"))
		return 0;
	if (r3)
		memset((void *)(uintptr_t)r2, 0, r3);
	return (uint64_t)-14;
}

/* -EOPNOTSUPP: no perf event, signal target or probed function here. */
HELPER_FN(tracing_unsupported)
{
	return (uint64_t)-95;
}

HELPER_FN(tracing_unsupported_buf)
{
	if (!helper_mem(cx, r2, r3, 1, "perf_event_read_value", "r2 (buf)"))
		return 0;
	if (r3)
		memset((void *)(uintptr_t)r2, 0, r3);
	return (uint64_t)-95;
}

/* bpf_get_ns_current_pid_tgid(dev, ino, nsdata, size): the calling thread
 * in the namespace of (dev, ino); -EINVAL for a wrong size, -ENOENT for a
 * namespace skep cannot check.  The buffer is zeroed on failure. */
HELPER_FN(get_ns_current_pid_tgid)
{
	if (!helper_mem(cx, r3, r4, 1, "bpf_get_ns_current_pid_tgid", "r3 (nsdata)"))
		return 0;
	if (r4)
		memset((void *)(uintptr_t)r3, 0, r4);
	return r4 != 8 ? (uint64_t)-22 : (uint64_t)-2;
}

/* bpf_fib_lookup(ctx, params, plen, flags): skep has no routing table, so
 * every well-formed lookup answers BPF_FIB_LKUP_RET_NOT_FWDED (the packet
 * goes up the stack, as for a destination the kernel would not forward);
 * argument errors are the kernel's. */
HELPER_FN(fib_lookup)
{
	const uint32_t known = BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT;
	uint8_t family;

	if (!helper_mem(cx, r2, r3, 1, "bpf_fib_lookup", "r2 (params)"))
		return 0;
	if (r3 < sizeof(struct bpf_fib_lookup) || (r4 & ~(uint64_t)known))
		return (uint64_t)-22; /* -EINVAL */
	memcpy(&family, (const uint8_t *)(uintptr_t)r2, 1);
	if (family != 2 && family != 10) /* AF_INET, AF_INET6 */
		return (uint64_t)-97; /* -EAFNOSUPPORT */
	return BPF_FIB_LKUP_RET_NOT_FWDED;
}
