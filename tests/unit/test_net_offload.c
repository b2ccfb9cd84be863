/* virtio-net transmit offloads (net_offload.c): checksum completion and TCP segmentation,
 * checked with an independent checksum in this file, and hostile headers refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/virtio/net_offload.h"

#define MAXSEG 64

struct sink {
	unsigned n;
	size_t len[MAXSEG];
	uint8_t *f[MAXSEG];
};

static int collect(void *opaque, const uint8_t *frame, size_t len)
{
	struct sink *s = opaque;

	assert_true(s->n < MAXSEG);
	s->f[s->n] = malloc(len);
	memcpy(s->f[s->n], frame, len);
	s->len[s->n++] = len;
	return 0;
}

static void sink_free(struct sink *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->f[i]);
	s->n = 0;
}

/* Reference one's complement sum of big-endian 16-bit words, folded. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* True when the TCP checksum of a v4 or v6 frame verifies (sum over pseudo header and
 * segment is 0xffff). */
static bool tcp_ok(const uint8_t *f, size_t len, bool v6)
{
	size_t tcp = v6 ? 14 + 40 : 14 + (size_t)(f[14] & 15) * 4, tl = len - tcp;
	uint32_t sum = 6 + (uint32_t)tl;

	if (v6)
		sum += ref_sum(f + 14 + 8, 32, 0);
	else
		sum += ref_sum(f + 14 + 12, 8, 0);
	return ref_sum(f + tcp, tl, sum) == 0xffff;
}

/* Ethernet + IPv4 (or IPv6) + TCP (20 bytes) + payload bytes i*7. Returns the frame length. */
static size_t make_tcp(uint8_t *f, bool v6, size_t payload, uint8_t flags)
{
	size_t ip = 14, tcp = v6 ? ip + 40 : ip + 20;

	memset(f, 0, tcp + 20);
	f[12] = v6 ? 0x86 : 0x08, f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		f[ip] = 0x60;
		f[ip + 6] = 6;
		f[ip + 7] = 64;
		f[ip + 8 + 15] = 1;  /* src ::1 */
		f[ip + 24 + 15] = 2; /* dst ::2 */
	} else {
		f[ip] = 0x45;
		f[ip + 4] = 0x12, f[ip + 5] = 0x34; /* id */
		f[ip + 8] = 64, f[ip + 9] = 6;
		f[ip + 12] = 10, f[ip + 15] = 15;
		f[ip + 16] = 10, f[ip + 19] = 2;
	}
	f[tcp] = 0x9c, f[tcp + 1] = 0x40;			 /* src port */
	f[tcp + 2] = 0x13, f[tcp + 3] = 0x89;			 /* dst port */
	f[tcp + 4] = 0xff, f[tcp + 5] = 0xff, f[tcp + 6] = 0xf0; /* seq: wraps */
	f[tcp + 12] = 5 << 4;
	f[tcp + 13] = flags;
	for (size_t i = 0; i < payload; i++)
		f[tcp + 20 + i] = (uint8_t)(i * 7);
	return tcp + 20 + payload;
}

static void test_csum_rfc1071(void **state)
{
	const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint16_t c = net_csum_fold(net_csum_add(0, b, 8));
	uint8_t raw[2];
	(void)state;

	memcpy(raw, &c, 2);
	assert_int_equal(raw[0], 0x22); /* ~0xddf2 */
	assert_int_equal(raw[1], 0x0d);
	/* Odd lengths and split sums at even boundaries agree with one pass. */
	uint8_t big[1001];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 1);
	uint16_t one = net_csum_fold(net_csum_add(0, big, sizeof(big)));
	uint16_t two = net_csum_fold(net_csum_add(net_csum_add(0, big, 500), big + 500, 501));
	assert_int_equal(one, two);
	memcpy(raw, &one, 2);
	assert_int_equal((unsigned)(raw[0] << 8 | raw[1]), (uint16_t)~ref_sum(big, sizeof(big), 0));
}

static void check_segments(bool v6)
{
	static uint8_t f[NET_OFFLOAD_MAX_FRAME];
	const size_t payload = 5000, mss = 1448;
	size_t hl = v6 ? 14 + 40 + 20 : 14 + 20 + 20, len = make_tcp(f, v6, payload, 0x18 | 0x01);
	struct virtio_net_hdr_v1 h = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
	    .gso_size = (uint16_t)mss,
	    .hdr_len = (uint16_t)hl,
	    .csum_start = (uint16_t)(hl - 20),
	    .csum_offset = 16,
	};
	struct sink s = {0};
	size_t off = 0;

	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), 4);
	for (unsigned i = 0; i < s.n; i++) {
		const uint8_t *g = s.f[i];
		size_t chunk = i < 3 ? mss : payload - 3 * mss;
		assert_int_equal(s.len[i], hl + chunk);
		if (v6) {
			assert_int_equal(be16(g + 14 + 4), 20 + chunk);
		} else {
			assert_int_equal(be16(g + 14 + 2), 40 + chunk);
			assert_int_equal(ref_sum(g + 14, 20, 0), 0xffff); /* IP header checksum */
			assert_int_equal(be16(g + 14 + 4), 0x1234 + i);	  /* IP id */
		}
		assert_true(tcp_ok(g, s.len[i], v6));
		assert_int_equal(be32(g + hl - 20 + 4), (uint32_t)(0xfffff000u + off));
		/* PSH and FIN only on the last segment; ACK-less flags kept. */
		assert_int_equal(g[hl - 20 + 13], i == 3 ? 0x19 : 0x10);
		for (size_t k = 0; k < chunk; k++)
			assert_int_equal(g[hl + k], (uint8_t)((off + k) * 7));
		off += chunk;
	}
	sink_free(&s);
	/* A back end taking large packets gets the frame whole, with its checksums done. */
	len = make_tcp(f, v6, payload, 0x18);
	assert_int_equal(net_offload_tx(&h, f, len, true, collect, &s), 1);
	assert_int_equal(s.len[0], len);
	assert_true(tcp_ok(s.f[0], len, v6));
	if (!v6)
		assert_int_equal(be16(s.f[0] + 14 + 2), len - 14);
	sink_free(&s);
}

static void test_tso_v4(void **state)
{
	(void)state;
	check_segments(false);
}

static void test_tso_v6(void **state)
{
	(void)state;
	check_segments(true);
}

static void test_needs_csum_udp(void **state)
{
	uint8_t f[64] = {0};
	/* IPv4/UDP, 8 bytes of payload; the guest put the pseudo-header sum in the field. */
	struct virtio_net_hdr_v1 h = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6};
	struct sink s = {0};
	size_t len = 14 + 20 + 8 + 8;
	uint32_t pseudo;
	(void)state;

	f[12] = 0x08, f[14] = 0x45, f[23] = 17;
	f[26] = 10, f[29] = 15, f[30] = 10, f[33] = 2;
	f[35] = 53, f[37] = 53, f[39] = 16; /* ports 53, length 16 */
	memcpy(f + 42, "gasang!!", 8);
	pseudo = ref_sum(f + 26, 8, 17 + 16);
	f[40] = (uint8_t)(pseudo >> 8), f[41] = (uint8_t)pseudo;
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), 1);
	assert_int_equal(ref_sum(s.f[0] + 34, 16, ref_sum(f + 26, 8, 17 + 16)), 0xffff);
	sink_free(&s);
	/* No offload asked: the frame goes out untouched. */
	struct virtio_net_hdr_v1 none = {0};
	assert_int_equal(net_offload_tx(&none, f, len, false, collect, &s), 1);
	assert_memory_equal(s.f[0], f, len);
	sink_free(&s);
}

static void test_hostile_headers(void **state)
{
	static uint8_t f[NET_OFFLOAD_MAX_FRAME];
	size_t len = make_tcp(f, false, 3000, 0x10);
	struct virtio_net_hdr_v1 h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				      .gso_size = 1448};
	struct virtio_net_hdr_v1 c = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM};
	struct sink s = {0};
	(void)state;

	/* Checksum positions outside the frame, including 16-bit wraparound tricks. */
	c.csum_start = (uint16_t)len;
	assert_int_equal(net_offload_tx(&c, f, len, false, collect, &s), -22);
	c.csum_start = 34, c.csum_offset = (uint16_t)(len - 35);
	assert_int_equal(net_offload_tx(&c, f, len, false, collect, &s), -22);
	c.csum_start = 0xffff, c.csum_offset = 0xffff;
	assert_int_equal(net_offload_tx(&c, f, 20, false, collect, &s), -22);
	/* GSO on a frame that is not TCP/IP, or whose headers run past its end. */
	f[14 + 9] = 17;
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), -22);
	f[14 + 9] = 6;
	f[14] = 0x4f; /* IHL 60 bytes: the TCP header no longer fits in 74 bytes */
	assert_int_equal(net_offload_tx(&h, f, 74, false, collect, &s), -22);
	f[14] = 0x45;
	f[34 + 12] = 0xf0; /* data offset 60 */
	assert_int_equal(net_offload_tx(&h, f, 80, false, collect, &s), -22);
	f[34 + 12] = 0x50;
	f[12] = 0x86; /* says IPv6, type says TCPV4 */
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), -22);
	f[12] = 0x08;
	/* Tiny or zero segment sizes, unknown GSO types, frames over 64 KiB. */
	h.gso_size = 0;
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), -22);
	h.gso_size = 1;
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), -22);
	h.gso_size = 1448;
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), -22);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	assert_int_equal(net_offload_tx(&h, f, NET_OFFLOAD_MAX_FRAME + 1, false, collect, &s), -22);
	assert_int_equal(net_offload_tx(&h, f, 20, false, collect, &s), -22);
	assert_int_equal(s.n, 0);
	/* Still fine after all that. */
	assert_int_equal(net_offload_tx(&h, f, len, false, collect, &s), 3);
	sink_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_rfc1071),    cmocka_unit_test(test_tso_v4),
	    cmocka_unit_test(test_tso_v6),	    cmocka_unit_test(test_needs_csum_udp),
	    cmocka_unit_test(test_hostile_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
