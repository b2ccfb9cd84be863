/* Picks the loader for an x86 kernel image, and the e820 map every loader reports. */
#include <errno.h>
#include <stdio.h>

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

int x86_load_kernel(struct x86_load *ld)
{
	int (*const loaders[])(struct x86_load *) = {multiboot_load, pvh_load, linux_x86_load};

	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++) {
		int r = loaders[i](ld);

		if (r < 0)
			return r;
		if (r > 0)
			return 0;
	}
	snprintf(ld->err, sizeof(ld->err), "not a bzImage, PVH ELF or Multiboot kernel");
	return -ENOEXEC;
}
