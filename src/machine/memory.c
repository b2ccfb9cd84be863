#include "machine/memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"

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
	/* KVM maps guest RAM with 2 MiB pages in its nested/extended page tables only where the
	 * host address is congruent to the guest address modulo 2 MiB and backed by a huge page:
	 * reserve 2 MiB more, trim so that it is, and ask for transparent huge pages. (Found in
	 * the KVM lab: 4 KiB mappings cost a stock kernel ~25000 extra nested page faults.) */
	uint64_t align = 2 * MiB, lead;
	uint8_t *raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return -errno;
	lead = ((gpa & (align - 1)) - (uint64_t)(uintptr_t)raw) & (align - 1);
	if (lead)
		munmap(raw, lead);
	if (align - lead)
		munmap(raw + lead + size, align - lead);
	p = raw + lead;
	madvise(p, size, MADV_HUGEPAGE);
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
