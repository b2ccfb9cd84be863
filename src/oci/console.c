/* Console socket handling. */
#include "oci/fmt.h"
#include "oci/console.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int console_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int console_send_fd(int sockfd, int fd, const char *name)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sockfd, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int console_setup(int sockfd, unsigned rows, unsigned cols, char *msg, size_t len)
{
	char name[64];
	int master, slave, r;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		r = -errno;
		fmt(msg, len, "open /dev/ptmx: %s", strerror(errno));
		return r;
	}
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name))) {
		r = -errno;
		fmt(msg, len, "pty: %s", strerror(errno));
		close(master);
		return r;
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		r = -errno;
		fmt(msg, len, "open %s: %s", name, strerror(errno));
		close(master);
		return r;
	}
	if (rows || cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows,
				     .ws_col = (unsigned short)cols};
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	/* /dev/console is the terminal too, as in runc (best effort: /dev may be read-only). */
	{
		int c = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (c >= 0) {
			close(c);
			mount(name, "/dev/console", NULL, MS_BIND, NULL);
		}
	}
	r = console_send_fd(sockfd, master, name);
	close(master);
	if (r) {
		fmt(msg, len, "sending pty to console socket: %s", strerror(-r));
		close(slave);
		return r;
	}
	if (setsid() < 0 && errno != EPERM) {
		r = -errno;
		fmt(msg, len, "setsid: %s", strerror(errno));
		close(slave);
		return r;
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		r = -errno;
		fmt(msg, len, "TIOCSCTTY: %s", strerror(errno));
		close(slave);
		return r;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0) {
			r = -errno;
			close(slave);
			return r;
		}
	if (slave > 2)
		close(slave);
	return 0;
}

int console_recv_fd(int sockfd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], name[128];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sockfd, &m, MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Copies what is readable on from to to; false at EOF or error. */
static bool pump(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		off += w;
	}
	return true;
}

int console_proxy(int master)
{
	struct termios saved, raw;
	bool tty = tcgetattr(STDIN_FILENO, &saved) == 0, in_open = true;
	sigset_t winch;
	int sfd;

	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		copy_winsize(master);
	}
	for (;;) {
		struct pollfd p[3] = {{.fd = master, .events = POLLIN},
				      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(master, STDOUT_FILENO))
				break; /* EIO once the last slave fd is closed */
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(STDIN_FILENO, master))
				in_open = false;
		}
		if (sfd >= 0 && (p[2].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0)
				copy_winsize(master);
		}
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_UNBLOCK, &winch, NULL);
	return 0;
}
