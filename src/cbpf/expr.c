/* tcpdump filter expressions, compiled by libpcap into cBPF.
 *
 * skep does not parse the filter language: pcap_compile() does, with the
 * link type and snapshot length of the capture the filter is for (libpcap's
 * programs accept a packet by returning the snapshot length).  This file
 * includes <pcap.h> and therefore not <linux/bpf.h>: both define a struct
 * bpf_insn.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "cbpf/cbpf.h"
#include "core/log.h"

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct skep_cbpf_insn),
	       "libpcap's struct bpf_insn must be laid out as struct skep_cbpf_insn");

int skep_cbpf_compile(const char *expr, int linktype, int snaplen, struct skep_cbpf_insn **out,
		      size_t *len, char *log_buf, size_t log_size)
{
	struct skep_log log = log_init(log_buf, log_size);
	struct bpf_program prog;
	pcap_t *p;
	int err = 0;

	*out = NULL;
	*len = 0;
	p = pcap_open_dead(linktype, snaplen);
	if (!p) {
		log_printf(&log, "libpcap cannot open a handle for link type %d", linktype);
		return -ENOMEM;
	}
	/* optimised, netmask 0: what tcpdump -r compiles */
	if (pcap_compile(p, &prog, expr, 1, 0) < 0) {
		log_printf(&log, "%s", pcap_geterr(p));
		pcap_close(p);
		return -EINVAL;
	}
	*out = malloc(prog.bf_len * sizeof(**out) + 1);
	if (*out) {
		memcpy(*out, prog.bf_insns, prog.bf_len * sizeof(**out));
		*len = prog.bf_len;
	} else {
		err = -ENOMEM;
	}
	pcap_freecode(&prog);
	pcap_close(p);
	return err;
}
