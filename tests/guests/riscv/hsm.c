/* SBI HSM with two harts and no M-mode firmware (run with --cpus 2): hart 1 stops itself with
 * hart_stop; hart 0 sees it STOPPED, starts it again at a new address with an opaque value,
 * and hart 1 comes back there in S-mode with a0 = hartid, a1 = opaque, satp = 0. */
#include "rt.h"

#define EXT_HSM 0x48534d

struct sbiret {
	long error;
	unsigned long value;
};

static struct sbiret sbi(unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = EXT_HSM;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
	return (struct sbiret){(long)r0, r1};
}

static volatile unsigned long h1_stage, h1_a0, h1_a1, h1_priv_ok;

/* Where hart 1 resumes: a naked entry that sets up a stack and records its arguments. */
__attribute__((naked)) static void h1_resume(void)
{
	__asm__ volatile("la sp, _stack_top\n"
			 "li t0, 0x4000\n"
			 "sub sp, sp, t0\n"
			 "j h1_resumed\n");
}

__attribute__((used)) static void h1_resumed(unsigned long a0, unsigned long a1)
{
	h1_a0 = a0;
	h1_a1 = a1;
	/* In S-mode: sstatus is readable, mstatus is not (it would trap to mtvec = 0). */
	h1_priv_ok = (csr_read(sstatus) & MSTATUS_SIE) == 0 && csr_read(satp) == 0;
	__atomic_store_n(&h1_stage, 2, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("wfi");
}

static void h1_s_mode(void)
{
	__atomic_store_n(&h1_stage, 1, __ATOMIC_RELEASE);
	sbi(1, 0, 0, 0); /* hart_stop: does not return */
	rt_exit(0x51);
}

void rt_secondary(unsigned long hartid)
{
	if (hartid != 1)
		return;
	rt_enter_from_m(1, h1_s_mode);
}

static void h0_s_mode(void)
{
	struct sbiret r;

	while (__atomic_load_n(&h1_stage, __ATOMIC_ACQUIRE) < 1)
		;
	/* Wait until hart 1 is STOPPED (it may still be on its way into hart_stop). */
	do
		r = sbi(2, 1, 0, 0);
	while (r.error == 0 && r.value != 1);
	CHECK(r.error == 0 && r.value == 1);
	r = sbi(0, 1, (unsigned long)h1_resume, 0xfeed);
	CHECK(r.error == 0);
	while (__atomic_load_n(&h1_stage, __ATOMIC_ACQUIRE) < 2)
		;
	CHECK(h1_a0 == 1 && h1_a1 == 0xfeed && h1_priv_ok);
	r = sbi(2, 1, 0, 0);
	CHECK(r.error == 0 && r.value == 0);
	rt_exit(0);
}

int main(void)
{
	rt_enter_from_m(1, h0_s_mode);
}
