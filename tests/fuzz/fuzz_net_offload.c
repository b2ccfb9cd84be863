/* libFuzzer target: virtio-net transmit offloads (net_offload.c) on arbitrary virtio-net headers
 * and frames, as a hostile guest would send them. The oracle, besides the sanitizers: every
 * emitted frame lies within the size limit, is no longer than the input for a single frame,
 * and segmentation emits at most one frame per gso_size bytes of payload (plus one). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/net_offload.h"

static uint8_t frame[NET_OFFLOAD_MAX_FRAME + 64];
static size_t in_len;
static unsigned emitted;

static int emit(void *opaque, const uint8_t *f, size_t len)
{
	volatile uint8_t sink = 0;
	(void)opaque;

	if (len > NET_OFFLOAD_MAX_FRAME || len > in_len)
		abort();
	for (size_t i = 0; i < len; i += 512)
		sink ^= f[i];
	emitted++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr_v1 h;
	bool large;
	int n;

	if (size < sizeof(h) + 1)
		return 0;
	memcpy(&h, data, sizeof(h));
	large = data[sizeof(h)] & 1;
	data += sizeof(h) + 1;
	size -= sizeof(h) + 1;
	in_len = size < sizeof(frame) ? size : sizeof(frame);
	memcpy(frame, data, in_len);
	emitted = 0;
	n = net_offload_tx(&h, frame, in_len, large, emit, NULL);
	if (n >= 0 && (unsigned)n != emitted)
		abort();
	if (n > 1 && (!h.gso_size || (size_t)n > in_len / h.gso_size + 1))
		abort();
	return 0;
}
