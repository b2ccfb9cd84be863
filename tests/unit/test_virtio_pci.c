/* The modern virtio-pci transport with virtio-rng behind it: identity and capabilities through
 * configuration mechanism #1, common configuration queue setup, notifications, MSI-X table and
 * masking (messages go to the accelerator's msi hook), the INTx fallback, and hostile accesses
 * over the whole BAR. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "accel/accel.h"
#include "devices/virtio/devices.h"
#include "devices/virtio/pci.h"
#include "machine/machine.h"

#define RAM   0x100000ULL
#define RAMSZ 0x400000ULL
#define QA    (RAM + 0x10000ULL)
#define DATA  (RAM + 0x100000ULL)
#define QN    16
#define IRQ   10

struct fix {
	struct machine m;
	struct pci_host h;
	struct virtio_pci t;
	struct virtio_dev *d;
	uint64_t bar;
	uint16_t avail;
	bool level;
};

static struct fix *F;
static int nmsi;
static uint64_t msi_addr;
static uint32_t msi_data;

static int fake_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	(void)m;
	nmsi++;
	msi_addr = addr;
	msi_data = data;
	return 0;
}

static const struct accel_ops fake_accel = {.name = "fake", .msi = fake_msi};

/* An accelerator with MSI routes and irqfds (as KVM): GSI g's message and eventfd. */
static int nroutes;
static uint64_t route_addr[64];
static uint32_t route_data[64];
static int route_fd[64];

static int fake_msi_route(struct machine *m, int *gsi, uint64_t addr, uint32_t data)
{
	(void)m;
	if (*gsi < 0)
		*gsi = nroutes++;
	assert_true(*gsi < 64);
	route_addr[*gsi] = addr;
	route_data[*gsi] = data;
	return 0;
}

static int fake_irqfd(struct machine *m, unsigned gsi, int fd)
{
	(void)m;
	assert_true(gsi < 64);
	route_fd[gsi] = fd;
	return 0;
}

static const struct accel_ops fake_routes = {
    .name = "fake-routes", .msi = fake_msi, .msi_route = fake_msi_route, .irqfd = fake_irqfd};

static void fake_irq(void *opaque, unsigned line, bool level)
{
	assert_int_equal(line, IRQ);
	((struct fix *)opaque)->level = level;
}

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	uint64_t v = 0;

	bus_write(&F->m.pio, 0xcf8, 4, 0x80000000u | F->t.pci.slot << 11 | (off & 0xfc));
	bus_read(&F->m.pio, 0xcfc + (off & 3), size, &v);
	return (uint32_t)v;
}

static void cfg_wr(unsigned off, unsigned size, uint32_t v)
{
	bus_write(&F->m.pio, 0xcf8, 4, 0x80000000u | F->t.pci.slot << 11 | (off & 0xfc));
	bus_write(&F->m.pio, 0xcfc + (off & 3), size, v);
}

static uint64_t rd(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_true(bus_read(&F->m.mmio, F->bar + off, size, &v));
	return v;
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
	assert_true(bus_write(&F->m.mmio, F->bar + off, size, v));
}

static int setup(void **state)
{
	(void)state;
	F = calloc(1, sizeof(*F));
	bus_init(&F->m.mmio, "mmio");
	bus_init(&F->m.pio, "pio");
	assert_int_equal(gmem_add_ram(&F->m.mem, RAM, RAMSZ), 0);
	F->m.accel = &fake_accel;
	F->m.irq_set = fake_irq;
	F->m.irq_opaque = F;
	assert_int_equal(pci_host_init(&F->h, &F->m, 0xe0000000ULL, 0x10000000ULL), 0);
	assert_int_equal(virtio_rng_create(&F->m, &F->d), 0);
	assert_int_equal(virtio_pci_attach(&F->t, &F->h, F->d, IRQ), 0);
	F->bar = F->t.bar;
	nmsi = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	virtio_pci_detach(&F->t);
	virtio_dev_free(F->d);
	bus_free(&F->m.mmio);
	bus_free(&F->m.pio);
	gmem_free(&F->m.mem);
	free(F);
	return 0;
}

/* Driver bring-up through the common configuration, queue 0 of QN entries with vector vec. */
static void driver_init(uint16_t vec)
{
	uint64_t c = VPCI_COMMON_OFF;

	cfg_wr(0x04, 2, 0x0006); /* memory + bus master */
	wr(c + VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_STATUS, 1), 0);
	wr(c + VIRTIO_PCI_COMMON_STATUS, 1, 3);
	wr(c + VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	assert_true(rd(c + VIRTIO_PCI_COMMON_DF, 4) & 1); /* VERSION_1 is bit 32 */
	wr(c + VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	wr(c + VIRTIO_PCI_COMMON_GF, 4, 1);
	wr(c + VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(c + VIRTIO_PCI_COMMON_GF, 4, 0);
	wr(c + VIRTIO_PCI_COMMON_STATUS, 1, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(rd(c + VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	wr(c + VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTQ_MAX_SIZE);
	wr(c + VIRTIO_PCI_COMMON_Q_SIZE, 2, QN);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_SIZE, 2), QN);
	/* 64-bit addresses as Linux writes them: two 32-bit halves; and one 64-bit access. */
	wr(c + VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)QA);
	wr(c + VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
	wr(c + VIRTIO_PCI_COMMON_Q_AVAILLO, 8, QA + 0x1000);
	wr(c + VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)(QA + 0x2000));
	wr(c + VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_AVAILLO, 8), QA + 0x1000);
	wr(c + VIRTIO_PCI_COMMON_Q_MSIX, 2, 99); /* beyond the table: refused */
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_MSIX, 2), VPCI_NO_VECTOR);
	wr(c + VIRTIO_PCI_COMMON_Q_MSIX, 2, vec);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_MSIX, 2), vec);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
	wr(c + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(rd(c + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	wr(c + VIRTIO_PCI_COMMON_STATUS, 1, 3 | VIRTIO_CONFIG_S_FEATURES_OK | 4);
}

static uint16_t used_idx(void)
{
	uint16_t i;
	assert_int_equal(gmem_read(&F->m.mem, QA + 0x2000 + 2, &i, 2), 0);
	return i;
}

/* One 64-byte writable buffer, kicked through the notify region with a 16-bit write. */
static void offer_and_kick(void)
{
	struct vring_desc d = {.addr = DATA, .len = 64, .flags = VRING_DESC_F_WRITE};
	uint16_t head = 0, idx = (uint16_t)(F->avail + 1);

	assert_int_equal(gmem_write(&F->m.mem, QA, &d, sizeof(d)), 0);
	assert_int_equal(gmem_write(&F->m.mem, QA + 0x1000 + 4 + 2 * (F->avail % QN), &head, 2), 0);
	assert_int_equal(gmem_write(&F->m.mem, QA + 0x1000 + 2, &idx, 2), 0);
	F->avail = idx;
	wr(VPCI_NOTIFY_OFF + 0 * VPCI_NOTIFY_MULT, 2, 0);
	assert_int_equal(used_idx(), F->avail);
}

static void test_identity_and_caps(void **state)
{
	unsigned seen = 0, p;
	(void)state;

	assert_int_equal(cfg_rd(0, 2), 0x1af4);
	assert_int_equal(cfg_rd(2, 2), 0x1044);
	assert_int_equal(cfg_rd(8, 1), 1);
	assert_int_equal(cfg_rd(0x2e, 2), 4);
	assert_int_equal(cfg_rd(0x3d, 1), 1);
	assert_int_equal(cfg_rd(0x3c, 1), IRQ);
	assert_int_equal(cfg_rd(0x10, 4), (uint32_t)F->bar | 4);
	for (p = cfg_rd(0x34, 1); p; p = cfg_rd(p + 1, 1)) {
		unsigned id = cfg_rd(p, 1);
		if (id == 0x09) {
			unsigned type = cfg_rd(p + 3, 1), off = cfg_rd(p + 8, 4);
			assert_int_equal(cfg_rd(p + 4, 1), 0); /* BAR 0 */
			seen |= 1u << type;
			if (type == VIRTIO_PCI_CAP_COMMON_CFG)
				assert_int_equal(off, VPCI_COMMON_OFF);
			if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
				assert_int_equal(off, VPCI_NOTIFY_OFF);
				assert_int_equal(cfg_rd(p + 16, 4), VPCI_NOTIFY_MULT);
			}
			if (type == VIRTIO_PCI_CAP_ISR_CFG)
				assert_int_equal(off, VPCI_ISR_OFF);
		} else {
			assert_int_equal(id, 0x11); /* MSI-X */
			assert_int_equal(cfg_rd(p + 2, 2) & 0x7ff, VPCI_NVEC - 1);
			assert_int_equal(cfg_rd(p + 4, 4), VPCI_MSIX_OFF);
			assert_int_equal(cfg_rd(p + 8, 4), VPCI_PBA_OFF);
			seen |= 1u << 8;
		}
	}
	assert_int_equal(seen, 0x11e); /* common, notify, isr, device, MSI-X */
	/* BAR sizing reports the BAR's size. */
	cfg_wr(0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_rd(0x10, 4), (uint32_t) ~(VPCI_BAR_SIZE - 1) | 4);
	cfg_wr(0x10, 4, (uint32_t)F->bar);
	/* Memory decoding off: the BAR reads as all ones and ignores writes. */
	assert_int_equal(rd(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_NUMQ, 2) & 0xffff, 0xffff);
}

static void test_msix_delivery_and_masking(void **state)
{
	uint64_t msix = VPCI_MSIX_OFF + 16 * 1;
	(void)state;

	driver_init(1);
	/* Enable MSI-X, program vector 1, unmask it. */
	unsigned cap = F->t.msix_cap;
	cfg_wr(cap + 2, 2, 0x8000);
	wr(msix + 0, 4, 0xfee00000u);
	wr(msix + 4, 4, 0);
	wr(msix + 8, 4, 0x4041);
	wr(msix + 12, 4, 0);
	assert_int_equal(rd(msix + 8, 4), 0x4041);
	offer_and_kick();
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr, 0xfee00000u);
	assert_int_equal(msi_data, 0x4041);
	assert_false(F->level); /* no INTx while MSI-X is on */
	/* Masked: the message waits in the PBA, and goes out on unmask. */
	wr(msix + 12, 4, 1);
	offer_and_kick();
	assert_int_equal(nmsi, 1);
	assert_int_equal(rd(VPCI_PBA_OFF, 4), 1u << 1);
	wr(msix + 12, 4, 0);
	assert_int_equal(nmsi, 2);
	assert_int_equal(rd(VPCI_PBA_OFF, 4), 0);
	/* Function mask in the capability does the same. */
	cfg_wr(cap + 2, 2, 0xc000);
	offer_and_kick();
	assert_int_equal(nmsi, 2);
	cfg_wr(cap + 2, 2, 0x8000);
	assert_int_equal(nmsi, 3);
	/* The PBA is read-only. */
	wr(VPCI_PBA_OFF, 4, 0xffffffffu);
	assert_int_equal(rd(VPCI_PBA_OFF, 4), 0);
	/* Reset clears the vectors. */
	wr(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(rd(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_Q_MSIX, 2), VPCI_NO_VECTOR);
	assert_int_equal(rd(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_MSIX, 2), VPCI_NO_VECTOR);
}

static void test_intx_fallback(void **state)
{
	(void)state;

	driver_init(VPCI_NO_VECTOR);
	offer_and_kick();
	assert_true(F->level);
	assert_int_equal(nmsi, 0);
	assert_int_equal(rd(VPCI_ISR_OFF, 1), VIRTIO_ISR_USED); /* read clears */
	assert_false(F->level);
	assert_int_equal(rd(VPCI_ISR_OFF, 1), 0);
	/* INTx disable in the command register holds the line low. */
	cfg_wr(0x04, 2, 0x0406);
	offer_and_kick();
	assert_false(F->level);
	cfg_wr(0x04, 2, 0x0006);
	assert_true(F->level);
}

static void test_hostile_bar_accesses(void **state)
{
	(void)state;

	driver_init(1);
	cfg_wr(F->t.msix_cap + 2, 2, 0x8000);
	/* Every offset of the BAR, every width, aligned or not, garbage values: reads and
	 * writes never crash and never reach outside guest RAM (ASan checks). */
	for (uint64_t off = 0; off < VPCI_BAR_SIZE; off++) {
		for (unsigned size = 1; size <= 8; size *= 2) {
			uint64_t v;
			bus_read(&F->m.mmio, F->bar + off, size, &v);
			if (off != VIRTIO_PCI_COMMON_STATUS)
				bus_write(&F->m.mmio, F->bar + off, size,
					  0xfedcba9876543210ULL ^ off);
		}
	}
	/* Queue select out of range: queue fields read 0 and writes go nowhere. */
	wr(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_Q_SELECT, 2, 0x7fff);
	assert_int_equal(rd(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	wr(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	/* Odd sizes at the bus level are dropped by the transport. */
	assert_int_equal(virtio_pci_bar_ops.read(&F->t, 0, 3), 0);
	virtio_pci_bar_ops.write(&F->t, VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS, 0, 3);
	/* The device can still be reset and brought up again. */
	wr(VPCI_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS, 1, 0);
	F->avail = 0;
	memset(gmem_ptr(&F->m.mem, QA, 0x3000), 0, 0x3000);
	driver_init(VPCI_NO_VECTOR);
	cfg_wr(F->t.msix_cap + 2, 2, 0);
	offer_and_kick();
	assert_true(F->level);
}

static int setup_routes(void **state)
{
	nroutes = 0;
	setup(state);
	virtio_pci_detach(&F->t);
	virtio_dev_free(F->d);
	/* Again, on an accelerator with routes (the bus keeps the first registration's range,
	 * whose opaque is the same transport struct). */
	F->m.accel = &fake_routes;
	assert_int_equal(virtio_rng_create(&F->m, &F->d), 0);
	bus_free(&F->m.mmio);
	bus_init(&F->m.mmio, "mmio");
	bus_free(&F->m.pio);
	bus_init(&F->m.pio, "pio");
	assert_int_equal(pci_host_init(&F->h, &F->m, 0xe0000000ULL, 0x10000000ULL), 0);
	assert_int_equal(virtio_pci_attach(&F->t, &F->h, F->d, IRQ), 0);
	F->bar = F->t.bar;
	return 0;
}

static void test_msix_through_irqfd_routes(void **state)
{
	uint64_t msix = VPCI_MSIX_OFF + 16 * 1, n = 0;
	(void)state;

	assert_int_equal(nroutes, VPCI_NVEC); /* one route and eventfd per vector */
	int gsi = F->t.vgsi[1];
	assert_true(gsi >= 0);
	driver_init(1);
	cfg_wr(F->t.msix_cap + 2, 2, 0x8000);
	wr(msix + 0, 4, 0xfee01000u);
	wr(msix + 8, 4, 0x4051);
	wr(msix + 12, 4, 0);
	/* The route follows the table entry. */
	assert_int_equal(route_addr[gsi], 0xfee01000u);
	assert_int_equal(route_data[gsi], 0x4051);
	offer_and_kick();
	assert_int_equal(nmsi, 0); /* not through the msi hook */
	assert_int_equal(read(route_fd[gsi], &n, sizeof(n)), sizeof(n));
	assert_int_equal(n, 1);
	/* Masked: nothing on the eventfd until unmasked. */
	wr(msix + 12, 4, 1);
	offer_and_kick();
	assert_true(read(route_fd[gsi], &n, sizeof(n)) < 0);
	wr(msix + 12, 4, 0);
	assert_int_equal(read(route_fd[gsi], &n, sizeof(n)), sizeof(n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity_and_caps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_msix_delivery_and_masking, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_intx_fallback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_bar_accesses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_msix_through_irqfd_routes, setup_routes, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
