/* Converted programs as text, for `skep filter --ebpf`.  Apart from
 * cbpf/cbpf.h so that files which include <pcap.h> can use it: it needs
 * nothing of <linux/bpf.h>. */
#ifndef SKEP_CBPF_PRINT_H
#define SKEP_CBPF_PRINT_H

#include <stddef.h>

#include "skep/skep.h"

/* Slot idx of insns[0..len) in the kernel's syntax into buf; returns the
 * slots it covers (1, or 2 for lddw). */
int cbpf_ebpf_line(const struct skep_insn *insns, size_t len, size_t idx, char *buf, size_t size);

#endif
