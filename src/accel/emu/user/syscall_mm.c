/* Memory syscalls of the process VM: brk, mmap family, and the bookkeeping of which guest
 * ranges are in use.
 *
 * Invariant: every guest page outside the used ranges is a fresh zero page, so a range
 * handed out again reads as zeroes without further work. Protections are recorded by the
 * guest's libc only; the flat address space does not enforce them (documented limit). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"
#include "base/util.h"

/* Guest mmap flags (generic Linux values). */
#define G_MAP_SHARED	      0x01
#define G_MAP_PRIVATE	      0x02
#define G_MAP_SHARED_VALIDATE 0x03
#define G_MAP_TYPE	      0x0f
#define G_MAP_FIXED	      0x10
#define G_MAP_ANONYMOUS	      0x20
#define G_MAP_FIXED_NOREPLACE 0x100000
#define G_PROT_WRITE	      0x2
#define G_MREMAP_MAYMOVE      1
#define G_MREMAP_FIXED	      2
#define G_MADV_DONTNEED	      4

static bool in_space(uint64_t start, uint64_t len)
{
	return start >= UPROC_BASE && len <= UPROC_TOP - start;
}

int uproc_vma_add(struct uproc *p, uint64_t start, uint64_t end)
{
	unsigned i = 0;

	if (start >= end)
		return 0;
	while (i < p->nvma && p->vma[i].end < start)
		i++;
	if (i < p->nvma && p->vma[i].start < end && start < p->vma[i].end)
		return -EEXIST;
	/* Merge with an adjacent neighbour when possible. */
	if (i < p->nvma && p->vma[i].end == start) {
		p->vma[i].end = end;
		if (i + 1 < p->nvma && p->vma[i + 1].start == end) {
			p->vma[i].end = p->vma[i + 1].end;
			memmove(&p->vma[i + 1], &p->vma[i + 2],
				(p->nvma - i - 2) * sizeof(p->vma[0]));
			p->nvma--;
		}
		return 0;
	}
	if (i < p->nvma && p->vma[i].start == end) {
		p->vma[i].start = start;
		return 0;
	}
	if (p->nvma >= UPROC_MAX_VMAS)
		return -ENOMEM;
	memmove(&p->vma[i + 1], &p->vma[i], (p->nvma - i) * sizeof(p->vma[0]));
	p->vma[i] = (struct uvma){start, end};
	p->nvma++;
	return 0;
}

int uproc_vma_remove(struct uproc *p, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < p->nvma && start < end;) {
		struct uvma *v = &p->vma[i];

		if (v->end <= start || v->start >= end) {
			i++;
			continue;
		}
		if (v->start < start && v->end > end) { /* split in two */
			if (p->nvma >= UPROC_MAX_VMAS)
				return -ENOMEM;
			memmove(&p->vma[i + 1], &p->vma[i], (p->nvma - i) * sizeof(p->vma[0]));
			p->nvma++;
			p->vma[i].end = start;
			p->vma[i + 1].start = end;
			return 0;
		}
		if (v->start < start) {
			v->end = start;
			i++;
		} else if (v->end > end) {
			v->start = end;
			i++;
		} else {
			memmove(&p->vma[i], &p->vma[i + 1], (p->nvma - i - 1) * sizeof(p->vma[0]));
			p->nvma--;
		}
	}
	return 0;
}

bool uproc_vma_free(const struct uproc *p, uint64_t start, uint64_t end)
{
	if (!in_space(start, end - start) || start >= end)
		return false;
	for (unsigned i = 0; i < p->nvma; i++) {
		if (p->vma[i].start < end && start < p->vma[i].end)
			return false;
	}
	return true;
}

uint64_t uproc_vma_find(const struct uproc *p, uint64_t len, uint64_t top)
{
	uint64_t hi = top;

	/* Walk the gaps from the top down. */
	for (int i = (int)p->nvma - 1; i >= -1; i--) {
		uint64_t lo = i >= 0 ? p->vma[i].end : UPROC_BASE;

		if (i >= 0 && p->vma[i].start >= top)
			continue;
		if (lo < hi && hi - lo >= len)
			return hi - len;
		if (i >= 0)
			hi = MIN(hi, p->vma[i].start);
	}
	return 0;
}

static void mem_changed(struct uproc *p)
{
	if (p->mem_changed)
		p->mem_changed(p);
}

/* Unmaps [start, end) (clamped to the guest space): zero pages, no longer used. */
static int unmap_range(struct uproc *p, uint64_t start, uint64_t end)
{
	int ret;

	start = MAX(start, UPROC_BASE);
	end = MIN(end, UPROC_TOP);
	if (start >= end)
		return 0;
	ret = uproc_vma_remove(p, start, end);
	if (!ret)
		ret = uproc_zero_pages(p, start, end);
	return ret;
}

SYSCALL(brk)
{
	uint64_t want = a[0], old_end = ALIGN_UP(p->brk_cur, UPROC_PAGE), new_end;

	if (want < p->brk_start || want > UPROC_MMAP_TOP)
		return (int64_t)p->brk_cur;
	new_end = ALIGN_UP(want, UPROC_PAGE);
	if (new_end > old_end) {
		if (!uproc_vma_free(p, old_end, new_end) || uproc_vma_add(p, old_end, new_end))
			return (int64_t)p->brk_cur;
	} else if (new_end < old_end) {
		if (unmap_range(p, new_end, old_end))
			return (int64_t)p->brk_cur;
	}
	p->brk_cur = want;
	mem_changed(p);
	return (int64_t)want;
}

/* Fills [addr, addr+len) from fd at off: a private copy, so that no host page of the guest
 * space can ever raise SIGBUS (a truncated file under a host mapping would). */
static int64_t map_file_copy(struct uproc *p, uint64_t addr, uint64_t len, int fd, uint64_t off)
{
	uint8_t *dst = uproc_ptr(p, addr, len);
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (uint64_t)n;
	}
	return 0;
}

/* A writable shared file mapping must really share pages with the file (and with forked
 * children): map the file into the guest space, only up to its end of file. */
static int64_t map_file_shared(struct uproc *p, uint64_t addr, uint64_t len, int fd, uint64_t off)
{
	struct stat st;
	uint64_t file_len;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	file_len = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
	file_len = MIN(ALIGN_UP(file_len, UPROC_PAGE), len);
	if (file_len && mmap(uproc_ptr(p, addr, file_len), file_len, PROT_READ | PROT_WRITE,
			     MAP_FIXED | MAP_SHARED, fd, (off_t)off) == MAP_FAILED)
		return -errno;
	return 0;
}

static int64_t map_anon_shared(struct uproc *p, uint64_t addr, uint64_t len)
{
	if (mmap(uproc_ptr(p, addr, len), len, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

/* Chooses where a new mapping goes. Returns the address or a negative errno. */
static int64_t map_place(struct uproc *p, uint64_t hint, uint64_t len, uint64_t flags)
{
	uint64_t addr;

	if (flags & (G_MAP_FIXED | G_MAP_FIXED_NOREPLACE)) {
		if (hint & (UPROC_PAGE - 1))
			return -EINVAL;
		if (!in_space(hint, len))
			return -ENOMEM;
		if (!uproc_vma_free(p, hint, hint + len)) {
			if (!(flags & G_MAP_FIXED) || (flags & G_MAP_FIXED_NOREPLACE))
				return -EEXIST;
			if (unmap_range(p, hint, hint + len))
				return -ENOMEM;
		}
		return (int64_t)hint;
	}
	hint = ALIGN_DOWN(hint, UPROC_PAGE);
	if (hint && in_space(hint, len) && uproc_vma_free(p, hint, hint + len))
		return (int64_t)hint;
	addr = uproc_vma_find(p, len, UPROC_MMAP_TOP);
	return addr ? (int64_t)addr : -ENOMEM;
}

SYSCALL(mmap)
{
	uint64_t len = a[1], prot = a[2], flags = a[3], off = a[5];
	int fd = guest_fd(a[4]);
	uint64_t type = flags & G_MAP_TYPE;
	int64_t addr, ret = 0;

	if (!len || len > UPROC_TOP || (off & (UPROC_PAGE - 1)))
		return -EINVAL;
	if (type != G_MAP_SHARED && type != G_MAP_PRIVATE && type != G_MAP_SHARED_VALIDATE)
		return -EINVAL;
	len = ALIGN_UP(len, UPROC_PAGE);
	if (!(flags & G_MAP_ANONYMOUS) && fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	addr = map_place(p, a[0], len, flags);
	if (addr < 0)
		return addr;
	if (flags & G_MAP_ANONYMOUS)
		ret = type == G_MAP_PRIVATE ? 0 : map_anon_shared(p, (uint64_t)addr, len);
	else if (type != G_MAP_PRIVATE && (prot & G_PROT_WRITE))
		ret = map_file_shared(p, (uint64_t)addr, len, fd, off);
	else
		ret = map_file_copy(p, (uint64_t)addr, len, fd, off);
	if (!ret)
		ret = uproc_vma_add(p, (uint64_t)addr, (uint64_t)addr + len);
	if (ret) {
		uproc_zero_pages(p, (uint64_t)addr, (uint64_t)addr + len);
		return ret;
	}
	mem_changed(p);
	return addr;
}

SYSCALL(munmap)
{
	uint64_t addr = a[0], len = ALIGN_UP(a[1], UPROC_PAGE);
	int ret;

	if ((addr & (UPROC_PAGE - 1)) || !len || len > UPROC_TOP || addr + len < addr)
		return -EINVAL;
	ret = unmap_range(p, addr, addr + len);
	mem_changed(p);
	return ret;
}

SYSCALL(mprotect)
{
	uint64_t addr = a[0], len = ALIGN_UP(a[1], UPROC_PAGE);

	if (addr & (UPROC_PAGE - 1))
		return -EINVAL;
	if (len && !in_space(addr, len))
		return -ENOMEM;
	/* Code pages may have changed permissions for a JIT-ing guest: drop cached code. */
	mem_changed(p);
	return 0;
}

SYSCALL(madvise)
{
	uint64_t addr = a[0], len = ALIGN_UP(a[1], UPROC_PAGE);

	if (addr & (UPROC_PAGE - 1))
		return -EINVAL;
	if (len && !in_space(addr, len))
		return -ENOMEM;
	if (a[2] == G_MADV_DONTNEED && len)
		return uproc_zero_pages(p, addr, addr + len);
	return 0;
}

SYSCALL(msync)
{
	uint64_t addr = a[0], len = ALIGN_UP(a[1], UPROC_PAGE);
	void *hva;

	if (addr & (UPROC_PAGE - 1))
		return -EINVAL;
	if (!len)
		return 0;
	hva = uproc_ptr(p, addr, len);
	if (!hva)
		return -ENOMEM;
	return host_ret(msync(hva, len, (int)a[2]));
}

SYSCALL(mremap)
{
	uint64_t old = a[0], old_len = ALIGN_UP(a[1], UPROC_PAGE);
	uint64_t new_len = ALIGN_UP(a[2], UPROC_PAGE), flags = a[3], dst;
	int64_t placed;
	int ret;

	if ((old & (UPROC_PAGE - 1)) || !new_len || new_len > UPROC_TOP || (flags & ~3ULL))
		return -EINVAL;
	if (!in_space(old, old_len) || !old_len)
		return -EFAULT;
	if (!(flags & G_MREMAP_FIXED)) {
		if (new_len <= old_len) {
			ret = unmap_range(p, old + new_len, old + old_len);
			mem_changed(p);
			return ret ? ret : (int64_t)old;
		}
		if (uproc_vma_free(p, old + old_len, old + new_len)) {
			ret = uproc_vma_add(p, old + old_len, old + new_len);
			return ret ? ret : (int64_t)old;
		}
	}
	if (!(flags & G_MREMAP_MAYMOVE))
		return -ENOMEM;
	if (flags & G_MREMAP_FIXED) {
		dst = a[4];
		if ((dst & (UPROC_PAGE - 1)) || !in_space(dst, new_len) ||
		    (dst < old + old_len && old < dst + new_len))
			return -EINVAL;
		if (unmap_range(p, dst, dst + new_len))
			return -ENOMEM;
		placed = (int64_t)dst;
	} else {
		placed = map_place(p, 0, new_len, 0);
		if (placed < 0)
			return placed;
	}
	ret = uproc_vma_add(p, (uint64_t)placed, (uint64_t)placed + new_len);
	if (ret)
		return ret;
	memcpy(uproc_ptr(p, (uint64_t)placed, new_len), uproc_ptr(p, old, old_len),
	       MIN(old_len, new_len));
	unmap_range(p, old, old + old_len);
	mem_changed(p);
	return placed;
}
