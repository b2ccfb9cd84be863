#include "boot/linux_riscv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "machine/memory.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int linux_riscv_check_header(const uint8_t *img, size_t len, uint64_t *text_offset,
			     uint64_t *image_size, char *err, size_t errlen)
{
	uint32_t magic2;

	if (len < RISCV_IMAGE_HDR_SIZE) {
		snprintf(err, errlen, "too small for a RISC-V Linux Image (%zu bytes)", len);
		return -ENOEXEC;
	}
	magic2 = (uint32_t)le64(img + RISCV_IMAGE_MAGIC2_OFF);
	if (magic2 != RISCV_IMAGE_MAGIC2) {
		snprintf(err, errlen, "not a RISC-V Linux Image (no \"RSC\\x05\" magic at 0x38)");
		return -ENOEXEC;
	}
	*text_offset = le64(img + 8);
	*image_size = le64(img + 16);
	if (*image_size == 0)
		*image_size = len; /* very old kernels leave it 0 */
	if (*image_size < len) {
		snprintf(err, errlen, "corrupt Image header: image_size %llu < file size %zu",
			 (unsigned long long)*image_size, len);
		return -ENOEXEC;
	}
	if (*text_offset % RISCV_KERNEL_ALIGN || *text_offset > (1ULL << 32)) {
		snprintf(err, errlen, "corrupt Image header: text_offset 0x%llx",
			 (unsigned long long)*text_offset);
		return -ENOEXEC;
	}
	if (*text_offset == 0)
		*text_offset = RISCV_KERNEL_ALIGN;
	return 0;
}

static int load_initrd(struct guest_mem *mem, const char *path, uint64_t ram_base,
		       uint64_t ram_size, struct riscv_boot *out, char *err, size_t errlen)
{
	cleanup_free uint8_t *buf = NULL;
	uint64_t lo = ALIGN_UP(out->kernel_end, 4096), hi = out->fdt_addr;
	size_t len;
	int e = read_file(path, &buf, &len);

	if (e) {
		snprintf(err, errlen, "initrd %s: %s", path, err_str(e));
		return e;
	}
	if (len > hi - lo || ALIGN_DOWN(hi - len, 4096) < lo) {
		uint64_t need = (lo - ram_base) + len + (ram_base + ram_size - hi);

		snprintf(err, errlen,
			 "memory too small: kernel, initrd and device tree need %llu MiB, RAM is "
			 "%llu MiB",
			 (unsigned long long)(need >> 20) + 1,
			 (unsigned long long)(ram_size >> 20));
		return -ENOMEM;
	}
	out->initrd_start = ALIGN_DOWN(hi - len, 4096);
	out->initrd_end = out->initrd_start + len;
	return gmem_write(mem, out->initrd_start, buf, len);
}

int linux_riscv_load(struct guest_mem *mem, uint64_t ram_base, uint64_t ram_size,
		     const char *kernel, const char *initrd, uint64_t fdt_size,
		     struct riscv_boot *out, char *err, size_t errlen)
{
	cleanup_free uint8_t *img = NULL;
	uint64_t text_offset, image_size, ram_end = ram_base + ram_size;
	size_t len;
	int e = read_file(kernel, &img, &len);

	memset(out, 0, sizeof(*out));
	if (e) {
		snprintf(err, errlen, "kernel %s: %s", kernel, err_str(e));
		return e;
	}
	e = linux_riscv_check_header(img, len, &text_offset, &image_size, err, errlen);
	if (e)
		return e;
	out->entry = ram_base + text_offset;
	out->fdt_addr = ALIGN_DOWN(ram_end - fdt_size, 4096);
	if (fdt_size > ram_size || text_offset >= ram_size ||
	    image_size > out->fdt_addr - out->entry || out->fdt_addr < out->entry) {
		snprintf(err, errlen,
			 "memory too small: the kernel needs %llu MiB, RAM is %llu MiB",
			 (unsigned long long)((text_offset + image_size + fdt_size) >> 20) + 1,
			 (unsigned long long)(ram_size >> 20));
		return -ENOMEM;
	}
	out->kernel_end = out->entry + image_size;
	e = gmem_write(mem, out->entry, img, len);
	if (e) {
		snprintf(err, errlen, "kernel does not fit in guest RAM");
		return e;
	}
	if (initrd)
		return load_initrd(mem, initrd, ram_base, ram_size, out, err, errlen);
	return 0;
}
