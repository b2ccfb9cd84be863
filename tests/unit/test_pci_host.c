/* The PCI host bridge: configuration mechanism #1, type 0 headers, BAR sizing, capability
 * lists, and hostile accesses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pci/host.h"
#include "machine/machine.h"

#define CFG_ADDR(slot, off) (0x80000000u | (slot) << 11 | ((off)&0xfc))

static struct machine m;
static struct pci_host h;

static uint32_t conf1_read(unsigned slot, unsigned off, unsigned size)
{
	uint64_t v = 0;

	assert_true(bus_write(&m.pio, 0xcf8, 4, CFG_ADDR(slot, off)));
	assert_true(bus_read(&m.pio, 0xcfc + (off & 3), size, &v));
	return (uint32_t)v;
}

static void conf1_write(unsigned slot, unsigned off, unsigned size, uint32_t v)
{
	assert_true(bus_write(&m.pio, 0xcf8, 4, CFG_ADDR(slot, off)));
	assert_true(bus_write(&m.pio, 0xcfc + (off & 3), size, v));
}

static int setup(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	bus_init(&m.pio, "pio");
	return pci_host_init(&h, &m, 0xe0000000ULL, 0x10000000ULL);
}

static int teardown(void **state)
{
	(void)state;
	bus_free(&m.pio);
	return 0;
}

static void test_conf1_probe_and_bridge(void **state)
{
	uint64_t v = 0;
	(void)state;

	/* Linux's pci_check_type1: a byte write at 0xCFB, then 0x80000000 reads back. */
	assert_true(bus_write(&m.pio, 0xcfb, 1, 1));
	assert_true(bus_write(&m.pio, 0xcf8, 4, 0x80000000u));
	assert_true(bus_read(&m.pio, 0xcf8, 4, &v));
	assert_int_equal(v, 0x80000000u);
	assert_int_equal(conf1_read(0, 0, 4), 0x29c08086u);
	assert_int_equal(conf1_read(0, 0x0a, 2), 0x0600); /* host bridge */
	assert_int_equal(conf1_read(0, 0x0b, 1), 0x06);
	/* Empty slots and other functions read as all ones. */
	assert_int_equal(conf1_read(5, 0, 4), 0xffffffffu);
	assert_int_equal(conf1_read(5, 0, 2), 0xffff);
	assert_true(bus_write(&m.pio, 0xcf8, 4, 0x80000100u)); /* 00:00.1 */
	assert_true(bus_read(&m.pio, 0xcfc, 4, &v));
	assert_int_equal(v, 0xffffffffu);
	/* Bus 1 does not exist; the enable bit off means no access. */
	assert_true(bus_write(&m.pio, 0xcf8, 4, 0x80010000u));
	assert_true(bus_read(&m.pio, 0xcfc, 4, &v));
	assert_int_equal(v, 0xffffffffu);
	assert_true(bus_write(&m.pio, 0xcf8, 4, 0x00000000u));
	assert_true(bus_read(&m.pio, 0xcfc, 2, &v));
	assert_int_equal(v, 0xffff);
	/* Read-only identity. */
	conf1_write(0, 0, 4, 0x12345678);
	assert_int_equal(conf1_read(0, 0, 4), 0x29c08086u);
}

static void test_bar_sizing_and_caps(void **state)
{
	struct pci_dev d;
	(void)state;

	pci_dev_init(&d, 0x1af4, 0x1042, 1, 0x018000, 0x1af4, 2);
	assert_int_equal(pci_host_add_bar64(&h, &d, 0, 0x8000), 0xe0000000ULL);
	unsigned c1 = pci_dev_add_cap(&d, 0x09, 16);
	unsigned c2 = pci_dev_add_cap(&d, 0x11, 12);
	assert_int_not_equal(c1, 0);
	assert_int_not_equal(c2, 0);
	assert_int_equal(pci_host_add(&h, &d), 0);
	assert_int_equal(d.slot, 1);

	assert_int_equal(conf1_read(1, 0x10, 4), 0xe0000004u); /* 64-bit memory BAR */
	assert_int_equal(conf1_read(1, 0x14, 4), 0);
	/* Sizing: all ones in, size mask out; flags stay. */
	conf1_write(1, 0x10, 4, 0xffffffffu);
	conf1_write(1, 0x14, 4, 0xffffffffu);
	assert_int_equal(conf1_read(1, 0x10, 4), 0xffff8004u);
	assert_int_equal(conf1_read(1, 0x14, 4), 0xffffffffu);
	conf1_write(1, 0x10, 4, 0xe0000000u);
	conf1_write(1, 0x14, 4, 0);
	assert_int_equal(pci_dev_bar64(&d, 0), 0xe0000000ULL);
	/* Unused BARs read 0 and stay 0. */
	conf1_write(1, 0x18, 4, 0xffffffffu);
	assert_int_equal(conf1_read(1, 0x18, 4), 0);
	/* Capability list walk. */
	assert_true(conf1_read(1, 0x06, 2) & 0x10);
	unsigned p = conf1_read(1, 0x34, 1), n = 0, ids[4];
	while (p && n < 4) {
		ids[n++] = conf1_read(1, p, 1);
		p = conf1_read(1, p + 1, 1);
	}
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 0x09);
	assert_int_equal(ids[1], 0x11);
	/* Command: memory enable is writable, reserved bits are not. */
	assert_false(pci_dev_mem_enabled(&d));
	conf1_write(1, 0x04, 2, 0xffff);
	assert_int_equal(conf1_read(1, 0x04, 2), 0x0407);
	assert_true(pci_dev_mem_enabled(&d));
	/* The window fills up: no BAR rather than an overlap. */
	struct pci_dev e;
	pci_dev_init(&e, 1, 2, 0, 0, 0, 0);
	assert_int_equal(pci_host_add_bar64(&h, &e, 0, 0x10000000ULL), 0);
	assert_int_equal(pci_host_add_bar64(&h, &e, 5, 0x1000), 0); /* needs two registers */
	assert_int_equal(pci_host_add_bar64(&h, &e, 0, 0x3000), 0); /* not a power of two */
}

static void test_hostile_accesses(void **state)
{
	struct pci_dev d;
	uint64_t v;
	(void)state;

	pci_dev_init(&d, 0x1af4, 0x1044, 1, 0xff0000, 0x1af4, 4);
	while (pci_dev_add_cap(&d, 0x09, 40)) /* fill the space */
		;
	assert_int_equal(pci_host_add(&h, &d), 0);
	/* Every offset, width and port offset, including unaligned and past the end. */
	for (unsigned off = 0; off < 260; off++) {
		for (unsigned port = 0; port < 8; port++) {
			for (unsigned size = 1; size <= 8; size *= 2) {
				bus_write(&m.pio, 0xcf8, 4, CFG_ADDR(d.slot, off & 0xff));
				bus_read(&m.pio, 0xcf8 + port, size, &v);
				bus_write(&m.pio, 0xcf8, 4, CFG_ADDR(d.slot, off & 0xff));
				bus_write(&m.pio, 0xcf8 + port, size, 0xffffffffffffffffULL);
			}
		}
		assert_int_equal(pci_host_cfg_read(&h, d.slot << 3, off, 4) & 0, 0);
		pci_host_cfg_write(&h, d.slot << 3, off, 4, 0xffffffffu);
		pci_host_cfg_write(&h, d.slot << 3, off, 3, 0xffffffffu); /* bad width: ignored */
		assert_int_equal(pci_host_cfg_read(&h, d.slot << 3, off, 3), 0xffffffffu);
	}
	/* Identity survived. */
	assert_int_equal(pci_host_cfg_read(&h, d.slot << 3, 0, 4), 0x10441af4u);
	assert_int_equal(pci_host_cfg_read(&h, 0xff, 0, 4), 0xffffffffu);
	/* Slots run out cleanly. */
	struct pci_dev many[PCI_HOST_SLOTS];
	int e = 0;
	for (unsigned i = 0; i < PCI_HOST_SLOTS && !e; i++)
		e = pci_host_add(&h, &many[i]);
	assert_int_equal(e, -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_conf1_probe_and_bridge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bar_sizing_and_caps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_accesses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
