/* Waiting for file descriptors in the process VM: ppoll, pselect6, epoll, eventfd.
 * struct pollfd, fd_set and the kernel's 8-byte signal set are the same in both ABIs;
 * struct epoll_event is not (packed, 12 bytes on x86_64; 16 bytes on riscv64) and is
 * converted. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"
#include "base/util.h"

#define EPOLL_BATCH 256

SYSCALL(ppoll)
{
	/* struct pollfd (8 bytes) and struct timespec are the same on both sides; the signal
	 * mask is the kernel's 8-byte set with the same numbering. */
	void *fds = NULL, *ts = NULL, *mask = NULL;

	if (a[1] > 65536)
		return -EINVAL;
	if (a[1] && !(fds = uproc_ptr(p, a[0], a[1] * 8)))
		return -EFAULT;
	if (a[2] && !(ts = uproc_ptr(p, a[2], 16)))
		return -EFAULT;
	if (a[3] && (a[4] != 8 || !(mask = uproc_ptr(p, a[3], 8))))
		return a[4] != 8 ? -EINVAL : -EFAULT;
	return host_ret(syscall(SYS_ppoll, fds, a[1], ts, mask, 8));
}

SYSCALL(pselect6)
{
	uint64_t n = a[0], setlen = ALIGN_UP(a[0], 64) / 8, sig[2];
	void *sets[3] = {NULL, NULL, NULL}, *ts = NULL;
	struct {
		void *ss;
		size_t len;
	} hsig = {NULL, 8};

	if (n > 1024)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (a[1 + i] && !(sets[i] = uproc_ptr(p, a[1 + i], setlen)))
			return -EFAULT;
	}
	if (a[4] && !(ts = uproc_ptr(p, a[4], 16)))
		return -EFAULT;
	if (a[5]) {
		if (uproc_read(p, a[5], sig, sizeof(sig)))
			return -EFAULT;
		if (sig[0] && !(hsig.ss = uproc_ptr(p, sig[0], 8)))
			return -EFAULT;
		hsig.len = sig[1];
	}
	return host_ret(
	    syscall(SYS_pselect6, (int)n, sets[0], sets[1], sets[2], ts, a[5] ? &hsig : NULL));
}

/* struct epoll_event of the riscv64 ABI: naturally aligned, 16 bytes. */
struct g_epoll_event {
	uint32_t events, pad;
	uint64_t data;
};

SYSCALL(epoll_create1)
{
	return host_ret(epoll_create1((int)a[0]));
}

SYSCALL(epoll_ctl)
{
	struct g_epoll_event g;
	struct epoll_event h = {0};

	if (a[3]) {
		if (uproc_read(p, a[3], &g, sizeof(g)))
			return -EFAULT;
		h.events = g.events;
		h.data.u64 = g.data;
	}
	return host_ret(epoll_ctl(guest_fd(a[0]), (int)a[1], guest_fd(a[2]), a[3] ? &h : NULL));
}

SYSCALL(epoll_pwait)
{
	struct epoll_event h[EPOLL_BATCH];
	int max = (int)a[2], n;
	const void *mask = NULL;

	if (max <= 0)
		return -EINVAL;
	max = MIN(max, EPOLL_BATCH); /* fewer events than ready is allowed */
	if (!uproc_ptr(p, a[1], (uint64_t)max * sizeof(struct g_epoll_event)))
		return -EFAULT;
	if (a[4] && (a[5] != 8 || !(mask = uproc_ptr(p, a[4], 8))))
		return a[5] != 8 ? -EINVAL : -EFAULT;
	n = (int)syscall(SYS_epoll_pwait, guest_fd(a[0]), h, max, (int)a[3], mask, 8);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct g_epoll_event g = {.events = h[i].events, .data = h[i].data.u64};

		uproc_write(p, a[1] + (uint64_t)i * sizeof(g), &g, sizeof(g));
	}
	return n;
}

SYSCALL(eventfd2)
{
	return host_ret(eventfd((unsigned)a[0], (int)a[1]));
}
