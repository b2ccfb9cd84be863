/* A minimal virtio driver for unit tests: drives a device only through its virtio-mmio
 * registers on the machine's bus and through rings it builds in guest RAM, the way a guest's
 * driver would. One request in flight per queue; descriptors are rebuilt for each request. */
#ifndef GASANG_TESTS_VIRTIO_TEST_DRIVER_H
#define GASANG_TESTS_VIRTIO_TEST_DRIVER_H

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/mmio.h"
#include "machine/machine.h"

#define VD_RAM	    0x80000000ULL
#define VD_SIZE	    0x400000ULL
#define VD_MMIO	    0x10001000ULL
#define VD_IRQ	    3
#define VD_QNUM	    16
#define VD_QAREA(q) (VD_RAM + 0x4000ULL * (q))
#define VD_DATA	    (VD_RAM + 0x100000ULL)

struct vd_buf {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

struct vdrv {
	struct machine m;
	struct virtio_dev *dev;
	struct virtio_mmio t;
	int raises, lowers;
	bool level;
	bool use_loop;
	uint16_t avail_idx[VIRTIO_MAX_QUEUES], used_seen[VIRTIO_MAX_QUEUES];
};

static void vd_irq(void *opaque, unsigned line, bool level)
{
	struct vdrv *v = opaque;
	assert_int_equal(line, VD_IRQ);
	v->level = level;
	if (level)
		v->raises++;
	else
		v->lowers++;
}

static inline uint32_t vd_rd(struct vdrv *v, uint64_t off)
{
	uint64_t val = 0;
	assert_true(bus_read(&v->m.mmio, VD_MMIO + off, 4, &val));
	return (uint32_t)val;
}

static inline void vd_wr(struct vdrv *v, uint64_t off, uint32_t val)
{
	assert_true(bus_write(&v->m.mmio, VD_MMIO + off, 4, val));
}

/* Machine with RAM and (optionally) an event loop for asynchronous back ends. */
static inline void vd_machine(struct vdrv *v, bool use_loop)
{
	memset(v, 0, sizeof(*v));
	bus_init(&v->m.mmio, "mmio");
	assert_int_equal(gmem_add_ram(&v->m.mem, VD_RAM, VD_SIZE), 0);
	v->m.irq_set = vd_irq;
	v->m.irq_opaque = v;
	v->use_loop = use_loop;
	if (use_loop)
		assert_int_equal(loop_init(&v->m.loop), 0);
}

static inline void vd_attach(struct vdrv *v, struct virtio_dev *d)
{
	v->dev = d;
	assert_int_equal(virtio_mmio_attach(&v->t, d, VD_MMIO, VD_IRQ), 0);
}

static inline uint64_t vd_device_features(struct vdrv *v)
{
	vd_wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t f = (uint64_t)vd_rd(v, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vd_wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | vd_rd(v, VIRTIO_MMIO_DEVICE_FEATURES);
}

static inline void vd_queue(struct vdrv *v, unsigned q)
{
	uint64_t a = VD_QAREA(q);
	vd_wr(v, VIRTIO_MMIO_QUEUE_SEL, q);
	assert_true(vd_rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX) >= VD_QNUM);
	vd_wr(v, VIRTIO_MMIO_QUEUE_NUM, VD_QNUM);
	vd_wr(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)a);
	vd_wr(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
	vd_wr(v, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(a + 0x1000));
	vd_wr(v, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	vd_wr(v, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(a + 0x2000));
	vd_wr(v, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	vd_wr(v, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vd_rd(v, VIRTIO_MMIO_QUEUE_READY), 1);
}

/* The driver initialization sequence of virtio 1.x section 3.1.1. Returns the features the
 * device offered; the driver accepts want & offered. */
static inline uint64_t vd_init(struct vdrv *v, uint64_t want, unsigned nqueues)
{
	uint64_t offered;

	assert_int_equal(vd_rd(v, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(vd_rd(v, VIRTIO_MMIO_VERSION), 2);
	vd_wr(v, VIRTIO_MMIO_STATUS, 0);
	vd_wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	offered = vd_device_features(v);
	want = (want | (1ULL << VIRTIO_F_VERSION_1)) & offered;
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	vd_wr(v, VIRTIO_MMIO_STATUS,
	      VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(vd_rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < nqueues; q++)
		vd_queue(v, q);
	vd_wr(v, VIRTIO_MMIO_STATUS,
	      VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		  VIRTIO_CONFIG_S_DRIVER_OK);
	return offered;
}

/* Builds a chain from bufs in queue q's table (starting at descriptor 0), makes it available
 * and, when kick, writes QueueNotify. */
static inline void vd_offer(struct vdrv *v, unsigned q, const struct vd_buf *bufs, unsigned n,
			    bool kick)
{
	uint64_t a = VD_QAREA(q);
	uint16_t idx = v->avail_idx[q];
	uint16_t head = (uint16_t)((idx * 4) % VD_QNUM); /* room for 4-descriptor chains */

	for (unsigned i = 0; i < n; i++) {
		struct vring_desc d = {
		    .addr = bufs[i].gpa,
		    .len = bufs[i].len,
		    .flags = (uint16_t)((bufs[i].write ? VRING_DESC_F_WRITE : 0) |
					(i + 1 < n ? VRING_DESC_F_NEXT : 0)),
		    .next = (uint16_t)((head + i + 1) % VD_QNUM),
		};
		assert_int_equal(
		    gmem_write(&v->m.mem, a + 16 * ((head + i) % VD_QNUM), &d, sizeof(d)), 0);
	}
	assert_int_equal(gmem_write(&v->m.mem, a + 0x1000 + 4 + 2 * (idx % VD_QNUM), &head, 2), 0);
	idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	assert_int_equal(gmem_write(&v->m.mem, a + 0x1000 + 2, &idx, 2), 0);
	v->avail_idx[q] = idx;
	if (kick)
		vd_wr(v, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static inline uint16_t vd_used_idx(struct vdrv *v, unsigned q)
{
	uint16_t idx;
	assert_int_equal(gmem_read(&v->m.mem, VD_QAREA(q) + 0x2000 + 2, &idx, 2), 0);
	return idx;
}

/* Waits (running the event loop when there is one) for the next used entry of queue q.
 * Returns false when none arrives. */
static inline bool vd_wait_used(struct vdrv *v, unsigned q, uint32_t *len)
{
	for (int i = 0; i < 200 && vd_used_idx(v, q) == v->used_seen[q]; i++) {
		if (v->use_loop)
			loop_poll_once(&v->m.loop, 10);
		else
			return false;
	}
	if (vd_used_idx(v, q) == v->used_seen[q])
		return false;
	uint32_t e[2];
	uint64_t at = VD_QAREA(q) + 0x2000 + 4 + 8 * (v->used_seen[q] % VD_QNUM);
	assert_int_equal(gmem_read(&v->m.mem, at, e, 8), 0);
	v->used_seen[q]++;
	if (len)
		*len = e[1];
	return true;
}

static inline void vd_free(struct vdrv *v)
{
	virtio_mmio_detach(&v->t);
	virtio_dev_free(v->dev);
	if (v->use_loop)
		loop_free(&v->m.loop);
	bus_free(&v->m.mmio);
	gmem_free(&v->m.mem);
}

#endif
