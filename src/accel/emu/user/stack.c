/* The initial stack of a Linux process (as fs/binfmt_elf.c:create_elf_tables lays it out):
 *
 *   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs ending with AT_NULL,
 *         then padding, 16 random bytes, the argument and environment strings, and at the very
 *         top the executable's file name (AT_EXECFN). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "accel/emu/user/uproc.h"
#include "base/util.h"

/* riscv64 AT_HWCAP: one bit per single-letter extension; we offer RV64IMAFDC. */
#define HWCAP_LETTER(c) (1ULL << ((c) - 'a'))
#define UPROC_HWCAP                                                                                \
	(HWCAP_LETTER('i') | HWCAP_LETTER('m') | HWCAP_LETTER('a') | HWCAP_LETTER('f') |           \
	 HWCAP_LETTER('d') | HWCAP_LETTER('c'))
#define STACK_STRINGS_MAX (UPROC_STACK_SIZE / 4) /* like Linux's ARG_MAX of a quarter stack */
#define AUXV_PAIRS	  20

/* Pushes a string down from *top; returns its guest address, 0 when the stack is full. */
static uint64_t push_str(struct uproc *p, uint64_t *top, uint64_t floor, const char *s)
{
	size_t len = strlen(s) + 1;

	if (*top - floor < len)
		return 0;
	*top -= len;
	if (uproc_write(p, *top, s, len))
		return 0;
	return *top;
}

static int push_strings(struct uproc *p, uint64_t *top, uint64_t floor, int n, char *const v[],
			uint64_t *out)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = push_str(p, top, floor, v[i]);
		if (!out[i])
			return -E2BIG;
	}
	return 0;
}

static int count(char *const v[])
{
	int n = 0;

	while (v && v[n])
		n++;
	return n;
}

int uproc_build_stack(struct uproc *p, int argc, char *const argv[], char *const envp[],
		      const char *execfn, uint64_t *sp_out)
{
	uint64_t top = UPROC_TOP, floor = UPROC_TOP - STACK_STRINGS_MAX;
	int envc = count(envp);
	uint64_t *vec, nvec, execfn_va, random_va, sp;
	uint8_t rnd[16];
	unsigned k = 0;
	int ret;

	if (argc < 0 || (uint64_t)argc + (uint64_t)envc > STACK_STRINGS_MAX / 16)
		return -E2BIG;
	execfn_va = push_str(p, &top, floor, execfn);
	if (!execfn_va)
		return -E2BIG;
	nvec = 1 + (uint64_t)argc + 1 + (uint64_t)envc + 1 + 2 * AUXV_PAIRS;
	vec = calloc(nvec, sizeof(*vec));
	if (!vec)
		return -ENOMEM;
	vec[0] = (uint64_t)argc;
	ret = push_strings(p, &top, floor, argc, argv, &vec[1]);
	if (!ret)
		ret = push_strings(p, &top, floor, envc, envp, &vec[2 + argc]);
	if (ret) {
		free(vec);
		return ret;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	top = ALIGN_DOWN(top, 16) - 16;
	random_va = top;
	uproc_write(p, random_va, rnd, sizeof(rnd));

	uint64_t *aux = &vec[3 + argc + envc];
#define AUX(type, val)                                                                             \
	do {                                                                                       \
		aux[k++] = (type);                                                                 \
		aux[k++] = (val);                                                                  \
	} while (0)
	AUX(AT_PHDR, p->phdr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, p->phnum);
	AUX(AT_PAGESZ, UPROC_PAGE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, p->entry);
	AUX(AT_UID, getuid());
	AUX(AT_EUID, geteuid());
	AUX(AT_GID, getgid());
	AUX(AT_EGID, getegid());
	AUX(AT_HWCAP, UPROC_HWCAP);
	AUX(AT_CLKTCK, (uint64_t)sysconf(_SC_CLK_TCK));
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_va);
	AUX(AT_EXECFN, execfn_va);
	AUX(AT_NULL, 0);
#undef AUX
	nvec = 3 + (uint64_t)argc + (uint64_t)envc + k;
	sp = ALIGN_DOWN(top - nvec * 8, 16);
	if (sp < floor) {
		free(vec);
		return -E2BIG;
	}
	ret = uproc_write(p, sp, vec, nvec * 8);
	free(vec);
	if (ret)
		return ret;
	*sp_out = sp;
	return 0;
}
