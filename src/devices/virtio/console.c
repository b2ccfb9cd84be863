/* virtio-console (virtio 1.x, section 5.3), one port without MULTIPORT: the guest's hvc0.
 * Output from the transmit queue goes to the character device; input buffered by the
 * character device fills the receive queue's buffers as the driver offers them. */
#include "devices/virtio/devices.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>

#include "backends/chardev.h"
#include "base/util.h"

#define RXQ 0
#define TXQ 1

struct virtio_console {
	struct virtio_dev dev;
	struct chardev *cd;
	struct virtio_console_config cfg;
	struct virtq_chain chain;
	uint64_t tx_bytes, rx_bytes;
};

static void console_tx(struct virtio_console *c)
{
	struct virtio_dev *d = &c->dev;

	while (virtio_queue_pop(d, TXQ, &c->chain) > 0) {
		for (unsigned i = 0; i < c->chain.nr; i++) {
			chardev_write(c->cd, c->chain.iov[i].iov_base, c->chain.iov[i].iov_len);
			c->tx_bytes += c->chain.iov[i].iov_len;
		}
		virtq_push(&d->vq[TXQ], c->chain.head, 0);
	}
	virtio_queue_done(d, TXQ);
}

/* Moves buffered input into receive buffers; called with the device lock held. */
static void console_rx(struct virtio_console *c)
{
	struct virtio_dev *d = &c->dev;
	bool pushed = false;

	while (virtio_dev_running(d) && d->vq[RXQ].ready && chardev_has_input(c->cd)) {
		uint8_t buf[4096];
		size_t n;

		if (virtio_queue_pop(d, RXQ, &c->chain) <= 0)
			break;
		n = chardev_read(c->cd, buf, (size_t)MIN(c->chain.wlen, sizeof(buf)));
		n = virtq_chain_write(&c->chain, 0, buf, n);
		c->rx_bytes += n;
		virtq_push(&d->vq[RXQ], c->chain.head, (uint32_t)n);
		pushed = true;
	}
	if (pushed)
		virtio_queue_done(d, RXQ);
}

static void console_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_console *c = d->priv;

	if (q == TXQ)
		console_tx(c);
	else
		console_rx(c);
}

/* New input from the character device (event loop thread). */
static void on_input(void *opaque)
{
	struct virtio_console *c = opaque;

	pthread_mutex_lock(&c->dev.lock);
	console_rx(c);
	pthread_mutex_unlock(&c->dev.lock);
}

static void console_start(struct virtio_dev *d)
{
	console_rx(d->priv);
}

static void console_free(struct virtio_dev *d)
{
	struct virtio_console *c = d->priv;

	if (c->cd->notify == on_input && c->cd->notify_opaque == c)
		c->cd->notify = NULL;
	free(c);
}

static const struct virtio_dev_ops console_ops = {
    .name = "console",
    .device_id = VIRTIO_ID_CONSOLE,
    .nqueues = 2,
    .queue_max = 256,
    .queue_notify = console_notify,
    .start = console_start,
    .free = console_free,
};

int virtio_console_create(struct machine *m, struct chardev *cd, struct virtio_dev **out)
{
	struct virtio_console *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cd = cd;
	c->cfg.cols = 80;
	c->cfg.rows = 25;
	c->cfg.max_nr_ports = 1;
	virtio_dev_init(&c->dev, m, &console_ops, c, 1ULL << VIRTIO_CONSOLE_F_SIZE, &c->cfg,
			sizeof(c->cfg));
	cd->notify = on_input;
	cd->notify_opaque = c;
	*out = &c->dev;
	return 0;
}
