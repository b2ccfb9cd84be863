/* The tap network back end: frames go to and come from a host tap interface. The fd is
 * watched edge-triggered on the event loop; the device pulls frames while it has buffers. */
#include "backends/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "machine/loop.h"

struct net_tap {
	struct net_backend nb;
	int fd;
	struct event_loop *loop;
};

static int tap_send(struct net_backend *nb, const struct iovec *iov, unsigned niov)
{
	struct net_tap *t = (struct net_tap *)nb;
	ssize_t n;

	do
		n = writev(t->fd, iov, (int)niov);
	while (n < 0 && errno == EINTR);
	/* A full tap queue drops the frame, as a busy wire would. */
	return n < 0 ? -errno : 0;
}

static ssize_t tap_recv(struct net_backend *nb, void *buf, size_t len)
{
	struct net_tap *t = (struct net_tap *)nb;
	ssize_t n;

	do
		n = read(t->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

static void on_tap(void *opaque, uint32_t events)
{
	struct net_tap *t = opaque;
	(void)events;

	if (t->nb.rx_ready)
		t->nb.rx_ready(t->nb.opaque);
}

static void tap_close(struct net_backend *nb)
{
	struct net_tap *t = (struct net_tap *)nb;

	if (t->loop)
		loop_del_fd(t->loop, t->fd);
	close(t->fd);
	free(t);
}

int net_tap_open(const char *ifname, struct event_loop *loop, struct net_backend **out)
{
	struct net_tap *t;
	struct ifreq ifr = {0};
	int fd, e;

	if (!ifname[0] || strlen(ifname) >= IFNAMSIZ) {
		log_error("--net tap=%s: bad interface name", ifname);
		return -ECANCELED;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		log_error("--net tap=%s: cannot open /dev/net/tun: %s", ifname, strerror(e));
		return -ECANCELED;
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			log_error("--net tap=%s: %s (needs CAP_NET_ADMIN, or a persistent tap "
				  "owned by this user: ip tuntap add %s mode tap user $USER)",
				  ifname, strerror(e), ifname);
		else
			log_error("--net tap=%s: %s", ifname, strerror(e));
		return -ECANCELED;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	t->fd = fd;
	t->nb = (struct net_backend){
	    .name = "tap", .send = tap_send, .recv = tap_recv, .close = tap_close};
	if (loop) {
		e = loop_add_fd(loop, fd, EPOLLIN | EPOLLET, on_tap, t);
		if (e) {
			close(fd);
			free(t);
			return e;
		}
		t->loop = loop;
	}
	*out = &t->nb;
	return 0;
}
