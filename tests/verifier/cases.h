/* The rule table: small programs with the verdict the verifier must give
 * and, for rejections, a fragment of its message.  test_verifier checks
 * skep against it; test_verifier_kernel checks the kernel agrees. */
#ifndef SKEP_TESTS_VERIFIER_CASES_H
#define SKEP_TESTS_VERIFIER_CASES_H

#include <linux/bpf.h>
#include <stdint.h>

#define XDP BPF_PROG_TYPE_XDP
#define SOCK BPF_PROG_TYPE_SOCKET_FILTER
#define TC BPF_PROG_TYPE_SCHED_CLS
#define RAW 0
#define KPROBE BPF_PROG_TYPE_KPROBE
#define TP BPF_PROG_TYPE_TRACEPOINT
#define RAWTP BPF_PROG_TYPE_RAW_TRACEPOINT
#define PERF BPF_PROG_TYPE_PERF_EVENT

struct vcase {
	const char *name;
	uint32_t type;
	const char *maps;
	const char *text; /* NULL expect: accepted */
	const char *expect;
};

/* The XDP packet prologue: r2 = data, r3 = data_end. */
#define PKT "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\n"
/* r0 = lookup(map 0, key 0 on the stack at r10-4) */
#define LOOKUP "stw [%r10-4], 0\nlddw_map_fd %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\n"

/* clang-format off */
static const struct vcase vcases[] = {
	/* ---- accepted ---- */
	{"return constant", RAW, "", "mov %r0, 0\nexit\n", NULL},
	{"raw memory in bounds", RAW, "", "ldxdw %r0, [%r1+32760]\nmov %r3, %r1\nadd %r3, 65528\nldxdw %r0, [%r3+0]\nexit\n", NULL},
	{"raw length is a scalar", RAW, "", "mov %r0, %r2\nexit\n", NULL},
	{"packet read after check", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxw %r0, [%r2+10]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"packet check written end >= ptr", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 8\njge %r3, %r4, ok\nmov %r0, 1\nexit\nok:\nldxdw %r0, [%r2+0]\nmov %r0, 2\nexit\n", NULL},
	{"packet variable offset bounded", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, out\nldxb %r5, [%r2+0]\nand %r5, 63\n"
	 "add %r2, %r5\nmov %r4, %r2\nadd %r4, 4\njgt %r4, %r3, out\nldxw %r0, [%r2+0]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"packet write in xdp", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 2\njgt %r4, %r3, out\nsth [%r2+0], 7\nout:\nmov %r0, 2\nexit\n", NULL},
	{"packet metadata checked against data", XDP, "",
	 "ldxw %r2, [%r1+8]\nldxw %r3, [%r1+0]\nmov %r4, %r2\nadd %r4, 4\njgt %r4, %r3, out\n"
	 "ldxw %r0, [%r2+0]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"xdp ingress_ifindex", XDP, "", "ldxw %r0, [%r1+12]\nexit\n", NULL},
	{"map lookup null-checked", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+8]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"null check through a copy", XDP, "array:4:16:1",
	 LOOKUP "mov %r6, %r0\njne %r0, 0, ok\nmov %r0, 1\nexit\nok:\nldxw %r0, [%r6+12]\nexit\n", NULL},
	{"map value variable offset bounded", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\njgt %r1, 15, out\nadd %r0, %r1\nldxb %r0, [%r0+0]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"map value offset masked", XDP, "array:4:64:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\nand %r1, 56\nadd %r0, %r1\nldxdw %r0, [%r0+0]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"map update from the stack", XDP, "hash:4:8:16",
	 "stw [%r10-4], 1\nstdw [%r10-16], 5\nlddw_map_fd %r1, 0\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\n"
	 "mov %r4, 0\ncall 2\nmov %r0, 2\nexit\n", NULL},
	{"spill and fill a pointer", XDP, "",
	 "stxdw [%r10-8], %r1\nldxdw %r6, [%r10-8]\nldxw %r0, [%r6+16]\nexit\n", NULL},
	{"narrow spill keeps the value", RAW, "",
	 "mov %r1, 3\nstxw [%r10-4], %r1\nldxw %r2, [%r10-4]\nmov %r3, %r10\nadd %r3, -8\nstdw [%r10-8], 0\n"
	 "mov %r0, 0\nexit\n", NULL},
	{"bounded loop", RAW, "",
	 "mov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 10, loop\nmov %r0, 0\nexit\n", NULL},
	{"loop of 1000 iterations", RAW, "",
	 "mov %r1, 0\nmov %r0, 0\nloop:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 1000, loop\nexit\n", NULL},
	{"bpf-to-bpf call", RAW, "",
	 "mov %r1, 5\ncall local f\nexit\nf:\nmov %r0, %r1\nadd %r0, 1\nexit\n", NULL},
	{"callee reads the caller's stack", RAW, "",
	 "stdw [%r10-8], 7\nmov %r1, %r10\nadd %r1, -8\ncall local f\nexit\nf:\nldxdw %r0, [%r1+0]\nexit\n", NULL},
	{"branch refines both sides", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxw %r1, [%r0+0]\njsgt %r1, 12, out\njslt %r1, 0, out\nadd %r0, %r1\n"
	 "ldxw %r0, [%r0+0]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"32-bit bounds", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxw %r1, [%r0+0]\nand32 %r1, 7\nadd32 %r1, 4\nadd %r0, %r1\nldxw %r0, [%r0+0]\nout:\nmov %r0, 2\nexit\n", NULL},
	{"known branch is not walked", RAW, "",
	 "mov %r1, 5\njgt %r1, 3, ok\nldxdw %r0, [%r9+0]\nok:\nmov %r0, 0\nexit\n", NULL},
	{"ringbuf reserve and submit", XDP, "ringbuf:0:0:4096",
	 "lddw_map_fd %r1, 0\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, out\nstdw [%r0+8], 1\nmov %r1, %r0\n"
	 "mov %r2, 0\ncall 132\nout:\nmov %r0, 2\nexit\n", NULL},
	{"bpf_loop with a callback", XDP, "",
	 "stdw [%r10-8], 0\nmov %r1, 10\nlddw_func %r2, cb\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 181\n"
	 "mov %r0, 2\nexit\ncb:\nldxdw %r3, [%r2+0]\nmov %r0, 0\nexit\n", NULL},
	{"spin lock taken and released", TC, "lockarray:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r0\ncall 93\nstdw [%r6+8], 1\nmov %r1, %r6\ncall 94\n"
	 "out:\nmov %r0, 0\nexit\n", NULL},
	{"bpf_loop callback accumulates into the caller's stack", XDP, "",
	 "stdw [%r10-8], 0\nmov %r1, 100\nlddw_func %r2, cb\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 181\n"
	 "mov %r0, 2\nexit\ncb:\nldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r0, 0\n"
	 "jgt %r3, 1000, stop\nexit\nstop:\nmov %r0, 1\nexit\n", NULL},
	{"for_each_map_elem reads key and value", XDP, "hash:4:8:16",
	 "lddw_map_fd %r1, 0\nlddw_func %r2, cb\nmov %r3, 0\nmov %r4, 0\ncall 164\nmov %r0, 2\nexit\n"
	 "cb:\nldxw %r0, [%r2+0]\nldxdw %r0, [%r3+0]\nmov %r0, 0\nexit\n", NULL},
	{"syscall program reads its context", BPF_PROG_TYPE_SYSCALL, "", "ldxdw %r0, [%r1+8]\nexit\n", NULL},
	/* tracing contexts: read-only, aligned; helpers that take the context */
	{"kprobe reads pt_regs (di, 4 bytes of ip, the last long)", KPROBE, "",
	 "ldxdw %r2, [%r1+112]\nldxw %r3, [%r1+128]\nldxdw %r0, [%r1+160]\nexit\n", NULL},
	{"kprobe reads a register through probe_read_kernel", KPROBE, "",
	 "ldxdw %r3, [%r1+112]\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 113\n"
	 "ldxdw %r0, [%r10-8]\nexit\n", NULL},
	{"kprobe current task, comm and stack", KPROBE, "",
	 "mov %r6, %r1\ncall 35\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\n"
	 "mov %r1, %r6\nmov %r2, %r10\nadd %r2, -64\nmov %r3, 48\nmov %r4, 0\ncall 67\n"
	 "mov %r0, 0\nexit\n", NULL},
	{"trace_vprintk with its arguments in an array", KPROBE, "",
	 "stw [%r10-8], 25637\nstdw [%r10-16], 7\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 3\n"
	 "mov %r3, %r10\nadd %r3, -16\nmov %r4, 8\ncall 177\nmov %r0, 0\nexit\n", NULL},
	{"fib_lookup with its parameters on the stack", XDP, "",
	 "stdw [%r10-64], 2\nstdw [%r10-56], 0\nstdw [%r10-48], 0\nstdw [%r10-40], 0\n"
	 "stdw [%r10-32], 0\nstdw [%r10-24], 0\nstdw [%r10-16], 0\nstdw [%r10-8], 0\n"
	 "mov %r2, %r10\nadd %r2, -64\nmov %r3, 64\nmov %r4, 0\ncall 69\nmov %r0, 2\nexit\n", NULL},
	{"fib_lookup is not for socket filters", SOCK, "",
	 "mov %r2, %r10\nadd %r2, -64\nmov %r3, 64\nmov %r4, 0\ncall 69\nmov %r0, 0\nexit\n",
	 "not available"},
	{"trace_vprintk without arguments", XDP, "",
	 "stw [%r10-8], 10\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 2\nmov %r3, 0\nmov %r4, 0\n"
	 "call 177\nmov %r0, 2\nexit\n", NULL},
	{"tracepoint reads its record after the common fields", TP, "",
	 "ldxdw %r2, [%r1+8]\nldxw %r3, [%r1+20]\nldxb %r0, [%r1+8191]\nexit\n", NULL},
	{"raw tracepoint reads its arguments", RAWTP, "", "ldxdw %r2, [%r1+0]\nldxdw %r0, [%r1+88]\nexit\n", NULL},
	{"perf_event reads a register and sample_period narrowly", PERF, "",
	 "ldxdw %r2, [%r1+128]\nldxw %r0, [%r1+168]\nldxb %r0, [%r1+176]\nexit\n", NULL},
	{"sched_act reads the packet", BPF_PROG_TYPE_SCHED_ACT, "",
	 "ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\nmov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, out\nldxb %r0, [%r2+0]\nout:\nmov %r0, 0\nexit\n", NULL},
	{"stack array indexed by a bounded variable", XDP, "",
	 "stdw [%r10-16], 0\nstdw [%r10-8], 0\nldxw %r2, [%r1+12]\nand %r2, 7\nmov %r3, %r10\nadd %r3, -16\n"
	 "add %r3, %r2\nstb [%r3+0], 1\nldxb %r0, [%r3+8]\nmov %r0, 2\nexit\n", NULL},
	{"xdp may return any number (the kernel checks no range)", XDP, "", "mov %r0, 7\nexit\n", NULL},
	{"socket filter narrow read of len", SOCK, "", "ldxh %r0, [%r1+0]\nexit\n", NULL},
	{"socket filter writes cb", SOCK, "", "stw [%r1+48], 1\nmov %r0, 0\nexit\n", NULL},
	{"tc writes mark", TC, "", "stw [%r1+8], 1\nmov %r0, 0\nexit\n", NULL},
	{"tc direct packet access", TC, "",
	 "ldxw %r2, [%r1+76]\nldxw %r3, [%r1+80]\nmov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r0, [%r2+13]\nout:\nmov %r0, 0\nexit\n", NULL},
	{"legacy LD_ABS in a socket filter", SOCK, "", "mov %r6, %r1\nldabsb 12\nexit\n", NULL},
	{"pointer minus pointer is a number", XDP, "",
	 PKT "sub %r3, %r2\nmov %r0, 2\nexit\n", NULL},
	{"stack pointer compared with zero", RAW, "",
	 "mov %r1, %r10\njeq %r1, 0, out\nout:\nmov %r0, 0\nexit\n", NULL},
	{"trace_printk without r3-r5", XDP, "",
	 "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 6\nmov %r0, 2\nexit\n", NULL},
	{"array lookup with a constant key is never null", XDP, "array:4:16:4",
	 LOOKUP "ldxdw %r0, [%r0+0]\nmov %r0, 2\nexit\n", NULL},
	{"trace_printk of a stack string", XDP, "",
	 "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\n"
	 "call 6\nmov %r0, 2\nexit\n", NULL},

	/* ---- rejected ---- */
	{"uninitialised register", RAW, "", "mov %r0, %r5\nexit\n", "r5 is read before it is written"},
	{"no return value", RAW, "", "exit\n", "r0 is not set at exit"},
	{"packet read without a check", XDP, "", PKT "ldxb %r0, [%r2+0]\nmov %r0, 2\nexit\n",
	 "reads 1 byte at packet offset 0, but only 0 bytes are proven in bounds"},
	{"packet check off by one", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxw %r0, [%r2+11]\nout:\nmov %r0, 2\nexit\n",
	 "reads 4 bytes at packet offset 11, but only 14 bytes are proven in bounds"},
	{"packet check on the wrong side", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, bad\nmov %r0, 2\nexit\nbad:\nldxb %r0, [%r2+0]\nexit\n",
	 "only 0 bytes are proven"},
	{"strict < proves one byte more", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 14\njlt %r4, %r3, ok\nmov %r0, 1\nexit\nok:\nldxw %r0, [%r2+12]\nexit\n",
	 "only 15 bytes"},
	{"packet variable offset unbounded", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, out\nldxb %r5, [%r2+0]\nadd %r2, %r5\nldxb %r0, [%r2+0]\nout:\nmov %r0, 2\nexit\n",
	 "only 0 bytes"},
	{"packet pointer before data", XDP, "",
	 PKT "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r0, [%r2-1]\nout:\nmov %r0, 2\nexit\n",
	 "before its start"},
	{"missing null check", XDP, "hash:4:16:1", LOOKUP "ldxdw %r0, [%r0+0]\nexit\n", "may be NULL"},
	{"array key out of range needs a null check", XDP, "array:4:16:1",
	 "stw [%r10-4], 1\nlddw_map_fd %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nldxdw %r0, [%r0+0]\nexit\n",
	 "may be NULL"},
	{"arithmetic on or-null pointer", XDP, "hash:4:16:1", LOOKUP "add %r0, 8\nmov %r0, 2\nexit\n",
	 "before a null check"},
	{"map value past its end", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+9]\nout:\nmov %r0, 2\nexit\n",
	 "reads 8 bytes at offset 9 of a 16-byte map value"},
	{"map value variable offset off by one", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\njgt %r1, 15, out\nadd %r0, %r1\nldxh %r0, [%r0+0]\nout:\nmov %r0, 2\nexit\n",
	 "of a 16-byte map value"},
	{"map value signed offset may be negative", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\njsgt %r1, 12, out\nadd %r0, %r1\nldxw %r0, [%r0+0]\nout:\nmov %r0, 2\nexit\n",
	 "unbounded min value"},
	{"map value unbounded offset", XDP, "array:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\nadd %r0, %r1\nout:\nmov %r0, 2\nexit\n",
	 "unbounded min value"},
	{"stack below its bottom", RAW, "", "stdw [%r10-520], 0\nmov %r0, 0\nexit\n", "outside the 512-byte stack"},
	{"stack above r10", RAW, "", "stdw [%r10+0], 0\nmov %r0, 0\nexit\n", "outside the 512-byte stack"},
	{"stack read of unwritten bytes", RAW, "", "stw [%r10-8], 0\nldxdw %r0, [%r10-8]\nexit\n", "was never written"},
	{"misaligned stack access", RAW, "", "stdw [%r10-8], 0\nldxw %r0, [%r10-6]\nexit\n", "misaligned stack access"},
	{"partial spill of a pointer", XDP, "", "stxw [%r10-8], %r1\nmov %r0, 2\nexit\n", "can only be spilled"},
	{"partial fill of a pointer", XDP, "", "stxdw [%r10-8], %r1\nldxw %r0, [%r10-8]\nexit\n", "must be read back whole"},
	{"xdp ctx past the struct", XDP, "", "ldxw %r0, [%r1+24]\nexit\n", "outside the context"},
	{"xdp egress_ifindex", XDP, "", "ldxw %r0, [%r1+20]\nexit\n", "no field"},
	{"xdp ctx misaligned", XDP, "", "ldxw %r0, [%r1+2]\nexit\n", "misaligned"},
	{"xdp ctx 8-byte read", XDP, "", "ldxdw %r0, [%r1+0]\nexit\n", "runs past the field"},
	{"xdp ctx write", XDP, "", "stw [%r1+12], 0\nmov %r0, 2\nexit\n", "read-only"},
	{"modified ctx pointer", XDP, "", "add %r1, 4\nldxw %r0, [%r1+0]\nexit\n", "modified ctx pointer"},
	{"socket filter reads data", SOCK, "", "ldxw %r0, [%r1+76]\nexit\n", "no field"},
	{"socket filter writes mark", SOCK, "", "stw [%r1+8], 1\nmov %r0, 0\nexit\n", "read-only"},
	{"xdp legacy packet load", XDP, "", "mov %r6, %r1\nldabsb 12\nexit\n", "not allowed for xdp"},
	{"scalar used as a pointer", RAW, "", "mov %r1, 0\nldxw %r0, [%r1+0]\nexit\n", "is a scalar, not a pointer"},
	{"multiply a pointer", RAW, "", "mul %r1, 2\nmov %r0, 0\nexit\n", "on a pointer"},
	{"32-bit pointer arithmetic", RAW, "", "add32 %r1, 2\nmov %r0, 0\nexit\n", "32-bit pointer arithmetic"},
	{"pointer plus pointer", RAW, "", "mov %r2, %r10\nadd %r1, %r2\nmov %r0, 0\nexit\n", "pointer += pointer"},
	{"packet end arithmetic", XDP, "", PKT "add %r3, 1\nmov %r0, 2\nexit\n", "not allowed"},
	{"scalar minus pointer", RAW, "", "mov %r2, 5\nsub %r2, %r1\nmov %r0, 0\nexit\n", "subtracting a pointer"},
	{"raw memory past its end", RAW, "", "add %r1, 65529\nldxdw %r0, [%r1+0]\nexit\n", "of a 65536-byte memory"},
	{"helper wants a map", XDP, "", "mov %r1, 0\nmov %r2, %r10\ncall 1\nmov %r0, 2\nexit\n", "must be a map"},
	{"helper key not written", XDP, "array:4:16:1",
	 "lddw_map_fd %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 2\nexit\n", "was never written"},
	{"helper value too small", XDP, "hash:4:8:16",
	 "stw [%r10-4], 1\nstw [%r10-8], 0\nlddw_map_fd %r1, 0\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -4\n"
	 "mov %r4, 0\ncall 2\nmov %r0, 2\nexit\n", "go past the top of the stack"},
	{"r1-r5 are clobbered by a call", XDP, "", "call 5\nmov %r0, %r1\nexit\n", "r1 is read after the call at insn 0"},
	{"unknown helper", XDP, "", "call 9999\nmov %r0, 0\nexit\n", "unknown helper"},
	{"helper not for this program type", SOCK, "", "mov %r2, 0\ncall 44\nmov %r0, 0\nexit\n", "not available"},
	{"ringbuf sample leaked", XDP, "ringbuf:0:0:4096",
	 "lddw_map_fd %r1, 0\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, out\nout:\nmov %r0, 2\nexit\n",
	 "neither submitted nor discarded"},
	{"ringbuf submit before null check", XDP, "ringbuf:0:0:4096",
	 "lddw_map_fd %r1, 0\nmov %r2, 16\nmov %r3, 0\ncall 131\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 2\nexit\n",
	 "may be NULL"},
	{"ringbuf sample past its size", XDP, "ringbuf:0:0:4096",
	 "lddw_map_fd %r1, 0\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, out\nstdw [%r0+16], 1\nmov %r1, %r0\n"
	 "mov %r2, 0\ncall 133\nout:\nmov %r0, 2\nexit\n", "16-byte memory"},
	{"ringbuf sample used after submit", XDP, "ringbuf:0:0:4096",
	 "lddw_map_fd %r1, 0\nmov %r2, 16\nmov %r3, 0\ncall 131\njeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r0\n"
	 "mov %r2, 0\ncall 132\nstdw [%r6+0], 1\nout:\nmov %r0, 2\nexit\n", "is a scalar, not a pointer"},
	{"callback returns 2", XDP, "",
	 "mov %r1, 10\nlddw_func %r2, cb\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 2\nexit\ncb:\nmov %r0, 2\nexit\n",
	 "must return 0 or 1"},
	{"spin lock never released", TC, "lockarray:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nmov %r1, %r0\ncall 93\nout:\nmov %r0, 0\nexit\n", "still held"},
	{"spin lock written directly", TC, "lockarray:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nstw [%r0+0], 0\nout:\nmov %r0, 0\nexit\n", "cannot be accessed directly"},
	{"helper call under a spin lock", TC, "lockarray:4:16:1",
	 LOOKUP "jeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r0\ncall 93\ncall 5\nmov %r1, %r6\ncall 94\n"
	 "out:\nmov %r0, 0\nexit\n", "while holding the lock"},
	{"metadata against data + 4 proves nothing", XDP, "",
	 "ldxw %r2, [%r1+8]\nldxw %r3, [%r1+0]\nadd %r3, 4\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, out\n"
	 "ldxdw %r0, [%r2+0]\nout:\nmov %r0, 2\nexit\n", "only 0 bytes"},
	{"callback writes the map key", XDP, "hash:4:8:16",
	 "lddw_map_fd %r1, 0\nlddw_func %r2, cb\nmov %r3, 0\nmov %r4, 0\ncall 164\nmov %r0, 2\nexit\n"
	 "cb:\nstw [%r2+0], 1\nmov %r0, 0\nexit\n", "read-only"},
	{"callback loops back to its entry forever", XDP, "",
	 "mov %r1, 10\nlddw_func %r2, cb\nmov %r3, 0\nmov %r4, 0\ncall 181\nmov %r0, 2\nexit\n"
	 "cb:\njeq %r1, 0, cb\nmov %r0, 0\nexit\n", "infinite loop"},
	{"syscall program writes its context", BPF_PROG_TYPE_SYSCALL, "", "stdw [%r1+8], 0\nmov %r0, 0\nexit\n",
	 "read-only"},
	{"kprobe writes pt_regs", KPROBE, "", "stdw [%r1+80], 0\nmov %r0, 0\nexit\n", "read-only"},
	{"kprobe reads past pt_regs", KPROBE, "", "ldxdw %r0, [%r1+168]\nexit\n", "outside the context"},
	{"kprobe misaligned read", KPROBE, "", "ldxdw %r0, [%r1+4]\nexit\n", "misaligned"},
	{"tracepoint reads the common fields", TP, "", "ldxdw %r0, [%r1+0]\nexit\n", "no field"},
	{"tracepoint reads past the largest record", TP, "", "ldxw %r0, [%r1+8192]\nexit\n", "outside"},
	{"raw tracepoint reads past the 12 arguments", RAWTP, "", "ldxdw %r0, [%r1+96]\nexit\n", "outside"},
	{"perf_event reads a register narrowly", PERF, "", "ldxw %r0, [%r1+0]\nexit\n", "wrong size"},
	{"kprobe override_return is not for tracepoints", TP, "",
	 "mov %r2, 0\ncall 58\nmov %r0, 0\nexit\n", "not available"},
	{"get_stackid needs a stack trace map", KPROBE, "hash:4:8:16",
	 "lddw_map_fd %r2, 0\nmov %r3, 0\ncall 27\nmov %r0, 0\nexit\n", "cannot be used with map"},
	{"xdp cannot get a stack", XDP, "",
	 "mov %r2, %r10\nadd %r2, -64\nmov %r3, 48\nmov %r4, 0\ncall 67\nmov %r0, 2\nexit\n", "not available"},
	{"stack array index may reach unwritten bytes", XDP, "",
	 "stdw [%r10-8], 0\nldxw %r2, [%r1+12]\nand %r2, 15\nmov %r3, %r10\nadd %r3, -16\n"
	 "add %r3, %r2\nldxb %r0, [%r3+0]\nmov %r0, 2\nexit\n", "never written"},
	{"stack array index may leave the stack", XDP, "",
	 "stdw [%r10-8], 0\nldxw %r2, [%r1+12]\nand %r2, 15\nmov %r3, %r10\nadd %r3, -8\n"
	 "add %r3, %r2\nstb [%r3+0], 1\nmov %r0, 2\nexit\n", "may leave the"},
	{"division by zero", RAW, "", "mov %r0, 1\ndiv %r0, 0\nexit\n", "division by zero"},
	{"shift by the width", RAW, "", "mov %r0, 1\nlsh %r0, 64\nexit\n", "invalid shift"},
	{"map index out of range", XDP, "", "lddw_map_fd %r1, 3\nmov %r0, 2\nexit\n", "refers to map 3"},
	{"jump forever", RAW, "", "mov %r0, 0\nloop:\nja loop\nexit\n", "infinite loop"},
	{"same state again", RAW, "", "mov %r1, 0\nl:\njeq %r1, 0, l\nmov %r0, 0\nexit\n", "infinite loop"},
	{"unbounded loop", RAW, "", "ldxdw %r1, [%r1+0]\nl:\nsub %r1, 1\njne %r1, 0, l\nmov %r0, 0\nexit\n", "too complex"},
	{"unreachable code", RAW, "", "mov %r0, 0\nja +1\nmov %r0, 1\nexit\n", "unreachable"},
	{"recursion", RAW, "", "call local f\nexit\nf:\ncall local f\nmov %r0, 0\nexit\n", "call stack too deep"},
	{"return of a stack pointer", RAW, "", "call local f\nmov %r0, 0\nexit\nf:\nmov %r0, %r10\nexit\n", "its own stack"},
	{"cmpxchg on the context", XDP, "", "mov %r0, 0\nmov %r2, 0\nlock cmpxchg [%r1+0], %r2\nexit\n", "atomic operations on a ctx"},
};
/* clang-format on */

#define NR_VCASES (sizeof(vcases) / sizeof(vcases[0]))

#endif
