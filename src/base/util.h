/* Small helpers shared by every subsystem. */
#ifndef GASANG_BASE_UTIL_H
#define GASANG_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/* Parses "256M", "1G", "4096", "64K" into bytes. Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* Parses a decimal or 0x-prefixed unsigned integer with no trailing garbage. */
int parse_u64(const char *s, uint64_t *out);

/* Monotonic clock in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Little-endian fields at byte offset off of a buffer (any alignment; the host is x86-64). */
static inline uint16_t le_get16(const void *p, size_t off)
{
	uint16_t v;

	memcpy(&v, (const uint8_t *)p + off, 2);
	return v;
}

static inline uint32_t le_get32(const void *p, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)p + off, 4);
	return v;
}

/* Stores the low n bytes (1-8) of v. */
static inline void le_put(void *p, size_t off, uint64_t v, unsigned n)
{
	memcpy((uint8_t *)p + off, &v, n);
}

/* Reads a whole file into a malloc'd buffer. Returns 0 or -errno; *len gets the size. */
int read_file(const char *path, uint8_t **buf, size_t *len);
/* write() that retries on EINTR and short writes. Returns 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* Human-readable description of a negative errno. */
const char *err_str(int neg_errno);

/* Nanoseconds since the process started (launch time for boot markers). */
uint64_t launch_elapsed_ns(void);
void launch_time_init(void);

#endif
