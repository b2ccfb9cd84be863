/* Prints what a program sees at start: argv, one environment variable and the auxv. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];
extern char **environ;

int main(int argc, char **argv, char **envp)
{
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	unsigned long hwcap = getauxval(AT_HWCAP);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	int envc = 0, rnd_nonzero = 0;

	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	printf("argv[argc]=%s\n", argv[argc] ? "non-null" : "null");
	while (envp[envc])
		envc++;
	printf("envp_matches_environ=%d\n", envp == environ);
	printf("GASANG_TEST_VAR=%s\n", getenv("GASANG_TEST_VAR") ?: "(unset)");
	printf("pagesz=%lu\n", getauxval(AT_PAGESZ));
	printf("phent=%lu\n", getauxval(AT_PHENT));
	printf("phnum_ok=%d\n", getauxval(AT_PHNUM) > 0);
	printf("phdr_is_elf_phdrs=%d\n",
	       ((const Elf64_Phdr *)getauxval(AT_PHDR))->p_type != 0 || getauxval(AT_PHNUM) > 0);
	printf("entry_is_start=%d\n", getauxval(AT_ENTRY) == (unsigned long)_start);
	printf("uid_ok=%d gid_ok=%d secure=%lu\n", getauxval(AT_UID) == getuid(),
	       getauxval(AT_GID) == getgid(), getauxval(AT_SECURE));
	printf("clktck=%lu\n", getauxval(AT_CLKTCK));
	for (int i = 0; rnd && i < 16; i++)
		rnd_nonzero |= rnd[i];
	printf("random_ok=%d\n", rnd && rnd_nonzero);
	printf("hwcap_imafdc=%d\n", (hwcap & 0x112d) == 0x112d);
	printf("execfn=%s\n", execfn ? execfn : "(null)");
	printf("sp_aligned=%d\n", ((unsigned long)__builtin_frame_address(0) & 15) == 0);
	return argc == 1 ? 0 : atoi(argv[argc - 1]) & 0xff;
}
