#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"
#include "machine/memory.h"

static void test_translation_and_bounds(void **state)
{
	struct guest_mem m = {0};
	uint8_t *p;
	(void)state;

	assert_int_equal(gmem_add_ram(&m, 0x80000000, 16 * MiB), 0);
	p = gmem_ptr(&m, 0x80000000, 16 * MiB);
	assert_non_null(p);
	assert_ptr_equal(gmem_ptr(&m, 0x80000010, 4), p + 0x10);
	/* Last byte in, one past out, straddling out. */
	assert_non_null(gmem_ptr(&m, 0x80000000 + 16 * MiB - 1, 1));
	assert_null(gmem_ptr(&m, 0x80000000 + 16 * MiB, 1));
	assert_null(gmem_ptr(&m, 0x80000000 + 16 * MiB - 1, 2));
	assert_null(gmem_ptr(&m, 0x7fffffff, 2));
	/* Wrapping lengths a hostile guest could supply. */
	assert_null(gmem_ptr(&m, 0x80000010, UINT64_MAX));
	assert_null(gmem_ptr(&m, 0x80000010, UINT64_MAX - 0xf));
	assert_null(gmem_ptr(&m, UINT64_MAX, 2));
	gmem_free(&m);
}

static void test_two_regions_no_straddle(void **state)
{
	struct guest_mem m = {0};
	uint32_t v = 0xdeadbeef, r = 0;
	(void)state;

	assert_int_equal(gmem_add_ram(&m, 0, 1 * MiB), 0);
	assert_int_equal(gmem_add_ram(&m, 1 * MiB, 1 * MiB), 0);
	assert_int_equal(gmem_add_ram(&m, 512 * KiB, 1 * MiB), -EEXIST);
	assert_int_equal(gmem_add_ram(&m, 3 * MiB, 100), -EINVAL);
	assert_int_equal(m.total, 2 * MiB);
	/* Contiguous in gpa but separate mappings: a range across both is refused. */
	assert_null(gmem_ptr(&m, 1 * MiB - 2, 4));
	assert_int_equal(gmem_write(&m, 1 * MiB - 2, &v, 4), -EFAULT);
	assert_int_equal(gmem_write(&m, 1 * MiB + 8, &v, 4), 0);
	assert_int_equal(gmem_read(&m, 1 * MiB + 8, &r, 4), 0);
	assert_int_equal(r, 0xdeadbeef);
	assert_int_equal(gmem_read(&m, 2 * MiB, &r, 1), -EFAULT);
	gmem_free(&m);
}

static void test_resident_bytes_counts_touched_pages(void **state)
{
	struct guest_mem m = {0};
	uint8_t *p;
	(void)state;

	assert_int_equal(gmem_add_ram(&m, 0, 64 * MiB), 0);
	assert_true(gmem_resident_bytes(&m) < 1 * MiB);
	p = gmem_ptr(&m, 0, 64 * MiB);
	memset(p, 1, 8 * MiB);
	assert_true(gmem_resident_bytes(&m) >= 8 * MiB);
	gmem_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translation_and_bounds),
		cmocka_unit_test(test_two_regions_no_straddle),
		cmocka_unit_test(test_resident_bytes_counts_touched_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
