/* Tiny bare-metal helpers: ns16550 UART at 0x10000000, exit through tohost (gasang) and the
 * SiFive test finisher at 0x100000 (QEMU virt). */
#ifndef RVLIB_H
#define RVLIB_H

#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000UL)

static inline void uart_putc(char c)
{
	while (!(UART[5] & 0x20))
		;
	UART[0] = (uint8_t)c;
}

static inline void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static inline void uart_hex(uint64_t v)
{
	for (int i = 60; i >= 0; i -= 4)
		uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

static inline void csr_set_mpp(unsigned mpp)
{
	uint64_t m = 3ULL << 11, v = (uint64_t)mpp << 11;
	__asm__ volatile("csrc mstatus, %0\n\tcsrs mstatus, %1" : : "r"(m), "r"(v));
}

static inline void csr_write_satp(uint64_t v)
{
	__asm__ volatile("csrw satp, %0\n\tsfence.vma" : : "r"(v) : "memory");
}

#endif
