/* The Multiboot and PVH loaders on synthetic images built here: what they put in guest memory,
 * and that thousands of corrupted images (truncations, flipped header bytes) are either loaded
 * or refused with a message, never read or written out of bounds (run under ASan in CI). */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define LOAD 0x100000u

static struct machine *new_machine(uint64_t ram)
{
	struct machine *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_int_equal(gmem_add_ram(&m->mem, 0, ram), 0);
	return m;
}

static void free_machine(struct machine *m)
{
	gmem_free(&m->mem);
	free(m);
}

/* ELF32 Multiboot kernel: one PT_LOAD of 4 KiB (header at its start) + 4 KiB bss. */
static size_t make_multiboot(uint8_t *img)
{
	Elf32_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_386,
			 .e_version = EV_CURRENT,
			 .e_entry = LOAD + 12,
			 .e_phoff = sizeof(Elf32_Ehdr),
			 .e_ehsize = sizeof(Elf32_Ehdr),
			 .e_phentsize = sizeof(Elf32_Phdr),
			 .e_phnum = 1};
	Elf32_Phdr ph = {.p_type = PT_LOAD,
			 .p_offset = 0x100,
			 .p_vaddr = LOAD,
			 .p_paddr = LOAD,
			 .p_filesz = 0x1000,
			 .p_memsz = 0x2000};
	uint32_t hdr[3] = {0x1badb002u, 3, -(0x1badb002u + 3)};

	memset(img, 0, 0x1100);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	memcpy(img + 0x100, hdr, sizeof(hdr));
	memset(img + 0x10c, 0x90, 0x1000 - 12);
	return 0x1100;
}

/* ELF64 PVH kernel: PT_LOAD of 4 KiB at 16 MiB, PT_NOTE with XEN_ELFNOTE_PHYS32_ENTRY. */
static size_t make_pvh(uint8_t *img)
{
	Elf64_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_X86_64,
			 .e_version = EV_CURRENT,
			 .e_phoff = sizeof(Elf64_Ehdr),
			 .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 2};
	Elf64_Phdr load = {.p_type = PT_LOAD,
			   .p_offset = 0x200,
			   .p_paddr = 0x1000000,
			   .p_filesz = 0x1000,
			   .p_memsz = 0x1000};
	Elf64_Phdr note = {.p_type = PT_NOTE, .p_offset = 0x180, .p_filesz = 20};
	uint32_t n[5] = {4, 4, 18, 0x006e6558 /* "Xen\0" */, 0x1000040};

	memset(img, 0, 0x1200);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &load, sizeof(load));
	memcpy(img + sizeof(eh) + sizeof(load), &note, sizeof(note));
	memcpy(img + 0x180, n, sizeof(n));
	memset(img + 0x200, 0xcc, 0x1000);
	return 0x1200;
}

static void test_multiboot_info(void **state)
{
	static uint8_t img[0x1100];
	struct machine *m = new_machine(64 * MiB);
	uint8_t initrd[100] = "module";
	struct x86_load ld = {.m = m,
			      .kernel_path = "/k/mb.elf",
			      .kernel = img,
			      .kernel_len = make_multiboot(img),
			      .initrd = initrd,
			      .initrd_len = sizeof(initrd),
			      .append = "a=1 b"};
	uint32_t mbi[22], mod[4];
	char cmd[32];
	(void)state;

	assert_int_equal(x86_load_kernel(&ld), 0);
	assert_int_equal(ld.entry.mode, X86_MODE_PROT32);
	assert_int_equal(ld.entry.rip, LOAD + 12);
	assert_int_equal(ld.entry.rax, 0x2badb002u);
	assert_memory_equal(gmem_ptr(&m->mem, LOAD, 0x1000), img + 0x100, 0x1000);
	assert_int_equal(gmem_read(&m->mem, ld.entry.rbx, mbi, sizeof(mbi)), 0);
	assert_int_equal(mbi[0] & 0x24d, 0x24d); /* mem, cmdline, mods, mmap, loader name */
	assert_int_equal(mbi[1], 0x9fc00 / 1024);
	assert_int_equal(mbi[2], (64 * MiB - MiB) / 1024);
	gmem_read(&m->mem, mbi[4], cmd, sizeof(cmd));
	assert_string_equal(cmd, "/k/mb.elf a=1 b");
	assert_int_equal(mbi[5], 1);
	gmem_read(&m->mem, mbi[6], mod, sizeof(mod));
	assert_true(mod[0] >= LOAD + 0x2000 && mod[0] % 4096 == 0);
	assert_int_equal(mod[1] - mod[0], sizeof(initrd));
	assert_memory_equal(gmem_ptr(&m->mem, mod[0], 6), "module", 6);
	assert_int_equal(mbi[11], 4 * 24); /* four mmap entries of 24 bytes */
	free_machine(m);
}

static void test_pvh_start_info(void **state)
{
	static uint8_t img[0x1200];
	struct machine *m = new_machine(64 * MiB);
	uint8_t initrd[5000];
	struct x86_load ld = {.m = m,
			      .kernel_path = "vmlinux",
			      .kernel = img,
			      .kernel_len = make_pvh(img),
			      .initrd = initrd,
			      .initrd_len = sizeof(initrd),
			      .append = "console=ttyS0"};
	uint32_t si[14];
	uint64_t mod[4];
	char cmd[16];
	(void)state;

	memset(initrd, 0x42, sizeof(initrd));
	assert_int_equal(x86_load_kernel(&ld), 0);
	assert_int_equal(ld.entry.mode, X86_MODE_PROT32);
	assert_int_equal(ld.entry.rip, 0x1000040);
	assert_memory_equal(gmem_ptr(&m->mem, 0x1000000, 0x1000), img + 0x200, 0x1000);
	gmem_read(&m->mem, ld.entry.rbx, si, sizeof(si));
	assert_int_equal(si[0], 0x336ec578u);
	assert_int_equal(si[1], 1);
	assert_int_equal(si[3], 1); /* nr_modules */
	gmem_read(&m->mem, si[6], cmd, sizeof(cmd));
	assert_string_equal(cmd, "console=ttyS0");
	assert_int_equal(si[8], 0xe0000); /* rsdp */
	assert_int_equal(si[12], 4);	  /* memmap entries */
	gmem_read(&m->mem, si[4], mod, sizeof(mod));
	assert_int_equal(mod[1], sizeof(initrd));
	assert_true(mod[0] + mod[1] <= 64 * MiB && mod[0] >= 0x1001000);
	free_machine(m);
}

/* Corrupts copies of each image: truncations and random bytes in the headers. */
static void test_corrupt_images_never_crash(void **state)
{
	static uint8_t good[0x1200], bad[0x1200];
	size_t (*makers[])(uint8_t *) = {make_multiboot, make_pvh};
	struct machine *m = new_machine(32 * MiB);
	unsigned seed = 12345, loaded = 0, refused = 0;
	(void)state;

	for (size_t k = 0; k < ARRAY_SIZE(makers); k++) {
		size_t len = makers[k](good);

		for (int i = 0; i < 3000; i++) {
			struct x86_load ld = {.m = m, .kernel_path = "k", .kernel = bad};
			int flips = 1 + rand_r(&seed) % 4, r;

			memcpy(bad, good, len);
			ld.kernel_len = i % 5 == 0 ? (size_t)rand_r(&seed) % len : len;
			for (int f = 0; f < flips; f++) {
				size_t at = (size_t)rand_r(&seed) % (i % 2 ? 0x60 : 0x200);
				bad[at] = (uint8_t)rand_r(&seed);
			}
			r = x86_load_kernel(&ld);
			if (r == 0) {
				loaded++;
			} else {
				refused++;
				assert_true(r < 0);
				assert_true(ld.err[0] != '\0');
			}
		}
	}
	assert_true(loaded > 0 && refused > 0);
	free_machine(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_multiboot_info),
	    cmocka_unit_test(test_pvh_start_info),
	    cmocka_unit_test(test_corrupt_images_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
