#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machine/stats.h"

static void test_count_mean_and_p99(void **state)
{
	struct stats_table *t = calloc(1, sizeof(*t));
	uint64_t p99;
	(void)state;

	/* 990 fast events of 1 us, 10 slow ones of 1 ms: p99 is still fast, p99.9 is slow. */
	for (int i = 0; i < 990; i++)
		stats_add(t, 3, "IO", 1000);
	for (int i = 0; i < 10; i++)
		stats_add(t, 3, "IO", 1000000);
	assert_int_equal(stats_count(t, "IO"), 1000);
	assert_int_equal(t->e[3].total_ns, 990 * 1000 + 10 * 1000000);
	p99 = stats_quantile(&t->e[3], 0.99);
	assert_true(p99 >= 1000 && p99 < 1200);
	assert_true(stats_quantile(&t->e[3], 0.999) >= 1000000);
	assert_int_equal(stats_quantile(&t->e[3], 1.0), 1000000);
	free(t);
}

static void test_merge_by_name(void **state)
{
	struct stats_table *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	(void)state;

	stats_add(a, 1, "HLT", 10);
	stats_add(b, 7, "HLT", 20);
	stats_add(b, 2, "MMIO", 30);
	stats_merge(a, b);
	assert_int_equal(stats_count(a, "HLT"), 2);
	assert_int_equal(stats_count(a, "MMIO"), 1);
	assert_int_equal(stats_count(a, "IO"), 0);
	free(a);
	free(b);
}

static void test_print_has_rows(void **state)
{
	struct stats_table *t = calloc(1, sizeof(*t));
	char buf[4096] = {0};
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	(void)state;

	stats_add(t, 0, "IO", 2000);
	stats_add(t, 0, "IO", 4000);
	stats_print(t, "title", f);
	fclose(f);
	assert_non_null(strstr(buf, "title"));
	assert_non_null(strstr(buf, "p99_us"));
	/* count 2, total 0.006 ms, mean 3 us */
	assert_non_null(strstr(buf, "IO"));
	assert_non_null(strstr(buf, "           2        0.006      3.000"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_mean_and_p99),
		cmocka_unit_test(test_merge_by_name),
		cmocka_unit_test(test_print_has_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
