/* Traps and delegation: M-mode exceptions with mcause/mtval/mepc, S-mode and U-mode ECALLs,
 * breakpoints delegated to S through medeleg, CSR privilege violations, illegal encodings. */
#include "rt.h"

static volatile unsigned long m_cause, m_tval, m_count, s_cause, s_tval, s_count;

__attribute__((interrupt("machine"), aligned(4))) static void mtrap(void)
{
	unsigned long epc = csr_read(mepc);

	m_cause = csr_read(mcause);
	m_tval = csr_read(mtval);
	m_count++;
	csr_write(mepc, epc + rt_insn_len(epc));
}

__attribute__((interrupt("supervisor"), aligned(4))) static void strap(void)
{
	unsigned long epc = csr_read(sepc);

	s_cause = csr_read(scause);
	s_tval = csr_read(stval);
	s_count++;
	csr_write(sepc, epc + rt_insn_len(epc));
}

static void u_phase(void)
{
	unsigned long mc = m_count, sc = s_count;

	/* ECALL from U is delegated to S. */
	__asm__ volatile("ecall");
	CHECK(s_count == sc + 1 && s_cause == 8 && m_count == mc);
	/* S-level CSRs are not accessible from U: illegal instruction, not delegated -> M. */
	(void)csr_read(sstatus);
	CHECK(m_count == mc + 1 && m_cause == 2);
	/* Neither is the cycle counter when mcounteren/scounteren do not allow it. */
	(void)csr_read(cycle);
	CHECK(m_count == mc + 2 && m_cause == 2);
	rt_exit(0);
}

static void s_phase(void)
{
	unsigned long mc = m_count, sc = s_count;

	/* mtvec != 0: S-mode ECALL traps to M-mode (no host SBI). */
	__asm__ volatile("li a7, 0x10; ecall" ::: "a7", "a0", "a1");
	CHECK(m_count == mc + 1 && m_cause == 9);
	/* Breakpoint delegated to S. */
	__asm__ volatile("ebreak");
	CHECK(s_count == sc + 1 && s_cause == 3 && m_count == mc + 1);
	/* M-level CSR from S: illegal instruction to M with the encoding in mtval (or 0). */
	(void)csr_read(mstatus);
	CHECK(m_count == mc + 2 && m_cause == 2);
	/* sstatus is a view of mstatus: SPP reads back. */
	csr_set(sstatus, MSTATUS_SPP);
	CHECK(csr_read(sstatus) & MSTATUS_SPP);
	/* SRET from S to U. */
	csr_write(stvec, (unsigned long)strap);
	rt_enter_u_from_s(u_phase);
}

int main(void)
{
	unsigned long bad = 0xffffffffUL;

	csr_write(mtvec, (unsigned long)mtrap);
	CHECK(csr_read(mtvec) == (unsigned long)mtrap);
	__asm__ volatile("ecall");
	CHECK(m_count == 1 && m_cause == 11);
	__asm__ volatile("ebreak");
	CHECK(m_count == 2 && m_cause == 3);
	/* An all-ones word is an illegal instruction. */
	__asm__ volatile(".word 0xffffffff");
	CHECK(m_count == 3 && m_cause == 2 && (m_tval == 0 || m_tval == bad));
	/* The all-zeros halfword is illegal too (defined as such by the C extension). */
	__asm__ volatile(".half 0; nop");
	CHECK(m_count == 4 && m_cause == 2);
	/* A CSR that does not exist. */
	__asm__ volatile("csrr t0, 0x7c0" ::: "t0");
	CHECK(m_count == 5 && m_cause == 2);
	/* Writing a read-only CSR (mhartid). */
	__asm__ volatile("csrw mhartid, zero");
	CHECK(m_count == 6 && m_cause == 2);
	/* Misaligned loads and stores are handled without a trap. */
	{
		static volatile uint8_t buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
		volatile uint32_t *p = (volatile uint32_t *)(buf + 1);

		CHECK(*p == 0x05040302u && m_count == 6);
		*(volatile uint64_t *)(buf + 3) = 0x1122334455667788ull;
		CHECK(buf[3] == 0x88 && buf[10] == 0x11 && m_count == 6);
	}
	/* Delegate U ECALL and breakpoints to S, then drop to S. */
	csr_write(medeleg, (1UL << 8) | (1UL << 3));
	CHECK(csr_read(medeleg) == ((1UL << 8) | (1UL << 3)));
	csr_write(stvec, (unsigned long)strap);
	rt_enter_from_m(1, s_phase);
}
