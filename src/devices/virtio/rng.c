/* virtio-rng (virtio 1.x, section 5.4): one queue; every writable buffer the driver offers is
 * filled with bytes from the host kernel's CSPRNG (getrandom). */
#include "devices/virtio/devices.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/random.h>

#include "base/log.h"

struct virtio_rng {
	struct virtio_dev dev;
	struct virtq_chain chain;
};

/* Fills the writable part of a chain; returns the bytes written. */
static uint32_t fill(struct virtq_chain *c)
{
	uint64_t total = 0;

	for (unsigned i = c->nr; i < c->nr + c->nw; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t left = c->iov[i].iov_len;
		while (left) {
			ssize_t n = getrandom(p, left, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return (uint32_t)total;
			}
			p += n;
			left -= (size_t)n;
			total += (uint64_t)n;
		}
	}
	return (uint32_t)total;
}

static void rng_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_rng *r = d->priv;
	int got;

	while ((got = virtio_queue_pop(d, q, &r->chain)) > 0) {
		uint32_t n = fill(&r->chain);
		virtq_push(&d->vq[q], r->chain.head, n);
	}
	virtio_queue_done(d, q);
}

static void rng_free(struct virtio_dev *d)
{
	free(d->priv);
}

static const struct virtio_dev_ops rng_ops = {
    .name = "rng",
    .device_id = VIRTIO_ID_RNG,
    .nqueues = 1,
    .queue_notify = rng_notify,
    .free = rng_free,
};

int virtio_rng_create(struct machine *m, struct virtio_dev **out)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	virtio_dev_init(&r->dev, m, &rng_ops, r, 0, NULL, 0);
	*out = &r->dev;
	return 0;
}
