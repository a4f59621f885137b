/* Tristate numbers (see tnum.h): each operation returns the tightest tnum
 * that holds every result of applying it to values of its inputs. */
#include <stdio.h>

#include "verifier/tnum.h"

struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	unsigned bits = chi ? 64 - (unsigned)__builtin_clzll(chi) : 0;

	if (min > max || bits > 63)
		return tnum_unknown();
	uint64_t delta = (1ull << bits) - 1;
	return (struct tnum){min & ~delta, delta};
}

/* Carries out of unknown bits make every bit above them unknown. */
struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sv = a.value + b.value;
	uint64_t sigma = (a.mask + b.mask) + sv;
	uint64_t mu = (sigma ^ sv) | a.mask | b.mask;

	return (struct tnum){sv & ~mu, mu};
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t mu = ((dv + a.mask) ^ (dv - b.mask)) | a.mask | b.mask;

	return (struct tnum){dv & ~mu, mu};
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t v = a.value & b.value;

	return (struct tnum){v, (a.value | a.mask) & (b.value | b.mask) & ~v};
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;

	return (struct tnum){v, (a.mask | b.mask) & ~v};
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t mu = a.mask | b.mask;

	return (struct tnum){(a.value ^ b.value) & ~mu, mu};
}

/* Long multiplication: each bit of a adds b (known bit) or "b or 0"
 * (unknown bit) shifted into place; the known products add exactly. */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	uint64_t known = a.value * b.value;
	struct tnum acc = tnum_const(0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc = tnum_add(acc, (struct tnum){0, b.mask});
		else if (a.mask & 1)
			acc = tnum_add(acc, (struct tnum){0, b.value | b.mask});
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(tnum_const(known), acc);
}

struct tnum tnum_lshift(struct tnum a, unsigned s)
{
	return (struct tnum){a.value << s, a.mask << s};
}

struct tnum tnum_rshift(struct tnum a, unsigned s)
{
	return (struct tnum){a.value >> s, a.mask >> s};
}

struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned width)
{
	if (width == 32)
		return (struct tnum){(uint32_t)((int32_t)a.value >> s),
				     (uint32_t)((int32_t)a.mask >> s)};
	return (struct tnum){(uint64_t)((int64_t)a.value >> s), (uint64_t)((int64_t)a.mask >> s)};
}

struct tnum tnum_intersect(struct tnum a, struct tnum b, int *conflict)
{
	uint64_t mu = a.mask & b.mask;

	if (conflict && ((a.value ^ b.value) & ~a.mask & ~b.mask))
		*conflict = 1;
	return (struct tnum){(a.value | b.value) & ~mu, mu};
}

int tnum_contains(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return 0;
	return (b.value & ~a.mask) == a.value;
}

struct tnum tnum_subreg(struct tnum a)
{
	return (struct tnum){a.value & 0xffffffffull, a.mask & 0xffffffffull};
}

struct tnum tnum_with_subreg(struct tnum a, struct tnum low)
{
	uint64_t hi = ~0xffffffffull;

	return (struct tnum){(a.value & hi) | (low.value & ~hi), (a.mask & hi) | (low.mask & ~hi)};
}

struct tnum tnum_sext(struct tnum a, unsigned bits)
{
	unsigned sh = 64 - bits;

	return (struct tnum){(uint64_t)((int64_t)(a.value << sh) >> sh),
			     (uint64_t)((int64_t)(a.mask << sh) >> sh)};
}

void tnum_print(struct tnum a, char *buf, unsigned long size)
{
	if (tnum_is_const(a))
		snprintf(buf, size, "%#llx", (unsigned long long)a.value);
	else
		snprintf(buf, size, "(%#llx; %#llx)", (unsigned long long)a.value,
			 (unsigned long long)a.mask);
}
