/* PLIC: the UART's THR-empty interrupt (source 10) routed to hart 0's M context, taken from
 * WFI as a machine external interrupt, claimed and completed; thresholds mask it, and the S
 * context drives mip.SEIP. */
#include "rt.h"

#define PRIO(s)	  ((volatile uint32_t *)(PLIC + 4 * (s)))
#define PENDING	  ((volatile uint32_t *)(PLIC + 0x1000))
#define ENABLE(c) ((volatile uint32_t *)(PLIC + 0x2000 + 0x80 * (c)))
#define THRESH(c) ((volatile uint32_t *)(PLIC + 0x200000 + 0x1000 * (c)))
#define CLAIM(c)  ((volatile uint32_t *)(PLIC + 0x200004 + 0x1000 * (c)))

static volatile unsigned long m_cause, m_irqs, claimed;

__attribute__((interrupt("machine"), aligned(4))) static void mtrap(void)
{
	m_cause = csr_read(mcause);
	m_irqs++;
	if (m_cause != ((1UL << 63) | 11))
		rt_exit(0xee);
	claimed = *CLAIM(0);
	UART[1] = 0; /* IER: quiet the UART, then complete */
	*CLAIM(0) = (uint32_t)claimed;
}

int main(void)
{
	csr_write(mtvec, (unsigned long)mtrap);
	CHECK(*CLAIM(0) == 0);
	*PRIO(10) = 3;
	CHECK(*PRIO(10) == 3);
	*ENABLE(0) = 1u << 10;
	*THRESH(0) = 3; /* masks priority 3 */
	UART[1] = 0x02; /* IER.THRI: THR empty interrupt now */
	CHECK(*PENDING & (1u << 10));
	CHECK(!(csr_read(mip) & (1UL << 11)));
	/* The S context of hart 0 drives SEIP. */
	*ENABLE(1) = 1u << 10;
	CHECK(csr_read(mip) & (1UL << 9));
	*ENABLE(1) = 0;
	CHECK(!(csr_read(mip) & (1UL << 9)));
	/* Lower the threshold: MEIP, taken out of WFI. */
	*THRESH(0) = 0;
	CHECK(csr_read(mip) & (1UL << 11));
	csr_set(mie, 1UL << 11);
	csr_set(mstatus, MSTATUS_MIE);
	while (!m_irqs)
		__asm__ volatile("wfi");
	CHECK(claimed == 10 && m_irqs == 1);
	CHECK(!(*PENDING & (1u << 10)));
	CHECK(!(csr_read(mip) & (1UL << 11)));
	rt_exit(0);
}
