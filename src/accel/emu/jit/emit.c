/* x86-64 instruction encoding for the translator (see emit.h). */
#include "accel/emu/jit/emit.h"

#include <string.h>

void emit_init(struct emit *e, void *buf, uint64_t size)
{
	e->p = buf;
	e->end = (uint8_t *)buf + size;
	e->overflow = false;
}

void emit_bytes(struct emit *e, const void *b, unsigned n)
{
	if (e->overflow || (uint64_t)(e->end - e->p) < n) {
		e->overflow = true;
		return;
	}
	memcpy(e->p, b, n);
	e->p += n;
}

/* One byte / four bytes: the translator's hottest path (no call, no memcpy of 1 byte). */
static inline void b1(struct emit *e, uint8_t v)
{
	if (e->p < e->end && !e->overflow)
		*e->p++ = v;
	else
		e->overflow = true;
}

static inline void b4(struct emit *e, uint32_t v)
{
	if (e->end - e->p >= 4 && !e->overflow) {
		memcpy(e->p, &v, 4);
		e->p += 4;
	} else {
		e->overflow = true;
	}
}

/* REX prefix when needed (force: always, e.g. for byte registers sil/dil). */
static void rex(struct emit *e, bool w, int reg, int index, int base, bool force)
{
	uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >= 8) ? 4 : 0) | ((index >= 8) ? 2 : 0) |
			      ((base >= 8) ? 1 : 0));

	if (r != 0x40 || force)
		b1(e, r);
}

static void modrm_reg(struct emit *e, int reg, int rm)
{
	b1(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

static void modrm_mem(struct emit *e, int reg, struct x86_mem m)
{
	int mod = m.disp == 0 && (m.base & 7) != RBP  ? 0
		  : (m.disp >= -128 && m.disp <= 127) ? 1
						      : 2;

	if (m.index != NOREG || (m.base & 7) == RSP) {
		int idx = m.index == NOREG ? RSP : m.index; /* 100 = no index */

		b1(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | 4));
		b1(e, (uint8_t)(((idx & 7) << 3) | (m.base & 7)));
	} else {
		b1(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (m.base & 7)));
	}
	if (mod == 1)
		b1(e, (uint8_t)(int8_t)m.disp);
	else if (mod == 2)
		b4(e, (uint32_t)m.disp);
}

/* opcode with a register and a memory operand. */
static void op_mem(struct emit *e, bool w, const uint8_t *opc, unsigned n, int reg,
		   struct x86_mem m, bool force_rex)
{
	rex(e, w, reg, m.index == NOREG ? 0 : m.index, m.base, force_rex);
	for (unsigned i = 0; i < n; i++)
		b1(e, opc[i]);
	modrm_mem(e, reg, m);
}

static void op_reg(struct emit *e, bool w, const uint8_t *opc, unsigned n, int reg, int rm,
		   bool force_rex)
{
	rex(e, w, reg, 0, rm, force_rex);
	for (unsigned i = 0; i < n; i++)
		b1(e, opc[i]);
	modrm_reg(e, reg, rm);
}

void emit_mov_rr(struct emit *e, bool w, int dst, int src)
{
	op_reg(e, w, (const uint8_t[]){0x8b}, 1, dst, src, false);
}

void emit_mov_rm(struct emit *e, bool w, int dst, struct x86_mem m)
{
	op_mem(e, w, (const uint8_t[]){0x8b}, 1, dst, m, false);
}

void emit_mov_mr(struct emit *e, bool w, struct x86_mem m, int src)
{
	op_mem(e, w, (const uint8_t[]){0x89}, 1, src, m, false);
}

void emit_mov_mr_narrow(struct emit *e, unsigned size, struct x86_mem m, int src)
{
	if (size == 1) {
		op_mem(e, false, (const uint8_t[]){0x88}, 1, src, m, src >= 4);
	} else {
		b1(e, 0x66);
		op_mem(e, false, (const uint8_t[]){0x89}, 1, src, m, false);
	}
}

void emit_load_ext(struct emit *e, unsigned size, bool sign, int dst, struct x86_mem m)
{
	if (size == 4) {
		if (sign)
			op_mem(e, true, (const uint8_t[]){0x63}, 1, dst, m, false);
		else
			emit_mov_rm(e, false, dst, m);
		return;
	}
	uint8_t opc[2] = {0x0f, (uint8_t)((sign ? 0xbe : 0xb6) + (size == 2))};
	op_mem(e, sign, opc, 2, dst, m, false);
}

void emit_mov_ri(struct emit *e, int dst, uint64_t imm)
{
	if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
		rex(e, false, 0, 0, dst, false);
		b1(e, (uint8_t)(0xb8 + (dst & 7)));
		b4(e, (uint32_t)imm);
	} else if ((int64_t)imm == (int32_t)imm) { /* mov r/m64, simm32 */
		op_reg(e, true, (const uint8_t[]){0xc7}, 1, 0, dst, false);
		b4(e, (uint32_t)imm);
	} else {
		rex(e, true, 0, 0, dst, false);
		b1(e, (uint8_t)(0xb8 + (dst & 7)));
		emit_bytes(e, &imm, 8);
	}
}

void emit_mov_mi(struct emit *e, struct x86_mem m, int32_t imm)
{
	op_mem(e, true, (const uint8_t[]){0xc7}, 1, 0, m, false);
	b4(e, (uint32_t)imm);
}

void emit_lea(struct emit *e, int dst, struct x86_mem m)
{
	op_mem(e, true, (const uint8_t[]){0x8d}, 1, dst, m, false);
}

void emit_alu_rr(struct emit *e, bool w, enum x86_alu op, int dst, int src)
{
	op_reg(e, w, (const uint8_t[]){(uint8_t)(op * 8 + 3)}, 1, dst, src, false);
}

void emit_alu_rm(struct emit *e, bool w, enum x86_alu op, int dst, struct x86_mem m)
{
	op_mem(e, w, (const uint8_t[]){(uint8_t)(op * 8 + 3)}, 1, dst, m, false);
}

void emit_alu_ri(struct emit *e, bool w, enum x86_alu op, int dst, int32_t imm)
{
	bool small = imm >= -128 && imm <= 127;

	op_reg(e, w, (const uint8_t[]){small ? 0x83 : 0x81}, 1, (int)op, dst, false);
	if (small)
		b1(e, (uint8_t)(int8_t)imm);
	else
		b4(e, (uint32_t)imm);
}

void emit_alu_mi(struct emit *e, bool w, enum x86_alu op, struct x86_mem m, int32_t imm)
{
	bool small = imm >= -128 && imm <= 127;

	op_mem(e, w, (const uint8_t[]){small ? 0x83 : 0x81}, 1, (int)op, m, false);
	if (small)
		b1(e, (uint8_t)(int8_t)imm);
	else
		b4(e, (uint32_t)imm);
}

void emit_shift_ri(struct emit *e, bool w, enum x86_shift op, int dst, unsigned n)
{
	op_reg(e, w, (const uint8_t[]){0xc1}, 1, (int)op, dst, false);
	b1(e, (uint8_t)n);
}

void emit_shift_cl(struct emit *e, bool w, enum x86_shift op, int dst)
{
	op_reg(e, w, (const uint8_t[]){0xd3}, 1, (int)op, dst, false);
}

void emit_imul_rr(struct emit *e, bool w, int dst, int src)
{
	op_reg(e, w, (const uint8_t[]){0x0f, 0xaf}, 2, dst, src, false);
}

void emit_mul1(struct emit *e, bool sign, int src)
{
	op_reg(e, true, (const uint8_t[]){0xf7}, 1, sign ? 5 : 4, src, false);
}

void emit_movsxd(struct emit *e, int dst, int src)
{
	op_reg(e, true, (const uint8_t[]){0x63}, 1, dst, src, false);
}

void emit_setcc(struct emit *e, enum x86_cc cc, int dst)
{
	op_reg(e, false, (const uint8_t[]){0x0f, (uint8_t)(0x90 + cc)}, 2, 0, dst, dst >= 4);
	op_reg(e, false, (const uint8_t[]){0x0f, 0xb6}, 2, dst, dst, dst >= 4); /* movzx r32, r8 */
}

void emit_test_rr(struct emit *e, bool w, int a, int b)
{
	op_reg(e, w, (const uint8_t[]){0x85}, 1, b, a, false);
}

void emit_test_mi8(struct emit *e, struct x86_mem m, uint8_t imm)
{
	op_mem(e, false, (const uint8_t[]){0xf6}, 1, 0, m, false);
	b1(e, imm);
}

void emit_push(struct emit *e, int r)
{
	rex(e, false, 0, 0, r, false);
	b1(e, (uint8_t)(0x50 + (r & 7)));
}

void emit_pop(struct emit *e, int r)
{
	rex(e, false, 0, 0, r, false);
	b1(e, (uint8_t)(0x58 + (r & 7)));
}

void emit_ret(struct emit *e)
{
	b1(e, 0xc3);
}

void emit_call_abs(struct emit *e, const void *fn)
{
	emit_mov_ri(e, RAX, (uint64_t)(uintptr_t)fn);
	op_reg(e, false, (const uint8_t[]){0xff}, 1, 2, RAX, false);
}

void emit_jmp_reg(struct emit *e, int r)
{
	op_reg(e, false, (const uint8_t[]){0xff}, 1, 4, r, false);
}

void emit_alu_mr(struct emit *e, bool w, enum x86_alu op, struct x86_mem m, int src)
{
	op_mem(e, w, (const uint8_t[]){(uint8_t)(op * 8 + 1)}, 1, src, m, false);
}

void emit_sse_rm(struct emit *e, uint8_t pfx, enum x86_sse op, bool w, int reg, struct x86_mem m)
{
	if (pfx)
		b1(e, pfx);
	op_mem(e, w, (const uint8_t[]){0x0f, (uint8_t)op}, 2, reg, m, false);
}

void emit_sse_rr(struct emit *e, uint8_t pfx, enum x86_sse op, bool w, int reg, int rm)
{
	if (pfx)
		b1(e, pfx);
	op_reg(e, w, (const uint8_t[]){0x0f, (uint8_t)op}, 2, reg, rm, false);
}

void emit_patch_rel32(uint8_t *field, const void *target)
{
	int32_t rel = target ? (int32_t)((const uint8_t *)target - (field + 4)) : 0;

	memcpy(field, &rel, 4);
}

uint8_t *emit_jcc(struct emit *e, enum x86_cc cc, const void *target)
{
	uint8_t *f;

	b1(e, 0x0f);
	b1(e, (uint8_t)(0x80 + cc));
	f = e->p;
	b4(e, 0);
	if (!e->overflow)
		emit_patch_rel32(f, target);
	return e->overflow ? NULL : f;
}

uint8_t *emit_jmp(struct emit *e, const void *target)
{
	uint8_t *f;

	b1(e, 0xe9);
	f = e->p;
	b4(e, 0);
	if (!e->overflow)
		emit_patch_rel32(f, target);
	return e->overflow ? NULL : f;
}
