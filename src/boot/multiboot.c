/* Multiboot v1 (ELF32 kernels, and flat kernels through the a.out kludge), as QEMU's -kernel
 * boots them: 32-bit protected mode, paging off, eax = 0x2badb002, ebx = the info structure with
 * a memory map; the command line is "<kernel path> <append>"; --initrd is the single module. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define MB_MAGIC       0x1badb002u
#define MB_BOOT_MAGIC  0x2badb002u
#define MB_SEARCH      8192
#define MB_FLAG_AOUT   (1u << 16)
#define MB_FLAGS_KNOWN 0x7u /* page align, memory info, video (ignored, as QEMU does) */

#define MBI_MEM	    (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS    (1u << 3)
#define MBI_MMAP    (1u << 6)
#define MBI_LOADER  (1u << 9)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct __attribute__((packed)) mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table;
	uint32_t vbe[4];
};

struct __attribute__((packed)) mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
};

struct __attribute__((packed)) mb_mod {
	uint32_t start, end, string, reserved;
};

static int fail(struct x86_load *ld, int err, const char *what)
{
	snprintf(ld->err, sizeof(ld->err), "Multiboot kernel: %s", what);
	return err;
}

/* The guest range [gpa, gpa+len) must be RAM below 4 GiB and clear of gasang's boot area. */
static bool range_ok(struct x86_load *ld, uint64_t gpa, uint64_t len)
{
	if (gpa < X86_CMDLINE_ADDR + X86_CMDLINE_MAX || gpa + len < gpa || gpa + len > X86_4G)
		return false;
	return len == 0 || gmem_ptr(&ld->m->mem, gpa, len) != NULL;
}

static int load_aout(struct x86_load *ld, const struct mb_header *h, size_t hoff, uint64_t *end,
		     uint32_t *entry)
{
	uint64_t file_off, load_len, bss_end;

	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > hoff)
		return fail(ld, -ENOEXEC, "header address below its load address");
	file_off = hoff - (h->header_addr - h->load_addr);
	load_len = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
				    : ld->kernel_len - file_off;
	if (h->load_end_addr && h->load_end_addr < h->load_addr)
		return fail(ld, -ENOEXEC, "load end below load address");
	if (file_off + load_len > ld->kernel_len)
		return fail(ld, -ENOEXEC, "image is truncated");
	bss_end = h->bss_end_addr ? h->bss_end_addr : h->load_addr + load_len;
	if (bss_end < h->load_addr + load_len)
		return fail(ld, -ENOEXEC, "bss end below load end");
	if (!range_ok(ld, h->load_addr, bss_end - h->load_addr))
		return fail(ld, -E2BIG, "load range is outside guest RAM or in the boot area");
	gmem_write(&ld->m->mem, h->load_addr, ld->kernel + file_off, load_len);
	memset(gmem_ptr(&ld->m->mem, h->load_addr + load_len, bss_end - h->load_addr - load_len), 0,
	       bss_end - h->load_addr - load_len);
	*end = bss_end;
	*entry = h->entry_addr;
	return 0;
}

static int load_elf32(struct x86_load *ld, uint64_t *end, uint32_t *entry)
{
	const Elf32_Ehdr *eh = (const void *)ld->kernel;
	uint32_t ent = eh->e_entry;

	if (ld->kernel_len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_machine != EM_386)
		return fail(ld, -ENOEXEC, "not an ELF32 i386 image (and no a.out kludge)");
	if (eh->e_phentsize != sizeof(Elf32_Phdr) || !eh->e_phnum ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > ld->kernel_len)
		return fail(ld, -ENOEXEC, "program headers are truncated");
	*end = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf32_Phdr ph;

		memcpy(&ph, ld->kernel + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    (uint64_t)ph.p_offset + ph.p_filesz > ld->kernel_len)
			return fail(ld, -ENOEXEC, "segment is truncated");
		if (!range_ok(ld, ph.p_paddr, ph.p_memsz))
			return fail(ld, -E2BIG, "segment is outside guest RAM or in the boot area");
		gmem_write(&ld->m->mem, ph.p_paddr, ld->kernel + ph.p_offset, ph.p_filesz);
		memset(gmem_ptr(&ld->m->mem, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz), 0,
		       ph.p_memsz - ph.p_filesz);
		if (ent >= ph.p_vaddr && ent - ph.p_vaddr < ph.p_memsz)
			ent = ent - ph.p_vaddr + ph.p_paddr; /* entry given as a virtual address */
		*end = MAX(*end, (uint64_t)ph.p_paddr + ph.p_memsz);
	}
	if (!*end)
		return fail(ld, -ENOEXEC, "no loadable segment");
	*entry = ent;
	return 0;
}

/* Multiboot info, memory map, module and strings, all in gasang's boot area. */
static int write_info(struct x86_load *ld, uint64_t kernel_end)
{
	struct machine *m = ld->m;
	struct mb_info mbi = {.flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER};
	struct x86_e820 e820[X86_E820_MAX];
	unsigned n = x86_e820_map(m, e820, X86_E820_MAX);
	char *cmd = gmem_ptr(&m->mem, X86_CMDLINE_ADDR, X86_CMDLINE_MAX);
	uint64_t mmap_at = X86_E820_MAP, str_at;
	int len;

	if (!cmd)
		return fail(ld, -ENOMEM, "guest RAM too small");
	len = snprintf(cmd, X86_CMDLINE_MAX / 2, "%s%s%s", ld->kernel_path, ld->append ? " " : "",
		       ld->append ? ld->append : "");
	if (len < 0 || (uint64_t)len >= X86_CMDLINE_MAX / 2)
		return fail(ld, -E2BIG, "command line too long");
	mbi.cmdline = (uint32_t)X86_CMDLINE_ADDR;
	str_at = X86_CMDLINE_ADDR + (uint64_t)len + 1;
	len = snprintf(cmd + (str_at - X86_CMDLINE_ADDR), 16, "gasang");
	mbi.boot_loader_name = (uint32_t)str_at;
	str_at += (uint64_t)len + 1;
	for (unsigned i = 0; i < n; i++) {
		struct mb_mmap e = {20, e820[i].addr, e820[i].size, e820[i].type};

		gmem_write(&m->mem, mmap_at + i * sizeof(e), &e, sizeof(e));
		if (e820[i].type == 1 && e820[i].addr == 0)
			mbi.mem_lower = (uint32_t)(e820[i].size >> 10);
		if (e820[i].type == 1 && e820[i].addr == X86_HIMEM_START)
			mbi.mem_upper = (uint32_t)(e820[i].size >> 10);
	}
	mbi.mmap_addr = (uint32_t)mmap_at;
	mbi.mmap_length = n * sizeof(struct mb_mmap);
	if (ld->initrd) {
		uint64_t at = ALIGN_UP(kernel_end, 4096);
		struct mb_mod mod;

		if (!range_ok(ld, at, ld->initrd_len))
			return fail(ld, -E2BIG, "initrd does not fit in guest RAM below 4 GiB");
		gmem_write(&m->mem, at, ld->initrd, ld->initrd_len);
		mod =
		    (struct mb_mod){(uint32_t)at, (uint32_t)(at + ld->initrd_len), mbi.cmdline, 0};
		gmem_write(&m->mem, mmap_at + n * sizeof(struct mb_mmap), &mod, sizeof(mod));
		mbi.flags |= MBI_MODS;
		mbi.mods_count = 1;
		mbi.mods_addr = (uint32_t)(mmap_at + n * sizeof(struct mb_mmap));
	}
	(void)str_at;
	return gmem_write(&m->mem, X86_PVH_START, &mbi, sizeof(mbi));
}

int multiboot_load(struct x86_load *ld)
{
	size_t limit = MIN(ld->kernel_len, (size_t)MB_SEARCH);
	struct mb_header h;
	uint64_t end;
	uint32_t entry;
	size_t off;
	int r;

	for (off = 0; off + 12 <= limit; off += 4) {
		memcpy(&h, ld->kernel + off, 12);
		if (h.magic == MB_MAGIC && h.magic + h.flags + h.checksum == 0)
			break;
	}
	if (off + 12 > limit)
		return 0;
	if (h.flags & 0xffff & ~MB_FLAGS_KNOWN)
		return fail(ld, -ENOTSUP, "asks for features gasang does not provide");
	if (h.flags & MB_FLAG_AOUT) {
		if (off + sizeof(h) > ld->kernel_len)
			return fail(ld, -ENOEXEC, "header is truncated");
		memcpy(&h, ld->kernel + off, sizeof(h));
		r = load_aout(ld, &h, off, &end, &entry);
	} else {
		r = load_elf32(ld, &end, &entry);
	}
	if (!r)
		r = write_info(ld, end);
	if (r)
		return r;
	ld->entry = (struct x86_entry){.mode = X86_MODE_PROT32,
				       .rip = entry,
				       .rsp = X86_BOOT_STACK,
				       .rax = MB_BOOT_MAGIC,
				       .rbx = X86_PVH_START};
	return 1;
}
