/* create/start/kill/delete.
 *
 * create forks the init with clone(new namespaces). Parent and init talk over a
 * SOCK_SEQPACKET pair:
 *   parent -> init  'M'          cgroup joined, uid/gid maps written
 *   init -> parent  'H'          mounts done, before pivot_root: run prestart/createRuntime
 *   parent -> init  'G' + state  go on (the state JSON feeds createContainer/startContainer)
 *   init -> parent  'C'          fully set up, about to wait for start
 *   init -> parent  'E' + text   failed (the text becomes create's error message)
 * The init then blocks reading the exec fifo (<root>/<id>/exec.fifo), which it holds open
 * read-write so the read blocks until start writes one byte; start then unlinks the fifo,
 * which is also how "created" is told from "running". ("run" needs no fifo: the init waits
 * for an 'S' on the socket.)
 *
 * The init does not wait for 'M' before it mounts: joining the cgroup (one RCU grace period
 * per attach on cgroup v1) overlaps with the mount work; only the cgroup namespace and the
 * "cgroup" mount wait for it. With a new user namespace the maps are needed first. */
#include "oci/fmt.h"
#include "oci/container.h"

#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/cgroup.h"
#include "oci/console.h"
#include "oci/hooks.h"
#include "oci/mounts.h"
#include "oci/ns.h"
#include "oci/process.h"

#define ERR(r, ...) ((void)fmt(msg, len, __VA_ARGS__), (r))
#define MSG_MAX	    65536

struct init_ctx {
	const struct oci_spec *spec;
	const char *rootfs, *cgroup;
	int sync, fifo, console;
	int preserve_fds;
	bool no_pivot, userns, cgroupns, attached, sync_start;
	bool self_attach; /* join the v1 cgroups ourselves ("0" > tasks) */
};

/* Who puts the init into its cgroup. */
enum attach_mode {
	ATTACH_PARENT_ALL, /* the parent writes the pid everywhere (user namespaces) */
	ATTACH_PARENT_V2,  /* the init joins v1 itself, the parent writes the v2 pid */
	ATTACH_DONE_V2,	   /* the init joins v1 itself, clone3 placed it in v2 */
};

static int send_msg(int fd, char code, const char *payload)
{
	size_t n = payload ? strlen(payload) : 0;
	char *buf = malloc(n + 1);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	buf[0] = code;
	if (n)
		memcpy(buf + 1, payload, n);
	if (send(fd, buf, n + 1, MSG_NOSIGNAL) < 0)
		r = -errno;
	free(buf);
	return r;
}

/* Receives one message; returns its code, 0 on EOF, -errno on error. */
static int recv_msg(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = recv(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	buf[n] = 0;
	return (unsigned char)buf[0];
}

static void reset_signals(void)
{
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Waits until the parent has put us in our cgroup (and written our id maps). */
static int init_wait_attached(void *arg)
{
	struct init_ctx *c = arg;
	char m[16];

	if (c->attached)
		return 0;
	if (recv_msg(c->sync, m, sizeof(m)) != 'M')
		_exit(1); /* the parent gave up */
	c->attached = true;
	if (c->cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return -errno;
	return 0;
}

static int init_setup(struct init_ctx *c, char **state_json, char *msg, size_t len)
{
	const struct oci_spec *s = c->spec;
	char *buf = malloc(MSG_MAX);
	int r;

	if (!buf)
		return ERR(-ENOMEM, "out of memory");
	if (c->self_attach && (r = cgroup_attach_self_v1(c->cgroup))) {
		free(buf);
		return ERR(r, "joining cgroup %s: %s", c->cgroup, strerror(-r));
	}
	if (c->userns) {
		if ((r = init_wait_attached(c))) {
			free(buf);
			return ERR(r, "unshare cgroup namespace: %s", strerror(-r));
		}
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			free(buf);
			return ERR(-errno, "becoming root in the user namespace: %s",
				   strerror(errno));
		}
	}
	if ((r = ns_join_paths(s, msg, len))) {
		free(buf);
		return r;
	}
	r = mounts_setup(s, c->rootfs, c->userns, c->cgroup, c->cgroupns, init_wait_attached, c,
			 msg, len);
	if (!r && (r = init_wait_attached(c)))
		r = ERR(r, "unshare cgroup namespace: %s", strerror(-r));
	if (r) {
		free(buf);
		return r;
	}
	/* The parent's prestart/createRuntime hooks and the state JSON for ours: only when
	 * there are hooks (saves a round trip per container otherwise). */
	if (s->nhooks[HOOK_PRESTART] || s->nhooks[HOOK_CREATE_RUNTIME] ||
	    s->nhooks[HOOK_CREATE_CONTAINER] || s->nhooks[HOOK_START_CONTAINER]) {
		if (send_msg(c->sync, 'H', NULL) || recv_msg(c->sync, buf, MSG_MAX) != 'G') {
			free(buf);
			_exit(1);
		}
		*state_json = buf + 1;
	} else {
		free(buf);
		*state_json = "";
	}
	if ((r = hooks_run(s->hooks[HOOK_CREATE_CONTAINER], s->nhooks[HOOK_CREATE_CONTAINER],
			   *state_json, msg, len)))
		return r;
	if ((r = mounts_pivot(c->rootfs, c->no_pivot, msg, len)))
		return r;
	if (s->has_personality && personality(s->personality) < 0)
		return ERR(-errno, "personality: %s", strerror(errno));
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return ERR(-errno, "sethostname: %s", strerror(errno));
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return ERR(-errno, "setdomainname: %s", strerror(errno));
	/* sysctl before the read-only paths make /proc/sys read-only. */
	if ((r = process_sysctl(s, msg, len)) || (r = mounts_finalize(s, msg, len)))
		return r;
	if (c->console >= 0) {
		r = console_setup(c->console, s->process.console_height, s->process.console_width,
				  msg, len);
		close(c->console);
		if (r)
			return r;
	}
	return 0;
}

static __attribute__((noreturn)) void init_main(struct init_ctx *c)
{
	const struct oci_spec *s = c->spec;
	char msg[1024] = "", path[PATH_MAX];
	char *state = NULL;
	char b;
	int r;

	reset_signals();
	r = init_setup(c, &state, msg, sizeof(msg));
	if (!r) {
		r = process_lookup(&s->process, path, sizeof(path));
		if (r == -ENOENT && !strchr(s->process.args[0], '/'))
			fmt(msg, sizeof(msg), "exec: \"%s\": executable file not found in $PATH",
			    s->process.args[0]);
		else if (r)
			fmt(msg, sizeof(msg), "exec: \"%s\": %s", s->process.args[0], strerror(-r));
	}
	if (!r)
		r = process_prepare(&s->process, s->seccomp, msg, sizeof(msg));
	if (r) {
		send_msg(c->sync, 'E', msg[0] ? msg : strerror(-r));
		_exit(1);
	}
	send_msg(c->sync, 'C', NULL);
	if (c->sync_start) {
		if (recv_msg(c->sync, msg, sizeof(msg)) != 'S')
			_exit(1);
		close(c->sync);
	} else {
		close(c->sync);
		/* Blocks until "start" writes a byte (we hold the fifo read-write: no EOF). */
		do
			r = (int)read(c->fifo, &b, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(1);
		close(c->fifo);
	}
	if (hooks_run(s->hooks[HOOK_START_CONTAINER], s->nhooks[HOOK_START_CONTAINER], state, msg,
		      sizeof(msg))) {
		dprintf(2, "gasang: startContainer hook: %s\n", msg);
		_exit(1);
	}
	process_exec(&s->process, path, s->seccomp, c->preserve_fds, msg, sizeof(msg));
	dprintf(2, "gasang: %s\n", msg);
	_exit(127);
}

static int run_poststart(struct oci_state *st, char *msg, size_t len);

static char *state_str(const struct oci_state *st, enum oci_status status)
{
	json_t *j = state_to_json(st, status);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (j)
		json_decref(j);
	return s;
}

int container_write_pidfile(int dirfd, const char *path, pid_t pid)
{
	char tmp[PATH_MAX + 16], buf[32];
	int fd, r;

	fmt(tmp, sizeof(tmp), "%s.gasang-tmp", path);
	fmt(buf, sizeof(buf), "%d", (int)pid);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, strlen(buf));
	close(fd);
	if (!r && renameat(dirfd, tmp, dirfd, path) < 0)
		r = -errno;
	if (r)
		unlinkat(dirfd, tmp, 0);
	return r;
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fmt(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* The parent's half of create, after clone. */
static int create_parent(const struct oci_spec *spec, struct oci_state *st, pid_t pid, int sync,
			 enum attach_mode attach, char *msg, size_t len)
{
	char *buf = malloc(MSG_MAX), *js;
	int r, code;

	if (!buf)
		return ERR(-ENOMEM, "out of memory");
	st->pid = pid;
	if (attach == ATTACH_PARENT_ALL)
		r = cgroup_add_pid(st->cgroup, pid);
	else if (attach == ATTACH_PARENT_V2)
		r = cgroup_add_pid_v2(st->cgroup, pid);
	else
		r = 0;
	if (r) {
		free(buf);
		return ERR(r, "joining cgroup %s: %s", st->cgroup, strerror(-r));
	}
	if ((r = ns_write_idmaps(spec, pid, msg, len))) {
		free(buf);
		return r;
	}
	if (spec->process.has_oom_score_adj) {
		char p[64], v[16];
		int fd;
		fmt(p, sizeof(p), "/proc/%d/oom_score_adj", (int)pid);
		fmt(v, sizeof(v), "%d", spec->process.oom_score_adj);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			write_all(fd, v, strlen(v));
			close(fd);
		}
	}
	send_msg(sync, 'M', NULL);
	for (;;) {
		code = recv_msg(sync, buf, MSG_MAX);
		if (code == 'H') {
			js = state_str(st, STATUS_CREATING);
			r = hooks_run(spec->hooks[HOOK_PRESTART], spec->nhooks[HOOK_PRESTART], js,
				      msg, len);
			if (!r)
				r = hooks_run(spec->hooks[HOOK_CREATE_RUNTIME],
					      spec->nhooks[HOOK_CREATE_RUNTIME], js, msg, len);
			if (!r)
				r = send_msg(sync, 'G', js) ? ERR(-EIO, "init went away") : 0;
			free(js);
			if (r)
				break;
			continue;
		}
		if (code == 'C')
			r = 0;
		else if (code == 'E')
			r = ERR(-EIO, "%s", buf + 1);
		else
			r = ERR(-EIO, "container init exited unexpectedly");
		break;
	}
	free(buf);
	return r;
}

/* Forks the init with its new namespaces. Without a user namespace it joins its v1 cgroups
 * itself and clone3(CLONE_INTO_CGROUP) places it in the v2 one: no migration of another
 * process, whose global lock costs an RCU grace period on every container start. */
static pid_t clone_init(struct init_ctx *ic, int flags, enum attach_mode *attach)
{
	struct clone_args ca = {.flags = (uint64_t)flags, .exit_signal = SIGCHLD};
	int v2 = -1;
	pid_t pid;

	*attach = ATTACH_PARENT_ALL;
	ic->self_attach = false;
	if (!ic->userns) {
		ic->self_attach = true;
		*attach = ATTACH_PARENT_V2;
		v2 = cgroup_open_v2(ic->cgroup);
	}
	if (v2 >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)v2;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		close(v2);
		if (pid >= 0) {
			if (pid > 0)
				*attach = ATTACH_DONE_V2;
			return pid;
		}
	}
	return (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static int rootfs_path(const struct oci_spec *spec, const char *bundle, char *out, size_t len)
{
	char p[PATH_MAX];

	if (spec->root_path[0] == '/')
		fmt(p, sizeof(p), "%s", spec->root_path);
	else
		fmt(p, sizeof(p), "%s/%s", bundle, spec->root_path);
	if (!realpath(p, out))
		return -errno;
	(void)len;
	return 0;
}

int container_create(const struct create_opts *o, struct oci_state *st, char *msg, size_t len)
{
	struct oci_spec spec;
	struct init_ctx ic = {.sync = -1, .fifo = -1, .console = -1};
	char path[PATH_MAX + 32], err[512];
	int sp[2] = {-1, -1}, r, flags;
	bool made_dir = false, made_cg = false;
	enum attach_mode attach = ATTACH_PARENT_ALL;
	pid_t pid = -1;

	memset(st, 0, sizeof(*st));
	if (!state_id_valid(o->id))
		return ERR(-EINVAL, "invalid container id \"%s\"", o->id);
	if (!realpath(o->bundle ? o->bundle : ".", st->bundle))
		return ERR(-errno, "bundle %s: %s", o->bundle ? o->bundle : ".", strerror(errno));
	fmt(path, sizeof(path), "%s/config.json", st->bundle);
	r = spec_load(path, &spec, err, sizeof(err));
	if (r == -ENOENT)
		return ERR(r, "JSON specification file config.json not found");
	if (r)
		return ERR(r, "config.json: %s", err);
	if (!spec.has_process || !spec.process.nargs) {
		r = ERR(-EINVAL, "config.json: process.args: args must not be empty");
		goto out;
	}
	if (!spec_namespace(&spec, CLONE_NEWNS)) {
		r = ERR(-EINVAL, "config.json: linux.namespaces: a mount namespace is required");
		goto out;
	}
	if ((r = rootfs_path(&spec, st->bundle, st->rootfs, sizeof(st->rootfs)))) {
		r = ERR(r, "rootfs (%s) does not exist", spec.root_path);
		goto out;
	}
	if (spec.process.terminal && !o->console_socket && o->console_fd < 0) {
		r = ERR(-EINVAL, "cannot allocate tty if runc will detach without setting console "
				 "socket");
		goto out;
	}
	r = state_dir_create(o->root, o->id, st->dir, sizeof(st->dir));
	if (r == -EEXIST) {
		r = ERR(r, "container with id exists: %s", o->id);
		goto out;
	}
	if (r) {
		r = ERR(r, "state directory %s/%s: %s", o->root, o->id, strerror(-r));
		goto out;
	}
	made_dir = true;
	fmt(st->id, sizeof(st->id), "%s", o->id);
	now_rfc3339(st->created, sizeof(st->created));
	st->owner = getuid();
	st->config = json_incref(spec.json);
	state_fifo_path(st, path, sizeof(path));
	if (!o->sync_out && mkfifo(path, 0622) < 0) {
		r = ERR(-errno, "mkfifo %s: %s", path, strerror(errno));
		goto fail;
	}
	ic.fifo = o->sync_out ? -1 : open(path, O_RDWR | O_CLOEXEC);
	if (!o->sync_out && ic.fifo < 0) {
		r = ERR(-errno, "open %s: %s", path, strerror(errno));
		goto fail;
	}
	r = cgroup_resolve(spec.cgroups_path, o->id, st->cgroup, sizeof(st->cgroup));
	if (r == -EOPNOTSUPP) {
		r = ERR(r, "cgroupsPath \"%s\": systemd cgroups are not supported",
			spec.cgroups_path);
		goto fail;
	}
	if (r) {
		r = ERR(r, "config.json: linux.cgroupsPath: invalid path \"%s\"",
			spec.cgroups_path);
		goto fail;
	}
	if ((r = cgroup_create(st->cgroup, &spec.res, msg, len)))
		goto fail;
	made_cg = true;
	if (spec.process.terminal && o->console_fd >= 0) {
		ic.console = dup(o->console_fd);
	} else if (spec.process.terminal) {
		ic.console = console_connect(o->console_socket);
		if (ic.console < 0) {
			r = ERR(ic.console, "connect to console socket %s: %s", o->console_socket,
				strerror(-ic.console));
			goto fail;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = ERR(-errno, "socketpair: %s", strerror(errno));
		goto fail;
	}
	if ((r = ns_prepare_parent(&spec, msg, len)))
		goto fail;
	flags = ns_clone_flags(&spec);
	ic.spec = &spec;
	ic.rootfs = st->rootfs;
	ic.cgroup = st->cgroup;
	ic.sync = sp[1];
	ic.preserve_fds = o->preserve_fds;
	ic.no_pivot = o->no_pivot;
	ic.sync_start = o->sync_out != NULL;
	ic.userns = (flags & CLONE_NEWUSER) != 0;
	{
		const struct oci_namespace *cg = spec_namespace(&spec, CLONE_NEWCGROUP);
		ic.cgroupns = cg && !cg->path;
	}
	fflush(NULL);
	pid = clone_init(&ic, flags, &attach);
	if (pid < 0) {
		r = ERR(-errno, "clone: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close(sp[0]);
		init_main(&ic);
	}
	close(sp[1]);
	sp[1] = -1;
	if (ic.fifo >= 0)
		close(ic.fifo);
	ic.fifo = -1;
	if (ic.console >= 0) {
		close(ic.console);
		ic.console = -1;
	}
	if ((r = create_parent(&spec, st, pid, sp[0], attach, msg, len)))
		goto fail;
	if ((r = state_pid_start(pid, &st->pid_start))) {
		r = ERR(r, "container init exited unexpectedly");
		goto fail;
	}
	if ((r = state_save(st))) {
		r = ERR(r, "saving state: %s", strerror(-r));
		goto fail;
	}
	if (o->pid_file && (r = container_write_pidfile(AT_FDCWD, o->pid_file, pid))) {
		r = ERR(r, "pid file %s: %s", o->pid_file, strerror(-r));
		goto fail;
	}
	if (o->sync_out)
		*o->sync_out = sp[0];
	else
		close(sp[0]);
	spec_free(&spec);
	return 0;
fail:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (made_cg)
		cgroup_destroy(st->cgroup);
	if (made_dir)
		state_remove(st);
	for (int i = 0; i < 2; i++)
		if (sp[i] >= 0)
			close(sp[i]);
	if (ic.fifo >= 0)
		close(ic.fifo);
	if (ic.console >= 0)
		close(ic.console);
	state_release(st);
out:
	spec_free(&spec);
	return r;
}

int container_spec(const struct oci_state *st, struct oci_spec *spec, char *msg, size_t len)
{
	char err[512];
	char *s = st->config ? json_dumps(st->config, JSON_COMPACT) : NULL;
	int r;

	if (!s)
		return ERR(-EINVAL, "container %s has no saved configuration", st->id);
	r = spec_parse(s, spec, err, sizeof(err));
	free(s);
	if (r)
		return ERR(r, "saved config.json: %s", err);
	return 0;
}

int container_start(struct oci_state *st, char *msg, size_t len)
{
	char fifo[PATH_MAX + 16];
	enum oci_status s = state_status(st);
	int fd, r;

	if (s == STATUS_STOPPED)
		return ERR(-EINVAL, "cannot start a container that has stopped");
	if (s != STATUS_CREATED)
		return ERR(-EINVAL, "cannot start an already running container");
	state_fifo_path(st, fifo, sizeof(fifo));
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ERR(-errno, "open exec fifo: %s", strerror(errno));
	r = write(fd, "0", 1) == 1 ? 0 : -errno;
	close(fd);
	if (r)
		return ERR(r, "signalling the container init: %s", strerror(-r));
	unlink(fifo);
	return run_poststart(st, msg, len);
}

static int run_poststart(struct oci_state *st, char *msg, size_t len)
{
	struct oci_spec spec;
	int r = 0;

	if (container_spec(st, &spec, msg, len) == 0) {
		if (spec.nhooks[HOOK_POSTSTART]) {
			char *js = state_str(st, STATUS_RUNNING);
			r = hooks_run(spec.hooks[HOOK_POSTSTART], spec.nhooks[HOOK_POSTSTART], js,
				      msg, len);
			free(js);
		}
		spec_free(&spec);
	}
	return r;
}

int container_start_sync(struct oci_state *st, int sync, char *msg, size_t len)
{
	int r = send_msg(sync, 'S', NULL);

	close(sync);
	if (r)
		return ERR(r, "signalling the container init: %s", strerror(-r));
	return run_poststart(st, msg, len);
}

int container_kill(struct oci_state *st, int sig, bool all, char *msg, size_t len)
{
	enum oci_status s = state_status(st);

	if (s == STATUS_STOPPED && !all)
		return ERR(-ESRCH, "container not running");
	if (all && st->cgroup[0]) {
		pid_t *pids;
		size_t n;
		if (cgroup_pids(st->cgroup, &pids, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				kill(pids[i], sig);
			free(pids);
		}
		if (s == STATUS_PAUSED && (sig == SIGKILL || sig == SIGTERM))
			cgroup_freeze(st->cgroup, false);
		return 0;
	}
	if (kill(st->pid, sig) < 0)
		return ERR(-errno, "kill %d: %s", (int)st->pid, strerror(errno));
	return 0;
}

bool container_wait_gone(pid_t pid, uint64_t start, int timeout_ms)
{
	for (int i = 0; i < timeout_ms * 10; i++) {
		uint64_t s;
		if (state_pid_start(pid, &s) || s != start)
			return true;
		usleep(100);
	}
	return false;
}

int container_destroy(struct oci_state *st, char *msg, size_t len)
{
	struct oci_spec spec;
	bool have_spec = container_spec(st, &spec, msg, len) == 0;
	int r = 0;

	if (state_pid_alive(st)) {
		kill(st->pid, SIGKILL);
		if (st->cgroup[0] && cgroup_frozen(st->cgroup))
			cgroup_freeze(st->cgroup, false);
		container_wait_gone(st->pid, st->pid_start, 5000);
	}
	if (st->cgroup[0]) {
		pid_t *pids;
		size_t n;
		/* Without a pid namespace other processes may outlive the init. */
		if (cgroup_pids(st->cgroup, &pids, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
			free(pids);
		}
		if (cgroup_destroy(st->cgroup))
			r = ERR(-EBUSY, "removing cgroup %s: still busy", st->cgroup);
	}
	if (have_spec) {
		if (spec.nhooks[HOOK_POSTSTOP]) {
			char hmsg[512];
			char *js = state_str(st, STATUS_STOPPED);
			if (hooks_run(spec.hooks[HOOK_POSTSTOP], spec.nhooks[HOOK_POSTSTOP], js,
				      hmsg, sizeof(hmsg)))
				dprintf(2, "gasang: warning: poststop hook: %s\n", hmsg);
			free(js);
		}
		spec_free(&spec);
	}
	state_remove(st);
	return r;
}

int container_delete(const char *root, const char *id, bool force, char *msg, size_t len)
{
	struct oci_state st;
	enum oci_status s;
	int r = state_load(root, id, &st);

	if (r == -ENOENT)
		return force ? 0 : ERR(r, "container does not exist");
	if (r == -EAGAIN) {
		if (!force)
			return ERR(-EBUSY, "container %s is being created", id);
		state_remove(&st);
		return 0;
	}
	if (r)
		return ERR(r, "loading state of %s: %s", id, strerror(-r));
	s = state_status(&st);
	if ((s == STATUS_RUNNING || s == STATUS_PAUSED) && !force) {
		r = ERR(-EBUSY, "cannot delete container %s that is not stopped: %s", id,
			state_status_name(s));
		state_release(&st);
		return r;
	}
	r = container_destroy(&st, msg, len);
	state_release(&st);
	return r;
}
