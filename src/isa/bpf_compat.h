/* The kernel's instruction-set numbers, from <linux/bpf.h>.
 *
 * Debian 12 ships the 6.1 UAPI header, which predates the v4 instructions
 * (sign-extending loads and moves, gotol, may_goto, load-acquire and
 * store-release).  Where the installed header lacks a name we define it with
 * the value newer kernels give it, so the numbering stays the kernel's own.
 */
#ifndef SKEP_ISA_BPF_COMPAT_H
#define SKEP_ISA_BPF_COMPAT_H

#include <linux/bpf.h>

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0
#endif
#ifndef BPF_MAY_GOTO
#define BPF_MAY_GOTO 0
#endif
#ifndef BPF_LOAD_ACQ
#define BPF_LOAD_ACQ 0x100
#endif
#ifndef BPF_STORE_REL
#define BPF_STORE_REL 0x110
#endif
#ifndef BPF_ATOMIC
#define BPF_ATOMIC 0xc0
#endif
#ifndef BPF_XCHG
#define BPF_XCHG (0xe0 | BPF_FETCH)
#endif
#ifndef BPF_CMPXCHG
#define BPF_CMPXCHG (0xf0 | BPF_FETCH)
#endif
#ifndef BPF_PSEUDO_FUNC
#define BPF_PSEUDO_FUNC 4
#endif
#ifndef BPF_PSEUDO_KFUNC_CALL
#define BPF_PSEUDO_KFUNC_CALL 2
#endif

#endif
