/* virtio-vsock (virtio 1.x, section 5.10), stream sockets, with the host side exposed as Unix
 * sockets in Firecracker's style:
 *  - host to guest: connect to the Unix socket PATH, send "CONNECT <port>\n", read back
 *    "OK <host port>\n", then the stream is connected to the guest's listener on <port>;
 *  - guest to host: a guest connect to CID 2 port P connects to the Unix socket "PATH_P".
 * Flow control is vsock's credit scheme: we never send the guest more than it has room for,
 * and the guest never has more in flight to us than the buffer we advertise (VSOCK_BUF). */
#include "devices/virtio/devices.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

#define RXQ	   0
#define TXQ	   1
#define EVQ	   2
#define HOST_CID   2
#define VSOCK_BUF  (256 * 1024) /* what we buffer per connection for guest data */
#define HDR	   sizeof(struct virtio_vsock_hdr)
#define MAX_CONNS  1024
#define FIRST_PORT 0x40000000u /* host-side ports we allocate for host-initiated streams */

enum conn_state { C_HELLO, C_CONNECTING, C_OPEN, C_CLOSING };

/* Control packets still owed to the guest for a connection. */
#define OWE_REQUEST  1u
#define OWE_RESPONSE 2u
#define OWE_RST	     4u
#define OWE_CREDIT   8u
#define OWE_SHUTDOWN 16u

struct vsock_dev;

struct conn {
	struct vsock_dev *v;
	struct conn *next;
	int fd;
	enum conn_state state;
	uint32_t host_port, guest_port;
	unsigned owe;
	bool readable;	/* the socket may have data (edge-triggered) */
	bool host_eof;	/* the Unix side closed its write end */
	bool guest_eof; /* the guest will send no more */
	/* Credit: what the guest told us, and what we have sent it. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Guest data not yet written to the socket, and how much we have forwarded. */
	uint8_t *buf;
	uint32_t buf_len;
	uint32_t fwd_cnt, fwd_reported;
	char hello[40];
	unsigned hello_len;
	bool dead; /* on the spare list */
};

struct vsock_dev {
	struct virtio_dev dev;
	struct virtio_vsock_config cfg;
	uint64_t cid;
	char *uds;
	int listen_fd;
	struct conn *conns;
	/* Closed connections are kept for reuse, never freed while the device lives: the loop
	 * thread may still hold an event for one while another thread closes it. */
	struct conn *spare;
	unsigned nconns;
	uint32_t next_port;
	bool pushed; /* receive buffers were used since the last interrupt check */
	struct virtq_chain chain;
	uint8_t pkt[65536];
};

static void pump_rx(struct vsock_dev *v);

static void conn_free(struct conn *c)
{
	struct vsock_dev *v = c->v;

	for (struct conn **pp = &v->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	v->nconns--;
	if (c->fd >= 0) {
		loop_del_fd(&v->dev.m->loop, c->fd);
		close(c->fd);
	}
	c->fd = -1;
	c->dead = true;
	c->next = v->spare;
	v->spare = c;
}

static struct conn *conn_find(struct vsock_dev *v, uint32_t host_port, uint32_t guest_port)
{
	for (struct conn *c = v->conns; c; c = c->next)
		if (c->host_port == host_port && c->guest_port == guest_port)
			return c;
	return NULL;
}

static void on_conn_event(void *opaque, uint32_t events);

static struct conn *conn_new(struct vsock_dev *v, int fd)
{
	struct conn *c;

	if (v->nconns >= MAX_CONNS)
		return NULL;
	if (v->spare) {
		c = v->spare;
		v->spare = c->next;
	} else {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->buf = malloc(VSOCK_BUF);
		if (!c->buf) {
			free(c);
			return NULL;
		}
	}
	/* Everything set before the fd is watched: its first event may come at once (it waits
	 * for the device lock, which our caller holds). */
	*c = (struct conn){.v = v, .fd = fd, .buf = c->buf};
	if (loop_add_fd(&v->dev.m->loop, fd, EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
			on_conn_event, c)) {
		c->dead = true;
		c->next = v->spare;
		v->spare = c;
		return NULL;
	}
	c->next = v->conns;
	v->conns = c;
	v->nconns++;
	return c;
}

/* Guest data waiting in c->buf goes to the socket as far as it takes it. */
static void flush_to_host(struct conn *c)
{
	while (c->buf_len) {
		ssize_t n = send(c->fd, c->buf, c->buf_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->owe |= OWE_RST;
			break;
		}
		memmove(c->buf, c->buf + n, c->buf_len - (size_t)n);
		c->buf_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	/* Tell the guest about freed room before it runs dry. */
	if (c->fwd_cnt - c->fwd_reported >= VSOCK_BUF / 4)
		c->owe |= OWE_CREDIT;
	if (!c->buf_len && c->guest_eof)
		shutdown(c->fd, SHUT_WR);
}

static void fill_hdr(struct vsock_dev *v, struct conn *c, struct virtio_vsock_hdr *h, uint16_t op,
		     uint32_t len)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = HOST_CID;
	h->dst_cid = v->cid;
	h->src_port = c->host_port;
	h->dst_port = c->guest_port;
	h->len = len;
	h->type = VIRTIO_VSOCK_TYPE_STREAM;
	h->op = op;
	h->buf_alloc = VSOCK_BUF;
	h->fwd_cnt = c->fwd_cnt;
	c->fwd_reported = c->fwd_cnt;
}

/* Puts one packet (header + payload) into the next receive buffer. false: no buffer. */
static bool send_pkt(struct vsock_dev *v, const struct virtio_vsock_hdr *h, const void *data)
{
	struct virtq_chain *ch = &v->chain;

	if (virtio_queue_pop(&v->dev, RXQ, ch) <= 0)
		return false;
	if (ch->wlen < HDR + h->len) { /* the driver's buffers are smaller than it promised */
		virtq_push(&v->dev.vq[RXQ], ch->head, 0);
		v->pushed = true;
		return true;
	}
	virtq_chain_write(ch, 0, h, HDR);
	virtq_chain_write(ch, HDR, data, h->len);
	virtq_push(&v->dev.vq[RXQ], ch->head, (uint32_t)(HDR + h->len));
	v->pushed = true;
	return true;
}

/* Sends the control packets a connection owes, in order. Returns false when out of
 * buffers. A connection that was reset is freed here (*gone set). */
static bool send_control(struct vsock_dev *v, struct conn *c, bool *gone)
{
	static const struct {
		unsigned bit;
		uint16_t op;
	} order[] = {{OWE_REQUEST, VIRTIO_VSOCK_OP_REQUEST},
		     {OWE_RESPONSE, VIRTIO_VSOCK_OP_RESPONSE},
		     {OWE_CREDIT, VIRTIO_VSOCK_OP_CREDIT_UPDATE},
		     {OWE_SHUTDOWN, VIRTIO_VSOCK_OP_SHUTDOWN},
		     {OWE_RST, VIRTIO_VSOCK_OP_RST}};
	struct virtio_vsock_hdr h;

	*gone = false;
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
		if (!(c->owe & order[i].bit))
			continue;
		fill_hdr(v, c, &h, order[i].op, 0);
		if (order[i].op == VIRTIO_VSOCK_OP_SHUTDOWN)
			h.flags = VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;
		if (!send_pkt(v, &h, NULL))
			return false;
		c->owe &= ~order[i].bit;
		if (order[i].op == VIRTIO_VSOCK_OP_RST) {
			conn_free(c);
			*gone = true;
			return true;
		}
	}
	return true;
}

/* Host socket data to the guest, within the guest's credit. Returns false when out of
 * receive buffers. */
static bool send_data(struct vsock_dev *v, struct conn *c)
{
	while (c->state == C_OPEN && c->readable && !c->host_eof) {
		uint32_t credit = c->peer_buf_alloc - (c->tx_cnt - c->peer_fwd_cnt);
		struct virtio_vsock_hdr h;
		ssize_t n;

		if (!credit || credit > c->peer_buf_alloc)
			return true; /* wait for a credit update */
		if (!virtq_has_avail(&v->dev.vq[RXQ]))
			return false;
		/* Linux posts 4 KiB receive buffers; read no more than fits one. */
		n = recv(c->fd, v->pkt, MIN(MIN(credit, 4096u), sizeof(v->pkt)), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->readable = false;
			return true;
		}
		if (n <= 0) {
			c->host_eof = true;
			c->owe |= n < 0 ? OWE_RST : OWE_SHUTDOWN;
			return true;
		}
		fill_hdr(v, c, &h, VIRTIO_VSOCK_OP_RW, (uint32_t)n);
		if (!send_pkt(v, &h, v->pkt)) {
			/* Cannot happen after virtq_has_avail unless the ring is bad: drop. */
			c->owe |= OWE_RST;
			return false;
		}
		c->tx_cnt += (uint32_t)n;
	}
	return true;
}

static void pump_rx(struct vsock_dev *v)
{
	struct conn *c, *next;
	bool progress = true;

	if (!virtio_dev_running(&v->dev) || !v->dev.vq[RXQ].ready)
		return;
	while (progress) {
		progress = false;
		for (c = v->conns; c; c = next) {
			bool gone;
			unsigned owed = c->owe;
			uint32_t sent = c->tx_cnt;

			next = c->next;
			if (!send_control(v, c, &gone))
				goto out;
			if (gone) {
				progress = true;
				continue;
			}
			if (!send_data(v, c))
				goto out;
			if (c->owe != owed || c->tx_cnt != sent)
				progress = true;
		}
	}
out:
	if (v->pushed)
		virtio_queue_done(&v->dev, RXQ);
	v->pushed = false;
}

/* Guest-initiated connection to host port p: connect to "uds_p". */
static void guest_connect(struct vsock_dev *v, const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct conn *c;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->uds, h->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    (c = conn_new(v, fd))) {
		c->host_port = h->dst_port;
		c->guest_port = h->src_port;
		c->state = C_OPEN;
		c->readable = true;
		c->peer_buf_alloc = h->buf_alloc;
		c->peer_fwd_cnt = h->fwd_cnt;
		c->owe = OWE_RESPONSE;
		return;
	}
	if (fd >= 0)
		close(fd);
	/* Nobody listening: refuse with a reset not tied to any connection. */
	struct conn tmp = {.v = v, .host_port = h->dst_port, .guest_port = h->src_port};
	struct virtio_vsock_hdr r;
	fill_hdr(v, &tmp, &r, VIRTIO_VSOCK_OP_RST, 0);
	send_pkt(v, &r, NULL);
}

static void reset_unknown(struct vsock_dev *v, const struct virtio_vsock_hdr *h)
{
	struct conn tmp = {.v = v, .host_port = h->dst_port, .guest_port = h->src_port};
	struct virtio_vsock_hdr r;

	if (h->op == VIRTIO_VSOCK_OP_RST)
		return; /* never answer a reset with a reset */
	fill_hdr(v, &tmp, &r, VIRTIO_VSOCK_OP_RST, 0);
	send_pkt(v, &r, NULL);
}

/* One packet from the guest. */
static void handle_pkt(struct vsock_dev *v, struct virtq_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct conn *c;

	if (virtq_chain_read(ch, 0, &h, HDR) != HDR)
		return;
	if (h.src_cid != v->cid || h.dst_cid != HOST_CID || h.type != VIRTIO_VSOCK_TYPE_STREAM) {
		reset_unknown(v, &h);
		return;
	}
	c = conn_find(v, h.dst_port, h.src_port);
	if (!c) {
		if (h.op == VIRTIO_VSOCK_OP_REQUEST)
			guest_connect(v, &h);
		else
			reset_unknown(v, &h);
		return;
	}
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state == C_CONNECTING) {
			char ok[32];
			int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);
			c->state = C_OPEN;
			c->readable = true;
			if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
				c->owe |= OWE_RST;
		}
		break;
	case VIRTIO_VSOCK_OP_RW:
		/* A guest that overruns the buffer we advertised is reset. */
		if (c->state != C_OPEN || h.len > ch->rlen - HDR ||
		    h.len > VSOCK_BUF - c->buf_len) {
			c->owe |= OWE_RST;
			break;
		}
		c->buf_len += (uint32_t)virtq_chain_read(ch, HDR, c->buf + c->buf_len, h.len);
		flush_to_host(c);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->owe |= OWE_CREDIT;
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (h.flags & VIRTIO_VSOCK_SHUTDOWN_SEND) {
			c->guest_eof = true;
			flush_to_host(c);
		}
		if ((h.flags & VIRTIO_VSOCK_SHUTDOWN_RCV) && c->guest_eof)
			c->owe |= OWE_RST; /* fully closed: acknowledge with a reset */
		break;
	case VIRTIO_VSOCK_OP_RST:
		conn_free(c);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break; /* the header fields above were the point */
	default:
		c->owe |= OWE_RST;
		break;
	}
}

static void vsock_tx(struct vsock_dev *v)
{
	while (virtio_queue_pop(&v->dev, TXQ, &v->chain) > 0) {
		uint16_t head = v->chain.head;
		handle_pkt(v, &v->chain);
		virtq_push(&v->dev.vq[TXQ], head, 0);
	}
	virtio_queue_done(&v->dev, TXQ);
	if (v->pushed) { /* resets sent while handling packets */
		virtio_queue_done(&v->dev, RXQ);
		v->pushed = false;
	}
}

static void vsock_notify(struct virtio_dev *d, unsigned q)
{
	struct vsock_dev *v = d->priv;

	if (q == TXQ)
		vsock_tx(v);
	/* Every kick may have freed receive buffers or credit. The event queue is unused. */
	pump_rx(v);
}

/* Host side, before "CONNECT <port>\n" has arrived. */
static void read_hello(struct conn *c)
{
	struct vsock_dev *v = c->v;
	unsigned port;
	char *nl;

	for (;;) {
		ssize_t n = recv(c->fd, c->hello + c->hello_len,
				 sizeof(c->hello) - 1 - c->hello_len, MSG_DONTWAIT | MSG_PEEK);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				conn_free(c);
			return;
		}
		/* Consume only up to the newline: what follows is stream data. */
		c->hello[c->hello_len + (size_t)n] = 0;
		nl = strchr(c->hello + c->hello_len, '\n');
		n = nl ? nl - (c->hello + c->hello_len) + 1 : n;
		if (recv(c->fd, c->hello + c->hello_len, (size_t)n, MSG_DONTWAIT) != n) {
			conn_free(c);
			return;
		}
		c->hello_len += (unsigned)n;
		c->hello[c->hello_len] = 0;
		if (nl)
			break;
		if (c->hello_len == sizeof(c->hello) - 1) {
			conn_free(c);
			return;
		}
	}
	if (sscanf(c->hello, "CONNECT %u\n", &port) != 1) {
		conn_free(c);
		return;
	}
	/* A host port no other stream to this guest port uses (c itself is in the list). */
	for (;;) {
		struct conn *o = conn_find(v, v->next_port, port);
		if (!o || o == c)
			break;
		v->next_port++;
	}
	c->host_port = v->next_port++;
	c->guest_port = port;
	c->state = C_CONNECTING;
	c->peer_buf_alloc = 0;
	c->owe |= OWE_REQUEST;
}

static void on_conn_event(void *opaque, uint32_t events)
{
	struct conn *c = opaque;
	struct vsock_dev *v = c->v;

	pthread_mutex_lock(&v->dev.lock);
	if (c->dead) { /* closed while this event was on its way */
		pthread_mutex_unlock(&v->dev.lock);
		return;
	}
	if (c->state == C_HELLO) {
		read_hello(c); /* may free c */
	} else {
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			c->readable = true;
		if (events & EPOLLOUT)
			flush_to_host(c);
	}
	pump_rx(v);
	pthread_mutex_unlock(&v->dev.lock);
}

static void on_listen(void *opaque, uint32_t events)
{
	struct vsock_dev *v = opaque;
	int fd;
	(void)events;

	pthread_mutex_lock(&v->dev.lock);
	while ((fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = virtio_dev_running(&v->dev) ? conn_new(v, fd) : NULL;
		if (!c) {
			close(fd); /* no guest driver yet, or too many connections */
			continue;
		}
		c->state = C_HELLO;
		read_hello(c);
	}
	pump_rx(v);
	pthread_mutex_unlock(&v->dev.lock);
}

static void vsock_reset(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	while (v->conns)
		conn_free(v->conns);
}

static void vsock_free(struct virtio_dev *d)
{
	struct vsock_dev *v = d->priv;

	vsock_reset(d);
	while (v->spare) {
		struct conn *c = v->spare;
		v->spare = c->next;
		free(c->buf);
		free(c);
	}
	if (v->listen_fd >= 0) {
		loop_del_fd(&d->m->loop, v->listen_fd);
		close(v->listen_fd);
		unlink(v->uds);
	}
	free(v->uds);
	free(v);
}

static const struct virtio_dev_ops vsock_ops = {
    .name = "vsock",
    .device_id = VIRTIO_ID_VSOCK,
    .nqueues = 3,
    .queue_max = 256,
    .queue_notify = vsock_notify,
    .reset = vsock_reset,
    .free = vsock_free,
};

/* True when nobody listens on the socket file (connect refused). */
static bool stale(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool r;

	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) && errno == ECONNREFUSED;
	close(fd);
	return r;
}

static int listen_uds(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path) - 12) /* room for "_<port>" */
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = -errno;
		/* A socket file left behind by a gasang that was killed: take it over. */
		if (e == -EADDRINUSE && stale(&sa) && unlink(path) == 0 &&
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			e = 0;
		if (e) {
			close(fd);
			return e;
		}
	}
	if (listen(fd, 64)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int virtio_vsock_create(struct machine *m, const struct vsock_config *vc, struct virtio_dev **out)
{
	struct vsock_dev *v = calloc(1, sizeof(*v));
	int e;

	if (!v)
		return -ENOMEM;
	v->cid = vc->cid;
	v->uds = strdup(vc->uds);
	v->next_port = FIRST_PORT;
	v->listen_fd = listen_uds(vc->uds);
	if (!v->uds || v->listen_fd < 0) {
		e = v->uds ? v->listen_fd : -ENOMEM;
		free(v->uds);
		free(v);
		return e;
	}
	e = loop_add_fd(&m->loop, v->listen_fd, EPOLLIN, on_listen, v);
	if (e) {
		close(v->listen_fd);
		unlink(vc->uds);
		free(v->uds);
		free(v);
		return e;
	}
	v->cfg.guest_cid = vc->cid;
	virtio_dev_init(&v->dev, m, &vsock_ops, v, 0, &v->cfg, sizeof(v->cfg));
	*out = &v->dev;
	return 0;
}
