/* The x86-64 emitter: every instruction form the translator uses is emitted into an
 * executable buffer and run, with registers r8-r15 and rsp/rbp/r12/r13 bases included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "accel/emu/jit/emit.h"

static uint8_t *buf;
static struct emit e;

typedef uint64_t (*fn2)(uint64_t, uint64_t);

static int setup(void **state)
{
	(void)state;
	buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	return buf == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(buf, 65536);
	return 0;
}

static void begin(void)
{
	emit_init(&e, buf, 65536);
}

static uint64_t run(uint64_t a, uint64_t b)
{
	emit_ret(&e);
	assert_false(e.overflow);
	return ((fn2)(void *)buf)(a, b);
}

/* rax = f(rdi, rsi) through a high register, so REX.R/REX.B are exercised. */
static uint64_t alu(enum x86_alu op, bool w, uint64_t a, uint64_t b)
{
	begin();
	emit_mov_rr(&e, true, R10, RDI);
	emit_mov_rr(&e, true, R11, RSI);
	emit_alu_rr(&e, w, op, R10, R11);
	emit_mov_rr(&e, true, RAX, R10);
	return run(a, b);
}

static void test_alu_rr(void **state)
{
	(void)state;
	assert_int_equal(alu(ALU_ADD, true, 5, 7), 12);
	assert_int_equal(alu(ALU_SUB, true, 5, 7), (uint64_t)-2);
	assert_int_equal(alu(ALU_AND, true, 0xff00, 0x0ff0), 0x0f00);
	assert_int_equal(alu(ALU_OR, true, 0xff00, 0x0ff0), 0xfff0);
	assert_int_equal(alu(ALU_XOR, true, 0xff00, 0x0ff0), 0xf0f0);
	/* 32-bit forms zero the upper half */
	assert_int_equal(alu(ALU_ADD, false, 0xffffffffULL, 1), 0);
}

static void test_alu_imm_and_mem(void **state)
{
	uint64_t mem[4] = {100, 200, 300, 400};

	(void)state;
	begin();
	emit_push(&e, R12);		 /* callee-saved */
	emit_mov_rr(&e, true, R12, RDI); /* r12 base needs a SIB byte */
	emit_mov_rm(&e, true, RAX, MEM(R12, 8));
	emit_alu_rm(&e, true, ALU_ADD, RAX, MEM(R12, 24));
	emit_alu_ri(&e, true, ALU_SUB, RAX, 1000); /* imm32 form */
	emit_alu_ri(&e, true, ALU_ADD, RAX, -3);   /* imm8 form */
	emit_pop(&e, R12);
	assert_int_equal(run((uint64_t)(uintptr_t)mem, 0), (uint64_t)(600 - 1000 - 3));

	begin();
	emit_push(&e, R13);
	emit_mov_rr(&e, true, R13, RDI); /* r13 base needs an explicit displacement */
	emit_alu_mi(&e, true, ALU_ADD, MEM(R13, 0), 5);
	emit_alu_mi(&e, true, ALU_SUB, MEM(R13, 16), 100000);
	emit_mov_mi(&e, MEM(R13, 8), -2);
	emit_mov_rr(&e, true, RAX, RSI);
	emit_mov_mr(&e, true, MEMX(R13, RAX, 24), RAX); /* base + index */
	emit_pop(&e, R13);
	run((uint64_t)(uintptr_t)mem, 0);
	assert_int_equal(mem[0], 105);
	assert_int_equal(mem[1], (uint64_t)-2);
	assert_int_equal(mem[2], (uint64_t)(300 - 100000));
	assert_int_equal(mem[3], 0);
}

static void test_loads_stores(void **state)
{
	uint8_t m[16] = {0x80, 0xff, 0x7f, 0x80, 0, 0, 0, 0};

	(void)state;
	begin();
	emit_load_ext(&e, 1, true, R9, MEM(RDI, 0));
	emit_mov_rr(&e, true, RAX, R9);
	assert_int_equal(run((uint64_t)(uintptr_t)m, 0), (uint64_t)(int64_t)(int8_t)0x80);
	begin();
	emit_load_ext(&e, 2, false, RAX, MEMX(RDI, RSI, 0));
	assert_int_equal(run((uint64_t)(uintptr_t)m, 1), 0x7fff);
	begin();
	emit_load_ext(&e, 4, true, RAX, MEM(RDI, 0));
	assert_int_equal(run((uint64_t)(uintptr_t)m, 0), (uint64_t)(int64_t)(int32_t)0x807fff80);
	begin();
	emit_load_ext(&e, 4, false, RAX, MEM(RDI, 0));
	assert_int_equal(run((uint64_t)(uintptr_t)m, 0), 0x807fff80ULL);
	begin();
	emit_load_ext(&e, 2, true, RAX, MEM(RDI, 2));
	assert_int_equal(run((uint64_t)(uintptr_t)m, 0), (uint64_t)(int64_t)(int16_t)0x807f);

	begin();
	emit_mov_ri(&e, RSI, 0x1122334455667788ULL);
	emit_mov_mr_narrow(&e, 1, MEM(RDI, 8), RSI); /* sil needs a bare REX */
	emit_mov_mr_narrow(&e, 2, MEM(RDI, 10), RSI);
	emit_mov_mr(&e, false, MEM(RDI, 12), RSI);
	run((uint64_t)(uintptr_t)m, 0);
	assert_int_equal(m[8], 0x88);
	assert_int_equal(m[10] | m[11] << 8, 0x7788);
	assert_int_equal(m[12] | m[13] << 8 | m[14] << 16 | (uint32_t)m[15] << 24, 0x55667788);
}

static void test_mov_imm(void **state)
{
	static const uint64_t v[] = {0,
				     1,
				     0xffffffffULL,
				     (uint64_t)-1,
				     (uint64_t)INT32_MIN,
				     0x123456789abcdefULL,
				     0x80000000ULL};

	(void)state;
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		begin();
		emit_push(&e, R15); /* callee-saved */
		emit_mov_ri(&e, R15, v[i]);
		emit_mov_rr(&e, true, RAX, R15);
		emit_pop(&e, R15);
		assert_int_equal(run(0, 0), v[i]);
	}
}

static void test_shifts_mul(void **state)
{
	(void)state;
	begin();
	emit_mov_rr(&e, true, RAX, RDI);
	emit_mov_rr(&e, true, RCX, RSI);
	emit_shift_cl(&e, true, SH_SAR, RAX);
	assert_int_equal(run((uint64_t)-256, 68), (uint64_t)-16); /* count masked to 6 bits */
	begin();
	emit_mov_rr(&e, true, RAX, RDI);
	emit_shift_ri(&e, false, SH_SHL, RAX, 4);
	emit_movsxd(&e, RAX, RAX);
	assert_int_equal(run(0x08000000, 0), (uint64_t)(int64_t)INT32_MIN);
	begin();
	emit_mov_rr(&e, true, R8, RDI);
	emit_imul_rr(&e, true, R8, RSI);
	emit_mov_rr(&e, true, RAX, R8);
	assert_int_equal(run((uint64_t)-3, 7), (uint64_t)-21);
	begin();
	emit_mov_rr(&e, true, RAX, RDI);
	emit_mul1(&e, false, RSI);
	emit_mov_rr(&e, true, RAX, RDX);
	assert_int_equal(run(UINT64_MAX, UINT64_MAX), UINT64_MAX - 1);
	begin();
	emit_mov_rr(&e, true, RAX, RDI);
	emit_mul1(&e, true, RSI);
	emit_mov_rr(&e, true, RAX, RDX);
	assert_int_equal(run(UINT64_MAX, UINT64_MAX), 0);
	begin();
	emit_lea(&e, RAX, MEMX(RDI, RSI, -5));
	assert_int_equal(run(10, 20), 25);
}

static void test_cmp_setcc_jumps(void **state)
{
	uint8_t *f, *g;

	(void)state;
	begin();
	emit_alu_rr(&e, true, ALU_CMP, RDI, RSI);
	emit_setcc(&e, CC_L, RAX);
	assert_int_equal(run((uint64_t)-1, 0), 1);
	begin();
	emit_alu_rr(&e, true, ALU_CMP, RDI, RSI);
	emit_setcc(&e, CC_B, RSI);
	emit_mov_rr(&e, true, RAX, RSI);
	assert_int_equal(run((uint64_t)-1, 0), 0);

	/* if (rdi == rsi) return 1; else return 2; with forward jumps patched afterwards */
	begin();
	emit_mov_ri(&e, RAX, 2);
	emit_alu_rr(&e, true, ALU_CMP, RDI, RSI);
	f = emit_jcc(&e, CC_NE, NULL);
	emit_mov_ri(&e, RAX, 1);
	g = emit_jmp(&e, NULL);
	emit_patch_rel32(f, e.p);
	emit_patch_rel32(g, e.p);
	assert_int_equal(run(3, 3), 1);
	assert_int_equal(((fn2)(void *)buf)(3, 4), 2);

	/* a call through rax to a C function with 16-byte stack alignment */
	begin();
	emit_push(&e, RBX);
	emit_call_abs(&e, (const void *)labs);
	emit_pop(&e, RBX);
	assert_int_equal(run((uint64_t)-42, 0), 42);
}

/* rax = bits of (a op b) for doubles given as bits, operands in memory below rsp via r11. */
static uint64_t sse(enum x86_sse op, uint64_t a, uint64_t b)
{
	begin();
	emit_mov_rr(&e, true, R11, RSP);
	emit_mov_mr(&e, true, MEM(R11, -8), RDI);
	emit_mov_mr(&e, true, MEM(R11, -16), RSI);
	emit_sse_rm(&e, 0xf2, SSE_MOVSD_LOAD, false, 1, MEM(R11, -8));
	emit_sse_rm(&e, 0xf2, op, false, 1, MEM(R11, -16));
	emit_sse_rm(&e, 0xf2, SSE_MOVSD_STORE, false, 1, MEM(R11, -24));
	emit_mov_rm(&e, true, RAX, MEM(R11, -24));
	return run(a, b);
}

static uint64_t dbits(double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	return v;
}

static void test_sse(void **state)
{
	(void)state;
	assert_int_equal(sse(SSE_ADDSD, dbits(1.5), dbits(2.25)), dbits(3.75));
	assert_int_equal(sse(SSE_SUBSD, dbits(1.5), dbits(2.25)), dbits(-0.75));
	assert_int_equal(sse(SSE_MULSD, dbits(1.5), dbits(2.0)), dbits(3.0));
	assert_int_equal(sse(SSE_DIVSD, dbits(3.0), dbits(2.0)), dbits(1.5));
	assert_int_equal(sse(SSE_SQRTSD, 0, dbits(16.0)), dbits(4.0));
	/* movq both ways, cvtsi2sd 32/64 from a high register */
	begin();
	emit_sse_rr(&e, 0x66, SSE_MOVQ_TO_XMM, true, 0, RDI);
	emit_sse_rr(&e, 0x66, SSE_MOVQ_FROM_XMM, true, 0, R9);
	emit_mov_rr(&e, true, RAX, R9);
	assert_int_equal(run(0x123456789abcdef0ULL, 0), 0x123456789abcdef0ULL);
	begin();
	emit_mov_rr(&e, true, R10, RDI);
	emit_sse_rr(&e, 0xf2, SSE_CVTSI2SD, false, 0, R10);
	emit_sse_rr(&e, 0x66, SSE_MOVQ_FROM_XMM, true, 0, RAX);
	assert_int_equal(run(0xffffffff, 0), dbits(-1.0));
	begin();
	emit_mov_rr(&e, true, R10, RDI);
	emit_sse_rr(&e, 0xf2, SSE_CVTSI2SD, true, 0, R10);
	emit_sse_rr(&e, 0x66, SSE_MOVQ_FROM_XMM, true, 0, RAX);
	assert_int_equal(run(0xffffffff, 0), dbits(4294967295.0));
	/* comisd / ucomisd: seta on b > a, unordered compares false */
	for (int u = 0; u < 2; u++) {
		begin();
		emit_sse_rr(&e, 0x66, SSE_MOVQ_TO_XMM, true, 0, RSI);
		emit_sse_rr(&e, 0x66, SSE_MOVQ_TO_XMM, true, 1, RDI);
		emit_sse_rr(&e, 0x66, u ? SSE_UCOMISD : SSE_COMISD, false, 0, 1);
		emit_setcc(&e, CC_A, RAX);
		assert_int_equal(run(dbits(1.0), dbits(2.0)), 1);
		begin();
		emit_sse_rr(&e, 0x66, SSE_MOVQ_TO_XMM, true, 0, RSI);
		emit_sse_rr(&e, 0x66, SSE_MOVQ_TO_XMM, true, 1, RDI);
		emit_sse_rr(&e, 0x66, u ? SSE_UCOMISD : SSE_COMISD, false, 0, 1);
		emit_setcc(&e, CC_P, RAX);
		assert_int_equal(run(0x7ff8000000000000ULL, dbits(2.0)), 1);
	}
	/* stmxcsr/ldmxcsr round trip; alu_mr (or [m], reg) */
	begin();
	emit_mov_rr(&e, true, R11, RSP);
	emit_sse_rm(&e, 0, SSE_MXCSR, false, 3, MEM(R11, -8));
	emit_sse_rm(&e, 0, SSE_MXCSR, false, 2, MEM(R11, -8));
	emit_mov_rm(&e, false, RAX, MEM(R11, -8));
	emit_alu_ri(&e, false, ALU_AND, RAX, 0x7f80);
	assert_int_equal(run(0, 0), 0x1f80);
	begin();
	emit_mov_rr(&e, true, R11, RSP);
	emit_mov_mr(&e, true, MEM(R11, -8), RDI);
	emit_alu_mr(&e, true, ALU_OR, MEM(R11, -8), RSI);
	emit_alu_mr(&e, true, ALU_ADD, MEM(R11, -8), RSI);
	emit_mov_rm(&e, true, RAX, MEM(R11, -8));
	assert_int_equal(run(0x100, 0x3), 0x106);
}

static void test_overflow(void **state)
{
	uint8_t small[8];

	(void)state;
	emit_init(&e, small, sizeof(small));
	emit_mov_ri(&e, RAX, 0x123456789abcdefULL); /* 10 bytes */
	assert_true(e.overflow);
	assert_null(emit_jmp(&e, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alu_rr),	 cmocka_unit_test(test_alu_imm_and_mem),
	    cmocka_unit_test(test_loads_stores), cmocka_unit_test(test_mov_imm),
	    cmocka_unit_test(test_shifts_mul),	 cmocka_unit_test(test_cmp_setcc_jumps),
	    cmocka_unit_test(test_overflow),	 cmocka_unit_test(test_sse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
