/* The bzImage loader against the x86 boot protocol: a synthetic bzImage built here, loaded
 * into guest RAM, and the zero page checked field by field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "boot/linux_x86.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define SETUP_SECTS 4
#define SETUP_SIZE  ((SETUP_SECTS + 1) * 512)
#define PM_SIZE	    (64 * 1024)
#define PREF	    0x1000000u
#define INIT_SIZE   0x800000u

static uint8_t image[SETUP_SIZE + PM_SIZE];

static void put(unsigned off, uint64_t v, unsigned n)
{
	memcpy(image + off, &v, n);
}

static void make_image(uint16_t version, uint32_t initrd_max)
{
	memset(image, 0, sizeof(image));
	for (size_t i = 0; i < PM_SIZE; i++)
		image[SETUP_SIZE + i] = (uint8_t)(i * 7 + 1);
	put(BP_SETUP_SECTS, SETUP_SECTS, 1);
	put(BP_SYSSIZE, PM_SIZE / 16, 4);
	put(BP_BOOT_FLAG, 0xaa55, 2);
	image[0x200] = 0xeb; /* jmp over the header ... */
	image[0x201] = 0x66; /* ... to 0x268 */
	put(BP_HEADER, BP_HDR_MAGIC, 4);
	put(BP_VERSION, version, 2);
	put(BP_LOADFLAGS, LOADED_HIGH | KEEP_SEGMENTS, 1);
	put(BP_CODE32_START, 0x100000, 4);
	put(BP_INITRD_ADDR_MAX, initrd_max, 4);
	put(BP_KERNEL_ALIGN, 0x200000, 4);
	put(BP_XLOADFLAGS, XLF_KERNEL_64, 2);
	put(BP_CMDLINE_SIZE, 2047, 4);
	put(BP_PREF_ADDRESS, PREF, 8);
	put(BP_INIT_SIZE, INIT_SIZE, 4);
	put(BP_HDR_END, 0x5a5a5a5a, 4); /* beyond the header: must not be copied */
}

struct fixture {
	struct machine m;
	struct x86_load ld;
	uint8_t initrd[10000];
};

static struct fixture *setup(uint64_t ram)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gmem_add_ram(&f->m.mem, 0, ram), 0);
	for (size_t i = 0; i < sizeof(f->initrd); i++)
		f->initrd[i] = (uint8_t)(i ^ 0x5a);
	f->ld = (struct x86_load){.m = &f->m,
				  .kernel_path = "bzImage",
				  .kernel = image,
				  .kernel_len = sizeof(image),
				  .initrd = f->initrd,
				  .initrd_len = sizeof(f->initrd),
				  .append = "console=ttyS0 quiet"};
	return f;
}

static void teardown(struct fixture *f)
{
	gmem_free(&f->m.mem);
	free(f);
}

static uint32_t zp32(struct fixture *f, unsigned off)
{
	uint32_t v;

	assert_int_equal(gmem_read(&f->m.mem, X86_ZERO_PAGE + off, &v, 4), 0);
	return v;
}

static uint8_t zp8(struct fixture *f, unsigned off)
{
	return (uint8_t)zp32(f, off);
}

static uint16_t zp16(struct fixture *f, unsigned off)
{
	return (uint16_t)zp32(f, off);
}

static void test_zero_page_fields(void **state)
{
	struct fixture *f;
	char cmd[64];
	uint32_t rd, rd_size;
	(void)state;

	make_image(0x20f, 0x37ffffff);
	f = setup(64 * MiB);
	assert_int_equal(linux_x86_load(&f->ld), 1);
	/* The setup header, copied from the image (0x1f1 up to the jump target 0x268). */
	assert_int_equal(zp8(f, BP_SETUP_SECTS), SETUP_SECTS);
	assert_int_equal(zp32(f, BP_SYSSIZE), PM_SIZE / 16);
	assert_int_equal(zp16(f, BP_BOOT_FLAG), 0xaa55);
	assert_int_equal(zp32(f, BP_HEADER), BP_HDR_MAGIC);
	assert_int_equal(zp16(f, BP_VERSION), 0x20f);
	assert_int_equal(zp32(f, BP_INITRD_ADDR_MAX), 0x37ffffff);
	assert_int_equal(zp32(f, BP_KERNEL_ALIGN), 0x200000);
	assert_int_equal(zp16(f, BP_XLOADFLAGS), XLF_KERNEL_64);
	assert_int_equal(zp32(f, BP_CMDLINE_SIZE), 2047);
	assert_int_equal(zp32(f, BP_PREF_ADDRESS), PREF);
	assert_int_equal(zp32(f, BP_INIT_SIZE), INIT_SIZE);
	assert_int_equal(zp32(f, BP_HDR_END), 0); /* past the header: not copied */
	/* Fields the boot loader writes. */
	assert_int_equal(zp8(f, BP_TYPE_OF_LOADER), 0xff);
	assert_int_equal(zp8(f, BP_LOADFLAGS), LOADED_HIGH | CAN_USE_HEAP); /* KEEP_SEGMENTS off */
	assert_int_equal(zp16(f, BP_VID_MODE), 0xffff);
	assert_int_equal(zp16(f, BP_HEAP_END_PTR), 0xfe00);
	assert_int_equal(zp32(f, BP_CMD_LINE_PTR), X86_CMDLINE_ADDR);
	assert_int_equal(gmem_read(&f->m.mem, X86_CMDLINE_ADDR, cmd, 20), 0);
	assert_string_equal(cmd, "console=ttyS0 quiet");
	/* initrd: page aligned, above the kernel's init_size, below initrd_addr_max and RAM. */
	rd = zp32(f, BP_RAMDISK_IMAGE);
	rd_size = zp32(f, BP_RAMDISK_SIZE);
	assert_int_equal(rd_size, sizeof(f->initrd));
	assert_int_equal(rd % 4096, 0);
	assert_true(rd >= PREF + INIT_SIZE);
	assert_true((uint64_t)rd + rd_size <= 64 * MiB);
	assert_memory_equal(gmem_ptr(&f->m.mem, rd, rd_size), f->initrd, rd_size);
	assert_int_equal(zp32(f, BP_EXT_RAMDISK_IMG), 0);
	assert_int_equal(zp32(f, BP_ACPI_RSDP_ADDR), 0xe0000);
	/* e820: low RAM, EBDA + BIOS holes reserved, RAM from 1 MiB. */
	assert_int_equal(zp8(f, BP_E820_ENTRIES), 4);
	{
		static const uint64_t want[4][3] = {{0, 0x9fc00, 1},
						    {0x9fc00, 0x400, 2},
						    {0xe0000, 0x20000, 2},
						    {0x100000, 64 * MiB - 0x100000, 1}};
		for (int i = 0; i < 4; i++) {
			uint64_t a, s;
			uint32_t t;
			uint64_t at = X86_ZERO_PAGE + BP_E820_TABLE + (uint64_t)i * 20;

			gmem_read(&f->m.mem, at, &a, 8);
			gmem_read(&f->m.mem, at + 8, &s, 8);
			gmem_read(&f->m.mem, at + 16, &t, 4);
			assert_int_equal(a, want[i][0]);
			assert_int_equal(s, want[i][1]);
			assert_int_equal(t, want[i][2]);
		}
	}
	/* The protected-mode kernel at its preferred address, entered at startup_64. */
	assert_memory_equal(gmem_ptr(&f->m.mem, PREF, PM_SIZE), image + SETUP_SIZE, PM_SIZE);
	assert_int_equal(f->ld.entry.mode, X86_MODE_LONG64);
	assert_int_equal(f->ld.entry.rip, PREF + 0x200);
	assert_int_equal(f->ld.entry.rsi, X86_ZERO_PAGE);
	teardown(f);
}

static void test_initrd_addr_max_respected(void **state)
{
	struct fixture *f;
	(void)state;

	make_image(0x20f, 0x0fffffff);
	f = setup(512 * MiB);
	assert_int_equal(linux_x86_load(&f->ld), 1);
	assert_true(zp32(f, BP_RAMDISK_IMAGE) + sizeof(f->initrd) <= 0x10000000u);
	assert_true(zp32(f, BP_RAMDISK_IMAGE) >= 0x10000000u - 2 * 4096 - sizeof(f->initrd));
	teardown(f);
}

static void test_rejects(void **state)
{
	struct fixture *f;
	(void)state;

	make_image(0x20f, 0x37ffffff);
	f = setup(64 * MiB);
	f->ld.kernel_len = SETUP_SIZE + 100; /* truncated */
	assert_int_equal(linux_x86_load(&f->ld), -ENOEXEC);
	assert_non_null(strstr(f->ld.err, "truncated"));
	f->ld.kernel_len = sizeof(image);
	make_image(0x204, 0x37ffffff); /* too old for a 64-bit entry */
	assert_int_equal(linux_x86_load(&f->ld), -ENOEXEC);
	assert_non_null(strstr(f->ld.err, "boot protocol 2.04"));
	make_image(0x20f, 0x37ffffff);
	put(BP_XLOADFLAGS, 0, 2);
	assert_int_equal(linux_x86_load(&f->ld), -ENOEXEC);
	make_image(0x20f, 0x37ffffff);
	put(BP_HEADER, 0, 4); /* not a bzImage at all: next loader */
	assert_int_equal(linux_x86_load(&f->ld), 0);
	make_image(0x20f, 0x0); /* initrd_addr_max below the kernel */
	assert_int_equal(linux_x86_load(&f->ld), -E2BIG);
	assert_non_null(strstr(f->ld.err, "initrd"));
	make_image(0x20f, 0x37ffffff);
	put(BP_CMDLINE_SIZE, 5, 4);
	assert_int_equal(linux_x86_load(&f->ld), -E2BIG);
	assert_non_null(strstr(f->ld.err, "command line"));
	teardown(f);
	make_image(0x20f, 0x37ffffff);
	f = setup(16 * MiB); /* smaller than pref_address + init_size */
	assert_int_equal(linux_x86_load(&f->ld), -E2BIG);
	assert_non_null(strstr(f->ld.err, "too small"));
	teardown(f);
}

/* Random header corruption and truncation: loaded or refused with a message, never a crash. */
static void test_corrupt_headers(void **state)
{
	struct fixture *f;
	unsigned seed = 7, refused = 0;
	(void)state;

	f = setup(64 * MiB);
	for (int i = 0; i < 3000; i++) {
		int r;

		make_image(0x20f, 0x37ffffff);
		for (int k = 0; k < 1 + i % 4; k++)
			image[0x1f0 + rand_r(&seed) % 0x80] = (uint8_t)rand_r(&seed);
		f->ld.kernel_len =
		    i % 3 == 0 ? (size_t)rand_r(&seed) % sizeof(image) : sizeof(image);
		f->ld.err[0] = '\0';
		r = linux_x86_load(&f->ld);
		assert_true(r == 0 || r == 1 || (r < 0 && f->ld.err[0]));
		refused += r < 0;
	}
	assert_true(refused > 0);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zero_page_fields),
	    cmocka_unit_test(test_initrd_addr_max_respected),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_corrupt_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
