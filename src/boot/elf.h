/* Loads a bare-metal RISC-V ELF64 executable at its physical addresses (PT_LOAD p_paddr) and
 * finds the HTIF "tohost"/"fromhost" symbols in its symbol table. Every segment must lie in
 * guest RAM. */
#ifndef GASANG_BOOT_ELF_H
#define GASANG_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;

struct elf_image {
	uint64_t entry;
	uint64_t tohost, fromhost; /* physical addresses, 0 when the symbol is absent */
	uint64_t lo, hi;	   /* physical extent of the loaded segments */
};

/* Returns 0, or -errno with a one-line reason in err (without the "gasang: " prefix). */
int elf_riscv_load(struct guest_mem *mem, const char *path, struct elf_image *out, char *err,
		   size_t errlen);
/* Same from a buffer already in memory (tests, fuzzing). */
int elf_riscv_load_buf(struct guest_mem *mem, const uint8_t *buf, size_t len, struct elf_image *out,
		       char *err, size_t errlen);

#endif
