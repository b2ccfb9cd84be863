#include "devices/virtio/pci.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "accel/accel.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

#define PCI_CAP_ID_VNDR	    0x09
#define PCI_CAP_ID_MSIX	    0x11
#define MSIX_ENABLE	    0x8000
#define MSIX_MASKALL	    0x4000
#define STATS_ID_PCI_NOTIFY 94

/* Capability body helpers: struct virtio_pci_cap is {id, next, len, cfg_type, bar, id,
 * pad[2], offset, length}. */
static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int add_vcap(struct pci_dev *p, uint8_t type, uint32_t off, uint32_t len, unsigned extra)
{
	unsigned c = pci_dev_add_cap(p, PCI_CAP_ID_VNDR, 16 + extra);

	if (!c)
		return -ENOSPC;
	p->cfg[c + 2] = (uint8_t)(16 + extra);
	p->cfg[c + 3] = type;
	p->cfg[c + 4] = 0; /* BAR 0 */
	put_le(p->cfg + c + 8, off, 4);
	put_le(p->cfg + c + 12, len, 4);
	if (extra)
		put_le(p->cfg + c + 16, VPCI_NOTIFY_MULT, 4);
	return 0;
}

static bool msix_on(const struct virtio_pci *t)
{
	return get_le(t->pci.cfg + t->msix_cap + 2, 2) & MSIX_ENABLE;
}

static bool msix_maskall(const struct virtio_pci *t)
{
	return get_le(t->pci.cfg + t->msix_cap + 2, 2) & MSIX_MASKALL;
}

static void intx_update(struct virtio_pci *t)
{
	struct virtio_dev *d = t->dev;
	bool level = d->isr && !msix_on(t) && !(t->pci.cfg[0x05] & 0x04); /* INTx disable */

	if (level != t->intx_level && d->m && d->m->irq_set) {
		if (level)
			virtio_count(d, VIRTIO_STAT_PCI_INTX, "virtio-pci:intx-line");
		irq_set(d->m, t->irq, level);
	}
	t->intx_level = level;
}

static void msix_send(struct virtio_pci *t, uint16_t vec)
{
	struct machine *m = t->dev->m;

	if (vec >= VPCI_NVEC)
		return;
	if (msix_maskall(t) || (t->msix[vec][3] & 1)) {
		t->pba |= 1u << vec;
		return;
	}
	t->pba &= ~(1u << vec);
	t->interrupts++;
	if (t->vfd[vec] >= 0) {
		uint64_t one = 1;
		virtio_count(t->dev, VIRTIO_STAT_PCI_MSIFD, "virtio-pci:msi-irqfd");
		/* A full counter (EAGAIN) already means an interrupt is pending. */
		if (write(t->vfd[vec], &one, sizeof(one)) < 0)
			return;
		return;
	}
	if (m && m->accel && m->accel->msi) {
		virtio_count(t->dev, VIRTIO_STAT_PCI_MSIHOOK, "virtio-pci:msi-ioctl");
		m->accel->msi(m, (uint64_t)t->msix[vec][1] << 32 | t->msix[vec][0],
			      t->msix[vec][2]);
	}
}

/* Pending vectors whose mask was just lifted fire now. */
static void msix_flush(struct virtio_pci *t)
{
	for (uint16_t v = 0; v < VPCI_NVEC; v++)
		if (t->pba & (1u << v))
			msix_send(t, v);
}

static void pci_raise(struct virtio_dev *d, uint32_t bits)
{
	struct virtio_pci *t = d->transport;

	d->isr |= bits;
	if (msix_on(t)) {
		if (bits & VIRTIO_ISR_CONFIG)
			msix_send(t, t->msix_config);
		if (bits & VIRTIO_ISR_USED)
			for (unsigned q = 0; q < d->ops->nqueues; q++)
				msix_send(t, t->queue_vector[q]);
		return;
	}
	t->interrupts++;
	intx_update(t);
}

static void pci_raise_queue(struct virtio_dev *d, unsigned q)
{
	struct virtio_pci *t = d->transport;

	if (!msix_on(t) || q >= d->ops->nqueues) {
		pci_raise(d, VIRTIO_ISR_USED);
		return;
	}
	d->isr |= VIRTIO_ISR_USED;
	msix_send(t, t->queue_vector[q]);
}

static uint16_t queue_max(const struct virtio_dev *d)
{
	return d->ops->queue_max ? d->ops->queue_max : VIRTQ_MAX_SIZE;
}

static void transport_reset(struct virtio_pci *t)
{
	t->msix_config = VPCI_NO_VECTOR;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		t->queue_vector[q] = VPCI_NO_VECTOR;
		t->queue_size[q] = q < t->dev->ops->nqueues ? queue_max(t->dev) : 0;
	}
	intx_update(t);
}

/* The common configuration structure as the driver sees it now (little endian). */
static void common_snapshot(struct virtio_pci *t, uint8_t *b)
{
	struct virtio_dev *d = t->dev;
	unsigned qs = t->queue_sel;
	struct virtq *q = qs < d->ops->nqueues ? &d->vq[qs] : NULL;

	memset(b, 0, VPCI_COMMON_SIZE);
	put_le(b + VIRTIO_PCI_COMMON_DFSELECT, t->dev_feat_sel, 4);
	put_le(b + VIRTIO_PCI_COMMON_DF,
	       t->dev_feat_sel > 1 ? 0 : (uint32_t)(d->host_features >> (32 * t->dev_feat_sel)), 4);
	put_le(b + VIRTIO_PCI_COMMON_GFSELECT, t->drv_feat_sel, 4);
	put_le(b + VIRTIO_PCI_COMMON_GF,
	       t->drv_feat_sel > 1 ? 0 : (uint32_t)(d->guest_features >> (32 * t->drv_feat_sel)),
	       4);
	put_le(b + VIRTIO_PCI_COMMON_MSIX, t->msix_config, 2);
	put_le(b + VIRTIO_PCI_COMMON_NUMQ, d->ops->nqueues, 2);
	b[VIRTIO_PCI_COMMON_STATUS] = (uint8_t)d->status;
	b[VIRTIO_PCI_COMMON_CFGGENERATION] = (uint8_t)d->config_gen;
	put_le(b + VIRTIO_PCI_COMMON_Q_SELECT, t->queue_sel, 2);
	if (!q)
		return;
	put_le(b + VIRTIO_PCI_COMMON_Q_SIZE, t->queue_size[qs], 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_MSIX, t->queue_vector[qs], 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_ENABLE, q->ready, 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_NOFF, qs, 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_DESCLO, q->desc_gpa, 8);
	put_le(b + VIRTIO_PCI_COMMON_Q_AVAILLO, q->avail_gpa, 8);
	put_le(b + VIRTIO_PCI_COMMON_Q_USEDLO, q->used_gpa, 8);
}

static bool touched(uint64_t off, unsigned size, unsigned field, unsigned flen)
{
	return off < field + flen && field < off + size;
}

static uint16_t vector_ok(uint64_t v)
{
	return v < VPCI_NVEC ? (uint16_t)v : VPCI_NO_VECTOR;
}

static void common_write(struct virtio_pci *t, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_dev *d = t->dev;
	uint8_t b[VPCI_COMMON_SIZE];
	unsigned qs;
	struct virtq *q;

	common_snapshot(t, b);
	put_le(b + off, val, size);
	if (touched(off, size, VIRTIO_PCI_COMMON_DFSELECT, 4))
		t->dev_feat_sel = (uint32_t)get_le(b + VIRTIO_PCI_COMMON_DFSELECT, 4);
	if (touched(off, size, VIRTIO_PCI_COMMON_GFSELECT, 4))
		t->drv_feat_sel = (uint32_t)get_le(b + VIRTIO_PCI_COMMON_GFSELECT, 4);
	if (touched(off, size, VIRTIO_PCI_COMMON_GF, 4) && t->drv_feat_sel <= 1 &&
	    !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		unsigned sh = 32 * t->drv_feat_sel;
		d->guest_features = (d->guest_features & ~(0xffffffffULL << sh)) |
				    get_le(b + VIRTIO_PCI_COMMON_GF, 4) << sh;
	}
	if (touched(off, size, VIRTIO_PCI_COMMON_MSIX, 2))
		t->msix_config = vector_ok(get_le(b + VIRTIO_PCI_COMMON_MSIX, 2));
	if (touched(off, size, VIRTIO_PCI_COMMON_STATUS, 1)) {
		uint8_t st = b[VIRTIO_PCI_COMMON_STATUS];
		virtio_dev_set_status(d, st);
		if (!st) {
			transport_reset(t);
			return;
		}
	}
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_SELECT, 2))
		t->queue_sel = (uint16_t)get_le(b + VIRTIO_PCI_COMMON_Q_SELECT, 2);
	qs = t->queue_sel;
	if (qs >= d->ops->nqueues)
		return;
	q = &d->vq[qs];
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_MSIX, 2))
		t->queue_vector[qs] = vector_ok(get_le(b + VIRTIO_PCI_COMMON_Q_MSIX, 2));
	if (q->ready) /* a live queue's size and addresses stay */
		goto enable;
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_SIZE, 2)) {
		uint64_t n = get_le(b + VIRTIO_PCI_COMMON_Q_SIZE, 2);
		t->queue_size[qs] = n <= queue_max(d) ? (uint16_t)n : 0; /* checked on enable */
	}
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_DESCLO, 8))
		q->desc_gpa = get_le(b + VIRTIO_PCI_COMMON_Q_DESCLO, 8);
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_AVAILLO, 8))
		q->avail_gpa = get_le(b + VIRTIO_PCI_COMMON_Q_AVAILLO, 8);
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_USEDLO, 8))
		q->used_gpa = get_le(b + VIRTIO_PCI_COMMON_Q_USEDLO, 8);
enable:
	if (touched(off, size, VIRTIO_PCI_COMMON_Q_ENABLE, 2) &&
	    (get_le(b + VIRTIO_PCI_COMMON_Q_ENABLE, 2) & 1) && !q->ready) {
		q->num = t->queue_size[qs];
		virtio_dev_queue_ready(d, qs, true);
	}
}

static void queue_notify(struct virtio_pci *t, uint64_t q)
{
	struct virtio_dev *d = t->dev;

	t->notifies++;
	if (q < d->ops->nqueues && d->vq[q].ready && virtio_dev_running(d))
		d->ops->queue_notify(d, (unsigned)q);
}

static uint64_t msix_read(struct virtio_pci *t, uint64_t off, unsigned size)
{
	uint8_t b[VPCI_NVEC * 16];

	if (off >= VPCI_PBA_OFF - VPCI_MSIX_OFF) {
		off -= VPCI_PBA_OFF - VPCI_MSIX_OFF;
		return off + size <= 8 ? (t->pba | 0ULL << 32) >> (8 * off) : 0;
	}
	if (off + size > sizeof(b))
		return 0;
	for (unsigned v = 0; v < VPCI_NVEC; v++)
		for (unsigned w = 0; w < 4; w++)
			put_le(b + 16 * v + 4 * w, t->msix[v][w], 4);
	return get_le(b + off, size);
}

/* Keeps vector v's MSI route in step with its table entry. */
static void msix_reroute(struct virtio_pci *t, unsigned v)
{
	struct machine *m = t->dev->m;

	if (t->vgsi[v] < 0 ||
	    !m->accel->msi_route(m, &t->vgsi[v], (uint64_t)t->msix[v][1] << 32 | t->msix[v][0],
				 t->msix[v][2]))
		return;
	/* The route could not change: fall back to the msi hook for this vector. */
	close(t->vfd[v]);
	t->vfd[v] = t->vgsi[v] = -1;
}

static void msix_write(struct virtio_pci *t, uint64_t off, uint64_t val, unsigned size)
{
	uint8_t b[VPCI_NVEC * 16];
	uint32_t old[VPCI_NVEC][4];

	if (off + size > sizeof(b))
		return; /* the PBA is read-only */
	for (unsigned v = 0; v < VPCI_NVEC; v++)
		for (unsigned w = 0; w < 4; w++)
			put_le(b + 16 * v + 4 * w, t->msix[v][w], 4);
	put_le(b + off, val, size);
	memcpy(old, t->msix, sizeof(old));
	for (unsigned v = 0; v < VPCI_NVEC; v++)
		for (unsigned w = 0; w < 4; w++)
			t->msix[v][w] = (uint32_t)get_le(b + 16 * v + 4 * w, 4);
	for (unsigned v = 0; v < VPCI_NVEC; v++)
		if (memcmp(old[v], t->msix[v], 12))
			msix_reroute(t, v);
	msix_flush(t);
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *t = opaque;
	struct virtio_dev *d = t->dev;
	uint64_t v = 0;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (off + size <= VPCI_COMMON_SIZE) {
		uint8_t b[VPCI_COMMON_SIZE];
		common_snapshot(t, b);
		v = get_le(b + off, size);
	} else if (off == VPCI_ISR_OFF) {
		v = d->isr; /* read-to-clear */
		d->isr = 0;
		intx_update(t);
	} else if (off >= VPCI_DEVCFG_OFF && off < VPCI_DEVCFG_OFF + VPCI_DEVCFG_SIZE) {
		uint64_t c = off - VPCI_DEVCFG_OFF;
		if (c <= d->config_size && size <= d->config_size - c)
			memcpy(&v, (uint8_t *)d->config + c, size);
	} else if (off >= VPCI_MSIX_OFF && off < VPCI_BAR_SIZE) {
		v = msix_read(t, off - VPCI_MSIX_OFF, size);
	}
	pthread_mutex_unlock(&d->lock);
	return v;
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_pci *t = opaque;
	struct virtio_dev *d = t->dev;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return;
	pthread_mutex_lock(&d->lock);
	if (off + size <= VPCI_COMMON_SIZE) {
		common_write(t, off, val, size);
	} else if (off >= VPCI_DEVCFG_OFF && off < VPCI_DEVCFG_OFF + VPCI_DEVCFG_SIZE) {
		uint64_t c = off - VPCI_DEVCFG_OFF;
		if (d->ops->config_write && c <= d->config_size && size <= d->config_size - c)
			d->ops->config_write(d, (uint32_t)c, &val, size);
	} else if (off >= VPCI_NOTIFY_OFF && off < VPCI_NOTIFY_OFF + 0x1000) {
		queue_notify(t, (off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT);
	} else if (off >= VPCI_MSIX_OFF && off < VPCI_BAR_SIZE) {
		msix_write(t, off - VPCI_MSIX_OFF, val, size);
	}
	pthread_mutex_unlock(&d->lock);
}

/* The MMIO bus range stays where the BAR was placed; accesses only decode while memory space
 * is enabled and the guest left the BAR there (Linux keeps firmware-placed BARs). */
static bool decoding(struct virtio_pci *t)
{
	return pci_dev_mem_enabled(&t->pci) && pci_dev_bar64(&t->pci, 0) == t->bar;
}

static uint64_t bus_read_cb(void *opaque, uint64_t off, unsigned size)
{
	return decoding(opaque) ? bar_read(opaque, off, size) : ~0ULL;
}

static void bus_write_cb(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	if (decoding(opaque))
		bar_write(opaque, off, val, size);
}

const struct bus_ops virtio_pci_bar_ops = {.read = bar_read, .write = bar_write};
static const struct bus_ops bus_ops = {.read = bus_read_cb, .write = bus_write_cb};

/* Configuration writes: MSI-X enable/mask and INTx disable change where interrupts go. */
static void cfg_written(struct pci_dev *p, unsigned off, unsigned len)
{
	struct virtio_pci *t = p->opaque;
	struct virtio_dev *d = t->dev;
	(void)off;
	(void)len;

	pthread_mutex_lock(&d->lock);
	intx_update(t);
	if (msix_on(t))
		msix_flush(t);
	pthread_mutex_unlock(&d->lock);
}

static void on_notify_fd(void *opaque, uint32_t events)
{
	struct virtio_pci_notify *c = opaque;
	struct virtio_dev *d = c->t->dev;
	uint64_t n, t0 = now_ns();
	(void)events;

	if (read(c->fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&d->lock);
	queue_notify(c->t, c->q);
	pthread_mutex_unlock(&d->lock);
	stats_add(&d->m->dev_stats, STATS_ID_PCI_NOTIFY, "virtio-pci:ioeventfd-notify",
		  now_ns() - t0);
}

static void setup_ioeventfds(struct virtio_pci *t)
{
	struct machine *m = t->dev->m;
	const struct accel_ops *a = m->accel;

	if (!a || !a->ioeventfd)
		return;
	for (unsigned q = 0; q < t->dev->ops->nqueues; q++) {
		struct virtio_pci_notify *c = &t->notify[q];
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return;
		*c = (struct virtio_pci_notify){.t = t, .q = q, .fd = fd};
		/* Linux writes the queue index as 16 bits at the queue's notify address. */
		if (loop_add_fd(&m->loop, fd, EPOLLIN, on_notify_fd, c) ||
		    a->ioeventfd(m, t->bar + VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q, 2, false,
				 false, 0, fd)) {
			loop_del_fd(&m->loop, fd);
			close(fd);
			c->fd = -1;
			log_debug("virtio-pci: no ioeventfd for queue %u, using exits", q);
		}
	}
}

/* One eventfd + MSI route + irqfd per vector. Failure is not fatal: the msi hook remains. */
static void setup_msi_irqfds(struct virtio_pci *t)
{
	struct machine *m = t->dev->m;
	const struct accel_ops *a = m->accel;

	if (!a || !a->msi_route || !a->irqfd)
		return;
	for (unsigned v = 0; v < VPCI_NVEC; v++) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), gsi = -1;
		if (fd < 0)
			return;
		if (a->msi_route(m, &gsi, 0, 0) || a->irqfd(m, (unsigned)gsi, fd)) {
			close(fd);
			log_debug("virtio-pci: no MSI irqfd for vector %u, using the msi hook", v);
			return;
		}
		t->vfd[v] = fd;
		t->vgsi[v] = gsi;
	}
	log_debug("virtio-pci: %s: MSI-X through irqfds on GSIs %d-%d", t->dev->ops->name,
		  t->vgsi[0], t->vgsi[VPCI_NVEC - 1]);
}

int virtio_pci_attach(struct virtio_pci *t, struct pci_host *h, struct virtio_dev *d, unsigned irq)
{
	struct pci_dev *p = &t->pci;
	uint32_t devcfg = d->config_size < VPCI_DEVCFG_SIZE ? d->config_size : VPCI_DEVCFG_SIZE;
	unsigned c;
	int e;

	memset(t, 0, sizeof(*t));
	t->dev = d;
	t->host = h;
	t->irq = irq;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		t->notify[q].fd = -1;
	for (unsigned v = 0; v < VPCI_NVEC; v++) {
		t->msix[v][3] = 1; /* masked */
		t->vfd[v] = t->vgsi[v] = -1;
	}
	/* Class: mass storage / network / communication / other, by device type. */
	uint32_t cls = d->ops->device_id == 2	? 0x018000
		       : d->ops->device_id == 1 ? 0x020000
		       : d->ops->device_id == 3 ? 0x078000
						: 0xff0000;
	pci_dev_init(p, 0x1af4, (uint16_t)(0x1040 + d->ops->device_id), 1, cls, 0x1af4,
		     (uint16_t)d->ops->device_id);
	p->written = cfg_written;
	p->opaque = t;
	p->cfg[0x3c] = (uint8_t)irq;
	p->cfg[0x3d] = 1; /* INTA# */
	t->bar = pci_host_add_bar64(h, p, 0, VPCI_BAR_SIZE);
	if (!t->bar)
		return -ENOSPC;
	e = add_vcap(p, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF, VPCI_COMMON_SIZE, 0);
	e = e ? e : add_vcap(p, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF, 1, 0);
	e = e ? e : add_vcap(p, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVCFG_OFF, devcfg ? devcfg : 4, 0);
	e = e ? e
	      : add_vcap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
			 VPCI_NOTIFY_MULT * VIRTIO_MAX_QUEUES, 4);
	if (e)
		return e;
	c = pci_dev_add_cap(p, PCI_CAP_ID_MSIX, 12);
	if (!c)
		return -ENOSPC;
	t->msix_cap = c;
	put_le(p->cfg + c + 2, VPCI_NVEC - 1, 2);     /* table size - 1 */
	put_le(p->cfg + c + 4, VPCI_MSIX_OFF | 0, 4); /* BIR 0 */
	put_le(p->cfg + c + 8, VPCI_PBA_OFF | 0, 4);
	p->wmask[c + 3] = 0xc0; /* enable, function mask */
	d->transport = t;
	d->raise = pci_raise;
	d->raise_queue = pci_raise_queue;
	transport_reset(t);
	e = pci_host_add(h, p);
	if (e || !d->m || !h->m)
		return e;
	setup_ioeventfds(t);
	setup_msi_irqfds(t);
	return bus_register(&d->m->mmio, t->bar, VPCI_BAR_SIZE, &bus_ops, t, d->ops->name);
}

void virtio_pci_detach(struct virtio_pci *t)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (t->notify[q].fd >= 0) {
			loop_del_fd(&t->dev->m->loop, t->notify[q].fd);
			close(t->notify[q].fd);
			t->notify[q].fd = -1;
		}
	}
	for (unsigned v = 0; v < VPCI_NVEC; v++) {
		if (t->vfd[v] >= 0)
			close(t->vfd[v]);
		t->vfd[v] = t->vgsi[v] = -1;
	}
}
