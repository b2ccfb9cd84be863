/* File and directory syscalls of the process VM. Guest file descriptors are host file
 * descriptors; paths are host paths (no chroot). Every guest buffer is bounds-checked with
 * uproc_ptr() before the host syscall sees it; structures whose riscv64 layout differs from
 * x86_64's (struct stat, struct statfs, termios) are converted field by field. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"
#include "base/util.h"

#define PATH_BUF      4096
#define IOV_MAX_GUEST 1024

/* struct stat of the riscv64 generic ABI (asm-generic/stat.h). */
struct rv_stat {
	uint64_t dev, ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t rdev, pad1;
	int64_t size;
	int32_t blksize, pad2;
	int64_t blocks;
	int64_t atime;
	uint64_t atime_nsec;
	int64_t mtime;
	uint64_t mtime_nsec;
	int64_t ctime;
	uint64_t ctime_nsec;
	uint32_t unused4, unused5;
};
_Static_assert(sizeof(struct rv_stat) == 128, "riscv64 struct stat is 128 bytes");

/* struct statfs of the riscv64 generic ABI (every word is a long). */
struct rv_statfs {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct rv_statfs) == 120, "riscv64 struct statfs is 120 bytes");

/* The kernel's struct termios (asm-generic/termbits.h), 36 bytes on riscv64 and x86_64. */
struct k_termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line;
	uint8_t cc[19];
};

/* Copies a guest path; returns 0 or a negative errno. */
static int get_path(struct uproc *p, uint64_t gva, char *buf)
{
	long n = uproc_strcpy(p, gva, buf, PATH_BUF);

	return n < 0 ? (int)n : 0;
}

static bool is_self_exe(const char *path)
{
	char mine[64];

	snprintf(mine, sizeof(mine), "/proc/%d/exe", getpid());
	return !strcmp(path, "/proc/self/exe") || !strcmp(path, "/proc/thread-self/exe") ||
	       !strcmp(path, mine);
}

int uproc_fs_self_exe(struct uproc *p, int dirfd, const char *path, char *out, size_t size)
{
	(void)dirfd;
	if (!is_self_exe(path))
		return 0;
	snprintf(out, size, "%s", p->exe);
	return 1;
}

/* The path a host syscall should use: /proc/self/exe names the guest program. */
static const char *host_path(struct uproc *p, const char *path)
{
	return is_self_exe(path) ? p->exe : path;
}

static int put_stat(struct uproc *p, uint64_t gva, const struct stat *st)
{
	struct rv_stat g = {
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .mode = st->st_mode,
	    .nlink = (uint32_t)st->st_nlink,
	    .uid = st->st_uid,
	    .gid = st->st_gid,
	    .rdev = st->st_rdev,
	    .size = st->st_size,
	    .blksize = (int32_t)st->st_blksize,
	    .blocks = st->st_blocks,
	    .atime = st->st_atim.tv_sec,
	    .atime_nsec = (uint64_t)st->st_atim.tv_nsec,
	    .mtime = st->st_mtim.tv_sec,
	    .mtime_nsec = (uint64_t)st->st_mtim.tv_nsec,
	    .ctime = st->st_ctim.tv_sec,
	    .ctime_nsec = (uint64_t)st->st_ctim.tv_nsec,
	};

	return uproc_write(p, gva, &g, sizeof(g));
}

SYSCALL(openat)
{
	char path[PATH_BUF];
	int ret = get_path(p, a[1], path);

	if (ret)
		return ret;
	return host_ret(openat(guest_fd(a[0]), host_path(p, path), (int)a[2], (mode_t)a[3]));
}

SYSCALL(close)
{
	int fd = guest_fd(a[0]);

	if (fd == p->vfork_fd)
		return -EBADF; /* gasang's own descriptor, invisible to the program */
	return host_ret(close(fd));
}

SYSCALL(read)
{
	void *buf = uproc_ptr(p, a[1], a[2]);

	return buf ? host_ret(read(guest_fd(a[0]), buf, a[2])) : -EFAULT;
}

SYSCALL(write)
{
	const void *buf = uproc_ptr(p, a[1], a[2]);

	return buf ? host_ret(write(guest_fd(a[0]), buf, a[2])) : -EFAULT;
}

SYSCALL(pread64)
{
	void *buf = uproc_ptr(p, a[1], a[2]);

	return buf ? host_ret(pread(guest_fd(a[0]), buf, a[2], (off_t)a[3])) : -EFAULT;
}

SYSCALL(pwrite64)
{
	const void *buf = uproc_ptr(p, a[1], a[2]);

	return buf ? host_ret(pwrite(guest_fd(a[0]), buf, a[2], (off_t)a[3])) : -EFAULT;
}

/* Translates a guest iovec array (same 16-byte layout, guest pointers) to host pointers. */
static int get_iov(struct uproc *p, uint64_t gva, uint64_t cnt, struct iovec *iov)
{
	uint64_t raw[2];

	if (cnt > IOV_MAX_GUEST)
		return -EINVAL;
	for (uint64_t i = 0; i < cnt; i++) {
		if (uproc_read(p, gva + i * 16, raw, sizeof(raw)))
			return -EFAULT;
		if (raw[1] > SSIZE_MAX)
			return -EINVAL;
		iov[i].iov_base = uproc_ptr(p, raw[0], raw[1]);
		iov[i].iov_len = raw[1];
		if (!iov[i].iov_base)
			return -EFAULT;
	}
	return 0;
}

SYSCALL(readv)
{
	struct iovec iov[IOV_MAX_GUEST];
	int ret = get_iov(p, a[1], a[2], iov);

	return ret ? ret : host_ret(readv(guest_fd(a[0]), iov, (int)a[2]));
}

SYSCALL(writev)
{
	struct iovec iov[IOV_MAX_GUEST];
	int ret = get_iov(p, a[1], a[2], iov);

	return ret ? ret : host_ret(writev(guest_fd(a[0]), iov, (int)a[2]));
}

SYSCALL(lseek)
{
	return host_ret(lseek(guest_fd(a[0]), (off_t)a[1], (int)a[2]));
}

SYSCALL(fstat)
{
	struct stat st;

	if (fstat(guest_fd(a[0]), &st))
		return -errno;
	return put_stat(p, a[1], &st);
}

SYSCALL(newfstatat)
{
	char path[PATH_BUF];
	struct stat st;
	int ret = get_path(p, a[1], path);

	if (ret)
		return ret;
	if (fstatat(guest_fd(a[0]), host_path(p, path), &st, (int)a[3]))
		return -errno;
	return put_stat(p, a[2], &st);
}

SYSCALL(statx)
{
	char path[PATH_BUF];
	/* struct statx has one layout on every architecture: 256 bytes. */
	void *buf = uproc_ptr(p, a[4], 256);
	int ret = get_path(p, a[1], path);

	if (ret)
		return ret;
	if (!buf)
		return -EFAULT;
	return host_ret(
	    syscall(SYS_statx, guest_fd(a[0]), host_path(p, path), (int)a[2], (unsigned)a[3], buf));
}

static int put_statfs(struct uproc *p, uint64_t gva, const struct statfs *s)
{
	struct rv_statfs g = {
	    .type = s->f_type,
	    .bsize = s->f_bsize,
	    .blocks = s->f_blocks,
	    .bfree = s->f_bfree,
	    .bavail = s->f_bavail,
	    .files = s->f_files,
	    .ffree = s->f_ffree,
	    .namelen = s->f_namelen,
	    .frsize = s->f_frsize,
	    .flags = s->f_flags,
	};

	memcpy(g.fsid, &s->f_fsid, sizeof(g.fsid));
	return uproc_write(p, gva, &g, sizeof(g));
}

SYSCALL(statfs)
{
	char path[PATH_BUF];
	struct statfs s;
	int ret = get_path(p, a[0], path);

	if (ret)
		return ret;
	if (statfs(host_path(p, path), &s))
		return -errno;
	return put_statfs(p, a[1], &s);
}

SYSCALL(fstatfs)
{
	struct statfs s;

	if (fstatfs(guest_fd(a[0]), &s))
		return -errno;
	return put_statfs(p, a[1], &s);
}

SYSCALL(getdents64)
{
	/* struct linux_dirent64 is architecture independent. */
	void *buf = uproc_ptr(p, a[1], a[2]);

	return buf ? host_ret(syscall(SYS_getdents64, guest_fd(a[0]), buf, (unsigned)a[2]))
		   : -EFAULT;
}

/* Syscalls of the form f(dirfd, path, int): mkdirat, unlinkat, faccessat. */
#define PATH_AT_CALL(fn, ...)                                                                      \
	({                                                                                         \
		char path_[PATH_BUF];                                                              \
		int r_ = get_path(p, a[1], path_);                                                 \
		r_ ? r_ : host_ret(fn(guest_fd(a[0]), host_path(p, path_), __VA_ARGS__));          \
	})

SYSCALL(mkdirat)
{
	return PATH_AT_CALL(mkdirat, (mode_t)a[2]);
}

SYSCALL(mknodat)
{
	return PATH_AT_CALL(mknodat, (mode_t)a[2], (dev_t)a[3]);
}

SYSCALL(unlinkat)
{
	return PATH_AT_CALL(unlinkat, (int)a[2]);
}

SYSCALL(faccessat)
{
	return PATH_AT_CALL(faccessat, (int)a[2], 0);
}

SYSCALL(faccessat2)
{
	return PATH_AT_CALL(faccessat, (int)a[2], (int)a[3]);
}

SYSCALL(fchmodat)
{
	return PATH_AT_CALL(fchmodat, (mode_t)a[2], 0);
}

SYSCALL(fchownat)
{
	return PATH_AT_CALL(fchownat, (uid_t)a[2], (gid_t)a[3], (int)a[4]);
}

SYSCALL(symlinkat)
{
	char target[PATH_BUF], path[PATH_BUF];
	int ret = get_path(p, a[0], target);

	if (!ret)
		ret = get_path(p, a[2], path);
	return ret ? ret : host_ret(symlinkat(target, guest_fd(a[1]), path));
}

static int64_t two_paths(struct uproc *p, const uint64_t *a, int op, uint64_t flags)
{
	char from[PATH_BUF], to[PATH_BUF];
	int ret = get_path(p, a[1], from);

	if (!ret)
		ret = get_path(p, a[3], to);
	if (ret)
		return ret;
	if (op == 'l')
		return host_ret(linkat(guest_fd(a[0]), from, guest_fd(a[2]), to, (int)flags));
	return host_ret(renameat2(guest_fd(a[0]), from, guest_fd(a[2]), to, (unsigned)flags));
}

SYSCALL(linkat)
{
	return two_paths(p, a, 'l', a[4]);
}

SYSCALL(renameat)
{
	return two_paths(p, a, 'r', 0);
}

SYSCALL(renameat2)
{
	return two_paths(p, a, 'r', a[4]);
}

SYSCALL(readlinkat)
{
	char path[PATH_BUF], self[PATH_BUF];
	char *buf = uproc_ptr(p, a[2], a[3]);
	int ret = get_path(p, a[1], path);
	size_t n;

	if (ret)
		return ret;
	if (!buf)
		return -EFAULT;
	if ((int64_t)a[3] <= 0)
		return -EINVAL;
	if (!uproc_fs_self_exe(p, guest_fd(a[0]), path, self, sizeof(self)))
		return host_ret(readlinkat(guest_fd(a[0]), path, buf, a[3]));
	n = MIN(strlen(self), a[3]);
	memcpy(buf, self, n);
	return (int64_t)n;
}

SYSCALL(getcwd)
{
	char *buf = uproc_ptr(p, a[0], a[1]);

	return buf ? host_ret(syscall(SYS_getcwd, buf, a[1])) : -EFAULT;
}

SYSCALL(chdir)
{
	char path[PATH_BUF];
	int ret = get_path(p, a[0], path);

	return ret ? ret : host_ret(chdir(path));
}

SYSCALL(fchdir)
{
	return host_ret(fchdir(guest_fd(a[0])));
}

SYSCALL(fchmod)
{
	return host_ret(fchmod(guest_fd(a[0]), (mode_t)a[1]));
}

SYSCALL(fchown)
{
	return host_ret(fchown(guest_fd(a[0]), (uid_t)a[1], (gid_t)a[2]));
}

SYSCALL(ftruncate)
{
	return host_ret(ftruncate(guest_fd(a[0]), (off_t)a[1]));
}

SYSCALL(truncate)
{
	char path[PATH_BUF];
	int ret = get_path(p, a[0], path);

	return ret ? ret : host_ret(truncate(path, (off_t)a[1]));
}

SYSCALL(fsync)
{
	return host_ret(fsync(guest_fd(a[0])));
}

SYSCALL(utimensat)
{
	char path[PATH_BUF];
	/* struct timespec[2]: 32 bytes, the same on both sides. */
	const struct timespec *ts = NULL;
	int ret;

	if (a[2] && !(ts = uproc_ptr(p, a[2], 2 * sizeof(*ts))))
		return -EFAULT;
	if (!a[1]) /* futimens(): the kernel allows a NULL path here */
		return host_ret(syscall(SYS_utimensat, guest_fd(a[0]), NULL, ts, (int)a[3]));
	ret = get_path(p, a[1], path);
	return ret ? ret : host_ret(utimensat(guest_fd(a[0]), path, ts, (int)a[3]));
}

SYSCALL(fcntl)
{
	int fd = guest_fd(a[0]), cmd = (int)a[1];
	void *lk;

	switch (cmd) {
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		/* struct flock: 32 bytes, identical on riscv64 and x86_64. */
		lk = uproc_ptr(p, a[2], sizeof(struct flock));
		return lk ? host_ret(fcntl(fd, cmd, lk)) : -EFAULT;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
	case F_GETFD:
	case F_SETFD:
	case F_GETFL:
	case F_SETFL:
	case F_GETOWN:
	case F_SETOWN:
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return host_ret(fcntl(fd, cmd, (long)a[2]));
	default:
		return -EINVAL;
	}
}

SYSCALL(dup)
{
	return host_ret(dup(guest_fd(a[0])));
}

SYSCALL(dup3)
{
	if (guest_fd(a[1]) == p->vfork_fd)
		return -EBADF;
	return host_ret(dup3(guest_fd(a[0]), guest_fd(a[1]), (int)a[2]));
}

SYSCALL(pipe2)
{
	int fds[2];

	if (!uproc_ptr(p, a[0], sizeof(fds)))
		return -EFAULT;
	if (pipe2(fds, (int)a[1]))
		return -errno;
	return uproc_write(p, a[0], fds, sizeof(fds));
}

static int64_t ioctl_termios(struct uproc *p, int fd, unsigned long req, uint64_t arg)
{
	struct k_termios host, guest;

	if (req == TCGETS) {
		if (!uproc_ptr(p, arg, sizeof(guest)))
			return -EFAULT;
		if (ioctl(fd, TCGETS, &host))
			return -errno;
		guest.iflag = host.iflag;
		guest.oflag = host.oflag;
		guest.cflag = host.cflag;
		guest.lflag = host.lflag;
		guest.line = host.line;
		memcpy(guest.cc, host.cc, sizeof(guest.cc));
		return uproc_write(p, arg, &guest, sizeof(guest));
	}
	if (uproc_read(p, arg, &guest, sizeof(guest)))
		return -EFAULT;
	host.iflag = guest.iflag;
	host.oflag = guest.oflag;
	host.cflag = guest.cflag;
	host.lflag = guest.lflag;
	host.line = guest.line;
	memcpy(host.cc, guest.cc, sizeof(host.cc));
	return host_ret(ioctl(fd, req, &host));
}

SYSCALL(ioctl)
{
	int fd = guest_fd(a[0]);
	unsigned long req = (unsigned)a[1];
	void *arg;

	switch (req) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return ioctl_termios(p, fd, req, a[2]);
	case TIOCGWINSZ:
	case TIOCSWINSZ: /* struct winsize: four shorts on both sides */
		arg = uproc_ptr(p, a[2], sizeof(struct winsize));
		return arg ? host_ret(ioctl(fd, req, arg)) : -EFAULT;
	case TIOCGPGRP:
	case TIOCSPGRP:
	case TIOCGSID:
	case FIONREAD:
	case FIONBIO:
		arg = uproc_ptr(p, a[2], sizeof(int));
		return arg ? host_ret(ioctl(fd, req, arg)) : -EFAULT;
	case TIOCSCTTY:
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
		return host_ret(ioctl(fd, req, (long)a[2]));
	case TIOCNOTTY:
	case FIOCLEX:
	case FIONCLEX:
		return host_ret(ioctl(fd, req));
	default:
		return -ENOTTY;
	}
}

SYSCALL(sendfile)
{
	off_t *off = NULL;

	if (a[2] && !(off = uproc_ptr(p, a[2], sizeof(*off))))
		return -EFAULT;
	return host_ret(sendfile(guest_fd(a[0]), guest_fd(a[1]), off, a[3]));
}

SYSCALL(umask)
{
	(void)p;
	return umask((mode_t)a[0]);
}
