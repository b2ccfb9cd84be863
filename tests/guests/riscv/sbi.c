/* Host SBI calls from S-mode (no M-mode firmware: mtvec stays 0, so gasang answers ECALLs):
 * BASE, TIME (timer interrupt), IPI (to self), RFENCE, HSM status, DBCN console, and SRST
 * with a vendor reason that makes gasang exit with status 42. */
#include "rt.h"

struct sbiret {
	long error;
	unsigned long value;
};

static struct sbiret sbi(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
			 unsigned long a2)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
	return (struct sbiret){(long)r0, r1};
}

#define EXT_BASE   0x10
#define EXT_TIME   0x54494d45
#define EXT_IPI	   0x735049
#define EXT_RFENCE 0x52464e43
#define EXT_HSM	   0x48534d
#define EXT_SRST   0x53525354
#define EXT_DBCN   0x4442434e

static volatile unsigned long s_cause, s_irqs;

__attribute__((interrupt("supervisor"), aligned(4))) static void strap(void)
{
	s_cause = csr_read(scause);
	s_irqs++;
	if (s_cause == ((1UL << 63) | 5))
		sbi(EXT_TIME, 0, ~0UL, 0, 0); /* next timer: never; clears STIP */
	else if (s_cause == ((1UL << 63) | 1))
		csr_clear(sip, 1UL << 1);
	else
		rt_exit(0xef);
}

static void s_phase(void)
{
	static const char msg[] = "sbi-dbcn-ok\n";
	struct sbiret r;
	unsigned long t0;

	csr_write(stvec, (unsigned long)strap);
	r = sbi(EXT_BASE, 0, 0, 0, 0);
	CHECK(r.error == 0 && r.value == (2UL << 24));
	r = sbi(EXT_BASE, 1, 0, 0, 0);
	CHECK(r.error == 0 && r.value == 0x67736e67);
	r = sbi(EXT_BASE, 3, EXT_TIME, 0, 0);
	CHECK(r.error == 0 && r.value == 1);
	r = sbi(EXT_BASE, 3, EXT_DBCN, 0, 0);
	CHECK(r.error == 0 && r.value == 1);
	r = sbi(EXT_BASE, 3, 0x12345678, 0, 0);
	CHECK(r.error == 0 && r.value == 0);
	r = sbi(0x12345678, 0, 0, 0, 0);
	CHECK(r.error == -2);
	r = sbi(EXT_BASE, 99, 0, 0, 0);
	CHECK(r.error == -2);

	/* DBCN: a write from guest memory; a buffer outside RAM is rejected. */
	r = sbi(EXT_DBCN, 0, sizeof(msg) - 1, (unsigned long)msg, 0);
	CHECK(r.error == 0 && r.value == sizeof(msg) - 1);
	r = sbi(EXT_DBCN, 0, 16, 0x1000, 0);
	CHECK(r.error == -3);
	r = sbi(EXT_DBCN, 0, ~0UL, (unsigned long)msg, 0);
	CHECK(r.error == -3);
	r = sbi(EXT_DBCN, 2, '\n', 0, 0);
	CHECK(r.error == 0);

	/* HSM: this hart runs; a hart that does not exist is an invalid parameter. */
	r = sbi(EXT_HSM, 2, 0, 0, 0);
	CHECK(r.error == 0 && r.value == 0);
	r = sbi(EXT_HSM, 2, 99, 0, 0);
	CHECK(r.error == -3);
	r = sbi(EXT_HSM, 0, 0, 0x80000000UL, 0);
	CHECK(r.error == -6); /* already started */

	/* RFENCE on all harts, and with a mask naming a hart that does not exist. */
	r = sbi(EXT_RFENCE, 1, 0, ~0UL, 0);
	CHECK(r.error == 0);
	r = sbi(EXT_RFENCE, 0, 1UL << 5, 0, 0);
	CHECK(r.error == -3);

	/* TIME: the SBI timer raises STIP 2 ms later. */
	csr_set(sie, (1UL << 5) | (1UL << 1));
	csr_set(sstatus, MSTATUS_SIE);
	t0 = csr_read(time);
	r = sbi(EXT_TIME, 0, t0 + 20000, 0, 0);
	CHECK(r.error == 0);
	while (!s_irqs)
		__asm__ volatile("wfi");
	CHECK(s_cause == ((1UL << 63) | 5) && csr_read(time) - t0 >= 20000);
	/* IPI to self: a supervisor software interrupt. */
	r = sbi(EXT_IPI, 0, 1, 0, 0);
	CHECK(r.error == 0);
	for (volatile int i = 0; i < 100 && s_irqs < 2; i++)
		;
	CHECK(s_irqs == 2 && s_cause == ((1UL << 63) | 1));

	/* SRST: invalid type, then shutdown with vendor reason 42 (gasang exits with 42). */
	r = sbi(EXT_SRST, 0, 7, 0, 0);
	CHECK(r.error == -3);
	sbi(EXT_SRST, 0, 0, 0xf0000000UL | 42, 0);
	CHECK(0); /* not reached */
}

int main(void)
{
	/* No M-mode firmware: mtvec stays 0 and the host answers S-mode ECALLs. Give S the
	 * counters and its interrupts, as firmware would. */
	csr_write(mcounteren, 7);
	csr_write(mideleg, (1UL << 1) | (1UL << 5) | (1UL << 9));
	rt_enter_from_m(1, s_phase);
}
