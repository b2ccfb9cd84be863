/* Internal to the process VM's syscall layer: handler prototypes and small helpers. */
#ifndef GASANG_ACCEL_EMU_USER_SYSCALL_H
#define GASANG_ACCEL_EMU_USER_SYSCALL_H

#include <errno.h>
#include <stdint.h>

#include "accel/emu/user/uproc.h"

/* A handler gets the six raw argument registers a0..a5 and returns the value for a0
 * (a negative errno on failure, as the kernel does). */
#define SYSCALL(name)                                                                              \
	int64_t sys_##name(struct uproc *p __attribute__((unused)),                                \
			   const uint64_t *a __attribute__((unused)))

/* Host syscall result to guest result. */
static inline int64_t host_ret(long r)
{
	return r < 0 ? -errno : r;
}

/* Guest dirfd: AT_FDCWD is the same int (-100) on both sides once truncated to 32 bits. */
static inline int guest_fd(uint64_t v)
{
	return (int)(int32_t)v;
}

/* syscall_mm.c */
SYSCALL(brk);
SYSCALL(mmap);
SYSCALL(munmap);
SYSCALL(mprotect);
SYSCALL(madvise);
SYSCALL(mremap);
SYSCALL(msync);

/* syscall_fs.c */
SYSCALL(openat);
SYSCALL(close);
SYSCALL(read);
SYSCALL(write);
SYSCALL(readv);
SYSCALL(writev);
SYSCALL(pread64);
SYSCALL(pwrite64);
SYSCALL(lseek);
SYSCALL(fstat);
SYSCALL(newfstatat);
SYSCALL(statx);
SYSCALL(statfs);
SYSCALL(fstatfs);
SYSCALL(getdents64);
SYSCALL(mkdirat);
SYSCALL(mknodat);
SYSCALL(unlinkat);
SYSCALL(symlinkat);
SYSCALL(linkat);
SYSCALL(renameat);
SYSCALL(renameat2);
SYSCALL(faccessat);
SYSCALL(faccessat2);
SYSCALL(readlinkat);
SYSCALL(getcwd);
SYSCALL(chdir);
SYSCALL(fchdir);
SYSCALL(fchmod);
SYSCALL(fchmodat);
SYSCALL(fchownat);
SYSCALL(fchown);
SYSCALL(ftruncate);
SYSCALL(truncate);
SYSCALL(fsync);
SYSCALL(utimensat);
SYSCALL(fcntl);
SYSCALL(dup);
SYSCALL(dup3);
SYSCALL(pipe2);
SYSCALL(ioctl);
SYSCALL(sendfile);
SYSCALL(umask);

/* syscall_poll.c */
SYSCALL(ppoll);
SYSCALL(pselect6);
SYSCALL(epoll_create1);
SYSCALL(epoll_ctl);
SYSCALL(epoll_pwait);
SYSCALL(eventfd2);

/* syscall_net.c */
SYSCALL(socket);
SYSCALL(socketpair);
SYSCALL(bind);
SYSCALL(listen);
SYSCALL(accept);
SYSCALL(accept4);
SYSCALL(connect);
SYSCALL(getsockname);
SYSCALL(getpeername);
SYSCALL(sendto);
SYSCALL(recvfrom);
SYSCALL(setsockopt);
SYSCALL(getsockopt);
SYSCALL(shutdown);
SYSCALL(sendmsg);
SYSCALL(recvmsg);

/* syscall.c (process, time, identity) */
SYSCALL(exit);
SYSCALL(exit_group);
SYSCALL(clone);
SYSCALL(execve);
SYSCALL(wait4);

/* signal.c */
SYSCALL(rt_sigaction);
SYSCALL(rt_sigprocmask);
SYSCALL(rt_sigreturn);
SYSCALL(rt_sigsuspend);
SYSCALL(rt_sigpending);
SYSCALL(rt_sigtimedwait);
SYSCALL(sigaltstack);
SYSCALL(kill);
SYSCALL(tkill);
SYSCALL(tgkill);

/* The guest's view of /proc/self/exe is its own program, not gasang. Returns true and fills
 * out (size bytes) when path names it. */
int uproc_fs_self_exe(struct uproc *p, int dirfd, const char *path, char *out, size_t size);

#endif
