/* ACPI tables (ACPI 2.0-style FADT revision 3, with only the 32-bit legacy fields filled). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/util.h"
#include "boot/acpi.h"
#include "machine/machine.h"

#define APIC_ADDR   0xfee00000u
#define IOAPIC_ADDR 0xfec00000u

struct __attribute__((packed)) sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

/* Fills a table header for a table of len bytes at p and sets its checksum (call last). */
static void finish(uint8_t *p, const char *sig, uint32_t len, uint8_t rev)
{
	struct sdt_header h = {
	    .length = len, .revision = rev, .oem_revision = 1, .creator_revision = 1};

	memcpy(h.sig, sig, 4);
	memcpy(h.oem_id, "GASANG", 6);
	memcpy(h.oem_table_id, "GASANGPC", 8);
	memcpy(h.creator_id, "GSNG", 4);
	memcpy(p, &h, sizeof(h));
	p[9] = checksum(p, len);
}

/* The PCI host bridge's memory window (devices/pci, board/x86_pc.c): 0xe0000000-0xefffffff,
 * as the min and max fields of a DWordMemory descriptor. */
#define ACPI_PCI_MMIO_BYTES 0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xef

/* DSDT:
 *   Name (_S5_, Package () { 5, 5, 0, 0 })
 *   Scope (\_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A03")) Name (_UID, 0)
 *                                   Name (_CRS, { bus 0-255, memory 0xe0000000-0xefffffff }) }
 *                 Device (PEVT) { Name (_HID, "QEMU0001")
 *                                   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505,
 *                                                                        0x505, 1, 1) }) } }
 * PCI0 is the root of bus 0 (configuration mechanism #1, no MCFG); Linux scans it
 * only when ACPI describes it, so it is left out when no device sits on the bus (the scan and
 * the ACPI PCI root setup cost a booting kernel ~0.1-0.4 s in the KVM lab). PEVT is QEMU's
 * pvpanic device, which Linux's pvpanic-mmio driver binds to. */
static const uint8_t dsdt_s5[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP,
    0x00, 0x00};
static const uint8_t dsdt_pci0[] = {
    /* Device (PCI0), PkgLength 75 */
    0x5b, 0x82, 0x4b, 0x04, 'P', 'C', 'I', '0',
    /* Name (_HID, EisaId ("PNP0A03")) */
    0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,
    /* Name (_UID, Zero) */
    0x08, '_', 'U', 'I', 'D', 0x00,
    /* Name (_CRS, Buffer (44) { WordBusNumber 0-255, DWordMemory window, end tag }) */
    0x08, '_', 'C', 'R', 'S', 0x11, 0x2f, 0x0a, 0x2c, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01, 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00,
    0x00, 0x00, 0x00, ACPI_PCI_MMIO_BYTES, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x79,
    0x00};
static const uint8_t dsdt_pevt[] = {
    /* Device (PEVT), PkgLength 39 */
    0x5b, 0x82, 0x27, 'P', 'E', 'V', 'T',
    /* Name (_HID, "QEMU0001") */
    0x08, '_', 'H', 'I', 'D', 0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,
    /* Name (_CRS, Buffer (10) { IO descriptor, end tag }) */
    0x08, '_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a, 0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01,
    0x01, 0x79, 0x00};

static uint32_t write_dsdt(uint8_t *p, bool pci)
{
	uint32_t off = sizeof(struct sdt_header);
	/* Scope (\_SB): its PkgLength counts itself, the name and the two devices. */
	uint32_t body = 4 + (pci ? sizeof(dsdt_pci0) : 0) + sizeof(dsdt_pevt);
	uint32_t scope = body + (body + 1 < 64 ? 1 : 2);

	memcpy(p + off, dsdt_s5, sizeof(dsdt_s5));
	off += sizeof(dsdt_s5);
	p[off++] = 0x10;
	if (scope < 64) {
		p[off++] = (uint8_t)scope;
	} else {
		p[off++] = (uint8_t)(0x40 | (scope & 0xf));
		p[off++] = (uint8_t)(scope >> 4);
	}
	memcpy(p + off, "_SB_", 4);
	off += 4;
	if (pci) {
		memcpy(p + off, dsdt_pci0, sizeof(dsdt_pci0));
		off += sizeof(dsdt_pci0);
	}
	memcpy(p + off, dsdt_pevt, sizeof(dsdt_pevt));
	off += sizeof(dsdt_pevt);
	finish(p, "DSDT", off, 2);
	return off;
}

static uint32_t write_fadt(uint8_t *p, uint32_t facs, uint32_t dsdt)
{
	const uint32_t len = 244;

	memset(p, 0, len);
	le_put(p, 36, facs, 4);
	le_put(p, 40, dsdt, 4);
	le_put(p, 46, ACPI_SCI_IRQ, 2);
	le_put(p, 56, ACPI_PM1A_EVT_PORT, 4);
	le_put(p, 64, ACPI_PM1A_CNT_PORT, 4);
	p[88] = 4;     /* PM1_EVT_LEN */
	p[89] = 2;     /* PM1_CNT_LEN */
	p[108] = 0x32; /* CMOS century index */
	/* IAPC_BOOT_ARCH: no i8042 to probe (its reset line still works), no VGA. */
	le_put(p, 109, 1u << 2, 2);
	/* Flags: WBINVD, power and sleep buttons absent (control method / none). */
	le_put(p, 112, (1u << 0) | (1u << 4) | (1u << 5), 4);
	finish(p, "FACP", len, 3);
	return len;
}

static uint32_t write_madt(uint8_t *p, unsigned ncpus)
{
	uint32_t off = 44;

	memset(p, 0, 44);
	le_put(p, 36, APIC_ADDR, 4);
	le_put(p, 40, 1, 4); /* PCAT_COMPAT: there are 8259s too */
	for (unsigned i = 0; i < ncpus; i++, off += 8) {
		uint8_t e[8] = {0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0};

		memcpy(p + off, e, 8);
	}
	{
		uint8_t e[12] = {1, 12, (uint8_t)ncpus, 0};

		le_put(e, 4, IOAPIC_ADDR, 4);
		memcpy(p + off, e, 12);
		off += 12;
	}
	{
		uint8_t e[6] = {4, 6, 0xff, 0, 0, 1}; /* NMI on LINT1 of every CPU */

		memcpy(p + off, e, 6);
		off += 6;
	}
	finish(p, "APIC", off, 3);
	return off;
}

int acpi_write(struct machine *m, bool pci)
{
	uint8_t *base = gmem_ptr(&m->mem, ACPI_BASE, ACPI_SIZE);
	uint32_t rsdp = (uint32_t)ACPI_BASE, rsdt = rsdp + 0x40, facs = rsdp + 0x80;
	uint32_t dsdt = rsdp + 0x100, fadt = rsdp + 0x200, madt = rsdp + 0x400;
	uint8_t *p;

	if (!base || 0x400 + 44 + m->ncpus * 8ULL + 18 > ACPI_SIZE)
		return -EFAULT;
	memset(base, 0, 0x400);
	/* FACS: no checksum, 64 bytes. */
	p = base + (facs - rsdp);
	memcpy(p, "FACS", 4);
	le_put(p, 4, 64, 4);
	p[32] = 1; /* version */
	write_dsdt(base + (dsdt - rsdp), pci);
	write_fadt(base + (fadt - rsdp), facs, dsdt);
	write_madt(base + (madt - rsdp), m->ncpus);
	/* RSDT with the FADT and the MADT. */
	p = base + (rsdt - rsdp);
	le_put(p, 36, fadt, 4);
	le_put(p, 40, madt, 4);
	finish(p, "RSDT", 44, 1);
	/* RSDP, ACPI 1.0 form (20 bytes). */
	memcpy(base, "RSD PTR ", 8);
	memcpy(base + 9, "GASANG", 6);
	base[15] = 0;
	le_put(base, 16, rsdt, 4);
	base[8] = checksum(base, 20);
	return 0;
}
