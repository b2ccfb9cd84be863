/* io_uring disk back end (liburing): reads, writes and flushes are queued to the kernel and
 * complete on the event loop, which watches an eventfd registered with the ring. Discard and
 * write-zeroes are rare and stay synchronous.
 *
 * Page-cache fast path: a request the kernel can finish without blocking is done right away on
 * the submitting thread (the vCPU's, or the loop's for ioeventfds), saving the trip through an
 * io_uring worker, the eventfd and the loop thread (three thread switches per request, which
 * is most of a 4 KiB request's latency on a busy 2-core host). Reads and writes use
 * preadv2/pwritev2(RWF_NOWAIT), which fail with EAGAIN instead of waiting for the disk; on file
 * systems that do not support it (EOPNOTSUPP: ext4 for buffered writes, tmpfs for both) a plain
 * preadv/pwritev (for writes, a copy into the page cache). Only reads up to INLINE_READ_MAX and
 * writes up to INLINE_WRITE_MAX: larger ones and flushes go to the ring. */
#include "backends/disk.h"

#include <errno.h>
#include <limits.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "machine/loop.h"

#define URING_DEPTH 256
/* Largest requests done inline; larger ones go to an io_uring worker, whose copy then runs on
 * another core (measured on bench/io: inline 1 MiB reads and two-way split 1 MiB writes were
 * not better, within the host's noise). */
#define INLINE_READ_MAX	 (128u << 10)
#define INLINE_WRITE_MAX (128u << 10)

struct disk_uring {
	struct io_uring ring;
	int efd;
	struct event_loop *loop;
	struct disk *d;
	unsigned inflight;
	bool no_nowait_read, no_nowait_write; /* the file system refused RWF_NOWAIT */
	uint64_t inline_done, queued;
};

static void reap(struct disk_uring *u)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct disk_req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		__atomic_sub_fetch(&u->inflight, 1, __ATOMIC_RELAXED);
		if (!r)
			continue;
		/* A short read or write is finished synchronously (rare: end of file, signals). */
		if (res >= 0 && (r->op == DISK_READ || r->op == DISK_WRITE)) {
			uint64_t want = 0;
			for (unsigned i = 0; i < r->niov; i++)
				want += r->iov[i].iov_len;
			r->result = (uint64_t)res == want ? res : disk_file_exec(u->d, r);
		} else {
			r->result = res;
		}
		r->done(r);
	}
}

static void on_ring_event(void *opaque, uint32_t events)
{
	struct disk_uring *u = opaque;
	uint64_t n;
	(void)events;

	if (read(u->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	reap(u);
}

/* Tries the request on the page cache without blocking; true when it is complete. */
static bool try_inline(struct disk_uring *u, struct disk *d, struct disk_req *r)
{
	uint64_t want = 0;
	ssize_t n = -1;
	bool *no_nowait;

	if (r->niov > IOV_MAX)
		return false;
	for (unsigned i = 0; i < r->niov; i++)
		want += r->iov[i].iov_len;
	/* Large requests go to the ring: their copy then runs on another core, and the round
	 * trip is small next to it. */
	if (want > (r->op == DISK_READ ? INLINE_READ_MAX : INLINE_WRITE_MAX))
		return false;
	no_nowait = r->op == DISK_READ ? &u->no_nowait_read : &u->no_nowait_write;
	if (!*no_nowait)
		n = r->op == DISK_READ
			? preadv2(d->fd, r->iov, (int)r->niov, (off_t)r->offset, RWF_NOWAIT)
			: pwritev2(d->fd, r->iov, (int)r->niov, (off_t)r->offset, RWF_NOWAIT);
	if (*no_nowait || (n < 0 && errno == EOPNOTSUPP)) {
		/* This file system cannot say "would block" (ext4 for buffered writes, tmpfs for
		 * both): small requests are done here, synchronously. */
		*no_nowait = true;
		r->result = disk_file_exec(d, r);
		return true;
	}
	/* A partial transfer is redone whole by the ring (same bytes, same place). */
	if (n < 0 || (uint64_t)n != want)
		return false;
	r->result = n;
	return true;
}

static int uring_submit(struct disk *d, struct disk_req *r)
{
	struct disk_uring *u = d->priv;
	struct io_uring_sqe *sqe;

	if (r->op == DISK_DISCARD || r->op == DISK_WRITE_ZEROES ||
	    (r->op == DISK_WRITE && d->readonly)) {
		r->result = disk_file_exec(d, r);
		return 0;
	}
	if ((r->op == DISK_READ || r->op == DISK_WRITE) && try_inline(u, d, r)) {
		u->inline_done++;
		return 0;
	}
	u->queued++;
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		r->result = disk_file_exec(d, r); /* ring full: do it now */
		return 0;
	}
	switch (r->op) {
	case DISK_READ:
		io_uring_prep_readv(sqe, d->fd, r->iov, r->niov, r->offset);
		break;
	case DISK_WRITE:
		io_uring_prep_writev(sqe, d->fd, r->iov, r->niov, r->offset);
		break;
	default:
		io_uring_prep_fsync(sqe, d->fd, IORING_FSYNC_DATASYNC);
		break;
	}
	/* Reads and writes come here when they are large or would block: straight to an io_uring
	 * worker (IOSQE_ASYNC), so their copy runs on another core while this thread returns to
	 * the guest, instead of inside io_uring_enter() here. */
	if (r->op != DISK_FLUSH)
		io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	io_uring_sqe_set_data(sqe, r);
	if (io_uring_submit(&u->ring) < 0) {
		/* The SQE stays queued and goes with the next submit; complete this one here. */
		io_uring_sqe_set_data(sqe, NULL);
		io_uring_prep_nop(sqe);
		__atomic_add_fetch(&u->inflight, 1, __ATOMIC_RELAXED);
		r->result = disk_file_exec(d, r);
		return 0;
	}
	__atomic_add_fetch(&u->inflight, 1, __ATOMIC_RELAXED);
	return 1;
}

static void uring_close(struct disk *d)
{
	struct disk_uring *u = d->priv;

	if (!u)
		return;
	log_debug("disk: %llu requests done on the page-cache fast path, %llu through io_uring",
		  (unsigned long long)u->inline_done, (unsigned long long)u->queued);
	/* Let queued requests finish: their buffers live in guest RAM, still mapped. */
	while (__atomic_load_n(&u->inflight, __ATOMIC_RELAXED)) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&u->ring, &cqe))
			break;
		reap(u);
	}
	loop_del_fd(u->loop, u->efd);
	io_uring_queue_exit(&u->ring);
	close(u->efd);
	free(u);
	d->priv = NULL;
}

static const struct disk_backend uring_backend = {
    .name = "io_uring",
    .submit = uring_submit,
    .close = uring_close,
};

int disk_uring_init(struct disk *d, struct event_loop *loop)
{
	struct disk_uring *u = calloc(1, sizeof(*u));
	int e;

	if (!u)
		return -ENOMEM;
	e = io_uring_queue_init(URING_DEPTH, &u->ring, 0);
	if (e < 0) {
		free(u);
		return e;
	}
	u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->efd < 0) {
		e = -errno;
		goto fail_ring;
	}
	e = io_uring_register_eventfd(&u->ring, u->efd);
	if (e < 0)
		goto fail_efd;
	e = loop_add_fd(loop, u->efd, EPOLLIN, on_ring_event, u);
	if (e < 0)
		goto fail_efd;
	u->loop = loop;
	u->d = d;
	d->priv = u;
	d->be = &uring_backend;
	return 0;
fail_efd:
	close(u->efd);
fail_ring:
	io_uring_queue_exit(&u->ring);
	free(u);
	return e;
}
