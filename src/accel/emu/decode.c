/* RVC: every 16-bit instruction is expanded to the 32-bit instruction it stands for, so the
 * interpreter has one execute path. Reserved encodings expand to 0 (illegal). */
#include "accel/emu/core.h"

#include <pthread.h>

#define BIT(c, n)	(((uint32_t)(c) >> (n)) & 1)
#define BITS(c, hi, lo) (((uint32_t)(c) >> (lo)) & ((1U << ((hi) - (lo) + 1)) - 1))

static uint32_t enc_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
	return (uint32_t)imm << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned op)
{
	uint32_t u = (uint32_t)imm;

	return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op;
}

static uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
		      unsigned op)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_b(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3)
{
	uint32_t u = (uint32_t)imm;

	return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | 0x63;
}

static uint32_t enc_j(int32_t imm, unsigned rd)
{
	uint32_t u = (uint32_t)imm;

	return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 |
	       (u >> 12 & 0xff) << 12 | rd << 7 | 0x6f;
}

/* Sign-extends the low bits bits of v. */
static int32_t sx(uint32_t v, unsigned bits)
{
	return (int32_t)(v << (32 - bits)) >> (32 - bits);
}

static uint32_t q0(uint16_t c)
{
	unsigned rd = 8 + BITS(c, 4, 2), rs1 = 8 + BITS(c, 9, 7);
	uint32_t uw = BITS(c, 12, 10) << 3 | BIT(c, 6) << 2 | BIT(c, 5) << 6; /* word */
	uint32_t ud = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;	      /* double */

	switch (BITS(c, 15, 13)) {
	case 0: { /* C.ADDI4SPN */
		uint32_t imm =
		    BITS(c, 12, 11) << 4 | BITS(c, 10, 7) << 6 | BIT(c, 6) << 2 | BIT(c, 5) << 3;
		return imm ? enc_i((int32_t)imm, 2, 0, rd, 0x13) : 0;
	}
	case 1: /* C.FLD */
		return enc_i((int32_t)ud, rs1, 3, rd, 0x07);
	case 2: /* C.LW */
		return enc_i((int32_t)uw, rs1, 2, rd, 0x03);
	case 3: /* C.LD */
		return enc_i((int32_t)ud, rs1, 3, rd, 0x03);
	case 5: /* C.FSD */
		return enc_s((int32_t)ud, rd, rs1, 3, 0x27);
	case 6: /* C.SW */
		return enc_s((int32_t)uw, rd, rs1, 2, 0x23);
	case 7: /* C.SD */
		return enc_s((int32_t)ud, rd, rs1, 3, 0x23);
	}
	return 0;
}

static uint32_t q1_arith(uint16_t c)
{
	unsigned r = 8 + BITS(c, 9, 7), rs2 = 8 + BITS(c, 4, 2);
	uint32_t shamt = BIT(c, 12) << 5 | BITS(c, 6, 2);

	switch (BITS(c, 11, 10)) {
	case 0: /* C.SRLI */
		return enc_i((int32_t)shamt, r, 5, r, 0x13);
	case 1: /* C.SRAI */
		return enc_i((int32_t)(shamt | 0x400), r, 5, r, 0x13);
	case 2: /* C.ANDI */
		return enc_i(sx(shamt, 6), r, 7, r, 0x13);
	}
	if (!BIT(c, 12)) {
		static const unsigned f3[4] = {0, 4, 6, 7}; /* SUB XOR OR AND */
		unsigned k = BITS(c, 6, 5);

		return enc_r(k == 0 ? 0x20 : 0, rs2, r, f3[k], r, 0x33);
	}
	switch (BITS(c, 6, 5)) {
	case 0: /* C.SUBW */
		return enc_r(0x20, rs2, r, 0, r, 0x3b);
	case 1: /* C.ADDW */
		return enc_r(0, rs2, r, 0, r, 0x3b);
	}
	return 0;
}

static uint32_t q1(uint16_t c)
{
	unsigned rd = BITS(c, 11, 7);
	int32_t imm6 = sx(BIT(c, 12) << 5 | BITS(c, 6, 2), 6);

	switch (BITS(c, 15, 13)) {
	case 0: /* C.ADDI (C.NOP when rd = 0) */
		return enc_i(imm6, rd, 0, rd, 0x13);
	case 1: /* C.ADDIW */
		return rd ? enc_i(imm6, rd, 0, rd, 0x1b) : 0;
	case 2: /* C.LI */
		return enc_i(imm6, 0, 0, rd, 0x13);
	case 3:
		if (rd == 2) { /* C.ADDI16SP */
			uint32_t u = BIT(c, 12) << 9 | BIT(c, 6) << 4 | BIT(c, 5) << 6 |
				     BITS(c, 4, 3) << 7 | BIT(c, 2) << 5;
			return u ? enc_i(sx(u, 10), 2, 0, 2, 0x13) : 0;
		} else { /* C.LUI */
			uint32_t u = BIT(c, 12) << 17 | BITS(c, 6, 2) << 12;
			return u ? ((uint32_t)sx(u, 18) & 0xfffff000U) | rd << 7 | 0x37 : 0;
		}
	case 4:
		return q1_arith(c);
	case 5: { /* C.J */
		uint32_t u = BIT(c, 12) << 11 | BIT(c, 11) << 4 | BITS(c, 10, 9) << 8 |
			     BIT(c, 8) << 10 | BIT(c, 7) << 6 | BIT(c, 6) << 7 |
			     BITS(c, 5, 3) << 1 | BIT(c, 2) << 5;
		return enc_j(sx(u, 12), 0);
	}
	default: { /* C.BEQZ, C.BNEZ */
		uint32_t u = BIT(c, 12) << 8 | BITS(c, 11, 10) << 3 | BITS(c, 6, 5) << 6 |
			     BITS(c, 4, 3) << 1 | BIT(c, 2) << 5;
		return enc_b(sx(u, 9), 0, 8 + BITS(c, 9, 7), BIT(c, 13));
	}
	}
}

static uint32_t q2(uint16_t c)
{
	unsigned rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
	uint32_t ldsp = BIT(c, 12) << 5 | BITS(c, 6, 5) << 3 | BITS(c, 4, 2) << 6;
	uint32_t sdsp = BITS(c, 12, 10) << 3 | BITS(c, 9, 7) << 6;

	switch (BITS(c, 15, 13)) {
	case 0: /* C.SLLI */
		return enc_i((int32_t)(BIT(c, 12) << 5 | rs2), rd, 1, rd, 0x13);
	case 1: /* C.FLDSP */
		return enc_i((int32_t)ldsp, 2, 3, rd, 0x07);
	case 2: { /* C.LWSP */
		uint32_t u = BIT(c, 12) << 5 | BITS(c, 6, 4) << 2 | BITS(c, 3, 2) << 6;
		return rd ? enc_i((int32_t)u, 2, 2, rd, 0x03) : 0;
	}
	case 3: /* C.LDSP */
		return rd ? enc_i((int32_t)ldsp, 2, 3, rd, 0x03) : 0;
	case 4:
		if (!BIT(c, 12)) {
			if (!rs2) /* C.JR */
				return rd ? enc_i(0, rd, 0, 0, 0x67) : 0;
			return enc_r(0, rs2, 0, 0, rd, 0x33); /* C.MV */
		}
		if (!rs2) {
			if (!rd)
				return 0x00100073;	 /* C.EBREAK */
			return enc_i(0, rd, 0, 1, 0x67); /* C.JALR */
		}
		return enc_r(0, rs2, rd, 0, rd, 0x33); /* C.ADD */
	case 5:					       /* C.FSDSP */
		return enc_s((int32_t)sdsp, rs2, 2, 3, 0x27);
	case 6: { /* C.SWSP */
		uint32_t u = BITS(c, 12, 9) << 2 | BITS(c, 8, 7) << 6;
		return enc_s((int32_t)u, rs2, 2, 2, 0x23);
	}
	default: /* C.SDSP */
		return enc_s((int32_t)sdsp, rs2, 2, 3, 0x23);
	}
}

static uint32_t rvc_expand_slow(uint16_t c)
{
	switch (c & 3) {
	case 0:
		return q0(c);
	case 1:
		return q1(c);
	case 2:
		return q2(c);
	}
	return 0;
}

/* Expansion is a pure function of the 16 bits: a table makes it one load in the fast path. */
uint32_t rvc_table[1 << 16];

static void rvc_table_fill(void)
{
	for (uint32_t c = 0; c < (1U << 16); c++)
		rvc_table[c] = rvc_expand_slow((uint16_t)c);
}

void rvc_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, rvc_table_fill);
}

uint32_t rvc_expand(uint16_t c)
{
	return rvc_expand_slow(c);
}
