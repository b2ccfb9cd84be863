/* Board wiring for the virtio family: creates the devices the user asked for (struct
 * vm_config: --disk, --net, --rng, --vsock, --console virtio) and puts each on a virtio-mmio
 * slot the board provides. Also builds what the guest needs to find them: device tree nodes
 * (riscv64) or virtio_mmio.device= kernel parameters (x86_64). */
#ifndef GASANG_DEVICES_VIRTIO_ATTACH_H
#define GASANG_DEVICES_VIRTIO_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/mmio.h"
#include "devices/virtio/pci.h"
#include "machine/config.h"

struct machine;

#define VIRTIO_MAX_SLOTS 32

/* The board's virtio-mmio slots: slot i is the 4 KiB window at base + i * 0x1000 with
 * interrupt line irq[i]. */
struct virtio_slots {
	uint64_t base;
	unsigned n;
	unsigned irq[VIRTIO_MAX_SLOTS];
	/* x86: when set, devices go on this PCI host as virtio-pci functions instead (irq[i]
	 * is then the INTx line of the i-th device). */
	struct pci_host *pci;
};

struct virtio_attached {
	struct virtio_dev *dev;
	struct virtio_mmio t;
	struct virtio_pci p; /* used instead of t when pci */
	bool pci;
	uint64_t base;
	unsigned irq;
};

struct virtio_set {
	unsigned n;
	struct virtio_attached a[VIRTIO_MAX_SLOTS];
};

/* Creates every virtio device cfg asks for, in a fixed order (console, disks, nets, rng,
 * vsock), each on the next free slot. Call after machine_init() and after the board's
 * irq_set is installed, before machine_run(). On failure, prints one error line
 * ("gasang: --disk x.img: No such file or directory"), frees what it made and returns
 * -errno; *out is NULL. */
int virtio_attach_all(struct machine *m, const struct vm_config *cfg,
		      const struct virtio_slots *slots, struct virtio_set **out);
/* Frees the devices: call after machine_run() returned (vCPUs and loop stopped) and before
 * machine_free(). NULL is fine. */
void virtio_detach_all(struct virtio_set *s);

/* x86: appends " virtio_mmio.device=4K@0xBASE:IRQ" per virtio-mmio device to buf (NUL terminated, of
 * size len). Returns 0 or -ENOSPC. */
int virtio_mmio_cmdline(const struct virtio_set *s, char *buf, size_t len);
/* riscv64: adds a "virtio_mmio@BASE" node per device under parent (a node with
 * #address-cells = #size-cells = 2) of a device tree opened read-write, with interrupts
 * routed to the controller with phandle intc. Returns 0 or a negative libfdt error. */
int virtio_mmio_fdt(const struct virtio_set *s, void *fdt, int parent, uint32_t intc);

#endif
