/* The PC devices a guest written for QEMU looks for: fw_cfg (signature, CPU count, RAM size),
 * the CMOS RTC (date), the 16550 UART (output through THR), the boot marker port, the i8042 reset (`reboot` on the
 * command line) and pvpanic (`panic`). */
#include "lib.h"

static char buf[256];

static void fw_select(uint16_t key)
{
	outw(0x510, key);
}

static uint32_t fw_read(unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)inb(0x511) << (8 * i);
	return v;
}

static uint8_t cmos(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void uart_puts(const char *s)
{
	for (; *s; s++) {
		while (!(inb(0x3fd) & 0x20))
			;
		outb(0x3f8, (uint8_t)*s);
	}
}

int main(struct mb_info *mbi)
{
	char *p = buf;
	uint32_t lo, hi;
	uint8_t y, c;

	(void)mbi;
	outb(BOOT_MARK_PORT, 123);
	fw_select(0);
	p = fmt_s(p, "fw_cfg sig=");
	for (int i = 0; i < 4; i++)
		*p++ = (char)inb(0x511);
	fw_select(5);
	p = fmt_s(p, " cpus=");
	p = fmt_u(p, fw_read(2));
	fw_select(3);
	lo = fw_read(4);
	hi = fw_read(4);
	p = fmt_s(p, " ram_mib=");
	p = fmt_u(p, (((uint64_t)hi << 32) | lo) >> 20);
	y = cmos(9);
	c = cmos(0x32);
	p = fmt_s(p, " rtc_year=");
	p = fmt_u(p, (uint32_t)((c >> 4) * 1000 + (c & 15) * 100 + (y >> 4) * 10 + (y & 15)));
	p = fmt_s(p, " rtc_regb=");
	p = fmt_u(p, cmos(0x0b));
	fmt_s(p, "\n");
	uart_puts(buf);
	if (mbi->flags & 8 && mbi->mods_count == 1) {
		uint32_t *mod = (uint32_t *)mbi->mods_addr;
		p = fmt_s(buf, "module bytes=");
		p = fmt_u(p, mod[1] - mod[0]);
		p = fmt_s(p, " first=");
		*p++ = *(char *)mod[0];
		fmt_s(p, "\n");
		uart_puts(buf);
	}
	p = fmt_s(buf, "cmdline=");
	p = fmt_s(p, (const char *)mbi->cmdline);
	p = fmt_s(p, " mem_upper_kib=");
	p = fmt_u(p, mbi->mem_upper);
	p = fmt_s(p, " mmap_entries=");
	p = fmt_u(p, mbi->mmap_length / 24);
	fmt_s(p, "\n");
	uart_puts(buf);
	if (str_has((const char *)mbi->cmdline, "panic") && (inb(0x505) & 1))
		outb(0x505, 1); /* pvpanic: PANICKED */
	if (str_has((const char *)mbi->cmdline, "reboot")) {
		while (inb(0x64) & 2)
			;
		outb(0x64, 0xfe);
	}
	return 3;
}
