/* Minimal ACPI tables for the x86 board: RSDP, RSDT, FADT (+FACS, DSDT with \_S5) and MADT.
 * They give Linux the vCPUs and I/O APIC (kernels built without MP-table support need the
 * MADT), and a power-off path: the PM1a control port (devices/acpi_pm.c). */
#ifndef GASANG_BOOT_ACPI_H
#define GASANG_BOOT_ACPI_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define ACPI_BASE	   0xe0000ULL /* RSDP first: legacy scans find it here */
#define ACPI_SIZE	   0x10000ULL
#define ACPI_PM1A_EVT_PORT 0x600
#define ACPI_PM1A_CNT_PORT 0x604
#define ACPI_SCI_IRQ	   9
#define ACPI_S5_SLP_TYP	   5

/* Writes the tables at ACPI_BASE; the DSDT describes the PCI root bus (\_SB.PCI0) only when
 * pci is set. Returns 0 or -EFAULT. */
int acpi_write(struct machine *m, bool pci);

#endif
