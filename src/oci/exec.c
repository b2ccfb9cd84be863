/* exec: a new process inside a running container. We join the container's cgroup and
 * namespaces (the pid and time namespaces apply to children), then fork the process, which
 * sets itself up like the init does and reports a failure before exec through a CLOEXEC
 * pipe: an empty read means the exec happened. */
#include "oci/fmt.h"
#include "oci/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/cgroup.h"
#include "oci/console.h"
#include "oci/ns.h"
#include "oci/process.h"

#define ERR(r, ...) ((void)fmt(msg, len, __VA_ARGS__), (r))

static pid_t exec_child;

static void forward_signal(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

/* Builds the process: --process FILE, or the container's process with args replaced. */
static int exec_process(struct oci_spec *spec, const struct exec_opts *o, struct oci_process *p,
			char *msg, size_t len)
{
	char err[512];
	int r;

	if (o->process_file) {
		json_error_t je;
		json_t *j = json_load_file(o->process_file, 0, &je);
		if (!j)
			return ERR(-EINVAL, "process file %s: %s", o->process_file, je.text);
		/* The spec's arena must keep j's strings alive: hand it to the spec. */
		json_object_set_new(spec->json, "gasang.exec.process", j);
		r = spec_parse_process_json(j, spec, p, err, sizeof(err));
		if (r)
			return ERR(r, "process file %s: %s", o->process_file, err);
	} else {
		*p = spec->process;
		p->args = o->args;
		p->nargs = o->nargs;
		p->terminal = o->tty;
	}
	if (o->tty_set)
		p->terminal = o->tty;
	if (!p->nargs)
		return ERR(-EINVAL, "exec: args must not be empty");
	if (o->cwd)
		p->cwd = o->cwd;
	if (o->user) {
		unsigned u, g = 0;
		int n = sscanf(o->user, "%u:%u", &u, &g);
		if (n < 1)
			return ERR(-EINVAL, "--user %s: expected UID[:GID]", o->user);
		p->uid = u;
		p->gid = n == 2 ? g : 0;
	}
	if (o->nenv) {
		size_t n = p->nenv + o->nenv;
		char **env = calloc(n + 1, sizeof(char *));
		size_t k = 0;
		if (!env)
			return -ENOMEM;
		for (size_t i = 0; i < p->nenv; i++) {
			size_t kl = strcspn(p->env[i], "=");
			bool over = false;
			for (size_t j = 0; j < o->nenv; j++)
				over |= !strncmp(o->env[j], p->env[i], kl) && o->env[j][kl] == '=';
			if (!over)
				env[k++] = p->env[i];
		}
		for (size_t j = 0; j < o->nenv; j++)
			env[k++] = o->env[j];
		p->env = env;
		p->nenv = k;
	}
	return 0;
}

static int exec_run_child(struct oci_process *p, const struct oci_spec *spec,
			  const struct exec_opts *o, int csock, int errw)
{
	char msg[1024] = "", path[PATH_MAX];
	int r;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	r = process_lookup(p, path, sizeof(path));
	if (r == -ENOENT && !strchr(p->args[0], '/'))
		fmt(msg, sizeof(msg), "exec: \"%s\": executable file not found in $PATH",
		    p->args[0]);
	else if (r)
		fmt(msg, sizeof(msg), "exec: \"%s\": %s", p->args[0], strerror(-r));
	if (!r && csock >= 0) {
		r = console_setup(csock, p->console_height, p->console_width, msg, sizeof(msg));
		close(csock);
	}
	if (!r)
		r = process_prepare(p, spec->seccomp, msg, sizeof(msg));
	if (!r)
		process_exec(p, path, spec->seccomp, o->preserve_fds, msg, sizeof(msg));
	write_all(errw, msg, strlen(msg));
	_exit(127);
}

/* The helper: joins the cgroup and namespaces, forks the process (children enter the pid and
 * time namespaces), reports its pid, then waits for it (foreground) or leaves. */
static __attribute__((noreturn)) void exec_helper(struct oci_state *st, struct oci_process *p,
						  const struct oci_spec *spec,
						  const struct exec_opts *o, int csock, int errw,
						  int pidw)
{
	char msg[1024] = "";
	int joined, r, ws;
	pid_t pid;

	if (st->cgroup[0] && (r = cgroup_add_pid(st->cgroup, getpid()))) {
		fmt(msg, sizeof(msg), "joining cgroup: %s", strerror(-r));
		write_all(errw, msg, strlen(msg));
		_exit(1);
	}
	if ((r = ns_join_pid(st->pid, &joined, msg, sizeof(msg)))) {
		write_all(errw, msg, strlen(msg));
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fmt(msg, sizeof(msg), "fork: %s", strerror(errno));
		write_all(errw, msg, strlen(msg));
		_exit(1);
	}
	if (pid == 0) {
		close(pidw);
		exec_run_child(p, spec, o, csock, errw);
	}
	write_all(pidw, &pid, sizeof(pid));
	close(pidw);
	close(errw);
	if (csock >= 0)
		close(csock);
	if (o->detach)
		_exit(0);
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_IGN); /* the parent forwards signals to the process */
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
}

int container_exec(struct oci_state *st, const struct exec_opts *o, int *status, char *msg,
		   size_t len)
{
	struct oci_spec spec;
	struct oci_process p;
	enum oci_status s = state_status(st);
	char err[1024];
	int pipefd[2], pidpipe[2], csock = -1, pidfile_dir = AT_FDCWD, r, ws = 0;
	char *free_env = NULL;
	ssize_t n;
	pid_t pid = -1, helper;

	*status = 0;
	if (s == STATUS_STOPPED)
		return ERR(-EINVAL, "cannot exec in a stopped container");
	if (s == STATUS_PAUSED)
		return ERR(-EINVAL, "cannot exec in a paused container");
	if ((r = container_spec(st, &spec, msg, len)))
		return r;
	if ((r = exec_process(&spec, o, &p, msg, len)))
		goto out;
	if (p.env != spec.process.env && o->nenv)
		free_env = (char *)p.env;
	if (p.terminal && o->console_fd >= 0) {
		csock = dup(o->console_fd);
	} else if (p.terminal) {
		if (!o->console_socket) {
			r = ERR(-EINVAL, "exec --tty --detach needs --console-socket");
			goto out;
		}
		csock = console_connect(o->console_socket);
		if (csock < 0) {
			r = ERR(csock, "connect to console socket %s: %s", o->console_socket,
				strerror(-csock));
			goto out;
		}
	}
	/* The pid file: a handle on its directory, opened before anything else. */
	if (o->pid_file) {
		char dir[PATH_MAX];
		char *slash;
		fmt(dir, sizeof(dir), "%s", o->pid_file);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		pidfile_dir = open(slash ? (dir[0] ? dir : "/") : ".", O_DIRECTORY | O_CLOEXEC);
		if (pidfile_dir < 0) {
			r = ERR(-errno, "pid file directory: %s", strerror(errno));
			goto out;
		}
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0 || pipe2(pidpipe, O_CLOEXEC) < 0) {
		r = ERR(-errno, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	/* A helper joins the container (we stay outside: our pid file, our log, and
	 * sanitizers that cannot cope with a foreign pid namespace) and forks the process. */
	helper = fork();
	if (helper < 0) {
		r = ERR(-errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (helper == 0) {
		close(pipefd[0]);
		close(pidpipe[0]);
		exec_helper(st, &p, &spec, o, csock, pipefd[1], pidpipe[1]);
	}
	close(pipefd[1]);
	close(pidpipe[1]);
	if (csock >= 0)
		close(csock);
	n = read(pidpipe[0], &pid, sizeof(pid));
	close(pidpipe[0]);
	if (n != sizeof(pid))
		pid = -1;
	n = read(pipefd[0], err, sizeof(err) - 1);
	close(pipefd[0]);
	if (n > 0 || pid <= 0) {
		int ws;
		err[n > 0 ? n : 0] = 0;
		if (n <= 0)
			waitpid(helper, &ws, 0);
		r = ERR(-EIO, "%s", err[0] ? err : "exec: joining the container failed");
		if (n > 0)
			waitpid(helper, NULL, 0);
		goto out;
	}
	if (o->pid_file) {
		const char *base = strrchr(o->pid_file, '/');
		r = container_write_pidfile(pidfile_dir, base ? base + 1 : o->pid_file, pid);
		if (r) {
			r = ERR(r, "pid file %s: %s", o->pid_file, strerror(-r));
			goto out;
		}
	}
	if (o->relay >= 0) {
		int m = console_recv_fd(o->relay);
		if (m >= 0) {
			console_proxy(m);
			close(m);
		}
	}
	if (!o->detach) {
		exec_child = pid;
		for (int sig = 1; sig < 32; sig++)
			if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
				signal(sig, forward_signal);
	}
	/* The helper relays the exit status (foreground) or leaves at once (detach). */
	while (waitpid(helper, &ws, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (o->detach)
		*status = 0;
	r = 0;
out:
	if (pidfile_dir >= 0 && pidfile_dir != AT_FDCWD)
		close(pidfile_dir);
	free(free_env);
	spec_free(&spec);
	return r;
}
