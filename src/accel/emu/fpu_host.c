/* F/D arithmetic on the host FPU for the rounding modes it has (RNE, RTZ, RDN, RUP).
 *
 * IEEE 754 fixes the rounded result of +, -, *, /, sqrt and fma in these modes, and the host's
 * exception flags map one to one onto fflags. What differs from RISC-V is fixed up here:
 * - NaN results: the host propagates payloads, RISC-V returns the canonical NaN;
 * - fma(inf, 0, qNaN): IEEE leaves the invalid flag to the implementation, RISC-V requires NV
 *   (x86 FMA3 raises it already; the check covers other hosts and libm's software fma);
 * - tininess: RISC-V detects it after rounding. x86 SSE does the same (checked by
 *   tests/unit/test_rv_fpu.c, which expects UF clear for a product that is tiny only before
 *   rounding), so the UF flag is taken as is.
 * RMM has no host equivalent and goes to the exact integer path (fpu_soft.c).
 *
 * On x86-64, sqrt and fma are the SSE and FMA3 instructions themselves, not libm's functions
 * (gasang links no libm: one shared object less to map and relocate in every process). A host
 * without FMA3 (or whose kernel does not save the AVX state) gets fused multiply-add from the
 * exact integer path: a*b+c computed as two host operations would round twice.
 *
 * The compiler must not move FP operations across the rounding-mode and flag accesses: every
 * operand and result passes through an empty asm that makes it opaque (as glibc's
 * math_opt_barrier does), so nothing can be folded with an assumed rounding mode or moved
 * across the MXCSR/fenv accesses (which are volatile asm or opaque calls). */
#include <fenv.h>
#include <string.h>

#include "accel/emu/fpu_internal.h"

#if defined(__x86_64__)
#define FPU_OPAQUE(x) __asm__ volatile("" : "+x"(x))

/* The instructions are volatile: they read MXCSR's rounding mode and set its flags. */
static inline float host_sqrtf(float x)
{
	__asm__ volatile("sqrtss %0, %0" : "+x"(x));
	return x;
}

static inline double host_sqrt(double x)
{
	__asm__ volatile("sqrtsd %0, %0" : "+x"(x));
	return x;
}

/* x*y+z with a single rounding; only reached when fpu_host_fma() said so. */
static inline float host_fmaf(float x, float y, float z)
{
	__asm__ volatile("vfmadd231ss %2, %1, %0" : "+x"(z) : "x"(x), "x"(y));
	return z;
}

static inline double host_fma(double x, double y, double z)
{
	__asm__ volatile("vfmadd231sd %2, %1, %0" : "+x"(z) : "x"(x), "x"(y));
	return z;
}

static bool fma_disabled; /* fpu_host_fma_disable() */

bool fpu_host_fma(void)
{
	/* libgcc reports FMA only if the OS also enabled the AVX state (XCR0). */
	return !__atomic_load_n(&fma_disabled, __ATOMIC_RELAXED) && __builtin_cpu_supports("fma");
}

void fpu_host_fma_disable(bool disable)
{
	__atomic_store_n(&fma_disabled, disable, __ATOMIC_RELAXED);
}
#else
#include <math.h>
#define FPU_OPAQUE(x) __asm__ volatile("" : "+m"(x))
#define host_sqrtf    sqrtf
#define host_sqrt     sqrt
#define host_fmaf     fmaf
#define host_fma      fma

bool fpu_host_fma(void)
{
	return true; /* libm's fma is correctly rounded */
}

void fpu_host_fma_disable(bool disable)
{
	(void)disable;
}
#endif

#if defined(__x86_64__)
/* MXCSR directly: two instructions per operation instead of four libm calls that also
 * touch the x87 unit. Flags are bits 0-5 (IE DE ZE OE UE PE), DAZ bit 6, RC bits 13-14,
 * FTZ bit 15. */
static const uint32_t mxcsr_rc[4] = {0x0000, 0x6000, 0x2000, 0x4000};

static inline uint32_t host_enter(unsigned rm)
{
	uint32_t saved;
	__asm__ volatile("stmxcsr %0" : "=m"(saved));
	/* Clear flags, DAZ, FTZ and RC; keep every exception masked. */
	uint32_t csr = (saved & ~0xe07fu) | 0x1f80u | mxcsr_rc[rm];
	__asm__ volatile("ldmxcsr %0" : : "m"(csr));
	return saved;
}

static inline uint32_t host_leave(uint32_t saved)
{
	uint32_t csr;
	__asm__ volatile("stmxcsr %0" : "=m"(csr));
	__asm__ volatile("ldmxcsr %0" : : "m"(saved));
	uint32_t fl = 0;
	if (csr & 0x01)
		fl |= FFLAG_NV;
	if (csr & 0x04)
		fl |= FFLAG_DZ;
	if (csr & 0x08)
		fl |= FFLAG_OF;
	if (csr & 0x10)
		fl |= FFLAG_UF;
	if (csr & 0x20)
		fl |= FFLAG_NX;
	return fl;
}
#else
static const int fenv_rm[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};

static inline uint32_t host_enter(unsigned rm)
{
	int saved = fegetround();
	fesetround(fenv_rm[rm]);
	feclearexcept(FE_ALL_EXCEPT);
	return (uint32_t)saved;
}

static inline uint32_t host_leave(uint32_t saved)
{
	int ex = fetestexcept(FE_ALL_EXCEPT);
	fesetround((int)saved);
	uint32_t fl = 0;
	if (ex & FE_INVALID)
		fl |= FFLAG_NV;
	if (ex & FE_DIVBYZERO)
		fl |= FFLAG_DZ;
	if (ex & FE_OVERFLOW)
		fl |= FFLAG_OF;
	if (ex & FE_UNDERFLOW)
		fl |= FFLAG_UF;
	if (ex & FE_INEXACT)
		fl |= FFLAG_NX;
	return fl;
}
#endif

/* The shortcut for the common case, which needs no access to the host's flags at all: in RNE,
 * with NX already in fflags, finite operands and a finite result larger in magnitude than the
 * smallest normal, no new flag can be raised. NV needs a NaN operand, an infinite one, 0/0 or
 * the square root of a negative number, and the last two give a NaN; DZ gives an infinity; OF
 * gives an infinity in RNE; UF needs a tiny result, which RNE delivers as at most the smallest
 * normal in magnitude; and NX is already set. The hart thread runs in the default FP
 * environment (RNE, no DAZ/FTZ), which is what the plain C operations below execute in. */
static bool fast_ok(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c,
		    unsigned rm, uint32_t fl)
{
	uint64_t inf = fmt == FPU_S ? 0x7f800000u : 0x7ff0000000000000ull;
	uint64_t mag = fpu_signbit(fmt) - 1;
	return rm == RM_RNE && (fl & FFLAG_NX) && (a & mag) < inf &&
	       (op == FOP_SQRT || (b & mag) < inf) && (op != FOP_FMA || (c & mag) < inf);
}

static bool fast_result_ok(enum fpu_fmt fmt, uint64_t r)
{
	uint64_t m = r & (fpu_signbit(fmt) - 1);
	if (fmt == FPU_S)
		return m > 0x00800000u && m < 0x7f800000u;
	return m > 0x0010000000000000ull && m < 0x7ff0000000000000ull;
}

static float op_s(enum fpu_op op, float x, float y, float z)
{
	switch (op) {
	case FOP_ADD:
		return x + y;
	case FOP_SUB:
		return x - y;
	case FOP_MUL:
		return x * y;
	case FOP_DIV:
		return x / y;
	case FOP_SQRT:
		return host_sqrtf(x);
	default:
		return host_fmaf(x, y, z);
	}
}

static double op_d(enum fpu_op op, double x, double y, double z)
{
	switch (op) {
	case FOP_ADD:
		return x + y;
	case FOP_SUB:
		return x - y;
	case FOP_MUL:
		return x * y;
	case FOP_DIV:
		return x / y;
	case FOP_SQRT:
		return host_sqrt(x);
	default:
		return host_fma(x, y, z);
	}
}

static uint64_t host_s(enum fpu_op op, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
		       uint32_t *fl)
{
	uint32_t ua = (uint32_t)a, ub = (uint32_t)b, uc = (uint32_t)c, ur;
	float x, y, z, r;
	memcpy(&x, &ua, 4);
	memcpy(&y, &ub, 4);
	memcpy(&z, &uc, 4);

	if (fast_ok(FPU_S, op, a, b, c, rm, *fl)) {
		r = op_s(op, x, y, z);
		memcpy(&ur, &r, 4);
		if (fast_result_ok(FPU_S, ur))
			return ur;
	}
	uint32_t saved = host_enter(rm);
	FPU_OPAQUE(x);
	FPU_OPAQUE(y);
	FPU_OPAQUE(z);
	r = op_s(op, x, y, z);
	FPU_OPAQUE(r);
	*fl |= host_leave(saved);
	memcpy(&ur, &r, 4);
	return ur;
}

static uint64_t host_d(enum fpu_op op, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
		       uint32_t *fl)
{
	double x, y, z, r;
	uint64_t ur;
	memcpy(&x, &a, 8);
	memcpy(&y, &b, 8);
	memcpy(&z, &c, 8);

	if (fast_ok(FPU_D, op, a, b, c, rm, *fl)) {
		r = op_d(op, x, y, z);
		memcpy(&ur, &r, 8);
		if (fast_result_ok(FPU_D, ur))
			return ur;
	}
	uint32_t saved = host_enter(rm);
	FPU_OPAQUE(x);
	FPU_OPAQUE(y);
	FPU_OPAQUE(z);
	r = op_d(op, x, y, z);
	FPU_OPAQUE(r);
	*fl |= host_leave(saved);
	memcpy(&ur, &r, 8);
	return ur;
}

uint64_t fpu_host(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
		  uint32_t *fl)
{
	uint64_t r;

	if (op == FOP_FMA && !fpu_host_fma())
		return fpu_soft(fmt, op, a, b, c, rm, fl);
	r = fmt == FPU_S ? host_s(op, a, b, c, rm, fl) : host_d(op, a, b, c, rm, fl);
	if (op == FOP_FMA) {
		struct fpu_num n;
		enum fpu_class ca = fpu_unpack(fmt, a, &n), cb = fpu_unpack(fmt, b, &n);
		if ((ca == FC_INF && cb == FC_ZERO) || (ca == FC_ZERO && cb == FC_INF))
			*fl |= FFLAG_NV;
	}
	if (fpu_is_nan(fmt, r))
		return fpu_canon(fmt);
	return r;
}

uint64_t fpu_arith(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c,
		   unsigned rm, uint32_t *fl)
{
	if (rm == RM_RMM)
		return fpu_soft(fmt, op, a, b, c, rm, fl);
	return fpu_host(fmt, op, a, b, c, rm, fl);
}
