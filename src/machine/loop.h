/* The event loop: one thread that waits on epoll for device back ends, stdin, timers and
 * signals, and calls the handler registered for each ready fd. */
#ifndef GASANG_MACHINE_LOOP_H
#define GASANG_MACHINE_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*loop_fn)(void *opaque, uint32_t events);

struct loop_handler;

struct event_loop {
	int epfd;
	int wakefd; /* eventfd: loop_stop() and loop_call() wake the thread through it */
	pthread_t thread;
	bool running;
	bool stop;
	pthread_mutex_t lock;
	struct loop_handler *handlers;
};

int loop_init(struct event_loop *l);
void loop_free(struct event_loop *l);
/* Watches fd for events (EPOLLIN...); fn runs on the loop thread. Returns 0 or -errno. */
int loop_add_fd(struct event_loop *l, int fd, uint32_t events, loop_fn fn, void *opaque);
int loop_del_fd(struct event_loop *l, int fd);
/* Starts the loop thread. */
int loop_start(struct event_loop *l);
/* Asks the loop thread to return and joins it. Safe to call when it never started. */
void loop_stop(struct event_loop *l);
/* Runs one round of the loop on the caller's thread, waiting up to timeout_ms. */
int loop_poll_once(struct event_loop *l, int timeout_ms);

#endif
