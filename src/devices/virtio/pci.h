/* Modern virtio-pci transport (virtio 1.x, section 4.1) on the x86 board's PCI host: vendor
 * 0x1af4, device 0x1040 + type, revision 1, one 64-bit memory BAR (BAR 0) holding the common
 * configuration, ISR, device configuration, notification and MSI-X table/PBA regions, each
 * announced by a vendor capability. Interrupts go out as MSI-X messages (accel msi hook: on KVM,
 * an irqfd on an MSI route, else KVM_SIGNAL_MSI) or, while MSI-X is off, on a legacy INTx line.
 * Queue notifications arrive through ioeventfds on the notify addresses when the accelerator has
 * them. Device independent: drives the same struct virtio_dev the mmio transport drives. */
#ifndef GASANG_DEVICES_VIRTIO_PCI_H
#define GASANG_DEVICES_VIRTIO_PCI_H

#include <stdint.h>

#include "devices/pci/host.h"
#include "devices/virtio/virtio.h"
#include "machine/bus.h"

/* BAR 0 layout. */
#define VPCI_COMMON_OFF	 0x0000
#define VPCI_COMMON_SIZE 0x0040
#define VPCI_ISR_OFF	 0x1000
#define VPCI_DEVCFG_OFF	 0x2000
#define VPCI_DEVCFG_SIZE 0x1000
#define VPCI_NOTIFY_OFF	 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_OFF	 0x4000
#define VPCI_PBA_OFF	 0x5000
#define VPCI_BAR_SIZE	 0x8000
#define VPCI_NVEC	 (VIRTIO_MAX_QUEUES + 1)
#define VPCI_NO_VECTOR	 0xffff

struct virtio_pci;

struct virtio_pci_notify {
	struct virtio_pci *t;
	unsigned q;
	int fd; /* -1 when unused */
};

struct virtio_pci {
	struct virtio_dev *dev;
	struct pci_host *host;
	struct pci_dev pci;
	uint64_t bar; /* where BAR 0 was placed (and registered on the MMIO bus) */
	unsigned irq; /* INTx line */
	bool intx_level;
	unsigned msix_cap;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint16_t queue_sel;
	uint16_t msix_config;
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
	uint16_t queue_size[VIRTIO_MAX_QUEUES];
	uint32_t msix[VPCI_NVEC][4]; /* addr lo, addr hi, data, control */
	uint32_t pba;
	/* Per vector, with the accelerator's msi_route + irqfd: an eventfd injecting the vector's
	 * message through an MSI route (GSI), -1 to use the msi hook instead. */
	int vfd[VPCI_NVEC];
	int vgsi[VPCI_NVEC];
	struct virtio_pci_notify notify[VIRTIO_MAX_QUEUES];
	uint64_t notifies, interrupts; /* counters for diagnostics */
};

extern const struct bus_ops virtio_pci_bar_ops;

/* Puts d on host h as a new PCI function with INTx line irq: allocates its BAR, registers it
 * on the MMIO bus (when h has a machine) and sets up the accelerator's fast paths.
 * Returns 0 or -errno. */
int virtio_pci_attach(struct virtio_pci *t, struct pci_host *h, struct virtio_dev *d, unsigned irq);
/* Closes the eventfds (after the vCPUs and the loop have stopped). */
void virtio_pci_detach(struct virtio_pci *t);

#endif
