/* The x86 board's small devices without KVM: fw_cfg, CMOS RTC, MP table, hypercalls,
 * debug-exit and the i8042 reset, driven through the port I/O bus as a vCPU would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "boot/acpi.h"
#include "boot/mptable.h"
#include "devices/pc_misc.h"
#include "machine/machine.h"

static struct vm_config cfg = {.mem = 64 * MiB, .cpus = 3, .console = "none"};

static struct machine *new_machine(void)
{
	struct machine *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_int_equal(machine_init(m, &cfg, NULL), 0);
	assert_int_equal(gmem_add_ram(&m->mem, 0, cfg.mem), 0);
	assert_int_equal(chardev_open(&m->console, "none"), 0);
	return m;
}

static void free_machine(struct machine *m)
{
	machine_free(m);
	free(m);
}

static void test_fw_cfg(void **state)
{
	struct machine *m = new_machine();
	struct fw_cfg f;
	uint16_t n = 3;
	uint64_t v;
	(void)state;

	assert_int_equal(fw_cfg_init(&f, m), 0);
	assert_int_equal(fw_cfg_add(&f, 0, "QEMU", 4), 0);
	assert_int_equal(fw_cfg_add(&f, 5, &n, 2), 0);
	bus_write(&m->pio, FW_CFG_PORT, 2, 0);
	for (int i = 0; i < 4; i++) {
		assert_true(bus_read(&m->pio, FW_CFG_PORT + 1, 1, &v));
		assert_int_equal(v, "QEMU"[i]);
	}
	bus_read(&m->pio, FW_CFG_PORT + 1, 1, &v);
	assert_int_equal(v, 0); /* past the end */
	bus_write(&m->pio, FW_CFG_PORT, 2, 5);
	bus_read(&m->pio, FW_CFG_PORT + 1, 2, &v);
	assert_int_equal(v, 3);
	bus_write(&m->pio, FW_CFG_PORT, 2, 0x1234); /* unknown key reads zeros */
	bus_read(&m->pio, FW_CFG_PORT + 1, 1, &v);
	assert_int_equal(v, 0);
	fw_cfg_free(&f);
	free_machine(m);
}

static void test_rtc(void **state)
{
	struct machine *m = new_machine();
	struct rtc_cmos r;
	uint64_t v;
	(void)state;

	assert_int_equal(rtc_cmos_init(&r, m), 0);
	rtc_cmos_fill_time(&r, 1700000000); /* 2023-11-14 22:13:20 UTC, a Tuesday */
	assert_int_equal(r.cmos[0], 0x20);
	assert_int_equal(r.cmos[2], 0x13);
	assert_int_equal(r.cmos[4], 0x22);
	assert_int_equal(r.cmos[6], 3);
	assert_int_equal(r.cmos[7], 0x14);
	assert_int_equal(r.cmos[8], 0x11);
	assert_int_equal(r.cmos[9], 0x23);
	assert_int_equal(r.cmos[0x32], 0x20);
	bus_write(&m->pio, RTC_PORT, 1, 0x80 | 0x0a); /* NMI bit ignored */
	bus_read(&m->pio, RTC_PORT + 1, 1, &v);
	assert_int_equal(v & 0x80, 0); /* never update-in-progress */
	bus_write(&m->pio, RTC_PORT, 1, 0x0d);
	bus_read(&m->pio, RTC_PORT + 1, 1, &v);
	assert_int_equal(v, 0x80);
	bus_write(&m->pio, RTC_PORT, 1, 0x40); /* plain CMOS storage */
	bus_write(&m->pio, RTC_PORT + 1, 1, 0xab);
	bus_read(&m->pio, RTC_PORT + 1, 1, &v);
	assert_int_equal(v, 0xab);
	free_machine(m);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void test_mptable(void **state)
{
	struct machine *m = new_machine();
	uint8_t *f, *c;
	uint32_t phys;
	uint16_t len, count;
	(void)state;

	assert_int_equal(mptable_write(m, 0xf0000), 0);
	f = gmem_ptr(&m->mem, 0xf0000, 16);
	assert_memory_equal(f, "_MP_", 4);
	assert_int_equal(sum(f, 16), 0);
	memcpy(&phys, f + 4, 4);
	c = gmem_ptr(&m->mem, phys, 44);
	assert_memory_equal(c, "PCMP", 4);
	memcpy(&len, c + 4, 2);
	memcpy(&count, c + 34, 2);
	assert_int_equal(sum(c, len), 0);
	assert_int_equal(count, 3 + 1 + 1 + 16 + 2);
	/* processors: APIC IDs 0..2, only the first is the BSP */
	for (int i = 0; i < 3; i++) {
		const uint8_t *p = c + 44 + i * 20;

		assert_int_equal(p[0], 0);
		assert_int_equal(p[1], i);
		assert_int_equal(p[3], i == 0 ? 3 : 1);
	}
	free_machine(m);
}

static void test_hypercalls_and_exits(void **state)
{
	struct machine *m = new_machine();
	uint64_t regs[6] = {HC_VERSION};
	(void)state;

	hypercall_handle(m, 0, regs);
	assert_int_equal(regs[0], HC_ABI_VERSION);
	regs[0] = HC_CPU_COUNT;
	hypercall_handle(m, 0, regs);
	assert_int_equal(regs[0], 3);
	regs[0] = HC_CONSOLE_WRITE;
	regs[1] = cfg.mem - 4; /* crosses the end of RAM */
	regs[2] = 8;
	hypercall_handle(m, 0, regs);
	assert_int_equal(regs[0], HC_EFAULT);
	assert_int_equal(regs[3], 0xffffffffu); /* high half for 32-bit guests */
	regs[0] = HC_CONSOLE_WRITE;
	regs[1] = 0x1000;
	hypercall_handle(m, 0, regs);
	assert_int_equal(regs[0], 8);
	regs[0] = HC_TIME;
	hypercall_handle(m, 0, regs);
	assert_true(regs[0] > 1600000000ULL * 1000000000ULL);
	regs[0] = 99;
	hypercall_handle(m, 0, regs);
	assert_int_equal(regs[0], HC_ENOSYS);
	regs[0] = HC_EXIT;
	regs[1] = 0x1234;
	hypercall_handle(m, 0, regs);
	assert_true(machine_stopping(m));
	assert_int_equal(m->exit_status, 0x34);
	free_machine(m);
}

static void test_debug_exit_and_reset(void **state)
{
	struct machine *m = new_machine();
	(void)state;

	assert_int_equal(debug_exit_init(m), 0);
	assert_int_equal(i8042_init(m), 0);
	bus_write(&m->pio, I8042_DATA_PORT, 1, 0xfe); /* data port: not a reset */
	assert_false(machine_stopping(m));
	bus_write(&m->pio, DEBUG_EXIT_PORT, 1, 0x21);
	assert_true(machine_stopping(m));
	assert_int_equal(m->stop_reason, STOP_DEBUG_EXIT);
	assert_int_equal(m->exit_status, 0x43);
	free_machine(m);
	m = new_machine();
	assert_int_equal(i8042_init(m), 0);
	bus_write(&m->pio, I8042_CMD_PORT, 1, 0xfe);
	assert_int_equal(m->stop_reason, STOP_REBOOT);
	assert_int_equal(m->exit_status, 0);
	free_machine(m);
}

static uint8_t *table(struct machine *m, uint32_t addr, const char *sig)
{
	uint8_t *t = gmem_ptr(&m->mem, addr, 36);
	uint32_t len;

	assert_non_null(t);
	assert_memory_equal(t, sig, 4);
	memcpy(&len, t + 4, 4);
	assert_non_null(gmem_ptr(&m->mem, addr, len));
	assert_int_equal(sum(t, len), 0);
	return t;
}

/* The PkgLength of the DSDT's Scope (\_SB), which follows the 14-byte \_S5 at offset 36. */
static uint32_t dsdt_scope_len(const uint8_t *dsdt, uint32_t len)
{
	assert_true(len > 53);
	assert_int_equal(dsdt[50], 0x10); /* ScopeOp */
	if (dsdt[51] & 0xc0)
		return (dsdt[51] & 0xfu) | ((uint32_t)dsdt[52] << 4);
	return dsdt[51];
}

/* Without devices on the PCI bus the DSDT leaves out \_SB.PCI0 (Linux would scan bus 0). */
static void test_acpi_dsdt_without_pci(void **state)
{
	struct machine *m = new_machine();
	uint8_t *rsdp, *rsdt, *fadt, *dsdt;
	uint32_t addr, len;
	(void)state;

	assert_int_equal(acpi_write(m, false), 0);
	rsdp = gmem_ptr(&m->mem, ACPI_BASE, 20);
	memcpy(&addr, rsdp + 16, 4);
	rsdt = table(m, addr, "RSDT");
	memcpy(&addr, rsdt + 36, 4);
	fadt = table(m, addr, "FACP");
	memcpy(&addr, fadt + 40, 4);
	dsdt = table(m, addr, "DSDT");
	memcpy(&len, dsdt + 4, 4);
	assert_memory_equal(dsdt + 37, "_S5_", 4);
	assert_null(memmem(dsdt, len, "PCI0", 4));
	assert_non_null(memmem(dsdt, len, "QEMU0001", 8));
	assert_int_equal(dsdt_scope_len(dsdt, len), len - 51);
	assert_memory_equal(dsdt + 52, "_SB_", 4);
	free_machine(m);
}

static void test_acpi_tables_and_poweroff(void **state)
{
	struct machine *m = new_machine();
	struct acpi_pm pm;
	uint8_t *rsdp, *rsdt, *fadt, *madt, *dsdt;
	uint32_t addr, len;
	uint16_t port;
	uint64_t v;
	(void)state;

	assert_int_equal(acpi_write(m, true), 0);
	rsdp = gmem_ptr(&m->mem, ACPI_BASE, 20);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	memcpy(&addr, rsdp + 16, 4);
	rsdt = table(m, addr, "RSDT");
	memcpy(&addr, rsdt + 36, 4);
	fadt = table(m, addr, "FACP");
	memcpy(&addr, rsdt + 40, 4);
	madt = table(m, addr, "APIC");
	memcpy(&len, madt + 4, 4);
	assert_int_equal(len, 44 + 3 * 8 + 12 + 6); /* 3 local APICs, I/O APIC, NMI */
	memcpy(&addr, fadt + 40, 4);
	dsdt = table(m, addr, "DSDT");
	assert_memory_equal(dsdt + 37, "_S5_", 4);
	memcpy(&len, dsdt + 4, 4);
	assert_non_null(memmem(dsdt, len, "QEMU0001", 8)); /* pvpanic */
	assert_non_null(memmem(dsdt, len, "PCI0", 4));
	assert_int_equal(dsdt_scope_len(dsdt, len), len - 51); /* \_SB spans the rest */
	memcpy(&port, fadt + 64, 2);
	assert_int_equal(port, ACPI_PM1A_CNT_PORT);
	/* Linux's S5 entry: SLP_TYP first, then SLP_EN. */
	assert_int_equal(acpi_pm_init(&pm, m), 0);
	bus_read(&m->pio, ACPI_PM1A_CNT_PORT, 2, &v);
	assert_int_equal(v & 1, 1); /* SCI_EN: ACPI mode */
	bus_write(&m->pio, ACPI_PM1A_CNT_PORT, 2, 5 << 10);
	assert_false(machine_stopping(m));
	bus_write(&m->pio, ACPI_PM1A_CNT_PORT, 2, (5 << 10) | (1 << 13));
	assert_true(machine_stopping(m));
	assert_int_equal(m->stop_reason, STOP_POWEROFF);
	assert_int_equal(m->exit_status, 0);
	free_machine(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fw_cfg),
	    cmocka_unit_test(test_rtc),
	    cmocka_unit_test(test_mptable),
	    cmocka_unit_test(test_hypercalls_and_exits),
	    cmocka_unit_test(test_debug_exit_and_reset),
	    cmocka_unit_test(test_acpi_tables_and_poweroff),
	    cmocka_unit_test(test_acpi_dsdt_without_pci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
