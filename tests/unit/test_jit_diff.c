/* Differential tests of the binary translator: the same programs run on two identical
 * machines, one interpreting and one translating, and the full hart state (registers, pc,
 * privilege, trap CSRs, instret) and memory must match, also when stopping every few
 * instructions. Random RV64IM programs with loads/stores (aligned, misaligned, across pages),
 * branches and compressed instructions; traps in the middle of a block; self-modifying code
 * with and without FENCE.I. Everything runs twice: blocks translated at their first entry
 * (GASANG_JIT_HOT=1), and tiered (cold blocks interpreted until they are hot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "accel/emu/jit/jit.h"
#include "rv_asm.h"

#define CODE   (RAM_BASE + 0xf00) /* programs cross the page at RAM_BASE + 0x1000 */
#define DATA   (RAM_BASE + 0x10000)
#define MTVEC  (RAM_BASE + 0x8000)
#define MAXLEN 400

static struct rvt *a, *b; /* a interprets, b translates */
static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static int setup(void **state)
{
	(void)state;
	a = rvt_new();
	b = rvt_new();
	hart_use_jit(&a->h, false);
	return hart_use_jit(&b->h, true);
}

static int setup_hot1(void **state)
{
	setenv("GASANG_JIT_HOT", "1", 1);
	return setup(state);
}

static int setup_tiered(void **state)
{
	unsetenv("GASANG_JIT_HOT");
	return setup(state);
}

static int teardown(void **state)
{
	(void)state;
	rvt_free(a);
	rvt_free(b);
	return 0;
}

static void both_code(uint64_t gpa, const uint32_t *code, size_t n)
{
	rvt_code(a, gpa, code, n);
	rvt_code(b, gpa, code, n);
}

static void compare(const char *what)
{
	struct hart *x = &a->h, *y = &b->h;

	for (unsigned r = 0; r < 32; r++)
		if (x->x[r] != y->x[r])
			fail_msg("%s: x%u interp %#llx jit %#llx", what, r,
				 (unsigned long long)x->x[r], (unsigned long long)y->x[r]);
	assert_memory_equal(x->f, y->f, sizeof(x->f));
	assert_int_equal(x->fflags, y->fflags);
	assert_int_equal(x->pc, y->pc);
	assert_int_equal(x->priv, y->priv);
	assert_int_equal(x->instret, y->instret);
	assert_int_equal(x->mcause, y->mcause);
	assert_int_equal(x->mepc, y->mepc);
	assert_int_equal(x->mtval, y->mtval);
	assert_int_equal(x->mstatus, y->mstatus);
	assert_memory_equal(rvt_ptr(a, DATA), rvt_ptr(b, DATA), 8);
	assert_memory_equal(gmem_ptr(&a->m.mem, DATA, 8192), gmem_ptr(&b->m.mem, DATA, 8192), 8192);
}

/* Initial f registers: random bits, or special doubles (NaNs, infinities, zeros,
 * subnormals, extremes), or boxed/unboxed singles. */
static uint64_t fp_special(uint64_t v, unsigned r)
{
	static const uint64_t sp[] = {
	    0x7ff8000000000000ULL, 0x7ff0000000000001ULL, 0xfff8000000000123ULL, /* NaNs */
	    0x7ff0000000000000ULL, 0xfff0000000000000ULL, 0,
	    0x8000000000000000ULL, 0x0000000000000001ULL, 0x000fffffffffffffULL,
	    0x0010000000000000ULL, 0x7fefffffffffffffULL, 0x3ff0000000000000ULL,
	    0xbff8000000000000ULL, 0x4000000000000000ULL, 0x3cb0000000000000ULL,
	    0xffffffff3f800000ULL, 0xffffffff7fc00000ULL, 0x000000003f800000ULL,
	    0x43e0000000000000ULL,
	};

	switch ((v >> 3) % 4) {
	case 0:
		return v * 0x9e3779b97f4a7c15ULL;
	case 1:
		return sp[(v >> 5) % (sizeof(sp) / sizeof(sp[0]))];
	default: /* ordinary doubles of moderate range, so arithmetic stays interesting */
		return (0x3f0ULL + (v >> 40) % 0x20) << 52 | ((v * r) & 0xfffffffffffffULL) |
		       (v & 0x8000000000000000ULL);
	}
}

/* Same initial state on both, pc at CODE, machine mode. */
static void reset_both(void)
{
	uint64_t regs[32];

	for (unsigned r = 0; r < 32; r++)
		regs[r] = r == 0 ? 0 : (rnd() & 1) ? rnd() : (uint64_t)(int64_t)(int8_t)rnd();
	regs[30] = DATA + 4096;
	memset(gmem_ptr(&a->m.mem, DATA, 8192), 0x5a, 8192);
	memset(gmem_ptr(&b->m.mem, DATA, 8192), 0x5a, 8192);
	for (struct rvt **t = (struct rvt *[]){a, b, NULL}; *t; t++) {
		hart_reset(&(*t)->h, PRV_M, CODE);
		memcpy((*t)->h.x, regs, sizeof(regs));
		(*t)->h.mtvec = MTVEC;
		/* FS Off (FP traps), Initial, Clean or Dirty (inline F/D from the start) */
		(*t)->h.mstatus |= (regs[1] & 3) << 13;
		(*t)->h.fflags = (unsigned)(regs[2] >> 8) & 31 & -(unsigned)(regs[2] & 1);
		/* frm: mostly RNE (inline), sometimes RTZ/RUP or reserved (traps on DYN) */
		(*t)->h.frm = (regs[3] & 7) < 5 ? 0 : (unsigned)(regs[3] >> 8) & 7;
		for (unsigned r = 0; r < 32; r++)
			(*t)->h.f[r] = fp_special(regs[r], r);
	}
	/* The trap handler skips the faulting instruction (all are 4 bytes there). */
	const uint32_t handler[] = {
	    CSRRS(5, 0x341, 0), ADDI(5, 5, 4),	CSRRW(0, 0x341, 5),
	    CSRRS(6, 0x342, 0), ADD(29, 29, 6), MRET,
	};
	both_code(MTVEC, handler, sizeof(handler) / 4);
}

static uint32_t c_pair(void)
{
	/* Two compressed ALU instructions on registers x8..x15 / any rd except x30, x31 */
	unsigned rd = 1 + (unsigned)(rnd() % 29), rs = 1 + (unsigned)(rnd() % 29);
	int imm = (int)(rnd() % 64) - 32;
	uint16_t c1 =
	    (uint16_t)((((unsigned)imm >> 5) & 1) << 12 | rd << 7 | ((unsigned)imm & 31) << 2 | 1);
	uint16_t c2 = (uint16_t)((rnd() & 1 ? 0x9002 : 0x8002) | rd << 7 | rs << 2);

	return (uint32_t)c1 | (uint32_t)c2 << 16;
}

/* Programs where half the instructions are F/D: blocks use more f registers than the
 * translator caches in xmm registers. */
static bool fp_heavy;

/* One random instruction at index k of n; x30 (data pointer) and x31 (loop count) kept. */
static uint32_t random_insn(unsigned k, unsigned n)
{
	unsigned rd = 1 + (unsigned)(rnd() % 29), r1 = (unsigned)(rnd() % 32),
		 r2 = (unsigned)(rnd() % 32);
	int32_t imm = (int32_t)(rnd() % 4096) - 2048;
	int32_t mo = (int32_t)(rnd() % 4000) - 2000; /* offset from x30 into DATA */

	if (rnd() % 16 == 0)
		rd = 0;
	switch (fp_heavy && (rnd() & 1) ? 12 : rnd() % 14) {
	case 13: /* FENCE, AMOs (some misaligned or invalid: traps), CSR reads and writes */
		switch (rnd() % 6) {
		case 0:
			return FENCE;
		case 1: {
			static const unsigned f5[] = {0, 1, 4, 8, 0xc, 0x10, 0x14, 0x18, 0x1c, 5};

			return AMO(f5[rnd() % 10], 2 + (unsigned)(rnd() % 2), rd,
				   rnd() % 8 ? 30 : r1, r2) |
			       (uint32_t)(rnd() % 4) << 25; /* aq, rl */
		}
		case 2:
			return rnd() & 1 ? LR_D(rd, 30) : SC_D(rd, 30, r2);
		case 3:
			return CSRRS(rd, rnd() & 1 ? 0xc02 : 0xb00, 0); /* instret, mcycle */
		case 4:
			return CSRRW(rd, 0x340, r1); /* mscratch */
		default:
			return CSRRSI(rd, 0x001, 0); /* fflags (FS may be Off: trap) */
		}
	case 12: {
		unsigned fd = (unsigned)(rnd() % 32), fa = (unsigned)(rnd() % 32);
		unsigned fb = (unsigned)(rnd() % 32);

		/* rounding modes: mostly RNE/DYN (inline), some RTZ/RUP/RMM (helper) */
		unsigned rm = (unsigned[]){0, 7, 0, 7, 1, 3, 4}[rnd() % 7];

		switch (rnd() % 16) {
		case 0:
			return I(mo & ~7, 30, 3, fd, 0x07); /* FLD */
		case 1:
			return S(mo, fa, 30, 3, 0x27); /* FSD */
		case 2:				       /* FADD/FSUB/FMUL/FDIV.D */
			return R((unsigned[]){0x01, 0x05, 0x09, 0x0d}[rnd() % 4], fb, fa, rm, fd,
				 0x53);
		case 3:
			return R(0x09, fb, fa, 0, fd, 0x53); /* FMUL.D rne */
		case 4:
			return R(0x79, 0, r1, 0, fd, 0x53); /* FMV.D.X */
		case 5:
			return R(0x71, 0, fa, 0, rd, 0x53); /* FMV.X.D */
		case 6:
			return R(0x2d, 0, fa, rm, fd, 0x53); /* FSQRT.D */
		case 7: /* FSGNJ/FSGNJN/FSGNJX.D (also the fmv/fneg/fabs forms) */
			return R(0x11, rnd() & 1 ? fa : fb, fa, (unsigned)(rnd() % 3), fd, 0x53);
		case 8: /* FLE/FLT/FEQ.D */
			return R(0x51, fb, fa, (unsigned)(rnd() % 3), rd, 0x53);
		case 9: /* FCVT.D.W/WU/L/LU */
			return R(0x69, (unsigned)(rnd() % 4), r1, rm, fd, 0x53);
		case 10:
			return I(mo & ~3, 30, 2, fd, 0x07); /* FLW */
		case 11:
			return S(mo & ~3, fa, 30, 2, 0x27); /* FSW */
		case 12:
			return R(0x70, 0, fa, 0, rd, 0x53); /* FMV.X.W */
		case 13:
			return R(0x78, 0, r1, 0, fd, 0x53); /* FMV.W.X */
		case 14: /* single-precision and other ops: through the helper */
			return R((unsigned[]){0x00, 0x08, 0x15, 0x61}[rnd() % 4], fb & 1, fa, rm,
				 fd, 0x53);
		default:
			return R(0x01, fb, fa, 7, fd, 0x53); /* FADD.D, dynamic rm */
		}
	}
	case 0:
		return OP((rnd() & 1) ? 0 : 1, (unsigned)(rnd() % 8), rd, r1, r2);
	case 1:
		return rnd() & 1 ? SUB(rd, r1, r2) : SRA(rd, r1, r2);
	case 2:
		return OPW((rnd() & 1) ? 0 : 1, (unsigned)(rnd() % 8), rd, r1,
			   r2); /* some illegal */
	case 3: {
		unsigned f3 = (unsigned)(rnd() % 8);

		if (f3 == 1)
			return SLLI(rd, r1, (int)(rnd() % 64));
		if (f3 == 5)
			return rnd() & 1 ? SRLI(rd, r1, (int)(rnd() % 64))
					 : SRAI(rd, r1, (int)(rnd() % 64));
		return I(imm, r1, f3, rd, 0x13);
	}
	case 4:
		return rnd() & 1 ? SRAI(rd, r1, (int)(rnd() % 64))
				 : SRAIW(rd, r1, (int)(rnd() % 32));
	case 5: /* also sext.w (ADDIW 0) and SRLIW (its sign extension is implicit) */
		switch (rnd() % 4) {
		case 0:
			return ADDIW(rd, r1, rnd() & 1 ? imm : 0);
		case 1:
			return SRLIW(rd, r1, (int)(rnd() % 32));
		default:
			return SLLIW(rd, r1, (int)(rnd() % 32));
		}
	case 6:
		return rnd() & 1 ? LUI(rd, (uint32_t)rnd() & 0xfffff)
				 : AUIPC(rd, (uint32_t)rnd() & 0xfffff);
	case 7:
	case 8:
		return I(mo, 30, (unsigned)(rnd() % 7), rd, 0x03);
	case 9:
		return S(mo, r2, 30, (unsigned)(rnd() % 4), 0x23);
	case 10:
		if (k + 2 < n) { /* forward branch inside the body */
			unsigned left = n - k - 1;
			int32_t off = 4 * (int32_t)(1 + rnd() % (left < 8 ? left : 8));

			return B(off, r2, r1, (unsigned[]){0, 1, 4, 5, 6, 7}[rnd() % 6]);
		}
		return NOP;
	default:
		return c_pair();
	}
}

static void run_compare(uint64_t steps, uint64_t chunk, const char *what)
{
	for (uint64_t done = 0; done < steps; done += chunk) {
		hart_step(&a->h, chunk);
		hart_step(&b->h, chunk);
		compare(what);
	}
}

static void test_random_programs(void **state)
{
	uint32_t prog[MAXLEN + 4];

	(void)state;
	for (unsigned iter = 0; iter < 300; iter++) {
		unsigned n = 1 + (unsigned)(rnd() % MAXLEN);
		unsigned i;

		fp_heavy = iter % 3 == 2;
		for (i = 0; i < n; i++)
			prog[i] = random_insn(i, n);
		/* loop 5 times over the body, then spin */
		prog[i++] = ADDI(31, 31, -1);
		prog[i] = BNE(31, 0, -(int32_t)(4 * i));
		i++;
		prog[i++] = JAL(0, 0);
		both_code(CODE, prog, i);
		reset_both();
		a->h.x[31] = b->h.x[31] = 5;
		run_compare(iter % 2 ? 20000 : 60, iter % 2 ? 5000 : 1 + rnd() % 7, "random");
	}
}

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

/* Return-address prediction (translate_ret.c): recursion deeper than the ring, a call
 * through JALR returning through x5, a callee that returns past the instruction after its
 * call (a mispredicted return), stopped at many points; then a callee on another page that
 * rewrites the instruction its caller returns to: the return must run the new instruction,
 * not the dropped block the ring pointed at. */
static void test_return_prediction(void **state)
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
	/* TLB flushes and context changes empty the ring (returns would skip the fetch TLB). */
	core_of(&b->h)->jit_ret[3].pc = base;
	hart_flush_tlb(&b->h);
	assert_int_equal(core_of(&b->h)->jit_ret[3].pc, 1);
	core_of(&b->h)->jit_ret[5].pc = base;
	mmu_flush_page(&b->h, base);
	assert_int_equal(core_of(&b->h)->jit_ret[5].pc, 1);
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
	test_loop_block(state);
	a->p.flat_loads = b->p.flat_loads = false;
	assert_ptr_equal(core_of(&b->h)->jit_flat_hva, gmem_ptr(&b->m.mem, RAM_BASE, 1));
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
	    cmocka_unit_test(test_return_prediction),
	    cmocka_unit_test(test_out_of_line_slow_paths),
	    cmocka_unit_test(test_flat_loads),
	};
	int r = cmocka_run_group_tests_name("translate at once", tests, setup_hot1, teardown);

	return r | cmocka_run_group_tests_name("tiered", tests, setup_tiered, teardown);
}
