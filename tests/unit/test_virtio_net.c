/* virtio-net through the virtio-mmio registers with the real libslirp back end: an ARP
 * request from the guest gets the gateway's answer; host port forwarding listens; a port in
 * use and a tap without privileges fail with an error, not a crash. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>

#include "backends/net.h"
#include "devices/virtio/devices.h"
#include "virtio_test_driver.h"

#define RXBUF (VD_DATA + 0x10000)
#define TXBUF (VD_DATA + 0x80000)

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* Waits up to 3 s for a used entry (the slirp thread delivers asynchronously). */
static bool wait_used(struct vdrv *v, unsigned q, uint32_t *len)
{
	for (int i = 0; i < 3000; i++) {
		if (vd_wait_used(v, q, len))
			return true;
		usleep(1000);
	}
	return false;
}

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &l), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_arp_through_slirp(void **state)
{
	struct vdrv *v = calloc(1, sizeof(*v));
	struct virtio_dev *d;
	uint8_t frame[42], reply[128];
	uint32_t len;
	(void)state;

	vd_machine(v, false);
	assert_int_equal(virtio_net_create(&v->m, "user", 0, &d), 0);
	vd_attach(v, d);
	assert_int_equal(vd_rd(v, VIRTIO_MMIO_DEVICE_ID), 1);
	vd_init(v, ~(1ULL << VIRTIO_RING_F_EVENT_IDX), 2);
	/* MAC from the config space. */
	uint8_t mac[6];
	for (int i = 0; i < 6; i++) {
		uint64_t b;
		assert_true(bus_read(&v->m.mmio, VD_MMIO + VIRTIO_MMIO_CONFIG + i, 1, &b));
		mac[i] = (uint8_t)b;
	}
	assert_memory_equal(mac, guest_mac, 6);
	struct vd_buf rx = {RXBUF, 2048, true};
	vd_offer(v, 0, &rx, 1, true);
	/* ARP who-has 10.0.2.2 tell 10.0.2.15. */
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, guest_mac, 6);
	frame[12] = 0x08, frame[13] = 0x06;
	frame[14] = 0, frame[15] = 1, frame[16] = 8, frame[17] = 0, frame[18] = 6, frame[19] = 4;
	frame[21] = 1;
	memcpy(frame + 22, guest_mac, 6);
	const uint8_t me[4] = {10, 0, 2, 15}, gw[4] = {10, 0, 2, 2};
	memcpy(frame + 28, me, 4);
	memcpy(frame + 38, gw, 4);
	struct virtio_net_hdr_v1 hdr = {0};
	assert_int_equal(gmem_write(&v->m.mem, TXBUF, &hdr, sizeof(hdr)), 0);
	assert_int_equal(gmem_write(&v->m.mem, TXBUF + 0x100, frame, sizeof(frame)), 0);
	struct vd_buf tx[2] = {{TXBUF, sizeof(hdr), false}, {TXBUF + 0x100, sizeof(frame), false}};
	vd_offer(v, 1, tx, 2, true);
	assert_true(wait_used(v, 1, NULL));
	assert_true(wait_used(v, 0, &len));
	assert_true(len >= sizeof(hdr) + 42);
	assert_int_equal(gmem_read(&v->m.mem, RXBUF + sizeof(hdr), reply, 42), 0);
	assert_memory_equal(reply, guest_mac, 6);	      /* to us */
	assert_int_equal(reply[12] << 8 | reply[13], 0x0806); /* ARP */
	assert_int_equal(reply[21], 2);			      /* reply */
	assert_memory_equal(reply + 28, gw, 4);		      /* from the gateway */
	vd_free(v);
	free(v);
}

static void test_hostfwd(void **state)
{
	struct vdrv *v = calloc(1, sizeof(*v));
	struct virtio_dev *d;
	char spec[96];
	int port = free_port(), busy;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	(void)state;

	vd_machine(v, false);
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%d-:80", port);
	assert_int_equal(virtio_net_create(&v->m, spec, 0, &d), 0);
	/* The host port now accepts connections (slirp forwards them to the guest). */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);
	/* A second forward of the same port fails cleanly. */
	struct virtio_dev *d2;
	assert_int_equal(virtio_net_create(&v->m, spec, 1, &d2), -ECANCELED);
	virtio_dev_free(d);
	/* A port held by another program. */
	busy = socket(AF_INET, SOCK_STREAM, 0);
	port = free_port();
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(busy, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(busy, 1), 0);
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp::%d-:22", port);
	assert_int_equal(virtio_net_create(&v->m, spec, 0, &d2), -ECANCELED);
	close(busy);
	/* Malformed specs. */
	assert_int_equal(virtio_net_create(&v->m, "user,hostfwd=tcp::x-:22", 0, &d2), -ECANCELED);
	assert_int_equal(virtio_net_create(&v->m, "user,bogus=1", 0, &d2), -ECANCELED);
	assert_int_equal(virtio_net_create(&v->m, "socket=1", 0, &d2), -ECANCELED);
	bus_free(&v->m.mmio);
	gmem_free(&v->m.mem);
	free(v);
}

static void test_tap_without_privileges(void **state)
{
	pid_t pid;
	int status;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct net_backend *nb;
		/* As nobody (when we are root) or as ourselves (already unprivileged). */
		if (geteuid() == 0 && setresuid(65534, 65534, 65534))
			_exit(3);
		_exit(net_tap_open("gsgnopriv0", NULL, &nb) == -ECANCELED ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* With privileges: frames cross a real tap interface in both directions (seen from the host
 * through a packet socket on the interface). */
static void test_tap_frames(void **state)
{
	struct vdrv *v = calloc(1, sizeof(*v));
	struct virtio_dev *d;
	struct ifreq ifr = {0};
	uint8_t frame[64], buf[2048];
	const char *tok = "gasang-tap-frame";
	int ps, ctl;
	(void)state;

	vd_machine(v, true);
	if (geteuid() != 0 || virtio_net_create(&v->m, "tap=gsgtest0", 0, &d)) {
		loop_free(&v->m.loop);
		bus_free(&v->m.mmio);
		gmem_free(&v->m.mem);
		free(v);
		skip();
	}
	vd_attach(v, d);
	vd_init(v, ~(1ULL << VIRTIO_RING_F_EVENT_IDX), 2);
	FILE *f = fopen("/proc/sys/net/ipv6/conf/gsgtest0/disable_ipv6", "w");
	if (f) {
		fputs("1", f); /* no autoconfiguration chatter on the wire */
		fclose(f);
	}
	ctl = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "gsgtest0");
	assert_int_equal(ioctl(ctl, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(ctl, SIOCSIFFLAGS, &ifr), 0);
	ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	assert_true(ps >= 0);
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = (int)if_nametoindex("gsgtest0")};
	assert_int_equal(bind(ps, (struct sockaddr *)&ll, sizeof(ll)), 0);
	/* Guest to host: a broadcast frame of a local experimental ethertype. */
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, guest_mac, 6);
	frame[12] = 0x88, frame[13] = 0xb5;
	memcpy(frame + 14, tok, strlen(tok));
	struct virtio_net_hdr_v1 hdr = {0};
	assert_int_equal(gmem_write(&v->m.mem, TXBUF, &hdr, sizeof(hdr)), 0);
	assert_int_equal(gmem_write(&v->m.mem, TXBUF + 0x100, frame, sizeof(frame)), 0);
	struct vd_buf tx[2] = {{TXBUF, sizeof(hdr), false}, {TXBUF + 0x100, sizeof(frame), false}};
	vd_offer(v, 1, tx, 2, true);
	assert_true(vd_wait_used(v, 1, NULL));
	bool seen = false;
	for (int i = 0; i < 50 && !seen; i++) {
		struct pollfd p = {.fd = ps, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(ps, buf, sizeof(buf), 0);
		seen = n >= 14 + (ssize_t)strlen(tok) && !memcmp(buf + 14, tok, strlen(tok));
	}
	assert_true(seen);
	/* Host to guest: a frame sent on the interface lands in a receive buffer. */
	struct vd_buf rx = {RXBUF, 2048, true};
	vd_offer(v, 0, &rx, 1, true);
	memcpy(frame, guest_mac, 6);
	frame[6] = 0x02;
	frame[15] ^= 1;
	assert_int_equal(send(ps, frame, sizeof(frame), 0), sizeof(frame));
	uint32_t len;
	assert_true(vd_wait_used(v, 0, &len));
	assert_int_equal(len, sizeof(hdr) + sizeof(frame));
	assert_int_equal(gmem_read(&v->m.mem, RXBUF + sizeof(hdr), buf, sizeof(frame)), 0);
	assert_memory_equal(buf, frame, sizeof(frame));
	close(ps);
	close(ctl);
	vd_free(v);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arp_through_slirp),
	    cmocka_unit_test(test_hostfwd),
	    cmocka_unit_test(test_tap_without_privileges),
	    cmocka_unit_test(test_tap_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
