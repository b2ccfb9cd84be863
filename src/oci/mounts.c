/* Mount setup inside the container's mount namespace. Destinations are resolved inside the
 * rootfs with openat2(RESOLVE_IN_ROOT), so a symlink in the image cannot send a mount to the
 * host; the mount then targets /proc/self/fd/N of that O_PATH descriptor. */
#include "oci/fmt.h"
#include "oci/mounts.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/cgroup.h"
#include "oci/spec.h"

#define ERR(r, ...) ((void)fmt(msg, len, __VA_ARGS__), (r))

static int openat_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* Creates every missing component of path under rootfd; the last one as a file if is_file. */
static int mkdir_in_root(int rootfd, const char *path, bool is_file, mode_t mode)
{
	char buf[PATH_MAX], *p, *slash;
	int dfd, r;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	/* Fast path, and the only one on read-only file systems: it already exists. */
	dfd = openat_in_root(rootfd, path, O_PATH);
	if (dfd >= 0) {
		close(dfd);
		return 0;
	}
	fmt(buf, sizeof(buf), "%s", path);
	for (p = buf; *p == '/'; p++)
		;
	dfd = openat_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return dfd;
	while (*p) {
		bool last;
		int nfd;
		slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		last = !slash || !slash[1 + strspn(slash + 1, "/")];
		if (!strcmp(p, "..") || !strcmp(p, ".")) {
			close(dfd);
			return -EINVAL;
		}
		if (last && is_file) {
			int f = openat(dfd, p, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
			if (f < 0 && errno != EISDIR && errno != ELOOP && errno != EEXIST &&
			    errno != ENXIO && errno != ETXTBSY && errno != EACCES) {
				r = -errno;
				close(dfd);
				return r;
			}
			if (f >= 0)
				close(f);
			break;
		}
		if (faccessat(dfd, p, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && mkdirat(dfd, p, mode) < 0 &&
		    errno != EEXIST) {
			r = -errno;
			close(dfd);
			return r;
		}
		/* Re-resolve through the root so a symlinked component stays inside it. */
		{
			char sub[PATH_MAX];
			size_t upto = (size_t)(p - buf) + strlen(p);
			fmt(sub, sizeof(sub), "%.*s", (int)upto, buf);
			nfd = openat_in_root(rootfd, sub, O_PATH | O_DIRECTORY);
		}
		close(dfd);
		if (nfd < 0)
			return nfd;
		dfd = nfd;
		if (!slash)
			break;
		for (p = slash + 1; *p == '/'; p++)
			;
	}
	close(dfd);
	return 0;
}

void mounts_parse_options(const char *const *opts, size_t n, struct mount_opts *o)
{
	static const struct {
		const char *name;
		bool clear;
		unsigned long flag;
	} flags[] = {
	    {"defaults", false, 0},
	    {"ro", false, MS_RDONLY},
	    {"rw", true, MS_RDONLY},
	    {"nosuid", false, MS_NOSUID},
	    {"suid", true, MS_NOSUID},
	    {"nodev", false, MS_NODEV},
	    {"dev", true, MS_NODEV},
	    {"noexec", false, MS_NOEXEC},
	    {"exec", true, MS_NOEXEC},
	    {"sync", false, MS_SYNCHRONOUS},
	    {"async", true, MS_SYNCHRONOUS},
	    {"dirsync", false, MS_DIRSYNC},
	    {"remount", false, MS_REMOUNT},
	    {"mand", false, MS_MANDLOCK},
	    {"nomand", true, MS_MANDLOCK},
	    {"atime", true, MS_NOATIME},
	    {"noatime", false, MS_NOATIME},
	    {"diratime", true, MS_NODIRATIME},
	    {"nodiratime", false, MS_NODIRATIME},
	    {"relatime", false, MS_RELATIME},
	    {"norelatime", true, MS_RELATIME},
	    {"strictatime", false, MS_STRICTATIME},
	    {"nostrictatime", true, MS_STRICTATIME},
	};
	static const struct {
		const char *name;
		unsigned long flag;
	} prop[] = {
	    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
	    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	/* Recursive variants (runtime spec 1.1), applied with mount_setattr(AT_RECURSIVE). */
	static const struct {
		const char *name;
		bool clear;
		unsigned long long attr;
	} rattr[] = {
	    {"rro", false, MOUNT_ATTR_RDONLY},	   {"rrw", true, MOUNT_ATTR_RDONLY},
	    {"rnosuid", false, MOUNT_ATTR_NOSUID}, {"rsuid", true, MOUNT_ATTR_NOSUID},
	    {"rnodev", false, MOUNT_ATTR_NODEV},   {"rdev", true, MOUNT_ATTR_NODEV},
	    {"rnoexec", false, MOUNT_ATTR_NOEXEC}, {"rexec", true, MOUNT_ATTR_NOEXEC},
	};
	size_t dl = 0;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < n; i++) {
		const char *s = opts[i];
		bool done = false;
		if (!strcmp(s, "bind") || !strcmp(s, "rbind")) {
			o->bind = true;
			o->rec |= s[0] == 'r';
			continue;
		}
		for (size_t j = 0; j < ARRAY_SIZE(flags) && !done; j++) {
			if (strcmp(s, flags[j].name))
				continue;
			done = true;
			if (flags[j].clear) {
				o->flags &= ~flags[j].flag;
				o->clear |= flags[j].flag;
			} else {
				o->flags |= flags[j].flag;
			}
		}
		for (size_t j = 0; j < ARRAY_SIZE(prop) && !done; j++) {
			if (!strcmp(s, prop[j].name)) {
				o->propagation |= prop[j].flag;
				done = true;
			}
		}
		for (size_t j = 0; j < ARRAY_SIZE(rattr) && !done; j++) {
			if (strcmp(s, rattr[j].name))
				continue;
			done = true;
			if (rattr[j].clear)
				o->rattr_clr |= rattr[j].attr;
			else
				o->rattr_set |= rattr[j].attr;
		}
		/* Options only a userspace tool understands, or that we do not support. */
		if (done || !strcmp(s, "tmpcopyup") || !strcmp(s, "idmap") ||
		    !strcmp(s, "ridmap") || !strncmp(s, "x-", 2) || !strcmp(s, "nocopyup") ||
		    !strcmp(s, "notmpcopyup"))
			continue;
		if (dl + strlen(s) + 2 < sizeof(o->data))
			dl += (size_t)fmt(o->data + dl, sizeof(o->data) - dl, "%s%s", dl ? "," : "",
					  s);
	}
}

static unsigned long statvfs_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

static int reopen(int rootfd, const char *dest, int *fd, char *target, size_t tlen);

static int mount_cgroup(int rootfd, int *fd, const struct oci_mount *m, char *target,
			const struct mount_opts *o, const char *cgpath, bool cgroupns, char *msg,
			size_t len)
{
	char src[PATH_MAX], sub[PATH_MAX], line[4096];
	unsigned long fl = (o->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	FILE *f;

	if (cgroup_mode() == CGROUP_V2) {
		if (cgroupns) {
			if (mount("cgroup2", target, "cgroup2", o->flags, NULL) < 0)
				return ERR(-errno, "mount cgroup2 on %s: %s", m->destination,
					   strerror(errno));
			return 0;
		}
		cgroup_dir("", cgpath, src, sizeof(src));
		if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			return ERR(-errno, "bind %s on %s: %s", src, m->destination,
				   strerror(errno));
		return 0;
	}
	if (mount("tmpfs", target, "tmpfs", fl, "mode=755") < 0)
		return ERR(-errno, "mount tmpfs on %s: %s", m->destination, strerror(errno));
	if (reopen(rootfd, m->destination, fd, target, 64))
		return ERR(-EIO, "reopen %s: %s", m->destination, strerror(errno));
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return ERR(-errno, "mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char root[1024], mnt[1024], fstype[64], msrc[256], sopts[1024], *dash, *base;
		char opts[1024] = "";
		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*d %*d %*s %1023s %1023s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s %255s %1023s", fstype, msrc, sopts) != 3)
			continue;
		/* root is relative to our cgroup namespace ("/.."): not checked. */
		if (strncmp(mnt, "/sys/fs/cgroup/", 15) ||
		    (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2")))
			continue;
		base = mnt + 15;
		fmt(sub, sizeof(sub), "%s/%s", target, base);
		if (mkdir(sub, 0755) < 0 && errno != EEXIST)
			continue;
		for (char *t = strtok(sopts, ","); t; t = strtok(NULL, ","))
			if (strcmp(t, "rw") && strcmp(t, "ro"))
				fmt(opts + strlen(opts), sizeof(opts) - strlen(opts), "%s%s",
				    opts[0] ? "," : "", t);
		if (cgroupns) {
			if (mount("cgroup", sub, fstype, fl | (o->flags & MS_RDONLY), opts) == 0)
				continue;
		}
		fmt(src, sizeof(src), "%s%s", mnt, cgpath);
		if (mount(src, sub, NULL, MS_BIND | MS_REC, NULL) < 0) {
			fclose(f);
			return ERR(-errno, "bind %s: %s", src, strerror(errno));
		}
		if (o->flags & MS_RDONLY)
			mount(NULL, sub, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | fl, NULL);
	}
	fclose(f);
	if (o->flags & MS_RDONLY)
		mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755");
	return 0;
}

/* A path through an O_PATH fd names what was there before a mount on top of it: after
 * mounting, open the destination again to reach the new mount. */
static int reopen(int rootfd, const char *dest, int *fd, char *target, size_t tlen)
{
	int nfd = openat_in_root(rootfd, dest, O_PATH);

	if (nfd < 0)
		return -1;
	close(*fd);
	*fd = nfd;
	fmt(target, tlen, "/proc/self/fd/%d", nfd);
	return 0;
}

static int do_mount(int rootfd, const struct oci_mount *m, bool userns, const char *cgpath,
		    bool cgroupns, char *msg, size_t len)
{
	struct mount_opts o;
	const char *type = m->type ? m->type : "";
	bool is_file = false;
	char target[64];
	struct stat st;
	int fd, r;

	mounts_parse_options(m->options, m->noptions, &o);
	if (!strcmp(type, "bind"))
		o.bind = true;
	if (o.bind) {
		if (!m->source)
			return ERR(-EINVAL, "mount %s: bind mount without source", m->destination);
		if (stat(m->source, &st) < 0)
			return ERR(-errno, "mount source %s: %s", m->source, strerror(errno));
		is_file = !S_ISDIR(st.st_mode);
	}
	r = mkdir_in_root(rootfd, m->destination, is_file, 0755);
	if (r)
		return ERR(r, "mkdir %s in rootfs: %s", m->destination, strerror(-r));
	fd = openat_in_root(rootfd, m->destination, O_PATH);
	if (fd < 0)
		return ERR(fd, "open %s in rootfs: %s", m->destination, strerror(-fd));
	fmt(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (o.bind) {
		r = mount(m->source, target, NULL, MS_BIND | (o.rec ? MS_REC : 0), NULL);
		if (r == 0)
			r = reopen(rootfd, m->destination, &fd, target, sizeof(target));
		if (r == 0 && (o.flags & ~(MS_REMOUNT)))
			r = mount(NULL, target, NULL,
				  MS_BIND | MS_REMOUNT | o.flags |
				      (statvfs_flags(target) & ~MS_RDONLY & ~o.clear),
				  NULL);
		if (r < 0)
			r = ERR(-errno, "bind mount %s on %s: %s", m->source, m->destination,
				strerror(errno));
	} else if (!strcmp(type, "cgroup")) {
		r = mount_cgroup(rootfd, &fd, m, target, &o, cgpath, cgroupns, msg, len);
	} else {
		r = mount(m->source ? m->source : type, target, type, o.flags,
			  o.data[0] ? o.data : NULL);
		if (r < 0 && !strcmp(type, "sysfs") && (errno == EPERM || errno == EBUSY) &&
		    userns) {
			/* sysfs needs a network namespace owned by our user namespace. */
			r = mount("/sys", target, NULL, MS_BIND | MS_REC, NULL);
		}
		if (r < 0 && !strcmp(type, "mqueue") && errno == EPERM && userns)
			r = mount("/dev/mqueue", target, NULL, MS_BIND | MS_REC, NULL);
		if (r < 0)
			r = ERR(-errno, "mount %s (%s) on %s: %s", m->source ? m->source : "none",
				type, m->destination, strerror(errno));
	}
	if (!r && (o.rattr_set || o.rattr_clr)) {
		struct mount_attr ma = {.attr_set = o.rattr_set, .attr_clr = o.rattr_clr};
		if (reopen(rootfd, m->destination, &fd, target, sizeof(target)) == 0 &&
		    mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) < 0)
			r = ERR(-errno, "recursive mount attributes of %s: %s", m->destination,
				strerror(errno));
	}
	if (!r && o.propagation && !o.bind)
		r = reopen(rootfd, m->destination, &fd, target, sizeof(target));
	if (!r && o.propagation && mount(NULL, target, NULL, o.propagation, NULL) < 0)
		r = ERR(-errno, "propagation of %s: %s", m->destination, strerror(errno));
	close(fd);
	return r;
}

struct devnode {
	const char *path;
	char type;
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static int make_device(int rootfd, const struct devnode *d, bool userns, char *msg, size_t len)
{
	char target[64];
	int fd, r;
	mode_t ftype = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

	if (!userns) {
		char parent[PATH_MAX];
		const char *name;
		char *slash;
		int dfd;
		fmt(parent, sizeof(parent), "%s", d->path);
		slash = strrchr(parent, '/');
		name = d->path + (slash - parent) + 1;
		*slash = 0;
		if ((r = mkdir_in_root(rootfd, parent[0] ? parent : "/", false, 0755)))
			return ERR(r, "mkdir for %s: %s", d->path, strerror(-r));
		dfd = openat_in_root(rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY);
		if (dfd < 0)
			return ERR(dfd, "open parent of %s: %s", d->path, strerror(-dfd));
		unlinkat(dfd, name, 0);
		r = mknodat(dfd, name, ftype | (d->mode & 07777), makedev(d->major, d->minor));
		if (r < 0)
			r = ERR(-errno, "mknod %s: %s", d->path, strerror(errno));
		else if (fchownat(dfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
			r = ERR(-errno, "chown %s: %s", d->path, strerror(errno));
		else
			fchmodat(dfd, name, d->mode & 07777, 0);
		close(dfd);
		return r;
	}
	/* In a user namespace mknod is not allowed: bind the host's node instead. */
	r = mkdir_in_root(rootfd, d->path, true, 0755);
	if (r)
		return ERR(r, "create %s: %s", d->path, strerror(-r));
	fd = openat_in_root(rootfd, d->path, O_PATH);
	if (fd < 0)
		return ERR(fd, "open %s: %s", d->path, strerror(-fd));
	fmt(target, sizeof(target), "/proc/self/fd/%d", fd);
	r = mount(d->path, target, NULL, MS_BIND, NULL);
	close(fd);
	if (r < 0)
		return ERR(-errno, "bind %s: %s", d->path, strerror(errno));
	return 0;
}

static bool has_mount(const struct oci_spec *spec, const char *dest)
{
	for (size_t i = 0; i < spec->nmounts; i++)
		if (!strcmp(spec->mounts[i].destination, dest))
			return true;
	return false;
}

static bool dev_is_bind(const struct oci_spec *spec)
{
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		if (strcmp(m->destination, "/dev"))
			continue;
		if (m->type && !strcmp(m->type, "bind"))
			return true;
		for (size_t j = 0; j < m->noptions; j++)
			if (!strcmp(m->options[j], "bind") || !strcmp(m->options[j], "rbind"))
				return true;
	}
	return false;
}

static int setup_dev(int rootfd, const struct oci_spec *spec, bool userns, char *msg, size_t len)
{
	static const struct devnode defaults[] = {
	    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
	    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
	    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
	};
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	int r, dfd;

	if (dev_is_bind(spec))
		return 0;
	if (has_mount(spec, "/dev")) {
		for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
			if ((r = make_device(rootfd, &defaults[i], userns, msg, len)))
				return r;
	}
	for (size_t i = 0; i < spec->ndevices; i++) {
		const struct oci_device *d = &spec->devices[i];
		struct devnode n = {d->path,
				    d->type == 'u' ? 'c' : d->type,
				    (unsigned)d->major,
				    (unsigned)d->minor,
				    d->has_mode ? d->mode : 0666,
				    d->uid,
				    d->gid};
		if ((r = make_device(rootfd, &n, userns, msg, len)))
			return r;
	}
	if (!has_mount(spec, "/dev"))
		return 0;
	dfd = openat_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return ERR(dfd, "open /dev in rootfs: %s", strerror(-dfd));
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		symlinkat(links[i][0], dfd, links[i][1]);
	if (has_mount(spec, "/dev/pts")) {
		unlinkat(dfd, "ptmx", 0);
		symlinkat("pts/ptmx", dfd, "ptmx");
	}
	if (access("/proc/kcore", F_OK) == 0)
		symlinkat("/proc/kcore", dfd, "core");
	close(dfd);
	return 0;
}

static unsigned long propagation_flag(const char *s)
{
	struct mount_opts o;
	const char *opts[1] = {s};

	mounts_parse_options(opts, 1, &o);
	return o.propagation;
}

int mounts_setup(const struct oci_spec *spec, const char *rootfs, bool userns,
		 const char *cgroup_path, bool cgroupns, int (*before_cgroup)(void *), void *arg,
		 char *msg, size_t len)
{
	unsigned long prop = MS_SLAVE | MS_REC;
	int rootfd, r = 0;

	if (spec->rootfs_propagation)
		prop = propagation_flag(spec->rootfs_propagation);
	/* Keep our mounts from reaching the host; shared/rshared apply to "/" again later. */
	if (prop & MS_SHARED)
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return ERR(-errno, "make / %s: %s", spec->rootfs_propagation ?: "rslave",
			   strerror(errno));
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ERR(-errno, "bind rootfs %s: %s", rootfs, strerror(errno));
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ERR(-errno, "open rootfs %s: %s", rootfs, strerror(errno));
	for (size_t i = 0; i < spec->nmounts && !r; i++) {
		const char *type = spec->mounts[i].type;
		if (before_cgroup && type && !strcmp(type, "cgroup")) {
			if ((r = before_cgroup(arg)))
				break;
			before_cgroup = NULL;
		}
		r = do_mount(rootfd, &spec->mounts[i], userns, cgroup_path, cgroupns, msg, len);
	}
	if (!r)
		r = setup_dev(rootfd, spec, userns, msg, len);
	close(rootfd);
	return r;
}

int mounts_pivot(const char *rootfs, bool no_pivot, char *msg, size_t len)
{
	int oldroot, r = 0;

	if (chdir(rootfs) < 0)
		return ERR(-errno, "chdir %s: %s", rootfs, strerror(errno));
	if (no_pivot) {
		if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return ERR(-errno, "move rootfs to /: %s", strerror(errno));
		if (chroot(".") < 0)
			return ERR(-errno, "chroot: %s", strerror(errno));
		return chdir("/") < 0 ? ERR(-errno, "chdir /: %s", strerror(errno)) : 0;
	}
	oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return ERR(-errno, "open /: %s", strerror(errno));
	/* pivot_root(".", ".") stacks the old root on top of the new one; detach it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		r = ERR(-errno, "pivot_root: %s", strerror(errno));
	else if (fchdir(oldroot) < 0)
		r = ERR(-errno, "fchdir: %s", strerror(errno));
	else if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		r = ERR(-errno, "make old root rslave: %s", strerror(errno));
	else if (umount2(".", MNT_DETACH) < 0)
		r = ERR(-errno, "unmount old root: %s", strerror(errno));
	close(oldroot);
	if (!r && chdir("/") < 0)
		r = ERR(-errno, "chdir /: %s", strerror(errno));
	return r;
}

int mounts_finalize(const struct oci_spec *spec, char *msg, size_t len)
{
	struct stat st;

	for (size_t i = 0; i < spec->nmasked; i++) {
		const char *p = spec->masked_paths[i];
		int r;
		if (stat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL);
		else
			r = mount("/dev/null", p, NULL, MS_BIND, NULL);
		if (r < 0)
			return ERR(-errno, "mask %s: %s", p, strerror(errno));
	}
	for (size_t i = 0; i < spec->nreadonly; i++) {
		const char *p = spec->readonly_paths[i];
		if (stat(p, &st) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | statvfs_flags(p),
			  NULL) < 0)
			return ERR(-errno, "make %s read-only: %s", p, strerror(errno));
	}
	if (spec->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | statvfs_flags("/"), NULL) < 0)
		return ERR(-errno, "make / read-only: %s", strerror(errno));
	if (spec->rootfs_propagation && (propagation_flag(spec->rootfs_propagation) & MS_SHARED) &&
	    mount(NULL, "/", NULL, propagation_flag(spec->rootfs_propagation), NULL) < 0)
		return ERR(-errno, "root propagation: %s", strerror(errno));
	return 0;
}
