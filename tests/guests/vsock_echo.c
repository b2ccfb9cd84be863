/* Guest program for the vsock system test: listens on AF_VSOCK port argv[1], prints
 * VSOCK-LISTENING, and echoes every connection's bytes back. Built static for the guest. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
/* after sys/socket.h, which it needs */
#include <linux/vm_sockets.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY};
	int l = socket(AF_VSOCK, SOCK_STREAM, 0);
	char buf[4096];

	sa.svm_port = argc > 1 ? (unsigned)atoi(argv[1]) : 1234;
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4)) {
		perror("vsock_echo");
		return 1;
	}
	printf("VSOCK-LISTENING\n");
	fflush(stdout);
	for (;;) {
		int c = accept(l, NULL, NULL);
		ssize_t n;
		if (c < 0)
			continue;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
}
