/* virtio-vsock through the virtio-mmio registers, against real Unix sockets on the host side:
 * guest-initiated and host-initiated ("CONNECT <port>") streams, data both ways, refusals and
 * a guest that overruns its credit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_vsock.h>

#include "devices/virtio/devices.h"
#include "virtio_test_driver.h"

#define GUEST_CID 3
#define RXBUF	  (VD_DATA + 0x10000)
#define TXBUF	  (VD_DATA + 0x80000)

struct fx {
	struct vdrv v;
	char dir[64], path[96];
	uint16_t rx_offered;
};

static void offer_rx(struct fx *f)
{
	struct vd_buf b = {RXBUF + 0x2000ULL * (f->rx_offered % 4), 4096 + 44, true};
	vd_offer(&f->v, 0, &b, 1, true);
	f->rx_offered++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_dev *d;

	strcpy(f->dir, "/tmp/gasang-vsock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	struct vsock_config vc = {.cid = GUEST_CID, .uds = f->path};
	vd_machine(&f->v, true);
	assert_int_equal(virtio_vsock_create(&f->v.m, &vc, &d), 0);
	vd_attach(&f->v, d);
	assert_int_equal(vd_rd(&f->v, VIRTIO_MMIO_DEVICE_ID), 19);
	assert_int_equal(vd_rd(&f->v, VIRTIO_MMIO_CONFIG), GUEST_CID);
	vd_init(&f->v, ~(1ULL << VIRTIO_RING_F_EVENT_IDX), 3);
	for (int i = 0; i < 3; i++)
		offer_rx(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];
	vd_free(&f->v);
	snprintf(p, sizeof(p), "%s_5000", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void guest_send(struct fx *f, uint16_t op, uint32_t src_port, uint32_t dst_port,
		       const char *data, uint32_t len)
{
	struct virtio_vsock_hdr h = {.src_cid = GUEST_CID,
				     .dst_cid = 2,
				     .src_port = src_port,
				     .dst_port = dst_port,
				     .len = len,
				     .type = VIRTIO_VSOCK_TYPE_STREAM,
				     .op = op,
				     .buf_alloc = 65536};
	struct vd_buf b[2] = {{TXBUF, sizeof(h), false}, {TXBUF + 0x100, len, false}};
	assert_int_equal(gmem_write(&f->v.m.mem, TXBUF, &h, sizeof(h)), 0);
	if (len)
		assert_int_equal(gmem_write(&f->v.m.mem, TXBUF + 0x100, data, len), 0);
	vd_offer(&f->v, 1, b, len ? 2 : 1, true);
	assert_true(vd_wait_used(&f->v, 1, NULL));
}

/* Next packet the device put in a receive buffer (re-posts the buffer). */
static struct virtio_vsock_hdr guest_recv(struct fx *f, char *data)
{
	struct virtio_vsock_hdr h;
	uint16_t slot = f->v.used_seen[0] % 4;
	uint32_t len;

	assert_true(vd_wait_used(&f->v, 0, &len));
	assert_int_equal(gmem_read(&f->v.m.mem, RXBUF + 0x2000ULL * slot, &h, sizeof(h)), 0);
	assert_int_equal(len, sizeof(h) + h.len);
	if (data && h.len)
		assert_int_equal(
		    gmem_read(&f->v.m.mem, RXBUF + 0x2000ULL * slot + sizeof(h), data, h.len), 0);
	offer_rx(f);
	return h;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_guest_connects(void **state)
{
	struct fx *f = *state;
	char p[128], buf[64] = {0};
	int l, s;

	snprintf(p, sizeof(p), "%s_5000", f->path);
	l = listen_at(p);
	guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 1234, 5000, NULL, 0);
	struct virtio_vsock_hdr h = guest_recv(f, NULL);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RESPONSE);
	assert_int_equal(h.src_port, 5000);
	assert_int_equal(h.dst_port, 1234);
	assert_int_equal(h.dst_cid, GUEST_CID);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	guest_send(f, VIRTIO_VSOCK_OP_RW, 1234, 5000, "ping", 4);
	assert_int_equal(read(s, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(write(s, "pong!", 5), 5);
	h = guest_recv(f, buf);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_int_equal(h.len, 5);
	assert_memory_equal(buf, "pong!", 5);
	/* The host closes: the guest is told with SHUTDOWN, answers RST. */
	close(s);
	h = guest_recv(f, NULL);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_SHUTDOWN);
	guest_send(f, VIRTIO_VSOCK_OP_RST, 1234, 5000, NULL, 0);
	close(l);
}

static void test_guest_connect_refused(void **state)
{
	struct fx *f = *state;
	guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 1234, 6000, NULL, 0);
	struct virtio_vsock_hdr h = guest_recv(f, NULL);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
	/* Data on a connection that does not exist: reset too. */
	guest_send(f, VIRTIO_VSOCK_OP_RW, 1234, 6000, "x", 1);
	h = guest_recv(f, NULL);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
}

static void test_host_connects(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[64] = {0};
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(s, "CONNECT 52\nearly", 16), 16);
	struct virtio_vsock_hdr h = guest_recv(f, NULL);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_REQUEST);
	assert_int_equal(h.dst_port, 52);
	assert_int_equal(h.src_cid, 2);
	uint32_t hp = h.src_port;
	/* The guest accepts. */
	guest_send(f, VIRTIO_VSOCK_OP_RESPONSE, 52, hp, NULL, 0);
	ssize_t n = read(s, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	char expect[32];
	snprintf(expect, sizeof(expect), "OK %u\n", hp);
	assert_string_equal(buf, expect);
	/* Data written right after the CONNECT line reaches the guest. */
	h = guest_recv(f, buf);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_int_equal(h.len, 5);
	assert_memory_equal(buf, "early", 5);
	guest_send(f, VIRTIO_VSOCK_OP_RW, 52, hp, "hello host", 10);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(s, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "hello host");
	close(s);
}

static void test_credit_overrun_resets(void **state)
{
	struct fx *f = *state;
	char p[128];
	int l;
	static char big[4096];

	snprintf(p, sizeof(p), "%s_5000", f->path);
	l = listen_at(p);
	guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 99, 5000, NULL, 0);
	assert_int_equal(guest_recv(f, NULL).op, VIRTIO_VSOCK_OP_RESPONSE);
	/* Claims 1 MiB of payload in a 4 KiB buffer: refused with a reset, no crash. */
	struct virtio_vsock_hdr h = {.src_cid = GUEST_CID,
				     .dst_cid = 2,
				     .src_port = 99,
				     .dst_port = 5000,
				     .len = 1 << 20,
				     .type = VIRTIO_VSOCK_TYPE_STREAM,
				     .op = VIRTIO_VSOCK_OP_RW};
	assert_int_equal(gmem_write(&f->v.m.mem, TXBUF, &h, sizeof(h)), 0);
	struct vd_buf b[2] = {{TXBUF, sizeof(h), false}, {TXBUF + 0x100, sizeof(big), false}};
	vd_offer(&f->v, 1, b, 2, true);
	assert_true(vd_wait_used(&f->v, 1, NULL));
	assert_int_equal(guest_recv(f, NULL).op, VIRTIO_VSOCK_OP_RST);
	close(l);
}

static void test_bad_uds(void **state)
{
	struct fx *f = *state;
	struct virtio_dev *d;
	struct vsock_config vc = {.cid = 4, .uds = "/nonexistent-dir/v.sock"};
	assert_int_equal(virtio_vsock_create(&f->v.m, &vc, &d), -ENOENT);
	vc.uds = f->path; /* already bound by the fixture's device */
	assert_int_equal(virtio_vsock_create(&f->v.m, &vc, &d), -EADDRINUSE);
	/* A socket file nobody listens on (gasang killed with -9) is taken over. */
	char stale_path[128];
	snprintf(stale_path, sizeof(stale_path), "%s/stale.sock", f->dir);
	close(listen_at(stale_path));
	vc.uds = stale_path;
	assert_int_equal(virtio_vsock_create(&f->v.m, &vc, &d), 0);
	virtio_dev_free(d);
	assert_int_equal(access(stale_path, F_OK), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_guest_connects), T(test_guest_connect_refused),
	    T(test_host_connects),  T(test_credit_overrun_resets),
	    T(test_bad_uds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
