/* Private to the block translator: the state of one translation and the pieces translate.c
 * (integer code, block structure) shares with translate_fp.c (inline F/D). */
#ifndef GASANG_ACCEL_EMU_JIT_TRANSLATE_H
#define GASANG_ACCEL_EMU_JIT_TRANSLATE_H

#include <stddef.h>

#include "accel/emu/jit/jit.h"

#define RD(i)  (((i) >> 7) & 31)
#define RS1(i) (((i) >> 15) & 31)
#define RS2(i) (((i) >> 20) & 31)
#define F3(i)  (((i) >> 12) & 7)
#define F7(i)  ((i) >> 25)

#define OFF_X(r) ((int32_t)(offsetof(struct hart, x) + 8 * (r)))
#define OFF_F(r) ((int32_t)(offsetof(struct hart, f) + 8 * (r)))
#define OFF_PC	 ((int32_t)offsetof(struct hart, pc))
#define OFF_TLB(a)                                                                                 \
	((int32_t)(offsetof(struct core, tlb) + (a) * sizeof(struct tlb_entry[TLB_SIZE])))

/* Host registers that cache guest registers: r8-r11, rsi, rdi (caller-saved: reloaded after
 * helper calls), r13-r15 (saved by the enter trampoline). rax, rcx, rdx are scratch (rdx: the
 * guest address of a load/store); rbp holds the instruction budget (core.jit_budget), loaded
 * by the enter trampoline, stored by the exit trampoline and before helper calls. */
#define NPOOL  9
#define NFPOOL 14 /* xmm2..xmm15; xmm0/xmm1 are scratch */

/* A load/store's TLB-miss path, emitted after the block's body (the hot path stays straight)
 * with the register-cache state of the access. */
struct slow_path {
	uint8_t *jump, *resume; /* the jcc to patch; where the hot path goes on */
	uint32_t i;
	unsigned k;
	uint64_t pc, next;
	int v;	       /* stores: the host register holding the value (RAX: x0) */
	bool from_rax; /* flat loads: the guest address is rax + lo (rdx not set) */
	int32_t lo;
	int8_t slot_of[32], fslot_of[32];
	bool dirty[32], fdirty[32];
};

struct tctx {
	struct emit e;
	struct jit *j;
	uint64_t pc0;
	unsigned n;
	const uint32_t *insns; /* the block's instructions; k: the one being translated */
	unsigned k;
	uint8_t *tail_jumps[4 * JIT_MAX_INSNS];
	unsigned ntail;
	/* Guest registers cached in host registers within the block. */
	int8_t slot_of[32];   /* pool index holding x[r], or -1 */
	int8_t reg_in[NPOOL]; /* guest register in pool slot, or -1 */
	bool dirty[32];	      /* host copy newer than hart.x[] (conservative) */
	unsigned last_use[NPOOL], tick;
	/* The body being emitted runs F/D inline: the block's guard checked FS = Dirty (and
	 * frm = RNE when needed), and MXCSR's flags hold no flag fflags lacks at block entry. */
	bool fp_fast;
	/* Integer loads address RAM directly (platform flat_loads): flat_lo is RAM's start. */
	bool flat;
	uint64_t flat_lo;
	/* A loop block (its last instruction jumps back to its start; integer code, at most
	 * NPOOL registers): they are loaded once, and the back edge jumps to loop_head
	 * while the mapping is head_slot. */
	bool loop;
	int8_t head_slot[32], head_fslot[32];
	uint8_t *loop_head;
	/* In the inline body, f registers cached in xmm2..xmm15 (like the x registers). */
	int8_t fslot_of[32];
	int8_t freg_in[NFPOOL];
	bool fdirty[32];
	unsigned flast_use[NFPOOL];
	struct slow_path slow[JIT_MAX_INSNS];
	unsigned nslow;
	/* NaN results to make canonical, out of line after the body (translate_fp.c). */
	struct {
		uint8_t *jump, *resume;
		int x;
	} nan_fix[JIT_MAX_INSNS];
	unsigned nnan_fix;
};

/* translate.c */
int translate_cache_reg(struct tctx *t, unsigned r, bool load);
void translate_write_back(struct tctx *t);
void translate_reload(struct tctx *t, unsigned written);
void translate_load_x(struct tctx *t, int reg, unsigned r);
void translate_store_x(struct tctx *t, unsigned r, int reg);
void translate_set_pc(struct tctx *t, uint64_t pc);
void translate_exit_after(struct tctx *t, unsigned k, uint64_t next);
uint8_t *translate_tlb_check(struct tctx *t, unsigned acc, unsigned rs1, int32_t imm,
			     unsigned size);
void translate_helper_result(struct tctx *t, unsigned k, uint64_t next);
/* Every helper call except helper_div (integer C code) is preceded by translate_fp_fold()
 * and made through this (MXCSR flags left by host code are cleared after it). */
void translate_call(struct tctx *t, const void *fn);
/* The F/D instruction through the interpreter's FPU (helper_fp). */
void translate_fp_call(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next);

/* translate_scan.c: decodes a block (up to JIT_MAX_INSNS; *ends: its last instruction is a
 * jump or branch); the last instruction's static target (else 1); distinct registers named. */
unsigned translate_scan(const uint8_t *page, uint64_t pc, uint32_t *insns, uint8_t *lens,
			bool *ends);
uint64_t translate_loop_target(uint64_t pc, const uint32_t *insns, const uint8_t *lens, unsigned n);
bool translate_is_jump(uint32_t i);
unsigned translate_field_regs(const uint32_t *insns, unsigned n);
/* The x registers (bit r) an instruction's fields may name: all three fields of integer
 * instructions (a heuristic: immediates count too), only the integer ones of F/D. */
uint32_t translate_x_regs(uint32_t i);

/* translate_mem.c: integer loads and stores; their TLB-miss paths, emitted after the body. */
void translate_load(struct tctx *t, uint32_t i, unsigned k, uint64_t pc);
void translate_store(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next);
void translate_slow_path(struct tctx *t, const struct slow_path *s);
/* Sets t->flat (and the core's jit_flat_*) when the platform has flat_loads. */
void translate_flat_init(struct tctx *t, struct hart *h);

/* translate_sys.c: FENCE, AMOs, CSR instructions (through amo_exec()/csr_exec()). */
bool translate_sys_ok(uint32_t i);
void translate_sys(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next);

/* translate_fp.c */
enum { FP_HELPER, FP_INLINE, FP_INLINE_RNE };
/* FP_INLINE: the instruction can run inline whenever FS is Dirty; FP_INLINE_RNE: also needs
 * frm = RNE (dynamic rounding); FP_HELPER: always through the helper. */
int translate_fp_kind(uint32_t i);
/* Block entry of the inline body: jumps to the fail list unless FS is Dirty (and frm is RNE
 * when frm). */
void translate_fp_guard(struct tctx *t, bool frm, uint8_t **fail, unsigned *nfail);
/* The xmm cache of f registers: emptied at the start of a body; dirty ones written to
 * hart.f[] before helpers and exits; all reloaded after helper calls. */
void translate_fp_reset(struct tctx *t);
/* Loop blocks with an inline body: loads every f register the block's F/D instructions name
 * into xmm registers (all dirty); the number of those (fp_field_regs) is at most NFPOOL. */
void translate_fp_preload(struct tctx *t, const uint32_t *insns);
unsigned translate_fp_field_regs(const uint32_t *insns, unsigned n);
void translate_fp_write_back(struct tctx *t);
/* After the body: the out-of-line NaN fix-ups (each jumps back). */
void translate_fp_fixups(struct tctx *t);
void translate_fp_reload(struct tctx *t);
/* translate_fp_emit_fold() with rax, rcx: before every helper call. */
void translate_fp_fold(struct tctx *t);
/* Emits instruction k inline (t->fp_fast, kind != FP_HELPER). */
void translate_fp(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next);

#endif
