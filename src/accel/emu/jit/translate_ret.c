/* Return-address prediction. A call (JAL/JALR writing x1 or x5) pushes (return address,
 * landing stub) on a per-hart ring (core.jit_ret); the landing stub, emitted in the calling
 * block right after the call's exit, is a chainable jump to the block at the return address
 * (on the caller's page, so on the same physical page, as for any chained exit). A return
 * (JALR x0 through x1 or x5) whose target equals the top entry's address pops it and jumps
 * to the stub: no lookup-cache probe. Anything else takes the probe.
 *
 * Why a match is always right: the ring is emptied whenever the lookup cache is (page drops,
 * FENCE.I epochs, full flushes: no stub of a dropped block survives), on every TLB flush and
 * on every translation-context change (mmu_ctx_update(): privilege, SUM/MXR), so the mapping
 * of the return address and its fetch permission are those the calling block ran under. */
#include "accel/emu/jit/translate.h"

#define OFF_RET(f) ((int32_t)(offsetof(struct core, jit_ret) + offsetof(struct jit_ret, f)))
#define OFF_TOP	   ((int32_t)offsetof(struct core, jit_ret_top))
#define RET_MASK   ((int32_t)((JIT_RET_SIZE - 1) * sizeof(struct jit_ret)))

_Static_assert(sizeof(struct jit_ret) == 16, "ring entries are 16 bytes");

bool translate_ret_is_link(unsigned r)
{
	return r == 1 || r == 5;
}

uint8_t *translate_ret_push(struct tctx *t, uint64_t next)
{
	static const uint8_t movabs_rax[2] = {0x48, 0xb8};
	uint8_t *imm;

	emit_mov_rm(&t->e, false, RCX, MEM(R12, OFF_TOP));
	emit_alu_ri(&t->e, false, ALU_ADD, RCX, (int32_t)sizeof(struct jit_ret));
	emit_alu_ri(&t->e, false, ALU_AND, RCX, RET_MASK);
	emit_mov_mr(&t->e, false, MEM(R12, OFF_TOP), RCX);
	emit_mov_ri(&t->e, RAX, next);
	emit_mov_mr(&t->e, true, MEMX(R12, RCX, OFF_RET(pc)), RAX);
	emit_bytes(&t->e, movabs_rax, sizeof(movabs_rax)); /* mov rax, imm64: the stub */
	imm = t->e.p;
	emit_bytes(&t->e, (const uint8_t[8]){0}, 8);
	emit_mov_mr(&t->e, true, MEMX(R12, RCX, OFF_RET(code)), RAX);
	return t->e.overflow ? NULL : imm;
}

void translate_ret_landing(struct tctx *t, uint8_t *imm, uint64_t next)
{
	uint64_t at = (uint64_t)(uintptr_t)t->e.p;
	uint8_t *field;

	if (!imm)
		return;
	/* A return address on another page cannot be chained: its stub goes the long way
	 * (the dispatcher), which is still right but rare (a call in a page's last bytes). */
	field = ((next ^ t->pc0) & ~PG_MASK) == 0 ? emit_jmp(&t->e, NULL) : NULL;
	translate_set_pc(t, next);
	if (field) {
		emit_mov_ri(&t->e, RAX, (uint64_t)(uintptr_t)field);
	} else {
		jit_emit_probe(&t->e);
		emit_alu_rr(&t->e, false, ALU_XOR, RAX, RAX);
	}
	emit_jmp(&t->e, t->j->exit);
	if (!t->e.overflow)
		memcpy(imm, &at, 8);
}

/* rax = the return target (pc already stored): jumps to the top stub if it is for rax. */
void translate_ret_check(struct tctx *t)
{
	uint8_t *miss;

	emit_mov_rm(&t->e, false, RCX, MEM(R12, OFF_TOP));
	emit_alu_rm(&t->e, true, ALU_CMP, RAX, MEMX(R12, RCX, OFF_RET(pc)));
	miss = emit_jcc(&t->e, CC_NE, NULL);
	emit_mov_rm(&t->e, true, RDX, MEMX(R12, RCX, OFF_RET(code)));
	emit_alu_ri(&t->e, false, ALU_SUB, RCX, (int32_t)sizeof(struct jit_ret));
	emit_alu_ri(&t->e, false, ALU_AND, RCX, RET_MASK);
	emit_mov_mr(&t->e, false, MEM(R12, OFF_TOP), RCX);
	emit_jmp_reg(&t->e, RDX);
	if (miss)
		emit_patch_rel32(miss, t->e.p);
}
