/* Sv39/Sv48 translation: page walk, A/D updates in guest memory, permission checks (U, SUM,
 * MXR, X-only), page faults for fetch/load/store, superpages, satp WARL, SFENCE.VMA, MPRV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

#define V  (1ULL << 0)
#define Rb (1ULL << 1)
#define W  (1ULL << 2)
#define X  (1ULL << 3)
#define Ub (1ULL << 4)
#define A  (1ULL << 6)
#define D  (1ULL << 7)

#define ROOT  (RAM_BASE + 0x100000)
#define L1    (ROOT + 0x1000)
#define L0    (ROOT + 0x2000)
#define DATA  (RAM_BASE + 0x200000)
#define STRAP 0x3000ULL /* VA of the S trap vector (mapped to RAM_BASE + 0x3000) */
#define SATP  0x180

static struct rvt *t;

static uint64_t pte(uint64_t pa, uint64_t flags)
{
	return (pa >> 12) << 10 | flags;
}

static uint64_t *l0(unsigned i)
{
	return rvt_ptr(t, L0 + 8 * i);
}

static int setup(void **state)
{
	(void)state;
	t = rvt_new();
	rvt_write64(t, ROOT, pte(L1, V));
	rvt_write64(t, L1, pte(L0, V));
	for (unsigned i = 0; i < 4; i++) /* code and trap pages: VA 0..0x3fff -> RAM_BASE */
		*l0(i) = pte(RAM_BASE + 0x1000 * i, V | Rb | X);
	*l0(0x10) = pte(DATA, V | Rb | W);
	*l0(0x11) = pte(DATA + 0x1000, V | Rb);
	*l0(0x12) = pte(DATA + 0x2000, V | Rb | W | Ub);
	*l0(0x13) = pte(DATA + 0x3000, V | X);
	*l0(0x14) = pte(DATA + 0x4000, V | W); /* W without R: reserved */
	*l0(0x15) = pte(RAM_BASE, V | Rb | X | Ub);
	rvt_write64(t, ROOT + 8 * 2, pte(0x80000000, V | Rb | W | X));	/* 1 GiB identity */
	rvt_write64(t, ROOT + 8 * 3, pte(RAM_BASE + 0x200000, V | Rb)); /* misaligned giga */
	rvt_write64(t, DATA, 0x1111);
	t->h.medeleg = 0xb3ff;
	t->h.stvec = STRAP;
	t->h.satp = 8ULL << 60 | ROOT >> 12;
	t->h.priv = PRV_S;
	hart_flush_tlb(&t->h);
	for (int i = 0; i < 8; i++)
		rvt_code(t, RAM_BASE + STRAP + 4 * i, (const uint32_t[]){NOP}, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(t);
	return 0;
}

/* Runs code placed at VA 0 (PA RAM_BASE) in S-mode. */
#define RUNV(n, ...)                                                                               \
	do {                                                                                       \
		const uint32_t c_[] = {__VA_ARGS__};                                               \
		rvt_code(t, RAM_BASE, c_, sizeof(c_) / 4);                                         \
		t->h.pc = 0;                                                                       \
		hart_step(&t->h, n);                                                               \
	} while (0)

static void expect_fault(unsigned cause, uint64_t va)
{
	assert_int_equal(t->h.scause, cause);
	assert_int_equal(t->h.stval, va);
	assert_int_equal(t->h.pc, STRAP);
	t->h.priv = PRV_S;
	t->h.scause = 0;
}

static void test_walk_and_ad_bits(void **state)
{
	(void)state;
	assert_false(*l0(0) & A);
	t->h.x[1] = 0x10000;
	t->h.x[5] = 0x2222;
	RUNV(1, LD(2, 1, 0));
	assert_int_equal(t->h.x[2], 0x1111);
	assert_int_equal(t->h.pc, 4);
	assert_true(*l0(0) & A); /* fetch set A on the code page */
	assert_false(*l0(0) & D);
	assert_true(*l0(0x10) & A);
	assert_false(*l0(0x10) & D);
	RUNV(1, SD(5, 1, 8));
	assert_true(*l0(0x10) & D);
	assert_int_equal(rvt_read64(t, DATA + 8), 0x2222);
	/* The 1 GiB identity superpage. */
	t->h.x[1] = DATA;
	RUNV(1, LD(3, 1, 0));
	assert_int_equal(t->h.x[3], 0x1111);
	assert_true(rvt_read64(t, ROOT + 16) & A);
}

static void test_page_faults(void **state)
{
	(void)state;
	t->h.x[1] = 0x11000; /* read-only */
	RUNV(1, SD(0, 1, 0));
	expect_fault(EXC_STORE_PAGE_FAULT, 0x11000);
	assert_false(*l0(0x11) & D);
	t->h.x[1] = 0x20000; /* unmapped */
	RUNV(1, LW(2, 1, 4));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x20004);
	RUNV(2, JALR(0, 1, 0)); /* fetch from unmapped */
	expect_fault(EXC_INSN_PAGE_FAULT, 0x20000);
	assert_int_equal(t->h.sepc, 0x20000);
	t->h.x[1] = 0x10000; /* data page is not executable */
	RUNV(2, JALR(0, 1, 0));
	expect_fault(EXC_INSN_PAGE_FAULT, 0x10000);
	t->h.x[1] = 0x14000; /* W without R */
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x14000);
	t->h.x[1] = 0xc0000000; /* misaligned gigapage */
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0xc0000000);
	t->h.x[1] = 1ULL << 38; /* not sign-extended from bit 38 */
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 1ULL << 38);
	/* Misaligned access straddling into an unmapped page faults on that page. */
	t->h.x[1] = 0x11ffc; /* readable page, then the U page S cannot read */
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x12000);
}

static void test_sum_mxr_user(void **state)
{
	(void)state;
	t->h.x[1] = 0x12000; /* U page */
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x12000);
	t->h.mstatus |= 1ULL << 18; /* SUM */
	hart_flush_tlb(&t->h);
	RUNV(1, LD(2, 1, 0));
	assert_int_equal(t->h.pc, 4);
	/* S never executes U pages, even with SUM. */
	t->h.x[1] = 0x15000;
	RUNV(2, JALR(0, 1, 0));
	expect_fault(EXC_INSN_PAGE_FAULT, 0x15000);
	/* U-mode: runs the U page, cannot touch S pages. */
	rvt_code(t, RAM_BASE, (const uint32_t[]){LD(2, 3, 0)}, 1);
	t->h.x[3] = 0x10000;
	t->h.priv = PRV_U;
	hart_flush_tlb(&t->h);
	t->h.pc = 0x15000;
	hart_step(&t->h, 1);
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x10000);
	/* MXR: X-only page readable only with MXR. */
	t->h.x[1] = 0x13000;
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x13000);
	t->h.x[4] = 1ULL << 19;
	RUNV(2, CSRRS(0, 0x100, 4), LD(2, 1, 0));
	assert_int_equal(t->h.pc, 8);
	assert_int_equal(t->h.scause, 0);
}

static void test_sfence_and_satp_warl(void **state)
{
	(void)state;
	t->h.x[1] = 0x10000;
	RUNV(1, LD(2, 1, 0));
	*l0(0x10) = 0;
	/* After SFENCE.VMA the removed mapping faults. */
	RUNV(2, SFENCE_VMA(0, 0), LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x10000);
	/* Linux's probe: Sv57 (10) is not supported, the write is ignored entirely; Sv48 and
	 * Sv39 are. */
	uint64_t before = t->h.satp;
	t->h.x[1] = 10ULL << 60 | 0x12345;
	RUNV(2, CSRRW(0, SATP, 1), CSRRS(2, SATP, 0));
	assert_int_equal(t->h.x[2], before);
	t->h.priv = PRV_M;
	t->h.x[1] = 9ULL << 60 | 0x12345;
	RUN(t, 2, CSRRW(0, SATP, 1), CSRRS(2, SATP, 0));
	assert_int_equal(t->h.x[2], 9ULL << 60 | 0x12345);
	t->h.x[1] = 0;
	RUN(t, 2, CSRRW(0, SATP, 1), CSRRS(2, SATP, 0));
	assert_int_equal(t->h.x[2], 0);
}

/* SFENCE.VMA with an address drops that page's translation (here: only that one; other
 * pages may stay cached, which the spec allows), and every page of a superpage whose leaf
 * holds the address. */
static void test_sfence_one_page(void **state)
{
	(void)state;
	t->h.x[1] = 0x10000;
	t->h.x[3] = 0x11000;
	RUNV(2, LD(2, 1, 0), LD(4, 3, 0));
	*l0(0x10) = 0;
	*l0(0x11) = 0;
	RUNV(2, SFENCE_VMA(1, 0), LD(4, 3, 0));
	assert_int_equal(t->h.pc, 8); /* 0x11000 still cached */
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x10000);
	/* The 1 GiB superpage: a fence naming another of its pages drops DATA's entry too. */
	t->h.x[1] = DATA;
	t->h.x[3] = DATA + 0x5000;
	RUNV(1, LD(2, 1, 0));
	assert_int_equal(t->h.x[2], 0x1111);
	rvt_write64(t, ROOT + 16, 0);
	RUNV(2, SFENCE_VMA(3, 0), LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, DATA);
}

static void test_sv48(void **state)
{
	(void)state;
	/* Level-3 root whose entry 0 points to the Sv39 root: VA < 512 GiB maps the same. */
	uint64_t root4 = ROOT + 0x4000;
	rvt_write64(t, root4, pte(ROOT, V));
	rvt_write64(t, root4 + 8 * 256, pte(ROOT, V)); /* VA 0xffff8000_00000000.. */
	t->h.satp = 9ULL << 60 | root4 >> 12;
	hart_flush_tlb(&t->h);
	t->h.x[1] = 0x10000;
	t->h.x[3] = 0xffff800000010000ULL;
	RUNV(2, LD(2, 1, 0), LD(4, 3, 0));
	assert_int_equal(t->h.x[2], 0x1111);
	assert_int_equal(t->h.x[4], 0x1111);
	/* Bit 47 set but bits 63:48 clear: not canonical for Sv48. */
	t->h.x[1] = 1ULL << 47;
	RUNV(1, LD(2, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 1ULL << 47);
}

static void test_tlb_contexts(void **state)
{
	(void)state;
	/* Entries filled with SUM = 1 must not serve S-mode after SUM is cleared, and entries
	 * filled in U-mode must not serve S-mode: no SFENCE.VMA between these accesses. */
	t->h.x[1] = 0x12000; /* U page */
	t->h.x[4] = 1ULL << 18;
	RUNV(4, CSRRS(0, 0x100, 4), LD(2, 1, 0), CSRRC(0, 0x100, 4), LD(3, 1, 0));
	expect_fault(EXC_LOAD_PAGE_FAULT, 0x12000);
	assert_int_equal(t->h.sepc, 12);
	/* U-mode fills its entry, ECALLs into S (delegated), S touches the same page. */
	rvt_code(t, RAM_BASE, (const uint32_t[]){LD(2, 1, 0), ECALL}, 2);
	rvt_code(t, RAM_BASE + STRAP, (const uint32_t[]){LD(3, 1, 0)}, 1);
	t->h.priv = PRV_U;
	hart_flush_tlb(&t->h);
	t->h.pc = 0x15000; /* the U alias of the code page */
	t->h.stvec = STRAP;
	hart_step(&t->h, 3);
	assert_int_equal(t->h.scause, EXC_LOAD_PAGE_FAULT);
	assert_int_equal(t->h.stval, 0x12000);
	assert_int_equal(t->h.sepc, STRAP);
}

static void test_mprv(void **state)
{
	(void)state;
	/* M-mode with MPRV and MPP = S translates loads as S; fetches stay untranslated. */
	t->h.priv = PRV_M;
	t->h.mstatus = (t->h.mstatus & ~(3ULL << 11)) | 1ULL << 11 | 1ULL << 17;
	hart_flush_tlb(&t->h);
	t->h.x[1] = 0x10000;
	RUN(t, 1, LD(2, 1, 0));
	assert_int_equal(t->h.x[2], 0x1111);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_walk_and_ad_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sum_mxr_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sfence_and_satp_warl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sfence_one_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sv48, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mprv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_contexts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
