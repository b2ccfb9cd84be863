/* Exactly n port writes (cmdline n=, default 1000), each one an I/O exit: n-1 writes to port
 * 0x80 and the last to isa-debug-exit. Nothing else here touches an I/O port. */
#include "lib.h"

int main(struct mb_info *mbi)
{
	uint32_t n = cmdline_u(mbi, "n", 1000);

	for (uint32_t i = 1; i < n; i++)
		outb(0x80, (uint8_t)i);
	return 0x21; /* debug exit 0x21 -> status 67 */
}
