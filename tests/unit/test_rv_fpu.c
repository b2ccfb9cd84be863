/* RV64 F and D extensions (accel/emu/fpu*.c), driven through fpu_exec() with encoded
 * instructions on a real hart. Expected values follow from the RISC-V unprivileged spec and
 * IEEE 754 rules (worked out in the comments), never from running the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/emu/cpu.h"
#include "accel/emu/fpu_internal.h"
#include "machine/machine.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull

#define NV FFLAG_NV
#define DZ FFLAG_DZ
#define OF FFLAG_OF
#define UF FFLAG_UF
#define NX FFLAG_NX

enum { RNE, RTZ, RDN, RUP, RMM, DYN = 7 };

/* funct7 values of OP-FP (funct5 << 2 | fmt). */
// clang-format off
enum {
	FADD_S = 0x00, FADD_D = 0x01, FSUB_S = 0x04, FSUB_D = 0x05, FMUL_S = 0x08, FMUL_D = 0x09,
	FDIV_S = 0x0c, FDIV_D = 0x0d, FSQRT_S = 0x2c, FSQRT_D = 0x2d, FSGNJ_S = 0x10,
	FSGNJ_D = 0x11, FMINMAX_S = 0x14, FMINMAX_D = 0x15, FCVT_S_D = 0x20, FCVT_D_S = 0x21,
	FCMP_S = 0x50, FCMP_D = 0x51, FCVT_I_S = 0x60, FCVT_I_D = 0x61, FCVT_S_I = 0x68,
	FCVT_D_I = 0x69, FMVX_S = 0x70, FMVX_D = 0x71, FMVF_S = 0x78, FMVF_D = 0x79,
};
// clang-format on

#define BOX(x) (0xffffffff00000000ull | (uint32_t)(x))

/* Singles: 1.0, 2.0, 3.0, 0.5, max finite, canonical NaN; doubles likewise. */
#define S_1    0x3f800000u
#define S_2    0x40000000u
#define S_3    0x40400000u
#define S_HALF 0x3f000000u
#define S_MAX  0x7f7fffffu
#define S_INF  0x7f800000u
#define S_SNAN 0x7f800001u
#define S_QNAN 0x7fc12345u /* a quiet NaN with a payload */
#define D_1    0x3ff0000000000000ull
#define D_2    0x4000000000000000ull
#define D_3    0x4008000000000000ull
#define D_MAX  0x7fefffffffffffffull
#define D_INF  0x7ff0000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_QNAN 0x7ff8000000012345ull

struct fixture {
	struct machine m;
	struct rv_platform plat;
	struct hart h;
};

static struct hart *H;

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	assert_int_equal(gmem_add_ram(&fx->m.mem, RAM_BASE, RAM_SIZE), 0);
	bus_init(&fx->m.mmio, "mmio");
	fx->plat.m = &fx->m;
	fx->plat.timebase_hz = 10000000;
	struct hart *harts[1] = {&fx->h};
	fx->plat.nharts = 1;
	fx->plat.harts = harts;
	assert_int_equal(hart_init(&fx->h, &fx->plat, 0), 0);
	fx->plat.harts = NULL; /* the local array goes away; the FPU never uses it */
	fx->plat.nharts = 0;
	hart_reset(&fx->h, PRV_M, RAM_BASE);
	fx->h.mstatus |= 1ull << 13; /* FS = Initial */
	H = &fx->h;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	hart_free(&fx->h);
	bus_free(&fx->m.mmio);
	gmem_free(&fx->m.mem);
	free(fx);
	return 0;
}

static uint32_t op_fp(unsigned f7, unsigned rs2, unsigned rs1, unsigned rm, unsigned rd)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | 0x53;
}

/* R4 format: opcode 0x43 FMADD, 0x47 FMSUB, 0x4b FNMSUB, 0x4f FNMADD. */
static uint32_t op_r4(unsigned opc, unsigned fmt, unsigned rm)
{
	return 3u << 27 | fmt << 25 | 2u << 20 | 1u << 15 | rm << 12 | 4u << 7 | opc;
}

/* Runs insn with fflags cleared; asserts it executed and checks the flags raised. */
static void exec_ok(uint32_t insn, uint32_t flags)
{
	H->fflags = 0;
	assert_true(fpu_exec(H, insn));
	assert_int_equal(H->fflags, flags);
}

/* f3 = f1 op f2 */
static uint64_t fop2(unsigned f7, unsigned rm, uint64_t a, uint64_t b, uint32_t flags)
{
	H->f[1] = a;
	H->f[2] = b;
	H->f[3] = 0x5555;
	exec_ok(op_fp(f7, 2, 1, rm, 3), flags);
	return H->f[3];
}

/* Single-precision wrapper: boxes operands and checks the result is boxed. */
static uint32_t sop2(unsigned f7, unsigned rm, uint32_t a, uint32_t b, uint32_t flags)
{
	uint64_t r = fop2(f7, rm, BOX(a), BOX(b), flags);
	assert_int_equal(r >> 32, 0xffffffffu);
	return (uint32_t)r;
}

/* f3 = op(f1), rs2 being part of the encoding (FSQRT: 0, FCVT.S.D: 1, FCVT.D.S: 0) */
static uint64_t fop1(unsigned f7, unsigned rs2, unsigned rm, uint64_t a, uint32_t flags)
{
	H->f[1] = a;
	H->f[3] = 0x5555;
	exec_ok(op_fp(f7, rs2, 1, rm, 3), flags);
	return H->f[3];
}

static uint32_t sop1(unsigned f7, unsigned rm, uint32_t a, uint32_t flags)
{
	uint64_t r = fop1(f7, 0, rm, BOX(a), flags);
	assert_int_equal(r >> 32, 0xffffffffu);
	return (uint32_t)r;
}

/* f4 = fused(f1, f2, f3) */
static uint64_t fma_op(unsigned opc, unsigned fmt, unsigned rm, uint64_t a, uint64_t b, uint64_t c,
		       uint32_t flags)
{
	H->f[1] = a;
	H->f[2] = b;
	H->f[3] = c;
	exec_ok(op_r4(opc, fmt, rm), flags);
	return H->f[4];
}

/* x10 = op(f1) or op(f1, f2) for compares, conversions to int, fmv.x, fclass */
static uint64_t to_x(unsigned f7, unsigned rs2, unsigned rm, uint64_t a, uint64_t b, uint32_t flags)
{
	H->f[1] = a;
	H->f[2] = b;
	H->x[10] = 0x5555;
	exec_ok(op_fp(f7, rs2, 1, rm, 10), flags);
	return H->x[10];
}

/* f3 = op(x11) */
static uint64_t from_x(unsigned f7, unsigned rs2, unsigned rm, uint64_t x, uint32_t flags)
{
	H->x[11] = x;
	exec_ok(op_fp(f7, rs2, 11, rm, 3), flags);
	return H->f[3];
}

static uint32_t op_load(unsigned f3, unsigned rd, int imm, unsigned rs1)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x07;
}

static uint32_t op_store(unsigned f3, unsigned rs2, int imm, unsigned rs1)
{
	uint32_t u = (uint32_t)imm & 0xfff;
	return (u >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | 0x27;
}

static void expect_illegal(uint32_t insn)
{
	uint64_t f3 = H->f[3], x10 = H->x[10];
	H->fflags = 0;
	H->mcause = 0;
	H->mtval = 0;
	assert_false(fpu_exec(H, insn));
	assert_int_equal(H->mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(H->mtval, insn);
	assert_int_equal(H->fflags, 0);
	assert_int_equal(H->f[3], f3);
	assert_int_equal(H->x[10], x10);
}

/* 1 + 2^-24 is exactly halfway between 1.0 (even) and 1 + 2^-23 (odd). */
static void test_rounding_ties_single(void **state)
{
	(void)state;
	const uint32_t tie = 0x33800000; /* 2^-24 */
	const uint32_t pos[5] = {0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001};
	const uint32_t neg[5] = {0xbf800000, 0xbf800000, 0xbf800001, 0xbf800000, 0xbf800001};
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(sop2(FADD_S, rm, S_1, tie, NX), pos[rm]);
		assert_int_equal(sop2(FADD_S, rm, 0xbf800000, tie | 0x80000000u, NX), neg[rm]);
	}
	/* (1 + 2^-23) + 2^-24: halfway between odd ...01 and even ...02. */
	const uint32_t odd[5] = {0x3f800002, 0x3f800001, 0x3f800001, 0x3f800002, 0x3f800002};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(sop2(FADD_S, rm, 0x3f800001, tie, NX), odd[rm]);
	/* 1 + 2^-25 is below the half: only RUP moves up. */
	const uint32_t below[5] = {0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800000};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(sop2(FADD_S, rm, S_1, 0x33000000, NX), below[rm]);
	/* Exact results raise nothing in any mode. */
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(sop2(FADD_S, rm, S_1, S_2, 0), S_3);
}

static void test_rounding_ties_double(void **state)
{
	(void)state;
	const uint64_t tie = 0x3ca0000000000000ull; /* 2^-53 */
	const uint64_t pos[5] = {D_1, D_1, D_1, D_1 + 1, D_1 + 1};
	const uint64_t neg[5] = {D_1 | 1ull << 63, D_1 | 1ull << 63, (D_1 + 1) | 1ull << 63,
				 D_1 | 1ull << 63, (D_1 + 1) | 1ull << 63};
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(fop2(FADD_D, rm, D_1, tie, NX), pos[rm]);
		/* -1 - 2^-53 through FSUB */
		assert_int_equal(fop2(FSUB_D, rm, D_1 | 1ull << 63, tie, NX), neg[rm]);
	}
	/* 1/3: 0x3fd5555555555555 truncated, the remainder (1/3 ulp) below half. */
	const uint64_t third[5] = {0x3fd5555555555555ull, 0x3fd5555555555555ull,
				   0x3fd5555555555555ull, 0x3fd5555555555556ull,
				   0x3fd5555555555555ull};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(fop2(FDIV_D, rm, D_1, D_3, NX), third[rm]);
	/* Single 1/3: 0x3eaaaaaa with remainder 2/3 ulp, above half. */
	const uint32_t sthird[5] = {0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaab};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(sop2(FDIV_S, rm, S_1, S_3, NX), sthird[rm]);
}

static void test_dynamic_and_illegal_rm(void **state)
{
	(void)state;
	H->frm = RUP;
	assert_int_equal(sop2(FADD_S, DYN, S_1, 0x33800000, NX), 0x3f800001);
	H->frm = RMM;
	assert_int_equal(sop2(FADD_S, DYN, S_1, 0x33800000, NX), 0x3f800001);
	H->frm = RTZ;
	assert_int_equal(fop2(FMUL_D, DYN, D_MAX, D_2, OF | NX), D_MAX);
	/* Reserved static modes and DYN with a reserved frm are illegal instructions. */
	H->f[1] = BOX(S_1);
	H->f[2] = BOX(S_1);
	expect_illegal(op_fp(FADD_S, 2, 1, 5, 3));
	expect_illegal(op_fp(FADD_D, 2, 1, 6, 3));
	expect_illegal(op_r4(0x43, 0, 5));
	expect_illegal(op_fp(FCVT_I_S, 0, 1, 6, 10));
	expect_illegal(op_fp(FCVT_D_S, 0, 1, 5, 3));
	for (unsigned frm = 5; frm <= 7; frm++) {
		H->frm = frm;
		expect_illegal(op_fp(FSQRT_D, 0, 1, DYN, 3));
		expect_illegal(op_fp(FCVT_S_I, 0, 11, DYN, 3));
	}
	/* Operations without a rounding mode ignore frm entirely. */
	H->frm = 6;
	assert_int_equal(sop2(FSGNJ_S, 0, S_1, 0x80000000u, 0), 0xbf800000u);
	H->frm = RNE;
}

static void test_nan_canonical_and_signaling(void **state)
{
	(void)state;
	/* A quiet NaN operand propagates as the canonical NaN, without NV. */
	assert_int_equal(sop2(FADD_S, RNE, S_QNAN, S_1, 0), F32_CANON);
	assert_int_equal(sop2(FMUL_S, RMM, S_1, S_QNAN | 0x80000000u, 0), F32_CANON);
	assert_int_equal(fop2(FADD_D, RNE, D_QNAN, D_1, 0), F64_CANON);
	assert_int_equal(fop2(FDIV_D, RMM, D_1, D_QNAN, 0), F64_CANON);
	/* A signaling NaN raises NV. */
	assert_int_equal(sop2(FSUB_S, RNE, S_SNAN, S_1, NV), F32_CANON);
	assert_int_equal(fop2(FMUL_D, RUP, D_1, D_SNAN, NV), F64_CANON);
	assert_int_equal(fop2(FMUL_D, RMM, D_1, D_SNAN, NV), F64_CANON);
	/* Invalid operations. */
	assert_int_equal(sop2(FSUB_S, RNE, S_INF, S_INF, NV), F32_CANON);
	assert_int_equal(fop2(FADD_D, RMM, D_INF, D_INF | 1ull << 63, NV), F64_CANON);
	assert_int_equal(fop2(FMUL_D, RNE, D_INF, 0, NV), F64_CANON);
	assert_int_equal(sop2(FMUL_S, RMM, 0x80000000u, S_INF, NV), F32_CANON);
	assert_int_equal(fop2(FDIV_D, RTZ, 0, 1ull << 63, NV), F64_CANON);
	assert_int_equal(sop2(FDIV_S, RMM, S_INF, S_INF, NV), F32_CANON);
	/* sqrt of a negative number (even -inf) is invalid; sqrt(-0) is -0. */
	assert_int_equal(sop1(FSQRT_S, RNE, 0xbf800000u, NV), F32_CANON);
	assert_int_equal(fop1(FSQRT_D, 0, RMM, D_INF | 1ull << 63, NV), F64_CANON);
	assert_int_equal(fop1(FSQRT_D, 0, RNE, 1ull << 63, 0), 1ull << 63);
	assert_int_equal(sop1(FSQRT_S, RMM, 0x80000000u, 0), 0x80000000u);
	assert_int_equal(sop1(FSQRT_S, RNE, S_INF, 0), S_INF);
}

static void test_nan_boxing(void **state)
{
	(void)state;
	/* An improperly boxed single reads as the canonical NaN. */
	assert_int_equal(fop2(FADD_S, RNE, S_1, BOX(S_1), 0), BOX(F32_CANON));
	assert_int_equal(fop2(FADD_S, RNE, 0xfffffffe3f800000ull, BOX(S_1), 0), BOX(F32_CANON));
	/* Even sign injection unboxes (canonical NaN, sign taken from -1.0). */
	assert_int_equal(fop2(FSGNJ_S, 0, D_1, BOX(0xbf800000u), 0), BOX(0xffc00000u));
	/* FCLASS of an unboxed value: quiet NaN. */
	assert_int_equal(to_x(FMVX_S, 0, 1, S_1, 0, 0), 1u << 9);
	/* FMV.X.W is a transfer: raw low bits, sign-extended, boxing ignored. */
	assert_int_equal(to_x(FMVX_S, 0, 0, 0x12345678bf800000ull, 0, 0), 0xffffffffbf800000ull);
	assert_int_equal(to_x(FMVX_S, 0, 0, BOX(0x3f800000u), 0, 0), 0x3f800000u);
	assert_int_equal(to_x(FMVX_D, 0, 0, 0x123456789abcdef0ull, 0, 0), 0x123456789abcdef0ull);
	/* FMV.W.X boxes; FMV.D.X copies. */
	assert_int_equal(from_x(FMVF_S, 0, 0, 0x123456789abcdef0ull, 0), BOX(0x9abcdef0u));
	assert_int_equal(from_x(FMVF_D, 0, 0, 0x123456789abcdef0ull, 0), 0x123456789abcdef0ull);
	/* Double operations use all 64 bits: a boxed single is just a NaN double. */
	assert_int_equal(fop2(FADD_D, RNE, BOX(S_1), D_1, 0), F64_CANON);
}

static void test_div_by_zero(void **state)
{
	(void)state;
	assert_int_equal(sop2(FDIV_S, RNE, S_1, 0, DZ), S_INF);
	assert_int_equal(sop2(FDIV_S, RMM, S_1, 0x80000000u, DZ), S_INF | 0x80000000u);
	assert_int_equal(fop2(FDIV_D, RTZ, D_1 | 1ull << 63, 0, DZ), D_INF | 1ull << 63);
	assert_int_equal(fop2(FDIV_D, RMM, D_3, 1ull << 63, DZ), D_INF | 1ull << 63);
	/* inf / 0 is inf without DZ (the dividend is not finite). */
	assert_int_equal(fop2(FDIV_D, RNE, D_INF, 0, 0), D_INF);
	/* 0 / x is an exact zero with the xor of the signs. */
	assert_int_equal(fop2(FDIV_D, RMM, 1ull << 63, D_3, 0), 1ull << 63);
}

static void test_overflow_by_rounding_mode(void **state)
{
	(void)state;
	/* max * 2: inf for RNE, RMM and the mode rounding away (RUP for +, RDN for -); max finite
	 * for RTZ and the mode rounding toward zero. Always OF | NX. */
	const uint32_t sp[5] = {S_INF, S_MAX, S_MAX, S_INF, S_INF};
	const uint32_t sn[5] = {S_INF, S_MAX, S_INF, S_MAX, S_INF};
	const uint64_t dp[5] = {D_INF, D_MAX, D_MAX, D_INF, D_INF};
	const uint64_t dn[5] = {D_INF, D_MAX, D_INF, D_MAX, D_INF};
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(sop2(FMUL_S, rm, S_MAX, S_2, OF | NX), sp[rm]);
		assert_int_equal(sop2(FMUL_S, rm, S_MAX | 0x80000000u, S_2, OF | NX),
				 sn[rm] | 0x80000000u);
		assert_int_equal(fop2(FADD_D, rm, D_MAX, D_MAX, OF | NX), dp[rm]);
		assert_int_equal(fop2(FMUL_D, rm, D_MAX | 1ull << 63, D_2, OF | NX),
				 dn[rm] | 1ull << 63);
	}
	/* max + 1 rounds back to max (NX) except in RUP, where the next step up overflows. */
	assert_int_equal(sop2(FADD_S, RNE, S_MAX, S_1, NX), S_MAX);
	assert_int_equal(sop2(FADD_S, RUP, S_MAX, S_1, OF | NX), S_INF);
}

static void test_underflow_and_subnormals(void **state)
{
	(void)state;
	/* 2^-126 * 0.5 = 2^-127 is exact: tiny but not inexact, no UF. */
	assert_int_equal(sop2(FMUL_S, RNE, 0x00800000, S_HALF, 0), 0x00400000);
	/* 2^-149 * 0.5 = 2^-150, halfway between 0 and the smallest subnormal. */
	const uint32_t half_min[5] = {0, 0, 0, 1, 1};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(sop2(FMUL_S, rm, 1, S_HALF, UF | NX), half_min[rm]);
	/* 3 * 2^-150 = 1.5 * 2^-149: RNE goes to 2 * 2^-149 (even). */
	assert_int_equal(sop2(FMUL_S, RNE, 3, S_HALF, UF | NX), 2);
	assert_int_equal(sop2(FMUL_S, RDN, 3 | 0x80000000u, S_HALF, UF | NX), 0x80000002u);
	/* Subnormal arithmetic is exact when it can be. */
	assert_int_equal(sop2(FADD_S, RNE, 1, 1, 0), 2);
	assert_int_equal(fop2(FADD_D, RNE, 0x000fffffffffffffull, 1, 0), 0x0010000000000000ull);
	/* Tininess after rounding: (1 - 2^-23) * (1 + 2^-23) * 2^-126 = 2^-126 * (1 - 2^-46)
	 * rounds (RNE, unbounded exponent) to 2^-126, so it is not tiny: NX without UF. RTZ
	 * rounds it to (1 - 2^-23) * 2^-126, which is tiny: UF. */
	assert_int_equal(sop2(FMUL_S, RNE, 0x3f7ffffe, 0x00800001, NX), 0x00800000);
	assert_int_equal(sop2(FMUL_S, RMM, 0x3f7ffffe, 0x00800001, NX), 0x00800000);
	assert_int_equal(sop2(FMUL_S, RTZ, 0x3f7ffffe, 0x00800001, UF | NX), 0x007fffff);
	assert_int_equal(fop2(FMUL_D, RNE, 0x3feffffffffffffeull, 0x0010000000000001ull, NX),
			 0x0010000000000000ull);
	assert_int_equal(fop2(FMUL_D, RMM, 0x3feffffffffffffeull, 0x0010000000000001ull, NX),
			 0x0010000000000000ull);
	assert_int_equal(fop2(FMUL_D, RDN, 0x3feffffffffffffeull, 0x0010000000000001ull, UF | NX),
			 0x000fffffffffffffull);
	/* (1 - 2^-24) * 2^-126 is exact at full precision, so tiny after rounding, yet a tie in
	 * the subnormal grid that RNE rounds up to the smallest normal: UF with a normal result.
	 * Also with NX already set, where the host path may skip reading the host's flags. */
	assert_int_equal(sop2(FMUL_S, RNE, 0x3f7fffff, 0x00800000, UF | NX), 0x00800000);
	assert_int_equal(fop2(FMUL_D, RNE, 0x3fefffffffffffffull, 0x0010000000000000ull, UF | NX),
			 0x0010000000000000ull);
	H->f[1] = BOX(0x3f7fffff);
	H->f[2] = BOX(0x00800000);
	H->fflags = NX;
	assert_true(fpu_exec(H, op_fp(FMUL_S, 2, 1, RNE, 3)));
	assert_int_equal(H->fflags, UF | NX);
	H->f[1] = 0x3fefffffffffffffull;
	H->f[2] = 0x8010000000000000ull;
	H->fflags = NX;
	assert_true(fpu_exec(H, op_fp(FMUL_D, 2, 1, RNE, 3)));
	assert_int_equal(H->f[3], 0x8010000000000000ull);
	assert_int_equal(H->fflags, UF | NX);
	/* Tiny and rounded to zero. */
	assert_int_equal(fop2(FMUL_D, RNE, 1, 1, UF | NX), 0);
	assert_int_equal(fop2(FMUL_D, RUP, 1, 1, UF | NX), 1);
	assert_int_equal(fop2(FMUL_D, RMM, 1ull << 63 | 1, 1, UF | NX), 1ull << 63);
}

static void test_sqrt(void **state)
{
	(void)state;
	/* sqrt(2) = 1.41421356237...: single neighbours 0x3fb504f3 = 1.4142135381... and
	 * 0x3fb504f4 = 1.4142136573...; the lower one is nearer. */
	const uint32_t s2[5] = {0x3fb504f3, 0x3fb504f3, 0x3fb504f3, 0x3fb504f4, 0x3fb504f3};
	/* Double: 0x1.6a09e667f3bcc908b...p0, so ...bcc truncated, nearest ...bcd. */
	const uint64_t d2[5] = {0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bccull, 0x3ff6a09e667f3bccull,
				0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bcdull};
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(sop1(FSQRT_S, rm, S_2, NX), s2[rm]);
		assert_int_equal(fop1(FSQRT_D, 0, rm, D_2, NX), d2[rm]);
		assert_int_equal(fop1(FSQRT_D, 0, rm, 0x4010000000000000ull, 0), D_2);
		/* sqrt(2^-1074) = 2^-537 exactly */
		assert_int_equal(fop1(FSQRT_D, 0, rm, 1, 0), 0x1e60000000000000ull);
	}
	H->f[1] = BOX(S_2);
	expect_illegal(op_fp(FSQRT_S, 1, 1, RNE, 3)); /* rs2 must be 0 */
}

static void test_fused_single_rounding(void **state)
{
	(void)state;
	/* (1 + 2^-27)^2 = 1 + 2^-26 + 2^-54; minus (1 + 2^-26) leaves 2^-54 exactly. A separate
	 * multiply would round the product to 1 + 2^-26 first and give 0. */
	const uint64_t a = 0x3ff0000002000000ull, c = 0xbff0000004000000ull;
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(fma_op(0x43, 1, rm, a, a, c, 0), 0x3c90000000000000ull);
		assert_int_equal(fop2(FMUL_D, rm, a, a, NX) != 0x3ff0000004000000ull, rm == RUP);
	}
	/* Single: (1 + 2^-12)^2 - (1 + 2^-11) = 2^-24. */
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(
		    fma_op(0x43, 0, rm, BOX(0x3f800800), BOX(0x3f800800), BOX(0xbf801000), 0),
		    BOX(0x33800000));
	/* The sign variants: a=2, b=3, c=1. */
	assert_int_equal(fma_op(0x43, 1, RNE, D_2, D_3, D_1, 0), 0x401c000000000000ull); /* 7 */
	assert_int_equal(fma_op(0x47, 1, RNE, D_2, D_3, D_1, 0), 0x4014000000000000ull); /* 5 */
	assert_int_equal(fma_op(0x4b, 1, RNE, D_2, D_3, D_1, 0), 0xc014000000000000ull); /* -5 */
	assert_int_equal(fma_op(0x4f, 1, RMM, D_2, D_3, D_1, 0), 0xc01c000000000000ull); /* -7 */
	assert_int_equal(fma_op(0x4f, 0, RNE, BOX(S_2), BOX(S_3), BOX(S_1), 0), BOX(0xc0e00000));
	/* A tie resolved once: 1 * 1 + 2^-24 (single). */
	const uint32_t tie[5] = {0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(fma_op(0x43, 0, rm, BOX(S_1), BOX(S_1), BOX(0x33800000), NX),
				 BOX(tie[rm]));
	/* inf * 0 + qNaN must raise NV in RISC-V. */
	assert_int_equal(fma_op(0x43, 1, RNE, D_INF, 0, D_QNAN, NV), F64_CANON);
	assert_int_equal(fma_op(0x43, 0, RMM, BOX(0), BOX(S_INF), BOX(S_QNAN), NV), BOX(F32_CANON));
	/* qNaN addend alone: no flag; inf - inf in the addition: NV. */
	assert_int_equal(fma_op(0x43, 1, RNE, D_1, D_2, D_QNAN, 0), F64_CANON);
	assert_int_equal(fma_op(0x47, 1, RMM, D_INF, D_2, D_INF, NV), F64_CANON);
	/* Exact zero sums: +0 except in RDN; equal-signed zeros keep the sign. */
	assert_int_equal(fma_op(0x43, 1, RNE, 0, D_1, 1ull << 63, 0), 0);
	assert_int_equal(fma_op(0x43, 1, RDN, 0, D_1, 1ull << 63, 0), 1ull << 63);
	assert_int_equal(fma_op(0x43, 1, RMM, D_1, D_1, D_1 | 1ull << 63, 0), 0);
	assert_int_equal(fma_op(0x43, 1, RDN, D_1, D_1, D_1 | 1ull << 63, 0), 1ull << 63);
	assert_int_equal(fma_op(0x4f, 1, RUP, 0, D_1, 0, 0), 1ull << 63); /* -(0) - 0 */
	/* Overflow inside the fused operation. */
	assert_int_equal(fma_op(0x43, 1, RMM, D_MAX, D_2, D_1, OF | NX), D_INF);
	assert_int_equal(fma_op(0x43, 1, RTZ, D_MAX, D_2, D_1, OF | NX), D_MAX);
	/* fmt 2 (half) and 3 (quad) are not implemented: illegal. */
	expect_illegal(op_r4(0x43, 2, RNE));
	expect_illegal(op_r4(0x4f, 3, RNE));
}

static void test_sign_injection(void **state)
{
	(void)state;
	assert_int_equal(sop2(FSGNJ_S, 0, S_1, 0xc0000000u, 0), 0xbf800000u);
	assert_int_equal(sop2(FSGNJ_S, 1, S_1, 0xc0000000u, 0), S_1);
	assert_int_equal(sop2(FSGNJ_S, 2, 0xbf800000u, 0xc0000000u, 0), S_1);
	/* NaNs are not canonicalized by sign injection, and signaling ones raise nothing. */
	assert_int_equal(fop2(FSGNJ_D, 1, D_SNAN, D_SNAN, 0), D_SNAN | 1ull << 63);
	assert_int_equal(fop2(FSGNJ_D, 2, D_QNAN | 1ull << 63, D_1 | 1ull << 63, 0), D_QNAN);
	H->f[1] = D_1;
	expect_illegal(op_fp(FSGNJ_D, 2, 1, 3, 3));
}

static void test_min_max(void **state)
{
	(void)state;
	/* -0 < +0 for min and max. */
	assert_int_equal(sop2(FMINMAX_S, 0, 0x80000000u, 0, 0), 0x80000000u);
	assert_int_equal(sop2(FMINMAX_S, 0, 0, 0x80000000u, 0), 0x80000000u);
	assert_int_equal(sop2(FMINMAX_S, 1, 0x80000000u, 0, 0), 0);
	assert_int_equal(fop2(FMINMAX_D, 1, 0, 1ull << 63, 0), 0);
	assert_int_equal(fop2(FMINMAX_D, 0, D_INF | 1ull << 63, D_3, 0), D_INF | 1ull << 63);
	assert_int_equal(fop2(FMINMAX_D, 1, D_2, D_3, 0), D_3);
	assert_int_equal(fop2(FMINMAX_D, 0, D_2 | 1ull << 63, D_3 | 1ull << 63, 0),
			 D_3 | 1ull << 63);
	/* One NaN: the other operand; a signaling NaN also raises NV. */
	assert_int_equal(sop2(FMINMAX_S, 0, S_QNAN, S_1, 0), S_1);
	assert_int_equal(sop2(FMINMAX_S, 1, S_2, S_SNAN, NV), S_2);
	assert_int_equal(fop2(FMINMAX_D, 0, D_SNAN, D_3, NV), D_3);
	/* Two NaNs: the canonical NaN. */
	assert_int_equal(fop2(FMINMAX_D, 1, D_QNAN, D_QNAN, 0), F64_CANON);
	assert_int_equal(sop2(FMINMAX_S, 0, S_QNAN, S_SNAN, NV), F32_CANON);
	H->f[1] = D_1;
	expect_illegal(op_fp(FMINMAX_D, 2, 1, 2, 3));
}

static void test_compare(void **state)
{
	(void)state;
	enum { FLE = 0, FLT = 1, FEQ = 2 };
	assert_int_equal(to_x(FCMP_S, 2, FLT, BOX(S_1), BOX(S_2), 0), 1);
	assert_int_equal(to_x(FCMP_S, 2, FLE, BOX(S_2), BOX(S_1), 0), 0);
	assert_int_equal(to_x(FCMP_S, 2, FLE, BOX(S_2), BOX(S_2), 0), 1);
	/* -0 == +0 for comparisons. */
	assert_int_equal(to_x(FCMP_D, 2, FEQ, 1ull << 63, 0, 0), 1);
	assert_int_equal(to_x(FCMP_D, 2, FLT, 1ull << 63, 0, 0), 0);
	assert_int_equal(to_x(FCMP_D, 2, FLE, 0, 1ull << 63, 0), 1);
	assert_int_equal(to_x(FCMP_D, 2, FLT, D_3 | 1ull << 63, D_2 | 1ull << 63, 0), 1);
	/* FEQ is quiet: NV only for signaling NaNs; FLT/FLE signal on any NaN. */
	assert_int_equal(to_x(FCMP_D, 2, FEQ, D_QNAN, D_1, 0), 0);
	assert_int_equal(to_x(FCMP_D, 2, FEQ, D_1, D_SNAN, NV), 0);
	assert_int_equal(to_x(FCMP_S, 2, FLT, BOX(S_QNAN), BOX(S_1), NV), 0);
	assert_int_equal(to_x(FCMP_S, 2, FLE, BOX(S_1), BOX(S_QNAN), NV), 0);
	assert_int_equal(to_x(FCMP_D, 2, FEQ, D_QNAN, D_QNAN, 0), 0);
	H->f[1] = D_1;
	expect_illegal(op_fp(FCMP_D, 2, 1, 3, 10));
}

static void test_classify(void **state)
{
	(void)state;
	const uint32_t s[10] = {0xff800000, 0xbf800000, 0x80000001, 0x80000000, 0,
				0x00000001, S_1,	0x7f800000, S_SNAN,	S_QNAN};
	const uint64_t d[10] = {D_INF | 1ull << 63,
				D_1 | 1ull << 63,
				0x800fffffffffffffull,
				1ull << 63,
				0,
				0x000fffffffffffffull,
				D_3,
				D_INF,
				D_SNAN,
				D_QNAN};
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(to_x(FMVX_S, 0, 1, BOX(s[i]), 0, 0), 1u << i);
		assert_int_equal(to_x(FMVX_D, 0, 1, d[i], 0, 0), 1u << i);
	}
	H->f[1] = D_1;
	expect_illegal(op_fp(FMVX_D, 1, 1, 1, 10)); /* rs2 != 0 */
	expect_illegal(op_fp(FMVX_D, 0, 1, 2, 10));
}

static void test_fcvt_to_int(void **state)
{
	(void)state;
	enum { W, WU, L, LU };
	const uint64_t s_min = 0xffffffff80000000ull, s_max = 0x7fffffff;
	/* NaN -> largest positive, infinities -> the end they point to; NV each time. */
	assert_int_equal(to_x(FCVT_I_S, W, RNE, BOX(S_QNAN), 0, NV), s_max);
	assert_int_equal(to_x(FCVT_I_S, WU, RNE, BOX(S_SNAN), 0, NV), UINT64_MAX);
	assert_int_equal(to_x(FCVT_I_D, L, RNE, D_QNAN, 0, NV), INT64_MAX);
	assert_int_equal(to_x(FCVT_I_D, LU, RNE, D_QNAN, 0, NV), UINT64_MAX);
	assert_int_equal(to_x(FCVT_I_S, W, RNE, BOX(0xff800000), 0, NV), s_min);
	assert_int_equal(to_x(FCVT_I_S, WU, RNE, BOX(0xff800000), 0, NV), 0);
	assert_int_equal(to_x(FCVT_I_D, L, RNE, D_INF, 0, NV), INT64_MAX);
	assert_int_equal(to_x(FCVT_I_D, LU, RNE, D_INF | 1ull << 63, 0, NV), 0);
	/* Out of range: clipped, NV only (not NX). 3e9 = 0x4f32d05e. */
	assert_int_equal(to_x(FCVT_I_S, W, RNE, BOX(0x4f32d05e), 0, NV), s_max);
	assert_int_equal(to_x(FCVT_I_S, W, RNE, BOX(0xcf32d05e), 0, NV), s_min);
	assert_int_equal(to_x(FCVT_I_S, WU, RNE, BOX(0x4f32d05e), 0, 0), 0xffffffffb2d05e00ull);
	assert_int_equal(to_x(FCVT_I_D, L, RTZ, 0x43e0000000000000ull, 0, NV), INT64_MAX);
	assert_int_equal(to_x(FCVT_I_D, L, RTZ, 0xc3e0000000000000ull, 0, 0), 1ull << 63);
	assert_int_equal(to_x(FCVT_I_D, LU, RNE, 0x43e0000000000000ull, 0, 0), 1ull << 63);
	assert_int_equal(to_x(FCVT_I_D, LU, RNE, 0x43f0000000000000ull, 0, NV), UINT64_MAX);
	assert_int_equal(to_x(FCVT_I_D, LU, RNE, D_1 | 1ull << 63, 0, NV), 0);
	/* 2147483647.5: RNE rounds to 2^31 (out of range), RTZ stays in range. */
	assert_int_equal(to_x(FCVT_I_D, W, RNE, 0x41dfffffffe00000ull, 0, NV), s_max);
	assert_int_equal(to_x(FCVT_I_D, W, RTZ, 0x41dfffffffe00000ull, 0, NX), s_max);
	/* -2147483648.5: RTZ gives INT32_MIN (in range), RDN goes out of range. */
	assert_int_equal(to_x(FCVT_I_D, W, RTZ, 0xc1e0000000100000ull, 0, NX), s_min);
	assert_int_equal(to_x(FCVT_I_D, W, RDN, 0xc1e0000000100000ull, 0, NV), s_min);
	/* Ties: 2.5 and -2.5 in each mode. */
	const int64_t p[5] = {2, 2, 2, 3, 3}, n[5] = {-2, -2, -3, -2, -3};
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(to_x(FCVT_I_S, W, rm, BOX(0x40200000), 0, NX), p[rm]);
		assert_int_equal(to_x(FCVT_I_D, L, rm, 0xc004000000000000ull, 0, NX),
				 (uint64_t)n[rm]);
	}
	/* Unsigned and small negatives: -0.5 rounds to 0 (NX, valid) except in RDN (-1: NV). */
	const uint32_t neg_half_fl[5] = {NX, NX, NV, NX, NV};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(to_x(FCVT_I_S, WU, rm, BOX(0xbf000000), 0, neg_half_fl[rm]), 0);
	/* Tiny values, -0, exact values; W results are sign-extended. */
	assert_int_equal(to_x(FCVT_I_D, L, RUP, 1, 0, NX), 1);
	assert_int_equal(to_x(FCVT_I_D, L, RMM, 1, 0, NX), 0);
	assert_int_equal(to_x(FCVT_I_D, L, RNE, 1ull << 63, 0, 0), 0);
	assert_int_equal(to_x(FCVT_I_S, W, RNE, BOX(0xc0400000), 0, 0), (uint64_t)-3);
	assert_int_equal(to_x(FCVT_I_D, LU, RNE, 0x43efffffffffffffull, 0, 0),
			 0xfffffffffffff800ull);
	H->f[1] = D_1;
	expect_illegal(op_fp(FCVT_I_D, 4, 1, RNE, 10));
}

static void test_fcvt_from_int(void **state)
{
	(void)state;
	enum { W, WU, L, LU };
	/* 2^24 + 1 is a tie between 2^24 (even) and 2^24 + 2. */
	const uint32_t t[5] = {0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001, 0x4b800001};
	for (unsigned rm = RNE; rm <= RMM; rm++)
		assert_int_equal(from_x(FCVT_S_I, W, rm, 16777217, NX), BOX(t[rm]));
	assert_int_equal(from_x(FCVT_S_I, L, RNE, 1ull << 63, 0), BOX(0xdf000000));
	assert_int_equal(from_x(FCVT_D_I, LU, RNE, UINT64_MAX, NX), 0x43f0000000000000ull);
	assert_int_equal(from_x(FCVT_D_I, LU, RTZ, UINT64_MAX, NX), 0x43efffffffffffffull);
	assert_int_equal(from_x(FCVT_D_I, L, RMM, UINT64_MAX, 0), D_1 | 1ull << 63);
	/* W/WU read the low 32 bits only. */
	assert_int_equal(from_x(FCVT_S_I, WU, RNE, 0xffffffff80000000ull, 0), BOX(0x4f000000));
	assert_int_equal(from_x(FCVT_D_I, W, RNE, 0xffffffffull, 0), D_1 | 1ull << 63);
	assert_int_equal(from_x(FCVT_D_I, WU, RNE, 0x12345600000003ull, 0), D_3);
	assert_int_equal(from_x(FCVT_D_I, L, RDN, 0, 0), 0);
}

static void test_fcvt_between_formats(void **state)
{
	(void)state;
	/* Double 1 + 2^-24 (0x3ff0000010000000) is a single-precision tie. */
	const uint32_t t[5] = {0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001};
	const uint32_t of[5] = {S_INF, S_MAX, S_MAX, S_INF, S_INF};
	/* Double 2^-150: halfway between 0 and the smallest single subnormal. */
	const uint32_t tiny[5] = {0, 0, 0, 1, 1};
	for (unsigned rm = RNE; rm <= RMM; rm++) {
		assert_int_equal(fop1(FCVT_S_D, 1, rm, 0x3ff0000010000000ull, NX), BOX(t[rm]));
		assert_int_equal(fop1(FCVT_S_D, 1, rm, D_MAX, OF | NX), BOX(of[rm]));
		assert_int_equal(fop1(FCVT_S_D, 1, rm, 0x3690000000000000ull, UF | NX),
				 BOX(tiny[rm]));
	}
	assert_int_equal(fop1(FCVT_S_D, 1, RNE, D_SNAN, NV), BOX(F32_CANON));
	assert_int_equal(fop1(FCVT_S_D, 1, RNE, D_QNAN, 0), BOX(F32_CANON));
	assert_int_equal(fop1(FCVT_S_D, 1, RNE, D_INF | 1ull << 63, 0), BOX(0xff800000));
	assert_int_equal(fop1(FCVT_S_D, 1, RTZ, D_3, 0), BOX(S_3));
	/* Single to double is exact: subnormals become normal, -0 stays -0. */
	assert_int_equal(fop1(FCVT_D_S, 0, RNE, BOX(1), 0), 0x36a0000000000000ull);
	assert_int_equal(fop1(FCVT_D_S, 0, RNE, BOX(0x80000000u), 0), 1ull << 63);
	assert_int_equal(fop1(FCVT_D_S, 0, RMM, BOX(S_MAX), 0), 0x47efffffe0000000ull);
	assert_int_equal(fop1(FCVT_D_S, 0, RNE, BOX(S_SNAN), NV), F64_CANON);
	assert_int_equal(fop1(FCVT_D_S, 0, RNE, BOX(S_QNAN), 0), F64_CANON);
	assert_int_equal(fop1(FCVT_D_S, 0, RNE, S_1, 0), F64_CANON); /* unboxed source */
	/* rs2 names the source format: FCVT.S.S / FCVT.D.D do not exist. */
	H->f[1] = D_1;
	expect_illegal(op_fp(FCVT_S_D, 0, 1, RNE, 3));
	expect_illegal(op_fp(FCVT_D_S, 1, 1, RNE, 3));
}

static void test_load_store(void **state)
{
	(void)state;
	const uint64_t addr = RAM_BASE + 0x1000;
	H->x[5] = addr + 0x10;
	/* FSD f1, -16(x5); FLD f2, -16(x5) */
	H->f[1] = 0x0123456789abcdefull;
	exec_ok(op_store(3, 1, -16, 5), 0);
	uint64_t v = 0;
	assert_int_equal(gmem_read(&H->plat->m->mem, addr, &v, 8), 0);
	assert_int_equal(v, 0x0123456789abcdefull);
	exec_ok(op_load(3, 2, -16, 5), 0);
	assert_int_equal(H->f[2], 0x0123456789abcdefull);
	/* FSW stores the low 32 bits, boxed or not; FLW boxes. FSW f1, 8(x5); FLW f3, 8(x5) */
	exec_ok(op_store(2, 1, 8, 5), 0);
	assert_int_equal(gmem_read(&H->plat->m->mem, addr + 0x18, &v, 8), 0);
	assert_int_equal(v, 0x89abcdefull);
	exec_ok(op_load(2, 3, 8, 5), 0);
	assert_int_equal(H->f[3], BOX(0x89abcdef));
	/* A load outside RAM faults and leaves the register alone. */
	H->x[5] = 0x1000;
	H->f[2] = 7;
	H->mcause = 0;
	assert_false(fpu_exec(H, op_load(3, 2, -16, 5)));
	assert_int_equal(H->mcause, EXC_LOAD_ACCESS);
	assert_int_equal(H->mtval, 0xff0);
	assert_int_equal(H->f[2], 7);
	/* funct3 other than 2/3 (FLH, FLQ...) are illegal here. */
	H->x[5] = addr;
	expect_illegal(op_load(4, 3, 0, 5));  /* FLQ */
	expect_illegal(op_store(4, 1, 0, 5)); /* FSQ */
	expect_illegal(op_load(1, 3, 0, 5));  /* FLH */
}

static void test_flags_accumulate(void **state)
{
	(void)state;
	H->fflags = DZ;
	H->f[1] = BOX(S_1);
	H->f[2] = BOX(S_3);
	assert_true(fpu_exec(H, op_fp(FDIV_S, 2, 1, RNE, 3)));
	assert_int_equal(H->fflags, DZ | NX);
	H->f[1] = BOX(S_SNAN);
	assert_true(fpu_exec(H, op_fp(FCMP_S, 2, 1, 2, 10)));
	assert_int_equal(H->fflags, DZ | NX | NV);
	/* x0 as a destination is never written. */
	H->f[1] = BOX(S_1);
	assert_true(fpu_exec(H, op_fp(FMVX_S, 0, 1, 0, 0)));
	assert_int_equal(H->x[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rounding_ties_single, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rounding_ties_double, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dynamic_and_illegal_rm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nan_canonical_and_signaling, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nan_boxing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_div_by_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow_by_rounding_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_underflow_and_subnormals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqrt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fused_single_rounding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_min_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fcvt_to_int, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fcvt_from_int, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fcvt_between_formats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flags_accumulate, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
