/* F/D conversions (to and from integers, between formats) and the non-arithmetic operations
 * (FMIN/FMAX, compares, FCLASS), all on integers so every flag follows the RISC-V rules. */
#include "accel/emu/fpu_internal.h"

struct int_range {
	uint64_t max_pos;	   /* largest magnitude of a positive result */
	uint64_t max_neg;	   /* largest magnitude of a negative result */
	uint64_t sat_pos, sat_neg; /* clipped values for the x register */
};

static const struct int_range int_ranges[4] = {
    [FPU_W] = {0x7fffffffull, 0x80000000ull, 0x7fffffffull, 0xffffffff80000000ull},
    [FPU_WU] = {0xffffffffull, 0, 0xffffffffffffffffull, 0},
    [FPU_L] = {0x7fffffffffffffffull, 0x8000000000000000ull, 0x7fffffffffffffffull,
	       0x8000000000000000ull},
    [FPU_LU] = {0xffffffffffffffffull, 0, 0xffffffffffffffffull, 0},
};

uint64_t fpu_to_int(enum fpu_fmt fmt, uint64_t v, enum fpu_ikind kind, unsigned rm, uint32_t *fl)
{
	const struct int_range *r = &int_ranges[kind];
	struct fpu_num n;
	enum fpu_class c = fpu_unpack(fmt, v, &n);

	if (c >= FC_QNAN) {
		*fl |= FFLAG_NV;
		return r->sat_pos;
	}
	if (c == FC_INF) {
		*fl |= FFLAG_NV;
		return n.sign ? r->sat_neg : r->sat_pos;
	}
	if (c == FC_ZERO)
		return 0;

	int e = n.exp + 63; /* exponent of the leading bit */
	if (e > 63) {
		*fl |= FFLAG_NV;
		return n.sign ? r->sat_neg : r->sat_pos;
	}
	/* Integer part q and the fraction rem as a 64-bit fixed point (bit 63 = one half). */
	unsigned s = (unsigned)(63 - e);
	uint64_t q, rem;
	if (s == 0) {
		q = n.sig;
		rem = 0;
	} else if (s < 64) {
		q = n.sig >> s;
		rem = n.sig << (64 - s);
	} else if (s == 64) {
		q = 0;
		rem = n.sig;
	} else {
		q = 0;
		rem = 1; /* below one half, not zero */
	}
	bool up = false;
	switch (rm) {
	case RM_RNE:
		up = rem > (1ull << 63) || (rem == (1ull << 63) && (q & 1));
		break;
	case RM_RDN:
		up = rem && n.sign;
		break;
	case RM_RUP:
		up = rem && !n.sign;
		break;
	case RM_RMM:
		up = rem >= (1ull << 63);
		break;
	}
	q += up; /* s >= 1 whenever rem != 0, so q < 2^63 before the increment */
	if (q > (n.sign ? r->max_neg : r->max_pos)) {
		*fl |= FFLAG_NV;
		return n.sign ? r->sat_neg : r->sat_pos;
	}
	if (rem)
		*fl |= FFLAG_NX;
	uint64_t x = n.sign ? -q : q;
	if (kind == FPU_W || kind == FPU_WU)
		x = (uint64_t)(int64_t)(int32_t)(uint32_t)x;
	return x;
}

uint64_t fpu_from_int(enum fpu_fmt fmt, uint64_t x, enum fpu_ikind kind, unsigned rm, uint32_t *fl)
{
	bool sign = false;
	uint64_t mag;

	switch (kind) {
	case FPU_W:
		sign = (int32_t)x < 0;
		mag = sign ? -(uint64_t)(int64_t)(int32_t)x : (uint32_t)x;
		break;
	case FPU_WU:
		mag = (uint32_t)x;
		break;
	case FPU_L:
		sign = (int64_t)x < 0;
		mag = sign ? -x : x;
		break;
	default:
		mag = x;
		break;
	}
	if (!mag)
		return 0;
	return fpu_round_pack(fmt, sign, 0, mag, rm, fl);
}

uint64_t fpu_convert(enum fpu_fmt to, enum fpu_fmt from, uint64_t v, unsigned rm, uint32_t *fl)
{
	struct fpu_num n;
	enum fpu_class c = fpu_unpack(from, v, &n);
	uint64_t signbit = n.sign ? fpu_signbit(to) : 0;

	switch (c) {
	case FC_SNAN:
		*fl |= FFLAG_NV;
		return fpu_canon(to);
	case FC_QNAN:
		return fpu_canon(to);
	case FC_INF:
		return signbit | (to == FPU_S ? 0x7f800000u : 0x7ff0000000000000ull);
	case FC_ZERO:
		return signbit;
	default:
		return fpu_round_pack(to, n.sign, n.exp, n.sig, rm, fl);
	}
}

/* Orders non-NaN values; total says whether -0 sorts below +0 (FMIN/FMAX) or equals it. */
static int64_t order_key(enum fpu_fmt fmt, uint64_t v, bool total)
{
	uint64_t sb = fpu_signbit(fmt);
	int64_t mag = (int64_t)(v & (sb - 1));
	if (!(v & sb))
		return mag;
	return total ? -mag - 1 : -mag;
}

uint64_t fpu_minmax(enum fpu_fmt fmt, uint64_t a, uint64_t b, bool max, uint32_t *fl)
{
	bool an = fpu_is_nan(fmt, a), bn = fpu_is_nan(fmt, b);

	if (fpu_is_snan(fmt, a) || fpu_is_snan(fmt, b))
		*fl |= FFLAG_NV;
	if (an && bn)
		return fpu_canon(fmt);
	if (an)
		return b;
	if (bn)
		return a;
	bool a_lt_b = order_key(fmt, a, true) < order_key(fmt, b, true);
	return max == a_lt_b ? b : a;
}

bool fpu_compare(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned op, uint32_t *fl)
{
	if (fpu_is_nan(fmt, a) || fpu_is_nan(fmt, b)) {
		/* FEQ is a quiet compare (NV for sNaN only); FLT and FLE signal on any NaN. */
		if (op != 2 || fpu_is_snan(fmt, a) || fpu_is_snan(fmt, b))
			*fl |= FFLAG_NV;
		return false;
	}
	int64_t ka = order_key(fmt, a, false), kb = order_key(fmt, b, false);
	switch (op) {
	case 0:
		return ka <= kb;
	case 1:
		return ka < kb;
	default:
		return ka == kb;
	}
}

uint64_t fpu_classify(enum fpu_fmt fmt, uint64_t v)
{
	struct fpu_num n;
	enum fpu_class c = fpu_unpack(fmt, v, &n);
	unsigned mbits = fmt == FPU_S ? 23 : 52;
	uint64_t emask = fmt == FPU_S ? 0xff : 0x7ff;
	bool sub = ((v >> mbits) & emask) == 0;

	switch (c) {
	case FC_SNAN:
		return 1u << 8;
	case FC_QNAN:
		return 1u << 9;
	case FC_INF:
		return n.sign ? 1u << 0 : 1u << 7;
	case FC_ZERO:
		return n.sign ? 1u << 3 : 1u << 4;
	default:
		if (n.sign)
			return sub ? 1u << 2 : 1u << 1;
		return sub ? 1u << 5 : 1u << 6;
	}
}
