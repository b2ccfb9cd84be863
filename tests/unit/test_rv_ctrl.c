/* Control transfer and the compressed (RVC) encodings: branches, JAL/JALR (bit 0 cleared,
 * link), each RVC quadrant and the reserved encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

#define TRAP (RAM_BASE + 0x800)

RVT_TRAP_FIXTURE()

static void test_branches(void **state)
{
	const struct {
		uint32_t insn;
		uint64_t a, b;
		bool taken;
	} cases[] = {
	    {BEQ(1, 2, 16), 5, 5, true},
	    {BEQ(1, 2, 16), 5, 6, false},
	    {BNE(1, 2, 16), 5, 6, true},
	    {BLT(1, 2, 16), (uint64_t)-1, 0, true},
	    {BLT(1, 2, 16), 0, (uint64_t)-1, false},
	    {BGE(1, 2, 16), 3, 3, true},
	    {BGE(1, 2, 16), (uint64_t)-2, 3, false},
	    {BLTU(1, 2, 16), 0, (uint64_t)-1, true},
	    {BLTU(1, 2, 16), (uint64_t)-1, 0, false},
	    {BGEU(1, 2, 16), (uint64_t)-1, 0, true},
	    {BGEU(1, 2, 16), 1, 2, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t->h.x[1] = cases[i].a;
		t->h.x[2] = cases[i].b;
		RUN(t, 1, cases[i].insn);
		assert_int_equal(t->h.pc, RAM_BASE + (cases[i].taken ? 16 : 4));
	}
	/* Backward branch. */
	t->h.x[1] = t->h.x[2] = 0;
	RUN(t, 2, NOP, BEQ(1, 2, -4));
	assert_int_equal(t->h.pc, RAM_BASE);
	/* Reserved funct3 2 of BRANCH is illegal. */
	RUN(t, 1, B(8, 0, 0, 2));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.pc, TRAP);
}

static void test_jal_jalr(void **state)
{
	(void)state;
	RUN(t, 1, JAL(1, 0x100));
	assert_int_equal(t->h.pc, RAM_BASE + 0x100);
	assert_int_equal(t->h.x[1], RAM_BASE + 4);
	RUN(t, 1, JAL(0, -0x2000 + 8));
	assert_int_equal(t->h.pc, RAM_BASE - 0x2000 + 8);
	/* JALR clears bit 0 of the target; rd = rs1 reads rs1 first. */
	t->h.x[5] = RAM_BASE + 0x41;
	RUN(t, 1, JALR(5, 5, 0x10));
	assert_int_equal(t->h.pc, RAM_BASE + 0x50);
	assert_int_equal(t->h.x[5], RAM_BASE + 4);
	t->h.x[6] = RAM_BASE + 0x100;
	RUN(t, 1, JALR(0, 6, -2));
	assert_int_equal(t->h.pc, RAM_BASE + 0xfe);
}

/* Writes 16-bit parcels at RAM_BASE. */
static void code16(const uint16_t *c, size_t n)
{
	assert_int_equal(gmem_write(&t->m.mem, RAM_BASE, c, n * 2), 0);
	t->h.pc = RAM_BASE;
}

/* CI-format helper: funct3, imm[5] at bit 12, rd/rs1, imm[4:0] at 6:2, quadrant. */
static uint16_t CI(unsigned f3, unsigned b12, unsigned rd, unsigned b62, unsigned q)
{
	return (uint16_t)(f3 << 13 | b12 << 12 | rd << 7 | b62 << 2 | q);
}

static void test_rvc_quadrant0(void **state)
{
	(void)state;
	rvt_write64(t, RAM_BASE + 0x1000, 0x1122334455667788ULL);
	t->h.x[2] = RAM_BASE + 0x1000 - 8; /* sp */
	/* C.ADDI4SPN x8, sp, 8: nzuimm[3] is bit 5. */
	/* C.LD x9, 0(x8): 011 uimm[5:3]=0 rs1'=0 uimm[7:6]=0 rd'=1. C.LW x10, 4(x8): uimm[2]
	 * is bit 6. C.SD x9, 8(x8): uimm[3] is bit 10. */
	const uint16_t c[] = {
	    (uint16_t)(0 << 13 | 1 << 5 | 0 << 2 | 0),	     /* c.addi4spn x8, sp, 8 */
	    (uint16_t)(3 << 13 | 0 << 7 | 1 << 2 | 0),	     /* c.ld x9, 0(x8) */
	    (uint16_t)(2 << 13 | 1 << 6 | 0 << 7 | 2 << 2),  /* c.lw x10, 4(x8) */
	    (uint16_t)(7 << 13 | 1 << 10 | 0 << 7 | 1 << 2), /* c.sd x9, 8(x8) */
	};
	code16(c, 4);
	hart_step(&t->h, 4);
	assert_int_equal(t->h.x[8], RAM_BASE + 0x1000);
	assert_int_equal(t->h.x[9], 0x1122334455667788ULL);
	assert_int_equal(t->h.x[10], 0x11223344);
	assert_int_equal(rvt_read64(t, RAM_BASE + 0x1008), 0x1122334455667788ULL);
	assert_int_equal(t->h.pc, RAM_BASE + 8);
	/* The all-zero parcel is illegal (C.ADDI4SPN with nzuimm = 0), tval = the parcel. */
	const uint16_t z[] = {0, 0};
	code16(z, 2);
	t->h.mtval = 1;
	hart_step(&t->h, 1);
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.mepc, RAM_BASE);
	assert_int_equal(t->h.mtval, 0);
	/* Quadrant 0 funct3 100 is reserved. */
	const uint16_t r[] = {(uint16_t)(4 << 13 | 1 << 2)};
	code16(r, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.mtval, 4 << 13 | 1 << 2);
}

static void test_rvc_quadrant1(void **state)
{
	(void)state;
	t->h.x[2] = 0x1000;
	t->h.x[8] = 0xf0;
	t->h.x[9] = 0x0f;
	t->h.x[10] = 0x7fffffff;
	const uint16_t c[] = {
	    CI(2, 1, 5, 0x1f, 1), /* c.li x5, -1 */
	    CI(0, 0, 5, 3, 1),	  /* c.addi x5, 3 -> 2 */
	    CI(3, 1, 6, 0x1f, 1), /* c.lui x6, 0xfffff -> -4096 */
	    /* c.addi16sp sp, -32: nzimm[9]=1 b12, [8:7]=11 b4:3, [6]=1 b5, [5]=1 b2, [4]=0 b6 */
	    (uint16_t)(3 << 13 | 1 << 12 | 2 << 7 | 3 << 3 | 1 << 5 | 1 << 2 | 1),
	    CI(1, 0, 10, 1, 1),						  /* c.addiw x10, 1 */
	    (uint16_t)(4 << 13 | 3 << 10 | 0 << 7 | 3 << 5 | 1 << 2 | 1), /* c.and x8, x9 */
	    (uint16_t)(4 << 13 | 1 << 12 | 3 << 10 | 0 << 7 | 1 << 5 | 1 << 2 | 1), /* addw */
	    (uint16_t)(4 << 13 | 1 << 10 | 1 << 7 | 1 << 2 | 1), /* c.srai x9, 1 */
	};
	code16(c, 8);
	hart_step(&t->h, 8);
	assert_int_equal(t->h.x[5], 2);
	assert_int_equal(t->h.x[6], (uint64_t)-4096);
	assert_int_equal(t->h.x[2], 0x1000 - 32);
	assert_int_equal(t->h.x[10], 0xffffffff80000000ULL);
	assert_int_equal(t->h.x[8], 0x0f); /* (0xf0 & 0x0f) = 0, then addw x8 = 0 + 0x0f */
	assert_int_equal(t->h.x[9], 0x07);
	assert_int_equal(t->h.pc, RAM_BASE + 16);
	/* C.J -4 and C.BEQZ/C.BNEZ. c.j offset -4: imm[11]=1 b12, imm[10]=1 b8, [9:8]=11
	 * b10:9, [7]=1 b6, [6]=1 b7, [5]=1 b2, [4]=1 b11, [3:1]=110 b5:3. */
	const uint16_t j[] = {
	    0x0001, /* c.nop */
	    (uint16_t)(5 << 13 | 1 << 12 | 1 << 11 | 3 << 9 | 1 << 8 | 1 << 7 | 1 << 6 | 6 << 3 |
		       1 << 2 | 1),
	};
	code16(j, 2);
	hart_step(&t->h, 2);
	assert_int_equal(t->h.pc, RAM_BASE - 2);
	/* c.bnez x8, +6: imm[2:1]=11 b4:3; c.beqz x8, +6 not taken. */
	const uint16_t b[] = {(uint16_t)(6 << 13 | 0 << 7 | 3 << 3 | 1),
			      (uint16_t)(7 << 13 | 0 << 7 | 3 << 3 | 1)};
	code16(b, 2);
	hart_step(&t->h, 2);
	assert_int_equal(t->h.pc, RAM_BASE + 2 + 6);
	/* Reserved: c.addiw with rd = 0, c.lui with imm 0, c.addi16sp with imm 0. */
	const uint16_t r1[] = {CI(1, 0, 0, 1, 1)}, r2[] = {CI(3, 0, 6, 0, 1)},
		       r3[] = {CI(3, 0, 2, 0, 1)};
	code16(r1, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.pc, TRAP);
	code16(r2, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.pc, TRAP);
	code16(r3, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.pc, TRAP);
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
}

static void test_rvc_quadrant2(void **state)
{
	(void)state;
	t->h.x[2] = RAM_BASE + 0x1000;
	t->h.x[11] = 0xabcdef;
	t->h.x[12] = 3;
	const uint16_t c[] = {
	    CI(0, 1, 12, 1, 2),					   /* c.slli x12, 33 */
	    (uint16_t)(7 << 13 | 1 << 10 | 11 << 2 | 2),	   /* c.sdsp x11, 8(sp) */
	    (uint16_t)(3 << 13 | 13 << 7 | 1 << 5 | 2),		   /* c.ldsp x13, 8(sp) */
	    (uint16_t)(2 << 13 | 14 << 7 | 2 << 4 | 2),		   /* c.lwsp x14, 8(sp) */
	    (uint16_t)(4 << 13 | 15 << 7 | 11 << 2 | 2),	   /* c.mv x15, x11 */
	    (uint16_t)(4 << 13 | 1 << 12 | 15 << 7 | 12 << 2 | 2), /* c.add x15, x12 */
	};
	code16(c, 6);
	hart_step(&t->h, 6);
	assert_int_equal(t->h.x[12], 3ULL << 33);
	assert_int_equal(rvt_read64(t, RAM_BASE + 0x1008), 0xabcdef);
	assert_int_equal(t->h.x[13], 0xabcdef);
	assert_int_equal(t->h.x[14], 0xabcdef);
	assert_int_equal(t->h.x[15], 0xabcdef + (3ULL << 33));
	/* c.jalr x16 links pc + 2; c.jr x17. */
	t->h.x[16] = RAM_BASE + 0x40;
	const uint16_t j[] = {(uint16_t)(4 << 13 | 1 << 12 | 16 << 7 | 2)};
	code16(j, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.pc, RAM_BASE + 0x40);
	assert_int_equal(t->h.x[1], RAM_BASE + 2);
	t->h.x[17] = RAM_BASE + 0x80;
	const uint16_t jr[] = {(uint16_t)(4 << 13 | 17 << 7 | 2)};
	code16(jr, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.pc, RAM_BASE + 0x80);
	/* c.ebreak: breakpoint; c.jr x0 and c.lwsp x0 are reserved. */
	const uint16_t e[] = {(uint16_t)(4 << 13 | 1 << 12 | 2)};
	code16(e, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.mcause, EXC_BREAKPOINT);
	const uint16_t r[] = {(uint16_t)(4 << 13 | 2)}, r2[] = {(uint16_t)(2 << 13 | 2)};
	code16(r, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	t->h.mcause = 0;
	code16(r2, 1);
	hart_step(&t->h, 1);
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
}

static void test_mixed_lengths_and_page_cross(void **state)
{
	(void)state;
	/* A 32-bit instruction whose upper half is on the next page. */
	uint64_t at = RAM_BASE + 0x2000 - 2;
	uint32_t insn = ADDI(7, 0, 77);
	assert_int_equal(gmem_write(&t->m.mem, at, &insn, 4), 0);
	t->h.pc = at;
	hart_step(&t->h, 1);
	assert_int_equal(t->h.x[7], 77);
	assert_int_equal(t->h.pc, at + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_branches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_jal_jalr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rvc_quadrant0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rvc_quadrant1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rvc_quadrant2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_lengths_and_page_cross, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
