#include "devices/virtio/virtio.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "base/log.h"
#include "machine/machine.h"

void virtio_dev_init(struct virtio_dev *d, struct machine *m, const struct virtio_dev_ops *ops,
		     void *priv, uint64_t features, void *config, uint32_t config_size)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->ops = ops;
	d->priv = priv;
	d->m = m;
	d->config = config;
	d->config_size = config_size;
	d->host_features = features | (1ULL << VIRTIO_F_VERSION_1) |
			   (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			   (1ULL << VIRTIO_RING_F_EVENT_IDX);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->vq[i].mem = &m->mem;
}

void virtio_dev_reset(struct virtio_dev *d)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_reset(&d->vq[i]);
	d->guest_features = 0;
	d->status = 0;
	d->isr = 0;
	if (d->ops->reset)
		d->ops->reset(d);
}

bool virtio_dev_running(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(d->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

void virtio_dev_set_status(struct virtio_dev *d, uint32_t status)
{
	uint32_t old = d->status;

	if (!status) {
		virtio_dev_reset(d);
		return;
	}
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* Refuse features we never offered, and legacy drivers (no VERSION_1): by not
		 * keeping FEATURES_OK, which the driver reads back. */
		if ((d->guest_features & ~d->host_features) ||
		    !virtio_has_feature(d, VIRTIO_F_VERSION_1)) {
			log_warn("virtio-%s: driver features 0x%llx refused", d->ops->name,
				 (unsigned long long)d->guest_features);
			status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	/* The driver cannot clear NEEDS_RESET except by a reset. */
	d->status = status | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    d->ops->start)
		d->ops->start(d);
}

void virtio_dev_queue_ready(struct virtio_dev *d, unsigned q, bool ready)
{
	struct virtq *vq = &d->vq[q];

	if (!ready) {
		/* Keep the programmed addresses so a driver can re-enable; drop the state. */
		vq->ready = false;
		return;
	}
	if (vq->ready)
		return;
	if (virtq_enable(vq, &d->m->mem, virtio_has_feature(d, VIRTIO_RING_F_EVENT_IDX)))
		virtio_dev_fail(d, "queue programmed outside guest RAM or with a bad size");
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	if (d->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	log_warn("virtio-%s: %s: device needs reset", d->ops->name, why);
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((d->status & VIRTIO_CONFIG_S_DRIVER_OK) && d->raise)
		d->raise(d, VIRTIO_ISR_CONFIG);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->config_gen++;
	if ((d->status & VIRTIO_CONFIG_S_DRIVER_OK) && d->raise)
		d->raise(d, VIRTIO_ISR_CONFIG);
}

int virtio_queue_pop(struct virtio_dev *d, unsigned q, struct virtq_chain *c)
{
	int r;

	if (q >= d->ops->nqueues || !virtio_dev_running(d))
		return -EIO;
	r = virtq_pop(&d->vq[q], c);
	if (r < 0)
		virtio_dev_fail(d, "malformed virtqueue");
	return r;
}

void virtio_queue_done(struct virtio_dev *d, unsigned q)
{
	if (!virtq_should_notify(&d->vq[q]))
		return;
	if (d->raise_queue)
		d->raise_queue(d, q);
	else if (d->raise)
		d->raise(d, VIRTIO_ISR_USED);
}

/* dev_stats entries are written by several threads here (vCPUs, the loop, back-end threads). */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

void virtio_count(struct virtio_dev *d, unsigned id, const char *name)
{
	if (!d->m)
		return;
	pthread_mutex_lock(&count_lock);
	stats_add(&d->m->dev_stats, id, name, 0);
	pthread_mutex_unlock(&count_lock);
}

void virtio_dev_free(struct virtio_dev *d)
{
	/* No pthread_mutex_destroy: the device's free releases the memory d lives in, and may
	 * still complete in-flight requests (taking the lock) on its way out. A default mutex
	 * holds no resources. */
	if (d->ops && d->ops->free)
		d->ops->free(d);
}
