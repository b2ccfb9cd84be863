/* Linux bzImage per the x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit entry:
 * the protected-mode kernel is loaded at its preferred address, the zero page (boot_params)
 * carries the setup header, the e820 map, the command line and the initrd, and vCPU 0 enters
 * startup_64 (load address + 0x200) in long mode with rsi = the zero page. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "boot/acpi.h"
#include "boot/linux_x86.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define fail(ld, err, fmt, a, b) x86_load_fail(ld, err, "bzImage", fmt, a, b)

int linux_x86_check_header(struct x86_load *ld, size_t *setup_size)
{
	const uint8_t *k = ld->kernel;
	uint16_t version;
	unsigned sects;

	if (ld->kernel_len < BP_HDR_MIN_LEN || le_get32(k, BP_HEADER) != BP_HDR_MAGIC)
		return 0;
	version = le_get16(k, BP_VERSION);
	if (version < 0x20c)
		return fail(ld, -ENOEXEC,
			    "boot protocol %llu.%02llu is too old (64-bit entry needs 2.12)",
			    version >> 8, version & 0xff);
	if (le_get16(k, BP_BOOT_FLAG) != 0xaa55)
		return fail(ld, -ENOEXEC, "boot flag 0x%llx is not 0xaa55",
			    le_get16(k, BP_BOOT_FLAG), 0);
	if (!(le_get16(k, BP_XLOADFLAGS) & XLF_KERNEL_64))
		return fail(ld, -ENOEXEC, "kernel has no 64-bit entry point (xloadflags)", 0, 0);
	if (!(k[BP_LOADFLAGS] & LOADED_HIGH))
		return fail(ld, -ENOEXEC, "zImage kernels (not loaded high) are not supported", 0,
			    0);
	sects = k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : 4;
	*setup_size = (sects + 1) * 512ULL;
	if (*setup_size >= ld->kernel_len ||
	    (uint64_t)le_get32(k, BP_SYSSIZE) * 16 > ld->kernel_len - *setup_size)
		return fail(ld, -ENOEXEC, "image is truncated (%llu bytes, header says %llu)",
			    ld->kernel_len, *setup_size + (uint64_t)le_get32(k, BP_SYSSIZE) * 16);
	return 1;
}

int linux_x86_zero_page(struct x86_load *ld, uint8_t *zp, const uint8_t *k, uint64_t initrd_at)
{
	size_t hdr_end = 0x202 + k[0x201], cmdlen = ld->append ? strlen(ld->append) : 0;
	struct x86_e820 e820[X86_E820_MAX];
	unsigned n = x86_e820_map(ld->m, e820, X86_E820_MAX);

	memset(zp, 0, BP_SIZE);
	hdr_end = MIN(hdr_end, (size_t)BP_HDR_END);
	memcpy(zp + BP_SETUP_SECTS, k + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
	if (cmdlen > le_get32(k, BP_CMDLINE_SIZE) || cmdlen >= X86_CMDLINE_MAX)
		return fail(ld, -E2BIG, "command line of %llu bytes exceeds the kernel's %llu",
			    cmdlen, le_get32(k, BP_CMDLINE_SIZE));
	gmem_write(&ld->m->mem, X86_CMDLINE_ADDR, ld->append ? ld->append : "", cmdlen + 1);
	zp[BP_TYPE_OF_LOADER] = 0xff;
	zp[BP_LOADFLAGS] = (uint8_t)((zp[BP_LOADFLAGS] | CAN_USE_HEAP) & ~KEEP_SEGMENTS);
	le_put(zp, BP_VID_MODE, 0xffff, 2);
	le_put(zp, BP_HEAP_END_PTR, 0xfe00, 2);
	le_put(zp, BP_CMD_LINE_PTR, (uint32_t)X86_CMDLINE_ADDR, 4);
	le_put(zp, BP_ACPI_RSDP_ADDR, (uint32_t)ACPI_BASE, 4);
	if (ld->initrd) {
		le_put(zp, BP_RAMDISK_IMAGE, (uint32_t)initrd_at, 4);
		le_put(zp, BP_RAMDISK_SIZE, (uint32_t)ld->initrd_len, 4);
	}
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + i * 20;

		memcpy(e, &e820[i].addr, 8);
		memcpy(e + 8, &e820[i].size, 8);
		memcpy(e + 16, &e820[i].type, 4);
	}
	return 0;
}

int linux_x86_boot_params(struct x86_load *ld, const uint8_t *hdr, uint64_t load, uint64_t size,
			  uint64_t *initrd_at)
{
	uint8_t *zp;

	if (load + size > X86_PCI_HOLE || !gmem_ptr(&ld->m->mem, load, size))
		return fail(ld, -E2BIG, "kernel needs %llu MiB at 0x%llx: guest RAM is too small",
			    (load + size + MiB - 1) >> 20, load);
	*initrd_at = 0;
	if (ld->initrd) {
		uint64_t max = (uint64_t)le_get32(hdr, BP_INITRD_ADDR_MAX) + 1;

		if (ld->initrd_len > UINT32_MAX ||
		    x86_place_initrd(ld->m, ld->initrd_len, ALIGN_UP(load + size, 4096), max,
				     initrd_at))
			return fail(ld, -E2BIG,
				    "initrd of %llu MiB does not fit in guest RAM below 0x%llx "
				    "(initrd_addr_max) above the kernel",
				    ld->initrd_len >> 20, max);
	}
	zp = gmem_ptr(&ld->m->mem, X86_ZERO_PAGE, BP_SIZE);
	if (!zp)
		return fail(ld, -EFAULT, "no room for the zero page", 0, 0);
	return linux_x86_zero_page(ld, zp, hdr, *initrd_at);
}

int linux_x86_load(struct x86_load *ld)
{
	const uint8_t *k = ld->kernel;
	size_t setup_size = 0;
	uint64_t load, init_size, initrd_at = 0;
	int r = linux_x86_check_header(ld, &setup_size);

	if (r <= 0)
		return r;
	load = le_get32(k, BP_PREF_ADDRESS); /* 64-bit field; kernels keep it below 4 GiB */
	if (load < X86_HIMEM_START)
		load = X86_HIMEM_START;
	init_size = MAX((uint64_t)le_get32(k, BP_INIT_SIZE), ld->kernel_len - setup_size);
	r = linux_x86_boot_params(ld, k, load, init_size, &initrd_at);
	if (r)
		return r;
	gmem_write(&ld->m->mem, load, k + setup_size, ld->kernel_len - setup_size);
	if (ld->initrd)
		gmem_write(&ld->m->mem, initrd_at, ld->initrd, ld->initrd_len);
	ld->entry = (struct x86_entry){.mode = X86_MODE_LONG64,
				       .rip = load + 0x200,
				       .rsp = X86_BOOT_STACK,
				       .rsi = X86_ZERO_PAGE};
	return 1;
}
