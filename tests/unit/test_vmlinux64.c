/* The 64-bit vmlinux entry (boot/vmlinux64.c) on synthetic kernels built here: a plain x86-64
 * ELF, and a bzImage whose payload is that ELF compressed with LZ4 (legacy frames, as the
 * kernel build makes it). Checks the segments in guest RAM, the zero page field by field, the
 * entry state, the choice between host and in-guest decompression (--boot-protocol), and that
 * bad segments, sizes and payloads are refused with a message. */
#include <elf.h>
#include <errno.h>
#include <lz4.h>
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

#define TEXT 0x1000000u /* LOAD_PHYSICAL_ADDR */
/* data's physical address: just after text (text and data at the same distance from their file
 * offsets: decompressed where nothing moves), or 2 MiB up (decompressed where data lands in
 * place; text moves down). */
#define DATA_IN_PLACE (TEXT + 0x3000u)
#define DATA_MOVED_UP (TEXT + 0x200000u)
static uint64_t DATA = DATA_IN_PLACE;
#define ENTRY	  (TEXT + 0x40)
#define ELF_LEN	  0x5000u
#define INIT_SIZE 0x800000u
#define SETUP	  (5 * 512)

static uint8_t elf[ELF_LEN];
static uint8_t bz[SETUP + 0x8000];
static size_t bz_len;

static Elf64_Phdr *phdr(unsigned i)
{
	return (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

/* text: 0x3000 bytes at 16 MiB; data: 0x1000 bytes + 0x4000 bss at DATA. */
static void make_elf(void)
{
	Elf64_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_X86_64,
			 .e_version = EV_CURRENT,
			 .e_entry = ENTRY,
			 .e_phoff = sizeof(Elf64_Ehdr),
			 .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 2};
	Elf64_Phdr text = {.p_type = PT_LOAD,
			   .p_offset = 0x1000,
			   .p_vaddr = 0xffffffff81000000ull,
			   .p_paddr = TEXT,
			   .p_filesz = 0x3000,
			   .p_memsz = 0x3000};
	Elf64_Phdr data = {.p_type = PT_LOAD,
			   .p_offset = 0x4000,
			   .p_vaddr = 0xffffffff80000000ull + DATA,
			   .p_paddr = DATA,
			   .p_filesz = 0x1000,
			   .p_memsz = 0x5000};

	memset(elf, 0, sizeof(elf));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(elf, &eh, sizeof(eh));
	memcpy(phdr(0), &text, sizeof(text));
	memcpy(phdr(1), &data, sizeof(data));
	for (size_t i = 0x1000; i < ELF_LEN; i++)
		elf[i] = (uint8_t)(i * 13 + (i >> 9));
}

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned n)
{
	memcpy(p + off, &v, n);
}

static uint64_t get(const uint8_t *p, unsigned off, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p + off, n);
	return v;
}

/* A bzImage: setup sectors with the header, then the protected-mode part holding 0x200 bytes
 * of "decompressor" and the payload: elf compressed with LZ4 legacy frames + its size. */
static void make_bzimage(void)
{
	uint32_t magic = 0x184c2102u, size = ELF_LEN;
	uint8_t *pm = bz + SETUP, *pl = pm + 0x200;
	int c;

	make_elf();
	memset(bz, 0, sizeof(bz));
	put(bz, BP_SETUP_SECTS, 4, 1);
	put(bz, BP_BOOT_FLAG, 0xaa55, 2);
	bz[0x201] = 0x66;
	put(bz, BP_HEADER, BP_HDR_MAGIC, 4);
	put(bz, BP_VERSION, 0x20f, 2);
	put(bz, BP_LOADFLAGS, LOADED_HIGH | KASLR_FLAG, 1);
	put(bz, BP_CODE32_START, 0x100000, 4);
	put(bz, BP_INITRD_ADDR_MAX, 0x7fffffff, 4);
	put(bz, BP_KERNEL_ALIGN, 0x200000, 4);
	put(bz, BP_XLOADFLAGS, XLF_KERNEL_64, 2);
	put(bz, BP_CMDLINE_SIZE, 2047, 4);
	put(bz, BP_PREF_ADDRESS, TEXT, 8);
	put(bz, BP_INIT_SIZE, INIT_SIZE, 4);
	memset(pm, 0x90, 0x200);
	memcpy(pl, &magic, 4);
	c = LZ4_compress_default((const char *)elf, (char *)pl + 8, ELF_LEN,
				 (int)(sizeof(bz) - SETUP - 0x200 - 12));
	assert_true(c > 0);
	put(pl, 4, (uint32_t)c, 4);
	memcpy(pl + 8 + c, &size, 4);
	put(bz, BP_PAYLOAD_OFFSET, 0x200, 4);
	put(bz, BP_PAYLOAD_LENGTH, 12 + (uint32_t)c, 4);
	bz_len = SETUP + 0x200 + 12 + (size_t)c;
	put(bz, BP_SYSSIZE, (bz_len - SETUP) / 16, 4);
}

struct fixture {
	struct machine m;
	struct x86_load ld;
	uint8_t initrd[10000];
};

static struct fixture *setup(uint64_t ram, const uint8_t *k, size_t klen, enum x86_boot_proto proto)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(gmem_add_ram(&f->m.mem, 0, ram), 0);
	for (size_t i = 0; i < sizeof(f->initrd); i++)
		f->initrd[i] = (uint8_t)(i ^ 0x5a);
	f->ld = (struct x86_load){.m = &f->m,
				  .proto = proto,
				  .kernel_path = "k",
				  .kernel = k,
				  .kernel_len = klen,
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

/* What every 64-bit vmlinux entry must give: the ELF in RAM, the entry state, the zero page. */
static const uint8_t *check_loaded(struct fixture *f, uint64_t kernel_end)
{
	struct guest_mem *mem = &f->m.mem;
	const uint8_t *zp = gmem_ptr(mem, X86_ZERO_PAGE, BP_SIZE);
	uint64_t rd;

	assert_int_equal(f->ld.entry.mode, X86_MODE_LONG64);
	assert_int_equal(f->ld.entry.rip, ENTRY);
	assert_int_equal(f->ld.entry.rsi, X86_ZERO_PAGE);
	assert_memory_equal(gmem_ptr(mem, TEXT, 0x3000), elf + 0x1000, 0x3000);
	assert_memory_equal(gmem_ptr(mem, DATA, 0x1000), elf + 0x4000, 0x1000);
	for (unsigned i = 0x1000; i < 0x5000; i++)
		assert_int_equal(*(uint8_t *)gmem_ptr(mem, DATA + i, 1), 0); /* bss */
	/* the zero page */
	assert_int_equal(get(zp, BP_BOOT_FLAG, 2), 0xaa55);
	assert_int_equal(get(zp, BP_HEADER, 4), BP_HDR_MAGIC);
	assert_true(get(zp, BP_VERSION, 2) >= 0x20c);
	assert_int_equal(zp[BP_TYPE_OF_LOADER], 0xff);
	assert_int_equal(zp[BP_LOADFLAGS] & (LOADED_HIGH | KASLR_FLAG), LOADED_HIGH);
	assert_int_equal(get(zp, BP_CMD_LINE_PTR, 4), X86_CMDLINE_ADDR);
	assert_string_equal((const char *)gmem_ptr(mem, X86_CMDLINE_ADDR, 20),
			    "console=ttyS0 quiet");
	assert_int_equal(get(zp, BP_ACPI_RSDP_ADDR, 8), 0xe0000);
	assert_int_equal(zp[BP_E820_ENTRIES], 4);
	assert_int_equal(get(zp, BP_E820_TABLE + 3 * 20, 8), X86_HIMEM_START);
	assert_int_equal(get(zp, BP_E820_TABLE + 3 * 20 + 8, 8), 64 * MiB - X86_HIMEM_START);
	assert_int_equal(get(zp, BP_E820_TABLE + 3 * 20 + 16, 4), 1);
	rd = get(zp, BP_RAMDISK_IMAGE, 4);
	assert_int_equal(get(zp, BP_RAMDISK_SIZE, 4), sizeof(f->initrd));
	assert_true(rd >= kernel_end && rd % 4096 == 0 && rd + sizeof(f->initrd) <= 64 * MiB);
	assert_memory_equal(gmem_ptr(mem, rd, sizeof(f->initrd)), f->initrd, sizeof(f->initrd));
	return zp;
}

static void test_bzimage_decompressed_on_host(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		int proto = i % 2 ? X86_BOOT_VMLINUX64 : X86_BOOT_AUTO;

		DATA = i < 2 ? DATA_IN_PLACE : DATA_MOVED_UP;
		make_bzimage();
		struct fixture *f = setup(64 * MiB, bz, bz_len, (enum x86_boot_proto)proto);
		const uint8_t *zp;

		assert_int_equal(x86_load_kernel(&f->ld), 0);
		/* nothing of gasang's below the end of the kernel's init_size */
		zp = check_loaded(f, TEXT + INIT_SIZE);
		/* the image was decompressed where the fewest bytes move: none, or text only */
		assert_int_equal(f->ld.moved, DATA == DATA_IN_PLACE ? 0 : 0x3000);
		/* the bzImage's own setup header, copied */
		assert_int_equal(get(zp, BP_VERSION, 2), 0x20f);
		assert_int_equal(get(zp, BP_INIT_SIZE, 4), INIT_SIZE);
		assert_int_equal(get(zp, BP_PREF_ADDRESS, 8), TEXT);
		assert_int_equal(get(zp, BP_CMDLINE_SIZE, 4), 2047);
		teardown(f);
	}
	DATA = DATA_IN_PLACE;
}

static void test_bzimage_protocol_keeps_in_guest_decompression(void **state)
{
	(void)state;
	make_bzimage();
	struct fixture *f = setup(64 * MiB, bz, bz_len, X86_BOOT_BZIMAGE);

	assert_int_equal(x86_load_kernel(&f->ld), 0);
	assert_int_equal(f->ld.entry.rip, TEXT + 0x200); /* the decompressor's startup_64 */
	assert_memory_equal(gmem_ptr(&f->m.mem, TEXT, bz_len - SETUP), bz + SETUP, bz_len - SETUP);
	teardown(f);
}

static void test_plain_elf(void **state)
{
	(void)state;
	make_elf();
	for (int proto = X86_BOOT_AUTO; proto <= X86_BOOT_VMLINUX64; proto += X86_BOOT_VMLINUX64) {
		struct fixture *f = setup(64 * MiB, elf, ELF_LEN, (enum x86_boot_proto)proto);
		const uint8_t *zp;

		assert_int_equal(x86_load_kernel(&f->ld), 0);
		zp = check_loaded(f, DATA + 0x5000);
		assert_int_equal(get(zp, BP_XLOADFLAGS, 2) & XLF_KERNEL_64, XLF_KERNEL_64);
		teardown(f);
	}
	/* --boot-protocol pvh wants the PVH note */
	struct fixture *f = setup(64 * MiB, elf, ELF_LEN, X86_BOOT_PVH);

	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	assert_non_null(strstr(f->ld.err, "PVH"));
	teardown(f);
}

/* One bad field at a time: each refused with a message. */
static void test_elf_bounds(void **state)
{
	static const struct {
		unsigned ph;
		size_t field;
		uint64_t value;
		int err;
	} cases[] = {
	    {0, offsetof(Elf64_Phdr, p_paddr), 0x80000, -E2BIG},	       /* below 1 MiB */
	    {0, offsetof(Elf64_Phdr, p_paddr), 64 * MiB - 0x1000, -E2BIG},     /* past RAM */
	    {1, offsetof(Elf64_Phdr, p_memsz), 0xffffffffffff0000ull, -E2BIG}, /* wraps */
	    {1, offsetof(Elf64_Phdr, p_paddr), 0x100000000ull, -E2BIG}, /* not identity mapped */
	    {1, offsetof(Elf64_Phdr, p_filesz), 0x6000, -ENOEXEC},	/* > memsz */
	    {1, offsetof(Elf64_Phdr, p_offset), ELF_LEN - 0x800, -ENOEXEC}, /* past the file */
	    {1, offsetof(Elf64_Phdr, p_offset), ~0ull, -ENOEXEC},
	    {1, offsetof(Elf64_Phdr, p_paddr), TEXT + 0x2000, -ENOEXEC}, /* overlaps text */
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		make_elf();
		memcpy((uint8_t *)phdr(cases[i].ph) + cases[i].field, &cases[i].value, 8);
		struct fixture *f = setup(64 * MiB, elf, ELF_LEN, X86_BOOT_VMLINUX64);

		assert_int_equal(x86_load_kernel(&f->ld), cases[i].err);
		assert_true(f->ld.err[0]);
		teardown(f);
	}
	/* entry outside the segments; too many / truncated program headers; not ET_EXEC */
	make_elf();
	((Elf64_Ehdr *)elf)->e_entry = DATA + 0x3000; /* in the bss, not in file data */
	struct fixture *f = setup(64 * MiB, elf, ELF_LEN, X86_BOOT_VMLINUX64);
	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	teardown(f);
	make_elf();
	((Elf64_Ehdr *)elf)->e_phnum = 0xffff;
	f = setup(64 * MiB, elf, ELF_LEN, X86_BOOT_VMLINUX64);
	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	teardown(f);
	make_elf();
	((Elf64_Ehdr *)elf)->e_type = ET_DYN;
	f = setup(64 * MiB, elf, ELF_LEN, X86_BOOT_VMLINUX64);
	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	teardown(f);
	make_elf();
	f = setup(64 * MiB, elf, sizeof(Elf64_Ehdr) + 10, X86_BOOT_VMLINUX64);
	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	teardown(f);
}

static void test_sizes_against_ram(void **state)
{
	(void)state;
	make_bzimage();
	/* init_size does not fit: 16 MiB + 8 MiB > 20 MiB of RAM */
	struct fixture *f = setup(20 * MiB, bz, bz_len, X86_BOOT_AUTO);

	assert_int_equal(x86_load_kernel(&f->ld), -E2BIG);
	assert_non_null(strstr(f->ld.err, "guest RAM is too small"));
	teardown(f);
	/* the initrd does not fit between the kernel's init_size and initrd_addr_max */
	put(bz, BP_INITRD_ADDR_MAX, TEXT + INIT_SIZE + 0x1000, 4);
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), -E2BIG);
	assert_non_null(strstr(f->ld.err, "initrd"));
	teardown(f);
	/* the payload declares more than guest RAM */
	make_bzimage();
	put(bz, bz_len - 4, 64 * MiB + 1, 4);
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), -E2BIG);
	assert_non_null(strstr(f->ld.err, "bzImage payload"));
	teardown(f);
}

static void test_bad_payloads(void **state)
{
	(void)state;
	struct fixture *f;

	/* garbage after the LZ4 magic: an error, not a silent fallback */
	make_bzimage();
	memset(bz + SETUP + 0x200 + 8, 0xee, 64);
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), -EINVAL);
	assert_non_null(strstr(f->ld.err, "bzImage payload: lz4"));
	teardown(f);
	/* truncated: the block runs past the payload (the size trailer kept) */
	make_bzimage();
	{
		uint64_t plen = get(bz, BP_PAYLOAD_LENGTH, 4);
		uint8_t *pl = bz + SETUP + 0x200;

		memmove(pl + plen - 104, pl + plen - 4, 4);
		put(bz, BP_PAYLOAD_LENGTH, plen - 100, 4);
	}
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), -EINVAL);
	assert_non_null(strstr(f->ld.err, "truncated"));
	teardown(f);
	/* payload fields pointing outside the image */
	make_bzimage();
	put(bz, BP_PAYLOAD_OFFSET, 0x7fffffff, 4);
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	teardown(f);
	/* decompresses, but to something that is not an x86-64 ELF */
	make_bzimage();
	memset(elf, 0, sizeof(elf));
	elf[0] = 0x7f;
	{
		uint32_t magic = 0x184c2102u, size = ELF_LEN;
		uint8_t *pl = bz + SETUP + 0x200;
		int c = LZ4_compress_default((const char *)elf, (char *)pl + 8, ELF_LEN, 0x7000);

		memcpy(pl, &magic, 4);
		put(pl, 4, (uint32_t)c, 4);
		memcpy(pl + 8 + c, &size, 4);
		put(bz, BP_PAYLOAD_LENGTH, 12 + (uint32_t)c, 4);
		bz_len = SETUP + 0x200 + 12 + (size_t)c;
		put(bz, BP_SYSSIZE, (bz_len - SETUP) / 16, 4);
	}
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), -ENOEXEC);
	assert_non_null(strstr(f->ld.err, "not an x86-64 ELF"));
	teardown(f);
	/* a format gasang does not decompress (bzip2): auto falls back to the kernel's own
	 * decompressor, vmlinux64 refuses */
	make_bzimage();
	memcpy(bz + SETUP + 0x200, "BZh9", 4);
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_AUTO);
	assert_int_equal(x86_load_kernel(&f->ld), 0);
	assert_int_equal(f->ld.entry.rip, TEXT + 0x200);
	teardown(f);
	f = setup(64 * MiB, bz, bz_len, X86_BOOT_VMLINUX64);
	assert_int_equal(x86_load_kernel(&f->ld), -EOPNOTSUPP);
	assert_non_null(strstr(f->ld.err, "bzip2"));
	teardown(f);
}

/* Random corruption of the bzImage header and the compressed payload: loaded or refused with a
 * message, never an access out of bounds (ASan). */
static void test_corruption_never_crashes(void **state)
{
	static uint8_t bad[sizeof(bz)];
	unsigned seed = 4242, loaded = 0, refused = 0;
	(void)state;

	make_bzimage();
	for (int i = 0; i < 1000; i++) {
		struct fixture *f;
		size_t len = i % 5 == 0 ? (size_t)rand_r(&seed) % bz_len : bz_len;
		int r;

		memcpy(bad, bz, bz_len);
		for (int k = 0; k < 1 + i % 3; k++) {
			size_t at = i % 2 ? 0x1f0 + (size_t)rand_r(&seed) % 0x80
					  : SETUP + 0x200 +
						(size_t)rand_r(&seed) % (bz_len - SETUP - 0x200);
			bad[at] = (uint8_t)rand_r(&seed);
		}
		f = setup(64 * MiB, bad, len, X86_BOOT_VMLINUX64);
		r = x86_load_kernel(&f->ld);
		if (r == 0) {
			loaded++;
		} else {
			refused++;
			assert_true(f->ld.err[0]);
		}
		teardown(f);
	}
	assert_true(loaded > 0 && refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bzimage_decompressed_on_host),
	    cmocka_unit_test(test_bzimage_protocol_keeps_in_guest_decompression),
	    cmocka_unit_test(test_plain_elf),
	    cmocka_unit_test(test_elf_bounds),
	    cmocka_unit_test(test_sizes_against_ram),
	    cmocka_unit_test(test_bad_payloads),
	    cmocka_unit_test(test_corruption_never_crashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
