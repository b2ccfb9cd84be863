/* The A extension: LR/SC success and failure paths, every AMO with its sign handling, and
 * AMOs/LR-SC from two harts on two host threads keeping a shared counter exact. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

#define DATA (RAM_BASE + 0x10000)
#define TRAP (RAM_BASE + 0x800)

RVT_TRAP_FIXTURE()

static void test_lr_sc(void **state)
{
	(void)state;
	rvt_write64(t, DATA, 0xffffffff80000005ULL);
	t->h.x[1] = DATA;
	t->h.x[2] = 42;
	/* LR.W sign-extends; SC.W after it succeeds (rd = 0) and writes. */
	RUN(t, 2, LR_W(3, 1), SC_W(4, 1, 2));
	assert_int_equal(t->h.x[3], 0xffffffff80000005ULL);
	assert_int_equal(t->h.x[4], 0);
	assert_int_equal(rvt_read64(t, DATA), 0xffffffff0000002aULL);
	/* A second SC without LR fails (rd = 1) and does not write. */
	t->h.x[2] = 7;
	RUN(t, 1, SC_W(4, 1, 2));
	assert_int_equal(t->h.x[4], 1);
	assert_int_equal(rvt_read64(t, DATA), 0xffffffff0000002aULL);
	/* SC to a different address than the reservation fails. */
	t->h.x[5] = DATA + 8;
	RUN(t, 2, LR_D(3, 1), SC_D(4, 5, 2));
	assert_int_equal(t->h.x[4], 1);
	assert_int_equal(rvt_read64(t, DATA + 8), 0);
	/* A store by someone else between LR and SC makes the SC fail. */
	RUN(t, 1, LR_D(3, 1));
	rvt_write64(t, DATA, 0x1234);
	const uint32_t sc[] = {SC_D(4, 1, 2)};
	rvt_code(t, RAM_BASE + 4, sc, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.x[4], 1);
	assert_int_equal(rvt_read64(t, DATA), 0x1234);
	/* LR.D then SC.D succeeds. */
	RUN(t, 2, LR_D(3, 1), SC_D(4, 1, 2));
	assert_int_equal(t->h.x[3], 0x1234);
	assert_int_equal(t->h.x[4], 0);
	assert_int_equal(rvt_read64(t, DATA), 7);
	/* Misaligned LR: address-misaligned exception; SC: store/AMO misaligned. */
	t->h.x[1] = DATA + 4;
	RUN(t, 1, LR_D(3, 1));
	assert_int_equal(t->h.mcause, EXC_LOAD_MISALIGNED);
	assert_int_equal(t->h.mtval, DATA + 4);
	RUN(t, 1, SC_D(3, 1, 2));
	assert_int_equal(t->h.mcause, EXC_STORE_MISALIGNED);
	/* LR with rs2 != 0 is reserved. */
	t->h.x[1] = DATA;
	RUN(t, 1, AMO(0x02, 3, 3, 1, 5));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
}

static uint64_t amo(unsigned f5, unsigned f3, uint64_t mem, uint64_t src, uint64_t *rd)
{
	rvt_write64(t, DATA, mem);
	t->h.x[1] = DATA;
	t->h.x[2] = src;
	RUN(t, 1, AMO(f5, f3, 3, 1, 2));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	*rd = t->h.x[3];
	return rvt_read64(t, DATA);
}

static void test_amos(void **state)
{
	uint64_t rd;
	(void)state;
	assert_int_equal(amo(0x00, 3, 5, 7, &rd), 12); /* amoadd.d */
	assert_int_equal(rd, 5);
	assert_int_equal(amo(0x01, 3, 5, 7, &rd), 7); /* amoswap.d */
	assert_int_equal(amo(0x04, 3, 0xff, 0x0f, &rd), 0xf0);
	assert_int_equal(amo(0x08, 3, 0xf0, 0x0f, &rd), 0xff);
	assert_int_equal(amo(0x0c, 3, 0xff, 0x0f, &rd), 0x0f);
	assert_int_equal(amo(0x10, 3, (uint64_t)-1, 1, &rd), (uint64_t)-1); /* min signed */
	assert_int_equal(amo(0x14, 3, (uint64_t)-1, 1, &rd), 1);	    /* max signed */
	assert_int_equal(amo(0x18, 3, (uint64_t)-1, 1, &rd), 1);	    /* minu */
	assert_int_equal(amo(0x1c, 3, (uint64_t)-1, 1, &rd), (uint64_t)-1); /* maxu */
	/* Word forms: only the low word changes, the loaded value is sign-extended, and
	 * min/max compare 32-bit values. */
	assert_int_equal(amo(0x00, 2, 0xaaaaaaaa7fffffffULL, 1, &rd), 0xaaaaaaaa80000000ULL);
	assert_int_equal(rd, 0x7fffffff);
	assert_int_equal(amo(0x01, 2, 0x1111111180000000ULL, 3, &rd), 0x1111111100000003ULL);
	assert_int_equal(rd, 0xffffffff80000000ULL);
	assert_int_equal(amo(0x10, 2, 0x80000000ULL, 1, &rd), 0x80000000ULL);
	assert_int_equal(amo(0x14, 2, 0x80000000ULL, 1, &rd), 1);
	assert_int_equal(amo(0x18, 2, 0x80000000ULL, 0x100000001ULL, &rd), 1);
	assert_int_equal(amo(0x1c, 2, 0x80000000ULL, 1, &rd), 0x80000000ULL);
	/* Misaligned AMO: store/AMO address misaligned; unknown funct5: illegal. */
	t->h.x[1] = DATA + 2;
	RUN(t, 1, AMO(0x00, 2, 3, 1, 2));
	assert_int_equal(t->h.mcause, EXC_STORE_MISALIGNED);
	t->h.x[1] = DATA;
	RUN(t, 1, AMO(0x1e, 3, 3, 1, 2));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	/* AMO outside RAM: access fault. */
	t->h.x[1] = 0x1000;
	RUN(t, 1, AMO(0x00, 3, 3, 1, 2));
	assert_int_equal(t->h.mcause, EXC_STORE_ACCESS);
}

/* Two harts, each on its own thread, each adding 1 to two counters N times: one with
 * AMOADD.D, one with an LR/SC retry loop. Both counters must end at 2N. */
#define N 20000

static struct hart h2;

static void *run_hart(void *arg)
{
	struct hart *h = arg;

	while (h->x[10] < N)
		hart_step(h, 1000);
	return NULL;
}

static void test_smp_counters(void **state)
{
	pthread_t th[2];
	(void)state;
	/* x1 = &amo counter, x2 = &lrsc counter, x5 = 1, x10 = iterations done. */
	const uint32_t loop[] = {
	    AMO(0x00, 3, 0, 1, 5), /* amoadd.d x0, x5, (x1) */
	    LR_D(6, 2),		   /* retry: lr.d x6, (x2) */
	    ADDI(6, 6, 1),
	    SC_D(7, 2, 6),
	    BNE(7, 0, -12),
	    ADDI(10, 10, 1),
	    JAL(0, -24),
	};
	rvt_code(t, RAM_BASE, loop, 7);
	t->p.nharts = 2;
	assert_int_equal(hart_init(&h2, &t->p, 1), 0);
	struct hart *hs[2] = {&t->h, &h2};
	for (int i = 0; i < 2; i++) {
		hart_reset(hs[i], PRV_M, RAM_BASE);
		hs[i]->x[1] = DATA;
		hs[i]->x[2] = DATA + 64;
		hs[i]->x[5] = 1;
	}
	rvt_write64(t, DATA, 0);
	rvt_write64(t, DATA + 64, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, run_hart, hs[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* Each hart stopped at some point of its last iteration: count whole iterations. */
	uint64_t done = t->h.x[10] + h2.x[10];
	uint64_t amo_c = rvt_read64(t, DATA), lrsc_c = rvt_read64(t, DATA + 64);
	assert_true(amo_c >= done && amo_c <= done + 2);
	assert_true(lrsc_c >= done && lrsc_c <= done + 2);
	assert_true(done >= 2 * N);
	hart_free(&h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lr_sc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amos, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_smp_counters, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
