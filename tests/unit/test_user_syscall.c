/* Process VM syscalls through the dispatcher: I/O on checked guest buffers, struct
 * conversions (riscv64 struct stat), identity, /proc/self/exe, signals (frame and return). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/emu/user/uproc.h"

enum {
	NR_eventfd2 = 19,
	NR_epoll_create1 = 20,
	NR_epoll_ctl = 21,
	NR_epoll_pwait = 22,
	NR_fcntl = 25,
	NR_openat = 56,
	NR_close = 57,
	NR_read = 63,
	NR_write = 64,
	NR_writev = 66,
	NR_readlinkat = 78,
	NR_newfstatat = 79,
	NR_fstat = 80,
	NR_kill = 129,
	NR_rt_sigaction = 134,
	NR_rt_sigprocmask = 135,
	NR_rt_sigreturn = 139,
	NR_uname = 160,
	NR_getpid = 172
};
#define BUF 0x200000ULL /* a guest scratch address */

static int setup(void **state)
{
	struct uproc *p = calloc(1, sizeof(*p));

	if (!p || uproc_init(p) || uproc_signals_init(p))
		return -1;
	strcpy(p->exe, "/guest/prog");
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	uproc_free(*state);
	free(*state);
	return 0;
}

static int64_t sys(struct uproc *p, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t a[6] = {a0, a1, a2, a3, 0, 0};

	return uproc_syscall_dispatch(p, nr, a);
}

static void test_io_and_faults(void **state)
{
	struct uproc *p = *state;
	int fds[2];
	char out[8] = {0};
	uint64_t iov[4] = {BUF, 3, BUF + 100, 2};

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(uproc_write(p, BUF, "abc", 3), 0);
	assert_int_equal(uproc_write(p, BUF + 100, "de", 2), 0);
	assert_int_equal(sys(p, NR_write, fds[1], BUF, 3, 0), 3);
	assert_int_equal(uproc_write(p, BUF + 200, iov, sizeof(iov)), 0);
	assert_int_equal(sys(p, NR_writev, fds[1], BUF + 200, 2, 0), 5);
	assert_int_equal(sys(p, NR_read, fds[0], BUF + 300, 8, 0), 8);
	assert_int_equal(uproc_read(p, BUF + 300, out, 8), 0);
	assert_memory_equal(out, "abcabcde", 8);
	/* Buffers outside the guest space never reach the host. */
	assert_int_equal(sys(p, NR_write, fds[1], 0, 1, 0), -EFAULT);
	assert_int_equal(sys(p, NR_write, fds[1], UPROC_TOP - 1, 2, 0), -EFAULT);
	assert_int_equal(sys(p, NR_read, fds[0], (uint64_t)(uintptr_t)out, 1, 0), -EFAULT);
	iov[2] = 8; /* an iovec pointing below the space */
	assert_int_equal(uproc_write(p, BUF + 200, iov, sizeof(iov)), 0);
	assert_int_equal(sys(p, NR_writev, fds[1], BUF + 200, 2, 0), -EFAULT);
	assert_int_equal(sys(p, NR_writev, fds[1], BUF + 200, 100000, 0), -EINVAL);
	assert_int_equal(sys(p, NR_openat, (uint64_t)AT_FDCWD, 16, O_RDONLY, 0), -EFAULT);
	assert_int_equal(sys(p, NR_fcntl, fds[0], 12345, 0, 0), -EINVAL);
	assert_int_equal(sys(p, 9999, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(sys(p, NR_close, fds[0], 0, 0, 0), 0);
	close(fds[1]);
}

static void test_epoll_event_layout(void **state)
{
	struct uproc *p = *state;
	/* riscv64 struct epoll_event: u32 events, 4 bytes of padding, u64 data at offset 8. */
	uint8_t ev[16] = {0}, out[32];
	uint64_t data = 0x1122334455667788ULL, one = 1, got;
	uint32_t events;
	int64_t ep = sys(p, NR_epoll_create1, 0, 0, 0, 0), efd = sys(p, NR_eventfd2, 0, 0, 0, 0);

	assert_true(ep >= 0 && efd >= 0);
	events = 1; /* EPOLLIN */
	memcpy(ev, &events, 4);
	memcpy(ev + 8, &data, 8);
	assert_int_equal(uproc_write(p, BUF, ev, sizeof(ev)), 0);
	assert_int_equal(sys(p, NR_epoll_ctl, (uint64_t)ep, 1, (uint64_t)efd, BUF), 0);
	assert_int_equal(write((int)efd, &one, sizeof(one)), sizeof(one));
	uint64_t a[6] = {(uint64_t)ep, BUF + 64, 2, 1000, 0, 8};
	assert_int_equal(uproc_syscall_dispatch(p, NR_epoll_pwait, a), 1);
	assert_int_equal(uproc_read(p, BUF + 64, out, sizeof(out)), 0);
	memcpy(&events, out, 4);
	memcpy(&got, out + 8, 8);
	assert_int_equal(events, 1);
	assert_int_equal(got, data);
	/* An event array running off the guest space is refused before the host writes. */
	a[1] = UPROC_TOP - 16;
	assert_int_equal(uproc_syscall_dispatch(p, NR_epoll_pwait, a), -EFAULT);
	close((int)ep);
	close((int)efd);
}

static void test_stat_layout(void **state)
{
	struct uproc *p = *state;
	struct stat st;
	uint8_t g[128];
	uint32_t mode, nlink;
	int64_t size, mtime;

	assert_int_equal(uproc_write(p, BUF, "/", 2), 0);
	assert_int_equal(sys(p, NR_newfstatat, (uint64_t)AT_FDCWD, BUF, BUF + 64, 0), 0);
	assert_int_equal(stat("/", &st), 0);
	assert_int_equal(uproc_read(p, BUF + 64, g, sizeof(g)), 0);
	/* riscv64 offsets: st_mode 16, st_nlink 20, st_size 48, st_mtime 88. */
	memcpy(&mode, g + 16, 4);
	memcpy(&nlink, g + 20, 4);
	memcpy(&size, g + 48, 8);
	memcpy(&mtime, g + 88, 8);
	assert_int_equal(mode, st.st_mode);
	assert_int_equal(nlink, st.st_nlink);
	assert_int_equal(size, st.st_size);
	assert_int_equal(mtime, st.st_mtim.tv_sec);
	assert_int_equal(sys(p, NR_fstat, 0, UPROC_TOP - 64, 0, 0), -EFAULT);
}

static void test_identity(void **state)
{
	struct uproc *p = *state;
	char u[390], link[64] = {0};

	assert_int_equal(sys(p, NR_getpid, 0, 0, 0, 0), getpid());
	assert_int_equal(sys(p, NR_uname, BUF, 0, 0, 0), 0);
	assert_int_equal(uproc_read(p, BUF, u, sizeof(u)), 0);
	assert_string_equal(u, "Linux");
	assert_string_equal(u + 4 * 65, "riscv64");
	/* /proc/self/exe is the guest program, not gasang. */
	assert_int_equal(uproc_write(p, BUF, "/proc/self/exe", 15), 0);
	assert_int_equal(sys(p, NR_readlinkat, (uint64_t)AT_FDCWD, BUF, BUF + 100, 64), 11);
	assert_int_equal(uproc_read(p, BUF + 100, link, 11), 0);
	assert_string_equal(link, "/guest/prog");
}

static void test_signal_frame_round_trip(void **state)
{
	struct uproc *p = *state;
	struct hart *h = &p->main.hart;
	uint64_t act[3] = {0x55000, 0x10000000 /* SA_RESTART */, 1ULL << (SIGUSR2 - 1)}, old[3];
	uint64_t saved_x[32], mask = 0;

	assert_int_equal(uproc_write(p, BUF, act, sizeof(act)), 0);
	assert_int_equal(sys(p, NR_rt_sigaction, SIGUSR1, BUF, BUF + 64, 8), 0);
	assert_int_equal(sys(p, NR_rt_sigaction, SIGUSR1, 0, BUF + 64, 8), 0);
	assert_int_equal(uproc_read(p, BUF + 64, old, sizeof(old)), 0);
	assert_memory_equal(old, act, sizeof(act));
	assert_int_equal(sys(p, NR_rt_sigaction, SIGKILL, BUF, 0, 8), -EINVAL);
	assert_int_equal(sys(p, NR_rt_sigaction, SIGUSR1, BUF, 0, 4), -EINVAL);

	for (int i = 1; i < 32; i++)
		h->x[i] = 0x1000 + (uint64_t)i;
	h->x[2] = UPROC_TOP - 4096; /* sp */
	h->pc = 0x40000;
	h->f[5] = 0x4009000000000000ULL;
	h->frm = 2;
	memcpy(saved_x, h->x, sizeof(saved_x));

	assert_int_equal(sys(p, NR_kill, (uint64_t)getpid(), SIGUSR1, 0, 0), 0);
	uproc_signal_deliver(p);
	assert_int_equal(h->pc, 0x55000);
	assert_int_equal(h->x[10], SIGUSR1);
	assert_int_equal(h->x[1], UPROC_SIGPAGE);
	assert_true(h->x[2] < UPROC_TOP - 4096 && h->x[2] % 16 == 0);
	assert_int_equal(h->x[11], h->x[2]);	   /* siginfo */
	assert_int_equal(h->x[12], h->x[2] + 128); /* ucontext */
	/* The handler runs with its sa_mask and the signal itself blocked. */
	assert_int_equal(sys(p, NR_rt_sigprocmask, SIG_BLOCK, 0, BUF, 8), 0);
	assert_int_equal(uproc_read(p, BUF, &mask, 8), 0);
	assert_int_equal(mask, (1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGUSR2 - 1)));

	h->f[5] = 0;
	h->frm = 0;
	assert_int_equal(sys(p, NR_rt_sigreturn, 0, 0, 0, 0), 0);
	assert_true(p->main.no_ret);
	assert_int_equal(h->pc, 0x40000);
	assert_memory_equal(h->x, saved_x, sizeof(saved_x));
	assert_int_equal(h->f[5], 0x4009000000000000ULL);
	assert_int_equal(h->frm, 2);
	assert_int_equal(sys(p, NR_rt_sigprocmask, SIG_BLOCK, 0, BUF, 8), 0);
	assert_int_equal(uproc_read(p, BUF, &mask, 8), 0);
	assert_int_equal(mask, 0);
	/* A frame pointer outside the space ends the program, never gasang. */
	h->x[2] = 8;
	sys(p, NR_rt_sigreturn, 0, 0, 0, 0);
	assert_true(p->exited);
	assert_int_equal(p->exit_code, 128 + SIGSEGV);
}

static void test_default_actions(void **state)
{
	struct uproc *p = *state;

	/* SIGCHLD is ignored by default, SIGTERM kills with status 128 + 15. */
	assert_int_equal(sys(p, NR_kill, (uint64_t)getpid(), SIGCHLD, 0, 0), 0);
	uproc_signal_deliver(p);
	assert_false(p->exited);
	assert_int_equal(sys(p, NR_kill, (uint64_t)getpid(), SIGTERM, 0, 0), 0);
	uproc_signal_deliver(p);
	assert_true(p->exited);
	assert_int_equal(p->exit_code, 128 + SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_io_and_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_epoll_event_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signal_frame_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_actions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
