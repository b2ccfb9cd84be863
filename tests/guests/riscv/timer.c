/* Timers and interrupts: CLINT mtime/mtimecmp with a machine timer interrupt taken out of
 * WFI, MTIP visible in mip while masked, msip software interrupt, and Sstc (stimecmp) in S. */
#include "rt.h"

#define MTIMECMP0 ((volatile uint64_t *)(CLINT + 0x4000))
#define MSIP0	  ((volatile uint32_t *)(CLINT + 0x0))

static volatile unsigned long m_cause, m_irqs, s_cause, s_irqs;

__attribute__((interrupt("machine"), aligned(4))) static void mtrap(void)
{
	m_cause = csr_read(mcause);
	m_irqs++;
	if (m_cause == ((1UL << 63) | 7))
		*MTIMECMP0 = ~0ULL;
	else if (m_cause == ((1UL << 63) | 3))
		*MSIP0 = 0;
	else
		rt_exit(0xee); /* unexpected exception */
}

__attribute__((interrupt("supervisor"), aligned(4))) static void strap(void)
{
	s_cause = csr_read(scause);
	s_irqs++;
	if (s_cause == ((1UL << 63) | 5))
		csr_write(0x14d, ~0UL); /* stimecmp = never */
	else
		rt_exit(0xef);
}

static void s_phase(void)
{
	unsigned long t0 = csr_read(time);

	csr_write(stvec, (unsigned long)strap);
	csr_write(0x14d, t0 + 20000); /* stimecmp: 2 ms */
	csr_set(sie, 1UL << 5);
	csr_set(sstatus, MSTATUS_SIE);
	while (!s_irqs)
		__asm__ volatile("wfi");
	CHECK(s_cause == ((1UL << 63) | 5));
	CHECK(csr_read(time) - t0 >= 20000);
	CHECK(!(csr_read(sip) & (1UL << 5)));
	rt_exit(0);
}

int main(void)
{
	uint64_t t0 = rt_mtime(), t1;

	csr_write(mtvec, (unsigned long)mtrap);
	/* mtime advances (10 MHz) and the time CSR shows it. */
	for (volatile int i = 0; i < 20000; i++)
		;
	t1 = rt_mtime();
	CHECK(t1 > t0 && csr_read(time) >= t1);
	/* Masked timer: MTIP becomes pending without a trap. */
	*MTIMECMP0 = rt_mtime() + 1000;
	csr_set(mie, 1UL << 7);
	while (!(csr_read(mip) & (1UL << 7)))
		;
	CHECK(m_irqs == 0);
	/* Moving mtimecmp forward clears MTIP. */
	*MTIMECMP0 = rt_mtime() + 100000000;
	CHECK(!(csr_read(mip) & (1UL << 7)));
	/* Timer interrupt out of WFI, 5 ms ahead. */
	t0 = rt_mtime();
	*MTIMECMP0 = t0 + 50000;
	csr_set(mstatus, MSTATUS_MIE);
	while (!m_irqs)
		__asm__ volatile("wfi");
	CHECK(m_cause == ((1UL << 63) | 7));
	CHECK(rt_mtime() - t0 >= 50000);
	/* Software interrupt through msip. */
	csr_set(mie, 1UL << 3);
	*MSIP0 = 1;
	for (volatile int i = 0; i < 100 && m_irqs < 2; i++)
		;
	CHECK(m_irqs == 2 && m_cause == ((1UL << 63) | 3) && *MSIP0 == 0);
	csr_clear(mstatus, MSTATUS_MIE);

	/* Sstc: enable stimecmp for S (menvcfg.STCE), time readable (mcounteren.TM), STIP
	 * delegated. */
	csr_set(0x30a, 1UL << 63);
	csr_write(mcounteren, 2);
	csr_write(mideleg, 1UL << 5);
	rt_enter_from_m(1, s_phase);
}
