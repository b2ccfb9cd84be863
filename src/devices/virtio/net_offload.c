#include "devices/virtio/net_offload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define ETH_HDR	     14
#define ETHERTYPE_V4 0x0800
#define ETHERTYPE_V6 0x86dd
#define PROTO_TCP    6
#define TCP_FIN	     0x01
#define TCP_PSH	     0x08
#define TCP_CWR	     0x80
/* Smaller segment sizes than any real TCP stack uses are refused (bounds the work). */
#define NET_OFFLOAD_MIN_MSS 32

/* Sums are kept in host byte order (the ones' complement sum does not care, as long as the
 * bytes keep their even/odd positions) and stored back the same way. */
uint64_t net_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		sum += (uint64_t)a + b;
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t a;
		memcpy(&a, p, 2);
		sum += a;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = {p[0], 0};
		uint16_t a;
		memcpy(&a, last, 2);
		sum += a;
	}
	return sum;
}

uint16_t net_csum_fold(uint64_t sum)
{
	uint16_t r;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	r = (uint16_t)~sum;
	return r ? r : 0xffff;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static void put_csum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, 2);
}

/* A parsed TCP/IP frame: Ethernet, IPv4 (any options) or IPv6 (no extension headers), TCP. */
struct tcp_frame {
	bool v6;
	size_t ip, tcp, payload; /* offsets */
};

static int parse_tcp(const uint8_t *f, size_t len, struct tcp_frame *t)
{
	size_t doff;

	if (len < ETH_HDR + 40)
		return -EINVAL;
	t->ip = ETH_HDR;
	switch (get_be16(f + 12)) {
	case ETHERTYPE_V4: {
		size_t ihl = (size_t)(f[t->ip] & 15) * 4;
		if ((f[t->ip] >> 4) != 4 || ihl < 20 || f[t->ip + 9] != PROTO_TCP)
			return -EINVAL;
		t->v6 = false;
		t->tcp = t->ip + ihl;
		break;
	}
	case ETHERTYPE_V6:
		if ((f[t->ip] >> 4) != 6 || f[t->ip + 6] != PROTO_TCP)
			return -EINVAL;
		t->v6 = true;
		t->tcp = t->ip + 40;
		break;
	default:
		return -EINVAL;
	}
	if (t->tcp + 20 > len)
		return -EINVAL;
	doff = (size_t)(f[t->tcp + 12] >> 4) * 4;
	if (doff < 20 || t->tcp + doff > len)
		return -EINVAL;
	t->payload = t->tcp + doff;
	return 0;
}

/* Fixes the IP length (and IPv4 header checksum) and the TCP checksum of a TCP/IP frame of len
 * bytes whose headers were parsed into t. */
static void finish_tcp(uint8_t *f, size_t len, const struct tcp_frame *t)
{
	uint8_t pseudo[40];
	size_t tcplen = len - t->tcp, plen;
	uint64_t sum;

	if (t->v6) {
		put_be16(f + t->ip + 4, (uint16_t)tcplen);
		memcpy(pseudo, f + t->ip + 8, 32);
		put_be32(pseudo + 32, (uint32_t)tcplen);
		put_be32(pseudo + 36, PROTO_TCP);
		plen = 40;
	} else {
		put_be16(f + t->ip + 2, (uint16_t)(len - t->ip));
		put_csum(f + t->ip + 10, 0);
		put_csum(f + t->ip + 10, net_csum_fold(net_csum_add(0, f + t->ip, t->tcp - t->ip)));
		memcpy(pseudo, f + t->ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = PROTO_TCP;
		put_be16(pseudo + 10, (uint16_t)tcplen);
		plen = 12;
	}
	put_csum(f + t->tcp + 16, 0);
	sum = net_csum_add(0, pseudo, plen);
	put_csum(f + t->tcp + 16, net_csum_fold(net_csum_add(sum, f + t->tcp, tcplen)));
}

/* NEEDS_CSUM: the checksum over [csum_start, len), seeded by the guest's partial sum already
 * in the field (the pseudo-header), stored at csum_start + csum_offset. */
static int complete_csum(const struct virtio_net_hdr_v1 *h, uint8_t *f, size_t len)
{
	size_t start = h->csum_start, field = (size_t)h->csum_start + h->csum_offset;

	if (start >= len || field + 2 > len || field < start)
		return -EINVAL;
	put_csum(f + field, net_csum_fold(net_csum_add(0, f + start, len - start)));
	return 0;
}

static int segment(uint8_t *f, size_t len, unsigned mss, const struct tcp_frame *t,
		   net_offload_emit emit, void *opaque)
{
	size_t hlen = t->payload, total = len - hlen;
	/* One segment at a time, on the heap: a static per-thread buffer would be zeroed, 64 KiB
	 * of RSS, in every thread gasang starts, whether or not it ever sends a frame. */
	uint8_t *seg = malloc(hlen + MIN((size_t)mss, total));
	uint32_t seq = get_be32(f + t->tcp + 4);
	uint16_t id = get_be16(f + t->ip + 4);
	uint8_t flags = f[t->tcp + 13];
	int n = 0;

	if (!seg)
		return -ENOMEM;

	for (size_t off = 0; off < total || (off == 0 && total == 0); off += mss) {
		size_t chunk = MIN((size_t)mss, total - off);
		bool first = off == 0, last = off + chunk >= total;

		memcpy(seg, f, hlen);
		memcpy(seg + hlen, f + hlen + off, chunk);
		put_be32(seg + t->tcp + 4, seq + (uint32_t)off);
		seg[t->tcp + 13] =
		    (uint8_t)(flags & ~(last ? 0 : TCP_FIN | TCP_PSH) & ~(first ? 0 : TCP_CWR));
		if (!t->v6)
			put_be16(seg + t->ip + 4, (uint16_t)(id + n));
		finish_tcp(seg, hlen + chunk, t);
		emit(opaque, seg, hlen + chunk);
		n++;
		if (last)
			break;
	}
	free(seg);
	return n;
}

int net_offload_tx(const struct virtio_net_hdr_v1 *h, uint8_t *f, size_t len, bool large_ok,
		   net_offload_emit emit, void *opaque)
{
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	struct tcp_frame t;

	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && complete_csum(h, f, len))
			return -EINVAL;
		emit(opaque, f, len);
		return 1;
	}
	if ((type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6) ||
	    h->gso_size < NET_OFFLOAD_MIN_MSS || len > NET_OFFLOAD_MAX_FRAME ||
	    parse_tcp(f, len, &t) || t.v6 != (type == VIRTIO_NET_HDR_GSO_TCPV6))
		return -EINVAL;
	if (large_ok || len - t.payload <= h->gso_size) {
		finish_tcp(f, len, &t);
		emit(opaque, f, len);
		return 1;
	}
	return segment(f, len, h->gso_size, &t, emit, opaque);
}
