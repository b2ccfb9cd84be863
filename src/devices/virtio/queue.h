/* Split virtqueue (virtio 1.x, section 2.7): the device side of the descriptor table, the
 * available ring and the used ring, with indirect descriptors and VIRTIO_F_EVENT_IDX.
 *
 * Guest memory is reached only through machine/memory.h. Every index, length and address the
 * guest supplies is checked; a malformed ring marks the queue broken (virtq_pop returns -EIO)
 * and the transport then reports VIRTIO_CONFIG_S_NEEDS_RESET. Nothing a guest writes can make
 * this code loop, crash or touch host memory outside guest RAM. */
#ifndef GASANG_DEVICES_VIRTIO_QUEUE_H
#define GASANG_DEVICES_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "machine/memory.h"

/* Largest queue we offer (QueueNumMax); the spec allows 32768, 1024 is what Linux uses. */
#define VIRTQ_MAX_SIZE 1024

struct virtq {
	const struct guest_mem *mem;
	/* Programmed by the driver through the transport. */
	uint16_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Set by virtq_enable() after validation. */
	struct virtq_desc_raw *desc;
	uint16_t *avail; /* flags, idx, ring[num], used_event */
	uint16_t *used;	 /* flags, idx, then ring of {u32 id, u32 len}, then avail_event */
	bool event_idx;	 /* VIRTIO_F_EVENT_IDX negotiated */
	bool broken;	 /* a guest error was seen: no more processing until reset */
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used; /* used_idx when the driver was last notified */
	bool signalled_valid;
	uint64_t errors; /* guest errors seen, for diagnostics */
};

/* One descriptor chain, as host iovecs into guest RAM: iov[0..nr) are device-readable,
 * iov[nr..nr+nw) device-writable. Zero-length descriptors are dropped. The ring part of a
 * chain is at most the queue size, an indirect table at most VIRTQ_MAX_SIZE entries, and the
 * whole chain at most VIRTQ_MAX_SIZE buffers. */
struct virtq_chain {
	uint16_t head;
	unsigned nr, nw;
	uint64_t rlen, wlen; /* total bytes readable / writable */
	struct iovec iov[VIRTQ_MAX_SIZE];
};

/* Clears the queue (device reset); mem stays. */
void virtq_reset(struct virtq *q);
/* Validates num and the three ring addresses (inside RAM, aligned) and starts the queue.
 * Returns 0, or -EINVAL and leaves the queue broken. */
int virtq_enable(struct virtq *q, const struct guest_mem *mem, bool event_idx);

/* Takes the next available chain. Returns 1 with *c filled, 0 when the ring is empty, or -EIO
 * when the queue is (or just became) broken. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Returns a chain to the driver with len bytes written into its writable part. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for the entries pushed since the last call that
 * returned true (honours VIRTIO_F_EVENT_IDX's used_event and VRING_AVAIL_F_NO_INTERRUPT). */
bool virtq_should_notify(struct virtq *q);
/* True when the driver has made chains available that virtq_pop has not taken yet. */
bool virtq_has_avail(struct virtq *q);

/* Copy helpers over a chain's readable (from) or writable (to) part, at byte offset off.
 * Return the number of bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *buf, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *buf, size_t len);

#endif
