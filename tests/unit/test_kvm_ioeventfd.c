/* The KVM engine's ioeventfd hook against the real /dev/kvm (skipped without it): a real-mode
 * guest writes port 0x80 N times with an ioeventfd on it, then hits isa-debug-exit. The eventfd
 * must count N writes and the vCPU must see exactly one port I/O exit (the debug exit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel/kvm/kvm.h"
#include "base/util.h"
#include "devices/pc_misc.h"
#include "machine/machine.h"

#define WRITES 50

static void test_ioeventfd_absorbs_port_writes(void **state)
{
	/* mov $WRITES, %cx; 1: out %al, $0x80; loop 1b; mov $1, %al; out %al, $0xf4; hlt */
	static const uint8_t code[] = {0xb9, WRITES, 0x00, 0xe6, 0x80, 0xe2,
				       0xfc, 0xb0,   0x01, 0xe6, 0xf4, 0xf4};
	static struct vm_config cfg = {.mem = 16 * MiB, .cpus = 1, .console = "none"};
	struct x86_entry entry = {.mode = X86_MODE_REAL, .cs = 0x1000, .rip = 0};
	struct machine *m;
	uint64_t count = 0;
	int efd, status;
	(void)state;

	if (access("/dev/kvm", R_OK | W_OK)) {
		skip();
		return;
	}
	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(machine_init(m, &cfg, &kvm_accel_ops), 0);
	assert_int_equal(gmem_add_ram(&m->mem, 0, cfg.mem), 0);
	assert_int_equal(chardev_open(&m->console, "none"), 0);
	assert_int_equal(kvm_accel_ops.init(m), 0);
	assert_int_equal(debug_exit_init(m), 0);
	assert_int_equal(gmem_write(&m->mem, 0x10000, code, sizeof(code)), 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(efd >= 0);
	assert_int_equal(kvm_accel_ops.ioeventfd(m, 0x80, 1, true, false, 0, efd), 0);
	kvm_set_entry(m, &entry);
	assert_int_equal(kvm_accel_ops.vcpu_init(&m->vcpus[0]), 0);
	status = machine_run(m);
	assert_int_equal(status, 3);
	assert_int_equal(read(efd, &count, sizeof(count)), sizeof(count));
	assert_int_equal(count, WRITES);
	assert_int_equal(stats_count(&m->vcpus[0].stats, "IO"), 1);
	/* irqfd: an eventfd bound to an ISA line is accepted. */
	{
		int ifd = eventfd(0, EFD_CLOEXEC);

		assert_int_equal(kvm_accel_ops.irqfd(m, 5, ifd), 0);
		close(ifd);
	}
	close(efd);
	machine_free(m);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ioeventfd_absorbs_port_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
