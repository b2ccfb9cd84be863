/* Benchmark payload: exit round trips. Writes 'A' to the UART, does n port writes (port 0x80),
 * writes 'B', does n MMIO writes (0xd0000000, unassigned), writes 'C', then debug-exits.
 * The bench timestamps the three bytes as they arrive: (B - A) / n is a port-I/O round trip,
 * (C - B) / n an MMIO round trip, the same way for every VMM. */
#include "lib.h"

static void uart_putc(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}

int main(struct mb_info *mbi)
{
	volatile uint32_t *reg = (volatile uint32_t *)0xd0000000u;
	uint32_t n = cmdline_u(mbi, "n", 10000);

	uart_putc('A');
	for (uint32_t i = 0; i < n; i++)
		outb(0x80, (uint8_t)i);
	uart_putc('B');
	for (uint32_t i = 0; i < n; i++)
		*reg = i;
	uart_putc('C');
	uart_putc('\n');
	return 0x20;
}
