/* Socket syscalls of the process VM. struct sockaddr*, struct msghdr, struct cmsghdr,
 * struct linger and struct timeval have the same layout in the riscv64 and x86_64 ABIs; only
 * the pointers they carry are guest addresses, each translated and bounds-checked here. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "accel/emu/user/syscall.h"

#define SOCKADDR_MAX 4096
#define OPTVAL_MAX   4096
#define MSG_IOV_MAX  1024

/* A guest (pointer, length) pair naming a sockaddr or option buffer; NULL pointer allowed. */
static int get_buf(struct uproc *p, uint64_t gva, uint64_t len, uint64_t max, void **out)
{
	*out = NULL;
	if (!gva)
		return 0;
	if (len > max)
		return -EINVAL;
	*out = uproc_ptr(p, gva, len);
	return *out ? 0 : -EFAULT;
}

/* A value-result length (socklen_t *) and the buffer it sizes. */
static int get_lenbuf(struct uproc *p, uint64_t buf, uint64_t lenp, void **bp, socklen_t **lp)
{
	*bp = NULL;
	*lp = NULL;
	if (!lenp)
		return buf ? -EFAULT : 0;
	socklen_t len;

	*lp = uproc_ptr(p, lenp, sizeof(socklen_t));
	if (!*lp)
		return -EFAULT;
	memcpy(&len, *lp, sizeof(len)); /* guest pointers need not be aligned */
	return get_buf(p, buf, len, SOCKADDR_MAX, bp);
}

SYSCALL(socket)
{
	return host_ret(socket((int)a[0], (int)a[1], (int)a[2]));
}

SYSCALL(socketpair)
{
	int *sv = uproc_ptr(p, a[3], 2 * sizeof(int));

	return sv ? host_ret(socketpair((int)a[0], (int)a[1], (int)a[2], sv)) : -EFAULT;
}

SYSCALL(bind)
{
	void *addr;
	int ret = get_buf(p, a[1], a[2], SOCKADDR_MAX, &addr);

	return ret ? ret : host_ret(bind(guest_fd(a[0]), addr, (socklen_t)a[2]));
}

SYSCALL(connect)
{
	void *addr;
	int ret = get_buf(p, a[1], a[2], SOCKADDR_MAX, &addr);

	return ret ? ret : host_ret(connect(guest_fd(a[0]), addr, (socklen_t)a[2]));
}

SYSCALL(listen)
{
	return host_ret(listen(guest_fd(a[0]), (int)a[1]));
}

SYSCALL(shutdown)
{
	return host_ret(shutdown(guest_fd(a[0]), (int)a[1]));
}

SYSCALL(accept4)
{
	socklen_t *len;
	void *addr;
	int ret = get_lenbuf(p, a[1], a[2], &addr, &len);

	return ret ? ret : host_ret(accept4(guest_fd(a[0]), addr, len, (int)a[3]));
}

SYSCALL(accept)
{
	uint64_t b[4] = {a[0], a[1], a[2], 0};

	return sys_accept4(p, b);
}

SYSCALL(getsockname)
{
	socklen_t *len;
	void *addr;
	int ret = get_lenbuf(p, a[1], a[2], &addr, &len);

	return ret ? ret : host_ret(getsockname(guest_fd(a[0]), addr, len));
}

SYSCALL(getpeername)
{
	socklen_t *len;
	void *addr;
	int ret = get_lenbuf(p, a[1], a[2], &addr, &len);

	return ret ? ret : host_ret(getpeername(guest_fd(a[0]), addr, len));
}

SYSCALL(sendto)
{
	void *buf = uproc_ptr(p, a[1], a[2]), *addr;
	int ret = get_buf(p, a[4], a[5], SOCKADDR_MAX, &addr);

	if (!buf)
		return -EFAULT;
	return ret ? ret
		   : host_ret(sendto(guest_fd(a[0]), buf, a[2], (int)a[3], addr, (socklen_t)a[5]));
}

SYSCALL(recvfrom)
{
	void *buf = uproc_ptr(p, a[1], a[2]), *addr;
	socklen_t *len;
	int ret = get_lenbuf(p, a[4], a[5], &addr, &len);

	if (!buf)
		return -EFAULT;
	return ret ? ret : host_ret(recvfrom(guest_fd(a[0]), buf, a[2], (int)a[3], addr, len));
}

SYSCALL(setsockopt)
{
	void *val;
	int ret = get_buf(p, a[3], a[4], OPTVAL_MAX, &val);

	return ret ? ret
		   : host_ret(
			 setsockopt(guest_fd(a[0]), (int)a[1], (int)a[2], val, (socklen_t)a[4]));
}

SYSCALL(getsockopt)
{
	socklen_t *len, n;
	void *val;
	int ret;

	if (!a[4])
		return -EFAULT;
	len = uproc_ptr(p, a[4], sizeof(*len));
	if (!len)
		return -EFAULT;
	memcpy(&n, len, sizeof(n));
	ret = get_buf(p, a[3], n, OPTVAL_MAX, &val);
	return ret ? ret : host_ret(getsockopt(guest_fd(a[0]), (int)a[1], (int)a[2], val, len));
}

/* The guest's struct msghdr: 56 bytes, pointers being guest addresses. */
struct g_msghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
};
_Static_assert(sizeof(struct g_msghdr) == 56, "struct msghdr is 56 bytes on riscv64");

static int64_t msg_call(struct uproc *p, const uint64_t *a, bool send)
{
	struct g_msghdr gm, *g = &gm;
	struct iovec iov[MSG_IOV_MAX];
	struct msghdr m = {0};
	uint64_t raw[2];
	ssize_t n;

	/* Copied: the guest's msghdr need not be aligned. */
	if (uproc_read(p, a[1], g, sizeof(*g)))
		return -EFAULT;
	if (g->iovlen > MSG_IOV_MAX)
		return -EMSGSIZE;
	if (get_buf(p, g->name, g->namelen, SOCKADDR_MAX, &m.msg_name) ||
	    get_buf(p, g->control, g->controllen, 1 << 20, &m.msg_control))
		return -EFAULT;
	for (uint64_t i = 0; i < g->iovlen; i++) {
		if (uproc_read(p, g->iov + 16 * i, raw, sizeof(raw)))
			return -EFAULT;
		iov[i].iov_base = uproc_ptr(p, raw[0], raw[1]);
		iov[i].iov_len = raw[1];
		if (!iov[i].iov_base)
			return -EFAULT;
	}
	m.msg_namelen = m.msg_name ? g->namelen : 0;
	m.msg_iov = iov;
	m.msg_iovlen = g->iovlen;
	m.msg_controllen = m.msg_control ? g->controllen : 0;
	m.msg_flags = g->flags;
	n = send ? sendmsg(guest_fd(a[0]), &m, (int)a[2]) : recvmsg(guest_fd(a[0]), &m, (int)a[2]);
	if (n < 0)
		return -errno;
	if (!send) {
		g->namelen = m.msg_namelen;
		g->controllen = m.msg_controllen;
		g->flags = m.msg_flags;
		if (uproc_write(p, a[1], g, sizeof(*g)))
			return -EFAULT;
	}
	return n;
}

SYSCALL(sendmsg)
{
	return msg_call(p, a, true);
}

SYSCALL(recvmsg)
{
	return msg_call(p, a, false);
}
