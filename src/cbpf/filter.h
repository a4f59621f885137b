/* The filter object behind skep_cbpf_filter_*, shared by the one-packet
 * runner (filter.c) and the batch runner (batch.c). */
#ifndef SKEP_CBPF_FILTER_H
#define SKEP_CBPF_FILTER_H

#include "skep/cbpf.h"

struct skep_cbpf_filter {
	struct skep_prog *prog;
	enum skep_cbpf_mode mode;
	enum skep_exec_mode exec;
	int needs_ctx; /* the program reads its context: fill it per packet */
};

#endif
