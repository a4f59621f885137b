/* Internet checksum arithmetic and the checksum helpers.
 *
 * The sums are the kernel's (include/net/checksum.h): 32-bit partial sums
 * with end-around carry, folded to 16 bits and complemented.  Values are in
 * memory order, as a program loads them from the packet; one's complement
 * addition does not care about byte order as long as every term agrees.
 * The helpers' checks and error codes are those of net/core/filter.c; a
 * test run's skb is CHECKSUM_NONE, so bpf_l4_csum_replace updates the field
 * whether or not BPF_F_PSEUDO_HDR is set.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "helpers/helpers.h"
#include "hooks/hook_helpers.h"
#include "hooks/hooks.h"

uint32_t hook_csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < b);
}

static uint32_t csum_sub(uint32_t a, uint32_t b)
{
	return hook_csum_add(a, ~b);
}

uint16_t hook_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t csum16_add(uint16_t csum, uint16_t addend)
{
	uint16_t r = (uint16_t)(csum + addend);

	return (uint16_t)(r + (r < addend));
}

void hook_csum_replace2(uint16_t *sum, uint16_t from, uint16_t to)
{
	*sum = (uint16_t)~csum16_add(csum16_add((uint16_t)~*sum, (uint16_t)~from), to);
}

void hook_csum_replace4(uint16_t *sum, uint32_t from, uint32_t to)
{
	uint32_t tmp = csum_sub(~(uint32_t)*sum, from);

	*sum = hook_csum_fold(hook_csum_add(tmp, to));
}

void hook_csum_replace_by_diff(uint16_t *sum, uint32_t diff)
{
	*sum = hook_csum_fold(hook_csum_add(diff, ~(uint32_t)*sum));
}

/* The 16-bit checksum field at offset `off` of the skb, or NULL with *err. */
static uint8_t *csum_field(struct hook_skb *s, uint64_t off, int *err)
{
	if (off > 0xffff || (off & 1)) {
		*err = -EFAULT;
		return NULL;
	}
	if (off + 2 > s->len) { /* bpf_try_make_writable: past the packet */
		*err = -EFAULT;
		return NULL;
	}
	return s->data + off;
}

HELPER_FN(l3_csum_replace)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_l3_csum_replace");
	uint8_t *p;
	uint16_t sum;
	int err = 0;

	if (!s)
		return 0;
	if (r5 & ~(uint64_t)BPF_F_HDR_FIELD_MASK)
		return (uint64_t)-EINVAL;
	if (!(p = csum_field(s, r2, &err)))
		return (uint64_t)(int64_t)err;
	memcpy(&sum, p, 2);
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)-EINVAL;
		hook_csum_replace_by_diff(&sum, (uint32_t)r4);
		break;
	case 2:
		hook_csum_replace2(&sum, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		hook_csum_replace4(&sum, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	memcpy(p, &sum, 2);
	return 0;
}

HELPER_FN(l4_csum_replace)
{
	struct hook_skb *s = hook_skb_of(r1, cx, "bpf_l4_csum_replace");
	uint64_t ok = BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_IPV6 |
		      BPF_F_HDR_FIELD_MASK;
	int mmzero = !!(r5 & BPF_F_MARK_MANGLED_0), mforce = !!(r5 & BPF_F_MARK_ENFORCE);
	uint8_t *p;
	uint16_t sum;
	int err = 0;

	if (!s)
		return 0;
	if (r5 & ~ok)
		return (uint64_t)-EINVAL;
	if (!(p = csum_field(s, r2, &err)))
		return (uint64_t)(int64_t)err;
	memcpy(&sum, p, 2);
	if (mmzero && !mforce && !sum) /* a UDP checksum of 0 means "none": keep it */
		return 0;
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)-EINVAL;
		hook_csum_replace_by_diff(&sum, (uint32_t)r4);
		break;
	case 2: /* inet_proto_csum_replace2 widens to the 4-byte form */
		hook_csum_replace4(&sum, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		hook_csum_replace4(&sum, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	if (mmzero && !sum)
		sum = 0xffff; /* CSUM_MANGLED_0 */
	memcpy(p, &sum, 2);
	return 0;
}

/* The kernel's csum_partial: little-endian 32-bit words with end-around
 * carry, a last partial word padded with zeros. */
static uint32_t csum_partial(const uint8_t *p, uint32_t len, uint32_t seed)
{
	uint64_t s = seed;
	uint32_t w = 0, i;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, 4);
		s += w;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, p + i, len - i);
		s += w;
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

static uint32_t csum_from32to16(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* bpf_csum_diff as Linux 6.12 on computes it (seen by running the kernel):
 * the result folded to 16 bits so that every architecture agrees, sizes of
 * any alignment, and a "pull" (no `to`) complemented. */
HELPER_FN(csum_diff)
{
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5;
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1, *to = (const uint8_t *)(uintptr_t)r3;

	if (!helper_mem(cx, r1, from_size, 0, "bpf_csum_diff", "r1 (from)") ||
	    !helper_mem(cx, r3, to_size, 0, "bpf_csum_diff", "r3 (to)"))
		return 0;
	if (from_size && to_size)
		return csum_from32to16(csum_sub(csum_partial(to, to_size, seed),
						csum_partial(from, from_size, 0)));
	if (to_size)
		return csum_from32to16(csum_partial(to, to_size, seed));
	if (from_size)
		return csum_from32to16(~csum_partial(from, from_size, ~seed));
	return csum_from32to16(seed);
}
