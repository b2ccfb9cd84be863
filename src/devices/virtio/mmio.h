/* virtio-mmio transport, version 2 (virtio 1.x, section 4.2): one 4 KiB register window per
 * device on the machine's MMIO bus and one interrupt line. Device independent.
 *
 * On an accelerator with ioeventfd/irqfd (KVM), QueueNotify writes are turned into eventfd
 * signals handled on the event loop, and interrupts are injected through an irqfd, so the fast
 * path never exits to userspace. Elsewhere the bus callbacks call the device directly. */
#ifndef GASANG_DEVICES_VIRTIO_MMIO_H
#define GASANG_DEVICES_VIRTIO_MMIO_H

#include <stdint.h>

#include "devices/virtio/virtio.h"
#include "machine/bus.h"

#define VIRTIO_MMIO_SIZE 0x1000

struct virtio_mmio;

/* One queue's ioeventfd, as handed to the event loop. */
struct virtio_mmio_notify {
	struct virtio_mmio *t;
	unsigned q;
	int fd; /* -1 when unused */
};

struct virtio_mmio {
	struct virtio_dev *dev;
	uint64_t base;
	unsigned irq;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	int irqfd; /* -1: interrupts through irq_set() */
	struct virtio_mmio_notify notify[VIRTIO_MAX_QUEUES];
	uint64_t notifies, interrupts; /* counters for diagnostics */
};

extern const struct bus_ops virtio_mmio_ops;

/* Registers d's register window at base on m->mmio, wired to interrupt line irq, and sets up
 * the accelerator's fast paths when it has them. Returns 0 or -errno. */
int virtio_mmio_attach(struct virtio_mmio *t, struct virtio_dev *d, uint64_t base, unsigned irq);
/* Closes the eventfds (after the vCPUs and the loop have stopped). */
void virtio_mmio_detach(struct virtio_mmio *t);

#endif
