/* A CPU benchmark for gasang exec: CRC32, SHA-256, integer matrix multiply, qsort with a
 * comparison callback and a floating-point Mandelbrot set. Each kernel prints a checksum,
 * which must be the same natively and under any riscv64 engine. Usage: cpubench [SCALE]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	}
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2};

static void sha256_block(uint32_t h[8], const uint8_t *b)
{
	uint32_t w[64], s[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(s, h, sizeof(s));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = s[7] + (ROR(s[4], 6) ^ ROR(s[4], 11) ^ ROR(s[4], 25)) +
			      ((s[4] & s[5]) ^ (~s[4] & s[6])) + K[i] + w[i];
		uint32_t t2 = (ROR(s[0], 2) ^ ROR(s[0], 13) ^ ROR(s[0], 22)) +
			      ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		memmove(&s[1], &s[0], 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += s[i];
}

/* SHA-256 of n bytes (n a multiple of 64, padding block included). */
static uint32_t sha256(const uint8_t *p, size_t n)
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	uint8_t last[64] = {0x80};
	uint64_t bits = (uint64_t)n * 8;

	for (size_t i = 0; i + 64 <= n; i += 64)
		sha256_block(h, p + i);
	for (int i = 0; i < 8; i++)
		last[63 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, last);
	return h[0] ^ h[7];
}

static uint64_t matmul(int n)
{
	int32_t *a = malloc(sizeof(int32_t) * n * n), *b = malloc(sizeof(int32_t) * n * n);
	int64_t *c = calloc((size_t)n * n, sizeof(int64_t));
	uint64_t sum = 0;

	for (int i = 0; i < n * n; i++) {
		a[i] = (int32_t)(xorshift() % 1000) - 500;
		b[i] = (int32_t)(xorshift() % 1000) - 500;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < n; k++) {
			int64_t v = a[i * n + k];
			for (int j = 0; j < n; j++)
				c[i * n + j] += v * b[k * n + j];
		}
	for (int i = 0; i < n * n; i++)
		sum = sum * 31 + (uint64_t)c[i];
	free(a);
	free(b);
	free(c);
	return sum;
}

struct rec {
	uint32_t key;
	uint32_t id;
	char name[8];
};

static int cmp_rec(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static uint64_t sort_bench(int n)
{
	struct rec *r = malloc(sizeof(*r) * n);
	uint64_t sum = 0;

	for (int i = 0; i < n; i++) {
		r[i].key = (uint32_t)(xorshift() % 100000);
		r[i].id = (uint32_t)i;
		memset(r[i].name, 'a' + i % 26, sizeof(r[i].name));
	}
	qsort(r, n, sizeof(*r), cmp_rec);
	for (int i = 0; i < n; i++)
		sum = sum * 1000003 + r[i].id;
	free(r);
	return sum;
}

static uint64_t mandelbrot(int w, int h, int iters)
{
	uint64_t total = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double cr = -2.0 + 2.6 * x / w, ci = -1.2 + 2.4 * y / h;
			double zr = 0, zi = 0;
			int i = 0;
			while (i < iters && zr * zr + zi * zi <= 4.0) {
				double t = zr * zr - zi * zi + cr;
				zi = 2 * zr * zi + ci;
				zr = t;
				i++;
			}
			total += (uint64_t)i;
		}
	return total;
}

int main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 1;
	size_t len = (size_t)scale << 20;
	uint8_t *buf = malloc(len);
	double t;

	if (scale < 1 || !buf)
		return 2;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)xorshift();
#define RUN(name, fmt, expr)                                                                       \
	do {                                                                                       \
		t = now();                                                                         \
		printf("%-10s " fmt, name, expr);                                                  \
		fprintf(stderr, "%-10s %.3f s\n", name, now() - t);                                \
	} while (0)
	RUN("crc32", "%08x\n", crc32(buf, len));
	RUN("sha256", "%08x\n", sha256(buf, len));
	RUN("matmul", "%016llx\n", (unsigned long long)matmul(64 + 16 * scale));
	RUN("qsort", "%016llx\n", (unsigned long long)sort_bench(50000 * scale));
	RUN("mandelbrot", "%llu\n", (unsigned long long)mandelbrot(160, 80 * scale, 256));
	free(buf);
	return 0;
}
