/* Character back end for consoles (UART, virtio-console): the terminal in raw mode, a file,
 * or nothing. Output is written synchronously; input is read on the event loop into a ring
 * that the device drains at its own pace (the device's FIFO is the flow control). */
#ifndef GASANG_BACKENDS_CHARDEV_H
#define GASANG_BACKENDS_CHARDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

struct event_loop;

#define CHARDEV_RING 65536

struct chardev {
	int in_fd;  /* -1 when there is no input */
	int out_fd; /* -1 discards output */
	bool own_out;
	bool tty_raw;
	struct termios saved;
	bool escape_pending; /* saw Ctrl-A on a raw terminal */
	bool watching;
	bool paused; /* input ring was full: stdin is not polled until it drains */
	struct event_loop *loop;
	pthread_mutex_t lock;
	uint8_t ring[CHARDEV_RING];
	size_t head, tail; /* head - tail bytes buffered */
	/* Called (on the loop thread) when new input is buffered. */
	void (*notify)(void *opaque);
	void *notify_opaque;
	/* Called when the user types the quit sequence (Ctrl-A x) on a raw terminal. */
	void (*quit)(void *opaque);
	void *quit_opaque;
};

/* spec: "stdio", "file:PATH" (output appended to PATH, no input) or "none".
 * Returns 0 or -errno; a bad spec is -EINVAL. */
int chardev_open(struct chardev *c, const char *spec);
/* Starts delivering input through the loop (puts a terminal into raw mode). */
int chardev_attach(struct chardev *c, struct event_loop *loop);
void chardev_close(struct chardev *c);
/* Restores the terminal; safe to call more than once and from atexit(). */
void chardev_restore_tty(struct chardev *c);
void chardev_write(struct chardev *c, const void *buf, size_t len);
/* Takes up to len buffered input bytes. Returns the count (0 when empty). */
size_t chardev_read(struct chardev *c, uint8_t *buf, size_t len);
bool chardev_has_input(struct chardev *c);
/* Appends bytes to the input ring as if typed (used by tests and by the loop). */
void chardev_push_input(struct chardev *c, const uint8_t *buf, size_t len);

#endif
