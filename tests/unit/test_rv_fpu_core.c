/* The F/D unit behind the interpreter: mstatus.FS gating and dirty marking, compressed FP loads
 * and stores, fcsr/frm/fflags CSRs seen by FP instructions, and traps for reserved rounding
 * modes, executed with hart_step() like a guest would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

#define DATA	  (RAM_BASE + 0x10000)
#define MTVEC	  (RAM_BASE + 0x800)
#define FS_OFF	  0ull
#define FS_INI	  (1ull << 13)
#define FS_DRT	  (3ull << 13)
#define MS_SD_BIT (1ull << 63)

#define CSR_FFLAGS 0x001
#define CSR_FRM	   0x002
#define CSR_FCSR   0x003

/* FLD/FSD/FADD.D with explicit rm; x/f register numbers. */
#define FLD(rd, rs1, off)    I(off, rs1, 3, rd, 0x07)
#define FSD(rs2, rs1, off)   S(off, rs2, rs1, 3, 0x27)
#define FSW(rs2, rs1, off)   S(off, rs2, rs1, 2, 0x27)
#define FADD_D(rd, a, b, rm) R(0x01, b, a, rm, rd, 0x53)
#define FADD_S(rd, a, b, rm) R(0x00, b, a, rm, rd, 0x53)
#define FDIV_S(rd, a, b, rm) R(0x0c, b, a, rm, rd, 0x53)
#define FMV_W_X(rd, rs1)     R(0x78, 0, rs1, 0, rd, 0x53)

static struct rvt *t;

static int setup(void **state)
{
	(void)state;
	t = rvt_new();
	t->h.mtvec = MTVEC;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(t);
	return 0;
}

static void test_fs_off_is_illegal(void **state)
{
	(void)state;
	t->h.mstatus &= ~FS_DRT;
	RUN(t, 1, FADD_D(3, 1, 2, 0));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.mepc, RAM_BASE);
	assert_int_equal(t->h.pc, MTVEC);
	assert_int_equal(t->h.mstatus & FS_DRT, FS_OFF);
}

static void test_load_add_store_marks_dirty(void **state)
{
	(void)state;
	t->h.mstatus = (t->h.mstatus & ~FS_DRT) | FS_INI;
	rvt_write64(t, DATA, 0x3ff8000000000000ull);	 /* 1.5 */
	rvt_write64(t, DATA + 8, 0x4004000000000000ull); /* 2.5 */
	t->h.x[1] = DATA;
	RUN(t, 4, FLD(1, 1, 0), FLD(2, 1, 8), FADD_D(3, 1, 2, 0), FSD(3, 1, 16));
	assert_int_equal(rvt_read64(t, DATA + 16), 0x4010000000000000ull); /* 4.0 */
	assert_int_equal(t->h.pc, RAM_BASE + 16);
	assert_int_equal(t->h.mstatus & FS_DRT, FS_DRT);
	assert_true(t->h.mstatus & MS_SD_BIT);
}

static void test_compressed_fld_fsd(void **state)
{
	(void)state;
	t->h.mstatus |= FS_INI;
	rvt_write64(t, DATA + 8, 0x400921fb54442d18ull);
	t->h.x[9] = DATA;
	/* C.FLD f8, 8(x9) = 0x2480; C.FSD f8, 16(x9) = 0xa880 (CL/CS formats, quadrant 0). */
	RUN(t, 2, 0xa8802480u);
	assert_int_equal(t->h.f[8], 0x400921fb54442d18ull);
	assert_int_equal(rvt_read64(t, DATA + 16), 0x400921fb54442d18ull);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
}

static void test_frm_and_fflags_csrs(void **state)
{
	(void)state;
	t->h.mstatus |= FS_INI;
	t->h.x[1] = 0x3f800000; /* 1.0f */
	t->h.x[2] = 0x40400000; /* 3.0f */
	t->h.x[3] = DATA;
	/* frm = RUP; 1/3 rounds up to 0x3eaaaaab... and RTZ via the static field to ...aa. */
	RUN(t, 8, CSRRWI(0, CSR_FRM, 3), FMV_W_X(1, 1), FMV_W_X(2, 2), FDIV_S(3, 1, 2, 7),
	    FDIV_S(4, 1, 2, 1), FSW(3, 3, 0), FSW(4, 3, 4), CSRRS(5, CSR_FCSR, 0));
	assert_int_equal(rvt_read64(t, DATA), 0x3eaaaaaa3eaaaaabull);
	assert_int_equal(t->h.f[3], 0xffffffff3eaaaaabull);
	assert_int_equal(t->h.x[5], 3 << 5 | 1); /* frm RUP, fflags NX */
	/* Clearing fflags through the CSR, then an exact operation leaves it clear. */
	RUN(t, 3, CSRRWI(0, CSR_FFLAGS, 0), FADD_S(6, 1, 1, 0), CSRRS(5, CSR_FFLAGS, 0));
	assert_int_equal(t->h.x[5], 0);
	assert_int_equal(t->h.f[6], 0xffffffff40000000ull);
}

static void test_reserved_frm_traps(void **state)
{
	(void)state;
	t->h.mstatus |= FS_INI;
	RUN(t, 2, CSRRWI(0, CSR_FRM, 5), FADD_D(3, 1, 2, 7));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.mepc, RAM_BASE + 4);
	assert_int_equal(t->h.mtval, FADD_D(3, 1, 2, 7));
	assert_int_equal(t->h.pc, MTVEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fs_off_is_illegal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_add_store_marks_dirty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compressed_fld_fsd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frm_and_fflags_csrs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_frm_traps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
