/* FENCE, AMOs and CSR instructions inside translated blocks: FENCE inline, the others through
 * the interpreter's own code (amo_exec(), csr_exec()) as helper calls, so a block no longer
 * ends before each of them (a kernel runs hundreds of thousands of them while it boots). */
#include "accel/emu/jit/translate.h"

/* FENCE, A-extension instructions (LR/SC/AMO*), and CSR instructions: what
 * translate_sys() handles. Invalid encodings among them trap in the helper, as in the
 * interpreter. */
bool translate_sys_ok(uint32_t i)
{
	switch (i & 0x7f) {
	case 0x0f:
		return F3(i) == 0; /* not FENCE.I */
	case 0x2f:
		return F3(i) == 2 || F3(i) == 3;
	case 0x73:
		return F3(i) != 0 && F3(i) != 4; /* Zicsr */
	}
	return false;
}

/* 0 after raising, 1, or 2 when the AMO wrote translated code. */
static int helper_amo(struct hart *h, uint32_t insn)
{
	bool ok = amo_exec(h, insn);

	h->x[0] = 0;
	if (!ok)
		return 0;
	return core_of(h)->jit_dirty ? 2 : 1;
}

/* A CSR instruction at block index k of n: instret is exact there (translated code counts
 * in the budget only, which the block took n from at its entry; the dispatcher adds it to
 * instret on return; the interpreter counts the k before). 0 after raising, 2 when the block
 * must end after it (any write: privilege-dependent state, the TLB, FS/frm, interrupts),
 * else 1. */
static int helper_csr(struct hart *h, uint32_t insn, uint64_t back)
{
	unsigned f3 = F3(insn);
	bool ok, write = !((f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7) && RS1(insn) == 0);
	struct core *c = core_of(h);
	uint64_t ran = (uint64_t)(c->jit->enter_budget - c->jit_budget) - back;

	h->instret += ran;
	ok = csr_exec(h, insn);
	h->instret -= ran;
	h->x[0] = 0;
	if (!ok)
		return 0;
	return write || core_of(h)->recheck || core_of(h)->jit_dirty ? 2 : 1;
}

static void call_helper(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next,
			const void *fn)
{
	translate_set_pc(t, pc);
	translate_fp_fold(t); /* fflags exact for CSR reads */
	translate_write_back(t);
	emit_mov_rr(&t->e, true, RDI, RBX);
	emit_mov_ri(&t->e, RSI, i);
	emit_mov_ri(&t->e, RDX, t->n - k);
	translate_call(t, fn);
	translate_reload(t, RD(i));
	translate_helper_result(t, k, next);
}

void translate_sys(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next)
{
	switch (i & 0x7f) {
	case 0x0f:
		/* An x86-64 host is TSO: only store -> load ordering (pred W, succ R, not
		 * FENCE.TSO) needs a barrier, and only with other harts (as the interpreter). */
		if (t->j->smp && (i & (1U << 24)) && (i & (1U << 21)) && (i >> 28) != 8)
			emit_bytes(&t->e, (const uint8_t[]){0x0f, 0xae, 0xf0}, 3); /* mfence */
		break;
	case 0x2f:
		call_helper(t, i, k, pc, next, (const void *)helper_amo);
		break;
	default:
		call_helper(t, i, k, pc, next, (const void *)helper_csr);
		break;
	}
}
