#include "boot/elf.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "machine/memory.h"

/* True when [off, off + n*size) lies inside a file of len bytes (overflow safe). */
static bool in_file(size_t len, uint64_t off, uint64_t n, uint64_t size)
{
	if (size && n > UINT64_MAX / size)
		return false;
	return off <= len && n * size <= len - off;
}

static int check_ehdr(const uint8_t *buf, size_t len, const Elf64_Ehdr **eh, char *err,
		      size_t errlen)
{
	const Elf64_Ehdr *e = (const Elf64_Ehdr *)buf;

	if (len < sizeof(*e) || memcmp(e->e_ident, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "not an ELF file");
		return -ENOEXEC;
	}
	if (e->e_ident[EI_CLASS] != ELFCLASS64 || e->e_ident[EI_DATA] != ELFDATA2LSB ||
	    e->e_machine != EM_RISCV) {
		snprintf(err, errlen, "not a little-endian 64-bit RISC-V ELF");
		return -ENOEXEC;
	}
	if (e->e_type != ET_EXEC) {
		snprintf(err, errlen, "not an executable ELF (e_type %u)", e->e_type);
		return -ENOEXEC;
	}
	if (e->e_phentsize != sizeof(Elf64_Phdr) || !e->e_phnum || e->e_phoff % 8 ||
	    !in_file(len, e->e_phoff, e->e_phnum, sizeof(Elf64_Phdr))) {
		snprintf(err, errlen, "corrupt ELF program headers");
		return -ENOEXEC;
	}
	*eh = e;
	return 0;
}

static int load_segments(struct guest_mem *mem, const uint8_t *buf, size_t len, const Elf64_Ehdr *e,
			 struct elf_image *out, char *err, size_t errlen)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + e->e_phoff);
	unsigned loaded = 0;

	out->lo = UINT64_MAX;
	for (unsigned i = 0; i < e->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint8_t *dst;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz || !in_file(len, p->p_offset, 1, p->p_filesz)) {
			snprintf(err, errlen, "corrupt ELF segment %u", i);
			return -ENOEXEC;
		}
		dst = gmem_ptr(mem, p->p_paddr, p->p_memsz);
		if (!dst) {
			snprintf(err, errlen,
				 "ELF segment %u at 0x%llx (%llu bytes) is outside guest RAM", i,
				 (unsigned long long)p->p_paddr, (unsigned long long)p->p_memsz);
			return -ERANGE;
		}
		memcpy(dst, buf + p->p_offset, p->p_filesz);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		out->lo = MIN(out->lo, p->p_paddr);
		out->hi = MAX(out->hi, p->p_paddr + p->p_memsz);
		loaded++;
	}
	if (!loaded) {
		snprintf(err, errlen, "ELF has no loadable segment");
		return -ENOEXEC;
	}
	return 0;
}

/* Physical address of virtual address va through the PT_LOAD mappings (identity otherwise). */
static uint64_t va_to_pa(const uint8_t *buf, const Elf64_Ehdr *e, uint64_t va)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + e->e_phoff);

	for (unsigned i = 0; i < e->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr &&
		    va - ph[i].p_vaddr < ph[i].p_memsz)
			return ph[i].p_paddr + (va - ph[i].p_vaddr);
	return va;
}

/* Looks up the HTIF symbols; a missing or malformed symbol table just means no HTIF. */
static void find_htif(const uint8_t *buf, size_t len, const Elf64_Ehdr *e, struct elf_image *out)
{
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(buf + e->e_shoff);

	if (!e->e_shoff || e->e_shoff % 8 || e->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(len, e->e_shoff, e->e_shnum, sizeof(Elf64_Shdr)))
		return;
	for (unsigned i = 0; i < e->e_shnum; i++) {
		const Elf64_Shdr *sym = &sh[i], *str;
		const Elf64_Sym *syms;

		if (sym->sh_type != SHT_SYMTAB || sym->sh_link >= e->e_shnum || sym->sh_offset % 8)
			continue;
		str = &sh[sym->sh_link];
		if (!in_file(len, sym->sh_offset, sym->sh_size / sizeof(Elf64_Sym),
			     sizeof(Elf64_Sym)) ||
		    !in_file(len, str->sh_offset, 1, str->sh_size))
			continue;
		syms = (const Elf64_Sym *)(buf + sym->sh_offset);
		for (uint64_t k = 0; k < sym->sh_size / sizeof(Elf64_Sym); k++) {
			const char *name;
			uint64_t room;

			if (syms[k].st_name >= str->sh_size)
				continue;
			name = (const char *)buf + str->sh_offset + syms[k].st_name;
			room = str->sh_size - syms[k].st_name;
			if (!memchr(name, 0, room))
				continue;
			if (!strcmp(name, "tohost"))
				out->tohost = va_to_pa(buf, e, syms[k].st_value);
			else if (!strcmp(name, "fromhost"))
				out->fromhost = va_to_pa(buf, e, syms[k].st_value);
		}
	}
}

int elf_riscv_load_buf(struct guest_mem *mem, const uint8_t *buf, size_t len, struct elf_image *out,
		       char *err, size_t errlen)
{
	const Elf64_Ehdr *e = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = check_ehdr(buf, len, &e, err, errlen);
	if (r)
		return r;
	r = load_segments(mem, buf, len, e, out, err, errlen);
	if (r)
		return r;
	out->entry = e->e_entry;
	if (!gmem_ptr(mem, out->entry, 2)) {
		snprintf(err, errlen, "ELF entry point 0x%llx is outside guest RAM",
			 (unsigned long long)out->entry);
		return -ERANGE;
	}
	find_htif(buf, len, e, out);
	if (out->tohost && !gmem_ptr(mem, out->tohost, 8)) {
		snprintf(err, errlen, "ELF symbol tohost (0x%llx) is outside guest RAM",
			 (unsigned long long)out->tohost);
		return -ERANGE;
	}
	if (out->fromhost && !gmem_ptr(mem, out->fromhost, 8))
		out->fromhost = 0;
	return 0;
}

int elf_riscv_load(struct guest_mem *mem, const char *path, struct elf_image *out, char *err,
		   size_t errlen)
{
	cleanup_free uint8_t *buf = NULL;
	size_t len;
	int e = read_file(path, &buf, &len);

	if (e) {
		snprintf(err, errlen, "ELF %s: %s", path, err_str(e));
		return e;
	}
	return elf_riscv_load_buf(mem, buf, len, out, err, errlen);
}
