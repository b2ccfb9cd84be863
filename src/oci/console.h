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
/* Receives a fd sent with console_send_fd(); returns it or -errno. */
int console_recv_fd(int sockfd);
/* Foreground terminal (run/exec --tty without --console-socket): copies our stdin to the pty
 * master and the master to our stdout (stdin raw while it is a terminal, window size
 * followed) until the container side closes. */
int console_proxy(int master);
/* Sends fd over a Unix socket with name as payload. */
int console_send_fd(int sockfd, int fd, const char *name);

#endif
