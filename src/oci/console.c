/* Console socket handling. */
#include "oci/fmt.h"
#include "oci/console.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
