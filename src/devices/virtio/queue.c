#include "devices/virtio/queue.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

/* The in-memory layout of one descriptor (little-endian; both our hosts are). */
struct virtq_desc_raw {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

_Static_assert(sizeof(struct virtq_desc_raw) == 16, "descriptor layout");

#define AVAIL_FLAGS    0
#define AVAIL_IDX      1
#define AVAIL_RING     2
#define USED_FLAGS     0
#define USED_IDX       1
#define USED_RING_BYTE 4

static uint64_t avail_bytes(uint16_t num)
{
	return 6 + 2ULL * num;
}

static uint64_t used_bytes(uint16_t num)
{
	return 6 + 8ULL * num;
}

void virtq_reset(struct virtq *q)
{
	const struct guest_mem *mem = q->mem;

	memset(q, 0, sizeof(*q));
	q->mem = mem;
}

static int queue_error(struct virtq *q, const char *why)
{
	if (!q->broken)
		log_warn("virtio: guest error on a virtqueue: %s; device needs reset", why);
	q->broken = true;
	q->errors++;
	return -EIO;
}

int virtq_enable(struct virtq *q, const struct guest_mem *mem, bool event_idx)
{
	q->mem = mem;
	q->event_idx = event_idx;
	/* Queue sizes are powers of two up to what we offered (virtio 1.x, 2.7). */
	if (!q->num || q->num > VIRTQ_MAX_SIZE || (q->num & (q->num - 1)))
		return queue_error(q, "bad queue size"), -EINVAL;
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return queue_error(q, "misaligned ring"), -EINVAL;
	q->desc = gmem_ptr(mem, q->desc_gpa, 16ULL * q->num);
	q->avail = gmem_ptr(mem, q->avail_gpa, avail_bytes(q->num));
	q->used = gmem_ptr(mem, q->used_gpa, used_bytes(q->num));
	if (!q->desc || !q->avail || !q->used)
		return queue_error(q, "ring outside guest RAM"), -EINVAL;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_valid = false;
	q->ready = true;
	q->broken = false;
	return 0;
}

static void set_avail_event(struct virtq *q)
{
	uint16_t *ev = (uint16_t *)((uint8_t *)q->used + USED_RING_BYTE + 8ULL * q->num);

	if (q->event_idx)
		__atomic_store_n(ev, q->last_avail, __ATOMIC_RELAXED);
}

/* Number of chains the driver has made available and we have not taken; -1 when the driver's
 * index is impossible (more than num ahead of us). */
static int avail_pending(struct virtq *q)
{
	uint16_t idx = __atomic_load_n(&q->avail[AVAIL_IDX], __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(idx - q->last_avail);

	return n > q->num ? -1 : n;
}

bool virtq_has_avail(struct virtq *q)
{
	return q->ready && !q->broken && avail_pending(q) > 0;
}

static int add_buf(struct virtq *q, struct virtq_chain *c, const struct virtq_desc_raw *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *p;

	if (!writable && c->nw)
		return queue_error(q, "readable descriptor after a writable one");
	if (!d->len)
		return 0;
	if (c->nr + c->nw == VIRTQ_MAX_SIZE)
		return queue_error(q, "more buffers in a chain than the device takes");
	p = gmem_ptr(q->mem, d->addr, d->len);
	if (!p)
		return queue_error(q, "buffer outside guest RAM");
	c->iov[c->nr + c->nw] = (struct iovec){.iov_base = p, .iov_len = d->len};
	if (writable) {
		c->nw++;
		c->wlen += d->len;
	} else {
		c->nr++;
		c->rlen += d->len;
	}
	return 0;
}

/* Walks an indirect table. Its size is not bound by the queue size (Linux gives virtio-blk
 * tables of seg_max + 2 entries, one more than the ring part of the chain leaves), only by
 * VIRTQ_MAX_SIZE; a walk longer than the table has a loop. */
static int walk_indirect(struct virtq *q, struct virtq_chain *c, const struct virtq_desc_raw *d)
{
	const struct virtq_desc_raw *table;
	unsigned n, i = 0, steps = 0;

	if (d->flags & VRING_DESC_F_NEXT)
		return queue_error(q, "indirect descriptor with NEXT");
	if (!d->len || d->len % 16)
		return queue_error(q, "indirect table length not a multiple of 16");
	n = d->len / 16;
	if (n > VIRTQ_MAX_SIZE)
		return queue_error(q, "indirect table longer than 1024 entries");
	/* No alignment requirement for indirect tables (Linux's kmalloc may give 8 bytes): the
	 * entries are copied out with memcpy. */
	table = gmem_ptr(q->mem, d->addr, d->len);
	if (!table)
		return queue_error(q, "indirect table outside guest RAM");
	for (;;) {
		struct virtq_desc_raw e;

		if (steps++ == n)
			return queue_error(q, "indirect chain longer than its table (loop)");
		memcpy(&e, &table[i], sizeof(e)); /* one snapshot: the guest may change it */
		if (e.flags & VRING_DESC_F_INDIRECT)
			return queue_error(q, "indirect descriptor inside an indirect table");
		if (add_buf(q, c, &e))
			return -EIO;
		if (!(e.flags & VRING_DESC_F_NEXT))
			return 0;
		if (e.next >= n)
			return queue_error(q, "indirect next index out of range");
		i = e.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	unsigned budget = q->num;
	uint16_t idx;
	int pending;

	if (!q->ready || q->broken)
		return q->broken ? -EIO : 0;
	pending = avail_pending(q);
	if (pending == 0) {
		/* Ask for a kick on the next chain, then look again: the driver may have added one
		 * between our read and its check of avail_event. */
		set_avail_event(q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pending = avail_pending(q);
	}
	if (pending < 0)
		return queue_error(q, "available index more than the queue size ahead");
	if (!pending)
		return 0;
	idx = __atomic_load_n(&q->avail[AVAIL_RING + q->last_avail % q->num], __ATOMIC_RELAXED);
	if (idx >= q->num)
		return queue_error(q, "chain head out of range");
	c->head = idx;
	c->nr = c->nw = 0;
	c->rlen = c->wlen = 0;
	for (;;) {
		struct virtq_desc_raw d;

		if (!budget)
			return queue_error(q, "descriptor chain longer than the queue (loop?)");
		budget--;
		memcpy(&d, &q->desc[idx], sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (walk_indirect(q, c, &d))
				return -EIO;
			break;
		}
		if (add_buf(q, c, &d))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= q->num)
			return queue_error(q, "next index out of range");
		idx = d.next;
	}
	q->last_avail++;
	set_avail_event(q);
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint8_t *ring;
	uint32_t e[2] = {head, len};

	if (!q->ready || q->broken)
		return -EIO;
	if (head >= q->num)
		return -EINVAL;
	ring = (uint8_t *)q->used + USED_RING_BYTE + 8ULL * (q->used_idx % q->num);
	memcpy(ring, e, sizeof(e));
	q->used_idx++;
	/* The entry must be visible before the index that publishes it. */
	__atomic_store_n(&q->used[USED_IDX], q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx;
	bool valid = q->signalled_valid;

	/* Nothing new since the last interrupt (or, before the first one, nothing pushed yet:
	 * a queue run that only started asynchronous work must not interrupt the driver). */
	if (!q->ready || old == new)
		return false;
	/* Our used index store must be ordered before reading the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = new;
	q->signalled_valid = true;
	if (q->event_idx) {
		uint16_t event = __atomic_load_n(&q->avail[AVAIL_RING + q->num], __ATOMIC_RELAXED);
		if (!valid)
			return true;
		return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	}
	return !(__atomic_load_n(&q->avail[AVAIL_FLAGS], __ATOMIC_RELAXED) &
		 VRING_AVAIL_F_NO_INTERRUPT);
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < c->nr && done < len; i++) {
		size_t l = c->iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		l = MIN(l - off, len - done);
		memcpy((uint8_t *)buf + done, (uint8_t *)c->iov[i].iov_base + off, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = c->nr; i < c->nr + c->nw && done < len; i++) {
		size_t l = c->iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		l = MIN(l - off, len - done);
		memcpy((uint8_t *)c->iov[i].iov_base + off, (const uint8_t *)buf + done, l);
		done += l;
		off = 0;
	}
	return done;
}
