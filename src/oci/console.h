/* Terminals: the pty master goes to the --console-socket with SCM_RIGHTS (runc protocol:
 * one message whose payload is the pty name and whose control data is the fd). */
#ifndef GASANG_OCI_CONSOLE_H
#define GASANG_OCI_CONSOLE_H

#include <stddef.h>

/* Connects to the console socket; returns the fd or -errno. */
int console_connect(const char *path);
/* In the container: allocates a pty from /dev/ptmx, sends the master over sockfd, makes the
 * slave the controlling terminal and stdin/stdout/stderr. */
int console_setup(int sockfd, unsigned rows, unsigned cols, char *msg, size_t len);
/* Sends fd over a Unix socket with name as payload. */
int console_send_fd(int sockfd, int fd, const char *name);

#endif
