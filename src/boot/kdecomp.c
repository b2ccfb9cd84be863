/* Host-side decompression of a bzImage payload with Debian's libraries: zlib (gzip), liblzma
 * (xz), libzstd (zstd) and liblz4 (the legacy frame format the kernel uses, lz4 -l). Every size
 * is bounded: the output buffer is exactly the payload's declared size, which the caller caps
 * (guest RAM), and a stream that ends early, runs past it or fails its checks is refused. */
#include "boot/kdecomp.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <lz4.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20) /* largest decompressed block of the legacy format */
#define XZ_MEMLIMIT	 (256ull << 20)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum kdecomp_format kdecomp_detect(const uint8_t *p, size_t len)
{
	static const uint8_t xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0};

	if (len >= 4 && le32(p) == LZ4_LEGACY_MAGIC)
		return KDECOMP_LZ4;
	if (len >= 4 && le32(p) == 0xfd2fb528u)
		return KDECOMP_ZSTD;
	if (len >= 6 && !memcmp(p, xz, 6))
		return KDECOMP_XZ;
	if (len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return KDECOMP_GZIP;
	if (len >= 3 && !memcmp(p, "BZh", 3))
		return KDECOMP_BZIP2;
	if (len >= 2 && p[0] == 0x5d && p[1] == 0)
		return KDECOMP_LZMA;
	if (len >= 2 && p[0] == 0x89 && p[1] == 'L')
		return KDECOMP_LZO;
	return KDECOMP_UNKNOWN;
}

const char *kdecomp_name(enum kdecomp_format f)
{
	static const char *const names[] = {"unknown", "gzip",	"xz",	"zstd",
					    "lz4",     "bzip2", "lzma", "lzo"};

	return (unsigned)f < ARRAY_SIZE(names) ? names[f] : "unknown";
}

int kdecomp_supported(enum kdecomp_format f)
{
	return f == KDECOMP_GZIP || f == KDECOMP_XZ || f == KDECOMP_ZSTD || f == KDECOMP_LZ4;
}

/* Each decoder fills exactly [out, out + olen) from [in, in + len) or returns -EINVAL. */

static int un_gzip(const uint8_t *in, size_t len, uint8_t *out, size_t olen, char *err,
		   size_t errlen)
{
	z_stream s = {0};
	int r;

	if (len > UINT_MAX || olen > UINT_MAX || inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) {
		snprintf(err, errlen, "gzip: cannot start the decoder");
		return -EINVAL;
	}
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)olen;
	r = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	if (r != Z_STREAM_END || s.total_out != olen) {
		snprintf(err, errlen, "gzip: %s after %lu of %zu bytes",
			 r == Z_STREAM_END  ? "size mismatch"
			 : r == Z_BUF_ERROR ? "data is truncated or longer than declared"
					    : "corrupt data",
			 s.total_out, olen);
		return -EINVAL;
	}
	return 0;
}

static int un_xz(const uint8_t *in, size_t len, uint8_t *out, size_t olen, char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = lzma_stream_decoder(&s, XZ_MEMLIMIT, 0);

	if (r != LZMA_OK) {
		snprintf(err, errlen, "xz: cannot start the decoder");
		return -EINVAL;
	}
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = olen;
	do
		r = lzma_code(&s, LZMA_FINISH);
	while (r == LZMA_OK && s.avail_out && s.avail_in);
	/* A full buffer before the stream's end: one more call tells whether it is complete. */
	if (r == LZMA_OK && !s.avail_out)
		r = lzma_code(&s, LZMA_FINISH);
	if (r != LZMA_STREAM_END || s.total_out != olen) {
		snprintf(err, errlen, "xz: %s after %llu of %zu bytes",
			 r == LZMA_STREAM_END ? "size mismatch"
			 : r == LZMA_BUF_ERROR || r == LZMA_OK
			     ? "data is truncated or longer than declared"
			     : "corrupt data",
			 (unsigned long long)s.total_out, olen);
		lzma_end(&s);
		return -EINVAL;
	}
	lzma_end(&s);
	return 0;
}

static int un_zstd(const uint8_t *in, size_t len, uint8_t *out, size_t olen, char *err,
		   size_t errlen)
{
	size_t frame = ZSTD_findFrameCompressedSize(in, len), n;

	if (ZSTD_isError(frame)) {
		snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(frame));
		return -EINVAL;
	}
	n = ZSTD_decompress(out, olen, in, frame);
	if (ZSTD_isError(n) || n != olen) {
		snprintf(err, errlen, "zstd: %s (%zu of %zu bytes)",
			 ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch",
			 ZSTD_isError(n) ? 0 : n, olen);
		return -EINVAL;
	}
	return 0;
}

/* Legacy frames: the magic, then blocks of a 32-bit compressed size and the data, each
 * decompressing to at most 8 MiB; a repeated magic starts another frame. */
static int un_lz4_serial(const uint8_t *in, size_t len, uint8_t *out, size_t olen, char *err,
			 size_t errlen)
{
	size_t pos = 4, done = 0;

	while (len - pos >= 4) {
		uint32_t n = le32(in + pos);
		int got;

		pos += 4;
		if (n == LZ4_LEGACY_MAGIC)
			continue;
		if (n == 0 || n > len - pos || n > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK)) {
			snprintf(err, errlen, "lz4: block of %u bytes at offset %zu %s", n, pos - 4,
				 n > len - pos ? "runs past the payload (truncated)"
					       : "is invalid");
			return -EINVAL;
		}
		got = LZ4_decompress_safe((const char *)in + pos, (char *)out + done, (int)n,
					  (int)MIN(olen - done, (size_t)LZ4_LEGACY_BLOCK));
		if (got <= 0) {
			snprintf(err, errlen, "lz4: corrupt block at offset %zu%s", pos - 4,
				 done == olen ? " (more data than declared)" : "");
			return -EINVAL;
		}
		done += (size_t)got;
		pos += n;
	}
	if (pos != len || done != olen) {
		snprintf(err, errlen, "lz4: data is truncated (%zu of %zu bytes)", done, olen);
		return -EINVAL;
	}
	return 0;
}

/* The parallel path: lz4 -l writes every block but the last as a full 8 MiB, so block i's
 * output starts at i * 8 MiB and the blocks decompress independently, one per thread. */
struct lz4_block {
	size_t in, n;
	int want, got;
};

struct lz4_job {
	const uint8_t *in;
	uint8_t *out;
	struct lz4_block *b;
	size_t nb;
	size_t next; /* atomic: the next block to take */
};

static void *lz4_worker(void *arg)
{
	struct lz4_job *j = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->nb) {
		struct lz4_block *b = &j->b[i];

		b->got =
		    LZ4_decompress_safe((const char *)j->in + b->in,
					(char *)j->out + i * LZ4_LEGACY_BLOCK, (int)b->n, b->want);
	}
	return NULL;
}

/* Finds the blocks of a payload laid out as above; returns their count, or 0 when the layout
 * is different (the serial decoder then also reports any error). */
static size_t lz4_blocks(const uint8_t *in, size_t len, size_t olen, struct lz4_block *b,
			 size_t max)
{
	size_t pos = 4, nb = 0;

	while (len - pos >= 4) {
		uint32_t n = le32(in + pos);

		pos += 4;
		if (n == LZ4_LEGACY_MAGIC)
			continue;
		if (n == 0 || n > len - pos || n > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK) ||
		    nb == max || nb * LZ4_LEGACY_BLOCK >= olen)
			return 0;
		b[nb].in = pos;
		b[nb].n = n;
		b[nb].want = (int)MIN(olen - nb * LZ4_LEGACY_BLOCK, (size_t)LZ4_LEGACY_BLOCK);
		nb++;
		pos += n;
	}
	return pos == len && nb * LZ4_LEGACY_BLOCK >= olen ? nb : 0;
}

#define LZ4_MAX_BLOCKS	64 /* 512 MiB of kernel */
#define LZ4_MAX_THREADS 8

static int un_lz4(const uint8_t *in, size_t len, uint8_t *out, size_t olen, char *err,
		  size_t errlen)
{
	struct lz4_block b[LZ4_MAX_BLOCKS];
	struct lz4_job j = {.in = in, .out = out, .b = b};
	pthread_t t[LZ4_MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = 0, nthreads;

	j.nb = lz4_blocks(in, len, olen, b, LZ4_MAX_BLOCKS);
	nthreads = MIN(MIN(j.nb, (size_t)LZ4_MAX_THREADS), cpus > 0 ? (size_t)cpus : 1);
	if (nthreads < 2)
		return un_lz4_serial(in, len, out, olen, err, errlen);
	/* This thread works too; a thread that cannot start leaves its share to the others. */
	while (nt < nthreads - 1 && pthread_create(&t[nt], NULL, lz4_worker, &j) == 0)
		nt++;
	lz4_worker(&j);
	while (nt)
		pthread_join(t[--nt], NULL);
	for (size_t i = 0; i < j.nb; i++)
		if (b[i].got != b[i].want) /* corrupt, or blocks of another size: say which */
			return un_lz4_serial(in, len, out, olen, err, errlen);
	return 0;
}

/* The first n bytes of each format, for a look at the ELF headers before the whole image. */

static int head_gzip(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
	z_stream s = {0};
	int r = Z_OK;

	if (len > UINT_MAX || inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return -EINVAL;
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)n;
	while (r == Z_OK && s.avail_out)
		r = inflate(&s, Z_SYNC_FLUSH);
	inflateEnd(&s);
	return s.avail_out ? -EINVAL : 0;
}

static int head_xz(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = lzma_stream_decoder(&s, XZ_MEMLIMIT, 0);

	if (r != LZMA_OK)
		return -EINVAL;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = n;
	while (r == LZMA_OK && s.avail_out)
		r = lzma_code(&s, LZMA_RUN);
	lzma_end(&s);
	return s.avail_out ? -EINVAL : 0;
}

static int head_zstd(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer i = {in, len, 0};
	ZSTD_outBuffer o = {out, n, 0};
	size_t r = 1;

	if (!d)
		return -ENOMEM;
	while (o.pos < n && !ZSTD_isError(r) && r) {
		size_t before = i.pos + o.pos;

		r = ZSTD_decompressStream(d, &o, &i);
		if (i.pos + o.pos == before)
			break; /* no progress: the input ended */
	}
	ZSTD_freeDCtx(d);
	return o.pos == n ? 0 : -EINVAL;
}

static int head_lz4(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
	uint32_t b = len >= 8 ? le32(in + 4) : 0;

	if (b == 0 || b > len - 8 || b > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK) ||
	    n > LZ4_LEGACY_BLOCK)
		return -EINVAL;
	return LZ4_decompress_safe_partial((const char *)in + 8, (char *)out, (int)b, (int)n,
					   (int)n) >= (int)n
		   ? 0
		   : -EINVAL;
}

int kdecomp_head(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
	if (len < 16 || n > (1u << 20))
		return -EINVAL;
	switch (kdecomp_detect(in, len)) {
	case KDECOMP_GZIP:
		return head_gzip(in, len, out, n);
	case KDECOMP_XZ:
		return head_xz(in, len - 4, out, n);
	case KDECOMP_ZSTD:
		return head_zstd(in, len - 4, out, n);
	case KDECOMP_LZ4:
		return head_lz4(in, len - 4, out, n);
	default:
		return -EINVAL;
	}
}

int kdecomp_size(const uint8_t *in, size_t len, size_t max_out, size_t *out_len, char *err,
		 size_t errlen)
{
	enum kdecomp_format f = kdecomp_detect(in, len);
	size_t olen;

	*out_len = 0;
	if (!kdecomp_supported(f)) {
		snprintf(err, errlen, "%s-compressed payload is not decompressed on the host",
			 kdecomp_name(f));
		return -EOPNOTSUPP;
	}
	if (len < 16) {
		snprintf(err, errlen, "%s payload of %zu bytes is truncated", kdecomp_name(f), len);
		return -EINVAL;
	}
	olen = le32(in + len - 4);
	if (olen == 0 || olen > max_out) {
		snprintf(err, errlen, "%s payload declares %zu MiB, more than the %zu MiB allowed",
			 kdecomp_name(f), olen >> 20, max_out >> 20);
		return olen ? -E2BIG : -EINVAL;
	}
	*out_len = olen;
	return 0;
}

int kdecomp_into(const uint8_t *in, size_t len, uint8_t *out, size_t out_len, char *err,
		 size_t errlen)
{
	if (len < 16) {
		snprintf(err, errlen, "payload of %zu bytes is truncated", len);
		return -EINVAL;
	}
	switch (kdecomp_detect(in, len)) {
	case KDECOMP_GZIP:
		return un_gzip(in, len, out, out_len, err, errlen);
	case KDECOMP_XZ:
		return un_xz(in, len - 4, out, out_len, err, errlen);
	case KDECOMP_ZSTD:
		return un_zstd(in, len - 4, out, out_len, err, errlen);
	case KDECOMP_LZ4:
		return un_lz4(in, len - 4, out, out_len, err, errlen);
	default:
		snprintf(err, errlen, "unsupported payload format");
		return -EINVAL;
	}
}

int kdecomp_payload(const uint8_t *in, size_t len, size_t max_out, uint8_t **out, size_t *out_len,
		    char *err, size_t errlen)
{
	size_t olen;
	uint8_t *buf;
	int r = kdecomp_size(in, len, max_out, &olen, err, errlen);

	*out = NULL;
	*out_len = 0;
	if (r)
		return r;
	buf = malloc(olen);
	if (!buf) {
		snprintf(err, errlen, "out of memory for %zu MiB", olen >> 20);
		return -ENOMEM;
	}
	r = kdecomp_into(in, len, buf, olen, err, errlen);
	if (r) {
		free(buf);
		return r;
	}
	*out = buf;
	*out_len = olen;
	return 0;
}
