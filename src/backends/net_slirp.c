/* User-mode networking through libslirp: the guest sits on 10.0.2.0/24 behind a NAT, gets
 * 10.0.2.15 by DHCP, reaches the host as 10.0.2.2, and host ports can be forwarded in
 * (hostfwd=tcp::HOSTPORT-:GUESTPORT). No privileges needed.
 *
 * libslirp wants a poll() loop, so it runs on its own thread. Frames for the guest are queued
 * here and pulled by the device. Lock order: device lock -> slirp lock -> queue lock.
 *
 * libslirp is loaded with dlopen() when the first user-mode backend is created: linked in, it
 * and the glib and pcre2 it pulls along cost every gasang process ~1 MiB of RSS (glib's
 * constructors run even when no --net user is given). Only its headers are used at build time. */
#include "backends/net.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define RXQ_LEN 512

/* The libslirp entry points used here, resolved by slirp_load(). */
static struct {
	__typeof__(slirp_new) *new;
	__typeof__(slirp_cleanup) *cleanup;
	__typeof__(slirp_input) *input;
	__typeof__(slirp_pollfds_fill) *pollfds_fill;
	__typeof__(slirp_pollfds_poll) *pollfds_poll;
	__typeof__(slirp_handle_timer) *handle_timer;
	__typeof__(slirp_add_hostfwd) *add_hostfwd;
	char err[200]; /* why loading failed; empty if it worked */
} sl;
static pthread_once_t sl_once = PTHREAD_ONCE_INIT;

static void *sym(void *lib, const char *name)
{
	void *p = dlsym(lib, name);

	if (!p && !sl.err[0])
		snprintf(sl.err, sizeof(sl.err), "libslirp.so.0 lacks %s", name);
	return p;
}

static void slirp_load(void)
{
	void *lib = dlopen("libslirp.so.0", RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(sl.err, sizeof(sl.err), "%s (install libslirp0)", dlerror());
		return;
	}
	*(void **)&sl.new = sym(lib, "slirp_new");
	*(void **)&sl.cleanup = sym(lib, "slirp_cleanup");
	*(void **)&sl.input = sym(lib, "slirp_input");
	*(void **)&sl.pollfds_fill = sym(lib, "slirp_pollfds_fill");
	*(void **)&sl.pollfds_poll = sym(lib, "slirp_pollfds_poll");
	*(void **)&sl.handle_timer = sym(lib, "slirp_handle_timer");
	*(void **)&sl.add_hostfwd = sym(lib, "slirp_add_hostfwd");
}

struct slirp_timer {
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
	struct slirp_timer *next;
};

struct frame {
	size_t len;
	uint8_t data[];
};

struct net_slirp {
	struct net_backend nb;
	Slirp *slirp;
	pthread_mutex_t lock; /* guards slirp and timers */
	pthread_t thread;
	bool started, stop;
	bool tx_pending; /* frames went in since the last wake */
	int wakefd;
	struct pollfd *pfd;
	unsigned npfd, cap;
	struct slirp_timer *timers;
	pthread_mutex_t qlock;
	struct frame *q[RXQ_LEN];
	unsigned qh, qt; /* qh - qt frames queued */
	uint64_t rx_dropped;
};

static int64_t clock_ns(void *opaque)
{
	(void)opaque;
	return (int64_t)now_ns();
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	struct frame *f = malloc(sizeof(*f) + len);

	if (!f)
		return -1;
	f->len = len;
	memcpy(f->data, buf, len);
	pthread_mutex_lock(&s->qlock);
	if (s->qh - s->qt == RXQ_LEN) {
		s->rx_dropped++; /* guest not reading: drop, TCP will retransmit */
		free(f);
	} else {
		s->q[s->qh++ % RXQ_LEN] = f;
	}
	pthread_mutex_unlock(&s->qlock);
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	log_debug("slirp: guest error: %s", msg);
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct slirp_timer **pp = &s->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = (*pp)->next;
			free(timer);
			return;
		}
	}
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void wake(void *opaque)
{
	struct net_slirp *s = opaque;
	uint64_t one = 1;

	if (write(s->wakefd, &one, sizeof(one)) < 0) {
		/* counter full: the thread is awake anyway */
	}
}

static void poll_fd_noop(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static const SlirpCb callbacks = {
    .send_packet = send_packet,
    .guest_error = guest_error,
    .clock_get_ns = clock_ns,
    .timer_free = timer_free,
    .timer_mod = timer_mod,
    .register_poll_fd = poll_fd_noop,
    .unregister_poll_fd = poll_fd_noop,
    .notify = wake,
    .timer_new_opaque = timer_new_opaque,
};

static int add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	short ev = 0;

	if (s->npfd == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 32;
		struct pollfd *p = realloc(s->pfd, cap * sizeof(*p));
		if (!p)
			return -1;
		s->pfd = p;
		s->cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = ev};
	return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short r;
	int ev = 0;

	if (idx < 0 || (unsigned)idx >= s->npfd)
		return 0;
	r = s->pfd[idx].revents;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* Fires expired timers; returns ms until the next one (or limit). */
static uint32_t run_timers(struct net_slirp *s, uint32_t limit)
{
	int64_t now = (int64_t)(now_ns() / 1000000);
	bool fired;

	do {
		fired = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				sl.handle_timer(s->slirp, t->id, t->cb_opaque);
				fired = true;
				break; /* the callback may have changed the list */
			}
		}
	} while (fired);
	for (struct slirp_timer *t = s->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (uint64_t)(t->expire_ms - now) < limit)
			limit = (uint32_t)(t->expire_ms - now);
	return limit;
}

static bool have_frames(struct net_slirp *s)
{
	bool r;

	pthread_mutex_lock(&s->qlock);
	r = s->qh != s->qt;
	pthread_mutex_unlock(&s->qlock);
	return r;
}

static void *slirp_thread(void *arg)
{
	struct net_slirp *s = arg;

	pthread_setname_np(pthread_self(), "slirp");
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint32_t timeout = 1000;
		uint64_t v;
		int n;

		pthread_mutex_lock(&s->lock);
		s->npfd = 0;
		add_poll(s->wakefd, SLIRP_POLL_IN, s);
		sl.pollfds_fill(s->slirp, &timeout, add_poll, s);
		timeout = run_timers(s, timeout);
		pthread_mutex_unlock(&s->lock);
		n = poll(s->pfd, s->npfd, (int)timeout);
		if (n > 0 && (s->pfd[0].revents & POLLIN) && read(s->wakefd, &v, sizeof(v)) < 0) {
			/* EAGAIN: nothing to drain */
		}
		pthread_mutex_lock(&s->lock);
		sl.pollfds_poll(s->slirp, n < 0, get_revents, s);
		run_timers(s, 0);
		pthread_mutex_unlock(&s->lock);
		if (have_frames(s) && s->nb.rx_ready)
			s->nb.rx_ready(s->nb.opaque);
	}
	return NULL;
}

static int slirp_send(struct net_backend *nb, const struct iovec *iov, unsigned niov)
{
	struct net_slirp *s = (struct net_slirp *)nb;
	uint8_t buf[65536 + 64];
	const uint8_t *frame = buf;
	size_t len = 0;

	if (niov == 1) { /* the device already gathered the frame: no second copy */
		frame = iov[0].iov_base;
		len = iov[0].iov_len;
		niov = 0;
		if (len > INT_MAX)
			return -EMSGSIZE;
	}
	for (unsigned i = 0; i < niov; i++) {
		if (iov[i].iov_len > sizeof(buf) - len)
			return -EMSGSIZE;
		memcpy(buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	pthread_mutex_lock(&s->lock);
	sl.input(s->slirp, frame, (int)len);
	pthread_mutex_unlock(&s->lock);
	/* New connections change the poll set: the thread must look again, once per batch. */
	__atomic_store_n(&s->tx_pending, true, __ATOMIC_RELAXED);
	return 0;
}

static void slirp_flush(struct net_backend *nb)
{
	struct net_slirp *s = (struct net_slirp *)nb;

	if (__atomic_exchange_n(&s->tx_pending, false, __ATOMIC_RELAXED))
		wake(s);
}

static ssize_t slirp_recv(struct net_backend *nb, void *buf, size_t len)
{
	struct net_slirp *s = (struct net_slirp *)nb;
	struct frame *f = NULL;
	ssize_t n;

	pthread_mutex_lock(&s->qlock);
	if (s->qh != s->qt)
		f = s->q[s->qt++ % RXQ_LEN];
	pthread_mutex_unlock(&s->qlock);
	if (!f)
		return 0;
	n = f->len <= len ? (ssize_t)f->len : -EMSGSIZE;
	if (n > 0)
		memcpy(buf, f->data, f->len);
	free(f);
	return n;
}

static void slirp_close(struct net_backend *nb)
{
	struct net_slirp *s = (struct net_slirp *)nb;

	if (s->started) {
		__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
		wake(s);
		pthread_join(s->thread, NULL);
	}
	if (s->slirp)
		sl.cleanup(s->slirp);
	while (s->timers)
		timer_free(s->timers, s);
	while (s->qt != s->qh)
		free(s->q[s->qt++ % RXQ_LEN]);
	free(s->pfd);
	close(s->wakefd);
	free(s);
}

/* One "hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" rule. */
static int add_hostfwd(struct net_slirp *s, const char *rule, struct in_addr guest_default)
{
	char proto[4], haddr[64] = "", gaddr[64] = "";
	unsigned hport, gport;
	struct in_addr ha = {.s_addr = htonl(INADDR_ANY)}, ga = guest_default;
	int is_udp, n = 0;

	if (sscanf(rule, "%3[a-z]:%63[0-9.]:%u-%63[0-9.]:%u%n", proto, haddr, &hport, gaddr, &gport,
		   &n) != 5 &&
	    sscanf(rule, "%3[a-z]::%u-%63[0-9.]:%u%n", proto, &hport, gaddr, &gport, &n) != 4 &&
	    sscanf(rule, "%3[a-z]:%63[0-9.]:%u-:%u%n", proto, haddr, &hport, &gport, &n) != 4 &&
	    sscanf(rule, "%3[a-z]::%u-:%u%n", proto, &hport, &gport, &n) != 3)
		n = 0;
	if (!n || rule[n] || hport > 65535 || gport > 65535 || !gport ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
	    (haddr[0] && !inet_aton(haddr, &ha)) || (gaddr[0] && !inet_aton(gaddr, &ga))) {
		log_error("--net: bad hostfwd '%s' (expected tcp::HOSTPORT-:GUESTPORT)", rule);
		return -ECANCELED;
	}
	is_udp = proto[0] == 'u';
	errno = 0;
	if (sl.add_hostfwd(s->slirp, is_udp, ha, (int)hport, ga, (int)gport) < 0) {
		int e = errno ? errno : EADDRINUSE;
		log_error("--net: hostfwd %s: host port %u: %s", proto, hport, strerror(e));
		return -ECANCELED;
	}
	return 0;
}

static int configure(struct net_slirp *s, const char *opts)
{
	SlirpConfig cfg = {.version = 4, .in_enabled = true, .if_mtu = 1500, .if_mru = 1500};
	char *copy, *save = NULL;
	int e = 0;

	inet_aton("10.0.2.0", &cfg.vnetwork);
	inet_aton("255.255.255.0", &cfg.vnetmask);
	inet_aton("10.0.2.2", &cfg.vhost);
	inet_aton("10.0.2.15", &cfg.vdhcp_start);
	inet_aton("10.0.2.3", &cfg.vnameserver);
	cfg.vhostname = "gasang";
	s->slirp = sl.new(&cfg, &callbacks, s);
	if (!s->slirp) {
		log_error("--net user: cannot start user networking");
		return -ECANCELED;
	}
	copy = strdup(opts ? opts : "");
	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok && !e; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "hostfwd=", 8) == 0) {
			e = add_hostfwd(s, tok + 8, cfg.vdhcp_start);
		} else {
			log_error("--net user: unknown option '%s'", tok);
			e = -ECANCELED;
		}
	}
	free(copy);
	return e;
}

int net_slirp_open(const char *opts, struct net_backend **out)
{
	struct net_slirp *s;
	int e;

	pthread_once(&sl_once, slirp_load);
	if (sl.err[0]) {
		log_error("--net user: cannot load libslirp: %s", sl.err);
		return -ECANCELED;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	s->nb = (struct net_backend){.name = "user",
				     .send = slirp_send,
				     .flush = slirp_flush,
				     .recv = slirp_recv,
				     .close = slirp_close,
				     .large_frames = true};
	s->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wakefd < 0) {
		free(s);
		return -errno;
	}
	e = configure(s, opts);
	if (!e) {
		e = -pthread_create(&s->thread, NULL, slirp_thread, s);
		s->started = !e;
	}
	if (e) {
		slirp_close(&s->nb);
		return e;
	}
	*out = &s->nb;
	return 0;
}
