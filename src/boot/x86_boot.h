/* What an x86 loader hands the KVM engine: the CPU mode and registers vCPU 0 starts with, and
 * the fixed low-memory layout gasang uses for boot structures (docs/x86-platform.md). */
#ifndef GASANG_BOOT_X86_BOOT_H
#define GASANG_BOOT_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct machine;

/* Boot structures gasang writes below 1 MiB. Payloads may use 0x30000-0x9efff freely. */
#define X86_GDT_ADDR	 0x0500ULL
#define X86_PML4_ADDR	 0x1000ULL /* PML4, PDPT, then 4 page directories: 0x1000-0x6fff */
#define X86_ZERO_PAGE	 0x7000ULL /* Linux boot_params */
#define X86_PVH_START	 0x7000ULL /* hvm_start_info (PVH) or multiboot info */
#define X86_E820_MAP	 0x8000ULL /* PVH memmap / multiboot mmap / modules */
#define X86_CMDLINE_ADDR 0x20000ULL
#define X86_CMDLINE_MAX	 0x10000ULL
#define X86_BOOT_STACK	 0x1fff0ULL /* initial stack, grows down to 0x9000 */
#define X86_MPTABLE_ADDR 0xf0000ULL /* inside the reserved BIOS area */
#define X86_LOWMEM_END	 0x9fc00ULL
#define X86_BIOS_START	 0xe0000ULL /* ACPI and MP tables: reserved in e820 */
#define X86_HIMEM_START	 0x100000ULL
#define X86_PCI_HOLE	 0xc0000000ULL /* RAM above 3 GiB moves to 4 GiB */
#define X86_4G		 0x100000000ULL

enum x86_mode { X86_MODE_REAL, X86_MODE_PROT32, X86_MODE_LONG64 };

struct x86_entry {
	enum x86_mode mode;
	uint64_t rip, rsp;
	uint64_t rax, rbx, rsi;
	uint16_t cs; /* real mode only: code segment (rip is the offset) */
};

/* One guest RAM range as an e820 entry. */
struct x86_e820 {
	uint64_t addr, size;
	uint32_t type; /* 1 RAM, 2 reserved */
};
#define X86_E820_MAX 8

/* The e820 map of m's RAM: low RAM, the reserved BIOS hole, high RAM. Returns the count. */
unsigned x86_e820_map(const struct machine *m, struct x86_e820 *e, unsigned max);

/* How the kernel is booted (--boot-protocol). AUTO tries, in order: Multiboot, PVH (an ELF with
 * the PVH note), the 64-bit vmlinux entry (an x86-64 ELF, or a bzImage whose payload gasang
 * decompresses on the host), and the bzImage's own 64-bit entry (it decompresses itself). */
enum x86_boot_proto {
	X86_BOOT_AUTO,
	X86_BOOT_MULTIBOOT,
	X86_BOOT_PVH,
	X86_BOOT_BZIMAGE,
	X86_BOOT_VMLINUX64,
};

/* "auto", "multiboot", "pvh", "bzimage", "vmlinux64" (NULL = auto). Returns the protocol or
 * -EINVAL. */
int x86_boot_proto_parse(const char *name);

/* What a loader gets and gives back. */
struct x86_load;
/* Fills ld->err with "WHO: " and fmt formatted with a and b (0 to 2 of them used); returns err. */
int x86_load_fail(struct x86_load *ld, int err, const char *who, const char *fmt,
		  unsigned long long a, unsigned long long b);

struct x86_load {
	struct machine *m;
	enum x86_boot_proto proto;
	const char *kernel_path;
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd; /* NULL when none */
	size_t initrd_len;
	const char *append; /* may be NULL */
	struct x86_entry entry;
	uint64_t moved; /* bytes of kernel segments copied within guest RAM after decompression */
	char err[200];	/* why loading failed, for the one error line */
};

/* Where an initrd of len bytes goes: the highest page-aligned address below max_end (and below
 * low RAM's end) that stays above min_start. Returns 0 or -E2BIG. */
int x86_place_initrd(const struct machine *m, uint64_t len, uint64_t min_start, uint64_t max_end,
		     uint64_t *gpa);

/* Each returns 1 when the image is of its format and was loaded, 0 when the image is not of
 * its format (try the next loader), or -errno with ld->err filled. */
int multiboot_load(struct x86_load *ld);
int pvh_load(struct x86_load *ld);
int linux_x86_load(struct x86_load *ld);
int vmlinux64_load(struct x86_load *ld);

/* Tries every loader; fills ld->err on failure. Returns 0 or -errno. */
int x86_load_kernel(struct x86_load *ld);

#endif
