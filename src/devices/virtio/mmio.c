#include "devices/virtio/mmio.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "accel/accel.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

#define MMIO_MAGIC   0x74726976 /* "virt" */
#define MMIO_VERSION 2
#define VENDOR_ID    0x47534e47 /* "GNSG" */
/* Slot in the machine's dev_stats table (names must be unique, slots should not collide). */
#define STATS_ID_IOEVENTFD 95

static void mmio_raise(struct virtio_dev *d, uint32_t bits)
{
	struct virtio_mmio *t = d->transport;
	uint64_t one = 1;

	d->isr |= bits;
	t->interrupts++;
	if (t->irqfd >= 0) {
		virtio_count(d, VIRTIO_STAT_MMIO_IRQFD, "virtio-mmio:irqfd");
		if (write(t->irqfd, &one, sizeof(one)) == sizeof(one))
			return;
		/* A full eventfd counter already means an interrupt is pending. */
		return;
	}
	virtio_count(d, VIRTIO_STAT_MMIO_LINE, "virtio-mmio:irq-line");
	irq_set(d->m, t->irq, true);
}

static void mmio_ack(struct virtio_mmio *t, uint32_t bits)
{
	struct virtio_dev *d = t->dev;

	d->isr &= ~bits;
	if (!d->isr && t->irqfd < 0)
		irq_set(d->m, t->irq, false);
}

static uint32_t queue_max(const struct virtio_dev *d)
{
	return d->ops->queue_max ? d->ops->queue_max : VIRTQ_MAX_SIZE;
}

static uint64_t config_read(struct virtio_dev *d, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (off > d->config_size || size > d->config_size - off)
		return 0;
	memcpy(&v, (uint8_t *)d->config + off, size);
	return v;
}

static uint32_t reg_read(struct virtio_mmio *t, uint64_t off)
{
	struct virtio_dev *d = t->dev;
	struct virtq *q = t->queue_sel < d->ops->nqueues ? &d->vq[t->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->dev_feat_sel > 1 ? 0
					   : (uint32_t)(d->host_features >> (32 * t->dev_feat_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? queue_max(d) : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return d->isr;
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return d->config_gen;
	case VIRTIO_MMIO_QUEUE_NUM:
		return q ? q->num : 0;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return q ? (uint32_t)q->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return q ? (uint32_t)(q->desc_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		return q ? (uint32_t)q->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return q ? (uint32_t)(q->avail_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return q ? (uint32_t)q->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return q ? (uint32_t)(q->used_gpa >> 32) : 0;
	default:
		return 0;
	}
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *d = t->dev;
	uint64_t v;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG)
		v = config_read(d, off - VIRTIO_MMIO_CONFIG, size);
	else
		v = (size == 4 && !(off & 3)) ? reg_read(t, off) : 0;
	pthread_mutex_unlock(&d->lock);
	return v;
}

static void set_addr(struct virtq *q, uint64_t *field, uint32_t val, bool high)
{
	if (q->ready) /* the driver must not move a live queue; ignore */
		return;
	if (high)
		*field = (*field & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*field = (*field & ~0xffffffffULL) | val;
}

static void queue_notify(struct virtio_mmio *t, uint32_t q)
{
	struct virtio_dev *d = t->dev;

	t->notifies++;
	if (q < d->ops->nqueues && d->vq[q].ready && virtio_dev_running(d))
		d->ops->queue_notify(d, q);
}

static void reg_write(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
	struct virtio_dev *d = t->dev;
	struct virtq *q = t->queue_sel < d->ops->nqueues ? &d->vq[t->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_feat_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (t->drv_feat_sel <= 1 && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			unsigned sh = 32 * t->drv_feat_sel;
			d->guest_features =
			    (d->guest_features & ~(0xffffffffULL << sh)) | ((uint64_t)val << sh);
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_feat_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q && !q->ready)
			q->num = val > 0xffff ? 0 : (uint16_t)val; /* checked when made ready */
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			virtio_dev_queue_ready(d, t->queue_sel, val & 1);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_notify(t, val & 0xffff);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		mmio_ack(t, val);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_dev_set_status(d, val);
		if (!val)
			mmio_ack(t, ~0u);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (q)
			set_addr(q, &q->desc_gpa, val, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (q)
			set_addr(q, &q->avail_gpa, val, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (q)
			set_addr(q, &q->used_gpa, val, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	default:
		break; /* read-only or unknown registers: ignored */
	}
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *d = t->dev;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (d->ops->config_write && c <= d->config_size && size <= d->config_size - c)
			d->ops->config_write(d, (uint32_t)c, &val, size);
	} else if (size == 4 && !(off & 3)) {
		reg_write(t, off, (uint32_t)val);
	}
	pthread_mutex_unlock(&d->lock);
}

const struct bus_ops virtio_mmio_ops = {.read = mmio_read, .write = mmio_write};

static void on_notify_fd(void *opaque, uint32_t events)
{
	struct virtio_mmio_notify *c = opaque;
	struct virtio_dev *d = c->t->dev;
	uint64_t n;
	(void)events;

	uint64_t t0 = now_ns();

	if (read(c->fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&d->lock);
	queue_notify(c->t, c->q);
	pthread_mutex_unlock(&d->lock);
	/* The loop thread is the only writer of this table entry (--stats shows the fast path). */
	stats_add(&d->m->dev_stats, STATS_ID_IOEVENTFD, "virtio:ioeventfd-notify", now_ns() - t0);
}

/* KVM fast paths. Failure is not fatal: the slow path through the bus still works. */
static void setup_fast_paths(struct virtio_mmio *t)
{
	struct machine *m = t->dev->m;
	const struct accel_ops *a = m->accel;

	if (!a)
		return;
	if (a->irqfd) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd >= 0 && a->irqfd(m, t->irq, fd) == 0)
			t->irqfd = fd;
		else if (fd >= 0)
			close(fd);
	}
	if (!a->ioeventfd)
		return;
	for (unsigned q = 0; q < t->dev->ops->nqueues; q++) {
		struct virtio_mmio_notify *c = &t->notify[q];
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return;
		*c = (struct virtio_mmio_notify){.t = t, .q = q, .fd = fd};
		if (loop_add_fd(&m->loop, fd, EPOLLIN, on_notify_fd, c) ||
		    a->ioeventfd(m, t->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, false, true, q, fd)) {
			loop_del_fd(&m->loop, fd);
			close(fd);
			c->fd = -1;
			log_debug("virtio-mmio: no ioeventfd for queue %u, using exits", q);
		}
	}
}

int virtio_mmio_attach(struct virtio_mmio *t, struct virtio_dev *d, uint64_t base, unsigned irq)
{
	memset(t, 0, sizeof(*t));
	t->dev = d;
	t->base = base;
	t->irq = irq;
	t->irqfd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		t->notify[q].fd = -1;
	d->transport = t;
	d->raise = mmio_raise;
	setup_fast_paths(t);
	return bus_register(&d->m->mmio, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, t, d->ops->name);
}

void virtio_mmio_detach(struct virtio_mmio *t)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (t->notify[q].fd >= 0) {
			loop_del_fd(&t->dev->m->loop, t->notify[q].fd);
			close(t->notify[q].fd);
			t->notify[q].fd = -1;
		}
	}
	if (t->irqfd >= 0)
		close(t->irqfd);
	t->irqfd = -1;
}
