/* Sockets under gasang exec (loopback only): a TCP echo between a forked server and the
 * client, UDP datagrams, socket options, and a file descriptor passed with SCM_RIGHTS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("FAIL line %d: %s\n", __LINE__, #c);                                \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static int tcp(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1, type = 0, s, c, status;
	char buf[64] = {0};

	s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s >= 0);
	CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(s, 1) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0 && a.sin_port != 0);
	len = sizeof(type);
	CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
	pid_t pid = fork();
	if (pid == 0) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		int conn = accept(s, (struct sockaddr *)&peer, &pl);
		ssize_t n = recv(conn, buf, sizeof(buf), 0);
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)(buf[i] ^ 0x20);
		send(conn, buf, (size_t)n, 0);
		_exit(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? 0 : 1);
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(send(c, "echo me", 7, 0) == 7);
	struct pollfd pfd = {.fd = c, .events = POLLIN};
	CHECK(poll(&pfd, 1, 5000) == 1);
	CHECK(recv(c, buf, sizeof(buf), 0) == 7);
	waitpid(pid, &status, 0);
	printf("tcp: %s server_ok=%d\n", buf, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(c);
	close(s);
	return 0;
}

static int udp(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in from;
	socklen_t len = sizeof(a), fl = sizeof(from);
	char buf[32] = {0};
	int r = socket(AF_INET, SOCK_DGRAM, 0), w = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(bind(r, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(r, (struct sockaddr *)&a, &len) == 0);
	CHECK(sendto(w, "dgram", 5, 0, (struct sockaddr *)&a, sizeof(a)) == 5);
	CHECK(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) == 5);
	printf("udp: %s from_loopback=%d\n", buf, from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	return 0;
}

static int pass_fd(void)
{
	int sv[2], p[2], got = -1;
	char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))], buf[8] = {0};
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	CHECK(sendmsg(sv[0], &m, 0) == 1);
	close(p[1]);
	memset(cbuf, 0, sizeof(cbuf));
	m.msg_controllen = sizeof(cbuf);
	CHECK(recvmsg(sv[1], &m, 0) == 1);
	c = CMSG_FIRSTHDR(&m);
	CHECK(c && c->cmsg_type == SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	CHECK(write(got, "via fd", 6) == 6);
	CHECK(read(p[0], buf, 6) == 6);
	printf("scm_rights: %s\n", buf);
	return 0;
}

static int epoll_eventfd(void)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL}, out[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), efd = eventfd(0, EFD_NONBLOCK);
	uint64_t v = 3;

	CHECK(ep >= 0 && efd >= 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
	CHECK(epoll_wait(ep, out, 4, 0) == 0);
	CHECK(write(efd, &v, sizeof(v)) == sizeof(v));
	memset(out, 0, sizeof(out));
	CHECK(epoll_wait(ep, out, 4, 1000) == 1);
	v = 0;
	CHECK(read(efd, &v, sizeof(v)) == sizeof(v));
	printf("epoll: events=%x data=%llx eventfd=%llu\n", out[0].events,
	       (unsigned long long)out[0].data.u64, (unsigned long long)v);
	return 0;
}

int main(void)
{
	if (tcp() || udp() || pass_fd() || epoll_eventfd())
		return 1;
	return 0;
}
