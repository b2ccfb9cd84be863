/* RISC-V -> x86-64 block translator. Guest registers stay in struct hart (rbx = hart,
 * r12 = core); rax, rcx, rdx, rsi, rdi are scratch. A block is RV64I/M integer code, F/D
 * (inline in translate_fp.c or through the FPU), loads and stores (soft-TLB fast path inline,
 * C helper on a miss), ending after a branch or jump, at the page end, after JIT_MAX_INSNS,
 * or before an instruction it does not translate (CSR, AMO, system, fences...), which the
 * interpreter then executes.
 *
 * Accounting: the entry takes the block's length n from the budget (rbp inside translated
 * code, core.jit_budget outside it and during helper calls: one decrement and branch); an exit
 * after instruction k (trap or code write) gives back n - k - 1. The dispatcher adds what
 * translated code took from the budget to instret when it returns. Precise state: the guest pc is
 * stored before every helper call that may trap. */
#include "accel/emu/jit/translate.h"

#include "accel/emu/jit/disasm.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define OFF_BUDGET ((int32_t)offsetof(struct core, jit_budget))

_Static_assert(sizeof(struct tlb_entry) == 16, "TLB entries are indexed by << 4");

static const int pool[NPOOL] = {R13, R14, R15, R8, R9, R10, R11, RSI, RDI};

static bool caller_saved(int r)
{
	return r == RSI || r == RDI || (r >= R8 && r <= R11);
}

/* C helpers called from translated code. */
/* F/D instructions, as the interpreter runs them: 0 after raising, 1, or 2 when an FP store
 * wrote translated code. */
static int helper_fp(struct hart *h, uint32_t insn)
{
	if (!(h->mstatus & MS_FS)) {
		hart_raise(h, EXC_ILLEGAL_INSN, insn);
		return 0;
	}
	if (!fpu_exec(h, insn))
		return 0;
	h->mstatus |= MS_FS | MS_SD;
	return core_of(h)->jit_dirty ? 2 : 1;
}

/* op: funct3 of DIV/DIVU/REM/REMU, | 8 for the W forms. */
static uint64_t helper_div(uint64_t a, uint64_t b, unsigned op)
{
	if (op & 8) {
		int32_t x = (int32_t)a, y = (int32_t)b;
		uint32_t ux = (uint32_t)a, uy = (uint32_t)b;

		switch (op & 7) {
		case 4:
			return !y			     ? UINT64_MAX
			       : (x == INT32_MIN && y == -1) ? sext32(ux)
							     : sext32((uint32_t)(x / y));
		case 5:
			return uy ? sext32(ux / uy) : UINT64_MAX;
		case 6:
			return !y			     ? sext32(ux)
			       : (x == INT32_MIN && y == -1) ? 0
							     : sext32((uint32_t)(x % y));
		default:
			return uy ? sext32(ux % uy) : sext32(ux);
		}
	}
	int64_t x = (int64_t)a, y = (int64_t)b;

	switch (op & 7) {
	case 4:
		return !y ? UINT64_MAX : (x == INT64_MIN && y == -1) ? a : (uint64_t)(x / y);
	case 5:
		return b ? a / b : UINT64_MAX;
	case 6:
		return !y ? a : (x == INT64_MIN && y == -1) ? 0 : (uint64_t)(x % y);
	default:
		return b ? a % b : a;
	}
}

/* Host register of guest register r (r != 0), mapping it (and loading it when load) if it
 * is not cached yet; the least recently used one is written back and evicted if needed. */
/* Distance from the current instruction to the next one whose register fields name x[r]
 * (any format: a heuristic), or UINT_MAX. */
static unsigned next_mention(const struct tctx *t, unsigned r)
{
	for (unsigned m = t->k; m < t->n; m++) {
		uint32_t i = t->insns[m];

		if (RD(i) == r || RS1(i) == r || RS2(i) == r)
			return m - t->k;
	}
	return UINT32_MAX;
}

int translate_cache_reg(struct tctx *t, unsigned r, bool load)
{
	int s = t->slot_of[r];

	if (s < 0) {
		for (int k = 0; k < NPOOL; k++)
			if (t->reg_in[k] < 0) {
				s = k;
				break;
			}
		if (s < 0) {
			/* Evict the register whose next mention in the block is farthest (never:
			 * farthest of all), the least recently used one among equals. */
			unsigned best = 0;

			s = 0;
			for (int k = 0; k < NPOOL; k++) {
				unsigned d = next_mention(t, (unsigned)t->reg_in[k]);

				if (k == 0 || d > best ||
				    (d == best && t->last_use[k] < t->last_use[s])) {
					best = d;
					s = k;
				}
			}
			unsigned v = (unsigned)t->reg_in[s];
			if (t->dirty[v])
				emit_mov_mr(&t->e, true, MEM(RBX, OFF_X(v)), pool[s]);
			t->dirty[v] = false;
			t->slot_of[v] = -1;
		}
		t->reg_in[s] = (int8_t)r;
		t->slot_of[r] = (int8_t)s;
		if (load)
			emit_mov_rm(&t->e, true, pool[s], MEM(RBX, OFF_X(r)));
	}
	t->last_use[s] = ++t->tick;
	return pool[s];
}

/* Writes every dirty cached register back to hart.x[] (before helpers and exits). The dirty
 * flags stay: other paths through the block may still need the write. */
void translate_write_back(struct tctx *t)
{
	for (unsigned r = 1; r < 32; r++)
		if (t->slot_of[r] >= 0 && t->dirty[r])
			emit_mov_mr(&t->e, true, MEM(RBX, OFF_X(r)), pool[t->slot_of[r]]);
	if (t->fp_fast)
		translate_fp_write_back(t);
}

/* After a helper call: r8-r11 were clobbered, and the helper may have written x[written]
 * (0: none); callee-saved host registers still hold the rest. */
void translate_reload(struct tctx *t, unsigned written)
{
	for (unsigned r = 1; r < 32; r++) {
		int s = t->slot_of[r];

		if (s >= 0 && (caller_saved(pool[s]) || r == written))
			emit_mov_rm(&t->e, true, pool[s], MEM(RBX, OFF_X(r)));
	}
	if (t->fp_fast)
		translate_fp_reload(t); /* xmm registers are caller-saved */
}

void translate_load_x(struct tctx *t, int reg, unsigned r)
{
	if (r)
		emit_mov_rr(&t->e, true, reg, translate_cache_reg(t, r, true));
	else
		emit_alu_rr(&t->e, false, ALU_XOR, reg, reg);
}

void translate_store_x(struct tctx *t, unsigned r, int reg)
{
	if (r) {
		emit_mov_rr(&t->e, true, translate_cache_reg(t, r, false), reg);
		t->dirty[r] = true;
	}
}

void translate_set_pc(struct tctx *t, uint64_t pc)
{
	emit_mov_ri(&t->e, RAX, pc);
	emit_mov_mr(&t->e, true, MEM(RBX, OFF_PC), RAX);
}

/* Calls a C helper (after translate_fp_fold()): MXCSR flags the host code left are dropped. */
void translate_call(struct tctx *t, const void *fn)
{
	emit_mov_mr(&t->e, true, MEM(R12, OFF_BUDGET), RBP); /* helper_csr reads it */
	emit_call_abs(&t->e, fn);
	translate_fp_emit_clear(&t->e);
}

/* Exit to a static target: chainable (a jmp later patched to the target block) when the
 * target is on the block's page, so both lie on the same physical page. */
static void exit_static(struct tctx *t, uint64_t target, unsigned k)
{
	uint8_t *field = NULL;

	translate_write_back(t);
	if (k + 1 < t->n) /* a side exit: give back the budget of the rest of the block */
		emit_alu_ri(&t->e, true, ALU_ADD, RBP, (int32_t)(t->n - k - 1));
	bool other = ((target ^ t->pc0) & ~PG_MASK) != 0;

	/* Another page: chainable only in the process VM (t->flat: no address translation, the
	 * dispatcher records the link and unlinks it when the target page changes), else
	 * through the lookup cache. */
	if (!other || t->flat)
		field = emit_jmp(&t->e, NULL);
	translate_set_pc(t, target);
	if (!field) {
		jit_emit_probe(&t->e); /* inline: this exit's own indirect jump */
		emit_jmp(&t->e, t->j->cold_code);
		return;
	}
	if (other)
		emit_mov_mi(&t->e, MEM(R12, (int32_t)offsetof(struct core, jit_xpage)), 1);
	emit_mov_ri(&t->e, RAX, (uint64_t)(uintptr_t)field);
	emit_jmp(&t->e, t->j->exit);
}

/* The back edge of a loop block: another iteration if the budget allows, without writing
 * registers back (the mapping is the loop head's); else back to the dispatcher at the block's
 * start. A different mapping than at the head: an ordinary exit. */
static void loop_back(struct tctx *t)
{
	uint8_t *out;

	if (memcmp(t->slot_of, t->head_slot, sizeof(t->slot_of)) ||
	    (t->fp_fast && memcmp(t->fslot_of, t->head_fslot, sizeof(t->fslot_of)))) {
		exit_static(t, t->pc0, t->n - 1);
		return;
	}
	emit_alu_ri(&t->e, true, ALU_SUB, RBP, (int32_t)t->n);
	out = emit_jcc(&t->e, CC_L, NULL);
	emit_jmp(&t->e, t->loop_head);
	if (out)
		emit_patch_rel32(out, t->e.p);
	emit_alu_ri(&t->e, true, ALU_ADD, RBP, (int32_t)t->n);
	translate_write_back(t);
	translate_set_pc(t, t->pc0);
	emit_alu_rr(&t->e, false, ALU_XOR, RAX, RAX);
	emit_jmp(&t->e, t->j->exit);
}

/* Exit after instruction k when a helper raised (pc set by the trap) or after a write to
 * translated code (pc = next). */
void translate_exit_after(struct tctx *t, unsigned k, uint64_t next)
{
	if (next)
		translate_set_pc(t, next);
	emit_mov_ri(&t->e, RCX, k + 1);
	if (t->ntail < sizeof(t->tail_jumps) / sizeof(t->tail_jumps[0]))
		t->tail_jumps[t->ntail++] = emit_jmp(&t->e, NULL);
}

/* F/D: pc stored, then helper_fp(h, insn). */
void translate_fp_call(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next)
{
	translate_set_pc(t, pc);
	translate_fp_fold(t);
	translate_write_back(t);
	emit_mov_rr(&t->e, true, RDI, RBX);
	emit_mov_ri(&t->e, RSI, i);
	translate_call(t, (const void *)helper_fp);
	translate_reload(t, (i & 0x7f) == 0x53 ? RD(i) : 0); /* OP-FP may write an x register */
	translate_helper_result(t, k, next);
}

/* eax = 0 (trapped), 1 (go on) or 2 (translated code written: leave at next). */
void translate_helper_result(struct tctx *t, unsigned k, uint64_t next)
{
	uint8_t *ok, *clean;

	emit_alu_ri(&t->e, false, ALU_CMP, RAX, 1);
	clean = emit_jcc(&t->e, CC_E, NULL);
	ok = emit_jcc(&t->e, CC_A, NULL);
	translate_exit_after(t, k, 0); /* 0: trapped */
	if (ok)
		emit_patch_rel32(ok, t->e.p);
	translate_exit_after(t, k, next); /* 2: wrote translated code */
	if (clean)
		emit_patch_rel32(clean, t->e.p);
}

/* Host register holding x[r] for reading; x0 reads as zero from the scratch register z. */
static int src_reg(struct tctx *t, unsigned r, int z)
{
	if (r)
		return translate_cache_reg(t, r, true);
	emit_alu_rr(&t->e, false, ALU_XOR, z, z);
	return z;
}

/* Host register that x[r] (r != 0) is about to be written to in full (no load). Callers map
 * their sources first: they are the most recently used, so not evicted here. */
static int dst_reg(struct tctx *t, unsigned r)
{
	int d = translate_cache_reg(t, r, false);

	t->dirty[r] = true;
	return d;
}

static void tr_opimm(struct tctx *t, uint32_t i)
{
	int32_t imm = (int32_t)i >> 20;
	unsigned sh = (i >> 20) & 63, f3 = F3(i);
	struct emit *e = &t->e;
	int s, d;

	if (RS1(i) == 0 && (f3 == 0 || f3 == 4 || f3 == 6)) { /* li */
		emit_mov_ri(e, dst_reg(t, RD(i)), (uint64_t)(int64_t)imm);
		return;
	}
	s = src_reg(t, RS1(i), RAX);
	d = dst_reg(t, RD(i));
	if (f3 == 2 || f3 == 3) {
		emit_alu_ri(e, true, ALU_CMP, s, imm);
		emit_setcc(e, f3 == 2 ? CC_L : CC_B, d);
		return;
	}
	if (d != s)
		emit_mov_rr(e, true, d, s);
	switch (f3) {
	case 0:
		if (imm)
			emit_alu_ri(e, true, ALU_ADD, d, imm);
		break;
	case 1:
		emit_shift_ri(e, true, SH_SHL, d, sh);
		break;
	case 4:
		emit_alu_ri(e, true, ALU_XOR, d, imm);
		break;
	case 5:
		emit_shift_ri(e, true, (i >> 26) ? SH_SAR : SH_SHR, d, sh);
		break;
	case 6:
		emit_alu_ri(e, true, ALU_OR, d, imm);
		break;
	default:
		emit_alu_ri(e, true, ALU_AND, d, imm);
		break;
	}
}

static void tr_opimm32(struct tctx *t, uint32_t i)
{
	unsigned sh = (i >> 20) & 31;
	int s = src_reg(t, RS1(i), RAX), d = dst_reg(t, RD(i));

	if (F3(i) == 0 && !((int32_t)i >> 20)) { /* sext.w */
		emit_movsxd(&t->e, d, s);
		return;
	}
	if (d != s)
		emit_mov_rr(&t->e, false, d, s);
	if (F3(i) == 0)
		emit_alu_ri(&t->e, false, ALU_ADD, d, (int32_t)i >> 20);
	else if (F3(i) == 1)
		emit_shift_ri(&t->e, false, SH_SHL, d, sh);
	else
		emit_shift_ri(&t->e, false, F7(i) ? SH_SAR : SH_SHR, d, sh);
	if (F3(i) != 5 || F7(i) || !sh) /* SRLIW by 1..31: bit 31 is 0, the 32-bit op
					   zero-extended, which is the sign extension */
		emit_movsxd(&t->e, d, d);
}

/* Base integer OP/OP-32 and MUL/MULW on host registers: d = s1 op s2. */
static void tr_op_direct(struct tctx *t, uint32_t i, bool w)
{
	static const enum x86_alu alu[8] = {ALU_ADD, 0, 0, 0, ALU_XOR, 0, ALU_OR, ALU_AND};
	unsigned f3 = F3(i), f7 = F7(i);
	struct emit *e = &t->e;
	int s1, s2, d;
	bool shift = f3 == 1 || f3 == 5, mul = f7 == 1;

	/* mv and friends: x0 + r, r + x0, r - x0, x0 | r, r ^ x0... */
	if (!mul && (f3 == 0 || f3 == 4 || f3 == 6) && (RS1(i) == 0 || RS2(i) == 0) &&
	    !(f7 && RS2(i) != 0)) {
		unsigned r = RS1(i) ? RS1(i) : RS2(i);

		if (!r) {
			emit_alu_rr(e, false, ALU_XOR, dst_reg(t, RD(i)), dst_reg(t, RD(i)));
			return;
		}
		s1 = translate_cache_reg(t, r, true);
		d = dst_reg(t, RD(i));
		if (w)
			emit_movsxd(e, d, s1);
		else if (d != s1)
			emit_mov_rr(e, true, d, s1);
		return;
	}
	s1 = src_reg(t, RS1(i), RAX);
	s2 = src_reg(t, RS2(i), RCX);

	if (shift)
		emit_mov_rr(e, false, RCX, s2); /* count in cl */
	d = dst_reg(t, RD(i));
	if (!mul && (f3 == 2 || f3 == 3)) {
		emit_alu_rr(e, true, ALU_CMP, s1, s2);
		emit_setcc(e, f3 == 2 ? CC_L : CC_B, d);
		return;
	}
	if (d == s2 && d != s1 && !shift) {
		if (mul || (f3 == 0 && !f7) || alu[f3]) { /* commutative: d = d op s1 */
			if (mul)
				emit_imul_rr(e, !w, d, s1);
			else
				emit_alu_rr(e, !w, alu[f3], d, s1);
		} else { /* sub */
			emit_mov_rr(e, true, RAX, s1);
			emit_alu_rr(e, !w, ALU_SUB, RAX, s2);
			emit_mov_rr(e, true, d, RAX);
		}
	} else {
		if (d != s1)
			emit_mov_rr(e, true, d, s1);
		if (mul)
			emit_imul_rr(e, !w, d, s2);
		else if (shift)
			emit_shift_cl(e, !w, f3 == 1 ? SH_SHL : f7 ? SH_SAR : SH_SHR, d);
		else
			emit_alu_rr(e, !w, f3 == 0 ? (f7 ? ALU_SUB : ALU_ADD) : alu[f3], d, s2);
	}
	if (w)
		emit_movsxd(e, d, d);
}

/* OP and OP-32 (w): rax = rs1, rcx = rs2. */
static void tr_op(struct tctx *t, uint32_t i, bool w)
{
	unsigned f3 = F3(i), f7 = F7(i);
	struct emit *e = &t->e;
	int res = RAX;

	if (f7 != 1 || f3 == 0) {
		tr_op_direct(t, i, w);
		return;
	}
	translate_load_x(t, RAX, RS1(i));
	translate_load_x(t, RCX, RS2(i));
	if (f7 == 1 && f3 >= 4) {
		translate_write_back(t);
		emit_mov_rr(e, true, RDI, RAX);
		emit_mov_rr(e, true, RSI, RCX);
		emit_mov_ri(e, RDX, f3 | (w ? 8 : 0));
		emit_call_abs(e, (const void *)helper_div);
		translate_reload(t, 0);
	} else if (f7 == 1) {
		switch (f3) {
		case 0:
			emit_imul_rr(e, !w, RAX, RCX);
			break;
		case 1:
			emit_mul1(e, true, RCX);
			res = RDX;
			break;
		case 2: /* mulhsu = mulhu(a, b) - (a < 0 ? b : 0) */
			emit_mov_rr(e, true, RDX, RAX);
			emit_shift_ri(e, true, SH_SAR, RDX, 63);
			emit_alu_rr(e, true, ALU_AND, RDX, RCX);
			emit_mov_mr(e, true, MEM(RSP, 0), RDX); /* the frame's scratch slot */
			emit_mul1(e, false, RCX);
			emit_alu_rm(e, true, ALU_SUB, RDX, MEM(RSP, 0));
			res = RDX;
			break;
		default:
			emit_mul1(e, false, RCX);
			res = RDX;
			break;
		}
	} else {
		switch (f3) {
		case 0:
			emit_alu_rr(e, !w, f7 ? ALU_SUB : ALU_ADD, RAX, RCX);
			break;
		case 1:
			emit_shift_cl(e, !w, SH_SHL, RAX);
			break;
		case 2:
		case 3:
			emit_alu_rr(e, true, ALU_CMP, RAX, RCX);
			emit_setcc(e, f3 == 2 ? CC_L : CC_B, RAX);
			break;
		case 4:
			emit_alu_rr(e, true, ALU_XOR, RAX, RCX);
			break;
		case 5:
			emit_shift_cl(e, !w, f7 ? SH_SAR : SH_SHR, RAX);
			break;
		case 6:
			emit_alu_rr(e, true, ALU_OR, RAX, RCX);
			break;
		default:
			emit_alu_rr(e, true, ALU_AND, RAX, RCX);
			break;
		}
	}
	if (w && !(f7 == 1 && f3 >= 4))
		emit_movsxd(e, res, res);
	translate_store_x(t, RD(i), res);
}

static void tr_branch(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next)
{
	static const enum x86_cc cc[8] = {CC_E, CC_NE, CC_E, CC_E, CC_L, CC_GE, CC_B, CC_AE};
	int64_t off = (int32_t)((uint32_t)((int32_t)(i & 0x80000000U) >> 19) | ((i & 0x80) << 4) |
				((i >> 20) & 0x7e0) | ((i >> 7) & 0x1e));
	uint8_t *taken;

	if (RS2(i) == 0) { /* cmp x, 0 and test x, x set the same flags */
		int s1 = src_reg(t, RS1(i), RAX);

		emit_test_rr(&t->e, true, s1, s1);
	} else {
		int s1 = src_reg(t, RS1(i), RAX), s2 = src_reg(t, RS2(i), RCX);

		emit_alu_rr(&t->e, true, ALU_CMP, s1, s2);
	}
	if (k + 1 < t->n) { /* inside a superblock: the taken path is a side exit */
		uint8_t *cont = emit_jcc(&t->e, cc[F3(i)] ^ 1, NULL);

		exit_static(t, pc + (uint64_t)off, k);
		if (cont)
			emit_patch_rel32(cont, t->e.p);
		return;
	}
	taken = emit_jcc(&t->e, cc[F3(i)], NULL);
	exit_static(t, next, k);
	if (taken)
		emit_patch_rel32(taken, t->e.p);
	if (t->loop && pc + (uint64_t)off == t->pc0)
		loop_back(t);
	else
		exit_static(t, pc + (uint64_t)off, k);
}

static void tr_jal(struct tctx *t, uint32_t i, uint64_t pc, uint64_t next)
{
	int64_t off = (int32_t)((uint32_t)((int32_t)(i & 0x80000000U) >> 11) | (i & 0xff000) |
				((i >> 9) & 0x800) | ((i >> 20) & 0x7fe));

	if (RD(i))
		emit_mov_ri(&t->e, dst_reg(t, RD(i)), next);
	if (t->loop && pc + (uint64_t)off == t->pc0)
		loop_back(t);
	else
		exit_static(t, pc + (uint64_t)off, t->k);
}

static void tr_jalr(struct tctx *t, uint32_t i, uint64_t next)
{
	translate_load_x(t, RAX, RS1(i));
	if ((int32_t)i >> 20)
		emit_alu_ri(&t->e, true, ALU_ADD, RAX, (int32_t)i >> 20);
	emit_alu_ri(&t->e, true, ALU_AND, RAX, -2);
	if (RD(i)) {
		emit_mov_ri(&t->e, RCX, next);
		translate_store_x(t, RD(i), RCX);
	}
	translate_write_back(t);
	emit_mov_mr(&t->e, true, MEM(RBX, OFF_PC), RAX);
	jit_emit_probe(&t->e);
	emit_jmp(&t->e, t->j->cold_code);
}

/* Emits the instructions of the block (once, or twice with inline F/D: see jit_translate). */
static void emit_body(struct tctx *t, const uint32_t *insns, const uint8_t *lens, bool ends)
{
	uint64_t pc = t->pc0;

	memset(t->slot_of, -1, sizeof(t->slot_of));
	memset(t->reg_in, -1, sizeof(t->reg_in));
	memset(t->dirty, 0, sizeof(t->dirty));
	translate_fp_reset(t);
	t->nslow = 0;
	t->nnan_fix = 0;
	t->insns = insns;
	if (t->loop) { /* load every register once; all count as dirty (exact on any exit) */
		for (unsigned k = 0; k < t->n; k++) {
			uint32_t set = translate_x_regs(insns[k]);

			t->k = k;
			for (unsigned r = 1; r < 32; r++)
				if (set & (1U << r)) {
					translate_cache_reg(t, r, true);
					t->dirty[r] = true;
				}
		}
		if (t->fp_fast)
			translate_fp_preload(t, insns);
		memcpy(t->head_slot, t->slot_of, sizeof(t->head_slot));
		memcpy(t->head_fslot, t->fslot_of, sizeof(t->head_fslot));
		t->loop_head = t->e.p;
	}
	for (unsigned k = 0; k < t->n; k++) {
		uint32_t i = insns[k];

		t->k = k;
		uint64_t next = pc + lens[k];

		switch (i & 0x7f) {
		case 0x37:
			if (RD(i))
				emit_mov_ri(&t->e, dst_reg(t, RD(i)), sext32(i & 0xfffff000U));
			break;
		case 0x17:
			if (RD(i))
				emit_mov_ri(&t->e, dst_reg(t, RD(i)), pc + sext32(i & 0xfffff000U));
			break;
		case 0x6f:
			tr_jal(t, i, pc, next);
			break;
		case 0x67:
			tr_jalr(t, i, next);
			break;
		case 0x63:
			tr_branch(t, i, k, pc, next);
			break;
		case 0x03:
			translate_load(t, i, k, pc);
			break;
		case 0x23:
			translate_store(t, i, k, pc, next);
			break;
		case 0x13:
			if (RD(i))
				tr_opimm(t, i);
			break;
		case 0x1b:
			if (RD(i))
				tr_opimm32(t, i);
			break;
		case 0x33:
		case 0x3b:
			if (RD(i))
				tr_op(t, i, (i & 0x7f) == 0x3b);
			break;
		case 0x0f:
		case 0x2f:
		case 0x73:
			translate_sys(t, i, k, pc, next);
			break;
		default:
			if (t->fp_fast && translate_fp_kind(i) != FP_HELPER)
				translate_fp(t, i, k, pc, next);
			else
				translate_fp_call(t, i, k, pc, next);
			break;
		}
		pc = next;
	}
	if (!ends)
		exit_static(t, pc, t->n - 1);
	for (unsigned m = 0; m < t->nslow; m++)
		translate_slow_path(t, &t->slow[m]);
	translate_fp_fixups(t);
}

/* GASANG_JIT_PERF=1: every block goes to /tmp/perf-PID.map (perf's format for JIT code:
 * "start size name"), so `perf report` names translated code by guest pc. One write() per line
 * on an O_APPEND descriptor: harts translate concurrently. */
static int perf_fd = -1;
static pthread_once_t perf_once = PTHREAD_ONCE_INIT;

static void perf_open(void)
{
	char path[64];

	if (!getenv("GASANG_JIT_PERF"))
		return;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	perf_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static void perf_note(const struct jit_block *b, const uint8_t *end)
{
	pthread_once(&perf_once, perf_open);
	if (perf_fd >= 0)
		dprintf(perf_fd, "%lx %lx guest_%llx\n", (unsigned long)(uintptr_t)b->code,
			(unsigned long)(end - b->code), (unsigned long long)b->vpc);
}

/* Blocks with inline F/D get two bodies: the inline one, entered when the guard holds (FS
 * Dirty, frm RNE if needed), and one calling the FPU for every F/D instruction (FS Off or
 * Initial: traps and the dirty marking; other rounding modes). Neither FS nor frm can change
 * inside a block (CSR instructions end blocks; a trap leaves the block). */
#define JIT_MAX_FP_INSNS 24 /* two bodies must fit in JIT_BLOCK_ROOM (~500 bytes per FP load) */

unsigned jit_translate(struct hart *h, struct jit_block *b, const uint8_t *page)
{
	struct jit *j = core_of(h)->jit;
	struct tctx t = {.j = j, .pc0 = b->vpc};
	uint32_t insns[JIT_MAX_INSNS];
	uint8_t lens[JIT_MAX_INSNS];
	uint8_t *nobudget = NULL, *fail[4];
	unsigned nfail = 0;
	bool ends, fp = false, frm = false;
	unsigned n = translate_scan(page, b->vpc, insns, lens, &ends);

	for (unsigned k = 0; k < n; k++) {
		int kind = translate_fp_kind(insns[k]);

		fp |= kind != FP_HELPER;
		frm |= kind == FP_INLINE_RNE;
	}
	if (fp && n > JIT_MAX_FP_INSNS) {
		n = JIT_MAX_FP_INSNS;
		ends = translate_is_jump(insns[n - 1]);
		frm = false;
		for (unsigned k = 0; k < n; k++)
			frm |= translate_fp_kind(insns[k]) == FP_INLINE_RNE;
	}
	emit_init(&t.e, j->cache_top, (uint64_t)(j->cache_end - j->cache_top));
	translate_flat_init(&t, h);
	t.n = n;
	t.loop = ends && translate_loop_target(b->vpc, insns, lens, n) == b->vpc &&
		 translate_field_regs(insns, n) <= NPOOL &&
		 translate_fp_field_regs(insns, n) <= NFPOOL;
	if (n) {
		/* Entry: the budget only. Kicks, interrupts and CSR writes that made one
		 * deliverable are looked at by the dispatcher, which gets control back at least
		 * every RUN_BUDGET (4096) instructions: chained blocks run out of budget. */
		emit_alu_ri(&t.e, true, ALU_SUB, RBP, (int32_t)n); /* rbp: the budget */
		nobudget = emit_jcc(&t.e, CC_L, NULL);
		if (fp) {
			translate_fp_guard(&t, frm, fail, &nfail);
			t.fp_fast = true;
			emit_body(&t, insns, lens, ends);
			t.fp_fast = false;
			t.loop = false; /* the FPU body: an ordinary block */
			for (unsigned m = 0; m < nfail; m++)
				if (fail[m])
					emit_patch_rel32(fail[m], t.e.p);
		}
		emit_body(&t, insns, lens, ends);
	}
	if (n) {
		/* Early exits after instruction k (rcx = k + 1): give back n - k - 1. */
		uint8_t *p = t.e.p;

		emit_mov_ri(&t.e, RDX, n);
		emit_alu_rr(&t.e, true, ALU_SUB, RDX, RCX);
		emit_alu_rr(&t.e, true, ALU_ADD, RBP, RDX);
		emit_alu_rr(&t.e, false, ALU_XOR, RAX, RAX);
		emit_jmp(&t.e, j->exit);
		for (unsigned m = 0; m < t.ntail; m++)
			if (t.tail_jumps[m])
				emit_patch_rel32(t.tail_jumps[m], p);
		if (nobudget) { /* budget < n: give it back, the dispatcher interprets */
			emit_patch_rel32(nobudget, t.e.p);
			emit_alu_ri(&t.e, true, ALU_ADD, RBP, (int32_t)n);
		}
	}
	/* Not enough budget (and the whole block when n == 0): resume at the block's pc. */
	translate_set_pc(&t, b->vpc);
	emit_alu_rr(&t.e, false, ALU_XOR, RAX, RAX);
	emit_jmp(&t.e, j->exit);
	if (t.e.overflow)
		return 0; /* cannot happen: JIT_BLOCK_ROOM is reserved */
	j->cache_top = t.e.p;
	perf_note(b, t.e.p);
	if (disasm_enabled())
		disasm_block(stderr, b->vpc, b->code, (size_t)(t.e.p - b->code));
	return n;
}
