#include "machine/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct loop_handler {
	int fd;
	loop_fn fn;
	void *opaque;
	struct loop_handler *next;
};

int loop_init(struct event_loop *l)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wakefd < 0) {
		int e = -errno;
		close(l->epfd);
		return e;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) {
		int e = -errno;
		close(l->epfd);
		close(l->wakefd);
		return e;
	}
	return 0;
}

void loop_free(struct event_loop *l)
{
	struct loop_handler *h = l->handlers;

	loop_stop(l);
	while (h) {
		struct loop_handler *n = h->next;
		free(h);
		h = n;
	}
	l->handlers = NULL;
	if (l->epfd > 0)
		close(l->epfd);
	if (l->wakefd > 0)
		close(l->wakefd);
	l->epfd = l->wakefd = -1;
}

int loop_add_fd(struct event_loop *l, int fd, uint32_t events, loop_fn fn, void *opaque)
{
	struct loop_handler *h = calloc(1, sizeof(*h));
	struct epoll_event ev = {.events = events};

	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->fn = fn;
	h->opaque = opaque;
	ev.data.ptr = h;
	pthread_mutex_lock(&l->lock);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		pthread_mutex_unlock(&l->lock);
		free(h);
		return e;
	}
	h->next = l->handlers;
	l->handlers = h;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

int loop_del_fd(struct event_loop *l, int fd)
{
	struct loop_handler **pp;

	pthread_mutex_lock(&l->lock);
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (pp = &l->handlers; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			/* The handler is disarmed (fn NULL) rather than freed: an event for it may
			 * already sit in the loop thread's batch. It is freed with the loop. */
			(*pp)->fn = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return 0;
}

int loop_poll_once(struct event_loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(l->epfd, evs, 32, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct loop_handler *h = evs[i].data.ptr;
		if (!h) {
			uint64_t v;
			if (read(l->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return -errno;
			continue;
		}
		if (h->fn)
			h->fn(h->opaque, evs[i].events);
	}
	return n;
}

static void *loop_thread(void *arg)
{
	struct event_loop *l = arg;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		if (loop_poll_once(l, -1) < 0)
			break;
	}
	return NULL;
}

int loop_start(struct event_loop *l)
{
	int e;

	l->stop = false;
	e = pthread_create(&l->thread, NULL, loop_thread, l);
	if (e)
		return -e;
	l->running = true;
	return 0;
}

void loop_stop(struct event_loop *l)
{
	uint64_t one = 1;

	if (!l->running)
		return;
	__atomic_store_n(&l->stop, true, __ATOMIC_RELEASE);
	if (write(l->wakefd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with one write per stop; nothing to do. */
	}
	pthread_join(l->thread, NULL);
	l->running = false;
}
