/* The process VM's address space and guest-pointer checks. */
#include "accel/emu/user/uproc.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"

int uproc_init(struct uproc *p)
{
	ssize_t n;
	int ret;

	memset(p, 0, sizeof(*p));
	p->vfork_fd = -1;
	p->main.proc = p;
	p->nthreads = 1;
	pthread_mutex_init(&p->lock, NULL);
	bus_init(&p->m.mmio, "mmio");
	bus_init(&p->m.pio, "pio");
	ret = gmem_add_ram(&p->m.mem, UPROC_BASE, UPROC_TOP - UPROC_BASE);
	if (ret)
		return ret;
	/* gmem_add_ram marks RAM mergeable for VMs; a process does not want KSM scans. */
	madvise(p->m.mem.r[0].hva, p->m.mem.r[0].size, MADV_UNMERGEABLE);
	ret = uproc_vma_add(p, UPROC_TOP - UPROC_STACK_SIZE, UPROC_TOP);
	if (!ret)
		ret = uproc_vma_add(p, UPROC_SIGPAGE, UPROC_SIGPAGE + UPROC_PAGE);
	if (ret)
		return ret;
	n = readlink("/proc/self/exe", p->gasang, sizeof(p->gasang) - 1);
	if (n < 0)
		return -errno;
	p->gasang[n] = '\0';
	return 0;
}

void uproc_free(struct uproc *p)
{
	if (p->main.hart_ready)
		hart_free(&p->main.hart);
	p->main.hart_ready = false;
	uthread_set_current(NULL);
	pthread_mutex_destroy(&p->lock);
	gmem_free(&p->m.mem);
	bus_free(&p->m.mmio);
	bus_free(&p->m.pio);
	if (p->vfork_fd >= 0)
		close(p->vfork_fd);
	p->vfork_fd = -1;
}

void *uproc_ptr(struct uproc *p, uint64_t gva, uint64_t len)
{
	/* A zero-length buffer still has to be a guest address, but host syscalls never touch
	 * it: any in-range byte will do as its host pointer. */
	if (!len)
		return gva >= UPROC_BASE && gva <= UPROC_TOP ? p->m.mem.r[0].hva : NULL;
	return gmem_ptr(&p->m.mem, gva, len);
}

int uproc_read(struct uproc *p, uint64_t gva, void *dst, uint64_t len)
{
	void *src = uproc_ptr(p, gva, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int uproc_write(struct uproc *p, uint64_t gva, const void *src, uint64_t len)
{
	void *dst = uproc_ptr(p, gva, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

long uproc_strcpy(struct uproc *p, uint64_t gva, char *buf, size_t size)
{
	const struct gmem_region *r = gmem_find(&p->m.mem, gva);
	uint64_t avail, scan;
	const char *src, *nul;

	if (!r || !size)
		return -EFAULT;
	avail = r->size - (gva - r->gpa);
	scan = MIN(avail, (uint64_t)size);
	src = (const char *)r->hva + (gva - r->gpa);
	nul = memchr(src, 0, scan);
	if (!nul)
		return scan < size ? -EFAULT : -ENAMETOOLONG;
	memcpy(buf, src, (size_t)(nul - src) + 1);
	return nul - src;
}

int uproc_zero_pages(struct uproc *p, uint64_t start, uint64_t end)
{
	uint8_t *hva;

	if (start >= end)
		return 0;
	hva = uproc_ptr(p, start, end - start);
	if (!hva || (start | end) & (UPROC_PAGE - 1))
		return -EINVAL;
	if (mmap(hva, end - start, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}
