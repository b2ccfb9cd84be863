/* Reference F/D results from a real RISC-V implementation (qemu-riscv64 in user mode, or any
 * riscv64 Linux machine): executes every F/D operation in every rounding mode on many operands
 * and prints one line per execution:
 *
 *   insn frm f1 f2 f3 x11 -> f0 x10 fflags      (hex)
 *
 * Operand registers are f1, f2, f3 (rs1, rs2, rs3) and x11 (integer source); results land in
 * f0 or x10. tests/unit/test_rv_fpu_qemu.c runs the same instruction words on gasang's FPU and
 * compares. Build: riscv64-linux-gnu-gcc -O2 -static -o fpu_vectors fpu_vectors.c
 * Usage: fpu_vectors [rounds] [seed] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct regs {
	uint64_t f1, f2, f3, x11; /* inputs */
	uint64_t f0, x10, fflags; /* outputs */
};

/* A template executed from a writable copy: the slot gets the instruction under test. */
__asm__(".pushsection .text\n"
	".option push\n"
	".option norvc\n"
	".globl stub_start\n"
	"stub_start:\n"
	"  mv t6, a0\n"
	"  fld f1, 0(t6)\n"
	"  fld f2, 8(t6)\n"
	"  fld f3, 16(t6)\n"
	"  ld a1, 24(t6)\n"
	"  li a0, 0x5555\n"
	"  fmv.d.x f0, a0\n"
	"  fsflags zero\n"
	".globl stub_slot\n"
	"stub_slot:\n"
	"  nop\n"
	"  frflags t5\n"
	"  fsd f0, 32(t6)\n"
	"  sd a0, 40(t6)\n"
	"  sd t5, 48(t6)\n"
	"  ret\n"
	".globl stub_end\n"
	"stub_end:\n"
	".option pop\n"
	".popsection\n");
extern const char stub_start[], stub_slot[], stub_end[];

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Operands biased toward the cases where implementations differ. */
static uint64_t operand(int dbl)
{
	unsigned mb = dbl ? 52 : 23, eb = dbl ? 11 : 8;
	uint64_t emax = (1ull << eb) - 1, bias = emax >> 1, r = rnd();
	uint64_t sign = (r & 1) << (mb + eb), mant = rnd() & ((1ull << mb) - 1), e;
	switch ((r >> 1) % 12) {
	case 10:
	case 11: {
		/* 0, 1, min/max subnormal, min normal, max, inf, qNaN, sNaN, 0.5, then the integer
		 * conversion limits 2^31 - 1, 2^31, 2^32, 2^63, 2^64. */
		static const uint32_t ss[] = {0,	  0x3f800000, 1,	  0x007fffff,
					      0x00800000, 0x7f7fffff, 0x7f800000, 0x7fc00000,
					      0x7f800001, 0x3f000000, 0x4effffff, 0x4f000000,
					      0x4f800000, 0x5f000000, 0x5f800000};
		static const uint64_t sd[] = {0,
					      0x3ff0000000000000ull,
					      1,
					      0x000fffffffffffffull,
					      0x0010000000000000ull,
					      0x7fefffffffffffffull,
					      0x7ff0000000000000ull,
					      0x7ff8000000000000ull,
					      0x7ff0000000000001ull,
					      0x3fe0000000000000ull,
					      0x41dfffffffc00000ull,
					      0x41e0000000000000ull,
					      0x41f0000000000000ull,
					      0x43e0000000000000ull,
					      0x43f0000000000000ull};
		unsigned k = (r >> 12) % 15;
		uint64_t v = dbl ? sd[k] | sign : ss[k] | sign;
		return dbl ? v : v | 0xffffffff00000000ull;
	}
	case 0:
		e = 0; /* zero or subnormal */
		if (r & 0x100)
			mant = 0;
		break;
	case 1:
		e = emax; /* inf, qNaN, sNaN */
		if (r & 0x100)
			mant = 0;
		else if (r & 0x200)
			mant |= 1ull << (mb - 1);
		break;
	case 2:
		e = emax - 1 - (r >> 10) % 2; /* overflow territory */
		break;
	case 3:
		e = 1 + (r >> 10) % 30; /* underflow territory */
		break;
	case 4:
		mant &= ~((1ull << (mb - 4)) - 1); /* short significands: exact results and ties */
		e = bias + (r >> 10) % 12 - 4;
		break;
	case 5:
		e = bias + 20 + (r >> 10) % 50; /* near the integer conversion limits */
		break;
	default:
		e = bias + (r >> 10) % 64 - 32;
		break;
	}
	uint64_t v = sign | e << mb | mant;
	if (!dbl && (r >> 20) % 32 != 0)
		v |= 0xffffffff00000000ull; /* NaN-boxed, except now and then */
	return v;
}

static uint64_t int_operand(void)
{
	uint64_t r = rnd();
	switch (r % 6) {
	case 0:
		return (int64_t)(int8_t)(r >> 8);
	case 1:
		return (1ull << ((r >> 8) % 64)) + ((r >> 16) % 5) - 2; /* around powers of two */
	case 2:
		return (uint64_t)(int64_t)(int32_t)rnd();
	case 3:
		return rnd() >> ((r >> 8) % 64);
	default:
		return rnd();
	}
}

#define OPFP(f7, rs2) ((uint32_t)(f7) << 25 | (uint32_t)(rs2) << 20 | 1u << 15 | 0x53)
#define R4(opc, fmt)  (3u << 27 | (uint32_t)(fmt) << 25 | 2u << 20 | 1u << 15 | (opc))

struct op {
	uint32_t insn; /* without rd and rm/funct3 */
	int rm;	       /* 1: rm field varies; 0: funct3 is fixed (given in fixed) */
	int fixed;
	int dbl; /* operand format */
	int int_dest, int_src;
};

static const struct op ops[] = {
    /* arithmetic */
    {OPFP(0x00, 2), 1, 0, 0, 0, 0},
    {OPFP(0x01, 2), 1, 0, 1, 0, 0},
    {OPFP(0x04, 2), 1, 0, 0, 0, 0},
    {OPFP(0x05, 2), 1, 0, 1, 0, 0},
    {OPFP(0x08, 2), 1, 0, 0, 0, 0},
    {OPFP(0x09, 2), 1, 0, 1, 0, 0},
    {OPFP(0x0c, 2), 1, 0, 0, 0, 0},
    {OPFP(0x0d, 2), 1, 0, 1, 0, 0},
    {OPFP(0x2c, 0), 1, 0, 0, 0, 0},
    {OPFP(0x2d, 0), 1, 0, 1, 0, 0},
    {R4(0x43, 0), 1, 0, 0, 0, 0},
    {R4(0x43, 1), 1, 0, 1, 0, 0},
    {R4(0x47, 0), 1, 0, 0, 0, 0},
    {R4(0x47, 1), 1, 0, 1, 0, 0},
    {R4(0x4b, 0), 1, 0, 0, 0, 0},
    {R4(0x4b, 1), 1, 0, 1, 0, 0},
    {R4(0x4f, 0), 1, 0, 0, 0, 0},
    {R4(0x4f, 1), 1, 0, 1, 0, 0},
    /* conversions */
    {OPFP(0x20, 1), 1, 0, 1, 0, 0},
    {OPFP(0x21, 0), 1, 0, 0, 0, 0},
    {OPFP(0x60, 0), 1, 0, 0, 1, 0},
    {OPFP(0x60, 1), 1, 0, 0, 1, 0},
    {OPFP(0x60, 2), 1, 0, 0, 1, 0},
    {OPFP(0x60, 3), 1, 0, 0, 1, 0},
    {OPFP(0x61, 0), 1, 0, 1, 1, 0},
    {OPFP(0x61, 1), 1, 0, 1, 1, 0},
    {OPFP(0x61, 2), 1, 0, 1, 1, 0},
    {OPFP(0x61, 3), 1, 0, 1, 1, 0},
    {OPFP(0x68, 0), 1, 0, 0, 0, 1},
    {OPFP(0x68, 1), 1, 0, 0, 0, 1},
    {OPFP(0x68, 2), 1, 0, 0, 0, 1},
    {OPFP(0x68, 3), 1, 0, 0, 0, 1},
    {OPFP(0x69, 0), 1, 0, 1, 0, 1},
    {OPFP(0x69, 1), 1, 0, 1, 0, 1},
    {OPFP(0x69, 2), 1, 0, 1, 0, 1},
    {OPFP(0x69, 3), 1, 0, 1, 0, 1},
    /* sign injection, min/max, compares, class, moves */
    {OPFP(0x10, 2), 0, 0, 0, 0, 0},
    {OPFP(0x10, 2), 0, 1, 0, 0, 0},
    {OPFP(0x10, 2), 0, 2, 0, 0, 0},
    {OPFP(0x11, 2), 0, 0, 1, 0, 0},
    {OPFP(0x11, 2), 0, 1, 1, 0, 0},
    {OPFP(0x11, 2), 0, 2, 1, 0, 0},
    {OPFP(0x14, 2), 0, 0, 0, 0, 0},
    {OPFP(0x14, 2), 0, 1, 0, 0, 0},
    {OPFP(0x15, 2), 0, 0, 1, 0, 0},
    {OPFP(0x15, 2), 0, 1, 1, 0, 0},
    {OPFP(0x50, 2), 0, 0, 0, 1, 0},
    {OPFP(0x50, 2), 0, 1, 0, 1, 0},
    {OPFP(0x50, 2), 0, 2, 0, 1, 0},
    {OPFP(0x51, 2), 0, 0, 1, 1, 0},
    {OPFP(0x51, 2), 0, 1, 1, 1, 0},
    {OPFP(0x51, 2), 0, 2, 1, 1, 0},
    {OPFP(0x70, 0), 0, 1, 0, 1, 0},
    {OPFP(0x71, 0), 0, 1, 1, 1, 0},
    {OPFP(0x70, 0), 0, 0, 0, 1, 0},
    {OPFP(0x71, 0), 0, 0, 1, 1, 0},
    {OPFP(0x78, 0), 0, 0, 0, 0, 1},
    {OPFP(0x79, 0), 0, 0, 1, 0, 1},
};

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 300;
	if (argc > 2)
		rng = strtoull(argv[2], NULL, 0) | 1;
	size_t len = (size_t)(stub_end - stub_start), slot = (size_t)(stub_slot - stub_start);
	char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memcpy(code, stub_start, len);
	void (*stub)(struct regs *) = (void (*)(struct regs *))(void *)code;

	for (long i = 0; i < rounds; i++) {
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			const struct op *o = &ops[k];
			struct regs r = {operand(o->dbl),
					 operand(o->dbl),
					 operand(o->dbl),
					 int_operand(),
					 0,
					 0,
					 0};
			/* Pairs that matter: x and -x (exact zero sums, min/max of signed zeros,
			 * compares), x and x. */
			if (i % 8 == 1)
				r.f2 = r.f1 ^ (o->dbl ? 1ull << 63 : 1ull << 31);
			else if (i % 8 == 2)
				r.f2 = r.f1;
			/* FCVT.S.D reads a double, FCVT.D.S a single. */
			if (o->insn == OPFP(0x20, 1))
				r.f1 = operand(1);
			unsigned nrm = o->rm ? 6 : 1;
			for (unsigned m = 0; m < nrm; m++) {
				unsigned f3 = o->rm ? (m < 5 ? m : 7) : (unsigned)o->fixed;
				unsigned frm = m < 5 ? (unsigned)(i % 5) : (unsigned)((i + k) % 5);
				uint32_t insn = o->insn | f3 << 12 | (o->int_dest ? 10u : 0u) << 7;
				if (o->int_src)
					insn = (insn & ~(31u << 15)) | 11u << 15;
				memcpy(code + slot, &insn, 4);
				__asm__ volatile("fence.i" ::: "memory");
				__asm__ volatile("fsrm %0" : : "r"(frm));
				stub(&r);
				printf("%08x %u %016llx %016llx %016llx %016llx %016llx %016llx "
				       "%02llx\n",
				       insn, frm, (unsigned long long)r.f1,
				       (unsigned long long)r.f2, (unsigned long long)r.f3,
				       (unsigned long long)r.x11, (unsigned long long)r.f0,
				       (unsigned long long)r.x10, (unsigned long long)r.fflags);
			}
		}
	}
	return 0;
}
