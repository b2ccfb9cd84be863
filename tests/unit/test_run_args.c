#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"
#include "cli/cli.h"
#include "machine/config.h"

#define ARGV(...) ((char *[]){"run", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"run", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(cfg, ...) run_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg)

static void test_defaults_and_values(void **state)
{
	struct vm_config c;
	(void)state;

	assert_int_equal(PARSE(&c, "--kernel", "k"), 0);
	assert_int_equal(c.mem, 256 * MiB);
	assert_int_equal(c.cpus, 1);
	assert_int_equal(c.arch, ARCH_X86_64);
	assert_string_equal(c.console, "stdio");
	assert_int_equal(PARSE(&c, "--kernel", "k", "--mem", "512", "--cpus", "4", "--stats",
			       "--arch", "riscv64", "--append", "console=ttyS0"),
			 0);
	assert_int_equal(c.mem, 512 * MiB);
	assert_int_equal(c.cpus, 4);
	assert_true(c.stats);
	assert_int_equal(c.arch, ARCH_RISCV64);
	assert_string_equal(c.append, "console=ttyS0");
}

static void test_devices(void **state)
{
	struct vm_config c;
	char d1[] = "a.img,ro,id=root", d2[] = "b.img", vs[] = "3,uds=/tmp/v.sock";
	(void)state;

	assert_int_equal(PARSE(&c, "--kernel", "k", "--disk", d1, "--disk", d2, "--rng", "--vsock",
			       vs, "--net", "user,hostfwd=tcp::2222-:22"),
			 0);
	assert_int_equal(c.ndisks, 2);
	assert_string_equal(c.disks[0].path, "a.img");
	assert_true(c.disks[0].readonly);
	assert_string_equal(c.disks[0].id, "root");
	assert_false(c.disks[1].readonly);
	assert_true(c.rng);
	assert_int_equal(c.vsock.cid, 3);
	assert_string_equal(c.vsock.uds, "/tmp/v.sock");
	assert_int_equal(c.nnets, 1);
}

static void test_bad_input_rejected(void **state)
{
	struct vm_config c;
	char bad_disk[] = "x.img,bogus", bad_vsock[] = "2,uds=/x";
	(void)state;

	assert_int_equal(PARSE(&c, "--mem", "256M"), -1); /* no kernel */
	assert_int_equal(PARSE(&c, "--kernel", "k", "--mem", "0"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--mem", "99999999T"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--mem", "abc"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--cpus", "0"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--cpus", "100000"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--cpus", "2x"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--arch", "arm"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--accel", "tcg"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--console", "serial"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--disk", bad_disk), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--vsock", bad_vsock), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "--bogus"), -1);
	assert_int_equal(PARSE(&c, "--kernel", "k", "extra"), -1);
	assert_int_equal(PARSE(&c, "--elf", "e"), -1); /* --elf needs riscv64 */
	assert_int_equal(PARSE(&c, "--kernel", "k", "--accel", "emu"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_bad_input_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
