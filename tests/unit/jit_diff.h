/* The differential harness of the translator's tests (test_jit_diff*.c): two identical
 * machines, a interpreting and b translating; random programs; compare everything. */
#ifndef GASANG_TESTS_UNIT_JIT_DIFF_H
#define GASANG_TESTS_UNIT_JIT_DIFF_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "accel/emu/jit/jit.h"
#include "accel/emu/jit/translate.h"
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

#endif
