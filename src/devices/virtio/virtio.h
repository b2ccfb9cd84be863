/* The transport-independent part of a virtio device (virtio 1.x): feature negotiation, device
 * status, queues, the interrupt status bits, and the ops table a device type fills in.
 * A transport (mmio.c, later pci) maps its registers onto this and delivers the interrupts.
 *
 * Locking: d->lock guards everything here and the device's own state. Transports take it for
 * register accesses and queue notifications; back ends running on the event loop take it
 * before touching queues. Device ops are called with the lock held. */
#ifndef GASANG_DEVICES_VIRTIO_VIRTIO_H
#define GASANG_DEVICES_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/queue.h"

struct machine;
struct virtio_dev;

#define VIRTIO_MAX_QUEUES 8

/* Interrupt status bits (virtio-mmio InterruptStatus, virtio-pci ISR). */
#define VIRTIO_ISR_USED	  1u
#define VIRTIO_ISR_CONFIG 2u

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id; /* VIRTIO_ID_* */
	unsigned nqueues;
	uint16_t queue_max; /* 0 = VIRTQ_MAX_SIZE */
	/* Called with d->lock held when the driver kicks queue q. */
	void (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* The driver set DRIVER_OK: start producing input (rx, console...). Optional. */
	void (*start)(struct virtio_dev *d);
	/* The driver reset the device: forget in-flight work. Optional. */
	void (*reset)(struct virtio_dev *d);
	/* A driver write into the configuration space (already bounds checked). Optional:
	 * without it the configuration space is read-only. */
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *buf, unsigned len);
	/* Releases the device's private state at machine teardown. Optional. */
	void (*free)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	struct machine *m;
	pthread_mutex_t lock;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	uint64_t host_features; /* device bits | VERSION_1 | INDIRECT_DESC | EVENT_IDX */
	uint64_t guest_features;
	uint32_t status;
	uint32_t isr;
	uint32_t config_gen;
	void *config; /* device configuration space, little-endian, config_size bytes */
	uint32_t config_size;
	/* Set by the transport: raises the device's interrupt with the given ISR bits. */
	void (*raise)(struct virtio_dev *d, uint32_t isr_bits);
	/* Optional, set by transports with per-queue interrupts (virtio-pci MSI-X): used
	 * instead of raise(d, VIRTIO_ISR_USED) when queue q has new used entries. */
	void (*raise_queue)(struct virtio_dev *d, unsigned q);
	void *transport;
};

/* Fills d for a device of type ops with the given device feature bits and config space. */
void virtio_dev_init(struct virtio_dev *d, struct machine *m, const struct virtio_dev_ops *ops,
		     void *priv, uint64_t features, void *config, uint32_t config_size);
/* Reset as written by the driver (status 0). */
void virtio_dev_reset(struct virtio_dev *d);
/* Applies a driver write of the status register (checks FEATURES_OK, calls start/reset). */
void virtio_dev_set_status(struct virtio_dev *d, uint32_t status);
/* Validates and starts queue q with the addresses the driver programmed. */
void virtio_dev_queue_ready(struct virtio_dev *d, unsigned q, bool ready);

static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
	return d->guest_features & (1ULL << bit);
}
/* True when the driver has set DRIVER_OK and the device is not waiting for a reset. */
bool virtio_dev_running(const struct virtio_dev *d);
/* After pushing used entries on queue q: interrupts the driver if it asked for it. */
void virtio_queue_done(struct virtio_dev *d, unsigned q);
/* Takes the next chain of queue q: 1 got one, 0 empty, <0 queue unusable (a guest error puts
 * the device into NEEDS_RESET here). */
int virtio_queue_pop(struct virtio_dev *d, unsigned q, struct virtq_chain *c);
/* The device gave up on the guest (guest error): sets NEEDS_RESET, tells the driver. */
void virtio_dev_fail(struct virtio_dev *d, const char *why);
/* The device changed its configuration space: bumps the generation, config interrupt. */
void virtio_config_changed(struct virtio_dev *d);
void virtio_dev_free(struct virtio_dev *d);

/* Interrupt delivery paths, counted in the machine's device statistics (--stats) so tests can
 * tell the irqfd fast path from injection by ioctl. IDs are dev_stats slots. */
#define VIRTIO_STAT_MMIO_IRQFD	89 /* "virtio-mmio:irqfd": eventfd signals (KVM irqfd, GSI) */
#define VIRTIO_STAT_MMIO_LINE	90 /* "virtio-mmio:irq-line": irq_set() (ioctl / emulated PLIC) */
#define VIRTIO_STAT_PCI_MSIFD	91 /* "virtio-pci:msi-irqfd": eventfd on an MSI route */
#define VIRTIO_STAT_PCI_MSIHOOK 92 /* "virtio-pci:msi-ioctl": the accel's msi hook */
#define VIRTIO_STAT_PCI_INTX	93 /* "virtio-pci:intx-line": INTx raised with irq_set() */
/* Counts one event in slot id (any thread; serialized here). */
void virtio_count(struct virtio_dev *d, unsigned id, const char *name);

#endif
