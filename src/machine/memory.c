#include "machine/memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"

/* Guest RAM starts on a 2 MiB host boundary, like its guest addresses, so that transparent huge
 * pages line up with guest pages and KVM can map guest RAM with 2 MiB nested pages: without it
 * every first touch of a 4 KiB guest page is a VM exit (~24k more while a stock kernel boots). */
#define GMEM_HUGE_ALIGN (2ULL * 1024 * 1024)

static void *map_aligned(uint64_t size)
{
	uint64_t len = size + GMEM_HUGE_ALIGN;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return p;
	a = (uint8_t *)ALIGN_UP((uintptr_t)p, (uintptr_t)GMEM_HUGE_ALIGN);
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len > a + size)
		munmap(a + size, (size_t)(p + len - (a + size)));
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

int gmem_add_ram(struct guest_mem *m, uint64_t gpa, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (m->n >= GMEM_MAX_REGIONS)
		return -ENOSPC;
	if (!size || (gpa | size) & (uint64_t)(page - 1) || gpa + size < gpa)
		return -EINVAL;
	for (int i = 0; i < m->n; i++) {
		if (gpa < m->r[i].gpa + m->r[i].size && m->r[i].gpa < gpa + size)
			return -EEXIST;
	}
	p = map_aligned(size);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, size, MADV_MERGEABLE);
	m->r[m->n++] = (struct gmem_region){.gpa = gpa, .size = size, .hva = p};
	m->total += size;
	return 0;
}

void gmem_free(struct guest_mem *m)
{
	for (int i = 0; i < m->n; i++)
		munmap(m->r[i].hva, m->r[i].size);
	m->n = 0;
	m->total = 0;
}

const struct gmem_region *gmem_find(const struct guest_mem *m, uint64_t gpa)
{
	for (int i = 0; i < m->n; i++) {
		if (gpa - m->r[i].gpa < m->r[i].size)
			return &m->r[i];
	}
	return NULL;
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = gmem_find(m, gpa);
	uint64_t off;

	if (!r)
		return NULL;
	off = gpa - r->gpa;
	/* off < size here, so size - off cannot underflow. */
	if (len > r->size - off)
		return NULL;
	return r->hva + off;
}

int gmem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

uint64_t gmem_resident_bytes(const struct guest_mem *m)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec[4096];
	uint64_t total = 0;

	for (int i = 0; i < m->n; i++) {
		uint64_t npages = m->r[i].size / (uint64_t)page;
		for (uint64_t p = 0; p < npages; p += sizeof(vec)) {
			uint64_t chunk = MIN(npages - p, (uint64_t)sizeof(vec));
			if (mincore(m->r[i].hva + p * (uint64_t)page, chunk * (uint64_t)page, vec))
				break;
			for (uint64_t j = 0; j < chunk; j++)
				total += (vec[j] & 1) ? (uint64_t)page : 0;
		}
	}
	return total;
}
