/* Host-side decompression of bzImage payloads (boot/kdecomp.c): payloads in each format are made
 * here with the libraries' compressors, laid out as the kernel build does (the stream, then the
 * decompressed size as le32; gzip's own trailer holds it), and decompressed back; truncated,
 * garbage, oversized and randomly corrupted payloads are refused, never read or written out of
 * bounds (ASan in CI). */
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "boot/kdecomp.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BIG	     (9u << 20) /* more than one 8 MiB legacy LZ4 block */

struct blob {
	uint8_t *p;
	size_t len;
};

/* Compressible, not trivial: text-like runs with a pseudo-random walk. */
static uint8_t *make_data(size_t len)
{
	uint8_t *d = malloc(len);
	uint32_t x = 12345;

	assert_non_null(d);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = (i % 4096 < 3000) ? (uint8_t)("vmlinux "[i % 8]) : (uint8_t)(x >> 24);
	}
	return d;
}

static void append_size(struct blob *b, size_t cap, uint32_t size)
{
	assert_true(b->len + 4 <= cap);
	memcpy(b->p + b->len, &size, 4);
	b->len += 4;
}

static struct blob make_lz4_blocks(const uint8_t *d, size_t len, size_t block);

static size_t le32_at(const uint8_t *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
}

static struct blob make_lz4(const uint8_t *d, size_t len)
{
	return make_lz4_blocks(d, len, 8u << 20);
}

/* lz4 -l writes 8 MiB blocks; a payload with other block sizes is still valid legacy LZ4. */
static struct blob make_lz4_blocks(const uint8_t *d, size_t len, size_t block)
{
	size_t cap = 64 + len + len / 100 + 4 * (len / block + 1) * 2 + 65536;
	struct blob b = {malloc(cap), 4};
	uint32_t magic = 0x184c2102u;

	assert_non_null(b.p);
	memcpy(b.p, &magic, 4);
	for (size_t off = 0; off < len; off += block) {
		int n = (int)(len - off < block ? len - off : block);
		int c = LZ4_compress_default((const char *)d + off, (char *)b.p + b.len + 4, n,
					     (int)(cap - b.len - 8));
		uint32_t c32 = (uint32_t)c;

		assert_true(c > 0);
		memcpy(b.p + b.len, &c32, 4);
		b.len += 4 + (size_t)c;
	}
	append_size(&b, cap, (uint32_t)len);
	return b;
}

static struct blob make_gzip(const uint8_t *d, size_t len)
{
	z_stream s = {0};
	size_t cap = compressBound(len) + 64;
	struct blob b = {malloc(cap), 0};

	assert_non_null(b.p);
	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	s.next_in = (Bytef *)d;
	s.avail_in = (uInt)len;
	s.next_out = b.p;
	s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	b.len = s.total_out;
	deflateEnd(&s);
	return b; /* ISIZE, the size mod 2^32, ends the gzip stream */
}

static struct blob make_xz(const uint8_t *d, size_t len)
{
	size_t cap = lzma_stream_buffer_bound(len) + 4;
	struct blob b = {malloc(cap), 0};

	assert_non_null(b.p);
	assert_int_equal(
	    lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, d, len, b.p, &b.len, cap - 4),
	    LZMA_OK);
	append_size(&b, cap, (uint32_t)len);
	return b;
}

static struct blob make_zstd(const uint8_t *d, size_t len)
{
	size_t cap = ZSTD_compressBound(len) + 4;
	struct blob b = {malloc(cap), 0};

	assert_non_null(b.p);
	b.len = ZSTD_compress(b.p, cap - 4, d, len, 3);
	assert_false(ZSTD_isError(b.len));
	append_size(&b, cap, (uint32_t)len);
	return b;
}

typedef struct blob (*maker)(const uint8_t *, size_t);
static const maker makers[] = {make_lz4, make_gzip, make_xz, make_zstd};
static const enum kdecomp_format formats[] = {KDECOMP_LZ4, KDECOMP_GZIP, KDECOMP_XZ, KDECOMP_ZSTD};

static int decomp(const struct blob *b, size_t max, uint8_t **out, size_t *olen)
{
	char err[200] = "";
	int r = kdecomp_payload(b->p, b->len, max, out, olen, err, sizeof(err));

	if (r)
		assert_true(err[0]); /* every refusal says why */
	return r;
}

static void test_roundtrip_every_format(void **state)
{
	(void)state;
	uint8_t *d = make_data(BIG);

	for (size_t i = 0; i < 4; i++) {
		struct blob b = makers[i](d, BIG);
		uint8_t *out = NULL;
		size_t olen = 0;

		assert_int_equal(kdecomp_detect(b.p, b.len), formats[i]);
		assert_true(kdecomp_supported(formats[i]));
		assert_int_equal(decomp(&b, 64u << 20, &out, &olen), 0);
		assert_int_equal(olen, BIG);
		assert_memory_equal(out, d, BIG);
		free(out);
		free(b.p);
	}
	free(d);
}

static void test_size_limit(void **state)
{
	(void)state;
	uint8_t *d = make_data(1u << 20), *out = (uint8_t *)1;
	size_t olen = 1;

	for (size_t i = 0; i < 4; i++) {
		struct blob b = makers[i](d, 1u << 20);

		/* The declared size is over the limit: refused before anything is allocated. */
		assert_int_equal(decomp(&b, (1u << 20) - 1, &out, &olen), -E2BIG);
		assert_null(out);
		assert_int_equal(olen, 0);
		free(b.p);
	}
	free(d);
}

/* The stream cut short (the size trailer kept, as if the file lost a chunk in the middle), the
 * trailer lost, and a declared size that disagrees with the data, both ways. */
static void test_truncated_and_wrong_size(void **state)
{
	(void)state;
	uint8_t *d = make_data(1u << 20), *out = NULL;
	size_t olen;

	for (size_t i = 0; i < 4; i++) {
		struct blob b = makers[i](d, 1u << 20), t;
		uint32_t sz;

		t.p = malloc(b.len);
		assert_non_null(t.p);
		/* first half of the stream + the trailer */
		t.len = b.len / 2;
		memcpy(t.p, b.p, t.len);
		memcpy(t.p + t.len, b.p + b.len - 4, 4);
		t.len += 4;
		assert_int_equal(decomp(&t, 64u << 20, &out, &olen), -EINVAL);
		assert_null(out);
		/* the last 100 bytes gone */
		t.len = b.len - 100;
		memcpy(t.p, b.p, t.len);
		assert_int_not_equal(decomp(&t, 64u << 20, &out, &olen), 0);
		/* declared one byte too small, one byte too large */
		memcpy(t.p, b.p, b.len);
		t.len = b.len;
		sz = (1u << 20) - 1;
		memcpy(t.p + t.len - 4, &sz, 4);
		assert_int_equal(decomp(&t, 64u << 20, &out, &olen), -EINVAL);
		sz = (1u << 20) + 1;
		memcpy(t.p + t.len - 4, &sz, 4);
		assert_int_equal(decomp(&t, 64u << 20, &out, &olen), -EINVAL);
		free(t.p);
		free(b.p);
	}
	free(d);
}

static void test_garbage(void **state)
{
	(void)state;
	static const uint8_t magics[][6] = {{0x02, 0x21, 0x4c, 0x18},
					    {0x1f, 0x8b, 8, 0},
					    {0xfd, '7', 'z', 'X', 'Z', 0},
					    {0x28, 0xb5, 0x2f, 0xfd}};
	uint8_t g[4096], *out = NULL;
	size_t olen;
	uint32_t x = 7, sz = 1u << 20;

	for (size_t i = 0; i < sizeof(g); i++) {
		x = x * 1103515245u + 12345u;
		g[i] = (uint8_t)(x >> 24);
	}
	memcpy(g + sizeof(g) - 4, &sz, 4);
	for (size_t i = 0; i < 4; i++) {
		struct blob b = {g, sizeof(g)};

		memcpy(g, magics[i], 6);
		assert_int_equal(kdecomp_detect(g, sizeof(g)), formats[i]);
		assert_int_equal(decomp(&b, 64u << 20, &out, &olen), -EINVAL);
		assert_null(out);
	}
}

static void test_unsupported_formats(void **state)
{
	(void)state;
	uint8_t bz[64] = "BZh91AY&SY", lzma[64] = {0x5d, 0, 0, 0x80},
		lzo[64] = {0x89, 'L', 'Z', 'O'};
	uint8_t zero[64] = {0}, *out = NULL;
	size_t olen;
	struct blob b[] = {{bz, 64}, {lzma, 64}, {lzo, 64}, {zero, 64}};
	const enum kdecomp_format want[] = {KDECOMP_BZIP2, KDECOMP_LZMA, KDECOMP_LZO,
					    KDECOMP_UNKNOWN};

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(kdecomp_detect(b[i].p, b[i].len), want[i]);
		assert_false(kdecomp_supported(want[i]));
		assert_int_equal(decomp(&b[i], 64u << 20, &out, &olen), -EOPNOTSUPP);
	}
	/* too short to hold a stream and its size */
	b[0] = (struct blob){(uint8_t[]){0x02, 0x21, 0x4c, 0x18, 1, 0, 0, 0}, 8};
	assert_int_equal(decomp(&b[0], 64u << 20, &out, &olen), -EINVAL);
}

/* Random byte flips and truncations: decompressed (the same length) or refused, never a crash
 * or an access out of bounds. */
static void test_random_corruption(void **state)
{
	(void)state;
	uint8_t *d = make_data(256u << 10);
	uint32_t x = 99;

	for (size_t i = 0; i < 4; i++) {
		struct blob b = makers[i](d, 256u << 10);
		uint8_t *c = malloc(b.len);

		assert_non_null(c);
		for (int round = 0; round < 150; round++) {
			struct blob t = {c, b.len};
			uint8_t *out = NULL;
			size_t olen = 0;
			int r;

			memcpy(c, b.p, b.len);
			for (int k = 0; k < 1 + round % 4; k++) {
				x = x * 1103515245u + 12345u;
				c[4 + (x >> 8) % (b.len - 8)] ^= (uint8_t)(1u << (x % 8));
			}
			if (round % 3 == 0) {
				x = x * 1103515245u + 12345u;
				t.len = 8 + (x >> 8) % (b.len - 8);
			}
			r = decomp(&t, 1u << 20, &out, &olen);
			if (r == 0) {
				assert_non_null(out);
				assert_true(olen <= 1u << 20);
			} else {
				assert_true(r == -EINVAL || r == -E2BIG);
				assert_null(out);
			}
			free(out);
		}
		free(c);
		free(b.p);
	}
	free(d);
}

/* Payloads of several 8 MiB blocks decompress on several threads: every block lands at its
 * place, a corrupt block in the middle is still found and named, and blocks of another size
 * (valid, but not where the threads would put them) still decompress right. */
static void test_lz4_blocks(void **state)
{
	(void)state;
	const size_t len = 3 * (8u << 20) + 12345;
	uint8_t *d = make_data(len), *out = NULL;
	size_t olen = 0, blocks[] = {8u << 20, 1u << 20, 3u << 20};
	char err[200] = "";

	for (size_t i = 0; i < ARRAY_LEN(blocks); i++) {
		struct blob b = make_lz4_blocks(d, len, blocks[i]);

		assert_int_equal(decomp(&b, 64u << 20, &out, &olen), 0);
		assert_int_equal(olen, len);
		assert_memory_equal(out, d, len);
		free(out);
		out = NULL;
		if (i == 0) {
			/* the third block's size field (after the magic and two sized blocks)
			 * halved: that block's data ends in the middle of a sequence */
			size_t third = 4, n;

			for (int k = 0; k < 2; k++)
				third += 4 + le32_at(b.p + third);
			n = le32_at(b.p + third) / 2;
			memcpy(b.p + third, &(uint32_t){(uint32_t)n}, 4);
			assert_int_equal(
			    kdecomp_payload(b.p, b.len, 64u << 20, &out, &olen, err, sizeof(err)),
			    -EINVAL);
			assert_null(out);
			assert_non_null(strstr(err, "lz4: "));
			/* a size field that would be negative as an int: refused by the block scan,
			 * the serial decoder and the head read alike */
			memcpy(b.p + 4, &(uint32_t){0x90000000u}, 4);
			assert_int_equal(
			    kdecomp_payload(b.p, b.len, 64u << 20, &out, &olen, err, sizeof(err)),
			    -EINVAL);
			assert_non_null(strstr(err, "lz4: block of 2415919104 bytes"));
			uint8_t head[64];
			assert_int_equal(kdecomp_head(b.p, b.len, head, sizeof(head)), -EINVAL);
		}
		free(b.p);
	}
	free(d);
}

/* kdecomp_head(): the first bytes of each format, and a refusal for a payload that has fewer. */
static void test_head(void **state)
{
	(void)state;
	uint8_t *d = make_data(BIG), head[4096];

	for (size_t i = 0; i < 4; i++) {
		struct blob b = makers[i](d, BIG), small = makers[i](d, 1000);

		memset(head, 0, sizeof(head));
		assert_int_equal(kdecomp_head(b.p, b.len, head, sizeof(head)), 0);
		assert_memory_equal(head, d, sizeof(head));
		assert_int_equal(kdecomp_head(small.p, small.len, head, sizeof(head)), -EINVAL);
		assert_int_equal(kdecomp_head(b.p, 10, head, sizeof(head)), -EINVAL);
		free(b.p);
		free(small.p);
	}
	memset(head, 0x5a, sizeof(head));
	assert_int_equal(kdecomp_head(head, sizeof(head), head, 64), -EINVAL); /* garbage */
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_every_format),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_truncated_and_wrong_size),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_unsupported_formats),
	    cmocka_unit_test(test_random_corruption),
	    cmocka_unit_test(test_lz4_blocks),
	    cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
