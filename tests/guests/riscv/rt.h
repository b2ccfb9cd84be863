/* Tiny runtime for gasang's bare-metal RISC-V tests: CSR access, UART output and the HTIF
 * exit through tohost (pass: 1; failure n: (n << 1) | 1, so gasang exits with status n). */
#ifndef RT_H
#define RT_H

#include <stdint.h>

#define csr_read(csr)                                                                              \
	({                                                                                         \
		unsigned long __v;                                                                 \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v) : : "memory");                       \
		__v;                                                                               \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" : : "rK"(val) : "memory")
#define csr_set(csr, val)   __asm__ volatile("csrs " #csr ", %0" : : "rK"(val) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" : : "rK"(val) : "memory")

#define MSTATUS_SIE  (1UL << 1)
#define MSTATUS_MIE  (1UL << 3)
#define MSTATUS_SPP  (1UL << 8)
#define MSTATUS_MPP  (3UL << 11)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM  (1UL << 18)

#define UART  ((volatile uint8_t *)0x10000000UL)
#define CLINT 0x2000000UL
#define PLIC  0xc000000UL

extern volatile uint64_t tohost;

static inline void rt_putc(char c)
{
	while (!(UART[5] & 0x20))
		;
	UART[0] = (uint8_t)c;
}

static inline void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

static inline void rt_puthex(uint64_t v)
{
	rt_puts("0x");
	for (int i = 60; i >= 0; i -= 4)
		rt_putc("0123456789abcdef"[(v >> i) & 15]);
}

__attribute__((noreturn)) static inline void rt_exit_status(unsigned status)
{
	tohost = ((uint64_t)status << 1) | 1;
	for (;;)
		;
}

__attribute__((noreturn)) void rt_exit(int status);

/* Fails the test with the line number as exit status. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			rt_puts("FAIL line ");                                                     \
			rt_puthex(__LINE__);                                                       \
			rt_puts(": " #cond "\n");                                                  \
			rt_exit_status(__LINE__ & 0xff ? __LINE__ & 0xff : 0xff);                  \
		}                                                                                  \
	} while (0)

/* Continues in privilege mode prv (0 = U, 1 = S) at fn, from M-mode (mret). fn never returns:
 * it ends the test itself (rt_exit) or enters the next phase. */
__attribute__((noreturn)) void rt_enter_from_m(unsigned prv, void (*fn)(void));
/* Same from S-mode (sret) to U-mode. */
__attribute__((noreturn)) void rt_enter_u_from_s(void (*fn)(void));

/* Length of the instruction at pc (2 or 4): trap handlers skip the faulting one. */
static inline unsigned long rt_insn_len(unsigned long pc)
{
	return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
}

static inline uint64_t rt_mtime(void)
{
	return *(volatile uint64_t *)(CLINT + 0xbff8);
}

#endif
