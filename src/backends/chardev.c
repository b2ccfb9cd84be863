#include "backends/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "machine/loop.h"

static struct chardev *tty_owner;

static void restore_at_exit(void)
{
	if (tty_owner)
		chardev_restore_tty(tty_owner);
}

int chardev_open(struct chardev *c, const char *spec)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->in_fd = -1;
	c->out_fd = -1;
	if (!spec || strcmp(spec, "stdio") == 0) {
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		return 0;
	}
	if (strcmp(spec, "none") == 0)
		return 0;
	if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
		c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c->out_fd < 0)
			return -errno;
		c->own_out = true;
		return 0;
	}
	return -EINVAL;
}

void chardev_restore_tty(struct chardev *c)
{
	if (c->tty_raw) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		c->tty_raw = false;
	}
}

static void on_input(void *opaque, uint32_t events);

static void watch(struct chardev *c, bool on)
{
	if (on == c->watching || !c->loop || c->in_fd < 0)
		return;
	c->watching = on;
	if (on)
		loop_add_fd(c->loop, c->in_fd, EPOLLIN, on_input, c);
	else
		loop_del_fd(c->loop, c->in_fd);
}

void chardev_push_input(struct chardev *c, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < len && c->head - c->tail < CHARDEV_RING; i++)
		c->ring[c->head++ % CHARDEV_RING] = buf[i];
	pthread_mutex_unlock(&c->lock);
	if (c->notify)
		c->notify(c->notify_opaque);
}

static void on_input(void *opaque, uint32_t events)
{
	struct chardev *c = opaque;
	uint8_t buf[512], out[512];
	size_t room, n_out = 0;
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	room = CHARDEV_RING - (c->head - c->tail);
	pthread_mutex_unlock(&c->lock);
	if (room == 0) {
		c->paused = true;
		watch(c, false); /* resumed by chardev_read() once the guest drains */
		return;
	}
	n = read(c->in_fd, buf, MIN(room, sizeof(buf)));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR) || (events & EPOLLHUP))
			watch(c, false); /* end of input: stop polling a dead fd */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t ch = buf[i];
		if (c->tty_raw && c->escape_pending) {
			c->escape_pending = false;
			if (ch == 'x' || ch == 'X') {
				if (c->quit)
					c->quit(c->quit_opaque);
				continue;
			}
			if (ch != 0x01)
				out[n_out++] = 0x01;
		} else if (c->tty_raw && ch == 0x01) {
			c->escape_pending = true;
			continue;
		}
		out[n_out++] = ch;
	}
	if (n_out)
		chardev_push_input(c, out, n_out);
}

int chardev_attach(struct chardev *c, struct event_loop *loop)
{
	c->loop = loop;
	if (c->in_fd < 0)
		return 0;
	if (isatty(c->in_fd) && tcgetattr(c->in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* keep the host's newline handling for our logs */
		if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0) {
			c->tty_raw = true;
			tty_owner = c;
			atexit(restore_at_exit);
		}
	}
	watch(c, true);
	return 0;
}

void chardev_close(struct chardev *c)
{
	watch(c, false);
	chardev_restore_tty(c);
	if (tty_owner == c)
		tty_owner = NULL;
	if (c->own_out && c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
}

void chardev_write(struct chardev *c, const void *buf, size_t len)
{
	if (c->out_fd < 0)
		return;
	if (write_all(c->out_fd, buf, len) < 0) {
		/* The reader went away (closed pipe): drop console output from now on. */
		c->out_fd = -1;
	}
}

size_t chardev_read(struct chardev *c, uint8_t *buf, size_t len)
{
	size_t n = 0;
	bool resume;

	pthread_mutex_lock(&c->lock);
	while (n < len && c->tail != c->head)
		buf[n++] = c->ring[c->tail++ % CHARDEV_RING];
	resume = c->paused && c->head - c->tail < CHARDEV_RING / 2;
	if (resume)
		c->paused = false;
	pthread_mutex_unlock(&c->lock);
	if (resume)
		watch(c, true);
	return n;
}

bool chardev_has_input(struct chardev *c)
{
	bool r;

	pthread_mutex_lock(&c->lock);
	r = c->head != c->tail;
	pthread_mutex_unlock(&c->lock);
	return r;
}
