#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "machine/bus.h"

struct dev {
	uint64_t last_off, last_val;
	unsigned last_size, reads, writes;
};

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
	struct dev *d = opaque;
	d->reads++;
	d->last_off = off;
	d->last_size = size;
	return 0x1234 + off;
}

static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct dev *d = opaque;
	d->writes++;
	d->last_off = off;
	d->last_val = val;
	d->last_size = size;
}

static const struct bus_ops ops = {dev_read, dev_write};

static void test_dispatch_relative_offset(void **state)
{
	struct bus b;
	struct dev a = {0}, c = {0};
	uint64_t v;
	(void)state;

	bus_init(&b, "test");
	assert_int_equal(bus_register(&b, 0x1000, 0x100, &ops, &a, "a"), 0);
	assert_int_equal(bus_register(&b, 0x3f8, 8, &ops, &c, "c"), 0);
	assert_true(bus_read(&b, 0x1010, 4, &v));
	assert_int_equal(v, 0x1234 + 0x10);
	assert_int_equal(a.last_size, 4);
	assert_true(bus_write(&b, 0x3fd, 1, 0xab));
	assert_int_equal(c.last_off, 5);
	assert_int_equal(c.last_val, 0xab);
	assert_int_equal(a.writes, 0);
	bus_free(&b);
}

static void test_unassigned_reads_all_ones(void **state)
{
	struct bus b;
	struct dev a = {0};
	uint64_t v = 0;
	(void)state;

	bus_init(&b, "test");
	assert_int_equal(bus_register(&b, 0x1000, 0x100, &ops, &a, "a"), 0);
	assert_false(bus_read(&b, 0x1100, 2, &v));
	assert_int_equal(v, 0xffff);
	assert_false(bus_read(&b, 0xfff, 8, &v));
	assert_int_equal(v, UINT64_MAX);
	assert_false(bus_write(&b, 0, 1, 0));
	assert_int_equal(b.unassigned, 3);
	assert_int_equal(a.reads + a.writes, 0);
	bus_free(&b);
}

static void test_overlap_and_bad_ranges_rejected(void **state)
{
	struct bus b;
	struct dev a = {0};
	(void)state;

	bus_init(&b, "test");
	assert_int_equal(bus_register(&b, 0x1000, 0x100, &ops, &a, "a"), 0);
	assert_int_equal(bus_register(&b, 0x10ff, 1, &ops, &a, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0xf00, 0x101, &ops, &a, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x800, 0x1000, &ops, &a, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x2000, 0, &ops, &a, "x"), -EINVAL);
	assert_int_equal(bus_register(&b, UINT64_MAX, 2, &ops, &a, "x"), -EINVAL);
	assert_int_equal(bus_register(&b, 0x1100, 0x100, &ops, &a, "adjacent"), 0);
	assert_int_equal(bus_register(&b, UINT64_MAX - 0xff, 0x100, &ops, &a, "top"), 0);
	assert_non_null(bus_find(&b, UINT64_MAX));
	assert_null(bus_find(&b, 0x1200));
	bus_free(&b);
}

static void test_many_ranges_sorted_lookup(void **state)
{
	struct bus b;
	struct dev a = {0};
	(void)state;

	bus_init(&b, "test");
	/* Registered in reverse order to exercise insertion. */
	for (int i = 99; i >= 0; i--)
		assert_int_equal(bus_register(&b, (uint64_t)i * 0x1000, 0x10, &ops, &a, "r"), 0);
	for (int i = 0; i < 100; i++) {
		const struct bus_range *r = bus_find(&b, (uint64_t)i * 0x1000 + 0xf);
		assert_non_null(r);
		assert_int_equal(r->base, (uint64_t)i * 0x1000);
		assert_null(bus_find(&b, (uint64_t)i * 0x1000 + 0x10));
	}
	bus_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_relative_offset),
		cmocka_unit_test(test_unassigned_reads_all_ones),
		cmocka_unit_test(test_overlap_and_bad_ranges_rejected),
		cmocka_unit_test(test_many_ranges_sorted_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
