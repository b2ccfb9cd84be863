/* virtio-net transmit offloads done by the device (virtio 1.x, 5.1.6.2): checksum completion
 * (VIRTIO_NET_F_CSUM: NEEDS_CSUM with csum_start/csum_offset) and TCP segmentation
 * (VIRTIO_NET_F_HOST_TSO4/6: gso_type, gso_size). The guest then hands the device one frame of
 * up to 64 KiB per TCP burst without computing checksums; the device turns it into frames the
 * back end can take: MTU-sized segments with full checksums, or (for back ends that accept
 * them, like libslirp) one large IP packet with a full checksum.
 *
 * The frame is guest data: every header field is checked against the frame's length; a frame
 * that cannot be parsed is refused (-EINVAL) and the caller drops it. */
#ifndef GASANG_DEVICES_VIRTIO_NET_OFFLOAD_H
#define GASANG_DEVICES_VIRTIO_NET_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest frame (Ethernet header included) a GSO request may describe: 64 KiB of IP packet. */
#define NET_OFFLOAD_MAX_FRAME (14 + 65535)

/* Receives each outgoing frame (a contiguous buffer the callee may not keep). */
typedef int (*net_offload_emit)(void *opaque, const uint8_t *frame, size_t len);

/* Completes the offloads the header h asks for on frame[0..len) (modified in place) and emits
 * the result: one frame, or for a GSO frame either MTU segments of gso_size payload bytes or,
 * with large_ok, one large IP packet. Returns the number of frames emitted, -EINVAL or -ENOMEM. */
int net_offload_tx(const struct virtio_net_hdr_v1 *h, uint8_t *frame, size_t len, bool large_ok,
		   net_offload_emit emit, void *opaque);

/* The Internet checksum of [p, p+len) added to sum (ones' complement, not yet folded). */
uint64_t net_csum_add(uint64_t sum, const uint8_t *p, size_t len);
/* Folds sum to 16 bits and complements it; never returns 0 (0xffff instead: same value). */
uint16_t net_csum_fold(uint64_t sum);

#endif
