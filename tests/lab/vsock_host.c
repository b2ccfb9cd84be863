/* The host side of the lab's vsock check, run in the outer VM next to the inner gasang
 * (--vsock CID,uds=UDS), Firecracker style:
 *   vsock_host UDS HOSTPORT GUESTPORT TOKEN TIMEOUT_S [TCPPORT]
 * - guest to host: listens on the Unix socket UDS_HOSTPORT, answers the first connection's
 *   message M with "host-saw-M" and prints "vsock-host: guest said M";
 * - host to guest: connects to UDS, sends "CONNECT GUESTPORT\n", expects "OK <port>\n" (retrying
 *   until the guest listens), sends TOKEN and prints "vsock-host: echo <what came back>".
 * - then with TCPPORT (a --net user hostfwd port): connects to 127.0.0.1:TCPPORT (retrying until
 *   the guest's server answers) and prints "tcp-host: got <first line>".
 * Gives up after TIMEOUT_S seconds; exit status 0 when everything worked. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int unix_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -1;
	strcpy(a->sun_path, path);
	return 0;
}

static int serve(const char *path)
{
	struct sockaddr_un a;
	char buf[256];
	ssize_t n;
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c;

	unlink(path);
	if (unix_addr(&a, path) || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1)) {
		perror("vsock-host: listen");
		return 1;
	}
	c = accept(l, NULL, NULL);
	n = c < 0 ? -1 : read(c, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	printf("vsock-host: guest said %s\n", buf);
	fflush(stdout);
	dprintf(c, "host-saw-%s", buf);
	close(c);
	return 0;
}

/* One attempt at the host-to-guest direction: 0 done, 1 retry later. */
static int connect_guest(const char *path, const char *port, const char *token)
{
	struct sockaddr_un a;
	char line[64], back[256];
	size_t got = 0, want = strlen(token);
	int s = socket(AF_UNIX, SOCK_STREAM, 0), r = 1;

	if (unix_addr(&a, path) || connect(s, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	dprintf(s, "CONNECT %s\n", port);
	while (got < sizeof(line) - 1 && read(s, line + got, 1) == 1 && line[got] != '\n')
		got++;
	line[got] = 0;
	if (strncmp(line, "OK ", 3))
		goto out; /* refused: the guest is not listening yet */
	if (write(s, token, want) != (ssize_t)want)
		goto out;
	for (got = 0; got < want && got < sizeof(back) - 1;) {
		ssize_t n = read(s, back + got, want - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	back[got] = 0;
	printf("vsock-host: echo %s\n", back);
	r = 0;
out:
	close(s);
	return r;
}

/* One attempt at reading a line from the guest's TCP server through hostfwd: 0 done. */
static int tcp_fetch(const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	char line[128];
	size_t got = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0), r = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	while (got < sizeof(line) - 1 && read(s, line + got, 1) == 1 && line[got] != '\n')
		got++;
	line[got] = 0;
	if (got) {
		printf("tcp-host: got %s\n", line);
		r = 0;
	}
out:
	close(s);
	return r;
}

int main(int argc, char **argv)
{
	char path[200];
	pid_t child;
	int status, ok = 1;
	time_t end;

	if (argc != 6 && argc != 7) {
		fprintf(stderr,
			"usage: vsock_host UDS HOSTPORT GUESTPORT TOKEN TIMEOUT_S [TCPPORT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN); /* a refused attempt is a closed socket, then a retry */
	snprintf(path, sizeof(path), "%s_%s", argv[1], argv[2]);
	child = fork();
	if (child == 0) {
		alarm((unsigned)atoi(argv[5]));
		_exit(serve(path));
	}
	end = time(NULL) + atoi(argv[5]);
	while (time(NULL) < end && (ok = connect_guest(argv[1], argv[3], argv[4])))
		usleep(200 * 1000);
	if (ok)
		printf("vsock-host: the guest never accepted on port %s\n", argv[3]);
	if (argc == 7) {
		int t = 1;
		while (time(NULL) < end && (t = tcp_fetch(argv[6])))
			usleep(200 * 1000);
		if (t)
			printf("tcp-host: nothing from the guest on port %s\n", argv[6]);
		ok |= t;
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		ok = 1;
	printf("vsock-host: done rc=%d\n", ok);
	return ok;
}
