/* Tristate numbers: a tnum tracks which bits of a 64-bit value are known.
 * A bit set in `mask` is unknown; elsewhere the bit is the one in `value`
 * (value & mask is always 0).  Pure value-in/value-out functions; the
 * idea is the kernel's (kernel/bpf/tnum.c), the code is skep's own. */
#ifndef SKEP_VERIFIER_TNUM_H
#define SKEP_VERIFIER_TNUM_H

#include <stdint.h>

struct tnum {
	uint64_t value;
	uint64_t mask;
};

static inline struct tnum tnum_const(uint64_t v) { return (struct tnum){v, 0}; }
static inline struct tnum tnum_unknown(void) { return (struct tnum){0, ~0ull}; }
static inline int tnum_is_const(struct tnum a) { return !a.mask; }
static inline int tnum_equal(struct tnum a, struct tnum b)
{
	return a.value == b.value && a.mask == b.mask;
}
/* The smallest and largest unsigned values a tnum allows. */
static inline uint64_t tnum_umin(struct tnum a) { return a.value; }
static inline uint64_t tnum_umax(struct tnum a) { return a.value | a.mask; }

/* Every value in [min, max] (and possibly more). */
struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, unsigned s);
struct tnum tnum_rshift(struct tnum a, unsigned s);
/* Arithmetic shift of the low `width` (32 or 64) bits. */
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned width);
/* Bits known in either; *conflict set when they disagree (no value is in both). */
struct tnum tnum_intersect(struct tnum a, struct tnum b, int *conflict);
/* Is every value of b also a value of a? */
int tnum_contains(struct tnum a, struct tnum b);
/* The low 32 bits (upper known zero); low 32 bits of a with those of b. */
struct tnum tnum_subreg(struct tnum a);
struct tnum tnum_with_subreg(struct tnum a, struct tnum low);
/* Sign-extend from bit (bits - 1). */
struct tnum tnum_sext(struct tnum a, unsigned bits);
/* "(0x0; 0xff)" style text of the unknown bits, or the constant. */
void tnum_print(struct tnum a, char *buf, unsigned long size);

#endif
