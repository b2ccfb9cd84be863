/* Privileged architecture: CSR access rules, illegal instructions, ECALL/EBREAK causes,
 * delegation to S-mode, MRET/SRET state, interrupts (priority, delegation, vectoring). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

static struct rvt *t;
#define MTRAP (RAM_BASE + 0x800)
#define STRAP (RAM_BASE + 0xc00)

enum {
	MSTATUS = 0x300,
	MISA = 0x301,
	MEDELEG = 0x302,
	MIDELEG = 0x303,
	MIE = 0x304,
	MTVEC = 0x305,
	MSCRATCH = 0x340,
	MIP = 0x344,
	MHARTID = 0xf14,
	SSTATUS = 0x100,
	SIE = 0x104,
	SATP = 0x180,
	CYCLE = 0xc00,
	TIME = 0xc01,
	INSTRET = 0xc02,
	FCSR = 0x003,
	MCOUNTEREN = 0x306,
	SCOUNTEREN = 0x106,
	SSCRATCH = 0x140,
	PMPCFG0 = 0x3a0,
	PMPADDR0 = 0x3b0,
};

static int setup(void **state)
{
	(void)state;
	t = rvt_new();
	t->h.mtvec = MTRAP;
	t->h.stvec = STRAP;
	for (int i = 0; i < 16; i++) {
		rvt_code(t, MTRAP + 4 * i, (const uint32_t[]){NOP}, 1);
		rvt_code(t, STRAP + 4 * i, (const uint32_t[]){NOP}, 1);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(t);
	return 0;
}

/* Runs one instruction at privilege prv. */
static void run_at(unsigned prv, uint32_t insn)
{
	t->h.priv = prv;
	hart_flush_tlb(&t->h);
	RUN(t, 1, insn);
}

static void expect_illegal(unsigned prv, uint32_t insn)
{
	t->h.mcause = 0;
	t->h.mtval = 0;
	run_at(prv, insn);
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.mtval, insn);
	assert_int_equal(t->h.mepc, RAM_BASE);
	assert_int_equal(t->h.pc, MTRAP);
	assert_int_equal(t->h.priv, PRV_M);
}

static void test_csr_ops(void **state)
{
	(void)state;
	t->h.x[1] = 0xf0;
	t->h.x[2] = 0x0f;
	RUN(t, 5, CSRRW(0, MSCRATCH, 1), CSRRS(3, MSCRATCH, 2), CSRRC(4, MSCRATCH, 1),
	    CSRRWI(5, MSCRATCH, 31), CSRRSI(6, MSCRATCH, 0));
	assert_int_equal(t->h.x[3], 0xf0);
	assert_int_equal(t->h.x[4], 0xff);
	assert_int_equal(t->h.x[5], 0x0f);
	assert_int_equal(t->h.x[6], 31);
	assert_int_equal(t->h.mscratch, 31);
	RUN(t, 2, CSRRS(7, MISA, 0), CSRRS(8, MHARTID, 0));
	uint64_t misa = t->h.x[7];
	assert_int_equal(misa >> 62, 2);
	for (const char *e = "IMAFDCSU"; *e; e++)
		assert_true(misa & (1ULL << (*e - 'A')));
	assert_false(misa & (1ULL << ('H' - 'A')));
	assert_int_equal(t->h.x[8], 0);
	/* No PMP entries: pmpcfg0/pmpaddr0 read 0 and ignore writes; pmpcfg1 does not exist. */
	t->h.x[1] = UINT64_MAX;
	RUN(t, 2, CSRRW(3, PMPADDR0, 1), CSRRS(4, PMPADDR0, 0));
	assert_int_equal(t->h.x[4], 0);
	assert_int_equal(t->h.pc, RAM_BASE + 8);
	expect_illegal(PRV_M, CSRRS(3, PMPCFG0 + 1, 0));
}

static void test_csr_illegal(void **state)
{
	(void)state;
	expect_illegal(PRV_M, CSRRW(1, MHARTID, 2));  /* write to read-only */
	expect_illegal(PRV_M, CSRRSI(1, MHARTID, 1)); /* also with a non-zero uimm */
	expect_illegal(PRV_M, CSRRS(1, 0x7c0, 0));    /* unimplemented */
	expect_illegal(PRV_S, CSRRS(1, MSTATUS, 0));  /* M CSR from S */
	expect_illegal(PRV_U, CSRRS(1, SSTATUS, 0));  /* S CSR from U */
	expect_illegal(PRV_U, CSRRS(1, CYCLE, 0));    /* counters off by default */
	/* Reading a read-only CSR with csrrs x0 is fine. */
	run_at(PRV_M, CSRRS(1, MHARTID, 0));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	/* Counter enables: S needs mcounteren, U needs both. */
	t->h.mcounteren = 5; /* CY, IR */
	run_at(PRV_S, CSRRS(1, CYCLE, 0));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	expect_illegal(PRV_S, CSRRS(1, TIME, 0));
	expect_illegal(PRV_U, CSRRS(1, INSTRET, 0));
	t->h.scounteren = 4;
	run_at(PRV_U, CSRRS(1, INSTRET, 0));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	/* satp traps in S when mstatus.TVM. */
	t->h.mstatus |= 1ULL << 20;
	expect_illegal(PRV_S, CSRRS(1, SATP, 0));
	t->h.mstatus &= ~(1ULL << 20);
	run_at(PRV_S, CSRRS(1, SATP, 0));
	assert_int_equal(t->h.pc, RAM_BASE + 4);
}

static void test_fcsr_and_fs(void **state)
{
	(void)state;
	t->h.mstatus &= ~(3ULL << 13);
	expect_illegal(PRV_M, CSRRS(1, FCSR, 0));
	t->h.mstatus |= 1ULL << 13; /* Initial */
	t->h.x[2] = 0xe5;
	run_at(PRV_M, CSRRW(1, FCSR, 2));
	assert_int_equal(t->h.frm, 7);
	assert_int_equal(t->h.fflags, 5);
	assert_int_equal((t->h.mstatus >> 13) & 3, 3); /* Dirty */
	assert_true(t->h.mstatus >> 63);	       /* SD */
}

static void test_illegal_encodings(void **state)
{
	(void)state;
	expect_illegal(PRV_M, 0xffffffffU);
	expect_illegal(PRV_M, 0x0000007fU);
	expect_illegal(PRV_M, OP(0x02, 0, 1, 2, 3)); /* funct7 2 of OP */
	expect_illegal(PRV_M, I(0, 1, 7, 2, 0x03));  /* load funct3 7 */
	expect_illegal(PRV_M, S(0, 1, 2, 4, 0x23));  /* store funct3 4 */
	expect_illegal(PRV_M, I(0, 1, 1, 2, 0x67));  /* JALR funct3 1 */
	expect_illegal(PRV_M, SLLI(1, 2, 0) | 1U << 30);
	expect_illegal(PRV_U, WFI);
	expect_illegal(PRV_U, SFENCE_VMA(0, 0));
	expect_illegal(PRV_U, SRET);
	expect_illegal(PRV_S, MRET);
	t->h.mstatus |= 1ULL << 21; /* TW */
	expect_illegal(PRV_S, WFI);
	t->h.mstatus |= 1ULL << 22; /* TSR */
	expect_illegal(PRV_S, SRET);
}

static void test_ecall_ebreak(void **state)
{
	static const unsigned cause[4] = {EXC_ECALL_U, EXC_ECALL_S, 0, EXC_ECALL_M};
	(void)state;
	for (unsigned p = 0; p < 4; p++) {
		if (p == 2)
			continue;
		run_at(p, ECALL);
		assert_int_equal(t->h.mcause, cause[p]);
		assert_int_equal(t->h.mepc, RAM_BASE);
		assert_int_equal(t->h.mtval, 0);
		assert_int_equal((t->h.mstatus >> 11) & 3, p); /* MPP */
	}
	run_at(PRV_M, EBREAK);
	assert_int_equal(t->h.mcause, EXC_BREAKPOINT);
	assert_int_equal(t->h.mtval, RAM_BASE);
}

static void test_delegation(void **state)
{
	(void)state;
	t->h.medeleg = 1U << EXC_ECALL_U | 1U << EXC_BREAKPOINT;
	t->h.mstatus |= 1ULL << 1; /* SIE */
	run_at(PRV_U, ECALL);
	assert_int_equal(t->h.priv, PRV_S);
	assert_int_equal(t->h.pc, STRAP);
	assert_int_equal(t->h.scause, EXC_ECALL_U);
	assert_int_equal(t->h.sepc, RAM_BASE);
	assert_false(t->h.mstatus & (1ULL << 8)); /* SPP = U */
	assert_true(t->h.mstatus & (1ULL << 5));  /* SPIE = old SIE */
	assert_false(t->h.mstatus & (1ULL << 1)); /* SIE cleared */
	/* From S: SPP = S. */
	run_at(PRV_S, EBREAK);
	assert_int_equal(t->h.scause, EXC_BREAKPOINT);
	assert_true(t->h.mstatus & (1ULL << 8));
	/* Traps taken in M are never delegated. */
	t->h.scause = 0;
	run_at(PRV_M, EBREAK);
	assert_int_equal(t->h.priv, PRV_M);
	assert_int_equal(t->h.mcause, EXC_BREAKPOINT);
	assert_int_equal(t->h.scause, 0);
	/* Not delegated: S-mode ECALL goes to M. */
	run_at(PRV_S, ECALL);
	assert_int_equal(t->h.mcause, EXC_ECALL_S);
	assert_int_equal(t->h.priv, PRV_M);
	/* medeleg cannot delegate ECALL_M. */
	t->h.x[1] = UINT64_MAX;
	run_at(PRV_M, CSRRW(0, MEDELEG, 1));
	assert_false(t->h.medeleg & (1U << EXC_ECALL_M));
	assert_true(t->h.medeleg & (1U << EXC_LOAD_PAGE_FAULT));
}

static void test_mret_sret(void **state)
{
	(void)state;
	/* MRET to S: MIE = MPIE, MPIE = 1, MPP = U, MPRV cleared. */
	t->h.mepc = RAM_BASE + 0x100;
	t->h.mstatus = (t->h.mstatus & ~(3ULL << 11)) | 1ULL << 11 | 1ULL << 7 | 1ULL << 17;
	run_at(PRV_M, MRET);
	assert_int_equal(t->h.priv, PRV_S);
	assert_int_equal(t->h.pc, RAM_BASE + 0x100);
	assert_true(t->h.mstatus & (1ULL << 3));
	assert_true(t->h.mstatus & (1ULL << 7));
	assert_int_equal((t->h.mstatus >> 11) & 3, PRV_U);
	assert_false(t->h.mstatus & (1ULL << 17));
	/* SRET to U: SIE = SPIE, SPIE = 1, SPP = U. */
	t->h.sepc = RAM_BASE + 0x200;
	t->h.mstatus = (t->h.mstatus & ~(1ULL << 8 | 1ULL << 5 | 1ULL << 1));
	run_at(PRV_S, SRET);
	assert_int_equal(t->h.priv, PRV_U);
	assert_int_equal(t->h.pc, RAM_BASE + 0x200);
	assert_false(t->h.mstatus & (1ULL << 1));
	assert_true(t->h.mstatus & (1ULL << 5));
	/* SRET with SPP = S stays in S; from M also allowed. */
	t->h.mstatus |= 1ULL << 8 | 0ULL;
	run_at(PRV_M, SRET);
	assert_int_equal(t->h.priv, PRV_S);
	assert_false(t->h.mstatus & (1ULL << 8));
	/* mstatus.MPP is WARL: writing 2 (no H-mode) keeps a legal value. */
	t->h.x[1] = 2ULL << 11;
	run_at(PRV_M, CSRRW(0, MSTATUS, 1));
	assert_int_not_equal((t->h.mstatus >> 11) & 3, 2);
	assert_int_equal((t->h.mstatus >> 32) & 3, 2); /* UXL = 64 */
}

static void test_interrupts(void **state)
{
	(void)state;
	/* Software-set SSIP, delegated, taken in S when SIE; vectored stvec. */
	t->h.mideleg = 1U << IRQ_S_SOFT;
	t->h.mie = 1U << IRQ_S_SOFT;
	t->h.stvec = STRAP | 1;
	t->h.mstatus |= 1ULL << 1;
	t->h.x[1] = 1U << IRQ_S_SOFT;
	t->h.priv = PRV_S;
	hart_flush_tlb(&t->h);
	rvt_code(t, STRAP + 4, (const uint32_t[]){NOP, NOP, NOP}, 3);
	RUN(t, 3, CSRRS(0, SIE + 0x40 /* sip */, 1), NOP, NOP);
	assert_int_equal(t->h.scause, (1ULL << 63) | IRQ_S_SOFT);
	assert_int_equal(t->h.sepc, RAM_BASE + 4);
	assert_int_equal(t->h.priv, PRV_S);
	assert_true(t->h.pc >= STRAP + 4 * IRQ_S_SOFT && t->h.pc <= STRAP + 4 * IRQ_S_SOFT + 8);
	/* Masked in S when SIE = 0 (now cleared by the trap): nothing more happens. */
	t->h.pc = STRAP + 4;
	hart_step(&t->h, 2);
	assert_int_equal(t->h.pc, STRAP + 12);
	/* Priority: MSI over MTI; M interrupts preempt S-mode regardless of MIE. */
	hart_set_irq(&t->h, IRQ_M_SOFT, true);
	t->h.mtimecmp = 0;
	t->h.mie |= 1U << IRQ_M_SOFT | 1U << IRQ_M_TIMER;
	t->h.mstatus &= ~(1ULL << 3);
	RUN(t, 1, NOP);
	assert_int_equal(t->h.mcause, (1ULL << 63) | IRQ_M_SOFT);
	assert_int_equal(t->h.mepc, RAM_BASE);
	assert_int_equal(t->h.priv, PRV_M);
	/* In M with MIE = 0: not taken. */
	RUN(t, 1, NOP);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	hart_set_irq(&t->h, IRQ_M_SOFT, false);
	t->h.mstatus |= 1ULL << 3;
	RUN(t, 1, NOP);
	assert_int_equal(t->h.mcause, (1ULL << 63) | IRQ_M_TIMER);
	/* MTIP is read-only in mip (driven by mtimecmp). */
	assert_true(t->h.mip & (1U << IRQ_M_TIMER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_csr_ops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csr_illegal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fcsr_and_fs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_illegal_encodings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ecall_ebreak, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delegation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mret_sret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interrupts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
