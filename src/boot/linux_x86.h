/* Offsets into the Linux x86 zero page (struct boot_params) and its setup header, from the
 * boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst). */
#ifndef GASANG_BOOT_LINUX_X86_H
#define GASANG_BOOT_LINUX_X86_H

#define BP_SIZE		   4096
#define BP_ACPI_RSDP_ADDR  0x070
#define BP_EXT_RAMDISK_IMG 0x0c0
#define BP_E820_ENTRIES	   0x1e8
#define BP_SETUP_SECTS	   0x1f1
#define BP_SYSSIZE	   0x1f4
#define BP_VID_MODE	   0x1fa
#define BP_BOOT_FLAG	   0x1fe
#define BP_HEADER	   0x202
#define BP_VERSION	   0x206
#define BP_TYPE_OF_LOADER  0x210
#define BP_LOADFLAGS	   0x211
#define BP_CODE32_START	   0x214
#define BP_RAMDISK_IMAGE   0x218
#define BP_RAMDISK_SIZE	   0x21c
#define BP_HEAP_END_PTR	   0x224
#define BP_CMD_LINE_PTR	   0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_KERNEL_ALIGN	   0x230
#define BP_XLOADFLAGS	   0x236
#define BP_CMDLINE_SIZE	   0x238
#define BP_PAYLOAD_OFFSET  0x248
#define BP_PAYLOAD_LENGTH  0x24c
#define BP_PREF_ADDRESS	   0x258
#define BP_INIT_SIZE	   0x260
#define BP_HDR_END	   0x268 /* end of the 2.15 setup header */
#define BP_HDR_MIN_LEN	   0x268
#define BP_E820_TABLE	   0x2d0

#define BP_HDR_MAGIC  0x53726448u /* "HdrS" */
#define LOADED_HIGH   0x01
#define KASLR_FLAG    0x02
#define KEEP_SEGMENTS 0x40
#define CAN_USE_HEAP  0x80
#define XLF_KERNEL_64 0x01

#include <stddef.h>
#include <stdint.h>

struct x86_load;

/* Validates ld->kernel's bzImage header. Returns 1 and the setup size (the real-mode part in
 * front of the protected-mode kernel), 0 when the image is no bzImage, or -errno with ld->err
 * set. */
int linux_x86_check_header(struct x86_load *ld, size_t *setup_size);

/* Fills the zero page zp (BP_SIZE bytes) for ld: a copy of the setup header of the image hdr
 * (its first BP_HDR_END bytes, laid out as in a bzImage), the fields a boot loader owns, the
 * e820 map, the command line (written to X86_CMDLINE_ADDR) and the initrd at initrd_at when
 * ld has one. Returns 0 or -errno with ld->err set. */
int linux_x86_zero_page(struct x86_load *ld, uint8_t *zp, const uint8_t *hdr, uint64_t initrd_at);
/* For a kernel that owns [load, load + size) of guest RAM (image, bss, early allocations):
 * checks it fits below the PCI hole, places the initrd above it and below hdr's
 * initrd_addr_max, and writes the zero page from hdr. Returns 0 or -errno (ld->err says why);
 * *initrd_at is 0 without an initrd. */
int linux_x86_boot_params(struct x86_load *ld, const uint8_t *hdr, uint64_t load, uint64_t size,
			  uint64_t *initrd_at);

#endif
