/* Differential tests of the binary translator: the same programs run on two identical
 * machines, one interpreting and one translating, and the full hart state (registers, pc,
 * privilege, trap CSRs, instret) and memory must match, also when stopping every few
 * instructions. Random RV64IM programs with loads/stores (aligned, misaligned, across pages),
 * branches and compressed instructions; traps in the middle of a block; self-modifying code
 * with and without FENCE.I. Everything runs twice: blocks translated at their first entry
 * (GASANG_JIT_HOT=1), and tiered (cold blocks interpreted until they are hot). */
#include "jit_diff.h"

static void test_trap_mid_block(void **state)
{
	const uint32_t prog[] = {
	    ADDI(1, 0, 11), ADDI(2, 0, 22), LD(3, 4, 0), /* x4 = unmapped: access fault */
	    ADDI(5, 0, 55), SD(1, 7, 0),		 /* x7 misaligned in DATA: no trap */
	    SD(1, 8, 0),				 /* x8 unmapped: store fault */
	    ADDI(6, 0, 66), JAL(0, 0),
	};

	(void)state;
	both_code(CODE, prog, sizeof(prog) / 4);
	reset_both();
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
		(*t)->h.x[4] = 0x1000;
		(*t)->h.x[7] = DATA + 3;
		(*t)->h.x[8] = 0x40000000;
		(*t)->h.x[29] = 0;
	}
	run_compare(40, 40, "trap");
	assert_int_equal(b->h.x[3], a->h.x[3]);
	assert_int_equal(b->h.x[6], 66);
	assert_int_equal(b->h.mcause, EXC_STORE_ACCESS);
	assert_int_equal(b->h.mtval, 0x40000000);
	/* x29 accumulated both mcause values: load access (5) + store access (7) */
	assert_int_equal(b->h.x[29], 5 + 7);
}

/* The store rewrites the instruction right after it, in the same block; the new one must run
 * (no FENCE.I: the engines are coherent anyway). Then a loop rewrites a block it already ran,
 * with FENCE.I. */
static void test_self_modifying(void **state)
{
	const uint32_t prog[] = {
	    /* 0 */ ADDI(1, 1, 1),
	    /* 1 */ SW(9, 10, 0),  /* x10 = &insn 2, x9 = ADDI x2, x0, 77 */
	    /* 2 */ ADDI(2, 0, 5), /* replaced before it runs */
	    /* 3 */ ADDI(3, 0, 3),
	    /* 4 */ JAL(0, 8), /* to 6 */
	    /* 5 */ NOP,
	    /* 6 */ ADDI(11, 11, 1), /* L: rewritten to ADDI x11, x11, 100 */
	    /* 7 */ ADDI(12, 12, 1),
	    /* 8 */ BNE(12, 13, 16), /* second time: to 12 */
	    /* 9 */ SW(14, 15, 0),   /* x15 = &L */
	    /* 10 */ FENCE_I,
	    /* 11 */ JAL(0, -20), /* to L */
	    /* 12 */ JAL(0, 0),
	};

	(void)state;
	both_code(CODE, prog, sizeof(prog) / 4);
	reset_both();
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
		(*t)->h.x[1] = 0;
		(*t)->h.x[9] = ADDI(2, 0, 77);
		(*t)->h.x[10] = CODE + 8;
		(*t)->h.x[11] = 0;
		(*t)->h.x[12] = 0;
		(*t)->h.x[13] = 1;
		(*t)->h.x[14] = ADDI(11, 11, 100);
		(*t)->h.x[15] = CODE + 24;
	}
	run_compare(200, 200, "smc");
	assert_int_equal(b->h.x[2], 77);
	assert_int_equal(b->h.x[11], 101);
	assert_int_equal(b->h.pc, CODE + 48);
}

/* A translated (and self-chained) loop is rewritten by a store from code on another page,
 * without FENCE.I: the next run of the loop must see the new instruction. */
static void rewrite_after(unsigned rounds)
{
	const uint32_t loop[] = {ADDI(1, 1, 1), ADDI(2, 2, 2), JAL(0, -8)};
	const uint32_t writer[] = {SW(9, 10, 0), JAL(0, -0x208)}; /* at CODE + 0x204 */

	both_code(CODE, loop, 3);
	both_code(CODE + 0x204, writer, 2);
	reset_both();
	run_compare(3 * rounds, 3 * rounds, "rewrite-1");
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
		struct hart *h = &(*t)->h;

		h->x[9] = ADDI(2, 2, 40);
		h->x[10] = CODE + 4;
		h->x[2] = 0;
		h->pc = CODE + 0x204;
	}
	run_compare(2, 1, "rewrite-2");
	assert_int_equal(b->h.pc, CODE);
	run_compare(3, 3, "rewrite-3");
	assert_int_equal(b->h.x[2], 40);
	run_compare(3000, 1000, "rewrite-4");
	assert_int_equal(b->h.x[2], 40 * 1001);
}

static void test_rewrite_translated_block(void **state)
{
	(void)state;
	rewrite_after(20);
}

/* The same, with the loop rewritten after it was entered fewer, as many and more times than
 * the translation threshold (cold, just translated, translated and chained). */
static void test_rewrite_around_threshold(void **state)
{
	unsigned hot = core_of(&b->h)->jit->hot;

	(void)state;
	for (unsigned n = hot > 2 ? hot - 2 : 0; n <= hot + 2; n++)
		rewrite_after(n);
	rewrite_after(2 * hot + 1);
}

/* Lookup-cache generations wrap after 0x7fff code flushes (FENCE.I, remote fences): blocks
 * keep running right across the wrap, and a rewritten one is seen. */
static void test_lookup_cache_generations_wrap(void **state)
{
	const uint32_t loop[] = {ADDI(1, 1, 1), JAL(0, 0x104), NOP};
	const uint32_t other[] = {ADDI(2, 2, 1), JAL(0, -0x10c)}; /* at CODE + 0x108 */
	const uint32_t patched = ADDI(1, 1, 3);

	(void)state;
	both_code(CODE, loop, 3);
	both_code(CODE + 0x108, other, 2);
	reset_both();
	a->h.x[1] = b->h.x[1] = a->h.x[2] = b->h.x[2] = 0;
	run_compare(400, 100, "wrap-1");
	for (unsigned i = 0; i < 0x8000 + 5; i++) {
		hart_flush_code(&b->h);
		if (i % 4096 == 0 || i > 0x7ff0)
			run_compare(8, 4, "wrap-2");
	}
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++)
		memcpy(gmem_ptr(&(*t)->m.mem, CODE, 4), &patched, 4);
	hart_flush_code(&b->h);
	run_compare(400, 100, "wrap-3");
	assert_true(b->h.x[1] > b->h.x[2]);
}

/* Tiering: a block is interpreted while it has been entered fewer than `hot` times, and
 * translated (once) at its hot-th entry; both give the interpreter's results. */
static void test_tiering(void **state)
{
	const uint32_t loop[] = {ADDI(1, 1, 1), BNE(1, 0, -4)}; /* one block */
	struct jit *j = core_of(&b->h)->jit;
	uint64_t tr0, cold0;

	(void)state;
	both_code(CODE, loop, 2);
	reset_both();
	a->h.x[1] = b->h.x[1] = 0;
	tr0 = j->translations;
	cold0 = j->cold_runs;
	/* Entries 1 .. hot - 1: interpreted, nothing translated. */
	run_compare(2 * (j->hot - 1), 2, "tier-cold");
	assert_int_equal(j->translations - tr0, 0);
	assert_int_equal(j->cold_runs - cold0, j->hot - 1);
	assert_int_equal(b->h.pc, CODE);
	/* Entry hot: translated, then it runs as translated code. */
	run_compare(2, 2, "tier-hot");
	assert_int_equal(j->translations - tr0, 1);
	run_compare(2000, 500, "tier-translated");
	assert_int_equal(j->translations - tr0, 1);
	assert_int_equal(j->cold_runs - cold0, j->hot - 1);
	assert_int_equal(b->h.x[1], 1 + (2 * (j->hot - 1) + 2000) / 2);
}

/* Code written behind the harts' back (as DMA or the host would), then FENCE.I: the
 * translator must notice that the page changed since it was translated. */
static void test_untracked_write_then_fence_i(void **state)
{
	const uint32_t loop[] = {ADDI(1, 1, 1), FENCE_I, JAL(0, -8)};
	const uint32_t patched = ADDI(1, 1, 100);

	(void)state;
	both_code(CODE, loop, 3);
	reset_both();
	a->h.x[1] = b->h.x[1] = 0;
	run_compare(31, 31, "fence.i-1"); /* 10 rounds + the ADDI: pc at the FENCE.I */
	assert_int_equal(b->h.pc, CODE + 4);
	assert_int_equal(b->h.x[1], 11);
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++)
		memcpy(gmem_ptr(&(*t)->m.mem, CODE, 4), &patched, 4); /* no hart_flush_code() */
	run_compare(3, 3, "fence.i-2");
	assert_int_equal(b->h.x[1], 111);
	run_compare(300, 300, "fence.i-3");
	assert_int_equal(b->h.x[1], 111 + 100 * 100);
}

/* Inline F/D and fflags: the guest clears fflags (CSR, interpreted) between runs of a block
 * whose operations are exact, after another block raised NX, and the host thread starts with
 * stale MXCSR flags of its own: fflags must stay exact; a trap between FP instructions (FLD
 * from an unmapped address) must leave the flags raised before it accrued. */
static void test_fp_flags(void **state)
{
	const uint32_t prog[] = {
	    R(0x01, 3, 2, 7, 1, 0x53), /* fadd.d f1, f2, f3: inexact */
	    CSRRW(0, 0x001, 0),	       /* fflags = 0 */
	    R(0x09, 5, 5, 7, 4, 0x53), /* fmul.d f4, f5, f5: exact */
	    R(0x71, 0, 4, 0, 9, 0x53), /* fmv.x.d x9, f4 */
	    ADDI(31, 31, -1),
	    BNE(31, 0, -20),		/* 5 times */
	    R(0x0d, 6, 2, 0, 7, 0x53),	/* fdiv.d f7, f2, f6 (by zero: DZ) */
	    I(0, 4, 3, 8, 0x07),	/* fld f8, 0(x4): access fault */
	    R(0x09, 6, 0, 0, 10, 0x53), /* fmul.d f10, f0, f6 (inf * 0: NV) */
	    JAL(0, 0),
	};

	(void)state;
	both_code(CODE, prog, sizeof(prog) / 4);
	for (unsigned chunk = 1; chunk <= 40; chunk += 39) {
		reset_both();
		for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
			struct hart *h = &(*t)->h;

			h->mstatus |= 3ULL << 13 | 1ULL << 63; /* FS Dirty */
			h->frm = 0;
			h->fflags = 0;
			h->f[2] = 0x3ff0000000000000ULL; /* 1.0 */
			h->f[3] = 0x3c30000000000000ULL; /* 2^-60 */
			h->f[5] = 0x4000000000000000ULL; /* 2.0 */
			h->f[6] = 0;
			h->f[0] = 0x7ff0000000000000ULL; /* inf */
			h->x[4] = 0x1000;
			h->x[31] = 5;
		}
		volatile double x = 1.0, y = 3.0, z = x / y; /* host: MXCSR PE set */
		(void)z;
		run_compare(60, chunk, "fp-flags");
		assert_int_equal(b->h.x[9], 0x4010000000000000ULL);
		assert_int_equal(b->h.fflags, 0x08 | 0x10); /* DZ, then NV after the trap */
		assert_int_equal(b->h.mcause, EXC_LOAD_ACCESS);
	}
}

/* Registers live across chained blocks (a two-block loop on one page, with a load and a
 * store), an interrupt raised while the loop runs (taken by both engines at the same
 * instruction), and a trap in the middle of a block after it. */
static void test_interrupt_in_chained_loop(void **state)
{
	const uint64_t handler = RAM_BASE + 0x9000;
	const uint32_t prog[] = {
	    ADDI(12, 12, 1), ADD(13, 13, 12), LD(14, 30, 0), BEQ(0, 0, 8), /* -> ADDI x15 */
	    ADDI(0, 0, 0),   ADDI(15, 15, 7), SD(13, 30, 8), ADDI(31, 31, -1),
	    BNE(31, 0, -32), /* 3000 times */
	    LD(3, 4, 0),     /* x4 unmapped: access fault in the middle of the block */
	    ADDI(11, 11, 1), JAL(0, 0),
	};
	const uint32_t irq[] = {
	    CSRRS(9, 0x342, 0),	 /* x9 = mcause */
	    ADDI(29, 29, 1),	 /* count */
	    CSRRC(0, 0x304, 10), /* mie &= ~x10: this source off */
	    MRET,
	};

	(void)state;
	both_code(CODE, prog, sizeof(prog) / 4);
	both_code(handler, irq, sizeof(irq) / 4);
	reset_both();
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
		struct hart *h = &(*t)->h;

		h->x[12] = h->x[13] = h->x[15] = h->x[29] = h->x[11] = 0;
		h->x[31] = 3000;
		h->x[10] = 1U << IRQ_M_SOFT;
		h->x[4] = 0x1000;
		h->mie = 1U << IRQ_M_SOFT;
		h->mstatus |= 1U << 3; /* MIE */
	}
	a->h.mtvec = b->h.mtvec = handler;
	run_compare(5000, 97, "chained loop");
	hart_set_irq(&a->h, IRQ_M_SOFT, true);
	hart_set_irq(&b->h, IRQ_M_SOFT, true);
	run_compare(3000, 89, "interrupt");
	assert_int_equal(b->h.x[29], 1);
	assert_int_equal(b->h.x[9], (1ULL << 63) | IRQ_M_SOFT);
	/* the loop went on after the interrupt: its registers survived it */
	a->h.mtvec = b->h.mtvec = MTVEC; /* the access fault: skip the load */
	run_compare(40000, 4999, "after");
	assert_int_equal(b->h.x[31], 0);
	assert_int_equal(b->h.x[12], 3000);
	assert_int_equal(b->h.x[15], 7 * 3000);
	assert_int_equal(b->h.x[11], 1);
	assert_int_equal(b->h.mcause, EXC_LOAD_ACCESS);
}

/* Loop blocks (the last instruction jumps back to the block's start): registers stay in host
 * registers across iterations; stopped at every few instructions (the budget runs out inside
 * the loop), with and without a trapping load in every iteration, with a store that rewrites
 * the loop's own code in the last iteration, and with inline F/D (f registers in xmm
 * registers across iterations, fflags raised inside the loop). */
static void test_loop_block(void **state)
{
	const uint64_t loop = RAM_BASE + 0x2000;
	for (unsigned variant = 0; variant < 4; variant++) {
		uint32_t prog[] = {
		    LD(5, 30, 0),
		    ADD(6, 6, 5),
		    SD(6, 30, 8),
		    ADDI(30, 30, 16),
		    variant == 1 ? LD(9, 8, 0) : ADDI(9, 9, 3), /* x8 unmapped: faults */
		    ADDI(7, 7, -1),
		    BNE(7, 0, -24),
		    JAL(0, 0),
		};
		const uint32_t fprog[] = {
		    I(0, 30, 3, 1, 0x07),      /* fld f1, 0(x30) */
		    R(0x01, 1, 2, 7, 2, 0x53), /* fadd.d f2, f2, f1 (dyn) */
		    R(0x09, 2, 2, 0, 3, 0x53), /* fmul.d f3, f2, f2: overflows at some point */
		    S(8, 3, 30, 3, 0x27),      /* fsd f3, 8(x30) */
		    ADDI(30, 30, 16),	       ADDI(7, 7, -1), BNE(7, 0, -24), JAL(0, 0),
		};

		if (variant == 3)
			memcpy(prog, fprog, sizeof(prog));
		(void)state;
		both_code(loop, prog, sizeof(prog) / 4);
		for (uint64_t chunk = 1; chunk <= 1000; chunk = chunk * 7 + 2) {
			both_code(loop, prog, sizeof(prog) / 4);
			reset_both();
			for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
				struct hart *h = &(*t)->h;

				h->pc = loop;
				h->x[6] = 1;
				h->x[7] = 200;
				h->x[8] = 0x1000;
				h->x[30] = DATA;
				if (variant == 3) { /* FS Dirty, frm RNE: the inline body; FLD
						     * misses the TLB in the 101st iteration */
					h->x[30] = DATA + 4096 - 100 * 16;
					h->mstatus |= 3ULL << 13 | 1ULL << 63;
					h->frm = 0;
					h->fflags = 0;
					h->f[2] = 0;
				}
				if (variant == 2) /* the 200th iteration's SD hits the BNE */
					h->x[30] = loop + 6 * 4 - 8 - 199 * 16;
			}
			run_compare(4000, chunk, "loop");
		}
		if (variant != 2) {
			assert_int_equal(b->h.x[7], 0);
			assert_int_equal(b->h.x[30],
					 DATA + 200 * 16 + (variant == 3 ? 4096 - 1600 : 0));
			assert_int_equal(b->h.pc, loop + 7 * 4);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_programs),
	    cmocka_unit_test(test_trap_mid_block),
	    cmocka_unit_test(test_self_modifying),
	    cmocka_unit_test(test_rewrite_translated_block),
	    cmocka_unit_test(test_untracked_write_then_fence_i),
	    cmocka_unit_test(test_rewrite_around_threshold),
	    cmocka_unit_test(test_tiering),
	    cmocka_unit_test(test_lookup_cache_generations_wrap),
	    cmocka_unit_test(test_fp_flags),
	    cmocka_unit_test(test_interrupt_in_chained_loop),
	    cmocka_unit_test(test_loop_block),
	};
	int r = cmocka_run_group_tests_name("translate at once", tests, setup_hot1, teardown);

	return r | cmocka_run_group_tests_name("tiered", tests, setup_tiered, teardown);
}
