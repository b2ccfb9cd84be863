/* A timer interrupt through the in-kernel irqchip: the 8259 PIC and the 8254 PIT at 100 Hz,
 * IRQ 0 on vector 0x20. Waits (hlt) for 10 ticks, reports them and the elapsed host time. */
#include "lib.h"

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct gate idt[256];
static char buf[128];
extern void irq0_stub(void);
extern volatile uint32_t ticks;
extern void timer_wait(uint32_t want);

int main(struct mb_info *mbi)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint32_t)idt};
	uint32_t cs, want = cmdline_u(mbi, "ticks", 10);
	uint64_t t0, t1;
	char *p;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[0x20] = (struct gate){(uint16_t)(uint32_t)irq0_stub, (uint16_t)cs, 0, 0x8e,
				  (uint16_t)((uint32_t)irq0_stub >> 16)};
	__asm__ volatile("lidt %0" : : "m"(idtr));
	pic_init(0xfe, 0xff); /* only IRQ 0 unmasked */
	/* PIT channel 0, rate generator, 1193182 / 11932 = 100 Hz. */
	outb(0x43, 0x34);
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	t0 = hcall(HC_TIME, 0, 0);
	timer_wait(want);
	t1 = hcall(HC_TIME, 0, 0);
	p = fmt_s(buf, "timer ticks=");
	p = fmt_u(p, ticks);
	p = fmt_s(p, " elapsed_ms=");
	p = fmt_u(p, (t1 - t0) / 1000000u);
	fmt_s(p, "\n");
	puts_hc(buf);
	return 0x0b;
}
