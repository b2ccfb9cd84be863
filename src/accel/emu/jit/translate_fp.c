/* Inline F/D for the block translator: double-precision +, -, *, /, sqrt in RNE, sign
 * injection, moves, comparisons, int -> double conversions, FLD/FSD/FLW/FSW, on SSE2.
 *
 * What makes the host's results RISC-V's (the rules of fpu_host.c): IEEE 754 fixes rounded
 * results and flags; the hart thread runs in the default MXCSR (RNE, no DAZ/FTZ, exceptions
 * masked); x86 detects tininess after rounding like RISC-V; a NaN result becomes the canonical
 * NaN (x86 returns its default NaN or the first operand's payload). FLT/FLE use COMISD (NV on
 * any NaN), FEQ UCOMISD (NV on signaling NaNs only), as the spec requires.
 *
 * Flags: MXCSR's sticky flags (IE ZE OE UE PE -> NV DZ OF UF NX; DE is ignored) hold the
 * flags raised by inline F/D since they were last accrued. Translated code enters with them
 * clear (the enter trampoline clears them); they are accrued into fflags and cleared before
 * every helper call and when translated code returns to the dispatcher (the exit trampoline),
 * and cleared after every helper call (host C code may leave flags of its own; the FPU accrues
 * its own into fflags). Chained jumps between blocks carry them along: the hot loop of an FP
 * kernel never reads MXCSR (STMXCSR waits for every FP operation in flight). */
#include "accel/emu/jit/translate.h"

#include "accel/emu/fpu_internal.h"

#include <string.h>

#define OFF_MSTATUS ((int32_t)offsetof(struct hart, mstatus))
#define OFF_FFLAGS  ((int32_t)offsetof(struct hart, fflags))
#define OFF_FRM	    ((int32_t)offsetof(struct hart, frm))
#define MXCSR_FLAGS 0x3d /* IE ZE OE UE PE (not DE) */
#define CANON_NAN_D 0x7ff8000000000000ULL
#define BOX_S	    0xffffffff00000000ULL

#define MAP(v)                                                                                     \
	(((v)&1 ? FFLAG_NV : 0) | ((v)&4 ? FFLAG_DZ : 0) | ((v)&8 ? FFLAG_OF : 0) |                \
	 ((v)&16 ? FFLAG_UF : 0) | ((v)&32 ? FFLAG_NX : 0))
#define MAP4(v)	 MAP(v), MAP((v) + 1), MAP((v) + 2), MAP((v) + 3)
#define MAP16(v) MAP4(v), MAP4((v) + 4), MAP4((v) + 8), MAP4((v) + 12)
/* MXCSR flag bits -> fflags. */
static const uint8_t mxcsr_to_fflags[64] = {MAP16(0), MAP16(16), MAP16(32), MAP16(48)};

static int rm_kind(unsigned rm)
{
	return rm == RM_RNE ? FP_INLINE : rm == RM_DYN ? FP_INLINE_RNE : FP_HELPER;
}

int translate_fp_kind(uint32_t i)
{
	unsigned rm = F3(i), rs2 = RS2(i);

	switch (i & 0x7f) {
	case 0x07:
	case 0x27:
		return rm == 2 || rm == 3 ? FP_INLINE : FP_HELPER;
	case 0x53:
		break;
	default:
		return FP_HELPER;
	}
	switch (F7(i)) {
	case 0x01: /* FADD.D */
	case 0x05: /* FSUB.D */
	case 0x09: /* FMUL.D */
	case 0x0d: /* FDIV.D */
		return rm_kind(rm);
	case 0x2d: /* FSQRT.D */
		return rs2 == 0 ? rm_kind(rm) : FP_HELPER;
	case 0x11: /* FSGNJ[N|X].D */
	case 0x51: /* FLE/FLT/FEQ.D */
		return rm <= 2 ? FP_INLINE : FP_HELPER;
	case 0x70: /* FMV.X.W */
	case 0x71: /* FMV.X.D */
	case 0x78: /* FMV.W.X */
	case 0x79: /* FMV.D.X */
		return rs2 == 0 && rm == 0 ? FP_INLINE : FP_HELPER;
	case 0x69: /* FCVT.D.W/WU (exact), FCVT.D.L (rounds) */
		if (rs2 <= 1)
			return rm <= RM_RMM ? FP_INLINE : rm == RM_DYN ? FP_INLINE_RNE : FP_HELPER;
		return rs2 == 2 ? rm_kind(rm) : FP_HELPER;
	}
	return FP_HELPER;
}

void translate_fp_guard(struct tctx *t, bool frm, uint8_t **fail, unsigned *nfail)
{
	struct emit *e = &t->e;

	emit_mov_rm(e, true, RAX, MEM(RBX, OFF_MSTATUS));
	emit_alu_ri(e, true, ALU_XOR, RAX, -1);
	emit_mov_ri(e, RCX, MS_FS | MS_SD);
	emit_test_rr(e, true, RAX, RCX);
	fail[(*nfail)++] = emit_jcc(e, CC_NE, NULL); /* FS not Dirty */
	if (frm) {
		emit_alu_mi(e, false, ALU_CMP, MEM(RBX, OFF_FRM), 0);
		fail[(*nfail)++] = emit_jcc(e, CC_NE, NULL);
	}
}

void translate_fp_emit_fold(struct emit *e, int a, int b)
{
	uint8_t *clean;

	emit_sse_rm(e, 0, SSE_MXCSR, false, 3, MEM(RSP, 0)); /* stmxcsr [rsp] */
	emit_mov_rm(e, false, a, MEM(RSP, 0));
	emit_alu_ri(e, false, ALU_AND, a, MXCSR_FLAGS);
	clean = emit_jcc(e, CC_E, NULL);
	emit_mov_ri(e, b, (uint64_t)(uintptr_t)mxcsr_to_fflags);
	emit_load_ext(e, 1, false, a, MEMX(b, a, 0));
	emit_alu_mr(e, false, ALU_OR, MEM(RBX, OFF_FFLAGS), a);
	emit_alu_mi(e, false, ALU_AND, MEM(RSP, 0), ~0x3f);
	emit_sse_rm(e, 0, SSE_MXCSR, false, 2, MEM(RSP, 0)); /* ldmxcsr [rsp] */
	if (clean)
		emit_patch_rel32(clean, e->p);
}

void translate_fp_emit_clear(struct emit *e)
{
	uint8_t *clean;

	emit_sse_rm(e, 0, SSE_MXCSR, false, 3, MEM(RSP, 0));
	emit_test_mi8(e, MEM(RSP, 0), 0x3f);
	clean = emit_jcc(e, CC_E, NULL);
	emit_alu_mi(e, false, ALU_AND, MEM(RSP, 0), ~0x3f);
	emit_sse_rm(e, 0, SSE_MXCSR, false, 2, MEM(RSP, 0));
	if (clean)
		emit_patch_rel32(clean, e->p);
}

void translate_fp_fold(struct tctx *t)
{
	translate_fp_emit_fold(&t->e, RAX, RCX);
}

void translate_fp_reset(struct tctx *t)
{
	memset(t->fslot_of, -1, sizeof(t->fslot_of));
	memset(t->freg_in, -1, sizeof(t->freg_in));
	memset(t->fdirty, 0, sizeof(t->fdirty));
}

static void movsd_store(struct tctx *t, unsigned r, int x)
{
	emit_sse_rm(&t->e, 0xf2, SSE_MOVSD_STORE, false, x, MEM(RBX, OFF_F(r)));
}

static void movsd_load(struct tctx *t, int x, unsigned r)
{
	emit_sse_rm(&t->e, 0xf2, SSE_MOVSD_LOAD, false, x, MEM(RBX, OFF_F(r)));
}

void translate_fp_write_back(struct tctx *t)
{
	for (unsigned r = 0; r < 32; r++)
		if (t->fslot_of[r] >= 0 && t->fdirty[r])
			movsd_store(t, r, 2 + t->fslot_of[r]);
}

void translate_fp_reload(struct tctx *t)
{
	for (unsigned r = 0; r < 32; r++)
		if (t->fslot_of[r] >= 0)
			movsd_load(t, 2 + t->fslot_of[r], r);
}

/* xmm register caching f[r] (loaded when load), least recently used one evicted. */
static int fp_reg(struct tctx *t, unsigned r, bool load)
{
	int s = t->fslot_of[r];

	if (s < 0) {
		for (int k = 0; k < NFPOOL; k++)
			if (t->freg_in[k] < 0) {
				s = k;
				break;
			}
		if (s < 0) {
			s = 0;
			for (int k = 1; k < NFPOOL; k++)
				if (t->flast_use[k] < t->flast_use[s])
					s = k;
			unsigned v = (unsigned)t->freg_in[s];
			if (t->fdirty[v])
				movsd_store(t, v, 2 + s);
			t->fdirty[v] = false;
			t->fslot_of[v] = -1;
		}
		t->freg_in[s] = (int8_t)r;
		t->fslot_of[r] = (int8_t)s;
		if (load)
			movsd_load(t, 2 + s, r);
	}
	t->flast_use[s] = ++t->tick;
	return 2 + s;
}

static bool is_fp(uint32_t i)
{
	unsigned op = i & 0x7f;

	return op == 0x07 || op == 0x27 || op == 0x53 || op == 0x43 || op == 0x47 || op == 0x4b ||
	       op == 0x4f;
}

unsigned translate_fp_field_regs(const uint32_t *insns, unsigned n)
{
	uint32_t set = 0;

	for (unsigned k = 0; k < n; k++)
		if (is_fp(insns[k]))
			set |= 1U << RD(insns[k]) | 1U << RS1(insns[k]) | 1U << RS2(insns[k]);
	return (unsigned)__builtin_popcount(set);
}

void translate_fp_preload(struct tctx *t, const uint32_t *insns)
{
	for (unsigned k = 0; k < t->n; k++)
		if (is_fp(insns[k])) {
			unsigned f[3] = {RD(insns[k]), RS1(insns[k]), RS2(insns[k])};

			for (unsigned m = 0; m < 3; m++) {
				fp_reg(t, f[m], true);
				t->fdirty[f[m]] = true;
			}
		}
}

/* xmm register to write f[r] in full. Sources must be mapped first. */
static int fp_dst(struct tctx *t, unsigned r)
{
	int x = fp_reg(t, r, false);

	t->fdirty[r] = true;
	return x;
}

/* FLD/FLW/FSD/FSW: the soft-TLB fast path; a miss runs the instruction through the FPU. */
static void fp_mem(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next)
{
	struct emit *e = &t->e;
	unsigned size = F3(i) == 3 ? 8 : 4, rd = RD(i);
	uint8_t *slow, *done;
	bool load = (i & 0x7f) == 0x07;
	int x = -1;

	if (load) {
		/* As for integer loads: mapped before the branch, loaded only if dirty (the
		 * slow path writes back, the helper writes f[rd], every mapping is reloaded). */
		x = fp_reg(t, rd, t->fdirty[rd]);
		slow = translate_tlb_check(t, ACC_LOAD, RS1(i), (int32_t)i >> 20, size);
		emit_alu_rm(e, true, ALU_ADD, RDX, MEMX(R12, RAX, OFF_TLB(ACC_LOAD) + 8));
		if (size == 8) {
			emit_sse_rm(e, 0xf2, SSE_MOVSD_LOAD, false, x, MEM(RDX, 0));
		} else {
			emit_mov_rm(e, false, RAX, MEM(RDX, 0));
			emit_mov_ri(e, RCX, BOX_S);
			emit_alu_rr(e, true, ALU_OR, RAX, RCX);
			emit_sse_rr(e, 0x66, SSE_MOVQ_TO_XMM, true, x, RAX);
		}
	} else {
		int32_t imm = (int32_t)((uint32_t)((int32_t)i >> 25) << 5 | ((i >> 7) & 31));

		x = fp_reg(t, RS2(i), true); /* mapped before the branch */
		slow = translate_tlb_check(t, ACC_STORE, RS1(i), imm, size);
		emit_mov_rm(e, true, RCX, MEMX(R12, RAX, OFF_TLB(ACC_STORE) + 8));
		emit_sse_rr(e, 0x66, SSE_MOVQ_FROM_XMM, true, x, RAX);
		emit_mov_mr(e, size == 8, MEMX(RDX, RCX, 0), RAX);
	}
	done = emit_jmp(e, NULL);
	if (slow)
		emit_patch_rel32(slow, e->p);
	translate_fp_call(t, i, k, pc, next);
	if (done)
		emit_patch_rel32(done, e->p);
	if (load)
		t->fdirty[rd] = true;
}

/* If xmm x holds a NaN, the canonical NaN instead: the fix-up is out of line (after the
 * body, translate_fp_fixups()), so the hot path is one compare and a branch not taken. */
static void canon_d(struct tctx *t, int x)
{
	struct emit *e = &t->e;
	uint8_t *nan;

	emit_sse_rr(e, 0x66, SSE_UCOMISD, false, x, x);
	nan = emit_jcc(e, CC_P, NULL);
	if (!nan)
		return; /* overflow: the translation is thrown away */
	if (t->nnan_fix >= JIT_MAX_INSNS) {
		e->overflow = true; /* cannot happen: one result per instruction */
		return;
	}
	t->nan_fix[t->nnan_fix].jump = nan;
	t->nan_fix[t->nnan_fix].resume = e->p;
	t->nan_fix[t->nnan_fix++].x = x;
}

void translate_fp_fixups(struct tctx *t)
{
	struct emit *e = &t->e;

	for (unsigned m = 0; m < t->nnan_fix; m++) {
		emit_patch_rel32(t->nan_fix[m].jump, e->p);
		emit_mov_ri(e, RAX, CANON_NAN_D); /* rax is scratch at every canon_d() */
		emit_sse_rr(e, 0x66, SSE_MOVQ_TO_XMM, true, t->nan_fix[m].x, RAX);
		emit_jmp(e, t->nan_fix[m].resume);
	}
}

static void movapd(struct tctx *t, int dst, int src)
{
	if (dst != src)
		emit_sse_rr(&t->e, 0x66, SSE_MOVAPD, false, dst, src);
}

/* f[rd] = f[rs1] op f[rs2] (op: an SSE arithmetic opcode; sqrt: of f[rs1]). */
static void fp_arith(struct tctx *t, enum x86_sse op, unsigned rd, unsigned rs1, unsigned rs2)
{
	struct emit *e = &t->e;
	int a = fp_reg(t, rs1, true), b = op == SSE_SQRTSD ? a : fp_reg(t, rs2, true);
	int d = fp_dst(t, rd), w = d;

	if (op == SSE_SQRTSD) {
		emit_sse_rr(e, 0xf2, SSE_SQRTSD, false, d, a);
	} else {
		if (d != b) {
			movapd(t, d, a);
			emit_sse_rr(e, 0xf2, op, false, d, b);
		} else if (d == a || op == SSE_ADDSD || op == SSE_MULSD) {
			/* d = d op d, or commutative: same value and flags (NaNs are canonical) */
			emit_sse_rr(e, 0xf2, op, false, d, a);
		} else { /* d is the second operand: in xmm0 */
			w = 0;
			movapd(t, w, a);
			emit_sse_rr(e, 0xf2, op, false, w, b);
		}
	}
	canon_d(t, w);
	movapd(t, d, w);
}

void translate_fp(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next)
{
	static const enum x86_sse arith[4] = {SSE_ADDSD, SSE_SUBSD, SSE_MULSD, SSE_DIVSD};
	struct emit *e = &t->e;
	unsigned rd = RD(i), rs1 = RS1(i), rs2 = RS2(i), f3 = F3(i);

	if ((i & 0x7f) != 0x53) {
		fp_mem(t, i, k, pc, next);
		return;
	}
	switch (F7(i)) {
	case 0x01:
	case 0x05:
	case 0x09:
	case 0x0d:
		fp_arith(t, arith[F7(i) >> 2], rd, rs1, rs2);
		break;
	case 0x2d:
		fp_arith(t, SSE_SQRTSD, rd, rs1, rs1);
		break;
	case 0x11: { /* rax = |f1|, rcx = the sign to inject */
		int a = fp_reg(t, rs1, true), b = fp_reg(t, rs2, true);

		if (rs1 == rs2 && f3 == 0) { /* fmv.d */
			movapd(t, fp_dst(t, rd), a);
			break;
		}
		emit_sse_rr(e, 0x66, SSE_MOVQ_FROM_XMM, true, a, RAX);
		emit_sse_rr(e, 0x66, SSE_MOVQ_FROM_XMM, true, b, RCX);
		if (f3 == 1)
			emit_alu_ri(e, true, ALU_XOR, RCX, -1);
		emit_shift_ri(e, true, SH_SHR, RCX, 63);
		emit_shift_ri(e, true, SH_SHL, RCX, 63);
		if (f3 != 2) {
			emit_shift_ri(e, true, SH_SHL, RAX, 1);
			emit_shift_ri(e, true, SH_SHR, RAX, 1);
		}
		emit_alu_rr(e, true, f3 == 2 ? ALU_XOR : ALU_OR, RAX, RCX);
		emit_sse_rr(e, 0x66, SSE_MOVQ_TO_XMM, true, fp_dst(t, rd), RAX);
		break;
	}
	case 0x51: {
		int a = fp_reg(t, rs1, true), b = fp_reg(t, rs2, true);

		if (f3 == 2) { /* FEQ: ordered and equal */
			emit_sse_rr(e, 0x66, SSE_UCOMISD, false, a, b);
			emit_setcc(e, CC_E, RAX);
			emit_setcc(e, CC_NP, RCX);
			emit_alu_rr(e, false, ALU_AND, RAX, RCX);
		} else { /* FLT: f2 > f1, FLE: f2 >= f1 (unordered: CF = 1, false) */
			emit_sse_rr(e, 0x66, SSE_COMISD, false, b, a);
			emit_setcc(e, f3 == 1 ? CC_A : CC_AE, RAX);
		}
		translate_store_x(t, rd, RAX);
		break;
	}
	case 0x70:
	case 0x71:
		if (rd) {
			emit_sse_rr(e, 0x66, SSE_MOVQ_FROM_XMM, true, fp_reg(t, rs1, true), RAX);
			if (F7(i) == 0x70)
				emit_movsxd(e, RAX, RAX);
			translate_store_x(t, rd, RAX);
		}
		break;
	case 0x78:
		translate_load_x(t, RAX, rs1);
		emit_mov_rr(e, false, RAX, RAX);
		emit_mov_ri(e, RCX, BOX_S);
		emit_alu_rr(e, true, ALU_OR, RAX, RCX);
		emit_sse_rr(e, 0x66, SSE_MOVQ_TO_XMM, true, fp_dst(t, rd), RAX);
		break;
	case 0x79:
		translate_load_x(t, RAX, rs1);
		emit_sse_rr(e, 0x66, SSE_MOVQ_TO_XMM, true, fp_dst(t, rd), RAX);
		break;
	default: { /* 0x69: FCVT.D.W/WU/L */
		int d;

		translate_load_x(t, RAX, rs1);
		if (rs2 == 1)
			emit_mov_rr(e, false, RAX, RAX);
		d = fp_dst(t, rd);
		emit_sse_rr(e, 0x66, SSE_MOVQ_TO_XMM, true, d, RAX); /* no false dependency */
		emit_sse_rr(e, 0xf2, SSE_CVTSI2SD, rs2 != 0, d, RAX);
		break;
	}
	}
}
