/* Freestanding helpers for gasang's 32-bit x86 test payloads (Multiboot, CPL0). Every CPL0
 * instruction may be emulated by the host's KVM (kvm-pvm), so these stay short. */
#ifndef PAYLOAD_LIB_H
#define PAYLOAD_LIB_H

#include <stdint.h>

#define HC_PORT        0x5e0
#define HC_VERSION     0
#define HC_CONSOLE     1
#define HC_EXIT        2
#define HC_TIME        3
#define HC_BOOT_MARK   4
#define HC_CPU_COUNT   5
#define DEBUG_EXIT     0xf4
#define BOOT_MARK_PORT 0x3f0

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* gasang hypercall: returns the 64-bit result (edx:eax). */
static inline uint64_t hcall(uint32_t nr, uint32_t a, uint32_t b)
{
	uint32_t lo, hi;
	__asm__ volatile("outl %%eax, %%dx"
			 : "=a"(lo), "=d"(hi)
			 : "a"(nr), "d"(HC_PORT), "b"(a), "c"(b)
			 : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Both 8259s initialised: vectors 0x20 (master) and 0x28 (slave), cascade on IRQ 2, 8086
 * mode, then the two interrupt masks. */
static inline void pic_init(uint8_t master_mask, uint8_t slave_mask)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 4);
	outb(0xa1, 2);
	outb(0x21, 1);
	outb(0xa1, 1);
	outb(0x21, master_mask);
	outb(0xa1, slave_mask);
}

static inline void debug_exit(uint8_t v)
{
	outb(DEBUG_EXIT, v);
}

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

void puts_hc(const char *s);          /* one hypercall */
char *fmt_u(char *p, uint64_t v);     /* decimal */
char *fmt_x(char *p, uint32_t v);     /* hex */
char *fmt_s(char *p, const char *s);
/* Value of "key=N" on the Multiboot command line, or def. */
uint32_t cmdline_u(const struct mb_info *mbi, const char *key, uint32_t def);
int str_has(const char *hay, const char *needle);

#endif
