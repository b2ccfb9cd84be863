/* Exactly n MMIO exits (cmdline n=, default 1000) at 0xd0000000, where nothing is mapped:
 * n-1 writes and one read, which must see all ones. Then a report and a debug exit. */
#include "lib.h"

int main(struct mb_info *mbi)
{
	volatile uint32_t *reg = (volatile uint32_t *)0xd0000000u;
	uint32_t n = cmdline_u(mbi, "n", 1000), v;
	char buf[64], *p;

	for (uint32_t i = 1; i < n; i++)
		*reg = i;
	v = *reg;
	p = fmt_s(buf, "mmio read ");
	p = fmt_x(p, v);
	fmt_s(p, "\n");
	puts_hc(buf);
	return v == 0xffffffffu ? 0x10 : 0x11;
}
