/* gasang's in-guest CPU benchmark: CRC32, SHA-256, integer matrix multiply, qsort with a
 * callback and floating-point Mandelbrot. Each kernel prints a checksum (which must equal the
 * same program's checksum on the host, natively) and its time in ms.
 * Build: cc -O2 -ffp-contract=off -static cpubench.c (same flags for every target). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUF_SIZE (256 * 1024)

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint32_t lcg_state = 12345;
static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	for (size_t i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
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
	uint32_t w[64], a, bb, c, d, e, f, g, hh;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
			      K[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = bb, bb = a, a = t1 + t2;
	}
	h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

/* SHA-256 of a buffer whose length is a multiple of 64, with standard padding. */
static uint32_t sha256(const uint8_t *p, size_t n)
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	uint8_t pad[64] = {0x80};
	uint64_t bits = (uint64_t)n * 8;

	for (size_t i = 0; i < n; i += 64)
		sha256_block(h, p + i);
	for (int i = 0; i < 8; i++)
		pad[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_block(h, pad);
	return h[0] ^ h[7];
}

#define N 96
static uint32_t matmul(void)
{
	static int32_t a[N][N], b[N][N], c[N][N];
	uint32_t sum = 0;

	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			a[i][j] = (int32_t)(lcg() % 1000) - 500;
			b[i][j] = (int32_t)(lcg() % 1000) - 500;
		}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			int32_t s = 0;
			for (int k = 0; k < N; k++)
				s += a[i][k] * b[k][j];
			c[i][j] = s;
		}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			sum = sum * 31 + (uint32_t)c[i][j];
	return sum;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static uint32_t sort(void)
{
	enum { COUNT = 50000 };
	uint32_t *v = malloc(COUNT * sizeof(*v)), sum = 0;

	for (int i = 0; i < COUNT; i++)
		v[i] = lcg();
	qsort(v, COUNT, sizeof(*v), cmp_u32);
	for (int i = 0; i < COUNT; i++)
		sum = sum * 33 + v[i];
	free(v);
	return sum;
}

static uint32_t mandelbrot(void)
{
	uint32_t total = 0;

	for (int py = 0; py < 80; py++)
		for (int px = 0; px < 160; px++) {
			double x0 = -2.0 + px * (3.0 / 160), y0 = -1.2 + py * (2.4 / 80);
			double x = 0, y = 0;
			int it = 0;

			while (x * x + y * y <= 4.0 && it < 256) {
				double t = x * x - y * y + x0;
				y = 2 * x * y + y0;
				x = t;
				it++;
			}
			total = total * 7 + (uint32_t)it;
		}
	return total;
}

int main(void)
{
	uint8_t *buf = malloc(BUF_SIZE);
	uint64_t t, all = ms_now();
	uint32_t r;

	for (size_t i = 0; i < BUF_SIZE; i++)
		buf[i] = (uint8_t)lcg();
#define RUN(name, expr)                                                                            \
	t = ms_now();                                                                              \
	r = (expr);                                                                                \
	printf("cpubench: %-10s %08x %8.1f ms\n", name, r, (ms_now() - t) / 1000.0)
	RUN("crc32", crc32(buf, BUF_SIZE));
	RUN("sha256", sha256(buf, BUF_SIZE));
	RUN("matmul", matmul());
	RUN("qsort", sort());
	RUN("mandelbrot", mandelbrot());
	printf("cpubench: %-10s %8s %8.1f ms\n", "total", "-", (ms_now() - all) / 1000.0);
	free(buf);
	return 0;
}
