/* Internals of the RISC-V F/D unit, shared by fpu.c (decode), fpu_host.c (host-FPU arithmetic),
 * fpu_soft.c (exact integer arithmetic and rounding) and fpu_cvt.c (conversions).
 *
 * Values travel as raw IEEE bit patterns in uint64_t: a single is in the low 32 bits (already
 * unboxed), a double uses all 64. */
#ifndef GASANG_ACCEL_EMU_FPU_INTERNAL_H
#define GASANG_ACCEL_EMU_FPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

enum fpu_fmt { FPU_S = 0, FPU_D = 1 };

/* fflags bits (fcsr[4:0]). */
enum {
	FFLAG_NX = 1 << 0,
	FFLAG_UF = 1 << 1,
	FFLAG_OF = 1 << 2,
	FFLAG_DZ = 1 << 3,
	FFLAG_NV = 1 << 4,
};

/* Rounding modes as encoded in the rm field / frm. */
enum { RM_RNE = 0, RM_RTZ = 1, RM_RDN = 2, RM_RUP = 3, RM_RMM = 4, RM_DYN = 7 };

/* Arithmetic operations; the FMA variants are reduced to FOP_FMA by flipping operand signs. */
enum fpu_op { FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_SQRT, FOP_FMA };

#define F32_CANON 0x7fc00000u
#define F64_CANON 0x7ff8000000000000ull

/* Conversion integer kinds, in the order of the rs2 field of FCVT. */
enum fpu_ikind { FPU_W = 0, FPU_WU = 1, FPU_L = 2, FPU_LU = 3 };

/* Operand classes. */
enum fpu_class { FC_ZERO, FC_FINITE, FC_INF, FC_QNAN, FC_SNAN };

/* A finite nonzero value: (-1)^sign * sig * 2^exp, sig normalized so bit 63 is set. */
struct fpu_num {
	bool sign;
	int exp;
	uint64_t sig;
};

static inline unsigned fpu_width(enum fpu_fmt fmt)
{
	return fmt == FPU_S ? 32 : 64;
}

static inline uint64_t fpu_signbit(enum fpu_fmt fmt)
{
	return 1ull << (fpu_width(fmt) - 1);
}

static inline uint64_t fpu_canon(enum fpu_fmt fmt)
{
	return fmt == FPU_S ? F32_CANON : F64_CANON;
}

enum fpu_class fpu_unpack(enum fpu_fmt fmt, uint64_t v, struct fpu_num *n);

static inline bool fpu_is_nan(enum fpu_fmt fmt, uint64_t v)
{
	if (fmt == FPU_S)
		return (v & 0x7fffffffu) > 0x7f800000u;
	return (v & ~(1ull << 63)) > 0x7ff0000000000000ull;
}

static inline bool fpu_is_snan(enum fpu_fmt fmt, uint64_t v)
{
	uint64_t quiet = fmt == FPU_S ? 1ull << 22 : 1ull << 51;
	return fpu_is_nan(fmt, v) && !(v & quiet);
}

/* Rounds (-1)^sign * sig * 2^exp (sig != 0; bits lost earlier must be ORed into bit 0 and sig
 * must then carry at least precision+2 significant bits) to fmt with rounding mode rm, raising
 * NX/UF/OF in *fl (tininess detected after rounding, as RISC-V requires). */
uint64_t fpu_round_pack(enum fpu_fmt fmt, bool sign, int exp, uint64_t sig, unsigned rm,
			uint32_t *fl);

/* Arithmetic, correctly rounded in every mode: the host FPU for RNE/RTZ/RDN/RUP, exact integer
 * arithmetic for RMM. c is used by FOP_FMA only, b not by FOP_SQRT. Like every function here
 * it ORs the flags raised into *fl, which should hold the flags accumulated so far (fflags):
 * the host path skips reading the host's flags when no new flag is possible (fpu_host.c). */
uint64_t fpu_arith(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c,
		   unsigned rm, uint32_t *fl);
/* The exact integer implementation (any rm); exported for tests that cross-check it against
 * the host path. */
uint64_t fpu_soft(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
		  uint32_t *fl);
/* The host-FPU implementation (rm must be RNE, RTZ, RDN or RUP). */
uint64_t fpu_host(enum fpu_fmt fmt, enum fpu_op op, uint64_t a, uint64_t b, uint64_t c, unsigned rm,
		  uint32_t *fl);
/* Whether fpu_host() does FOP_FMA on the host FPU (x86-64: FMA3); when not, it computes it with
 * fpu_soft(). fpu_host_fma_disable(true) forces that fallback (tests). */
bool fpu_host_fma(void);
void fpu_host_fma_disable(bool disable);

/* Conversions (fpu_cvt.c). fpu_to_int returns the value for the x register (W/WU results
 * sign-extended from 32 bits). */
uint64_t fpu_to_int(enum fpu_fmt fmt, uint64_t v, enum fpu_ikind kind, unsigned rm, uint32_t *fl);
uint64_t fpu_from_int(enum fpu_fmt fmt, uint64_t x, enum fpu_ikind kind, unsigned rm, uint32_t *fl);
uint64_t fpu_convert(enum fpu_fmt to, enum fpu_fmt from, uint64_t v, unsigned rm, uint32_t *fl);

/* Non-arithmetic operations (fpu_cvt.c). */
uint64_t fpu_minmax(enum fpu_fmt fmt, uint64_t a, uint64_t b, bool max, uint32_t *fl);
/* op: 0 FLE, 1 FLT, 2 FEQ (the funct3 encoding). */
bool fpu_compare(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned op, uint32_t *fl);
uint64_t fpu_classify(enum fpu_fmt fmt, uint64_t v);

#endif
