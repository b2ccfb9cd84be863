/* Per-container state files. */
#include "oci/fmt.h"
#include "oci/state.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/cgroup.h"

bool state_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int state_dir_create(const char *root, const char *id, char *dir, size_t len)
{
	char tmp[PATH_MAX];

	/* mkdir -p: clients such as containerd pass roots that do not exist yet. */
	if (fmt(tmp, sizeof(tmp), "%s", root) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0711) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)fmt(dir, len, "%s/%s", root, id) >= len)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0711) < 0)
		return -errno;
	return 0;
}

int state_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX + 16];
	int fd, r;

	fmt(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int state_save(const struct oci_state *st)
{
	char path[PATH_MAX + 16];
	json_t *j = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:i}", "id", st->id, "pid",
			      (int)st->pid, "pid_start", (json_int_t)st->pid_start, "bundle",
			      st->bundle, "rootfs", st->rootfs, "cgroup", st->cgroup, "created",
			      st->created, "owner", (int)st->owner);
	char *s;
	int r;

	if (!j)
		return -ENOMEM;
	if (st->config)
		json_object_set(j, "config", st->config);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return -ENOMEM;
	fmt(path, sizeof(path), "%s/state.json", st->dir);
	r = state_write_atomic(path, s, strlen(s));
	free(s);
	return r;
}

static void copy_str(char *dst, size_t len, json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	fmt(dst, len, "%s", v ? v : "");
}

int state_load(const char *root, const char *id, struct oci_state *st)
{
	char path[PATH_MAX + 300];
	json_error_t je;
	json_t *j;

	memset(st, 0, sizeof(*st));
	if (!state_id_valid(id))
		return -ENOENT;
	fmt(st->dir, sizeof(st->dir), "%s/%s", root, id);
	fmt(path, sizeof(path), "%s/state.json", st->dir);
	j = json_load_file(path, 0, &je);
	if (!j) {
		if (access(st->dir, F_OK) == 0) {
			/* A create in progress or one that died before saving state. */
			fmt(st->id, sizeof(st->id), "%s", id);
			return -EAGAIN;
		}
		return -ENOENT;
	}
	copy_str(st->id, sizeof(st->id), j, "id");
	copy_str(st->bundle, sizeof(st->bundle), j, "bundle");
	copy_str(st->rootfs, sizeof(st->rootfs), j, "rootfs");
	copy_str(st->cgroup, sizeof(st->cgroup), j, "cgroup");
	copy_str(st->created, sizeof(st->created), j, "created");
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->pid_start = (uint64_t)json_integer_value(json_object_get(j, "pid_start"));
	st->owner = (uid_t)json_integer_value(json_object_get(j, "owner"));
	st->config = json_incref(json_object_get(j, "config"));
	json_decref(j);
	return 0;
}

void state_release(struct oci_state *st)
{
	if (st->config)
		json_decref(st->config);
	st->config = NULL;
}

int state_remove(const struct oci_state *st)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return rmdir(st->dir) < 0 ? -errno : 0;
}

int state_pid_start(pid_t pid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	fmt(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return -ESRCH;
	/* Field 3 is the state; flags is field 9 and starttime field 22. */
	for (int i = 0; i < 19 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
		if (p && i == 5) {
			unsigned long flags = strtoul(p, NULL, 10);
			/* PF_EXITING: a pid-namespace init waiting for its children is gone
			 * for our purposes. */
			if (flags & 0x4)
				return -ESRCH;
		}
	}
	if (!p || sscanf(p, "%llu", &v) != 1)
		return -EINVAL;
	*start = v;
	return 0;
}

bool state_pid_alive(const struct oci_state *st)
{
	uint64_t s;

	if (state_pid_start(st->pid, &s))
		return false;
	return s == st->pid_start;
}

void state_fifo_path(const struct oci_state *st, char *buf, size_t len)
{
	fmt(buf, len, "%s/exec.fifo", st->dir);
}

enum oci_status state_status(const struct oci_state *st)
{
	char fifo[PATH_MAX + 16];

	if (!state_pid_alive(st))
		return STATUS_STOPPED;
	state_fifo_path(st, fifo, sizeof(fifo));
	if (access(fifo, F_OK) == 0)
		return STATUS_CREATED;
	if (st->cgroup[0] && cgroup_frozen(st->cgroup))
		return STATUS_PAUSED;
	return STATUS_RUNNING;
}

const char *state_status_name(enum oci_status s)
{
	static const char *const n[] = {"creating", "created", "running", "paused", "stopped"};
	return n[s];
}

json_t *state_to_json(const struct oci_state *st, enum oci_status status)
{
	json_t *ann = st->config ? json_object_get(st->config, "annotations") : NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", "1.1.0", "id", st->id, "status",
			      state_status_name(status), "bundle", st->bundle);

	if (!j)
		return NULL;
	if (status != STATUS_STOPPED)
		json_object_set_new(j, "pid", json_integer(st->pid));
	else
		json_object_set_new(j, "pid", json_integer(0));
	json_object_set_new(j, "rootfs", json_string(st->rootfs));
	json_object_set_new(j, "created", json_string(st->created));
	json_object_set_new(j, "owner", json_string(st->owner == 0 ? "root" : ""));
	if (ann && json_is_object(ann))
		json_object_set(j, "annotations", ann);
	return j;
}
