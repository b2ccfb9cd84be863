#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "oci/signal.h"

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(signal_parse("KILL"), SIGKILL);
	assert_int_equal(signal_parse("SIGKILL"), SIGKILL);
	assert_int_equal(signal_parse("sigterm"), SIGTERM);
	assert_int_equal(signal_parse("term"), SIGTERM);
	assert_int_equal(signal_parse("SIGUSR1"), SIGUSR1);
	assert_int_equal(signal_parse("HUP"), SIGHUP);
	assert_int_equal(signal_parse("SIGWINCH"), SIGWINCH);
	assert_int_equal(signal_parse("CHLD"), SIGCHLD);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(signal_parse("9"), 9);
	assert_int_equal(signal_parse("15"), 15);
	assert_int_equal(signal_parse("1"), 1);
	assert_int_equal(signal_parse("64"), 64);
	assert_true(signal_parse("0") < 0);
	assert_true(signal_parse("65") < 0);
	assert_true(signal_parse("99999999999999999999") < 0);
	assert_true(signal_parse("9x") < 0);
	assert_true(signal_parse("-9") < 0);
}

static void test_realtime(void **state)
{
	(void)state;
	assert_int_equal(signal_parse("SIGRTMIN"), SIGRTMIN);
	assert_int_equal(signal_parse("RTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(signal_parse("SIGRTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(signal_parse("RTMAX"), SIGRTMAX);
	assert_true(signal_parse("RTMIN+99") < 0);
	assert_true(signal_parse("RTMINX") < 0);
}

static void test_unknown(void **state)
{
	(void)state;
	assert_true(signal_parse("") < 0);
	assert_true(signal_parse(NULL) < 0);
	assert_true(signal_parse("SIG") < 0);
	assert_true(signal_parse("SIGNOPE") < 0);
	assert_true(signal_parse("KILLL") < 0);
	assert_true(signal_parse("SIGSIGKILL") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_realtime),
	    cmocka_unit_test(test_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
