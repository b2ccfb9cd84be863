/* Process VM: the ELF loader's checks and placement, and the initial stack layout. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/emu/user/uproc.h"

static const uint8_t code[8] = {0x13, 0x05, 0x00, 0x00, 0x73, 0x00, 0x00, 0x00};

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t code[8];
};
#define CODE_OFF offsetof(struct image, code)

/* A minimal static riscv64 executable: one PT_LOAD at vaddr with 8 KiB of bss. */
static void make_image(struct image *im, uint16_t type, uint64_t vaddr)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = type;
	im->eh.e_machine = EM_RISCV;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = vaddr + offsetof(struct image, code);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph[0].p_type = PT_LOAD;
	im->ph[0].p_flags = PF_R | PF_X;
	im->ph[0].p_vaddr = vaddr;
	im->ph[0].p_filesz = sizeof(*im);
	im->ph[0].p_memsz = sizeof(*im) + 0x2000;
	im->ph[0].p_align = 0x1000;
	memcpy(im->code, code, sizeof(code));
}

static const char *write_image(const void *buf, size_t len)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/gasang-test-elf-%d", getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	return path;
}

static int load(const void *buf, size_t len, struct uproc *p, const char **why)
{
	const char *path = write_image(buf, len);
	int ret;

	assert_int_equal(uproc_init(p), 0);
	ret = uproc_load_elf(p, path, why);
	unlink(path);
	return ret;
}

static void test_load_static(void **state)
{
	struct uproc *p = calloc(1, sizeof(*p));
	struct image im;
	const char *why;
	uint8_t *mem;
	(void)state;

	make_image(&im, ET_EXEC, 0x10000);
	assert_int_equal(load(&im, sizeof(im), p, &why), 0);
	assert_int_equal(p->entry, 0x10000 + CODE_OFF);
	assert_int_equal(p->phdr, 0x10040);
	assert_int_equal(p->phnum, 1);
	assert_int_equal(p->brk_start, 0x10000 + 0x3000);
	mem = uproc_ptr(p, 0x10000 + CODE_OFF, sizeof(code) + 0x100);
	assert_non_null(mem);
	assert_memory_equal(mem, code, sizeof(code));
	assert_int_equal(mem[sizeof(code) + 0x10], 0); /* bss */
	assert_false(uproc_vma_free(p, 0x10000, 0x11000));
	uproc_free(p);
	free(p);
}

static void test_load_pie_is_relocated(void **state)
{
	struct uproc *p = calloc(1, sizeof(*p));
	struct image im;
	const char *why;
	(void)state;

	make_image(&im, ET_DYN, 0);
	assert_int_equal(load(&im, sizeof(im), p, &why), 0);
	assert_int_equal(p->load_bias, UPROC_PIE_BASE);
	assert_int_equal(p->entry, UPROC_PIE_BASE + CODE_OFF);
	assert_int_equal(p->phdr, UPROC_PIE_BASE + 0x40);
	uproc_free(p);
	free(p);
}

static void expect_reject(struct image *im, size_t len, const char *word)
{
	struct uproc *p = calloc(1, sizeof(*p));
	const char *why = NULL;

	assert_int_equal(load(im, len, p, &why), -ENOEXEC);
	assert_non_null(why);
	assert_non_null(strstr(why, word));
	uproc_free(p);
	free(p);
}

static void test_load_rejects(void **state)
{
	struct image im;
	(void)state;

	make_image(&im, ET_EXEC, 0x10000);
	im.eh.e_machine = EM_X86_64;
	expect_reject(&im, sizeof(im), "architecture");

	make_image(&im, ET_EXEC, 0x10000);
	im.eh.e_ident[EI_CLASS] = ELFCLASS32;
	expect_reject(&im, sizeof(im), "architecture");

	make_image(&im, ET_EXEC, 0x10000);
	im.eh.e_phnum = 2;
	im.ph[1].p_type = PT_INTERP;
	expect_reject(&im, sizeof(im), "dynamically linked");

	make_image(&im, ET_EXEC, 0x10000);
	im.eh.e_ident[0] = 'X';
	expect_reject(&im, sizeof(im), "not an ELF");

	make_image(&im, ET_EXEC, 0x10000);
	expect_reject(&im, 20, "too short");

	make_image(&im, ET_EXEC, 0x10000);
	im.ph[0].p_filesz = 1 << 20; /* beyond the end of the file */
	im.ph[0].p_memsz = 1 << 20;
	expect_reject(&im, sizeof(im), "segment");

	make_image(&im, ET_EXEC, 0); /* page 0 stays unmapped */
	expect_reject(&im, sizeof(im), "address range");

	make_image(&im, ET_EXEC, UPROC_TOP - 0x1000);
	expect_reject(&im, sizeof(im), "address range");

	make_image(&im, ET_EXEC, 0x10000);
	im.ph[0].p_memsz = 1; /* memsz < filesz */
	expect_reject(&im, sizeof(im), "loadable");

	make_image(&im, ET_EXEC, 0x10000);
	im.eh.e_phentsize = 12;
	expect_reject(&im, sizeof(im), "program headers");
}

static uint64_t rd64(struct uproc *p, uint64_t gva)
{
	uint64_t v = 0;

	assert_int_equal(uproc_read(p, gva, &v, 8), 0);
	return v;
}

static void test_initial_stack(void **state)
{
	struct uproc *p = calloc(1, sizeof(*p));
	char *argv[] = {"prog", "arg one", NULL};
	char *envp[] = {"A=1", "B=two", NULL};
	uint64_t sp, v, auxv, at[64] = {0};
	char s[64];
	(void)state;

	assert_int_equal(uproc_init(p), 0);
	p->entry = 0x12345;
	p->phdr = 0x10040;
	p->phnum = 7;
	assert_int_equal(uproc_build_stack(p, 2, argv, envp, "/bin/prog", &sp), 0);
	assert_int_equal(sp % 16, 0);
	assert_true(sp < UPROC_TOP && sp > UPROC_TOP - UPROC_STACK_SIZE);
	assert_int_equal(rd64(p, sp), 2);
	for (int i = 0; i < 2; i++) {
		assert_true(uproc_strcpy(p, rd64(p, sp + 8 + 8 * i), s, sizeof(s)) >= 0);
		assert_string_equal(s, argv[i]);
	}
	assert_int_equal(rd64(p, sp + 24), 0);
	for (int i = 0; i < 2; i++) {
		assert_true(uproc_strcpy(p, rd64(p, sp + 32 + 8 * i), s, sizeof(s)) >= 0);
		assert_string_equal(s, envp[i]);
	}
	assert_int_equal(rd64(p, sp + 48), 0);
	auxv = sp + 56;
	for (int i = 0; i < 40; i++) {
		uint64_t type = rd64(p, auxv + 16 * i);
		v = rd64(p, auxv + 16 * i + 8);
		if (type == AT_NULL)
			break;
		if (type < 64)
			at[type] = v;
	}
	assert_int_equal(at[AT_PAGESZ], 4096);
	assert_int_equal(at[AT_ENTRY], 0x12345);
	assert_int_equal(at[AT_PHDR], 0x10040);
	assert_int_equal(at[AT_PHNUM], 7);
	assert_int_equal(at[AT_PHENT], sizeof(Elf64_Phdr));
	assert_int_equal(at[AT_UID], getuid());
	assert_int_equal(at[AT_HWCAP] & 0x112d, 0x112d);
	assert_true(at[AT_RANDOM] > sp && at[AT_RANDOM] % 16 == 0);
	assert_true(uproc_strcpy(p, at[AT_EXECFN], s, sizeof(s)) >= 0);
	assert_string_equal(s, "/bin/prog");
	uproc_free(p);
	free(p);
}

static void test_stack_too_big(void **state)
{
	struct uproc *p = calloc(1, sizeof(*p));
	size_t len = 3 << 20;
	char *big = malloc(len);
	char *argv[] = {"prog", big, NULL};
	uint64_t sp;
	(void)state;

	memset(big, 'x', len - 1);
	big[len - 1] = 0;
	assert_int_equal(uproc_init(p), 0);
	assert_int_equal(uproc_build_stack(p, 2, argv, NULL, "prog", &sp), -E2BIG);
	free(big);
	uproc_free(p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_static),	  cmocka_unit_test(test_load_pie_is_relocated),
	    cmocka_unit_test(test_load_rejects),  cmocka_unit_test(test_initial_stack),
	    cmocka_unit_test(test_stack_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
