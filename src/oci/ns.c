/* Namespace creation and joining. */
#include "oci/fmt.h"
#include "oci/ns.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/spec.h"

int ns_clone_flags(const struct oci_spec *spec)
{
	int flags = 0;

	for (size_t i = 0; i < spec->nnamespaces; i++) {
		const struct oci_namespace *ns = &spec->namespaces[i];
		if (ns->path || ns->type == CLONE_NEWCGROUP || ns->type == CLONE_NEWTIME)
			continue;
		flags |= ns->type;
	}
	return flags;
}

static int join(const struct oci_namespace *ns, char *msg, size_t len)
{
	int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0) {
		r = -errno;
		fmt(msg, len, "open %s namespace %s: %s", spec_ns_name(ns->type), ns->path,
		    strerror(errno));
		return r;
	}
	if (setns(fd, ns->type) < 0) {
		r = -errno;
		fmt(msg, len, "setns %s namespace %s: %s", spec_ns_name(ns->type), ns->path,
		    strerror(errno));
	}
	close(fd);
	return r;
}

int ns_prepare_parent(const struct oci_spec *spec, char *msg, size_t len)
{
	const struct oci_namespace *pid = spec_namespace(spec, CLONE_NEWPID);
	const struct oci_namespace *tm = spec_namespace(spec, CLONE_NEWTIME);
	int r;

	if (pid && pid->path && (r = join(pid, msg, len)))
		return r;
	if (tm && tm->path)
		return join(tm, msg, len);
	if (tm) {
		char buf[128];
		int fd;
		if (unshare(CLONE_NEWTIME) < 0) {
			r = -errno;
			fmt(msg, len, "unshare time namespace: %s", strerror(errno));
			return r;
		}
		if (!spec->has_time_offsets)
			return 0;
		fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		fmt(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
		    (long long)spec->monotonic_secs, spec->monotonic_nsecs,
		    (long long)spec->boottime_secs, spec->boottime_nsecs);
		r = write_all(fd, buf, strlen(buf));
		close(fd);
		if (r)
			fmt(msg, len, "timens_offsets: %s", strerror(-r));
		return r;
	}
	return 0;
}

int ns_join_paths(const struct oci_spec *spec, char *msg, size_t len)
{
	const struct oci_namespace *user = spec_namespace(spec, CLONE_NEWUSER);
	int r;

	if (user && user->path && (r = join(user, msg, len)))
		return r;
	for (size_t i = 0; i < spec->nnamespaces; i++) {
		const struct oci_namespace *ns = &spec->namespaces[i];
		if (!ns->path || ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID ||
		    ns->type == CLONE_NEWTIME)
			continue;
		if ((r = join(ns, msg, len)))
			return r;
	}
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n)
{
	char path[64], buf[4096];
	size_t off = 0;
	int fd, r;

	for (size_t i = 0; i < n && off < sizeof(buf); i++)
		off += (size_t)fmt(buf + off, sizeof(buf) - off, "%u %u %u\n", m[i].container_id,
				   m[i].host_id, m[i].size);
	if (off >= sizeof(buf))
		return -E2BIG;
	fmt(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, buf, off) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int ns_write_idmaps(const struct oci_spec *spec, pid_t pid, char *msg, size_t len)
{
	const struct oci_namespace *user = spec_namespace(spec, CLONE_NEWUSER);
	int r;

	if (!user || user->path)
		return 0;
	if (spec->nuid_maps && (r = write_map(pid, "uid_map", spec->uid_maps, spec->nuid_maps))) {
		fmt(msg, len, "writing uid_map: %s", strerror(-r));
		return r;
	}
	if (spec->ngid_maps && (r = write_map(pid, "gid_map", spec->gid_maps, spec->ngid_maps))) {
		fmt(msg, len, "writing gid_map: %s", strerror(-r));
		return r;
	}
	return 0;
}

int ns_join_pid(pid_t pid, int *joined, char *msg, size_t len)
{
	static const struct {
		const char *name;
		int type;
	} order[] = {
	    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
	    {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
	    {"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS},
	};
	int fds[ARRAY_SIZE(order)];
	int r = 0;

	*joined = 0;
	/* Open them all first: once in the container's mount namespace, /proc is theirs. */
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char p[64], self[64];
		struct stat a, b;
		fds[i] = -1;
		fmt(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, order[i].name);
		fmt(self, sizeof(self), "/proc/self/ns/%s", order[i].name);
		if (stat(p, &a) < 0 || stat(self, &b) < 0)
			continue;
		if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (fds[i] < 0)
			continue;
		if (!r && setns(fds[i], order[i].type) < 0) {
			r = -errno;
			fmt(msg, len, "setns %s: %s", order[i].name, strerror(errno));
		} else if (!r) {
			*joined |= order[i].type;
		}
		close(fds[i]);
	}
	return r;
}
