/* riscv64 loaders: Linux Image (boot/linux_riscv.c) and bare ELF (boot/elf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <elf.h>

#include "boot/elf.h"
#include "boot/linux_riscv.h"
#include "machine/memory.h"

#define RAM 0x80000000ULL
#define MiB (1024ULL * 1024)

static char err[256];

static char *write_tmp(const void *buf, size_t len)
{
	char *path = strdup("/tmp/gasang-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	return path;
}

static uint8_t *make_image(size_t len, uint64_t text_offset, uint64_t image_size)
{
	uint8_t *img = calloc(1, len);

	memcpy(img + 8, &text_offset, 8);
	memcpy(img + 16, &image_size, 8);
	memcpy(img + 48, "RISCV\0\0\0", 8);
	memcpy(img + 56, "RSC\x05", 4);
	for (size_t i = 64; i < len; i++)
		img[i] = (uint8_t)i;
	return img;
}

static void test_image_load(void **state)
{
	struct guest_mem mem = {0};
	uint8_t *img = make_image(64 * 1024, 0x200000, 3 * MiB);
	char *kp = write_tmp(img, 64 * 1024);
	uint8_t *rd = make_image(100000, 0, 0);
	char *ip = write_tmp(rd, 100000);
	struct riscv_boot rb;
	(void)state;

	assert_int_equal(gmem_add_ram(&mem, RAM, 64 * MiB), 0);
	assert_int_equal(
	    linux_riscv_load(&mem, RAM, 64 * MiB, kp, ip, 131072, &rb, err, sizeof(err)), 0);
	assert_int_equal(rb.entry, RAM + 0x200000);
	assert_int_equal(rb.kernel_end, RAM + 0x200000 + 3 * MiB);
	assert_int_equal(memcmp(gmem_ptr(&mem, rb.entry, 64 * 1024), img, 64 * 1024), 0);
	/* Device tree at the top, initrd right below, both page aligned and above the kernel. */
	assert_int_equal(rb.fdt_addr, RAM + 64 * MiB - 131072);
	assert_int_equal(rb.initrd_end - rb.initrd_start, 100000);
	assert_true(rb.initrd_end <= rb.fdt_addr);
	assert_int_equal(rb.initrd_start % 4096, 0);
	assert_true(rb.initrd_start >= rb.kernel_end);
	assert_int_equal(memcmp(gmem_ptr(&mem, rb.initrd_start, 100000), rd, 100000), 0);
	gmem_free(&mem);
	unlink(kp);
	unlink(ip);
	free(kp);
	free(ip);
	free(img);
	free(rd);
}

static void test_image_bad(void **state)
{
	struct guest_mem mem = {0};
	uint8_t *img = make_image(4096, 0x200000, 8 * MiB);
	uint8_t garbage[4096];
	char *kp, *gp, *big;
	struct riscv_boot rb;
	uint64_t to, sz;
	(void)state;

	assert_int_equal(gmem_add_ram(&mem, RAM, 16 * MiB), 0);
	memset(garbage, 0x5a, sizeof(garbage));
	gp = write_tmp(garbage, sizeof(garbage));
	assert_int_equal(
	    linux_riscv_load(&mem, RAM, 16 * MiB, gp, NULL, 131072, &rb, err, sizeof(err)),
	    -ENOEXEC);
	assert_non_null(strstr(err, "not a RISC-V Linux Image"));
	/* Too short for a header. */
	assert_int_equal(linux_riscv_check_header(garbage, 10, &to, &sz, err, sizeof(err)),
			 -ENOEXEC);
	/* image_size smaller than the file, misaligned text_offset. */
	memcpy(garbage, img, 64);
	sz = 100;
	memcpy(garbage + 16, &sz, 8);
	assert_int_equal(linux_riscv_check_header(garbage, 4096, &to, &sz, err, sizeof(err)),
			 -ENOEXEC);
	memcpy(garbage, img, 64);
	to = 0x1000;
	memcpy(garbage + 8, &to, 8);
	assert_int_equal(linux_riscv_check_header(garbage, 4096, &to, &sz, err, sizeof(err)),
			 -ENOEXEC);
	/* Kernel footprint larger than RAM. */
	kp = write_tmp(img, 4096);
	free(img);
	img = make_image(4096, 0x200000, 15 * MiB);
	big = write_tmp(img, 4096);
	assert_int_equal(
	    linux_riscv_load(&mem, RAM, 16 * MiB, big, NULL, 131072, &rb, err, sizeof(err)),
	    -ENOMEM);
	assert_non_null(strstr(err, "memory too small"));
	/* Kernel fits but kernel + initrd do not. */
	assert_int_equal(
	    linux_riscv_load(&mem, RAM, 16 * MiB, kp, kp, 131072, &rb, err, sizeof(err)), 0);
	{
		uint8_t *rd = calloc(1, 6 * MiB);
		char *rp = write_tmp(rd, 6 * MiB);

		assert_int_equal(
		    linux_riscv_load(&mem, RAM, 16 * MiB, kp, rp, 131072, &rb, err, sizeof(err)),
		    -ENOMEM);
		assert_non_null(strstr(err, "memory too small"));
		unlink(rp);
		free(rp);
		free(rd);
	}
	assert_int_equal(linux_riscv_load(&mem, RAM, 16 * MiB, "/nonexistent", NULL, 131072, &rb,
					  err, sizeof(err)),
			 -ENOENT);
	gmem_free(&mem);
	unlink(kp);
	unlink(gp);
	unlink(big);
	free(kp);
	free(gp);
	free(big);
	free(img);
}

/* A minimal ELF: one PT_LOAD (8 bytes of code + 8 bytes bss-zeroed tohost) and a symbol
 * table with "tohost". */
struct mini_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t code[16];
	Elf64_Sym syms[2];
	char strtab[16];
	Elf64_Shdr sh[3];
};

static void make_elf(struct mini_elf *e, uint64_t paddr)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = ELFCLASS64;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_ident[EI_VERSION] = EV_CURRENT;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = EM_RISCV;
	e->eh.e_version = EV_CURRENT;
	e->eh.e_entry = paddr;
	e->eh.e_phoff = offsetof(struct mini_elf, ph);
	e->eh.e_shoff = offsetof(struct mini_elf, sh);
	e->eh.e_ehsize = sizeof(Elf64_Ehdr);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = 1;
	e->eh.e_shentsize = sizeof(Elf64_Shdr);
	e->eh.e_shnum = 3;
	e->ph.p_type = PT_LOAD;
	e->ph.p_offset = offsetof(struct mini_elf, code);
	e->ph.p_vaddr = 0xffffffff00000000ULL; /* virtual != physical: tohost is translated */
	e->ph.p_paddr = paddr;
	e->ph.p_filesz = 8;
	e->ph.p_memsz = 4096;
	memset(e->code, 0x13, 8);
	memset(e->code + 8, 0xee, 8); /* beyond filesz: must be zeroed in RAM */
	strcpy(e->strtab + 1, "tohost");
	e->syms[1].st_name = 1;
	e->syms[1].st_value = 0xffffffff00000100ULL;
	e->sh[1].sh_type = SHT_SYMTAB;
	e->sh[1].sh_offset = offsetof(struct mini_elf, syms);
	e->sh[1].sh_size = sizeof(e->syms);
	e->sh[1].sh_link = 2;
	e->sh[2].sh_type = SHT_STRTAB;
	e->sh[2].sh_offset = offsetof(struct mini_elf, strtab);
	e->sh[2].sh_size = sizeof(e->strtab);
}

static void test_elf(void **state)
{
	struct guest_mem mem = {0};
	struct mini_elf *e = aligned_alloc(8, sizeof(*e) + 8);
	struct elf_image img;
	uint8_t *p;
	(void)state;

	assert_int_equal(gmem_add_ram(&mem, RAM, 16 * MiB), 0);
	make_elf(e, RAM + 0x1000);
	p = gmem_ptr(&mem, RAM + 0x1000, 16);
	memset(p, 0xff, 16);
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 0);
	assert_int_equal(img.entry, RAM + 0x1000);
	assert_int_equal(img.tohost, RAM + 0x1100);
	assert_int_equal(img.fromhost, 0);
	assert_int_equal(p[0], 0x13);
	assert_int_equal(p[8], 0); /* bss zeroed */

	/* Segment outside RAM. */
	make_elf(e, 0x1000);
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "outside guest RAM"));
	make_elf(e, RAM + 16 * MiB - 100); /* straddles the end */
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 -ERANGE);
	/* Wrong machine, garbage, truncated headers, file offsets past the end. */
	make_elf(e, RAM);
	e->eh.e_machine = EM_X86_64;
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 -ENOEXEC);
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)"garbage!", 8, &img, err, sizeof(err)),
			 -ENOEXEC);
	make_elf(e, RAM);
	e->eh.e_phnum = 0xffff;
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 -ENOEXEC);
	make_elf(e, RAM);
	e->ph.p_offset = UINT64_MAX - 2;
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 -ENOEXEC);
	make_elf(e, RAM);
	e->ph.p_filesz = 8192; /* filesz > memsz */
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 -ENOEXEC);
	/* A hostile symbol table is ignored, not followed. */
	make_elf(e, RAM);
	e->syms[1].st_name = 0xfffffff0;
	e->sh[2].sh_size = UINT64_MAX;
	assert_int_equal(elf_riscv_load_buf(&mem, (void *)e, sizeof(*e), &img, err, sizeof(err)),
			 0);
	assert_int_equal(img.tohost, 0);
	gmem_free(&mem);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_image_load),
	    cmocka_unit_test(test_image_bad),
	    cmocka_unit_test(test_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
