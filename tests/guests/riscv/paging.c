/* Sv39 paging from S-mode: hardware A/D updates, load/store/fetch page faults with stval,
 * permission checks (R/W/X, U with SUM, MXR), sfence.vma, and satp MODE as WARL (Sv48
 * accepted, Sv57 ignored). Page faults are delegated to S. */
#include "rt.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)

#define PAGE  4096UL
#define VBASE 0x40000000UL /* VPN[2] = 1: the test mappings */

static volatile uint64_t root[512] __attribute__((section(".pages"), aligned(4096)));
static volatile uint64_t l1[512] __attribute__((section(".pages"), aligned(4096)));
static volatile uint64_t l0[512] __attribute__((section(".pages"), aligned(4096)));
static volatile uint8_t data[6][4096] __attribute__((section(".pages"), aligned(4096)));

static volatile unsigned long s_cause, s_tval, s_count, fetch_recover;

__attribute__((interrupt("supervisor"), aligned(4))) static void strap(void)
{
	unsigned long epc = csr_read(sepc);

	s_cause = csr_read(scause);
	s_tval = csr_read(stval);
	s_count++;
	/* A fetch fault cannot skip the instruction: continue at the recovery point. */
	csr_write(sepc, s_cause == 12 ? fetch_recover : epc + rt_insn_len(epc));
}

static uint64_t leaf(volatile void *pa, uint64_t flags)
{
	return (((uint64_t)(unsigned long)pa >> 12) << 10) | flags | PTE_V;
}

static uint64_t load64(unsigned long va)
{
	return *(volatile uint64_t *)va;
}

static void store64(unsigned long va, uint64_t v)
{
	*(volatile uint64_t *)va = v;
}

#define EXPECT_FAULT(expr, cause, va)                                                              \
	do {                                                                                       \
		unsigned long _n = s_count;                                                        \
		expr;                                                                              \
		CHECK(s_count == _n + 1 && s_cause == (cause) && s_tval == (va));                  \
	} while (0)

static void s_phase(void)
{
	unsigned long va0 = VBASE, va1 = VBASE + PAGE, va2 = VBASE + 2 * PAGE;
	unsigned long va3 = VBASE + 3 * PAGE, va4 = VBASE + 4 * PAGE, va5 = VBASE + 5 * PAGE;
	unsigned long n;

	/* A load sets A but not D; a store then sets D. */
	data[0][8] = 0x5a;
	CHECK(load64(va0 + 8) == 0x5a);
	CHECK((l0[0] & PTE_A) && !(l0[0] & PTE_D));
	store64(va0 + 16, 0x1234);
	CHECK((l0[0] & PTE_D) && *(volatile uint64_t *)&data[0][16] == 0x1234);

	/* Read-only page: store page fault with the address in stval, memory unchanged. */
	data[1][0] = 7;
	EXPECT_FAULT(store64(va1, 99), 15, va1);
	CHECK(data[1][0] == 7 && load64(va1) == 7);
	/* Unmapped page: load page fault. AMOs report store faults. */
	EXPECT_FAULT((void)load64(va2 + 24), 13, va2 + 24);
	EXPECT_FAULT(__asm__ volatile("amoadd.d zero, zero, (%0)" ::"r"(va2) : "memory"), 15, va2);
	/* Execute-only page: loads fault unless MXR. */
	EXPECT_FAULT((void)load64(va3), 13, va3);
	csr_set(sstatus, 1UL << 19); /* MXR */
	n = s_count;
	(void)load64(va3);
	CHECK(s_count == n);
	csr_clear(sstatus, 1UL << 19);
	/* U page from S: faults without SUM, works with it. */
	EXPECT_FAULT((void)load64(va4), 13, va4);
	csr_set(sstatus, MSTATUS_SUM);
	n = s_count;
	(void)load64(va4);
	CHECK(s_count == n);
	csr_clear(sstatus, MSTATUS_SUM);
	/* Fetch from a non-executable page: instruction page fault. */
	EXPECT_FAULT(__asm__ volatile("la t0, 1f; sd t0, %0; jr %1; 1:"
				      : "=m"(fetch_recover)
				      : "r"(va0)
				      : "t0", "memory"),
		     12, va0);

	/* Remap va5 after use: the stale translation is gone after sfence.vma. */
	data[4][0] = 0x44;
	data[5][0] = 0x55;
	CHECK(load64(va5) == 0x55);
	l0[5] = leaf(data[4], PTE_R | PTE_A);
	__asm__ volatile("sfence.vma %0" ::"r"(va5) : "memory");
	CHECK(load64(va5) == 0x44);

	/* satp is WARL: Sv48 sticks, Sv57 (unsupported here) leaves satp unchanged. */
	{
		unsigned long sv39 = csr_read(satp);
		unsigned long sv57 = (10UL << 60) | (sv39 & ((1UL << 44) - 1));

		csr_write(satp, sv57);
		CHECK(csr_read(satp) == sv39);
	}
	rt_exit(0);
}

int main(void)
{
	/* Identity gigapages: devices (0-1 GiB) and RAM (2-3 GiB), for S-mode only. */
	root[0] = leaf((void *)0, PTE_R | PTE_W | PTE_A | PTE_D);
	root[2] = leaf((void *)0x80000000UL, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	root[1] = (((uint64_t)(unsigned long)l1 >> 12) << 10) | PTE_V;
	l1[0] = (((uint64_t)(unsigned long)l0 >> 12) << 10) | PTE_V;
	l0[0] = leaf(data[0], PTE_R | PTE_W);	      /* A = D = 0: hardware sets them */
	l0[1] = leaf(data[1], PTE_R | PTE_A);	      /* read-only */
	l0[3] = leaf(data[3], PTE_X | PTE_A);	      /* execute-only */
	l0[4] = leaf(data[2], PTE_R | PTE_U | PTE_A); /* user page */
	l0[5] = leaf(data[5], PTE_R | PTE_A);

	csr_write(medeleg, (1UL << 12) | (1UL << 13) | (1UL << 15));
	csr_write(stvec, (unsigned long)strap);
	/* Sv48 is supported: the mode sticks. Then use Sv39 for the test. */
	csr_write(satp, (9UL << 60) | ((unsigned long)root >> 12));
	CHECK((csr_read(satp) >> 60) == 9);
	csr_write(satp, (8UL << 60) | ((unsigned long)root >> 12));
	CHECK((csr_read(satp) >> 60) == 8);
	__asm__ volatile("sfence.vma" ::: "memory");
	rt_enter_from_m(1, s_phase);
}
