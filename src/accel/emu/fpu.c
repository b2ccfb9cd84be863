/* Placeholder until the F and D extensions land: every FP instruction is illegal, which is
 * what a hart without F/D does (misa has no F/D bits then). */
#include "accel/emu/cpu.h"

bool fpu_exec(struct hart *h, uint32_t insn)
{
	hart_raise(h, EXC_ILLEGAL_INSN, insn);
	return false;
}
