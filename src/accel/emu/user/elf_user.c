/* Loads a static or static-pie riscv64 Linux ELF into the process VM's address space. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/emu/user/uproc.h"
#include "base/cleanup.h"
#include "base/util.h"

#define ELF_MAX_PHNUM 64

static int read_exact(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOEXEC;
		done += (size_t)n;
	}
	return 0;
}

/* Validates the ELF header; *why gets the reason on -ENOEXEC. */
static int check_header(const Elf64_Ehdr *eh, const char **why)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		*why = "not an ELF executable";
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_RISCV) {
		*why = "not a riscv64 executable (wrong architecture)";
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		*why = "not an executable (ELF type is neither EXEC nor DYN)";
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum > ELF_MAX_PHNUM) {
		*why = "malformed ELF program headers";
		return -ENOEXEC;
	}
	return 0;
}

bool uproc_is_riscv_elf(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	const char *why;

	if (fd < 0 || read_exact(fd, &eh, sizeof(eh), 0))
		return false;
	return check_header(&eh, &why) == 0;
}

/* Lowest and highest addresses of the PT_LOAD segments; -ENOEXEC if there are none. */
static int load_extent(const Elf64_Phdr *ph, unsigned n, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_memsz < ph[i].p_filesz || ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr)
			return -ENOEXEC;
		*lo = MIN(*lo, ALIGN_DOWN(ph[i].p_vaddr, UPROC_PAGE));
		*hi = MAX(*hi, ph[i].p_vaddr + ph[i].p_memsz);
	}
	return *lo < *hi ? 0 : -ENOEXEC;
}

static int load_segment(struct uproc *p, int fd, const Elf64_Phdr *ph, uint64_t bias)
{
	uint64_t va = ph->p_vaddr + bias;
	uint8_t *dst = uproc_ptr(p, va, ph->p_memsz);

	if (!dst)
		return -ENOEXEC;
	/* The space is fresh zero pages: only the file part needs copying (bss stays 0). */
	return read_exact(fd, dst, ph->p_filesz, ph->p_offset);
}

/* Guest address of the program headers (AT_PHDR). */
static uint64_t phdr_address(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, uint64_t bias)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR)
			return ph[i].p_vaddr + bias;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && eh->e_phoff >= ph[i].p_offset &&
		    eh->e_phoff - ph[i].p_offset < ph[i].p_filesz)
			return ph[i].p_vaddr + bias + (eh->e_phoff - ph[i].p_offset);
	}
	return 0;
}

int uproc_load_elf(struct uproc *p, const char *path, const char **why)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Phdr ph[ELF_MAX_PHNUM];
	uint64_t lo, hi, bias = 0;
	Elf64_Ehdr eh;
	int ret;

	*why = NULL;
	if (fd < 0)
		return -errno;
	ret = read_exact(fd, &eh, sizeof(eh), 0);
	if (ret == -ENOEXEC)
		*why = "not an ELF executable (file too short)";
	if (!ret)
		ret = check_header(&eh, why);
	if (!ret)
		ret = read_exact(fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff);
	if (ret) {
		if (ret == -ENOEXEC && !*why)
			*why = "malformed ELF program headers";
		return ret;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			*why = "dynamically linked programs are not supported (build with -static)";
			return -ENOEXEC;
		}
	}
	if (load_extent(ph, eh.e_phnum, &lo, &hi)) {
		*why = "no loadable segments";
		return -ENOEXEC;
	}
	if (eh.e_type == ET_DYN)
		bias = UPROC_PIE_BASE - lo;
	if (lo + bias < UPROC_BASE || hi + bias > UPROC_MMAP_TOP / 2) {
		*why = "segments outside the supported address range";
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		ret = load_segment(p, fd, &ph[i], bias);
		if (ret) {
			*why = "truncated or malformed segment";
			return ret;
		}
	}
	ret = uproc_vma_add(p, lo + bias, ALIGN_UP(hi + bias, UPROC_PAGE));
	if (ret)
		return ret;
	p->entry = eh.e_entry + bias;
	p->phdr = phdr_address(&eh, ph, bias);
	p->phnum = eh.e_phnum;
	p->load_bias = bias;
	p->brk_start = p->brk_cur = ALIGN_UP(hi + bias, UPROC_PAGE);
	if (!realpath(path, p->exe))
		snprintf(p->exe, sizeof(p->exe), "%s", path);
	return 0;
}
