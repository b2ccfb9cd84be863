/* RV64I and M arithmetic, from the unprivileged ISA spec: *W sign extension, shift amount
 * masking, division by zero and overflow, high multiplies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rv_asm.h"

static struct rvt *t;

static int setup(void **state)
{
	(void)state;
	t = rvt_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(t);
	return 0;
}

/* Runs one R-type instruction x3 = x1 op x2 and returns x3. */
static uint64_t op2(uint32_t insn, uint64_t a, uint64_t b)
{
	t->h.x[1] = a;
	t->h.x[2] = b;
	t->h.x[3] = 0x5a5a5a5a5a5a5a5aULL;
	RUN(t, 1, insn);
	assert_int_equal(t->h.pc, RAM_BASE + 4);
	return t->h.x[3];
}

static uint64_t op1(uint32_t insn, uint64_t a)
{
	return op2(insn, a, 0);
}

static void test_add_sub_logic(void **state)
{
	(void)state;
	assert_int_equal(op2(ADD(3, 1, 2), 5, 7), 12);
	assert_int_equal(op2(ADD(3, 1, 2), UINT64_MAX, 1), 0);
	assert_int_equal(op2(SUB(3, 1, 2), 5, 7), (uint64_t)-2);
	assert_int_equal(op2(XOR(3, 1, 2), 0xff00, 0x0ff0), 0xf0f0);
	assert_int_equal(op2(OR(3, 1, 2), 0xff00, 0x0ff0), 0xfff0);
	assert_int_equal(op2(AND(3, 1, 2), 0xff00, 0x0ff0), 0x0f00);
	assert_int_equal(op2(SLT(3, 1, 2), (uint64_t)-1, 1), 1);
	assert_int_equal(op2(SLTU(3, 1, 2), (uint64_t)-1, 1), 0);
	assert_int_equal(op1(ADDI(3, 1, -1), 0), UINT64_MAX);
	assert_int_equal(op1(SLTI(3, 1, -1), (uint64_t)-2), 1);
	/* SLTIU compares with the sign-extended immediate as unsigned. */
	assert_int_equal(op1(SLTIU(3, 1, -1), 5), 1);
	assert_int_equal(op1(XORI(3, 1, -1), 0x1234), ~0x1234ULL);
	assert_int_equal(op1(ANDI(3, 1, 0x7ff), 0xffff), 0x7ff);
	assert_int_equal(op1(ORI(3, 1, -2048), 1), 0xfffffffffffff801ULL);
	/* x0 stays zero. */
	t->h.x[1] = 9;
	RUN(t, 1, ADDI(0, 1, 1));
	assert_int_equal(t->h.x[0], 0);
}

static void test_lui_auipc(void **state)
{
	(void)state;
	RUN(t, 2, LUI(5, 0x80000), AUIPC(6, 0xfffff));
	assert_int_equal(t->h.x[5], 0xffffffff80000000ULL); /* sign-extended on RV64 */
	assert_int_equal(t->h.x[6], RAM_BASE + 4 - 0x1000);
}

static void test_shifts(void **state)
{
	(void)state;
	/* Register shifts use only the low 6 bits (5 for *W). */
	assert_int_equal(op2(SLL(3, 1, 2), 1, 65), 2);
	assert_int_equal(op2(SRL(3, 1, 2), 0x8000000000000000ULL, 63 + 64), 1);
	assert_int_equal(op2(SRA(3, 1, 2), 0x8000000000000000ULL, 63), UINT64_MAX);
	assert_int_equal(op2(SLLW(3, 1, 2), 1, 33), 2);
	assert_int_equal(op2(SLLW(3, 1, 2), 1, 31), 0xffffffff80000000ULL);
	assert_int_equal(op2(SRLW(3, 1, 2), 0xffffffff80000000ULL, 31), 1);
	assert_int_equal(op2(SRLW(3, 1, 2), 0x80000000ULL, 0), 0xffffffff80000000ULL);
	assert_int_equal(op2(SRAW(3, 1, 2), 0x80000000ULL, 4), 0xfffffffff8000000ULL);
	assert_int_equal(op1(SLLI(3, 1, 63), 1), 0x8000000000000000ULL);
	assert_int_equal(op1(SRLI(3, 1, 60), 0xf000000000000000ULL), 0xf);
	assert_int_equal(op1(SRAI(3, 1, 60), 0x8000000000000000ULL), (uint64_t)-8);
	assert_int_equal(op1(SLLIW(3, 1, 31), 1), 0xffffffff80000000ULL);
	assert_int_equal(op1(SRLIW(3, 1, 1), 0xffffffffULL), 0x7fffffff);
	assert_int_equal(op1(SRAIW(3, 1, 1), 0x80000000ULL), 0xffffffffc0000000ULL);
	/* SLLIW with shamt[5] set is reserved: illegal. */
	t->h.mtvec = RAM_BASE + 0x100;
	RUN(t, 1, I(32, 1, 1, 3, 0x1b));
	assert_int_equal(t->h.mcause, EXC_ILLEGAL_INSN);
	assert_int_equal(t->h.pc, RAM_BASE + 0x100);
}

static void test_word_ops_sign_extend(void **state)
{
	(void)state;
	assert_int_equal(op2(ADDW(3, 1, 2), 0x7fffffff, 1), 0xffffffff80000000ULL);
	assert_int_equal(op2(ADDW(3, 1, 2), 0x1234567800000001ULL, 1), 2);
	assert_int_equal(op2(SUBW(3, 1, 2), 0, 1), UINT64_MAX);
	assert_int_equal(op1(ADDIW(3, 1, 0), 0x00000000fffffffeULL), (uint64_t)-2);
	assert_int_equal(op2(MULW(3, 1, 2), 0x10000, 0x8000), 0xffffffff80000000ULL);
}

static void test_mul_high(void **state)
{
	(void)state;
	assert_int_equal(op2(MUL(3, 1, 2), (uint64_t)-3, 5), (uint64_t)-15);
	assert_int_equal(op2(MULH(3, 1, 2), (uint64_t)-1, (uint64_t)-1), 0);
	assert_int_equal(op2(MULH(3, 1, 2), INT64_MIN, 2), UINT64_MAX);
	assert_int_equal(op2(MULHU(3, 1, 2), UINT64_MAX, UINT64_MAX), UINT64_MAX - 1);
	/* MULHSU: rs1 signed, rs2 unsigned. -1 * (2^64-1) = -(2^64-1): high part -1. */
	assert_int_equal(op2(MULHSU(3, 1, 2), (uint64_t)-1, UINT64_MAX), UINT64_MAX);
	assert_int_equal(op2(MULHSU(3, 1, 2), 2, UINT64_MAX), 1);
}

static void test_div_rem_edges(void **state)
{
	(void)state;
	/* Division by zero: quotient all ones, remainder the dividend. */
	assert_int_equal(op2(DIV(3, 1, 2), 42, 0), UINT64_MAX);
	assert_int_equal(op2(DIVU(3, 1, 2), 42, 0), UINT64_MAX);
	assert_int_equal(op2(REM(3, 1, 2), (uint64_t)-42, 0), (uint64_t)-42);
	assert_int_equal(op2(REMU(3, 1, 2), 42, 0), 42);
	/* Overflow: INT64_MIN / -1 = INT64_MIN, remainder 0. */
	assert_int_equal(op2(DIV(3, 1, 2), (uint64_t)INT64_MIN, (uint64_t)-1), (uint64_t)INT64_MIN);
	assert_int_equal(op2(REM(3, 1, 2), (uint64_t)INT64_MIN, (uint64_t)-1), 0);
	/* Rounds toward zero; remainder has the dividend's sign. */
	assert_int_equal(op2(DIV(3, 1, 2), (uint64_t)-7, 2), (uint64_t)-3);
	assert_int_equal(op2(REM(3, 1, 2), (uint64_t)-7, 2), (uint64_t)-1);
	assert_int_equal(op2(DIVU(3, 1, 2), (uint64_t)-7, 2), 0x7ffffffffffffffcULL);
	/* Word forms: on the low 32 bits, results sign-extended. */
	assert_int_equal(op2(DIVW(3, 1, 2), 0x80000000ULL, (uint64_t)-1), 0xffffffff80000000ULL);
	assert_int_equal(op2(REMW(3, 1, 2), 0x80000000ULL, (uint64_t)-1), 0);
	assert_int_equal(op2(DIVW(3, 1, 2), 5, 0), UINT64_MAX);
	assert_int_equal(op2(DIVUW(3, 1, 2), 5, 0), UINT64_MAX);
	assert_int_equal(op2(REMW(3, 1, 2), 0xfffffffbULL, 0), (uint64_t)-5);
	assert_int_equal(op2(REMUW(3, 1, 2), 0x80000001ULL, 0), 0xffffffff80000001ULL);
	assert_int_equal(op2(DIVUW(3, 1, 2), 0xfffffffeULL, 2), 0x7fffffff);
	assert_int_equal(op2(DIVW(3, 1, 2), 0x1fffffff9ULL, 2), (uint64_t)-3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_sub_logic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lui_auipc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shifts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_word_ops_sign_extend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mul_high, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_div_rem_edges, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
