/* Loads and stores: sign/zero extension, misaligned accesses (handled, also across pages),
 * MMIO through the bus, access faults outside RAM and devices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

static struct rvt *t;
#define DATA (RAM_BASE + 0x10000)

static int setup(void **state)
{
	(void)state;
	t = rvt_new();
	t->h.mtvec = RAM_BASE + 0x800;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(t);
	return 0;
}

static void test_load_extension(void **state)
{
	(void)state;
	rvt_write64(t, DATA, 0x8081828384858687ULL);
	t->h.x[1] = DATA;
	RUN(t, 7, LB(2, 1, 0), LBU(3, 1, 0), LH(4, 1, 0), LHU(5, 1, 0), LW(6, 1, 4), LWU(7, 1, 4),
	    LD(8, 1, 0));
	assert_int_equal(t->h.x[2], 0xffffffffffffff87ULL);
	assert_int_equal(t->h.x[3], 0x87);
	assert_int_equal(t->h.x[4], 0xffffffffffff8687ULL);
	assert_int_equal(t->h.x[5], 0x8687);
	assert_int_equal(t->h.x[6], 0xffffffff80818283ULL);
	assert_int_equal(t->h.x[7], 0x80818283ULL);
	assert_int_equal(t->h.x[8], 0x8081828384858687ULL);
	assert_int_equal(t->h.pc, RAM_BASE + 28);
}

static void test_store_sizes(void **state)
{
	(void)state;
	rvt_write64(t, DATA, 0);
	t->h.x[1] = DATA;
	t->h.x[2] = 0x1122334455667788ULL;
	RUN(t, 3, SB(2, 1, 0), SH(2, 1, 2), SW(2, 1, 4));
	assert_int_equal(rvt_read64(t, DATA), 0x5566778877880088ULL);
	RUN(t, 1, SD(2, 1, -8));
	assert_int_equal(rvt_read64(t, DATA - 8), 0x1122334455667788ULL);
}

static void test_misaligned(void **state)
{
	(void)state;
	uint8_t *p = rvt_ptr(t, DATA);

	for (int i = 0; i < 16; i++)
		p[i] = (uint8_t)(0xa0 + i);
	t->h.x[1] = DATA;
	t->h.x[9] = 0xdeadbeefcafef00dULL;
	RUN(t, 4, LD(2, 1, 3), LW(3, 1, 1), LH(4, 1, 7), SD(9, 1, 5));
	assert_int_equal(t->h.x[2], 0xaaa9a8a7a6a5a4a3ULL);
	assert_int_equal(t->h.x[3], 0xffffffffa4a3a2a1ULL);
	assert_int_equal(t->h.x[4], 0xffffffffffffa8a7ULL);
	assert_int_equal(t->h.pc, RAM_BASE + 16); /* no trap */
	assert_int_equal(p[4], 0xa4);
	assert_int_equal(p[5], 0x0d);
	assert_int_equal(p[12], 0xde);
	assert_int_equal(p[13], 0xad);
	/* Across a page boundary. */
	rvt_write64(t, DATA + 0x1000 - 4, 0x0706050403020100ULL);
	t->h.x[1] = DATA + 0x1000 - 4;
	RUN(t, 1, LD(2, 1, 0));
	assert_int_equal(t->h.x[2], 0x0706050403020100ULL);
}

static uint64_t mmio_last_off, mmio_last_val;
static unsigned mmio_last_size;

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	mmio_last_off = off;
	mmio_last_size = size;
	return 0x1234;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	(void)opaque;
	mmio_last_off = off;
	mmio_last_val = val;
	mmio_last_size = size;
}

static const struct bus_ops mmio_ops = {.read = mmio_read, .write = mmio_write};

static void test_mmio_and_access_faults(void **state)
{
	(void)state;
	assert_int_equal(bus_register(&t->m.mmio, 0x10000000, 0x100, &mmio_ops, NULL, "dev"), 0);
	t->h.x[1] = 0x10000000;
	t->h.x[2] = 0x55;
	RUN(t, 2, LW(3, 1, 8), SB(2, 1, 5));
	assert_int_equal(t->h.x[3], 0x1234);
	assert_int_equal(mmio_last_off, 5);
	assert_int_equal(mmio_last_val, 0x55);
	assert_int_equal(mmio_last_size, 1);
	/* Nothing at 0x20000000: load and store access faults with the address in mtval. */
	t->h.x[1] = 0x20000000;
	RUN(t, 1, LD(3, 1, 16));
	assert_int_equal(t->h.mcause, EXC_LOAD_ACCESS);
	assert_int_equal(t->h.mtval, 0x20000010);
	assert_int_equal(t->h.mepc, RAM_BASE);
	assert_int_equal(t->h.pc, RAM_BASE + 0x800);
	RUN(t, 1, SD(3, 1, 0));
	assert_int_equal(t->h.mcause, EXC_STORE_ACCESS);
	/* Fetch from outside RAM. */
	t->h.pc = 0x40000000;
	hart_step(&t->h, 1);
	assert_int_equal(t->h.mcause, EXC_INSN_ACCESS);
	assert_int_equal(t->h.mepc, 0x40000000);
	assert_int_equal(t->h.mtval, 0x40000000);
}

static void test_api_load_store(void **state)
{
	uint64_t v = 0;
	(void)state;
	/* hart_load/hart_store: what the FPU uses. */
	assert_true(hart_store(&t->h, DATA + 8, 8, 0x0123456789abcdefULL));
	assert_true(hart_load(&t->h, DATA + 12, 4, &v));
	assert_int_equal(v, 0x01234567);
	assert_false(hart_load(&t->h, 8, 8, &v));
	assert_int_equal(t->h.mcause, EXC_LOAD_ACCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_load_extension, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_misaligned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_and_access_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_load_store, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
