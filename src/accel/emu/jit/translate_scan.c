/* Block discovery: which instructions the translator handles, where a block ends. */
#include "accel/emu/jit/translate.h"

/* Whether the expanded instruction is one the translator handles. */
static bool translatable(uint32_t i)
{
	unsigned f3 = F3(i), f7 = F7(i);

	switch (i & 0x7f) {
	case 0x37:
	case 0x17:
	case 0x6f:
		return true;
	case 0x67:
		return f3 == 0;
	case 0x63:
		return f3 != 2 && f3 != 3;
	case 0x03:
		return f3 != 7;
	case 0x23:
		return f3 <= 3;
	case 0x13:
		if (f3 == 1)
			return (i >> 26) == 0;
		if (f3 == 5)
			return (i >> 26) == 0 || (i >> 26) == 0x10;
		return true;
	case 0x1b:
		if (f3 == 0)
			return true;
		if (f3 == 1)
			return f7 == 0;
		return f3 == 5 && (f7 == 0 || f7 == 0x20);
	case 0x33:
		return f7 == 0 || f7 == 1 || (f7 == 0x20 && (f3 == 0 || f3 == 5));
	case 0x07:
	case 0x27:
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f:
	case 0x53:
		return true; /* helper_fp() */
	case 0x0f:
	case 0x2f:
	case 0x73:
		return translate_sys_ok(i); /* translate_sys.c */
	case 0x3b:
		if (f7 == 0)
			return f3 == 0 || f3 == 1 || f3 == 5;
		if (f7 == 0x20)
			return f3 == 0 || f3 == 5;
		return f7 == 1 && (f3 == 0 || f3 >= 4);
	}
	return false;
}

/* Target of the block's last instruction, a branch or JAL (else 1: never a pc). */
uint64_t translate_loop_target(uint64_t pc, const uint32_t *insns, const uint8_t *lens, unsigned n)
{
	uint32_t i = insns[n - 1];

	for (unsigned k = 0; k + 1 < n; k++)
		pc += lens[k];
	if ((i & 0x7f) == 0x63)
		return pc +
		       (uint64_t)(int64_t)(int32_t)((uint32_t)((int32_t)(i & 0x80000000U) >> 19) |
						    ((i & 0x80) << 4) | ((i >> 20) & 0x7e0) |
						    ((i >> 7) & 0x1e));
	if ((i & 0x7f) == 0x6f)
		return pc +
		       (uint64_t)(int64_t)(int32_t)((uint32_t)((int32_t)(i & 0x80000000U) >> 11) |
						    (i & 0xff000) | ((i >> 9) & 0x800) |
						    ((i >> 20) & 0x7fe));
	return 1;
}

bool translate_is_jump(uint32_t i)
{
	return (i & 0x7f) == 0x63 || (i & 0x7f) == 0x6f || (i & 0x7f) == 0x67;
}

/* Decodes the block: fills insns/pcs, returns the count; *ends says the last one is a
 * control transfer. */
unsigned translate_scan(const uint8_t *page, uint64_t pc, uint32_t *insns, uint8_t *lens,
			bool *ends)
{
	unsigned n = 0;
	uint64_t start = pc;

	*ends = false;
	while (n < JIT_MAX_INSNS) {
		unsigned off = (unsigned)(pc & PG_MASK);
		uint16_t lo;
		uint32_t insn;

		memcpy(&lo, page + off, 2);
		if ((lo & 3) != 3) {
			insn = rvc_table[lo];
			lens[n] = 2;
		} else {
			if (off > PG_SIZE - 4)
				break; /* crosses the page: left to the interpreter */
			memcpy(&insn, page + off, 4);
			lens[n] = 4;
		}
		if (!translatable(insn))
			break;
		insns[n++] = insn;
		pc += lens[n - 1];
		/* Conditional branches do not end a block (superblocks: the taken path is a side
		 * exit); jumps do. */
		if ((insn & 0x7f) == 0x6f || (insn & 0x7f) == 0x67)
			break;
		if ((insn & 0x7f) == 0x63 && translate_loop_target(start, insns, lens, n) == start)
			break; /* a loop's back edge: ends the block (loop blocks, below) */
		if ((pc & PG_MASK) == 0)
			break;
	}
	*ends = n && translate_is_jump(insns[n - 1]);
	return n;
}

/* Distinct nonzero registers in the register fields of the block's instructions. */
unsigned translate_field_regs(const uint32_t *insns, unsigned n)
{
	uint32_t set = 0;

	for (unsigned k = 0; k < n; k++)
		set |= translate_x_regs(insns[k]);
	return (unsigned)__builtin_popcount(set);
}

uint32_t translate_x_regs(uint32_t i)
{
	uint32_t rd = 1U << RD(i), rs1 = 1U << RS1(i);

	switch (i & 0x7f) {
	case 0x07: /* FP loads and stores: the address register */
	case 0x27:
		return rs1 & ~1U;
	case 0x43: /* fused multiply-add */
	case 0x47:
	case 0x4b:
	case 0x4f:
		return 0;
	case 0x53:
		switch (F7(i)) {
		case 0x50: /* compares */
		case 0x51:
		case 0x60: /* conversions to integers */
		case 0x61:
		case 0x70: /* moves to integers, classify */
		case 0x71:
			return rd & ~1U;
		case 0x68: /* conversions from integers */
		case 0x69:
		case 0x78: /* moves from integers */
		case 0x79:
			return rs1 & ~1U;
		}
		return 0;
	}
	return (rd | rs1 | 1U << RS2(i)) & ~1U;
}
