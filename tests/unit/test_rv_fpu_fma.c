/* Fused multiply-add on both of its paths: the host's FMA3 instruction and the exact integer
 * fallback that fpu_host() takes on hosts without it (fpu_host_fma_disable() forces it here).
 * The cases are ones where a*b+c computed as two rounded operations gives a different result:
 * the addend cancelling the rounded product, or a small addend meeting the bits the product's
 * rounding dropped. The expected values were worked out with exact rational arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "accel/emu/fpu_internal.h"

struct fma_case {
	enum fpu_fmt fmt;
	unsigned rm;
	uint64_t a, b, c, r;
	uint32_t fl;
};

static const struct fma_case cases[] = {
    {FPU_D, RM_RDN, 0xbff7f26198289fcdull, 0xc00d7082119a72d1ull, 0xc01607da1d523161ull,
     0xbcbf2ed3e2b47f46ull, 0},
    {FPU_D, RM_RDN, 0x3feeb4ed895e8b6bull, 0xc01b34e87e9ee51dull, 0x3f4d24620995ba55ull,
     0xc01a1a846411b701ull, FFLAG_NX},
    {FPU_D, RM_RMM, 0x4005bd86fc891b4aull, 0xc003b128f52ddf5dull, 0x401ac1c898226c03ull,
     0xbc7e3332a597f880ull, 0},
    {FPU_D, RM_RMM, 0x3ff773c2d72f537cull, 0x400fffcb6b379413ull, 0x3f60ef10cb30824aull,
     0x401775ba3021d422ull, FFLAG_NX},
    {FPU_D, RM_RNE, 0xbfd63771e8e72789ull, 0xbfee39637a605a91ull, 0xbfd4fbd29dbe40d8ull,
     0x3c717bce98671d32ull, 0},
    {FPU_D, RM_RNE, 0x400042fb9a9496bfull, 0xbfdcff8de0d1ea6cull, 0xbc883708b87bfa8aull,
     0xbfed78f40b3c05dbull, FFLAG_NX},
    {FPU_D, RM_RTZ, 0x3fdd23f0128b2f33ull, 0xbfd953195d9dc9f8ull, 0x3fc70fbfde808652ull,
     0xbc64c73b705788d0ull, 0},
    {FPU_D, RM_RTZ, 0x3ffb12e1d2a0169dull, 0xbfe3c73d9b750362ull, 0xbd5ed78c152f468eull,
     0xbff0bbc7a0e9d7ebull, FFLAG_NX},
    {FPU_D, RM_RUP, 0xbfe58d504540f426ull, 0xbfd401d6fe977c56ull, 0xbfcaf31ec4968aefull,
     0x3c6f8f51c1f9b310ull, 0},
    {FPU_D, RM_RUP, 0xbfdbb2d40f88080bull, 0xbff93f44a5aa3c81ull, 0x39437a40f88d684dull,
     0x3fe5da792908eaf0ull, FFLAG_NX},
    {FPU_S, RM_RDN, 0xbfbd437bull, 0xbf42173full, 0xbf8f7e53ull, 0xb2995eecull, 0},
    {FPU_S, RM_RDN, 0x3f98c95bull, 0xc0fa6f16ull, 0xb250f69aull, 0xc11576f0ull, FFLAG_NX},
    {FPU_S, RM_RMM, 0xbec9de82ull, 0xc00658f1ull, 0xbf53e135ull, 0x32194310ull, 0},
    {FPU_S, RM_RMM, 0x3ea9844full, 0x3f409c74ull, 0xbce61086ull, 0x3e625399ull, FFLAG_NX},
    {FPU_S, RM_RNE, 0x3ec36701ull, 0xbf378711ull, 0x3e8c15baull, 0xaf978440ull, 0},
    {FPU_S, RM_RNE, 0x40c684a4ull, 0xbf1235caull, 0x39bc527dull, 0xc062bcd5ull, FFLAG_NX},
    {FPU_S, RM_RTZ, 0x40af43b3ull, 0xc0a8c844ull, 0x41e71b11ull, 0xb5d3a718ull, 0},
    {FPU_S, RM_RTZ, 0xbf0a7a39ull, 0xbfc339a3ull, 0x343d97a8ull, 0x3f533490ull, FFLAG_NX},
    {FPU_S, RM_RUP, 0xc0b23978ull, 0x40327286ull, 0x41787761ull, 0x34b9ecc0ull, 0},
    {FPU_S, RM_RUP, 0xc0b6bb58ull, 0xbfbb98d7ull, 0x31c1ac26ull, 0x4105e7f2ull, FFLAG_NX},
    /* (1 + 2^-12)^2 - (1 + 2^-11) = 2^-24 exactly; the rounded product cancels to 0. */
    {FPU_S, RM_RNE, 0x3f800800ull, 0x3f800800ull, 0xbf801000ull, 0x33800000ull, 0},
    /* (1 + 2^-30)^2 - (1 + 2^-29) = 2^-60 exactly. */
    {FPU_D, RM_RNE, 0x3ff0000000400000ull, 0x3ff0000000400000ull, 0xbff0000000800000ull,
     0x3c30000000000000ull, 0},
};

static void check_cases(const char *path)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fma_case *t = &cases[i];
		uint32_t fl = 0, fn = 0;
		uint64_t r = fpu_arith(t->fmt, FOP_FMA, t->a, t->b, t->c, t->rm, &fl);
		/* The same with two roundings must differ, or the case proves nothing. */
		uint64_t p = fpu_arith(t->fmt, FOP_MUL, t->a, t->b, 0, t->rm, &fn);
		uint64_t naive = fpu_arith(t->fmt, FOP_ADD, p, t->c, 0, t->rm, &fn);
		if (r != t->r || fl != t->fl || naive == t->r)
			fail_msg("%s: case %zu: got %#llx/%x, want %#llx/%x (naive %#llx)", path, i,
				 (unsigned long long)r, fl, (unsigned long long)t->r, t->fl,
				 (unsigned long long)naive);
	}
}

static void test_fma_single_rounding_host(void **state)
{
	(void)state;
	if (!fpu_host_fma())
		skip(); /* no FMA3 on this host: the fallback test below covers what runs */
	check_cases("host FMA3");
}

static void test_fma_single_rounding_fallback(void **state)
{
	(void)state;
	fpu_host_fma_disable(true);
	assert_false(fpu_host_fma());
	check_cases("fallback");
	/* RISC-V's special cases hold on the fallback too: inf*0+qNaN raises NV. */
	uint32_t fl = 0;
	assert_int_equal(
	    fpu_arith(FPU_D, FOP_FMA, 0x7ff0000000000000ull, 0, 0x7ff8000000000001ull, RM_RNE, &fl),
	    F64_CANON);
	assert_int_equal(fl, FFLAG_NV);
	fpu_host_fma_disable(false);
}

/* Random operands: the host instruction and the fallback agree bit for bit, flags included. */
static void test_fma_fallback_matches_host(void **state)
{
	uint64_t x = 0x243f6a8885a308d3ull;

	(void)state;
	if (!fpu_host_fma())
		skip();
	for (int i = 0; i < 100000; i++) {
		enum fpu_fmt fmt = i & 1 ? FPU_D : FPU_S;
		uint64_t v[3], mask = fmt == FPU_S ? 0xffffffffull : ~0ull;
		unsigned rm = (i >> 1) % 4;
		for (int k = 0; k < 3; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Exponents near 1.0 often enough for a*b and c to interact. */
			v[k] = (i & 2) ? x & mask
				       : (fmt == FPU_S ? (x & 0x807fffffull) | 0x3f000000ull
						       : (x & 0x800fffffffffffffull) |
							     0x3fe0000000000000ull);
		}
		uint32_t fh = 0, fs = 0;
		uint64_t rh = fpu_host(fmt, FOP_FMA, v[0], v[1], v[2], rm, &fh);
		fpu_host_fma_disable(true);
		uint64_t rs = fpu_host(fmt, FOP_FMA, v[0], v[1], v[2], rm, &fs);
		fpu_host_fma_disable(false);
		if (rh != rs || fh != fs)
			fail_msg("fmt %d rm %u %#llx %#llx %#llx: host %#llx/%x fallback %#llx/%x",
				 fmt, rm, (unsigned long long)v[0], (unsigned long long)v[1],
				 (unsigned long long)v[2], (unsigned long long)rh, fh,
				 (unsigned long long)rs, fs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fma_single_rounding_host),
	    cmocka_unit_test(test_fma_single_rounding_fallback),
	    cmocka_unit_test(test_fma_fallback_matches_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
