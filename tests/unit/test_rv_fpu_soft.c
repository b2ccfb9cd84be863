/* The FPU's two implementations, the host FPU with RISC-V fix-ups (fpu_host.c) and exact
 * integer arithmetic (fpu_soft.c), checked against each other on random operands. Split from
 * test_rv_fpu.c, which checks fpu_exec() against values worked out from the spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "accel/emu/fpu_internal.h"

/* Random operands biased toward the interesting encodings. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t rnd_operand(enum fpu_fmt fmt)
{
	unsigned mb = fmt == FPU_S ? 23 : 52, eb = fmt == FPU_S ? 8 : 11;
	uint64_t emax = (1ull << eb) - 1, bias = emax >> 1;
	uint64_t r = rnd(), sign = (r & 1) << (mb + eb), mant = rnd() & ((1ull << mb) - 1);
	uint64_t e;
	switch ((r >> 1) % 8) {
	case 0:
		e = 0; /* zero or subnormal */
		break;
	case 1:
		e = emax - (r >> 8) % 3; /* inf/NaN, near the top */
		break;
	case 2:
		mant &= ~((1ull << (mb - 3)) - 1); /* few significant bits: ties */
		e = bias + (r >> 8) % 30 - 15;
		break;
	case 3:
		e = 1 + (r >> 8) % 4; /* bottom of the normal range */
		break;
	default:
		e = bias + (r >> 8) % 64 - 32;
		break;
	}
	return sign | e << mb | mant;
}

/* Two independent implementations, the host FPU (with fix-ups) and exact integer arithmetic,
 * must agree bit for bit, flags included, in every mode the host has. */
static void test_soft_matches_host(void **state)
{
	(void)state;
	for (int i = 0; i < 200000; i++) {
		enum fpu_fmt fmt = i & 1 ? FPU_D : FPU_S;
		enum fpu_op op = (enum fpu_op)((i >> 1) % 6);
		unsigned rm = (i >> 3) % 4;
		uint64_t a = rnd_operand(fmt), b = rnd_operand(fmt), c = rnd_operand(fmt);
		if (op == FOP_FMA && (i & 0x30) == 0x10) /* make the addend cancel the product */
			c = fpu_host(fmt, FOP_MUL, a, b, 0, rm, &(uint32_t){0}) ^ fpu_signbit(fmt);
		/* Half the time some sticky flags are already set (see fpu_host.c). */
		uint32_t pre = i & 0x40 ? (uint32_t)rnd() & 0x1f : 0;
		uint32_t fh = pre, fs = pre;
		uint64_t rh = fpu_host(fmt, op, a, b, c, rm, &fh);
		uint64_t rs = fpu_soft(fmt, op, a, b, c, rm, &fs);
		if (rh != rs || fh != fs)
			fail_msg("fmt %d op %d rm %u a %#llx b %#llx c %#llx: host %#llx/%x soft "
				 "%#llx/%x",
				 fmt, op, rm, (unsigned long long)a, (unsigned long long)b,
				 (unsigned long long)c, (unsigned long long)rh, fh,
				 (unsigned long long)rs, fs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_soft_matches_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
