/* iobench: in-guest virtio I/O benchmark for bench/io.py (static riscv64 binary).
 *   iobench disk DEV SEQ_MIB RAND_OPS   O_DIRECT sequential (1 MiB blocks) and 4 KiB random
 *                                       write and read on DEV; prints MB/s and IOPS
 *   iobench tcp PORT [DEV]              TCP server for the host: per connection a command byte,
 *                                       'R' (receive until EOF, reply "OK <bytes>\n"),
 *                                       'S' + 4-byte big-endian MiB count (send that much),
 *                                       'D' + op byte + 4-byte big-endian count: one disk phase
 *                                       on DEV (op w/r: sequential write/read of count MiB,
 *                                       W/R: count random 4 KiB writes/reads), reply
 *                                       "<value> <guest seconds>\n" (MB/s or IOPS),
 *                                       'Q' (quit)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define BLK 4096

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int full_io(int fd, int wr, char *buf, size_t len, off_t off)
{
	ssize_t n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n != (ssize_t)len) {
		perror(wr ? "pwrite" : "pread");
		return -1;
	}
	return 0;
}

static double last_value, last_secs;

static int seq(int fd, int wr, char *buf, long mib)
{
	double t = now();
	for (long i = 0; i < mib; i++)
		if (full_io(fd, wr, buf, MIB, (off_t)i * MIB))
			return -1;
	if (wr && fdatasync(fd))
		perror("fdatasync");
	t = now() - t;
	last_secs = t;
	last_value = mib * (double)MIB / 1e6 / t;
	fflush(stdout);
	printf("iobench: seq-%s %.2f MB/s\n", wr ? "write" : "read", last_value);
	return 0;
}

static int rnd(int fd, int wr, char *buf, long ops, long blocks)
{
	rng_state = 0x9e3779b97f4a7c15ull + wr;
	double t = now();
	for (long i = 0; i < ops; i++)
		if (full_io(fd, wr, buf, BLK, (off_t)(rng_next() % blocks) * BLK))
			return -1;
	if (wr && fdatasync(fd))
		perror("fdatasync");
	t = now() - t;
	last_secs = t;
	last_value = ops / t;
	printf("iobench: rand-%s %.0f IOPS\n", wr ? "write" : "read", last_value);
	return 0;
}

static int disk(const char *dev, long mib, long ops)
{
	int fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)mib * MIB) {
		fprintf(stderr, "iobench: %s too small\n", dev);
		return 1;
	}
	char *buf;
	if (posix_memalign((void **)&buf, BLK, MIB))
		return 1;
	for (int i = 0; i < MIB; i++)
		buf[i] = (char)(i * 131 + 7);
	printf("iobench: disk start\n");
	fflush(stdout);
	double t0 = now();
	if (seq(fd, 1, buf, mib) || seq(fd, 0, buf, mib) || rnd(fd, 1, buf, ops, size / BLK) ||
	    rnd(fd, 0, buf, ops, size / BLK))
		return 1;
	close(fd);
	printf("iobench: disk done %.3f s\n", now() - t0);
	fflush(stdout);
	return 0;
}

static int read_full(int fd, void *p, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, (char *)p + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* One disk phase for the 'D' command; returns 0 or -1. */
static int disk_phase(const char *dev, char op, long count)
{
	static char *buf, *rbuf;
	int fd = open(dev, O_RDWR | O_DIRECT), r = -1;
	off_t size;

	if (fd < 0) {
		perror(dev);
		return -1;
	}
	size = lseek(fd, 0, SEEK_END);
	if (!buf) {
		if (posix_memalign((void **)&buf, BLK, MIB))
			return -1;
		for (int i = 0; i < MIB; i++)
			buf[i] = (char)(i * 131 + 7);
	}
	/* Reads land in rbuf: writes always write the pattern. */
	if (!rbuf && posix_memalign((void **)&rbuf, BLK, MIB))
		return -1;
	if ((op == 'w' || op == 'r') && size >= (off_t)count * MIB)
		r = seq(fd, op == 'w', op == 'w' ? buf : rbuf, count);
	else if (op == 'W' || op == 'R')
		r = rnd(fd, op == 'W', op == 'W' ? buf : rbuf, count, size / BLK);
	close(fd);
	fflush(stdout);
	return r;
}

static int tcp(int port, const char *dev)
{
	static char buf[256 * 1024];
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 4)) {
		perror("bind/listen");
		return 1;
	}
	printf("iobench: tcp listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		char cmd;
		if (c < 0 || read_full(c, &cmd, 1))
			return 1;
		if (cmd == 'Q') {
			close(c);
			return 0;
		}
		if (cmd == 'R') {
			long long total = 0;
			ssize_t n;
			while ((n = read(c, buf, sizeof(buf))) > 0)
				total += n;
			dprintf(c, "OK %lld\n", total);
		} else if (cmd == 'D' && dev) {
			char op;
			uint32_t n;
			if (read_full(c, &op, 1) || read_full(c, &n, 4))
				return 1;
			if (disk_phase(dev, op, (long)ntohl(n)))
				dprintf(c, "ERR\n");
			else
				dprintf(c, "%.3f %.6f\n", last_value, last_secs);
		} else if (cmd == 'S') {
			uint32_t mib;
			if (read_full(c, &mib, 4))
				return 1;
			long long left = (long long)ntohl(mib) * MIB;
			while (left > 0) {
				size_t len =
				    left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
				ssize_t n = write(c, buf, len);
				if (n <= 0)
					break;
				left -= n;
			}
		}
		close(c);
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "disk"))
		return disk(argv[2], atol(argv[3]), atol(argv[4]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "tcp"))
		return tcp(atoi(argv[2]), argc == 4 ? argv[3] : NULL);
	fprintf(stderr, "usage: iobench disk DEV SEQ_MIB RAND_OPS | iobench tcp PORT [DEV]\n");
	return 2;
}
