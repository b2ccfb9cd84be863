/* Disk back ends for block devices: a raw image file (or block device) reached through
 * io_uring when the kernel allows it (disk_uring.c) or synchronous pread/pwrite (disk_file.c).
 *
 * A request either completes inside disk_submit() (return 0, r->result set) or is queued
 * (return 1) and completes later on the event loop thread through r->done. */
#ifndef GASANG_BACKENDS_DISK_H
#define GASANG_BACKENDS_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct event_loop;
struct disk;

enum disk_op { DISK_READ, DISK_WRITE, DISK_FLUSH, DISK_DISCARD, DISK_WRITE_ZEROES };

struct disk_req {
	enum disk_op op;
	uint64_t offset; /* bytes */
	uint64_t len;	 /* bytes, for DISCARD and WRITE_ZEROES */
	const struct iovec *iov;
	unsigned niov;
	int64_t result; /* bytes transferred (READ/WRITE) or 0, or -errno */
	void (*done)(struct disk_req *r);
	void *opaque;
};

struct disk_backend {
	const char *name;
	int (*submit)(struct disk *d, struct disk_req *r);
	void (*close)(struct disk *d);
};

struct disk {
	int fd;
	bool readonly;
	uint64_t size; /* bytes */
	const struct disk_backend *be;
	void *priv;
};

/* Opens path as a raw disk. With a loop, io_uring is tried first (unless GASANG_NO_URING is
 * set) and the synchronous back end is the fallback. A directory is -EISDIR, a file of
 * another kind -EINVAL. Returns 0 or -errno. */
int disk_open(struct disk *d, const char *path, bool readonly, struct event_loop *loop);
int disk_submit(struct disk *d, struct disk_req *r);
void disk_close(struct disk *d);

/* The synchronous implementation of one request, shared by both back ends. */
int64_t disk_file_exec(struct disk *d, const struct disk_req *r);
extern const struct disk_backend disk_file_backend;
/* Switches an opened disk to io_uring. Returns 0 or -errno (the disk stays synchronous). */
int disk_uring_init(struct disk *d, struct event_loop *loop);

#endif
