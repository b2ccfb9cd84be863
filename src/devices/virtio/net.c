/* virtio-net (virtio 1.x, section 5.1), one queue pair, no offloads: frames carry the 12-byte
 * virtio_net_hdr_v1, which is stripped on transmit and zeroed on receive. The back end is a
 * tap device or libslirp (backends/net.h). */
#include "devices/virtio/devices.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "backends/net.h"
#include "devices/virtio/net_offload.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

#define RXQ	  0
#define TXQ	  1
#define HDR_LEN	  sizeof(struct virtio_net_hdr_v1)
#define MAX_FRAME 65536

struct virtio_net {
	struct virtio_dev dev;
	struct net_backend *nb;
	struct virtio_net_config cfg;
	struct virtq_chain chain;
	uint8_t tx[NET_OFFLOAD_MAX_FRAME]; /* the frame being sent, gathered from the chain */
	uint8_t pending[MAX_FRAME];	   /* a received frame waiting for a guest buffer */
	ssize_t pending_len;
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped, tx_segments;
	uint64_t tx_tso; /* frames the guest handed over for segmentation (gso_type set) */
};

/* Delivers waiting frames into receive buffers; device lock held. */
static void net_rx(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	bool pushed = false;

	while (virtio_dev_running(d) && d->vq[RXQ].ready) {
		struct virtio_net_hdr_v1 hdr = {.num_buffers = 1};

		/* Frames from the back ends carry valid checksums (slirp computes them, tap
		 * frames come from the host's stack): the guest need not check them again. */
		if (virtio_has_feature(d, VIRTIO_NET_F_GUEST_CSUM))
			hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;

		if (!n->pending_len) {
			n->pending_len = n->nb->recv(n->nb, n->pending, sizeof(n->pending));
			if (n->pending_len <= 0) {
				n->pending_len = 0;
				break;
			}
		}
		if (virtio_queue_pop(d, RXQ, &n->chain) <= 0)
			break; /* keep the frame until the driver adds buffers */
		if (n->chain.wlen < HDR_LEN + (uint64_t)n->pending_len) {
			n->rx_dropped++; /* buffer too small (no mergeable buffers negotiated) */
			virtq_push(&d->vq[RXQ], n->chain.head, 0);
		} else {
			virtq_chain_write(&n->chain, 0, &hdr, HDR_LEN);
			virtq_chain_write(&n->chain, HDR_LEN, n->pending, (size_t)n->pending_len);
			virtq_push(&d->vq[RXQ], n->chain.head,
				   (uint32_t)(HDR_LEN + (size_t)n->pending_len));
			n->rx_frames++;
		}
		n->pending_len = 0;
		pushed = true;
	}
	if (pushed)
		virtio_queue_done(d, RXQ);
}

static int emit_frame(void *opaque, const uint8_t *frame, size_t len)
{
	struct virtio_net *n = opaque;
	struct iovec iov = {(void *)frame, len};

	n->tx_segments++;
	return n->nb->send(n->nb, &iov, 1);
}

/* Sends one chain: the virtio-net header, then the frame, gathered into n->tx (one copy) so the
 * offloads can work on it in place. */
static void net_tx_one(struct virtio_net *n, const struct virtq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	size_t len;

	if (c->rlen <= HDR_LEN || c->rlen > HDR_LEN + sizeof(n->tx) ||
	    virtq_chain_read(c, 0, &hdr, HDR_LEN) != HDR_LEN) {
		n->tx_dropped++;
		return;
	}
	len = virtq_chain_read(c, HDR_LEN, n->tx, (size_t)c->rlen - HDR_LEN);
	if (net_offload_tx(&hdr, n->tx, len, n->nb->large_frames, emit_frame, n) < 0) {
		n->tx_dropped++; /* offload request we cannot parse */
		return;
	}
	n->tx_frames++;
	if (hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		n->tx_tso++;
}

static void net_tx(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	struct virtq_chain *c = &n->chain;

	while (virtio_queue_pop(d, TXQ, c) > 0) {
		net_tx_one(n, c);
		virtq_push(&d->vq[TXQ], c->head, 0);
	}
	if (n->nb->flush)
		n->nb->flush(n->nb);
	virtio_queue_done(d, TXQ);
	/* Replies the back end produced synchronously (ARP, DHCP, TCP ACKs from slirp). */
	net_rx(n);
}

static void net_notify(struct virtio_dev *d, unsigned q)
{
	if (q == TXQ)
		net_tx(d->priv);
	else
		net_rx(d->priv);
}

static void on_rx_ready(void *opaque)
{
	struct virtio_net *n = opaque;

	pthread_mutex_lock(&n->dev.lock);
	net_rx(n);
	pthread_mutex_unlock(&n->dev.lock);
}

static void net_start(struct virtio_dev *d)
{
	net_rx(d->priv);
}

static void net_free(struct virtio_dev *d)
{
	struct virtio_net *n = d->priv;

	log_debug("virtio-net: tx %llu frames (%llu TSO, %llu to the back end, %llu dropped), rx "
		  "%llu frames (%llu dropped)",
		  (unsigned long long)n->tx_frames, (unsigned long long)n->tx_tso,
		  (unsigned long long)n->tx_segments, (unsigned long long)n->tx_dropped,
		  (unsigned long long)n->rx_frames, (unsigned long long)n->rx_dropped);
	n->nb->close(n->nb);
	free(n);
}

static const struct virtio_dev_ops net_ops = {
    .name = "net",
    .device_id = VIRTIO_ID_NET,
    .nqueues = 2,
    .queue_max = 256,
    .queue_notify = net_notify,
    .start = net_start,
    .free = net_free,
};

static int open_backend(struct machine *m, const char *spec, struct net_backend **nb)
{
	if (strcmp(spec, "user") == 0)
		return net_slirp_open(NULL, nb);
	if (strncmp(spec, "user,", 5) == 0)
		return net_slirp_open(spec + 5, nb);
	if (strncmp(spec, "tap=", 4) == 0)
		return net_tap_open(spec + 4, &m->loop, nb);
	log_error("--net %s: expected user[,hostfwd=tcp::HOSTPORT-:GUESTPORT] or tap=NAME", spec);
	return -ECANCELED;
}

int virtio_net_create(struct machine *m, const char *spec, unsigned index, struct virtio_dev **out)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + index)};
	int e;

	if (!n)
		return -ENOMEM;
	e = open_backend(m, spec, &n->nb);
	if (e) {
		free(n);
		return e;
	}
	memcpy(n->cfg.mac, mac, sizeof(mac));
	n->cfg.status = VIRTIO_NET_S_LINK_UP;
	n->cfg.max_virtqueue_pairs = 1;
	n->cfg.mtu = 1500;
	virtio_dev_init(&n->dev, m, &net_ops, n,
			(1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
			    (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_CSUM) |
			    (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
			    (1ULL << VIRTIO_NET_F_GUEST_CSUM),
			&n->cfg, sizeof(n->cfg));
	n->nb->rx_ready = on_rx_ready;
	n->nb->opaque = n;
	*out = &n->dev;
	return 0;
}
