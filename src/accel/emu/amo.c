/* The A extension: LR/SC and AMOs, done with host atomics on the host pointer of guest RAM so
 * harts on different host threads see correct ordering. SC is a compare-and-swap against the
 * value LR read: it fails when the reservation was dropped (another SC, a trap-free LR
 * elsewhere) or the word changed since the LR. */
#include "accel/emu/core.h"

enum {
	AMO_ADD = 0x00,
	AMO_SWAP = 0x01,
	AMO_LR = 0x02,
	AMO_SC = 0x03,
	AMO_XOR = 0x04,
	AMO_OR = 0x08,
	AMO_AND = 0x0c,
	AMO_MIN = 0x10,
	AMO_MAX = 0x14,
	AMO_MINU = 0x18,
	AMO_MAXU = 0x1c,
};

static bool amo_lr(struct hart *h, uint32_t insn, uint64_t va, unsigned size)
{
	uint64_t v, pa;
	void *p = mmu_atomic_ptr(h, va, size, false, &pa);

	if (!p)
		return false;
	if (size == 4)
		v = __atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE);
	else
		v = __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
	h->lr_valid = true;
	h->lr_pa = pa;
	core_of(h)->lr_val = v;
	h->x[(insn >> 7) & 31] = size == 4 ? sext32(v) : v;
	return true;
}

static bool amo_sc(struct hart *h, uint32_t insn, uint64_t va, unsigned size)
{
	uint64_t pa;
	void *p = mmu_atomic_ptr(h, va, size, true, &pa);
	uint64_t src = h->x[(insn >> 20) & 31];
	bool ok = false;

	if (!p)
		return false;
	if (h->lr_valid && h->lr_pa == pa) {
		uint64_t expect = core_of(h)->lr_val;

		if (size == 4) {
			uint32_t e32 = (uint32_t)expect;

			ok = __atomic_compare_exchange_n((uint32_t *)p, &e32, (uint32_t)src, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		} else {
			ok = __atomic_compare_exchange_n((uint64_t *)p, &expect, src, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		}
	}
	h->lr_valid = false;
	h->x[(insn >> 7) & 31] = ok ? 0 : 1;
	return true;
}

static uint64_t amo_op(unsigned f5, uint64_t old, uint64_t src, unsigned size)
{
	int64_t so = size == 4 ? (int32_t)old : (int64_t)old;
	int64_t ss = size == 4 ? (int32_t)src : (int64_t)src;
	uint64_t uo = size == 4 ? (uint32_t)old : old, us = size == 4 ? (uint32_t)src : src;

	switch (f5) {
	case AMO_ADD:
		return old + src;
	case AMO_SWAP:
		return src;
	case AMO_XOR:
		return old ^ src;
	case AMO_OR:
		return old | src;
	case AMO_AND:
		return old & src;
	case AMO_MIN:
		return so < ss ? old : src;
	case AMO_MAX:
		return so > ss ? old : src;
	case AMO_MINU:
		return uo < us ? old : src;
	default:
		return uo > us ? old : src;
	}
}

static bool amo_valid(unsigned f5)
{
	switch (f5) {
	case AMO_ADD:
	case AMO_SWAP:
	case AMO_XOR:
	case AMO_OR:
	case AMO_AND:
	case AMO_MIN:
	case AMO_MAX:
	case AMO_MINU:
	case AMO_MAXU:
		return true;
	}
	return false;
}

bool amo_exec(struct hart *h, uint32_t insn)
{
	unsigned f3 = (insn >> 12) & 7, f5 = insn >> 27;
	unsigned size = f3 == 2 ? 4 : 8;
	uint64_t va = h->x[(insn >> 15) & 31], src = h->x[(insn >> 20) & 31], old, pa;
	void *p;

	if (f3 != 2 && f3 != 3)
		goto illegal;
	if (f5 == AMO_LR) {
		if ((insn >> 20) & 31)
			goto illegal;
		return amo_lr(h, insn, va, size);
	}
	if (f5 == AMO_SC)
		return amo_sc(h, insn, va, size);
	if (!amo_valid(f5))
		goto illegal;
	p = mmu_atomic_ptr(h, va, size, true, &pa);
	if (!p)
		return false;
	if (size == 4) {
		uint32_t o = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);

		while (!__atomic_compare_exchange_n((uint32_t *)p, &o,
						    (uint32_t)amo_op(f5, o, src, 4), false,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		old = sext32(o);
	} else {
		uint64_t o = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);

		while (!__atomic_compare_exchange_n((uint64_t *)p, &o, amo_op(f5, o, src, 8), false,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		old = o;
	}
	h->x[(insn >> 7) & 31] = old;
	h->x[0] = 0;
	return true;
illegal:
	hart_raise(h, EXC_ILLEGAL_INSN, insn);
	return false;
}
