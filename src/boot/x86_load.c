/* Picks the loader for an x86 kernel image, and the e820 map every loader reports. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

unsigned x86_e820_map(const struct machine *m, struct x86_e820 *e, unsigned max)
{
	unsigned n = 0;

	for (int i = 0; i < m->mem.n && n + 4 <= max; i++) {
		const struct gmem_region *r = &m->mem.r[i];

		if (r->gpa == 0 && r->size > X86_HIMEM_START) {
			e[n++] = (struct x86_e820){0, X86_LOWMEM_END, 1};
			e[n++] = (struct x86_e820){X86_LOWMEM_END, 0xa0000 - X86_LOWMEM_END, 2};
			e[n++] =
			    (struct x86_e820){X86_BIOS_START, X86_HIMEM_START - X86_BIOS_START, 2};
			e[n++] = (struct x86_e820){X86_HIMEM_START, r->size - X86_HIMEM_START, 1};
		} else {
			e[n++] = (struct x86_e820){r->gpa, r->size, 1};
		}
	}
	return n;
}

int x86_place_initrd(const struct machine *m, uint64_t len, uint64_t min_start, uint64_t max_end,
		     uint64_t *gpa)
{
	const struct gmem_region *low = gmem_find(&m->mem, 0);
	uint64_t end;

	if (!low)
		return -E2BIG;
	end = MIN(max_end, low->size);
	if (len > end || ALIGN_DOWN(end - len, 4096) < min_start)
		return -E2BIG;
	*gpa = ALIGN_DOWN(end - len, 4096);
	return 0;
}

int x86_boot_proto_parse(const char *name)
{
	static const char *const names[] = {
	    [X86_BOOT_AUTO] = "auto",
	    [X86_BOOT_MULTIBOOT] = "multiboot",
	    [X86_BOOT_PVH] = "pvh",
	    [X86_BOOT_BZIMAGE] = "bzimage",
	    [X86_BOOT_VMLINUX64] = "vmlinux64",
	};

	if (!name)
		return X86_BOOT_AUTO;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -EINVAL;
}

int x86_load_fail(struct x86_load *ld, int err, const char *who, const char *fmt,
		  unsigned long long a, unsigned long long b)
{
	char what[160];

	snprintf(what, sizeof(what), fmt, a, b);
	snprintf(ld->err, sizeof(ld->err), "%s: %s", who, what);
	return err;
}

int x86_load_kernel(struct x86_load *ld)
{
	typedef int (*loader_fn)(struct x86_load *);
	static const loader_fn auto_order[] = {multiboot_load, pvh_load, vmlinux64_load,
					       linux_x86_load};
	static const struct {
		loader_fn fn;
		const char *what;
	} only[] = {
	    [X86_BOOT_MULTIBOOT] = {multiboot_load, "a Multiboot kernel"},
	    [X86_BOOT_PVH] = {pvh_load, "an ELF kernel (PVH)"},
	    [X86_BOOT_BZIMAGE] = {linux_x86_load, "a bzImage"},
	    [X86_BOOT_VMLINUX64] = {vmlinux64_load, "a bzImage or x86-64 ELF vmlinux"},
	};
	int r;

	if (ld->proto != X86_BOOT_AUTO) {
		if ((unsigned)ld->proto >= ARRAY_SIZE(only) || !only[ld->proto].fn) {
			snprintf(ld->err, sizeof(ld->err), "unknown boot protocol %d", ld->proto);
			return -EINVAL;
		}
		r = only[ld->proto].fn(ld);
		if (r == 0)
			snprintf(ld->err, sizeof(ld->err), "not %s", only[ld->proto].what);
		return r < 0 ? r : r ? 0 : -ENOEXEC;
	}
	for (size_t i = 0; i < ARRAY_SIZE(auto_order); i++) {
		r = auto_order[i](ld);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
	}
	snprintf(ld->err, sizeof(ld->err), "not a bzImage, PVH ELF or Multiboot kernel");
	return -ENOEXEC;
}
