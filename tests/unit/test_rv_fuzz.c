/* A hostile guest: random instruction words (32-bit and compressed) with random register
 * values and random privilege/paging state must only ever produce traps, never a crash, a
 * hang or an access outside guest RAM (run this under ASan/UBSan too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

static uint64_t seed = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static uint64_t interesting(void)
{
	switch (rnd() & 7) {
	case 0:
		return RAM_BASE + (rnd() & (RAM_SIZE - 1));
	case 1:
		return RAM_BASE + RAM_SIZE - (rnd() & 15);
	case 2:
		return (uint64_t) - (int64_t)(rnd() & 0xffff);
	case 3:
		return rnd() & 0xffff;
	default:
		return rnd();
	}
}

static void test_random_code(void **state)
{
	struct rvt *t = rvt_new();
	uint32_t *code = rvt_ptr(t, RAM_BASE);
	(void)state;

	for (int round = 0; round < 400; round++) {
		for (unsigned i = 0; i < 1024; i++)
			code[i] = (uint32_t)rnd();
		hart_reset(&t->h, (unsigned[]){PRV_M, PRV_S, PRV_U}[rnd() % 3], RAM_BASE);
		for (unsigned r = 1; r < 32; r++)
			t->h.x[r] = interesting();
		/* Traps land in the random code too: keep going wherever it leads. */
		t->h.mtvec = RAM_BASE + (rnd() & 0xffc);
		t->h.stvec = RAM_BASE + (rnd() & 0xffc);
		t->h.medeleg = rnd() & 0xb3ff;
		t->h.mstatus |= 1ULL << 13;
		if (rnd() & 1) /* paging on, with garbage page tables */
			t->h.satp =
			    (8ULL + (rnd() & 1)) << 60 | ((RAM_BASE >> 12) + (rnd() & 0x3ff));
		hart_flush_tlb(&t->h);
		hart_step(&t->h, 2000);
		assert_int_equal(t->h.x[0], 0);
	}
	rvt_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
