/* The gcc -O2 column of skep-bench-cbpf: each filter of exprs.h translated
 * by gen_native into a C function, one statement per classic BPF
 * instruction, with libpcap's semantics (pcap_offline_filter passes the
 * packet's wire length and its captured length).  The generated file,
 * $(BUILD)/bench/cbpf_native.c, defines bench_cbpf_native[], in the order
 * of bench_cbpf_exprs[]. */
#ifndef SKEP_BENCH_CBPF_NATIVE_H
#define SKEP_BENCH_CBPF_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

/* What RET returned, as pcap_offline_filter returns it. */
typedef uint32_t (*bench_native_fn)(const uint8_t *pkt, uint32_t caplen, uint32_t wirelen);

struct bench_native {
	const char *expr;
	bench_native_fn fn;
	/* The program it was generated from, so the bench can check that its
	 * own pcap_compile gave the same one: bench_native_hash() of it. */
	uint32_t nr_insns;
	uint32_t hash;
};

extern const struct bench_native bench_cbpf_native[];
extern const size_t bench_cbpf_nr_native;

/* FNV-1a over each instruction's code, jt, jf and k (not its bytes, so
 * padding and byte order cannot differ). */
static inline uint32_t bench_native_hash(const struct bpf_insn *in, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		uint32_t f[4] = {in[i].code, in[i].jt, in[i].jf, in[i].k};
		for (int j = 0; j < 4; j++)
			for (int b = 0; b < 32; b += 8)
				h = (h ^ ((f[j] >> b) & 0xff)) * 16777619u;
	}
	return h;
}

#endif
