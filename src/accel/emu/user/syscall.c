/* The process VM's syscall entry: riscv64 uses the generic Linux syscall numbers
 * (include/uapi/asm-generic/unistd.h); a7 holds the number, a0..a5 the arguments, a0 the
 * result. This file holds the dispatch table and the small identity, time and resource
 * syscalls; files, memory, processes and signals have their own files. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"
#include "base/log.h"
#include "base/util.h"

/* Generic syscall numbers used below (riscv64). */
enum {
	NR_getcwd = 17,
	NR_eventfd2 = 19,
	NR_epoll_create1 = 20,
	NR_epoll_ctl = 21,
	NR_epoll_pwait = 22,
	NR_dup = 23,
	NR_dup3 = 24,
	NR_fcntl = 25,
	NR_ioctl = 29,
	NR_mknodat = 33,
	NR_mkdirat = 34,
	NR_unlinkat = 35,
	NR_symlinkat = 36,
	NR_linkat = 37,
	NR_renameat = 38,
	NR_statfs = 43,
	NR_fstatfs = 44,
	NR_truncate = 45,
	NR_ftruncate = 46,
	NR_faccessat = 48,
	NR_chdir = 49,
	NR_fchdir = 50,
	NR_fchmod = 52,
	NR_fchmodat = 53,
	NR_fchownat = 54,
	NR_fchown = 55,
	NR_openat = 56,
	NR_close = 57,
	NR_pipe2 = 59,
	NR_getdents64 = 61,
	NR_lseek = 62,
	NR_read = 63,
	NR_write = 64,
	NR_readv = 65,
	NR_writev = 66,
	NR_pread64 = 67,
	NR_pwrite64 = 68,
	NR_sendfile = 71,
	NR_pselect6 = 72,
	NR_ppoll = 73,
	NR_readlinkat = 78,
	NR_newfstatat = 79,
	NR_fstat = 80,
	NR_sync = 81,
	NR_fsync = 82,
	NR_fdatasync = 83,
	NR_utimensat = 88,
	NR_exit = 93,
	NR_exit_group = 94,
	NR_waitid = 95,
	NR_set_tid_address = 96,
	NR_futex = 98,
	NR_set_robust_list = 99,
	NR_nanosleep = 101,
	NR_getitimer = 102,
	NR_setitimer = 103,
	NR_clock_gettime = 113,
	NR_clock_getres = 114,
	NR_clock_nanosleep = 115,
	NR_sched_getaffinity = 123,
	NR_sched_yield = 124,
	NR_kill = 129,
	NR_tkill = 130,
	NR_tgkill = 131,
	NR_sigaltstack = 132,
	NR_rt_sigsuspend = 133,
	NR_rt_sigaction = 134,
	NR_rt_sigprocmask = 135,
	NR_rt_sigpending = 136,
	NR_rt_sigtimedwait = 137,
	NR_rt_sigreturn = 139,
	NR_setpriority = 140,
	NR_getpriority = 141,
	NR_setregid = 143,
	NR_setgid = 144,
	NR_setreuid = 145,
	NR_setuid = 146,
	NR_setresuid = 147,
	NR_getresuid = 148,
	NR_setresgid = 149,
	NR_getresgid = 150,
	NR_times = 153,
	NR_setpgid = 154,
	NR_getpgid = 155,
	NR_getsid = 156,
	NR_setsid = 157,
	NR_getgroups = 158,
	NR_uname = 160,
	NR_getrlimit = 163,
	NR_setrlimit = 164,
	NR_getrusage = 165,
	NR_umask = 166,
	NR_prctl = 167,
	NR_getcpu = 168,
	NR_gettimeofday = 169,
	NR_getpid = 172,
	NR_getppid = 173,
	NR_getuid = 174,
	NR_geteuid = 175,
	NR_getgid = 176,
	NR_getegid = 177,
	NR_gettid = 178,
	NR_sysinfo = 179,
	NR_socket = 198,
	NR_socketpair = 199,
	NR_bind = 200,
	NR_listen = 201,
	NR_accept = 202,
	NR_connect = 203,
	NR_getsockname = 204,
	NR_getpeername = 205,
	NR_sendto = 206,
	NR_recvfrom = 207,
	NR_setsockopt = 208,
	NR_getsockopt = 209,
	NR_shutdown = 210,
	NR_sendmsg = 211,
	NR_recvmsg = 212,
	NR_accept4 = 242,
	NR_brk = 214,
	NR_munmap = 215,
	NR_mremap = 216,
	NR_clone = 220,
	NR_execve = 221,
	NR_mmap = 222,
	NR_mprotect = 226,
	NR_msync = 227,
	NR_madvise = 233,
	NR_riscv_flush_icache = 259,
	NR_wait4 = 260,
	NR_prlimit64 = 261,
	NR_renameat2 = 276,
	NR_getrandom = 278,
	NR_membarrier = 283,
	NR_statx = 291,
	NR_faccessat2 = 439,
	NR_MAX = 452
};

/* Writes host-produced bytes to a checked guest buffer. */
static int64_t put(struct uproc *p, uint64_t gva, const void *src, size_t len)
{
	return uproc_write(p, gva, src, len) ? -EFAULT : 0;
}

static SYSCALL(getpid)
{
	(void)p, (void)a;
	return getpid();
}

static SYSCALL(getppid)
{
	(void)p, (void)a;
	return getppid();
}

static SYSCALL(gettid)
{
	(void)p, (void)a;
	return gettid();
}

static SYSCALL(ids)
{
	struct uthread *t = uthread_self(p);
	/* getuid/geteuid/getgid/getegid are told apart by the caller's a7. */
	(void)a;
	switch (t->cur_nr) {
	case NR_getuid:
		return getuid();
	case NR_geteuid:
		return geteuid();
	case NR_getgid:
		return getgid();
	default:
		return getegid();
	}
}

static SYSCALL(getresid)
{
	struct uthread *t = uthread_self(p);
	unsigned int id[3];
	int ret = t->cur_nr == NR_getresuid ? getresuid(&id[0], &id[1], &id[2])
					    : getresgid(&id[0], &id[1], &id[2]);

	if (ret)
		return -errno;
	for (int i = 0; i < 3; i++) {
		if (put(p, a[i], &id[i], sizeof(id[i])))
			return -EFAULT;
	}
	return 0;
}

/* Syscalls that take only integers and return an integer: forwarded unchanged. */
static const struct {
	uint16_t nr;
	long host;
} plain_map[] = {
    {NR_setuid, SYS_setuid},	       {NR_setgid, SYS_setgid},
    {NR_setreuid, SYS_setreuid},       {NR_setregid, SYS_setregid},
    {NR_setresuid, SYS_setresuid},     {NR_setresgid, SYS_setresgid},
    {NR_setpgid, SYS_setpgid},	       {NR_getpgid, SYS_getpgid},
    {NR_getsid, SYS_getsid},	       {NR_setsid, SYS_setsid},
    {NR_sched_yield, SYS_sched_yield}, {NR_sync, SYS_sync},
    {NR_fdatasync, SYS_fdatasync},     {NR_getpriority, SYS_getpriority},
    {NR_setpriority, SYS_setpriority},
};

static SYSCALL(plain)
{
	struct uthread *t = uthread_self(p);
	for (size_t i = 0; i < ARRAY_SIZE(plain_map); i++) {
		if (plain_map[i].nr == t->cur_nr)
			return host_ret(syscall(plain_map[i].host, a[0], a[1], a[2]));
	}
	return -ENOSYS;
}

static SYSCALL(getgroups)
{
	int n = (int)a[0];
	void *list = NULL;

	if (n < 0 || n > 65536)
		return -EINVAL;
	if (n && !(list = uproc_ptr(p, a[1], (uint64_t)n * 4)))
		return -EFAULT;
	return host_ret(getgroups(n, list));
}

static SYSCALL(uname)
{
	struct utsname u;

	/* 6 x 65 bytes on both sides; only the machine differs. */
	if (uname(&u))
		return -errno;
	memset(u.machine, 0, sizeof(u.machine));
	strcpy(u.machine, "riscv64");
	return put(p, a[0], &u, 6 * 65);
}

static SYSCALL(clock_gettime)
{
	struct timespec ts;

	if (clock_gettime((clockid_t)a[0], &ts))
		return -errno;
	return put(p, a[1], &ts, sizeof(ts));
}

static SYSCALL(clock_getres)
{
	struct timespec ts;

	if (clock_getres((clockid_t)a[0], &ts))
		return -errno;
	return a[1] ? put(p, a[1], &ts, sizeof(ts)) : 0;
}

static SYSCALL(gettimeofday)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (a[0] && put(p, a[0], &tv, sizeof(tv)))
		return -EFAULT;
	if (a[1]) {
		int32_t tz[2] = {0, 0};
		return put(p, a[1], tz, sizeof(tz));
	}
	return 0;
}

static SYSCALL(clock_nanosleep)
{
	/* struct timespec is 16 bytes on both sides. */
	const void *req = uproc_ptr(p, a[2], 16);
	void *rem = NULL;
	int ret;

	if (!req || (a[3] && !(rem = uproc_ptr(p, a[3], 16))))
		return -EFAULT;
	ret = clock_nanosleep((clockid_t)a[0], (int)a[1], req, rem);
	return -ret;
}

static SYSCALL(nanosleep)
{
	uint64_t b[4] = {CLOCK_REALTIME, 0, a[0], a[1]};

	return sys_clock_nanosleep(p, b);
}

static SYSCALL(getrandom)
{
	void *buf = uproc_ptr(p, a[0], a[1]);

	return buf ? host_ret(getrandom(buf, a[1], (unsigned)a[2])) : -EFAULT;
}

static SYSCALL(set_tid_address)
{
	struct uthread *t = uthread_self(p);
	t->clear_child_tid = a[0];
	return gettid();
}

static SYSCALL(set_robust_list)
{
	(void)p, (void)a;
	return 0; /* one thread: nothing to clean up after */
}

static SYSCALL(prlimit64)
{
	/* struct rlimit64: two u64 on both sides. */
	void *new = NULL, *old = NULL;

	if (a[2] && !(new = uproc_ptr(p, a[2], 16)))
		return -EFAULT;
	if (a[3] && !(old = uproc_ptr(p, a[3], 16)))
		return -EFAULT;
	return host_ret(syscall(SYS_prlimit64, (pid_t)(int32_t)a[0], (int)a[1], new, old));
}

static SYSCALL(getrlimit)
{
	uint64_t b[4] = {0, a[0], 0, a[1]};

	return sys_prlimit64(p, b);
}

static SYSCALL(setrlimit)
{
	uint64_t b[4] = {0, a[0], a[1], 0};

	return sys_prlimit64(p, b);
}

static SYSCALL(getrusage)
{
	struct rusage ru;

	if (getrusage((int)a[0], &ru))
		return -errno;
	return put(p, a[1], &ru, sizeof(ru)); /* 144 bytes, the same layout */
}

static SYSCALL(sysinfo)
{
	struct sysinfo si;

	_Static_assert(sizeof(si) == 112, "struct sysinfo matches riscv64's 112 bytes");
	if (sysinfo(&si))
		return -errno;
	return put(p, a[0], &si, sizeof(si));
}

static SYSCALL(times)
{
	struct tms t;
	clock_t ret = times(&t);

	if (a[0] && put(p, a[0], &t, sizeof(t)))
		return -EFAULT;
	return ret;
}

static SYSCALL(itimer)
{
	struct uthread *t = uthread_self(p);
	/* struct itimerval: four longs on both sides. */
	void *new = NULL, *old = NULL;
	bool set = t->cur_nr == NR_setitimer;

	if (set && a[1] && !(new = uproc_ptr(p, a[1], 32)))
		return -EFAULT;
	if (a[set ? 2 : 1] && !(old = uproc_ptr(p, a[set ? 2 : 1], 32)))
		return -EFAULT;
	if (set)
		return host_ret(syscall(SYS_setitimer, (int)a[0], new, old));
	return host_ret(syscall(SYS_getitimer, (int)a[0], old));
}

static SYSCALL(sched_getaffinity)
{
	void *mask = uproc_ptr(p, a[2], a[1]);

	if (!mask)
		return -EFAULT;
	return host_ret(syscall(SYS_sched_getaffinity, (pid_t)(int32_t)a[0], a[1], mask));
}

static SYSCALL(getcpu)
{
	uint32_t zero = 0;

	if (a[0] && put(p, a[0], &zero, 4))
		return -EFAULT;
	if (a[1] && put(p, a[1], &zero, 4))
		return -EFAULT;
	return 0;
}

static SYSCALL(prctl)
{
	char name[16];

	switch (a[0]) {
	case PR_SET_NAME:
		if (uproc_strcpy(p, a[1], name, sizeof(name)) < 0 &&
		    uproc_read(p, a[1], name, sizeof(name)))
			return -EFAULT;
		name[15] = '\0';
		return host_ret(prctl(PR_SET_NAME, name));
	case PR_GET_NAME:
		if (prctl(PR_GET_NAME, name))
			return -errno;
		return put(p, a[1], name, sizeof(name));
	default:
		return -EINVAL;
	}
}

static SYSCALL(futex)
{
	int op = (int)a[1], cmd = op & 0x7f;
	uint32_t *uaddr = uproc_ptr(p, a[0], 4);
	const void *ts = NULL;

	if (!uaddr || (a[0] & 3))
		return -EFAULT;
	switch (cmd) {
	case 0: /* FUTEX_WAIT */
	case 9: /* FUTEX_WAIT_BITSET */
		if (a[3] && !(ts = uproc_ptr(p, a[3], 16)))
			return -EFAULT;
		return host_ret(
		    syscall(SYS_futex, uaddr, op, (uint32_t)a[2], ts, NULL, (uint32_t)a[5]));
	case 1:	 /* FUTEX_WAKE */
	case 10: /* FUTEX_WAKE_BITSET */
		return host_ret(
		    syscall(SYS_futex, uaddr, op, (uint32_t)a[2], NULL, NULL, (uint32_t)a[5]));
	default:
		return -ENOSYS;
	}
}

static SYSCALL(waitid)
{
	/* siginfo_t (128 bytes) and struct rusage are the asm-generic layouts on both. */
	void *info = NULL, *ru = NULL;

	if (a[2] && !(info = uproc_ptr(p, a[2], 128)))
		return -EFAULT;
	if (a[4] && !(ru = uproc_ptr(p, a[4], 144)))
		return -EFAULT;
	return host_ret(syscall(SYS_waitid, (int)a[0], (pid_t)(int32_t)a[1], info, (int)a[3], ru));
}

static SYSCALL(flush_icache)
{
	(void)a;
	if (p->mem_changed)
		p->mem_changed(p);
	return 0;
}

static SYSCALL(membarrier)
{
	(void)p, (void)a;
	return 0; /* one hart: every barrier is already satisfied */
}

typedef int64_t (*sys_fn)(struct uproc *p, const uint64_t *a);

static const sys_fn sys_table[NR_MAX] = {
    [NR_getcwd] = sys_getcwd,
    [NR_dup] = sys_dup,
    [NR_dup3] = sys_dup3,
    [NR_fcntl] = sys_fcntl,
    [NR_ioctl] = sys_ioctl,
    [NR_mknodat] = sys_mknodat,
    [NR_mkdirat] = sys_mkdirat,
    [NR_unlinkat] = sys_unlinkat,
    [NR_symlinkat] = sys_symlinkat,
    [NR_linkat] = sys_linkat,
    [NR_renameat] = sys_renameat,
    [NR_statfs] = sys_statfs,
    [NR_fstatfs] = sys_fstatfs,
    [NR_truncate] = sys_truncate,
    [NR_ftruncate] = sys_ftruncate,
    [NR_faccessat] = sys_faccessat,
    [NR_chdir] = sys_chdir,
    [NR_fchdir] = sys_fchdir,
    [NR_fchmod] = sys_fchmod,
    [NR_fchmodat] = sys_fchmodat,
    [NR_fchownat] = sys_fchownat,
    [NR_fchown] = sys_fchown,
    [NR_openat] = sys_openat,
    [NR_close] = sys_close,
    [NR_pipe2] = sys_pipe2,
    [NR_getdents64] = sys_getdents64,
    [NR_lseek] = sys_lseek,
    [NR_read] = sys_read,
    [NR_write] = sys_write,
    [NR_readv] = sys_readv,
    [NR_writev] = sys_writev,
    [NR_pread64] = sys_pread64,
    [NR_pwrite64] = sys_pwrite64,
    [NR_sendfile] = sys_sendfile,
    [NR_pselect6] = sys_pselect6,
    [NR_ppoll] = sys_ppoll,
    [NR_readlinkat] = sys_readlinkat,
    [NR_newfstatat] = sys_newfstatat,
    [NR_fstat] = sys_fstat,
    [NR_sync] = sys_plain,
    [NR_fsync] = sys_fsync,
    [NR_fdatasync] = sys_plain,
    [NR_utimensat] = sys_utimensat,
    [NR_exit] = sys_exit,
    [NR_exit_group] = sys_exit_group,
    [NR_waitid] = sys_waitid,
    [NR_set_tid_address] = sys_set_tid_address,
    [NR_futex] = sys_futex,
    [NR_set_robust_list] = sys_set_robust_list,
    [NR_nanosleep] = sys_nanosleep,
    [NR_getitimer] = sys_itimer,
    [NR_setitimer] = sys_itimer,
    [NR_clock_gettime] = sys_clock_gettime,
    [NR_clock_getres] = sys_clock_getres,
    [NR_clock_nanosleep] = sys_clock_nanosleep,
    [NR_sched_getaffinity] = sys_sched_getaffinity,
    [NR_sched_yield] = sys_plain,
    [NR_kill] = sys_kill,
    [NR_tkill] = sys_tkill,
    [NR_tgkill] = sys_tgkill,
    [NR_sigaltstack] = sys_sigaltstack,
    [NR_rt_sigsuspend] = sys_rt_sigsuspend,
    [NR_rt_sigaction] = sys_rt_sigaction,
    [NR_rt_sigprocmask] = sys_rt_sigprocmask,
    [NR_rt_sigpending] = sys_rt_sigpending,
    [NR_rt_sigtimedwait] = sys_rt_sigtimedwait,
    [NR_rt_sigreturn] = sys_rt_sigreturn,
    [NR_setpriority] = sys_plain,
    [NR_getpriority] = sys_plain,
    [NR_setregid] = sys_plain,
    [NR_setgid] = sys_plain,
    [NR_setreuid] = sys_plain,
    [NR_setuid] = sys_plain,
    [NR_setresuid] = sys_plain,
    [NR_getresuid] = sys_getresid,
    [NR_setresgid] = sys_plain,
    [NR_getresgid] = sys_getresid,
    [NR_times] = sys_times,
    [NR_setpgid] = sys_plain,
    [NR_getpgid] = sys_plain,
    [NR_getsid] = sys_plain,
    [NR_setsid] = sys_plain,
    [NR_getgroups] = sys_getgroups,
    [NR_uname] = sys_uname,
    [NR_getrlimit] = sys_getrlimit,
    [NR_setrlimit] = sys_setrlimit,
    [NR_getrusage] = sys_getrusage,
    [NR_umask] = sys_umask,
    [NR_prctl] = sys_prctl,
    [NR_getcpu] = sys_getcpu,
    [NR_gettimeofday] = sys_gettimeofday,
    [NR_getpid] = sys_getpid,
    [NR_getppid] = sys_getppid,
    [NR_getuid] = sys_ids,
    [NR_geteuid] = sys_ids,
    [NR_getgid] = sys_ids,
    [NR_getegid] = sys_ids,
    [NR_gettid] = sys_gettid,
    [NR_sysinfo] = sys_sysinfo,
    [NR_brk] = sys_brk,
    [NR_munmap] = sys_munmap,
    [NR_mremap] = sys_mremap,
    [NR_clone] = sys_clone,
    [NR_execve] = sys_execve,
    [NR_mmap] = sys_mmap,
    [NR_mprotect] = sys_mprotect,
    [NR_msync] = sys_msync,
    [NR_madvise] = sys_madvise,
    [NR_riscv_flush_icache] = sys_flush_icache,
    [NR_wait4] = sys_wait4,
    [NR_prlimit64] = sys_prlimit64,
    [NR_renameat2] = sys_renameat2,
    [NR_getrandom] = sys_getrandom,
    [NR_membarrier] = sys_membarrier,
    [NR_statx] = sys_statx,
    [NR_faccessat2] = sys_faccessat2,
    [NR_eventfd2] = sys_eventfd2,
    [NR_epoll_create1] = sys_epoll_create1,
    [NR_epoll_ctl] = sys_epoll_ctl,
    [NR_epoll_pwait] = sys_epoll_pwait,
    [NR_socket] = sys_socket,
    [NR_socketpair] = sys_socketpair,
    [NR_bind] = sys_bind,
    [NR_listen] = sys_listen,
    [NR_accept] = sys_accept,
    [NR_accept4] = sys_accept4,
    [NR_connect] = sys_connect,
    [NR_getsockname] = sys_getsockname,
    [NR_getpeername] = sys_getpeername,
    [NR_sendto] = sys_sendto,
    [NR_recvfrom] = sys_recvfrom,
    [NR_setsockopt] = sys_setsockopt,
    [NR_getsockopt] = sys_getsockopt,
    [NR_shutdown] = sys_shutdown,
    [NR_sendmsg] = sys_sendmsg,
    [NR_recvmsg] = sys_recvmsg,
};

int64_t uproc_syscall_dispatch(struct uproc *p, uint64_t nr, const uint64_t a[6])
{
	struct uthread *t = uthread_self(p);
	p->nsyscalls++;
	t->cur_nr = nr;
	if (nr >= NR_MAX || !sys_table[nr]) {
		log_debug("exec: unsupported syscall %llu", (unsigned long long)nr);
		return -ENOSYS;
	}
	/* Address-space and signal-action changes are serialised between threads; blocking
	 * syscalls never hold the lock. */
	if (nr == NR_brk || nr == NR_mmap || nr == NR_munmap || nr == NR_mremap ||
	    nr == NR_madvise || nr == NR_mprotect || nr == NR_rt_sigaction) {
		int64_t ret;

		pthread_mutex_lock(&p->lock);
		ret = sys_table[nr](p, a);
		pthread_mutex_unlock(&p->lock);
		return ret;
	}
	return sys_table[nr](p, a);
}

/* Sleeps that Linux does not restart transparently after a handler (they return EINTR). */
static bool restartable(uint64_t nr)
{
	return nr != NR_nanosleep && nr != NR_clock_nanosleep && nr != NR_ppoll &&
	       nr != NR_pselect6 && nr != NR_rt_sigsuspend && nr != NR_epoll_pwait &&
	       nr != NR_rt_sigtimedwait;
}

void uproc_syscall(struct uproc *p)
{
	struct uthread *t = uthread_self(p);
	struct hart *h = &t->hart;
	uint64_t nr = h->x[17], pc = h->pc;
	uint64_t a[6] = {h->x[10], h->x[11], h->x[12], h->x[13], h->x[14], h->x[15]};
	int64_t ret;

	t->no_ret = false;
	h->pc = pc + 4;
	ret = uproc_syscall_dispatch(p, nr, a);
	if (t->no_ret) {
		if (!p->exited)
			uproc_signal_deliver(p); /* rt_sigreturn may have unblocked some */
		return;
	}
	h->x[10] = (uint64_t)ret;
	if (p->strace)
		fprintf(stderr,
			"gasang: [%d] syscall %llu (0x%llx, 0x%llx, 0x%llx, 0x%llx) = %lld\n",
			gettid(), (unsigned long long)nr, (unsigned long long)a[0],
			(unsigned long long)a[1], (unsigned long long)a[2],
			(unsigned long long)a[3], (long long)ret);
	t->sys_interrupted = ret == -EINTR && restartable(nr);
	t->sys_pc = pc;
	t->sys_a0 = a[0];
	uproc_signal_deliver(p);
}
