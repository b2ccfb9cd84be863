/* PVH boot of an ELF vmlinux: the XEN_ELFNOTE_PHYS32_ENTRY note gives a 32-bit entry point,
 * entered in flat protected mode with paging off and ebx = an hvm_start_info holding the
 * command line, the memory map and the initrd as module 0. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "boot/acpi.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC		 0x336ec578u

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* The program headers of a 32- or 64-bit ELF, normalised. */
struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static int fail(struct x86_load *ld, int err, const char *what)
{
	snprintf(ld->err, sizeof(ld->err), "PVH ELF: %s", what);
	return err;
}

static int get_phdr(const struct x86_load *ld, bool is64, unsigned i, struct phdr *p)
{
	if (is64) {
		const Elf64_Ehdr *eh = (const void *)ld->kernel;
		Elf64_Phdr ph;
		uint64_t off = eh->e_phoff + (uint64_t)i * sizeof(ph);

		if (eh->e_phentsize != sizeof(ph) || off + sizeof(ph) > ld->kernel_len ||
		    off < eh->e_phoff)
			return -ENOEXEC;
		memcpy(&ph, ld->kernel + off, sizeof(ph));
		*p = (struct phdr){ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz};
	} else {
		const Elf32_Ehdr *eh = (const void *)ld->kernel;
		Elf32_Phdr ph;
		uint64_t off = eh->e_phoff + (uint64_t)i * sizeof(ph);

		if (eh->e_phentsize != sizeof(ph) || off + sizeof(ph) > ld->kernel_len)
			return -ENOEXEC;
		memcpy(&ph, ld->kernel + off, sizeof(ph));
		*p = (struct phdr){ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz};
	}
	if (p->offset + p->filesz < p->offset || p->offset + p->filesz > ld->kernel_len)
		return -ENOEXEC;
	return 0;
}

/* Finds the PHYS32_ENTRY note in a PT_NOTE segment. Returns 1 and the entry, or 0. */
static int find_entry(const struct x86_load *ld, const struct phdr *p, uint32_t *entry)
{
	const uint8_t *n = ld->kernel + p->offset, *end = n + p->filesz;

	while (end - n >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_al, desc_al;

		memcpy(&namesz, n, 4);
		memcpy(&descsz, n + 4, 4);
		memcpy(&type, n + 8, 4);
		name_al = ALIGN_UP((uint64_t)namesz, 4);
		desc_al = ALIGN_UP((uint64_t)descsz, 4);
		if (name_al + desc_al > (uint64_t)(end - n - 12))
			return 0;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(n + 12, "Xen", 4) &&
		    descsz >= 4) {
			memcpy(entry, n + 12 + name_al, 4);
			return 1;
		}
		n += 12 + name_al + desc_al;
	}
	return 0;
}

static int write_start_info(struct x86_load *ld, uint64_t kernel_end)
{
	struct machine *m = ld->m;
	struct hvm_start_info si = {.magic = HVM_START_MAGIC, .version = 1};
	struct x86_e820 e820[X86_E820_MAX];
	unsigned n = x86_e820_map(m, e820, X86_E820_MAX);
	size_t cmdlen = ld->append ? strlen(ld->append) : 0;

	if (cmdlen >= X86_CMDLINE_MAX)
		return fail(ld, -E2BIG, "command line too long");
	gmem_write(&m->mem, X86_CMDLINE_ADDR, ld->append ? ld->append : "", cmdlen + 1);
	si.cmdline_paddr = X86_CMDLINE_ADDR;
	si.rsdp_paddr = ACPI_BASE;
	for (unsigned i = 0; i < n; i++) {
		struct hvm_memmap_entry e = {e820[i].addr, e820[i].size, e820[i].type, 0};

		gmem_write(&m->mem, X86_E820_MAP + i * sizeof(e), &e, sizeof(e));
	}
	si.memmap_paddr = X86_E820_MAP;
	si.memmap_entries = n;
	if (ld->initrd) {
		uint64_t at, mod_at = X86_E820_MAP + n * sizeof(struct hvm_memmap_entry);
		struct hvm_modlist_entry mod;

		if (x86_place_initrd(m, ld->initrd_len, ALIGN_UP(kernel_end, 4096), X86_4G, &at))
			return fail(ld, -E2BIG,
				    "initrd does not fit in guest RAM above the kernel");
		gmem_write(&m->mem, at, ld->initrd, ld->initrd_len);
		mod = (struct hvm_modlist_entry){at, ld->initrd_len, 0, 0};
		gmem_write(&m->mem, mod_at, &mod, sizeof(mod));
		si.nr_modules = 1;
		si.modlist_paddr = mod_at;
	}
	return gmem_write(&m->mem, X86_PVH_START, &si, sizeof(si));
}

int pvh_load(struct x86_load *ld)
{
	const Elf32_Ehdr *eh = (const void *)ld->kernel;
	uint64_t kernel_end = 0;
	unsigned phnum;
	uint32_t entry = 0;
	bool is64, found = false;
	struct phdr p;

	if (ld->kernel_len < sizeof(Elf64_Ehdr) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return 0;
	is64 = eh->e_ident[EI_CLASS] == ELFCLASS64;
	if (eh->e_ident[EI_CLASS] != ELFCLASS32 && !is64)
		return fail(ld, -ENOEXEC, "unknown ELF class");
	phnum = is64 ? ((const Elf64_Ehdr *)ld->kernel)->e_phnum : eh->e_phnum;
	for (unsigned i = 0; i < phnum && !found; i++) {
		if (get_phdr(ld, is64, i, &p))
			return fail(ld, -ENOEXEC, "program headers are truncated");
		if (p.type == PT_NOTE)
			found = find_entry(ld, &p, &entry);
	}
	if (!found && ld->proto == X86_BOOT_AUTO && is64)
		return 0; /* a plain 64-bit vmlinux: the 64-bit entry (vmlinux64.c) */
	if (!found)
		return fail(ld, -ENOEXEC,
			    "ELF kernel without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	for (unsigned i = 0; i < phnum; i++) {
		get_phdr(ld, is64, i, &p);
		if (p.type != PT_LOAD)
			continue;
		if (p.filesz > p.memsz)
			return fail(ld, -ENOEXEC, "segment file size exceeds its memory size");
		if (p.paddr < X86_HIMEM_START || !gmem_ptr(&ld->m->mem, p.paddr, p.memsz))
			return fail(ld, -E2BIG, "kernel does not fit in guest RAM");
		gmem_write(&ld->m->mem, p.paddr, ld->kernel + p.offset, p.filesz);
		memset(gmem_ptr(&ld->m->mem, p.paddr + p.filesz, p.memsz - p.filesz), 0,
		       p.memsz - p.filesz);
		kernel_end = MAX(kernel_end, p.paddr + p.memsz);
	}
	if (!kernel_end)
		return fail(ld, -ENOEXEC, "no loadable segment");
	int r = write_start_info(ld, kernel_end);

	if (r)
		return r;
	ld->entry = (struct x86_entry){
	    .mode = X86_MODE_PROT32, .rip = entry, .rsp = X86_BOOT_STACK, .rbx = X86_PVH_START};
	return 1;
}
