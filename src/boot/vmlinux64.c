/* The 64-bit boot protocol with the kernel proper (Documentation/arch/x86/boot.rst, "64-bit
 * boot protocol"), as Firecracker boots: the vmlinux ELF's PT_LOAD segments are loaded at their
 * physical addresses and vCPU 0 enters its ELF entry (phys_startup_64) in long mode with the
 * first 4 GiB identity mapped, the flat GDT (0x10 code, 0x18 data) and rsi = the zero page.
 *
 * The vmlinux comes either as an x86-64 ELF file, or out of a bzImage: gasang decompresses the
 * payload on the host (boot/kdecomp.c) instead of letting the guest's decompressor do it at
 * guest speed, and copies the bzImage's setup header into the zero page as the bzImage path
 * does. A plain ELF gets a minimal setup header of its own. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "boot/kdecomp.h"
#include "boot/linux_x86.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define VMLINUX_MAX_PHDRS 64

#define fail(ld, err, fmt, a, b) x86_load_fail(ld, err, "vmlinux", fmt, a, b)

/* True when [off, off + n) lies inside len bytes (overflow safe). */
static bool in_buf(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

static bool is_elf64_x86(const uint8_t *e, size_t len)
{
	Elf64_Ehdr eh;

	if (len < sizeof(eh))
		return false;
	memcpy(&eh, e, sizeof(eh)); /* the image may sit at any alignment */
	return !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_machine == EM_X86_64;
}

/* The setup header a plain ELF vmlinux gets: what a kernel entered at startup_64 reads. */
static void synth_header(uint8_t *h, uint64_t lo, uint64_t size)
{
	memset(h, 0, BP_HDR_END);
	h[0x201] = BP_HDR_END - 0x202; /* the jump over the header: its length */
	le_put(h, BP_BOOT_FLAG, 0xaa55, 2);
	le_put(h, BP_HEADER, BP_HDR_MAGIC, 4);
	le_put(h, BP_VERSION, 0x020f, 2);
	le_put(h, BP_LOADFLAGS, LOADED_HIGH, 1);
	le_put(h, BP_CODE32_START, lo, 4);
	le_put(h, BP_INITRD_ADDR_MAX, 0x7fffffff, 4);
	le_put(h, BP_KERNEL_ALIGN, 0x200000, 4);
	le_put(h, BP_XLOADFLAGS, XLF_KERNEL_64, 2);
	le_put(h, BP_CMDLINE_SIZE, X86_CMDLINE_MAX - 1, 4);
	le_put(h, BP_PREF_ADDRESS, lo, 8);
	le_put(h, BP_INIT_SIZE, size, 4);
}

/* An ELF vmlinux's headers, copied out of the image (which in-place loading overwrites). */
struct vmlinux {
	uint64_t entry, lo, hi;
	unsigned n; /* PT_LOAD segments with a size, sorted by p_paddr */
	Elf64_Phdr seg[VMLINUX_MAX_PHDRS];
};

/* Reads and checks the ELF e of len bytes: every PT_LOAD inside the file and inside guest RAM
 * between 1 MiB and the PCI hole (identity mapped), no two overlapping, the entry in one. */
static int parse_elf(struct x86_load *ld, const uint8_t *e, size_t len, struct vmlinux *v)
{
	Elf64_Ehdr eh;
	bool entry_ok = false;

	if (!is_elf64_x86(e, len))
		return fail(ld, -ENOEXEC, "not a little-endian x86-64 ELF64", 0, 0);
	memcpy(&eh, e, sizeof(eh));
	if (eh.e_type != ET_EXEC)
		return fail(ld, -ENOEXEC, "not an executable ELF (e_type %llu)", eh.e_type, 0);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum || eh.e_phnum > VMLINUX_MAX_PHDRS ||
	    !in_buf(len, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
		return fail(ld, -ENOEXEC, "program headers are corrupt or truncated", 0, 0);
	v->n = 0;
	v->entry = eh.e_entry;
	v->lo = UINT64_MAX;
	v->hi = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr p;
		unsigned k;

		memcpy(&p, e + eh.e_phoff + i * sizeof(p), sizeof(p));
		if (p.p_type != PT_LOAD || !p.p_memsz)
			continue;
		if (p.p_filesz > p.p_memsz || !in_buf(len, p.p_offset, p.p_filesz))
			return fail(ld, -ENOEXEC, "segment %llu is corrupt or truncated", i, 0);
		if (p.p_paddr < X86_HIMEM_START || p.p_paddr + p.p_memsz < p.p_paddr ||
		    p.p_paddr + p.p_memsz > X86_PCI_HOLE ||
		    !gmem_ptr(&ld->m->mem, p.p_paddr, p.p_memsz))
			return fail(ld, -E2BIG,
				    "segment at 0x%llx (%llu KiB) is outside guest RAM above 1 MiB",
				    p.p_paddr, p.p_memsz >> 10);
		if (eh.e_entry >= p.p_paddr && eh.e_entry - p.p_paddr < p.p_filesz)
			entry_ok = true;
		/* insertion by physical address */
		for (k = v->n; k > 0 && v->seg[k - 1].p_paddr > p.p_paddr; k--)
			v->seg[k] = v->seg[k - 1];
		v->seg[k] = p;
		v->n++;
		v->lo = MIN(v->lo, p.p_paddr);
		v->hi = MAX(v->hi, p.p_paddr + p.p_memsz);
	}
	if (!v->n)
		return fail(ld, -ENOEXEC, "no loadable segment", 0, 0);
	for (unsigned i = 1; i < v->n; i++)
		if (v->seg[i - 1].p_paddr + v->seg[i - 1].p_memsz > v->seg[i].p_paddr)
			return fail(ld, -ENOEXEC, "segments at 0x%llx and 0x%llx overlap",
				    v->seg[i - 1].p_paddr, v->seg[i].p_paddr);
	if (!entry_ok)
		return fail(ld, -ENOEXEC, "entry point 0x%llx is not in a loaded segment", v->entry,
			    0);
	return 0;
}

/* True when the image decompressed at guest address base can be moved into place segment by
 * segment in ascending order: every segment moves down (or stays), so no move overwrites a
 * segment not yet moved (the segments do not overlap). The kernel's own decompressor relies on
 * the same layout (arch/x86/boot/compressed/misc.c, parse_elf()). */
static bool movable_in_place(const struct vmlinux *v, uint64_t base)
{
	for (unsigned i = 0; i < v->n; i++)
		if (v->seg[i].p_paddr > base + v->seg[i].p_offset)
			return false;
	return true;
}

/* Puts every segment at its physical address from the image at src (in guest RAM at its
 * address base, or anywhere else), then zeroes the bss parts: after all moves, since before
 * they may still hold data of the image. */
static uint64_t place_segments(struct x86_load *ld, const struct vmlinux *v, const uint8_t *src)
{
	uint64_t moved = 0;

	for (unsigned i = 0; i < v->n; i++) {
		const Elf64_Phdr *p = &v->seg[i];
		uint8_t *dst = gmem_ptr(&ld->m->mem, p->p_paddr, p->p_memsz); /* checked */

		if (dst != src + p->p_offset) {
			memmove(dst, src + p->p_offset, p->p_filesz);
			moved += p->p_filesz;
		}
	}
	for (unsigned i = 0; i < v->n; i++) {
		const Elf64_Phdr *p = &v->seg[i];
		uint8_t *dst = gmem_ptr(&ld->m->mem, p->p_paddr, p->p_memsz);

		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
	return moved;
}

/* Checks where the kernel, the initrd and the zero page go for v with the setup header hdr (a
 * bzImage's, or NULL for a plain ELF) and writes the zero page. Returns 0 or -errno. */
static int boot_params(struct x86_load *ld, const struct vmlinux *v, const uint8_t *hdr,
		       uint64_t *initrd_at)
{
	uint8_t own[BP_HDR_END];
	uint64_t end;
	uint8_t *zp;
	int r;

	if (!hdr) {
		synth_header(own, v->lo, v->hi - v->lo);
		hdr = own;
	}
	/* The kernel owns [lo, lo + init_size): its image, bss and brk, and what it allocates
	 * before it knows the memory map. Nothing gasang writes may land there. */
	end = MAX(v->hi, v->lo + le_get32(hdr, BP_INIT_SIZE));
	r = linux_x86_boot_params(ld, hdr, v->lo, end - v->lo, initrd_at);
	if (r)
		return r;
	/* The kernel was not moved: it must not believe a decompressor randomized it. */
	zp = gmem_ptr(&ld->m->mem, X86_ZERO_PAGE, BP_SIZE);
	zp[BP_LOADFLAGS] &= (uint8_t)~KASLR_FLAG;
	return 0;
}

/* Loads v from the image at src (see place_segments()), the initrd, and sets the entry. */
static int finish(struct x86_load *ld, const struct vmlinux *v, const uint8_t *src,
		  const uint8_t *hdr)
{
	uint64_t initrd_at, moved, t0 = now_ns();
	int r = boot_params(ld, v, hdr, &initrd_at);

	if (r)
		return r;
	moved = place_segments(ld, v, src);
	ld->moved = moved;
	if (ld->initrd)
		gmem_write(&ld->m->mem, initrd_at, ld->initrd, ld->initrd_len);
	log_debug("vmlinux: %llu KiB of segments at 0x%llx (%llu KiB moved) and the initrd loaded "
		  "in %.1f ms, entry 0x%llx",
		  (unsigned long long)(v->hi - v->lo) >> 10, (unsigned long long)v->lo,
		  (unsigned long long)moved >> 10, (double)(now_ns() - t0) / 1e6,
		  (unsigned long long)v->entry);
	ld->entry = (struct x86_entry){
	    .mode = X86_MODE_LONG64, .rip = v->entry, .rsp = X86_BOOT_STACK, .rsi = X86_ZERO_PAGE};
	return 1;
}

/* The largest vmlinux gasang decompresses: it has to fit in low guest RAM. */
static size_t max_vmlinux(const struct machine *m)
{
	const struct gmem_region *low = gmem_find(&m->mem, 0);

	return low ? (size_t)low->size : 0;
}

/* Decompresses the payload straight into guest RAM where the kernel's own decompressor would
 * (the image's start at the kernel's load address), then moves the segments down into place:
 * no second copy of the 50 MB image in gasang's memory, and the pages it touches are the
 * kernel's own. Returns 1 when loaded, 0 when the layout does not allow it (the caller then
 * decompresses into a buffer), or -errno. */
static int load_in_place(struct x86_load *ld, const uint8_t *pl, size_t plen, size_t olen,
			 uint64_t base)
{
	struct vmlinux v;
	uint8_t *img = base >= X86_HIMEM_START && base + olen <= X86_PCI_HOLE
			   ? gmem_ptr(&ld->m->mem, base, olen)
			   : NULL;
	char why[160];
	int r;

	if (!img)
		return 0;
	r = kdecomp_into(pl, plen, img, olen, why, sizeof(why));
	if (r) {
		snprintf(ld->err, sizeof(ld->err), "bzImage payload: %s", why);
		return r;
	}
	r = parse_elf(ld, img, olen, &v);
	if (r == -ENOEXEC && !is_elf64_x86(img, olen))
		return fail(ld, -ENOEXEC, "decompressed bzImage payload is not an x86-64 ELF", 0,
			    0);
	if (r)
		return r;
	if (!movable_in_place(&v, base))
		return 0;
	return finish(ld, &v, img, ld->kernel);
}

/* Where to decompress the image so that as little as possible has to move: each PT_LOAD
 * segment lies some distance d below its file offset's place (p_paddr - p_offset); with the
 * image at the largest d, the segments at that distance (.text and .data in a vmlinux, two
 * thirds of it) are already in place and every other one moves down, as movable_in_place()
 * requires. The ELF headers come from the payload's first 4 KiB; parse_elf() checks them
 * again on the whole image. pref (the kernel's load address) when the headers say otherwise
 * or that place is not in RAM above 1 MiB. */
static uint64_t direct_base(struct x86_load *ld, const uint8_t *pl, size_t plen, size_t olen,
			    uint64_t pref)
{
	uint8_t head[4096];
	uint64_t base = UINT64_MAX; /* the largest distance so far */
	Elf64_Ehdr eh;

	if (kdecomp_head(pl, plen, head, sizeof(head)) || !is_elf64_x86(head, sizeof(head)))
		return pref;
	memcpy(&eh, head, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_buf(sizeof(head), eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
		return pref;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr p;

		memcpy(&p, head + eh.e_phoff + i * sizeof(p), sizeof(p));
		if (p.p_type != PT_LOAD || !p.p_memsz)
			continue;
		if (p.p_paddr < p.p_offset)
			return pref;
		if (base == UINT64_MAX || p.p_paddr - p.p_offset > base)
			base = p.p_paddr - p.p_offset;
	}
	if (base < X86_HIMEM_START || base > X86_PCI_HOLE || olen > X86_PCI_HOLE - base ||
	    !gmem_ptr(&ld->m->mem, base, olen))
		return pref;
	return base;
}

static int load_bzimage(struct x86_load *ld)
{
	const uint8_t *k = ld->kernel;
	cleanup_free uint8_t *elf = NULL;
	size_t setup_size = 0, elf_len = 0;
	uint64_t off, plen, t0;
	enum kdecomp_format f;
	struct vmlinux v;
	char why[160];
	int r = linux_x86_check_header(ld, &setup_size);

	if (r <= 0)
		return r;
	if (le_get32(k, BP_VERSION) < 0x208)
		return ld->proto == X86_BOOT_AUTO
			   ? 0
			   : fail(ld, -ENOEXEC, "bzImage protocol before 2.08 has no payload field",
				  0, 0);
	off = setup_size + (uint64_t)le_get32(k, BP_PAYLOAD_OFFSET);
	plen = le_get32(k, BP_PAYLOAD_LENGTH);
	if (!plen || !in_buf(ld->kernel_len, off, plen))
		return fail(ld, -ENOEXEC,
			    "bzImage payload (%llu bytes at %llu) is outside the image", plen, off);
	f = kdecomp_detect(k + off, plen);
	if (!kdecomp_supported(f) && ld->proto == X86_BOOT_AUTO)
		return 0; /* the kernel's own decompressor knows more formats */
	r = kdecomp_size(k + off, plen, max_vmlinux(ld->m), &elf_len, why, sizeof(why));
	if (r) {
		snprintf(ld->err, sizeof(ld->err), "bzImage payload: %s", why);
		return r;
	}
	t0 = now_ns();
	r = load_in_place(ld, k + off, plen, elf_len,
			  direct_base(ld, k + off, plen, elf_len, le_get32(k, BP_PREF_ADDRESS)));
	log_debug("bzImage: %s payload of %llu KiB decompressed on the host to %zu KiB %s in %.1f "
		  "ms",
		  kdecomp_name(f), (unsigned long long)plen >> 10, elf_len >> 10,
		  r > 0 ? "in place" : "", (double)(now_ns() - t0) / 1e6);
	if (r)
		return r;
	/* An unusual layout: through a buffer. */
	r = kdecomp_payload(k + off, plen, max_vmlinux(ld->m), &elf, &elf_len, why, sizeof(why));
	if (r) {
		snprintf(ld->err, sizeof(ld->err), "bzImage payload: %s", why);
		return r;
	}
	if (!is_elf64_x86(elf, elf_len))
		return fail(ld, -ENOEXEC, "decompressed bzImage payload is not an x86-64 ELF", 0,
			    0);
	r = parse_elf(ld, elf, elf_len, &v);
	return r ? r : finish(ld, &v, elf, k);
}

int vmlinux64_load(struct x86_load *ld)
{
	const uint8_t *k = ld->kernel;
	struct vmlinux v;
	int r;

	if (ld->kernel_len >= SELFMAG && !memcmp(k, ELFMAG, SELFMAG)) {
		if (!is_elf64_x86(k, ld->kernel_len))
			return fail(ld, -ENOEXEC,
				    "not a little-endian x86-64 ELF64 (and no PVH entry note)", 0,
				    0);
		r = parse_elf(ld, k, ld->kernel_len, &v);
		return r ? r : finish(ld, &v, k, NULL);
	}
	return load_bzimage(ld);
}
