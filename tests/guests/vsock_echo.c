/* Guest program for the vsock system test, built static for the guest.
 *   vsock_echo PORT [N]        listen on AF_VSOCK PORT, print VSOCK-LISTENING, echo every
 *                              connection's bytes back (exit after N connections when given)
 *   vsock_echo send PORT MSG   connect to the host (CID 2) on PORT, send MSG, print
 *                              VSOCK-REPLY:<what came back> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* after sys/socket.h, which it needs */
#include <linux/vm_sockets.h>

static int send_to_host(unsigned port, const char *msg)
{
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST};
	char buf[256];
	ssize_t n;
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);

	sa.svm_port = port;
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("vsock_echo: connect");
		return 1;
	}
	if (write(s, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return 1;
	n = read(s, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("VSOCK-REPLY:%s\n", buf);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY};
	char buf[4096];
	int l, left;

	left = argc == 3 ? atoi(argv[2]) : -1;
	if (argc == 4 && !strcmp(argv[1], "send"))
		return send_to_host((unsigned)atoi(argv[2]), argv[3]);
	l = socket(AF_VSOCK, SOCK_STREAM, 0);
	sa.svm_port = argc > 1 ? (unsigned)atoi(argv[1]) : 1234;
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4)) {
		perror("vsock_echo");
		return 1;
	}
	printf("VSOCK-LISTENING\n");
	fflush(stdout);
	while (left) {
		int c = accept(l, NULL, NULL);
		ssize_t n;
		if (c < 0)
			continue;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
		printf("VSOCK-ECHOED\n");
		fflush(stdout);
		if (left > 0)
			left--;
	}
	return 0;
}
