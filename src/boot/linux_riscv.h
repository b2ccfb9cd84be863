/* Loads a RISC-V Linux Image (Documentation/riscv/boot-image-header.rst) and its initrd into
 * guest RAM and chooses where the device tree goes:
 *   kernel at RAM base + text_offset (2 MiB aligned), device tree at the top of RAM,
 *   initrd just below it, both checked against the kernel's footprint (image_size). */
#ifndef GASANG_BOOT_LINUX_RISCV_H
#define GASANG_BOOT_LINUX_RISCV_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;

#define RISCV_IMAGE_MAGIC2     0x05435352u /* "RSC\x05" at offset 0x38 */
#define RISCV_IMAGE_MAGIC2_OFF 0x38
#define RISCV_IMAGE_HDR_SIZE   64
#define RISCV_KERNEL_ALIGN     (2ULL << 20)

struct riscv_boot {
	uint64_t entry;	     /* kernel load address = entry point */
	uint64_t kernel_end; /* entry + image_size */
	uint64_t fdt_addr;   /* where the caller writes the device tree (fdt_size bytes) */
	uint64_t initrd_start, initrd_end; /* 0, 0 without initrd */
};

/* Checks and loads the Image at kernel (and initrd, may be NULL) into RAM [ram_base,
 * ram_base + ram_size) of mem. fdt_size bytes are reserved at the top for the device tree.
 * Returns 0, or -errno with a one-line reason in err (without the "gasang: " prefix). */
int linux_riscv_load(struct guest_mem *mem, uint64_t ram_base, uint64_t ram_size,
		     const char *kernel, const char *initrd, uint64_t fdt_size,
		     struct riscv_boot *out, char *err, size_t errlen);

/* Header check alone, for tests: 0 or -ENOEXEC with the reason in err. */
int linux_riscv_check_header(const uint8_t *img, size_t len, uint64_t *text_offset,
			     uint64_t *image_size, char *err, size_t errlen);

#endif
