/* The F and D extensions: decodes one 32-bit FP instruction and executes it on the hart's f
 * registers, fflags and frm. Arithmetic lives in fpu_host.c / fpu_soft.c, conversions and
 * comparisons in fpu_cvt.c; this file handles encodings, rounding-mode selection, NaN boxing
 * and the integer-register side. */
#include "accel/emu/cpu.h"
#include "accel/emu/fpu_internal.h"

#define BOX_HI 0xffffffff00000000ull

static bool fpu_illegal(struct hart *h, uint32_t insn)
{
	hart_raise(h, EXC_ILLEGAL_INSN, insn);
	return false;
}

static unsigned insn_rd(uint32_t insn)
{
	return (insn >> 7) & 31;
}

static unsigned insn_rs1(uint32_t insn)
{
	return (insn >> 15) & 31;
}

static unsigned insn_rs2(uint32_t insn)
{
	return (insn >> 20) & 31;
}

static unsigned insn_funct3(uint32_t insn)
{
	return (insn >> 12) & 7;
}

/* The effective rounding mode, or -1 when it is reserved (rm 5/6, or DYN with frm >= 5). */
static int fpu_rm(const struct hart *h, uint32_t insn)
{
	unsigned rm = insn_funct3(insn);
	if (rm == RM_DYN)
		rm = h->frm;
	return rm <= RM_RMM ? (int)rm : -1;
}

/* Reads an operand: a single that is not NaN-boxed reads as the canonical NaN. */
static uint64_t freg(const struct hart *h, enum fpu_fmt fmt, unsigned r)
{
	uint64_t v = h->f[r];
	if (fmt == FPU_D)
		return v;
	return (v & BOX_HI) == BOX_HI ? (uint32_t)v : F32_CANON;
}

static void freg_set(struct hart *h, enum fpu_fmt fmt, unsigned r, uint64_t v)
{
	h->f[r] = fmt == FPU_S ? BOX_HI | (uint32_t)v : v;
}

static void xreg_set(struct hart *h, unsigned r, uint64_t v)
{
	if (r)
		h->x[r] = v;
}

static uint64_t imm_i(uint32_t insn)
{
	return (uint64_t)((int64_t)(int32_t)insn >> 20);
}

static uint64_t imm_s(uint32_t insn)
{
	return (uint64_t)((int64_t)(int32_t)insn >> 25) << 5 | ((insn >> 7) & 31);
}

static bool fpu_load(struct hart *h, uint32_t insn)
{
	unsigned f3 = insn_funct3(insn);
	if (f3 != 2 && f3 != 3)
		return fpu_illegal(h, insn);
	uint64_t va = h->x[insn_rs1(insn)] + imm_i(insn), v;
	if (!hart_load(h, va, f3 == 2 ? 4 : 8, &v))
		return false;
	freg_set(h, f3 == 2 ? FPU_S : FPU_D, insn_rd(insn), v);
	return true;
}

static bool fpu_store(struct hart *h, uint32_t insn)
{
	unsigned f3 = insn_funct3(insn);
	if (f3 != 2 && f3 != 3)
		return fpu_illegal(h, insn);
	uint64_t va = h->x[insn_rs1(insn)] + imm_s(insn);
	/* FSW stores the low 32 bits whatever the boxing: it is a transfer, not an operation. */
	uint64_t v = h->f[insn_rs2(insn)];
	return hart_store(h, va, f3 == 2 ? 4 : 8, f3 == 2 ? (uint32_t)v : v);
}

/* FMADD/FMSUB/FNMSUB/FNMADD: a*b+c with the operand signs flipped as the opcode says. */
static bool fpu_fused(struct hart *h, uint32_t insn)
{
	unsigned fmtf = (insn >> 25) & 3;
	int rm = fpu_rm(h, insn);
	if (fmtf > FPU_D || rm < 0)
		return fpu_illegal(h, insn);
	enum fpu_fmt fmt = fmtf;
	uint64_t sb = fpu_signbit(fmt);
	uint64_t a = freg(h, fmt, insn_rs1(insn)), b = freg(h, fmt, insn_rs2(insn));
	uint64_t c = freg(h, fmt, insn >> 27);
	switch (insn & 0x7f) {
	case 0x47: /* FMSUB: a*b - c */
		c ^= sb;
		break;
	case 0x4b: /* FNMSUB: -(a*b) + c */
		a ^= sb;
		break;
	case 0x4f: /* FNMADD: -(a*b) - c */
		a ^= sb;
		c ^= sb;
		break;
	}
	uint32_t fl = h->fflags;
	uint64_t r = fpu_arith(fmt, FOP_FMA, a, b, c, (unsigned)rm, &fl);
	h->fflags = fl;
	freg_set(h, fmt, insn_rd(insn), r);
	return true;
}

static uint64_t fpu_sgnj(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned f3)
{
	uint64_t sb = fpu_signbit(fmt);
	uint64_t s = f3 == 0 ? b & sb : f3 == 1 ? ~b & sb : (a ^ b) & sb;
	return (a & ~sb) | s;
}

/* OP-FP instructions writing an f register from f operands with a rounding mode. */
static bool fpu_op_arith(struct hart *h, uint32_t insn, enum fpu_fmt fmt, unsigned funct5)
{
	static const enum fpu_op ops[4] = {FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV};
	int rm = fpu_rm(h, insn);
	if (rm < 0 || (funct5 == 0x0b && insn_rs2(insn) != 0))
		return fpu_illegal(h, insn);
	uint64_t a = freg(h, fmt, insn_rs1(insn)), b = freg(h, fmt, insn_rs2(insn));
	enum fpu_op op = funct5 == 0x0b ? FOP_SQRT : ops[funct5];
	uint32_t fl = h->fflags;
	uint64_t r = fpu_arith(fmt, op, a, b, 0, (unsigned)rm, &fl);
	h->fflags = fl;
	freg_set(h, fmt, insn_rd(insn), r);
	return true;
}

/* FCVT.S.D / FCVT.D.S: rs2 holds the source format, which must be the other one. */
static bool fpu_op_fcvt_ff(struct hart *h, uint32_t insn, enum fpu_fmt fmt)
{
	int rm = fpu_rm(h, insn);
	enum fpu_fmt from = fmt == FPU_S ? FPU_D : FPU_S;
	if (rm < 0 || insn_rs2(insn) != (unsigned)from)
		return fpu_illegal(h, insn);
	uint32_t fl = h->fflags;
	uint64_t r = fpu_convert(fmt, from, freg(h, from, insn_rs1(insn)), (unsigned)rm, &fl);
	h->fflags = fl;
	freg_set(h, fmt, insn_rd(insn), r);
	return true;
}

/* FCVT.{W,WU,L,LU}.fmt (to_int) and FCVT.fmt.{W,WU,L,LU}. */
static bool fpu_op_fcvt_int(struct hart *h, uint32_t insn, enum fpu_fmt fmt, bool to_int)
{
	int rm = fpu_rm(h, insn);
	unsigned kind = insn_rs2(insn);
	if (rm < 0 || kind > FPU_LU)
		return fpu_illegal(h, insn);
	uint32_t fl = h->fflags;
	if (to_int) {
		uint64_t v = fpu_to_int(fmt, freg(h, fmt, insn_rs1(insn)), kind, (unsigned)rm, &fl);
		xreg_set(h, insn_rd(insn), v);
	} else {
		uint64_t v = fpu_from_int(fmt, h->x[insn_rs1(insn)], kind, (unsigned)rm, &fl);
		freg_set(h, fmt, insn_rd(insn), v);
	}
	h->fflags = fl;
	return true;
}

/* OP-FP instructions whose funct3 selects the operation (no rounding mode). */
static bool fpu_op_misc(struct hart *h, uint32_t insn, enum fpu_fmt fmt, unsigned funct5)
{
	unsigned f3 = insn_funct3(insn), rd = insn_rd(insn);
	uint64_t a = freg(h, fmt, insn_rs1(insn)), b = freg(h, fmt, insn_rs2(insn));
	uint32_t fl = h->fflags;

	switch (funct5) {
	case 0x04: /* FSGNJ, FSGNJN, FSGNJX */
		if (f3 > 2)
			return fpu_illegal(h, insn);
		freg_set(h, fmt, rd, fpu_sgnj(fmt, a, b, f3));
		return true;
	case 0x05: /* FMIN, FMAX */
		if (f3 > 1)
			return fpu_illegal(h, insn);
		freg_set(h, fmt, rd, fpu_minmax(fmt, a, b, f3 == 1, &fl));
		break;
	case 0x14: /* FLE, FLT, FEQ */
		if (f3 > 2)
			return fpu_illegal(h, insn);
		xreg_set(h, rd, fpu_compare(fmt, a, b, f3, &fl));
		break;
	case 0x1c: /* FMV.X.W/D (raw bits, boxing ignored), FCLASS */
		if (insn_rs2(insn) != 0 || f3 > 1)
			return fpu_illegal(h, insn);
		if (f3 == 1)
			xreg_set(h, rd, fpu_classify(fmt, a));
		else if (fmt == FPU_S)
			xreg_set(h, rd, (uint64_t)(int64_t)(int32_t)h->f[insn_rs1(insn)]);
		else
			xreg_set(h, rd, h->f[insn_rs1(insn)]);
		return true;
	case 0x1e: /* FMV.W.X, FMV.D.X */
		if (insn_rs2(insn) != 0 || f3 != 0)
			return fpu_illegal(h, insn);
		freg_set(h, fmt, rd, h->x[insn_rs1(insn)]);
		return true;
	default:
		return fpu_illegal(h, insn);
	}
	h->fflags = fl;
	return true;
}

static bool fpu_op(struct hart *h, uint32_t insn)
{
	unsigned funct5 = insn >> 27, fmtf = (insn >> 25) & 3;
	if (fmtf > FPU_D)
		return fpu_illegal(h, insn);
	enum fpu_fmt fmt = fmtf;

	switch (funct5) {
	case 0x00: /* FADD */
	case 0x01: /* FSUB */
	case 0x02: /* FMUL */
	case 0x03: /* FDIV */
	case 0x0b: /* FSQRT */
		return fpu_op_arith(h, insn, fmt, funct5);
	case 0x08:
		return fpu_op_fcvt_ff(h, insn, fmt);
	case 0x18:
		return fpu_op_fcvt_int(h, insn, fmt, true);
	case 0x1a:
		return fpu_op_fcvt_int(h, insn, fmt, false);
	default:
		return fpu_op_misc(h, insn, fmt, funct5);
	}
}

bool fpu_exec(struct hart *h, uint32_t insn)
{
	switch (insn & 0x7f) {
	case 0x07:
		return fpu_load(h, insn);
	case 0x27:
		return fpu_store(h, insn);
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f:
		return fpu_fused(h, insn);
	case 0x53:
		return fpu_op(h, insn);
	default:
		return fpu_illegal(h, insn);
	}
}
