/* SMP bring-up: the BSP wakes every AP with INIT-SIPI-SIPI through the in-kernel local APIC.
 * Each AP starts in real mode at 0x40000, reads its APIC ID, reports in with a hypercall (port
 * I/O from real mode) and counts itself; the BSP waits for all of them and reports. */
#include "lib.h"

#define TRAMP   0x40000u
#define MSGS    0x41000u
#define COUNTER ((volatile uint32_t *)(TRAMP + 0xf00))
#define ICR_LO  ((volatile uint32_t *)0xfee00300u)

extern const char tramp_start[], tramp_end[];
static char buf[96];

static void pause_ms(uint32_t ms)
{
	uint64_t end = hcall(HC_TIME, 0, 0) + (uint64_t)ms * 1000000u;
	while (hcall(HC_TIME, 0, 0) < end)
		;
}

int main(struct mb_info *mbi)
{
	uint32_t n = (uint32_t)hcall(HC_CPU_COUNT, 0, 0), up;
	uint64_t deadline;
	char *p;

	(void)mbi;
	for (const char *s = tramp_start; s < tramp_end; s++)
		((char *)TRAMP)[s - tramp_start] = *s;
	*COUNTER = 0;
	for (uint32_t i = 0; i < n && i < 256; i++) {
		char *m = (char *)(MSGS + i * 32);
		p = fmt_s(m, "cpu ");
		p = fmt_u(p, i);
		p = fmt_s(p, " up in real mode\n");
		*(uint32_t *)(m + 28) = (uint32_t)(p - m);
	}
	*ICR_LO = 0x000c4500u; /* INIT, all excluding self */
	pause_ms(10);
	*ICR_LO = 0x000c4600u | (TRAMP >> 12); /* STARTUP */
	pause_ms(1);
	*ICR_LO = 0x000c4600u | (TRAMP >> 12);
	deadline = hcall(HC_TIME, 0, 0) + 10000000000ull;
	while (*COUNTER < n - 1 && hcall(HC_TIME, 0, 0) < deadline)
		;
	up = *COUNTER + 1;
	p = fmt_s(buf, "smp: ");
	p = fmt_u(p, up);
	p = fmt_s(p, " of ");
	p = fmt_u(p, n);
	fmt_s(p, " cpus up\n");
	puts_hc(buf);
	return up == n ? 0x0c : 0x0d;
}
