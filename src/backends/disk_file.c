/* The synchronous raw-file disk back end, and disk_open() which picks a back end. */
#include "backends/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

/* preadv/pwritev until done: short transfers happen on signals and at end of file. */
static int64_t rw_all(struct disk *d, const struct disk_req *r, bool write)
{
	struct iovec iov[64];
	uint64_t done = 0, off = r->offset;
	unsigned i = 0;
	size_t skip = 0;

	while (i < r->niov) {
		unsigned n = 0;
		ssize_t got;

		/* Up to 64 iovecs from position (i, skip). */
		for (unsigned j = i; j < r->niov && n < ARRAY_SIZE(iov); j++, n++) {
			size_t s = j == i ? skip : 0;
			iov[n].iov_base = (uint8_t *)r->iov[j].iov_base + s;
			iov[n].iov_len = r->iov[j].iov_len - s;
		}
		got = write ? pwritev(d->fd, iov, (int)n, (off_t)off)
			    : preadv(d->fd, iov, (int)n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0) {
			if (write)
				return -EIO;
			/* Past the end of a file that shrank under us: zeroes. */
			for (unsigned j = i; j < r->niov; j++) {
				size_t s = j == i ? skip : 0;
				memset((uint8_t *)r->iov[j].iov_base + s, 0, r->iov[j].iov_len - s);
			}
			return (int64_t)(done);
		}
		done += (uint64_t)got;
		off += (uint64_t)got;
		while (got > 0 && i < r->niov) {
			size_t left = r->iov[i].iov_len - skip;
			if ((size_t)got < left) {
				skip += (size_t)got;
				got = 0;
			} else {
				got -= (ssize_t)left;
				i++;
				skip = 0;
			}
		}
	}
	return (int64_t)done;
}

static int64_t zero_fill(struct disk *d, uint64_t off, uint64_t len)
{
	static const uint8_t zeroes[65536];

	while (len) {
		size_t n = MIN(len, sizeof(zeroes));
		ssize_t w = pwrite(d->fd, zeroes, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

int64_t disk_file_exec(struct disk *d, const struct disk_req *r)
{
	switch (r->op) {
	case DISK_READ:
		return rw_all(d, r, false);
	case DISK_WRITE:
		return d->readonly ? -EROFS : rw_all(d, r, true);
	case DISK_FLUSH:
		return fdatasync(d->fd) ? -errno : 0;
	case DISK_DISCARD:
		if (d->readonly)
			return -EROFS;
		/* Discard is a hint: a file system without hole punching just keeps the data. */
		if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)r->offset,
			      (off_t)r->len) &&
		    errno != EOPNOTSUPP)
			return -errno;
		return 0;
	case DISK_WRITE_ZEROES:
		if (d->readonly)
			return -EROFS;
		if (!fallocate(d->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)r->offset,
			       (off_t)r->len))
			return 0;
		if (errno != EOPNOTSUPP)
			return -errno;
		return zero_fill(d, r->offset, r->len);
	}
	return -EINVAL;
}

static int file_submit(struct disk *d, struct disk_req *r)
{
	r->result = disk_file_exec(d, r);
	return 0;
}

static void file_close(struct disk *d)
{
	(void)d;
}

const struct disk_backend disk_file_backend = {
    .name = "file",
    .submit = file_submit,
    .close = file_close,
};

int disk_open(struct disk *d, const char *path, bool readonly, struct event_loop *loop)
{
	struct stat st;
	int fd;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz;
		if (ioctl(fd, BLKGETSIZE64, &sz)) {
			int e = -errno;
			close(fd);
			return e;
		}
		d->size = sz;
	} else if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
	} else {
		close(fd);
		return -EINVAL;
	}
	d->fd = fd;
	d->readonly = readonly;
	d->be = &disk_file_backend;
	if (loop && !getenv("GASANG_NO_URING")) {
		int e = disk_uring_init(d, loop);
		if (e)
			log_debug("disk %s: io_uring unavailable (%s), using pread/pwrite", path,
				  err_str(e));
	}
	return 0;
}

int disk_submit(struct disk *d, struct disk_req *r)
{
	return d->be->submit(d, r);
}

void disk_close(struct disk *d)
{
	if (d->be)
		d->be->close(d);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->be = NULL;
}
