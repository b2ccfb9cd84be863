/* virtio-blk (virtio 1.x, section 5.2) on a raw disk image: read, write, flush (durable before
 * completion), discard, write-zeroes and GET_ID, with a read-only mode. Every request is checked
 * against the disk size before it reaches the back end. */
#include "devices/virtio/devices.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/disk.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

#define SECTOR	    512ULL
#define MAX_DISCARD 32 /* segments per discard/write-zeroes request */

struct virtio_blk {
	struct virtio_dev dev;
	struct disk disk;
	struct virtio_blk_config cfg;
	char id[VIRTIO_BLK_ID_BYTES];
	unsigned gen; /* bumped on reset: completions of older requests are dropped */
	struct virtq_chain chain;
	uint64_t reads, writes, flushes, errors;
};

struct blk_req {
	struct virtio_blk *b;
	unsigned gen;
	uint16_t head;
	uint8_t *status;
	uint32_t used_len;
	struct disk_req dr;
	unsigned niov;
	struct iovec iov[]; /* the data part of the chain */
};

/* Copies the iovecs covering [skip, skip+len) of src into dst; returns how many. */
static unsigned iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t len,
			  struct iovec *dst)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		size_t l = src[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		l = MIN(l - skip, len);
		dst[k++] = (struct iovec){(uint8_t *)src[i].iov_base + skip, l};
		len -= l;
		skip = 0;
	}
	return k;
}

static void complete(struct blk_req *r, uint8_t status)
{
	struct virtio_blk *b = r->b;
	struct virtio_dev *d = &b->dev;

	if (r->gen == b->gen && virtio_dev_running(d)) {
		*r->status = status;
		virtq_push(&d->vq[0], r->head, r->used_len);
	}
	if (status != VIRTIO_BLK_S_OK)
		b->errors++;
	free(r);
}

static uint8_t result_status(const struct blk_req *r)
{
	if (r->dr.result < 0) {
		log_debug("virtio-blk: request failed: %s", err_str((int)r->dr.result));
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Completion on the event loop (io_uring). */
static void on_disk_done(struct disk_req *dr)
{
	struct blk_req *r = dr->opaque;
	struct virtio_dev *d = &r->b->dev;

	pthread_mutex_lock(&d->lock);
	complete(r, result_status(r));
	virtio_queue_done(d, 0);
	pthread_mutex_unlock(&d->lock);
}

static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t size = b->disk.size;

	return sector <= size / SECTOR && bytes <= size - sector * SECTOR;
}

/* Discard / write-zeroes: a table of {sector, num_sectors, flags} segments. */
static uint8_t do_ranges(struct virtio_blk *b, struct blk_req *r, uint32_t type)
{
	struct virtio_blk_discard_write_zeroes seg[MAX_DISCARD];
	size_t bytes = (size_t)MIN(b->chain.rlen - sizeof(struct virtio_blk_outhdr), sizeof(seg));
	unsigned n = (unsigned)(bytes / sizeof(seg[0]));

	if (b->disk.readonly)
		return VIRTIO_BLK_S_IOERR;
	if (!n || virtq_chain_read(&b->chain, sizeof(struct virtio_blk_outhdr), seg,
				   n * sizeof(seg[0])) != n * sizeof(seg[0]))
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = 0; i < n; i++) {
		uint64_t len = (uint64_t)seg[i].num_sectors * SECTOR;
		if (!in_range(b, seg[i].sector, len))
			return VIRTIO_BLK_S_IOERR;
		/* Write-zeroes always zeroes (ZERO_RANGE); discard may keep the data. */
		r->dr = (struct disk_req){
		    .op = type == VIRTIO_BLK_T_DISCARD ? DISK_DISCARD : DISK_WRITE_ZEROES,
		    .offset = seg[i].sector * SECTOR,
		    .len = len,
		};
		r->dr.result = disk_file_exec(&b->disk, &r->dr);
		if (r->dr.result < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Starts one request. Returns false when the chain is malformed (device error). */
static bool handle(struct virtio_blk *b)
{
	struct virtq_chain *c = &b->chain;
	struct virtio_blk_outhdr h;
	struct blk_req *r;
	struct iovec *last;
	size_t data;

	/* Header (readable, 16 bytes) ... status (the last writable byte). */
	if (virtq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h) || !c->nw)
		return false;
	r = calloc(1, sizeof(*r) + sizeof(struct iovec) * (c->nr + c->nw));
	if (!r)
		return false;
	last = &c->iov[c->nr + c->nw - 1];
	r->b = b;
	r->gen = b->gen;
	r->head = c->head;
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	r->used_len = 1;
	r->dr.opaque = r;
	r->dr.done = on_disk_done;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		data = (size_t)(c->wlen - 1);
		if (data % SECTOR || !in_range(b, h.sector, data))
			break;
		r->niov = iov_slice(&c->iov[c->nr], c->nw, 0, data, r->iov);
		r->used_len += (uint32_t)data;
		r->dr.op = DISK_READ;
		b->reads++;
		goto submit;
	case VIRTIO_BLK_T_OUT:
		data = (size_t)(c->rlen - sizeof(h));
		if (b->disk.readonly || data % SECTOR || !in_range(b, h.sector, data))
			break;
		r->niov = iov_slice(c->iov, c->nr, sizeof(h), data, r->iov);
		r->dr.op = DISK_WRITE;
		b->writes++;
		goto submit;
	case VIRTIO_BLK_T_FLUSH:
		r->dr.op = DISK_FLUSH;
		b->flushes++;
		goto submit;
	case VIRTIO_BLK_T_GET_ID:
		r->used_len +=
		    (uint32_t)virtq_chain_write(c, 0, b->id, MIN(sizeof(b->id), c->wlen - 1));
		complete(r, VIRTIO_BLK_S_OK);
		return true;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		complete(r, do_ranges(b, r, h.type));
		return true;
	default:
		complete(r, VIRTIO_BLK_S_UNSUPP);
		return true;
	}
	complete(r, VIRTIO_BLK_S_IOERR); /* out of range, misaligned or read-only */
	return true;
submit:
	r->dr.offset = h.sector * SECTOR;
	r->dr.iov = r->iov;
	r->dr.niov = r->niov;
	if (disk_submit(&b->disk, &r->dr) == 0) /* finished synchronously */
		complete(r, result_status(r));
	return true;
}

static void blk_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_blk *b = d->priv;

	while (virtio_queue_pop(d, q, &b->chain) > 0) {
		if (!handle(b)) {
			virtio_dev_fail(d, "malformed block request");
			return;
		}
	}
	virtio_queue_done(d, q);
}

static void blk_reset(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	b->gen++;
}

static void blk_free(struct virtio_dev *d)
{
	struct virtio_blk *b = d->priv;

	log_debug("virtio-blk: %llu reads, %llu writes, %llu flushes, %llu errors",
		  (unsigned long long)b->reads, (unsigned long long)b->writes,
		  (unsigned long long)b->flushes, (unsigned long long)b->errors);
	disk_close(&b->disk);
	free(b);
}

static const struct virtio_dev_ops blk_ops = {
    .name = "blk",
    .device_id = VIRTIO_ID_BLOCK,
    .nqueues = 1,
    .queue_max = 256,
    .queue_notify = blk_notify,
    .reset = blk_reset,
    .free = blk_free,
};

int virtio_blk_create(struct machine *m, const struct disk_config *dc, unsigned index,
		      struct virtio_dev **out)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint64_t features = (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
			    (1ULL << VIRTIO_BLK_F_BLK_SIZE);
	int e;

	if (!b)
		return -ENOMEM;
	e = disk_open(&b->disk, dc->path, dc->readonly, m->loop.epfd > 0 ? &m->loop : NULL);
	if (e) {
		free(b);
		return e;
	}
	if (dc->readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	b->cfg.capacity = b->disk.size / SECTOR;
	/* Requests come with indirect tables (VIRTIO_RING_F_INDIRECT_DESC), which the queue takes
	 * up to VIRTQ_MAX_SIZE entries long: room for header + 1022 segments + status, so a 1 MiB
	 * O_DIRECT transfer (256 pages, 4 MiB with large folios) is one request, not two. */
	b->cfg.seg_max = VIRTQ_MAX_SIZE - 2;
	b->cfg.blk_size = SECTOR;
	b->cfg.max_discard_sectors = UINT32_MAX;
	b->cfg.max_discard_seg = MAX_DISCARD;
	b->cfg.discard_sector_alignment = 1;
	b->cfg.max_write_zeroes_sectors = UINT32_MAX;
	b->cfg.max_write_zeroes_seg = MAX_DISCARD;
	if (dc->id)
		memcpy(b->id, dc->id, MIN(strlen(dc->id), sizeof(b->id)));
	else
		snprintf(b->id, sizeof(b->id), "gasang-disk%u", index);
	virtio_dev_init(&b->dev, m, &blk_ops, b, features, &b->cfg, sizeof(b->cfg));
	*out = &b->dev;
	return 0;
}
