/* Timers and WFI: Sstc stimecmp interrupts, MTIP from mtimecmp, WFI sleeping (not spinning)
 * until a timer deadline or an interrupt raised by another thread, host SBI ECALLs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rv_asm.h"

#define MTRAP (RAM_BASE + 0x800)
#define STRAP (RAM_BASE + 0xc00)
enum { STIMECMP = 0x14d, MENVCFG = 0x30a, MIP = 0x344, SIP = 0x144 };

static struct rvt *t;

static int setup(void **state)
{
	(void)state;
	t = rvt_new();
	t->h.mtvec = MTRAP;
	t->h.stvec = STRAP;
	for (int i = 0; i < 8; i++) {
		rvt_code(t, MTRAP + 4 * i, (const uint32_t[]){JAL(0, 0)}, 1);
		rvt_code(t, STRAP + 4 * i, (const uint32_t[]){JAL(0, 0)}, 1);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(t);
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_sstc_interrupt(void **state)
{
	(void)state;
	/* M sets STCE and delegates STI; S arms stimecmp 2 ms ahead and spins. */
	t->h.menvcfg = 1ULL << 63;
	t->h.mcounteren = 2;
	t->h.mideleg = 1U << IRQ_S_TIMER;
	t->h.mie = 1U << IRQ_S_TIMER;
	t->h.mstatus |= 1ULL << 1; /* SIE */
	t->h.priv = PRV_S;
	hart_flush_tlb(&t->h);
	t->h.x[1] = rv_mtime(&t->p) + 20000; /* 2 ms at 10 MHz */
	RUN(t, 2, CSRRW(0, STIMECMP, 1), JAL(0, 0));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	assert_int_equal(t->h.stimecmp, t->h.x[1]);
	assert_false(t->h.mip & (1U << IRQ_S_TIMER));
	uint64_t t0 = now_ns();
	while (t->h.scause == 0 && now_ns() - t0 < 2000000000ULL)
		hart_step(&t->h, 10000);
	assert_int_equal(t->h.scause, (1ULL << 63) | IRQ_S_TIMER);
	assert_int_equal(t->h.sepc, RAM_BASE + 4);
	assert_true(rv_mtime(&t->p) >= t->h.x[1]);
	/* Writing a later stimecmp clears STIP; in Sstc mode sip.STIP is read-only. */
	t->h.x[1] = UINT64_MAX;
	t->h.x[2] = 1U << IRQ_S_TIMER;
	RUN(t, 2, CSRRW(0, STIMECMP, 1), CSRRS(0, SIP, 2));
	assert_false(t->h.mip & (1U << IRQ_S_TIMER));
	/* Without STCE, S-mode stimecmp access is illegal. */
	t->h.menvcfg = 0;
	RUN(t, 1, CSRRS(3, STIMECMP, 0));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
}

static void test_stip_software_without_stce(void **state)
{
	(void)state;
	/* STCE = 0 and no host SBI: M-mode software drives STIP through mip. */
	t->h.x[1] = 1U << IRQ_S_TIMER;
	RUN(t, 2, CSRRS(0, MIP, 1), NOP);
	assert_true(t->h.mip & (1U << IRQ_S_TIMER));
	RUN(t, 2, CSRRC(0, MIP, 1), NOP);
	assert_false(t->h.mip & (1U << IRQ_S_TIMER));
}

static void test_wfi_sleeps_until_timer(void **state)
{
	(void)state;
	/* MTIE enabled but MIE = 0: WFI wakes on the pending interrupt, no trap is taken. */
	t->h.mie = 1U << IRQ_M_TIMER;
	t->h.mtimecmp = rv_mtime(&t->p) + 300000; /* 30 ms */
	uint64_t w0 = now_ns(), c0 = thread_cpu_ns();
	RUN(t, 2, WFI, NOP);
	uint64_t wall = now_ns() - w0, cpu = thread_cpu_ns() - c0;
	assert_true(wall >= 29000000ULL);
	assert_true(wall < 2000000000ULL);
	assert_true(cpu < wall / 2); /* slept, did not spin */
	assert_true(t->h.mip & (1U << IRQ_M_TIMER));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	/* With an interrupt already pending WFI returns at once. */
	w0 = now_ns();
	RUN(t, 1, WFI);
	assert_true(now_ns() - w0 < 20000000ULL);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
}

static void *raise_later(void *arg)
{
	usleep(30000);
	hart_set_irq(arg, IRQ_S_EXT, true);
	return NULL;
}

static void test_wfi_wakes_on_irq_from_thread(void **state)
{
	pthread_t th;
	(void)state;
	t->h.mie = 1U << IRQ_S_EXT;
	t->h.mstatus |= 1ULL << 3; /* MIE: the interrupt is taken after WFI */
	assert_int_equal(pthread_create(&th, NULL, raise_later, &t->h), 0);
	uint64_t w0 = now_ns();
	RUN(t, 1, WFI);
	while (t->h.mcause == 0 && now_ns() - w0 < 2000000000ULL)
		hart_step(&t->h, 1);
	pthread_join(th, NULL);
	assert_true(now_ns() - w0 >= 25000000ULL);
	assert_int_equal(t->h.mcause, (1ULL << 63) | IRQ_S_EXT);
	assert_int_equal(t->h.mepc, RAM_BASE + 4);
}

static bool kick_seen;

static void *remote_flush(void *arg)
{
	struct hart *h = arg;

	usleep(10000);
	hart_remote_flush(h);
	while (__atomic_load_n(&h->flush_pending, __ATOMIC_ACQUIRE))
		usleep(100);
	/* The flush's own kick may land on the last check point of a full step (no early return
	 * to see): keep kicking until the stepping thread has seen one. */
	while (!__atomic_load_n(&kick_seen, __ATOMIC_ACQUIRE)) {
		hart_kick(h);
		usleep(1000);
	}
	return NULL;
}

static void test_kick_and_remote_flush(void **state)
{
	pthread_t th;
	(void)state;
	/* A hart spinning in a loop: a remote flush request is served within the loop, and a
	 * kick makes hart_step() return early. */
	rvt_code(t, RAM_BASE, (const uint32_t[]){JAL(0, 0)}, 1);
	t->h.pc = RAM_BASE;
	assert_int_equal(pthread_create(&th, NULL, remote_flush, &t->h), 0);
	uint64_t t0 = now_ns(), ran;
	bool early = false;
	/* The kick that comes with the request makes one hart_step() return early. */
	__atomic_store_n(&kick_seen, false, __ATOMIC_RELEASE);
	while (now_ns() - t0 < 10000000000ULL && !early) {
		ran = hart_step(&t->h, 100000);
		early = ran < 100000;
	}
	__atomic_store_n(&kick_seen, true, __ATOMIC_RELEASE); /* also ends the thread on failure */
	assert_true(early);
	while (__atomic_load_n(&t->h.flush_pending, __ATOMIC_ACQUIRE) &&
	       now_ns() - t0 < 10000000000ULL)
		hart_step(&t->h, 10); /* the next check point serves the flush */
	pthread_join(th, NULL);
	assert_int_equal(t->h.flush_pending, 0);
}

static struct hart *sbi_seen;

static bool fake_sbi(struct hart *h)
{
	sbi_seen = h;
	h->x[10] = 0;
	h->x[11] = h->x[17] * 2;
	h->stimecmp = 0; /* like SBI set_timer in the past */
	return true;
}

static void test_host_sbi(void **state)
{
	(void)state;
	t->p.sbi_call = fake_sbi;
	/* A reset into M-mode is bare metal: the guest is its own firmware, reset values stay. */
	hart_reset(&t->h, PRV_M, RAM_BASE);
	assert_int_equal(t->h.medeleg, 0);
	assert_int_equal(t->h.mideleg, 0);
	assert_int_equal(t->h.menvcfg, 0);
	/* ... until the host answers an S-mode ECALL as firmware: then its timer drives STIP. */
	t->h.priv = PRV_S;
	RUN(t, 1, ECALL);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	assert_true(t->h.mip & (1U << IRQ_S_TIMER));
	hart_reset(&t->h, PRV_S, RAM_BASE);
	/* Firmware-like defaults in host-SBI mode. */
	assert_true(t->h.mideleg & (1U << IRQ_S_TIMER));
	assert_true(t->h.medeleg & (1U << EXC_LOAD_PAGE_FAULT));
	assert_false(t->h.medeleg & (1U << EXC_ECALL_S));
	t->h.x[17] = 21;
	RUN(t, 1, ECALL);
	assert_ptr_equal(sbi_seen, &t->h);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	assert_int_equal(t->h.x[11], 42);
	/* The SBI timer landed in stimecmp: STIP follows it. */
	assert_true(t->h.mip & (1U << IRQ_S_TIMER));
	/* U-mode ECALL still traps (delegated to S). */
	t->h.stvec = STRAP;
	t->h.priv = PRV_U;
	hart_flush_tlb(&t->h);
	RUN(t, 1, ECALL);
	assert_int_equal(t->h.scause, EXC_ECALL_U);
	assert_int_equal(t->h.priv, PRV_S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sstc_interrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stip_software_without_stce, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wfi_sleeps_until_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wfi_wakes_on_irq_from_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_sbi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kick_and_remote_flush, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
