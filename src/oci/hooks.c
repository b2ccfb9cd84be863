/* Hook execution: fork, state on a pipe to stdin, wait with an optional timeout. */
#include "oci/fmt.h"
#include "oci/hooks.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/spec.h"

static int wait_timeout(pid_t pid, int timeout, int *status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0 && timeout > 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int r;
		do
			r = poll(&p, 1, timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			close(pfd);
			return -ETIMEDOUT;
		}
	}
	if (pfd >= 0)
		close(pfd);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int run_one(const struct oci_hook *h, const char *state, char *msg, size_t len)
{
	char *const noargs[] = {(char *)h->path, NULL};
	char *const noenv[] = {NULL};
	int p[2], status = 0, r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL); /* gasang ignores it; hooks get the default */
		dup2(p[0], 0);
		execve(h->path, h->args && h->args[0] ? h->args : noargs, h->env ? h->env : noenv);
		dprintf(2, "gasang: hook %s: %s\n", h->path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	write_all(p[1], state, strlen(state)); /* a hook may not read it: ignore EPIPE */
	close(p[1]);
	r = wait_timeout(pid, h->timeout, &status);
	if (r == -ETIMEDOUT) {
		fmt(msg, len, "hook %s timed out after %d s", h->path, h->timeout);
		return r;
	}
	if (r)
		return r;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fmt(msg, len, "hook %s exited with status %d", h->path, WEXITSTATUS(status));
	else
		fmt(msg, len, "hook %s killed by signal %d", h->path, WTERMSIG(status));
	return -ECHILD;
}

int hooks_run(const struct oci_hook *hooks, size_t n, const char *state_json, char *msg, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		int r = run_one(&hooks[i], state_json, msg, len);
		if (r)
			return r;
	}
	return 0;
}
