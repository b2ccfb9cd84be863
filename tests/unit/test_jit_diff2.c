/* Differential tests of the translator, continued (harness: jit_diff.h): calls and returns,
 * out-of-line TLB-miss paths, flat loads (the process VM's direct RAM loads),
 * FP loop blocks. Everything runs translating at the first entry and tiered; the random
 * programs and these tests also with flat loads. */
#include "jit_diff.h"

/* Calls and returns (JALR exits through the lookup cache): deep recursion, a call through
 * JALR returning through x5, a callee that returns past the instruction after its call,
 * stopped at many points; then a callee on another page that rewrites the instruction its
 * caller returns to: the return must run the new instruction, not the dropped block. (A
 * return-address ring predicting such returns was tried and measured no faster than the
 * inline lookup-cache probe: docs/jit.md.) */
static void test_calls_and_returns(void **state)
{
	const uint64_t base = RAM_BASE + 0x1100, f = RAM_BASE + 0x2100;
	const uint32_t prog[] = {
	    /* 0x00 */ ADDI(10, 0, 40), /* recursion depth */
	    /* 0x04 */ JAL(1, 0x3c),	/* call G (0x40) */
	    /* 0x08 */ ADDI(11, 11, 1),
	    /* 0x0c */ JALR(5, 16, 0), /* call H (x16) with the link in x5 */
	    /* 0x10 */ ADDI(12, 12, 1),
	    /* 0x14 */ JAL(1, 0x8c), /* call K (0xa0): returns to 0x1c */
	    /* 0x18 */ ADDI(13, 13, 1),
	    /* 0x1c */ ADDI(14, 14, 1),
	    /* 0x20 */ JAL(0, -0x20),	  NOP, NOP, NOP, NOP, NOP, NOP, NOP,
	    /* 0x40 G */ ADDI(2, 2, -16),
	    /* 0x44 */ SD(1, 2, 8),
	    /* 0x48 */ ADDI(10, 10, -1),
	    /* 0x4c */ BEQ(10, 0, 8),
	    /* 0x50 */ JAL(1, -0x10),
	    /* 0x54 */ LD(1, 2, 8),
	    /* 0x58 */ ADDI(2, 2, 16),
	    /* 0x5c */ ADDI(15, 15, 1),
	    /* 0x60 */ JALR(0, 1, 0),	  NOP, NOP, NOP, NOP, NOP, NOP, NOP,
	    /* 0x80 H */ ADDI(17, 17, 1),
	    /* 0x84 */ JALR(0, 5, 0),	  NOP, NOP, NOP, NOP, NOP, NOP,
	    /* 0xa0 K */ ADDI(1, 1, 4),
	    /* 0xa4 */ JALR(0, 1, 0),
	};
	const uint32_t caller[] = {
	    JAL(1, (int32_t)(f - base)), /* call F on the next page */
	    ADDI(11, 11, 1),		 /* R: rewritten by F to ADDI x11, x11, 100 */
	    ADDI(12, 12, 1),
	    BNE(12, 13, -12),
	    JAL(0, 0),
	};
	const uint32_t callee[] = {
	    ADDI(20, 20, 1),
	    BNE(20, 21, 8),
	    SW(14, 15, 0), /* the last call rewrites R */
	    JALR(0, 1, 0),
	};

	(void)state;
	for (uint64_t chunk = 1; chunk <= 3000; chunk = chunk * 5 + 2) {
		both_code(base, prog, sizeof(prog) / 4);
		reset_both();
		for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
			(*t)->h.pc = base;
			(*t)->h.x[2] = DATA + 6144;
			(*t)->h.x[16] = base + 0x80;
			(*t)->h.x[11] = (*t)->h.x[13] = (*t)->h.x[14] = (*t)->h.x[15] = 0;
		}
		run_compare(30000, chunk, "ret");
		assert_int_equal(b->h.x[13], 0);
		assert_true(b->h.x[15] > 40 * 50);
	}
	for (unsigned calls = 1; calls <= 70; calls += 23) {
		both_code(base, caller, sizeof(caller) / 4);
		both_code(f, callee, sizeof(callee) / 4);
		reset_both();
		for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
			struct hart *h = &(*t)->h;

			h->pc = base;
			h->x[11] = h->x[12] = h->x[20] = 0;
			h->x[13] = calls;
			h->x[21] = calls;
			h->x[14] = ADDI(11, 11, 100);
			h->x[15] = base + 4;
		}
		run_compare(1000, 1000, "ret-rewrite");
		assert_int_equal(b->h.pc, base + 16);
		assert_int_equal(b->h.x[11], calls - 1 + 100);
	}
}

/* TLB-miss paths are emitted after the block body with the register cache of their access:
 * a load missing the TLB (after every flush) between writes to more registers than the host
 * has, a store that faults, and registers remapped after both; stopped at many points. */
static void test_out_of_line_slow_paths(void **state)
{
	uint32_t prog[40];
	unsigned n = 0;

	(void)state;
	for (unsigned r = 1; r <= 10; r++)
		prog[n++] = ADDI(r, r, (int32_t)r);
	prog[n++] = LD(11, 30, 8); /* misses the TLB after every flush */
	for (unsigned r = 12; r <= 22; r++)
		prog[n++] = ADD(r, r, r - 11);
	prog[n++] = SD(22, 30, 16);
	prog[n++] = SD(1, 8, 0); /* x8: odd rounds unmapped (store fault), even DATA */
	for (unsigned r = 1; r <= 6; r++)
		prog[n++] = ADD(r, r, 11);
	prog[n] = JAL(0, -(int32_t)(4 * n));
	n++;
	both_code(CODE + 0x200, prog, n);
	for (unsigned round = 0; round < 6; round++) {
		reset_both();
		for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
			(*t)->h.pc = CODE + 0x200;
			(*t)->h.mtvec = CODE + 0x200;
			(*t)->h.x[8] = round % 2 ? 0x40000000 : DATA + 64;
		}
		for (unsigned k = 0; k < 60; k++) {
			run_compare(50, 1 + (k + round) % 13, "slow");
			hart_flush_tlb(&a->h);
			hart_flush_tlb(&b->h);
		}
	}
}

/* Platform flat_loads (the process VM's loads address RAM directly): random programs, and
 * loads that fault in the middle of a block (below RAM, across its end, at address 0x10)
 * or run natively misaligned, must match the interpreter exactly. */
static void test_flat_loads(void **state)
{
	const uint32_t prog[] = {
	    ADDI(1, 0, 11),   LD(3, 4, 0), /* x4 = 0x1000, below RAM: access fault */
	    ADDI(5, 0, 55),   LW(6, 7, 0), /* x7 = RAM's last 2 bytes: crosses its end */
	    LD(9, 8, 3),		   /* misaligned in RAM: no trap */
	    LBU(10, 0, 0x10),		   /* access fault */
	    ADD(11, 9, 1),    JAL(0, 0),
	};

	bool was = b->p.flat_loads;

	a->p.flat_loads = b->p.flat_loads = true;
	test_random_programs(state);
	both_code(CODE + 0x300, prog, sizeof(prog) / 4);
	for (uint64_t chunk = 1; chunk <= 40; chunk += 13) {
		reset_both();
		for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
			(*t)->h.pc = CODE + 0x300;
			(*t)->h.x[4] = 0x1000;
			(*t)->h.x[7] = RAM_BASE + RAM_SIZE - 2;
			(*t)->h.x[8] = DATA;
			(*t)->h.x[29] = 0;
		}
		run_compare(40, chunk, "flat");
		assert_int_equal(b->h.x[29], 3 * EXC_LOAD_ACCESS);
		assert_int_equal(b->h.x[11], 11 + 0x5a5a5a5a5a5a5a5aULL);
	}
	a->p.flat_loads = b->p.flat_loads = was;
	assert_ptr_equal(core_of(&b->h)->jit_flat_hva, gmem_ptr(&b->m.mem, RAM_BASE, 1));
}

/* Loop blocks count only the x registers of F/D instructions (their f fields live in xmm
 * registers): an FP loop naming 10 register numbers is a loop block; it must still match
 * the interpreter, stopped anywhere. */
static void test_fp_loop_x_regs(void **state)
{
	const uint64_t loop = RAM_BASE + 0x2400;
	const uint32_t prog[] = {
	    BEQ(15, 11, 40),		  /* a side exit, never taken */
	    R(0x01, 11, 13, 7, 13, 0x53), /* fadd.d f13, f13, f11 */
	    R(0x09, 15, 14, 7, 12, 0x53), /* fmul.d f12, f14, f15 */
	    ADDIW(15, 15, 1),
	    R(0x01, 1, 12, 7, 10, 0x53), /* fadd.d f10, f12, f1 */
	    R(0x09, 4, 13, 7, 5, 0x53),	 /* fmul.d f5, f13, f4 */
	    R(0x51, 10, 5, 0, 13, 0x53), /* fle.d x13, f5, f10 */
	    ADDI(7, 7, -1),
	    BNE(7, 0, -32),
	    JAL(0, 0),
	    JAL(0, 0),
	};

	(void)state;
	assert_int_equal(translate_x_regs(prog[1]), 0);
	assert_int_equal(translate_x_regs(prog[6]), 1U << 13);
	assert_int_equal(translate_x_regs(I(0, 30, 3, 1, 0x07)), 1U << 30);	/* fld f1, 0(x30) */
	assert_int_equal(translate_x_regs(R(0x79, 0, 9, 0, 3, 0x53)), 1U << 9); /* fmv.d.x */
	assert_int_equal(translate_x_regs(ADD(5, 6, 7)), 7U << 5);
	assert_true(translate_field_regs(prog, 9) <= NPOOL); /* was 10 counting f fields */
	both_code(loop, prog, sizeof(prog) / 4);
	for (uint64_t chunk = 1; chunk <= 1000; chunk = chunk * 7 + 2) {
		reset_both();
		for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
			struct hart *h = &(*t)->h;

			h->pc = loop;
			h->x[7] = 300;
			h->x[11] = 1ULL << 40;
			h->mstatus |= 3ULL << 13 | 1ULL << 63;
			h->frm = 0;
		}
		run_compare(3000, chunk, "fp-loop");
		assert_int_equal(b->h.x[7], 0);
		assert_int_equal(b->h.pc, loop + 36);
	}
}

/* Two blocks on two pages jumping to each other (chained across pages with flat loads: the
 * process VM's case), then the second rewritten by a guest store from a third page, then
 * behind the harts' back with a flush request (epoch): the new instruction must run. */
static void test_cross_page_chains(void **state)
{
	const uint64_t pa = RAM_BASE + 0x3000, pb = RAM_BASE + 0x4000, pc = RAM_BASE + 0x5000;
	const uint32_t on_a[] = {ADDI(1, 1, 1), JAL(0, (int32_t)(pb - pa - 4))};
	const uint32_t on_b[] = {ADDI(2, 2, 2), JAL(0, (int32_t)(pa - pb - 4))};
	const uint32_t on_c[] = {SW(9, 10, 0), JAL(0, (int32_t)(pa - pc - 4))};
	const uint32_t host_patch = ADDI(2, 2, 7);

	(void)state;
	both_code(pa, on_a, 2);
	both_code(pb, on_b, 2);
	both_code(pc, on_c, 2);
	reset_both();
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
		(*t)->h.pc = pa;
		(*t)->h.x[2] = 0;
		(*t)->h.x[9] = ADDI(2, 2, 40);
		(*t)->h.x[10] = pb;
	}
	run_compare(4000, 1000, "xpage-1");
	assert_int_equal(b->h.x[2], 2 * 1000);
	if (b->p.flat_loads) /* linked across the pages */
		assert_true(core_of(&b->h)->jit->nxlinks >= 2);
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++)
		(*t)->h.pc = pc;
	run_compare(2, 2, "xpage-2");
	run_compare(4000, 1000, "xpage-3");
	assert_int_equal(b->h.x[2], 2 * 1000 + 40 * 1000);
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++)
		memcpy(gmem_ptr(&(*t)->m.mem, pb, 4), &host_patch, 4);
	hart_flush_code(&b->h);
	run_compare(4000, 1000, "xpage-4");
	assert_int_equal(b->h.x[2], 2 * 1000 + 40 * 1000 + 7 * 1000);
}

static int setup_flat(void **state)
{
	int r = setup_hot1(state);

	a->p.flat_loads = b->p.flat_loads = true;
	return r;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_calls_and_returns), cmocka_unit_test(test_out_of_line_slow_paths),
	    cmocka_unit_test(test_flat_loads),	      cmocka_unit_test(test_fp_loop_x_regs),
	    cmocka_unit_test(test_random_programs),   cmocka_unit_test(test_cross_page_chains),
	};
	int r = cmocka_run_group_tests_name("translate at once", tests, setup_hot1, teardown);

	r |= cmocka_run_group_tests_name("tiered", tests, setup_tiered, teardown);
	return r | cmocka_run_group_tests_name("flat loads", tests, setup_flat, teardown);
}
