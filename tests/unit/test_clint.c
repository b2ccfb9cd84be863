/* CLINT (accel/emu/clint.c) on real harts, and the goldfish RTC (devices/goldfish_rtc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "accel/emu/clint.h"
#include "accel/emu/cpu.h"
#include "base/util.h"
#include "devices/goldfish_rtc.h"
#include "machine/machine.h"

struct fx {
	struct vm_config cfg;
	struct machine m;
	struct rv_platform plat;
	struct hart h[2];
	struct hart *hp[2];
	struct clint c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->cfg.cpus = 2;
	assert_int_equal(machine_init(&f->m, &f->cfg, NULL), 0);
	f->plat.m = &f->m;
	f->plat.timebase_hz = 10000000;
	f->plat.time_origin_ns = now_ns() - 1000000000ULL; /* mtime is already 10^7 */
	f->plat.nharts = 2;
	f->plat.harts = f->hp;
	for (int i = 0; i < 2; i++) {
		f->hp[i] = &f->h[i];
		assert_int_equal(hart_init(&f->h[i], &f->plat, i), 0);
	}
	clint_init(&f->c, &f->plat);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++)
		hart_free(&f->h[i]);
	machine_free(&f->m);
	free(f);
	return 0;
}

static uint64_t rd(struct fx *f, uint64_t off, unsigned size)
{
	return clint_ops.read(&f->c, off, size);
}

static void wr(struct fx *f, uint64_t off, uint64_t v, unsigned size)
{
	clint_ops.write(&f->c, off, v, size);
}

static void test_mtime(void **state)
{
	struct fx *f = *state;
	uint64_t a = rd(f, CLINT_MTIME_OFF, 8), b;

	assert_true(a >= 10000000);
	b = rd(f, CLINT_MTIME_OFF, 8);
	assert_true(b >= a);
	/* 32-bit halves. */
	assert_int_equal(rd(f, CLINT_MTIME_OFF + 4, 4), b >> 32);
	assert_true(rd(f, CLINT_MTIME_OFF, 4) <= 0xffffffffULL);
	/* Writes to mtime are ignored (the host clock is the time base). */
	wr(f, CLINT_MTIME_OFF, 0, 8);
	assert_true(rd(f, CLINT_MTIME_OFF, 8) >= b);
}

static void test_mtimecmp(void **state)
{
	struct fx *f = *state;
	struct hart *h1 = &f->h[1];

	assert_int_equal(rd(f, CLINT_MTIMECMP_OFF + 8, 8), UINT64_MAX);
	/* In the past: MTIP at once. */
	wr(f, CLINT_MTIMECMP_OFF + 8, 5, 8);
	assert_int_equal(h1->mtimecmp, 5);
	assert_true(h1->mip & (1u << IRQ_M_TIMER));
	assert_false(f->h[0].mip & (1u << IRQ_M_TIMER));
	/* Far future written as two halves (high first, as RV32 software does): MTIP drops. */
	wr(f, CLINT_MTIMECMP_OFF + 12, 0x7fffffff, 4);
	wr(f, CLINT_MTIMECMP_OFF + 8, 0x12345678, 4);
	assert_int_equal(h1->mtimecmp, 0x7fffffff12345678ULL);
	assert_int_equal(rd(f, CLINT_MTIMECMP_OFF + 12, 4), 0x7fffffff);
	assert_false(h1->mip & (1u << IRQ_M_TIMER));
}

static void test_msip(void **state)
{
	struct fx *f = *state;

	wr(f, 4, 1, 4);
	assert_true(f->h[1].mip & (1u << IRQ_M_SOFT));
	assert_int_equal(rd(f, 4, 4), 1);
	assert_int_equal(rd(f, 0, 4), 0);
	wr(f, 4, 0xfffffffe, 4); /* only bit 0 counts */
	assert_false(f->h[1].mip & (1u << IRQ_M_SOFT));
}

static void test_hostile(void **state)
{
	struct fx *f = *state;

	/* Harts that do not exist, misaligned and odd-sized accesses: ignored, read 0. */
	wr(f, 8, 1, 4);
	assert_int_equal(rd(f, 8, 4), 0);
	wr(f, CLINT_MTIMECMP_OFF + 16, 1, 8);
	assert_int_equal(rd(f, CLINT_MTIMECMP_OFF + 16, 8), 0);
	wr(f, CLINT_MTIMECMP_OFF + 2, 0, 4);
	assert_int_equal(f->h[0].mtimecmp, UINT64_MAX);
	assert_int_equal(rd(f, CLINT_MTIMECMP_OFF + 1, 2), 0);
	wr(f, 0, 1, 8);
	assert_false(f->h[0].mip & (1u << IRQ_M_SOFT));
	assert_int_equal(rd(f, 0x3ffc, 4), 0);
	assert_int_equal(rd(f, CLINT_SIZE - 4, 4), 0);
}

static void test_goldfish_rtc(void **state)
{
	struct goldfish_rtc r;
	struct timespec ts;
	uint64_t t, lo, hi;
	(void)state;

	goldfish_rtc_init(&r);
	clock_gettime(CLOCK_REALTIME, &ts);
	lo = goldfish_rtc_ops.read(&r, 0x00, 4);
	hi = goldfish_rtc_ops.read(&r, 0x04, 4);
	t = hi << 32 | lo;
	assert_true(t / 1000000000ULL >= (uint64_t)ts.tv_sec &&
		    t / 1000000000ULL <= (uint64_t)ts.tv_sec + 2);
	/* Set the clock to 2000-01-01 (946684800 s): high half first, then low. */
	t = 946684800ULL * 1000000000ULL;
	goldfish_rtc_ops.write(&r, 0x04, t >> 32, 4);
	goldfish_rtc_ops.write(&r, 0x00, (uint32_t)t, 4);
	lo = goldfish_rtc_ops.read(&r, 0x00, 4);
	hi = goldfish_rtc_ops.read(&r, 0x04, 4);
	assert_true((hi << 32 | lo) / 1000000000ULL - 946684800ULL <= 2);
	/* Alarm registers keep their values; odd sizes are ignored. */
	goldfish_rtc_ops.write(&r, 0x0c, 1, 4);
	goldfish_rtc_ops.write(&r, 0x08, 2, 4);
	assert_int_equal(goldfish_rtc_ops.read(&r, 0x08, 4), 2);
	assert_int_equal(goldfish_rtc_ops.read(&r, 0x0c, 4), 1);
	assert_int_equal(goldfish_rtc_ops.read(&r, 0x18, 4), 1);
	goldfish_rtc_ops.write(&r, 0x14, 1, 4);
	assert_int_equal(goldfish_rtc_ops.read(&r, 0x18, 4), 0);
	assert_int_equal(goldfish_rtc_ops.read(&r, 0x00, 8), 0);
	assert_int_equal(goldfish_rtc_ops.read(&r, 0xffc, 4), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_mtime),
	    T(test_mtimecmp),
	    T(test_msip),
	    T(test_hostile),
	    cmocka_unit_test(test_goldfish_rtc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
