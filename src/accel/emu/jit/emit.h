/* A small x86-64 machine-code emitter for the translator: the handful of integer
 * instructions it needs, with REX prefixes and [base + index + disp] memory operands. */
#ifndef GASANG_ACCEL_EMU_JIT_EMIT_H
#define GASANG_ACCEL_EMU_JIT_EMIT_H

#include <stdbool.h>
#include <stdint.h>

enum x86_reg {
	RAX,
	RCX,
	RDX,
	RBX,
	RSP,
	RBP,
	RSI,
	RDI,
	R8,
	R9,
	R10,
	R11,
	R12,
	R13,
	R14,
	R15,
	NOREG = -1,
};

/* Condition codes (the low nibble of Jcc/SETcc). */
enum x86_cc {
	CC_O = 0,
	CC_B = 2,
	CC_AE = 3,
	CC_E = 4,
	CC_NE = 5,
	CC_BE = 6,
	CC_A = 7,
	CC_S = 8,
	CC_NS = 9,
	CC_P = 10,
	CC_NP = 11,
	CC_L = 12,
	CC_GE = 13,
	CC_LE = 14,
	CC_G = 15,
};

/* Two-operand ALU operations (their /digit in the 0x81 group). */
enum x86_alu { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };
enum x86_shift { SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

/* A memory operand: [base + index + disp]; index NOREG when absent. */
struct x86_mem {
	int base, index;
	int32_t disp;
};

static inline struct x86_mem MEM(int base, int32_t disp) {
	return (struct x86_mem){base, NOREG, disp};
}

static inline struct x86_mem
MEMX(int base, int index, int32_t disp) {
	return (struct x86_mem){base, index, disp};
}

/* Output buffer; overflow is sticky and checked once at the end of a translation. */
struct emit {
	uint8_t *p, *end;
	bool overflow;
};

void emit_init(struct emit *e, void *buf, uint64_t size);
void emit_bytes(struct emit *e, const void *b, unsigned n);

/* w: 64-bit operation (REX.W) when true, 32-bit otherwise. */
void emit_mov_rr(struct emit *e, bool w, int dst, int src);
void emit_mov_rm(struct emit *e, bool w, int dst, struct x86_mem m); /* load */
void emit_mov_mr(struct emit *e, bool w, struct x86_mem m, int src); /* store */
/* Stores of 1 or 2 bytes of src. */
void emit_mov_mr_narrow(struct emit *e, unsigned size, struct x86_mem m, int src);
/* Loads of size 1, 2 or 4 bytes, zero- or sign-extended to 64 bits. */
void emit_load_ext(struct emit *e, unsigned size, bool sign, int dst, struct x86_mem m);
void emit_mov_ri(struct emit *e, int dst, uint64_t imm);	 /* shortest encoding */
void emit_mov_mi(struct emit *e, struct x86_mem m, int32_t imm); /* qword, sign-extended */
void emit_lea(struct emit *e, int dst, struct x86_mem m);
void emit_alu_rr(struct emit *e, bool w, enum x86_alu op, int dst, int src);
void emit_alu_rm(struct emit *e, bool w, enum x86_alu op, int dst, struct x86_mem m);
void emit_alu_ri(struct emit *e, bool w, enum x86_alu op, int dst, int32_t imm);
void emit_alu_mi(struct emit *e, bool w, enum x86_alu op, struct x86_mem m, int32_t imm);
void emit_shift_ri(struct emit *e, bool w, enum x86_shift op, int dst, unsigned n);
void emit_shift_cl(struct emit *e, bool w, enum x86_shift op, int dst);
void emit_imul_rr(struct emit *e, bool w, int dst, int src);
/* rdx:rax = rax * src, signed (imul) or unsigned (mul). */
void emit_mul1(struct emit *e, bool sign, int src);
void emit_movsxd(struct emit *e, int dst, int src);	  /* dst = sext(src[31:0]) */
void emit_setcc(struct emit *e, enum x86_cc cc, int dst); /* dst = cc ? 1 : 0 (64-bit) */
void emit_test_rr(struct emit *e, bool w, int a, int b);
void emit_test_mi8(struct emit *e, struct x86_mem m, uint8_t imm); /* test byte [m], imm */
void emit_push(struct emit *e, int r);
void emit_pop(struct emit *e, int r);
void emit_ret(struct emit *e);
void emit_call_abs(struct emit *e, const void *fn); /* through rax */
void emit_jmp_reg(struct emit *e, int r);
/* dst op= src for memory (op*8+1: add/or/and/sub/xor/cmp [m], reg). */
void emit_alu_mr(struct emit *e, bool w, enum x86_alu op, struct x86_mem m, int src);

/* SSE2 scalar forms: [pfx] [REX] 0F op /r. reg is an xmm register (or a /digit), rm a memory
 * operand or a register (xmm or general purpose, depending on op); w sets REX.W. */
enum x86_sse {
	SSE_MOVSD_LOAD = 0x10,	/* F2: xmm <- m64 */
	SSE_MOVSD_STORE = 0x11, /* F2: m64 <- xmm */
	SSE_MOVAPD = 0x28,	/* 66: xmm <- xmm (whole register) */
	SSE_CVTSI2SD = 0x2a,	/* F2: xmm <- r32/r64 (w) */
	SSE_UCOMISD = 0x2e,	/* 66 */
	SSE_COMISD = 0x2f,	/* 66 */
	SSE_SQRTSD = 0x51,
	SSE_ADDSD = 0x58,
	SSE_MULSD = 0x59,
	SSE_SUBSD = 0x5c,
	SSE_DIVSD = 0x5e,
	SSE_MOVQ_TO_XMM = 0x6e,	  /* 66 REX.W: xmm <- r64 */
	SSE_MOVQ_FROM_XMM = 0x7e, /* 66 REX.W: r64 <- xmm (rm is the gpr) */
	SSE_MXCSR = 0xae,	  /* reg 2: ldmxcsr m32, reg 3: stmxcsr m32 */
};
void emit_sse_rm(struct emit *e, uint8_t pfx, enum x86_sse op, bool w, int reg, struct x86_mem m);
void emit_sse_rr(struct emit *e, uint8_t pfx, enum x86_sse op, bool w, int reg, int rm);

/* Relative jumps: return the address of the rel32 field, to patch with emit_patch_rel32(). */
uint8_t *emit_jcc(struct emit *e, enum x86_cc cc, const void *target);
uint8_t *emit_jmp(struct emit *e, const void *target);
/* Points a rel32 field at target (target NULL: the next instruction). */
void emit_patch_rel32(uint8_t *field, const void *target);

#endif
