/* Integer loads and stores: the soft-TLB fast path inline, the miss path (helper_load /
 * helper_store: mmu_load_slow / mmu_store_slow, which may raise) after the block body. */
#include "accel/emu/jit/translate.h"

#include "machine/machine.h"

#define OFF_DCTX ((int32_t)offsetof(struct core, dctx))

static bool helper_load(struct hart *h, uint64_t va, unsigned info)
{
	unsigned f3 = info & 7, rd = info >> 8;
	uint64_t v;

	if (!mmu_load_slow(h, va, 1U << (f3 & 3), &v))
		return false;
	switch (f3) {
	case 0:
		v = (uint64_t)(int64_t)(int8_t)v;
		break;
	case 1:
		v = (uint64_t)(int64_t)(int16_t)v;
		break;
	case 2:
		v = sext32(v);
		break;
	}
	if (rd)
		h->x[rd] = v;
	return true;
}

static int helper_store(struct hart *h, uint64_t va, uint64_t val, unsigned size)
{
	if (!mmu_store_slow(h, va, size, val))
		return 0;
	return core_of(h)->jit_dirty ? 2 : 1;
}

/* rsi = effective address; rax = TLB index * 16; flags = tag compare. */
uint8_t *translate_tlb_check(struct tctx *t, unsigned acc, unsigned rs1, int32_t imm, unsigned size)
{
	_Static_assert(TLB_SIZE <= (1U << (31 - PG_SHIFT)), "the TLB index fits 32-bit ops");
	if (rs1)
		emit_lea(&t->e, RDX, MEM(translate_cache_reg(t, rs1, true), imm));
	else
		emit_mov_ri(&t->e, RDX, (uint64_t)(int64_t)imm);
	emit_mov_rr(&t->e, false, RAX, RDX);
	emit_shift_ri(&t->e, false, SH_SHR, RAX, PG_SHIFT - 4);
	emit_alu_ri(&t->e, false, ALU_AND, RAX, (TLB_SIZE - 1) << 4);
	emit_mov_rr(&t->e, true, RCX, RDX);
	emit_alu_ri(&t->e, true, ALU_AND, RCX, (int32_t) ~(PG_MASK & ~(uint64_t)(size - 1)));
	emit_alu_rm(&t->e, true, ALU_OR, RCX, MEM(R12, OFF_DCTX)); /* translation context */
	emit_alu_rm(&t->e, true, ALU_CMP, RCX, MEMX(R12, RAX, OFF_TLB(acc)));
	return emit_jcc(&t->e, CC_NE, NULL);
}

/* Records the TLB-miss path of access k (jump: the tag compare's jcc), emitted by
 * translate_slow_path() after the body with the register-cache state of now. */
static void defer_slow(struct tctx *t, uint8_t *jump, uint32_t i, unsigned k, uint64_t pc,
		       uint64_t next, int v)
{
	struct slow_path *s;

	if (!jump)
		return; /* the buffer overflowed: the translation is thrown away */
	if (t->nslow >= JIT_MAX_INSNS) {
		t->e.overflow = true; /* cannot happen: one access per instruction */
		return;
	}
	s = &t->slow[t->nslow++];
	*s = (struct slow_path){
	    .jump = jump, .resume = t->e.p, .i = i, .k = k, .pc = pc, .next = next, .v = v};
	memcpy(s->slot_of, t->slot_of, sizeof(s->slot_of));
	memcpy(s->dirty, t->dirty, sizeof(s->dirty));
	memcpy(s->fslot_of, t->fslot_of, sizeof(s->fslot_of));
	memcpy(s->fdirty, t->fdirty, sizeof(s->fdirty));
}

/* rdx = the guest address: helper_load() or helper_store(), then back to the hot path (or
 * out of the block after a trap or a write to translated code). */
void translate_slow_path(struct tctx *t, const struct slow_path *s)
{
	uint32_t i = s->i;

	memcpy(t->slot_of, s->slot_of, sizeof(t->slot_of));
	memcpy(t->dirty, s->dirty, sizeof(t->dirty));
	memcpy(t->fslot_of, s->fslot_of, sizeof(t->fslot_of));
	memcpy(t->fdirty, s->fdirty, sizeof(t->fdirty));
	emit_patch_rel32(s->jump, t->e.p);
	if (s->from_rax)
		emit_lea(&t->e, RDX, MEM(RAX, s->lo));
	translate_set_pc(t, s->pc);
	translate_fp_fold(t);
	translate_write_back(t);
	if ((i & 0x7f) == 0x03) {
		emit_mov_rr(&t->e, true, RSI, RDX);
		emit_mov_rr(&t->e, true, RDI, RBX);
		emit_mov_ri(&t->e, RDX, F3(i) | RD(i) << 8);
		translate_call(t, (const void *)helper_load);
		translate_reload(t, RD(i));
		emit_test_rr(&t->e, false, RAX, RAX);
		emit_jcc(&t->e, CC_NE, s->resume);
		translate_exit_after(t, s->k, 0);
		return;
	}
	if (RS2(i))
		emit_mov_rr(&t->e, true, RAX, s->v);
	else
		emit_alu_rr(&t->e, false, ALU_XOR, RAX, RAX);
	emit_mov_rr(&t->e, true, RSI, RDX);
	emit_mov_rr(&t->e, true, RDX, RAX);
	emit_mov_rr(&t->e, true, RDI, RBX);
	emit_mov_ri(&t->e, RCX, 1U << F3(i));
	translate_call(t, (const void *)helper_store);
	translate_reload(t, 0);
	translate_helper_result(t, s->k, s->next);
	emit_jmp(&t->e, s->resume);
}

void translate_flat_init(struct tctx *t, struct hart *h)
{
	const struct guest_mem *m = &h->plat->m->mem;
	struct core *c = core_of(h);

	t->flat = h->plat->flat_loads && m->n == 1 && m->r[0].size >= 8;
	if (!t->flat)
		return;
	t->flat_lo = m->r[0].gpa;
	c->jit_flat_lo = m->r[0].gpa;
	c->jit_flat_span = m->r[0].size - 8;
	c->jit_flat_hva = m->r[0].hva;
}

/* rdx = the guest address, rax = its host address; the jump taken when it is outside RAM
 * (or in its last 8 bytes): the slow path, which faults exactly as the interpreter. With RAM
 * below 2 GiB (the process VM's), rax = guest address - lo only and rdx is not set: the slow
 * path computes it (*from_rax). */
static uint8_t *flat_check(struct tctx *t, unsigned rs1, int32_t imm, bool *from_rax)
{
	*from_rax = t->flat_lo <= INT32_MAX - 4096;
	if (*from_rax) {
		int32_t off = imm - (int32_t)t->flat_lo;

		if (rs1)
			emit_lea(&t->e, RAX, MEM(translate_cache_reg(t, rs1, true), off));
		else
			emit_mov_ri(&t->e, RAX, (uint64_t)(int64_t)off);
		emit_alu_rm(&t->e, true, ALU_CMP, RAX,
			    MEM(R12, (int32_t)offsetof(struct core, jit_flat_span)));
		return emit_jcc(&t->e, CC_A, NULL);
	}
	if (rs1)
		emit_lea(&t->e, RDX, MEM(translate_cache_reg(t, rs1, true), imm));
	else
		emit_mov_ri(&t->e, RDX, (uint64_t)(int64_t)imm);
	emit_mov_rr(&t->e, true, RAX, RDX);
	if (t->flat_lo > INT32_MAX)
		emit_alu_rm(&t->e, true, ALU_SUB, RAX,
			    MEM(R12, (int32_t)offsetof(struct core, jit_flat_lo)));
	else if (t->flat_lo)
		emit_alu_ri(&t->e, true, ALU_SUB, RAX, (int32_t)t->flat_lo);
	emit_alu_rm(&t->e, true, ALU_CMP, RAX,
		    MEM(R12, (int32_t)offsetof(struct core, jit_flat_span)));
	return emit_jcc(&t->e, CC_A, NULL);
}

void translate_load(struct tctx *t, uint32_t i, unsigned k, uint64_t pc)
{
	unsigned f3 = F3(i), size = 1U << (f3 & 3);
	uint8_t *slow;
	struct x86_mem at = MEM(RDX, 0);
	bool from_rax = false;

	int d = RAX;

	/* rd is mapped before the branch, so the same way on both paths. Its host register is
	 * loaded only if it may hold a value not yet in hart.x[] (the slow path writes
	 * hart.x[rd] back first and reloads it after the helper). */
	if (RD(i))
		d = translate_cache_reg(t, RD(i), t->dirty[RD(i)] || RD(i) == RS1(i));
	if (t->flat) {
		slow = flat_check(t, RS1(i), (int32_t)i >> 20, &from_rax);
		emit_alu_rm(&t->e, true, ALU_ADD, RAX,
			    MEM(R12, (int32_t)offsetof(struct core, jit_flat_hva)));
		at = MEM(RAX, 0);
	} else {
		slow = translate_tlb_check(t, ACC_LOAD, RS1(i), (int32_t)i >> 20, size);
		emit_alu_rm(&t->e, true, ALU_ADD, RDX, MEMX(R12, RAX, OFF_TLB(ACC_LOAD) + 8));
	}
	if (size == 8)
		emit_mov_rm(&t->e, true, d, at);
	else
		emit_load_ext(&t->e, size, f3 < 4, d, at);
	defer_slow(t, slow, i, k, pc, 0, d);
	if (from_rax && slow) {
		t->slow[t->nslow - 1].from_rax = true;
		t->slow[t->nslow - 1].lo = (int32_t)t->flat_lo;
	}
	if (RD(i))
		t->dirty[RD(i)] = true; /* only now: the slow path must not write it back */
}

void translate_store(struct tctx *t, uint32_t i, unsigned k, uint64_t pc, uint64_t next)
{
	unsigned size = 1U << F3(i);
	int32_t imm = (int32_t)((uint32_t)((int32_t)i >> 25) << 5 | ((i >> 7) & 31));
	uint8_t *slow;

	int v = RAX;

	if (RS2(i)) /* mapped before the branch: the same way on both paths */
		v = translate_cache_reg(t, RS2(i), true);
	slow = translate_tlb_check(t, ACC_STORE, RS1(i), imm, size);
	emit_mov_rm(&t->e, true, RCX, MEMX(R12, RAX, OFF_TLB(ACC_STORE) + 8));
	if (!RS2(i))
		emit_alu_rr(&t->e, false, ALU_XOR, RAX, RAX);
	if (size >= 4)
		emit_mov_mr(&t->e, size == 8, MEMX(RDX, RCX, 0), v);
	else
		emit_mov_mr_narrow(&t->e, size, MEMX(RDX, RCX, 0), v);
	defer_slow(t, slow, i, k, pc, next, v);
}
