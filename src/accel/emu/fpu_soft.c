/* Exact IEEE 754 binary32/binary64 arithmetic on integers: unpacking, the one rounding routine
 * every result goes through, and fused multiply-add, division and square root computed exactly
 * (with a sticky bit) before that single rounding. Used for RMM, which no host FPU offers, and as
 * the independent reference the tests compare the host path against. */
#include "accel/emu/fpu_internal.h"

typedef unsigned __int128 u128;

struct fmt_param {
	unsigned prec;	/* significand bits, hidden bit included */
	unsigned ebits; /* exponent field width */
	int bias;
};

static const struct fmt_param fmt_params[2] = {
    [FPU_S] = {24, 8, 127},
    [FPU_D] = {53, 11, 1023},
};

enum fpu_class fpu_unpack(enum fpu_fmt fmt, uint64_t v, struct fpu_num *n)
{
	const struct fmt_param *p = &fmt_params[fmt];
	unsigned mbits = p->prec - 1;
	uint64_t mant = v & ((1ull << mbits) - 1);
	unsigned e = (v >> mbits) & ((1u << p->ebits) - 1);

	n->sign = (v >> (fpu_width(fmt) - 1)) & 1;
	if (e == (1u << p->ebits) - 1) {
		if (!mant)
			return FC_INF;
		return (mant >> (mbits - 1)) & 1 ? FC_QNAN : FC_SNAN;
	}
	if (e == 0) {
		if (!mant)
			return FC_ZERO;
		e = 1; /* subnormal: same scale as the smallest normal, no hidden bit */
	} else {
		mant |= 1ull << mbits;
	}
	unsigned sh = __builtin_clzll(mant);
	n->sig = mant << sh;
	n->exp = (int)e - p->bias - (int)mbits - (int)sh;
	return FC_FINITE;
}

/* Shifts right, ORing every bit shifted out into bit 0. */
static uint64_t shr_jam64(uint64_t x, unsigned n)
{
	if (n == 0)
		return x;
	if (n >= 64)
		return x != 0;
	return (x >> n) | ((x << (64 - n)) != 0);
}

static u128 shr_jam128(u128 x, unsigned n)
{
	if (n == 0)
		return x;
	if (n >= 128)
		return x != 0;
	return (x >> n) | ((x << (128 - n)) != 0);
}

/* Whether q (with the discarded bits rem, half being the weight of half an ulp) is rounded up
 * in magnitude. */
static bool round_up(uint64_t q, uint64_t rem, uint64_t half, unsigned rm, bool sign)
{
	switch (rm) {
	case RM_RNE:
		return rem > half || (rem == half && (q & 1));
	case RM_RDN:
		return rem && sign;
	case RM_RUP:
		return rem && !sign;
	case RM_RMM:
		return rem >= half;
	default: /* RTZ */
		return false;
	}
}

static uint64_t pack_overflow(const struct fmt_param *p, bool sign, unsigned rm)
{
	uint64_t inf = ((1ull << p->ebits) - 1) << (p->prec - 1);
	uint64_t max = inf - 1;
	bool to_inf =
	    rm == RM_RNE || rm == RM_RMM || (rm == RM_RDN && sign) || (rm == RM_RUP && !sign);
	return to_inf ? inf : max;
}

uint64_t fpu_round_pack(enum fpu_fmt fmt, bool sign, int exp, uint64_t sig, unsigned rm,
			uint32_t *fl)
{
	const struct fmt_param *p = &fmt_params[fmt];
	uint64_t signbit = (uint64_t)sign << (fpu_width(fmt) - 1);
	unsigned sh = __builtin_clzll(sig);
	sig <<= sh;
	int e = exp - (int)sh + 63; /* exponent of the leading bit */
	int emin = 1 - p->bias;
	unsigned drop = 64 - p->prec;
	uint64_t mask = (1ull << drop) - 1, half = 1ull << (drop - 1);
	bool tiny = false;

	if (e < emin) {
		/* Tininess after rounding: tiny unless rounding to full precision with an
		 * unbounded exponent carries the value up to 2^emin. */
		uint64_t q = sig >> drop;
		q += round_up(q, sig & mask, half, rm, sign);
		tiny = e + 1 < emin || !(q >> p->prec);
		sig = shr_jam64(sig, (unsigned)(emin - e));
		e = emin;
	}
	uint64_t q = sig >> drop, rem = sig & mask;
	if (rem) {
		*fl |= FFLAG_NX;
		if (tiny)
			*fl |= FFLAG_UF;
	}
	q += round_up(q, rem, half, rm, sign);
	if (q >> p->prec) {
		q >>= 1; /* carried to the next binade; the bit shifted out is 0 */
		e++;
	}
	if (e > p->bias) {
		*fl |= FFLAG_OF | FFLAG_NX;
		return signbit | pack_overflow(p, sign, rm);
	}
	/* With e == emin and no hidden bit this yields a subnormal (biased exponent 0); a
	 * subnormal that rounded up to 2^emin gets biased exponent 1 through the addition. */
	return signbit | (((uint64_t)(e + p->bias - 1) << (p->prec - 1)) + q);
}

static uint64_t zero_of(enum fpu_fmt fmt, bool sign)
{
	return sign ? fpu_signbit(fmt) : 0;
}

static uint64_t inf_of(enum fpu_fmt fmt, bool sign)
{
	const struct fmt_param *p = &fmt_params[fmt];
	return zero_of(fmt, sign) | (((1ull << p->ebits) - 1) << (p->prec - 1));
}

/* Rounds a 128-bit magnitude times 2^exp. */
static uint64_t round_pack128(enum fpu_fmt fmt, bool sign, int exp, u128 x, unsigned rm,
			      uint32_t *fl)
{
	uint64_t hi = (uint64_t)(x >> 64);
	if (!hi)
		return fpu_round_pack(fmt, sign, exp, (uint64_t)x, rm, fl);
	unsigned n = 64 - __builtin_clzll(hi); /* bits above 64 */
	return fpu_round_pack(fmt, sign, exp + (int)n, (uint64_t)shr_jam128(x, n), rm, fl);
}

/* a * b + c, rounded once. has_c false means a plain product (whose zero keeps its sign). */
static uint64_t soft_muladd(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c, bool has_c,
			    unsigned rm, uint32_t *fl)
{
	struct fpu_num na, nb, nc = {0};
	enum fpu_class ca = fpu_unpack(fmt, a, &na), cb = fpu_unpack(fmt, b, &nb);
	enum fpu_class cc = has_c ? fpu_unpack(fmt, c, &nc) : FC_ZERO;
	bool sp = na.sign ^ nb.sign;
	bool inf_zero = (ca == FC_INF && cb == FC_ZERO) || (ca == FC_ZERO && cb == FC_INF);

	if (ca == FC_SNAN || cb == FC_SNAN || cc == FC_SNAN || inf_zero)
		*fl |= FFLAG_NV;
	if (ca >= FC_QNAN || cb >= FC_QNAN || cc >= FC_QNAN || inf_zero)
		return fpu_canon(fmt);
	if (ca == FC_INF || cb == FC_INF) {
		if (cc == FC_INF && nc.sign != sp) {
			*fl |= FFLAG_NV;
			return fpu_canon(fmt);
		}
		return inf_of(fmt, sp);
	}
	if (cc == FC_INF)
		return inf_of(fmt, nc.sign);
	if (ca == FC_ZERO || cb == FC_ZERO) {
		if (!has_c)
			return zero_of(fmt, sp);
		if (cc != FC_ZERO)
			return c; /* exact: c + 0 */
		return zero_of(fmt, sp == nc.sign ? sp : rm == RM_RDN);
	}

	/* Product: the significands have at most 53 significant bits each, so the 128-bit product
	 * has at least 22 trailing zeros and the shift by 2 (headroom for the sum) is exact. */
	u128 prod = ((u128)na.sig * nb.sig) >> 2;
	int ep = na.exp + nb.exp + 2;
	if (cc == FC_ZERO)
		return round_pack128(fmt, sp, ep, prod, rm, fl);

	u128 addend = (u128)nc.sig << 62; /* leading bit at 125, like the product's (124/125) */
	int ec = nc.exp - 62;
	int e;
	if (ep >= ec) {
		addend = shr_jam128(addend, (unsigned)(ep - ec > 200 ? 200 : ep - ec));
		e = ep;
	} else {
		prod = shr_jam128(prod, (unsigned)(ec - ep > 200 ? 200 : ec - ep));
		e = ec;
	}
	if (sp == nc.sign)
		return round_pack128(fmt, sp, e, prod + addend, rm, fl);
	if (prod == addend)
		return zero_of(fmt, rm == RM_RDN);
	if (prod > addend)
		return round_pack128(fmt, sp, e, prod - addend, rm, fl);
	return round_pack128(fmt, nc.sign, e, addend - prod, rm, fl);
}

static uint64_t soft_div(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm, uint32_t *fl)
{
	struct fpu_num na, nb;
	enum fpu_class ca = fpu_unpack(fmt, a, &na), cb = fpu_unpack(fmt, b, &nb);
	bool s = na.sign ^ nb.sign;

	if (ca == FC_SNAN || cb == FC_SNAN)
		*fl |= FFLAG_NV;
	if (ca >= FC_QNAN || cb >= FC_QNAN)
		return fpu_canon(fmt);
	if ((ca == FC_INF && cb == FC_INF) || (ca == FC_ZERO && cb == FC_ZERO)) {
		*fl |= FFLAG_NV;
		return fpu_canon(fmt);
	}
	if (ca == FC_INF)
		return inf_of(fmt, s);
	if (cb == FC_ZERO) {
		*fl |= FFLAG_DZ;
		return inf_of(fmt, s);
	}
	if (ca == FC_ZERO || cb == FC_INF)
		return zero_of(fmt, s);
	/* Both significands in [2^63, 2^64): the quotient of (a << 63) / b is in (2^62, 2^64). */
	u128 num = (u128)na.sig << 63;
	uint64_t q = (uint64_t)(num / nb.sig);
	bool rem = num % nb.sig != 0;
	return fpu_round_pack(fmt, s, na.exp - nb.exp - 63, q | rem, rm, fl);
}

/* floor(sqrt(x)) and whether it was exact, digit by digit. */
static uint64_t isqrt128(u128 x, bool *exact)
{
	u128 r = 0, bit = (u128)1 << 126;
	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	*exact = x == 0;
	return (uint64_t)r;
}

static uint64_t soft_sqrt(enum fpu_fmt fmt, uint64_t a, unsigned rm, uint32_t *fl)
{
	struct fpu_num n;
	enum fpu_class c = fpu_unpack(fmt, a, &n);

	if (c == FC_SNAN)
		*fl |= FFLAG_NV;
	if (c >= FC_QNAN)
		return fpu_canon(fmt);
	if (c == FC_ZERO)
		return a;
	if (n.sign) {
		*fl |= FFLAG_NV;
		return fpu_canon(fmt);
	}
	if (c == FC_INF)
		return a;
	/* sig * 2^exp = (sig << sh) * 2^(exp - sh) with exp - sh even; the root has 63-64 bits. */
	unsigned sh = (n.exp & 1) ? 63 : 64;
	bool exact;
	uint64_t r = isqrt128((u128)n.sig << sh, &exact);
	return fpu_round_pack(fmt, false, (n.exp - (int)sh) / 2, r | !exact, rm, fl);
}

uint64_t fpu_soft(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
		  uint32_t *fl)
{
	uint64_t one = fmt == FPU_S ? 0x3f800000u : 0x3ff0000000000000ull;

	switch (op) {
	case FOP_ADD:
		return soft_muladd(fmt, a, one, b, true, rm, fl);
	case FOP_SUB:
		return soft_muladd(fmt, a, one, b ^ fpu_signbit(fmt), true, rm, fl);
	case FOP_MUL:
		return soft_muladd(fmt, a, b, 0, false, rm, fl);
	case FOP_DIV:
		return soft_div(fmt, a, b, rm, fl);
	case FOP_SQRT:
		return soft_sqrt(fmt, a, rm, fl);
	case FOP_FMA:
		return soft_muladd(fmt, a, b, c, true, rm, fl);
	}
	return fpu_canon(fmt);
}
