/* A tiny RV64 assembler and a test machine for the CPU core's unit tests. Encodings follow the
 * instruction formats of the unprivileged ISA spec (R/I/S/B/U/J and the RVC formats). */
#ifndef GASANG_TESTS_RV_ASM_H
#define GASANG_TESTS_RV_ASM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel/emu/cpu.h"
#include "base/util.h"
#include "machine/machine.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (4 * MiB)

/* Formats. */
static inline uint32_t R(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
			 unsigned op)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static inline uint32_t I(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static inline uint32_t S(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned op)
{
	uint32_t u = (uint32_t)imm;
	return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | op;
}
static inline uint32_t B(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3)
{
	uint32_t u = (uint32_t)imm;
	return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | 0x63;
}
static inline uint32_t U(uint32_t imm20, unsigned rd, unsigned op)
{
	return imm20 << 12 | rd << 7 | op;
}
static inline uint32_t J(int32_t imm, unsigned rd)
{
	uint32_t u = (uint32_t)imm;
	return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 |
	       (u >> 12 & 0xff) << 12 | rd << 7 | 0x6f;
}

/* RV64I */
#define LUI(rd, imm20)	      U(imm20, rd, 0x37)
#define AUIPC(rd, imm20)      U(imm20, rd, 0x17)
#define JAL(rd, off)	      J(off, rd)
#define JALR(rd, rs1, off)    I(off, rs1, 0, rd, 0x67)
#define BEQ(a, b, off)	      B(off, b, a, 0)
#define BNE(a, b, off)	      B(off, b, a, 1)
#define BLT(a, b, off)	      B(off, b, a, 4)
#define BGE(a, b, off)	      B(off, b, a, 5)
#define BLTU(a, b, off)	      B(off, b, a, 6)
#define BGEU(a, b, off)	      B(off, b, a, 7)
#define LB(rd, rs1, off)      I(off, rs1, 0, rd, 0x03)
#define LH(rd, rs1, off)      I(off, rs1, 1, rd, 0x03)
#define LW(rd, rs1, off)      I(off, rs1, 2, rd, 0x03)
#define LD(rd, rs1, off)      I(off, rs1, 3, rd, 0x03)
#define LBU(rd, rs1, off)     I(off, rs1, 4, rd, 0x03)
#define LHU(rd, rs1, off)     I(off, rs1, 5, rd, 0x03)
#define LWU(rd, rs1, off)     I(off, rs1, 6, rd, 0x03)
#define SB(rs2, rs1, off)     S(off, rs2, rs1, 0, 0x23)
#define SH(rs2, rs1, off)     S(off, rs2, rs1, 1, 0x23)
#define SW(rs2, rs1, off)     S(off, rs2, rs1, 2, 0x23)
#define SD(rs2, rs1, off)     S(off, rs2, rs1, 3, 0x23)
#define ADDI(rd, rs1, imm)    I(imm, rs1, 0, rd, 0x13)
#define SLTI(rd, rs1, imm)    I(imm, rs1, 2, rd, 0x13)
#define SLTIU(rd, rs1, imm)   I(imm, rs1, 3, rd, 0x13)
#define XORI(rd, rs1, imm)    I(imm, rs1, 4, rd, 0x13)
#define ORI(rd, rs1, imm)     I(imm, rs1, 6, rd, 0x13)
#define ANDI(rd, rs1, imm)    I(imm, rs1, 7, rd, 0x13)
#define SLLI(rd, rs1, sh)     I(sh, rs1, 1, rd, 0x13)
#define SRLI(rd, rs1, sh)     I(sh, rs1, 5, rd, 0x13)
#define SRAI(rd, rs1, sh)     I(0x400 | (sh), rs1, 5, rd, 0x13)
#define ADDIW(rd, rs1, imm)   I(imm, rs1, 0, rd, 0x1b)
#define SLLIW(rd, rs1, sh)    I(sh, rs1, 1, rd, 0x1b)
#define SRLIW(rd, rs1, sh)    I(sh, rs1, 5, rd, 0x1b)
#define SRAIW(rd, rs1, sh)    I(0x400 | (sh), rs1, 5, rd, 0x1b)
#define OP(f7, f3, rd, a, b)  R(f7, b, a, f3, rd, 0x33)
#define OPW(f7, f3, rd, a, b) R(f7, b, a, f3, rd, 0x3b)
#define ADD(rd, a, b)	      OP(0, 0, rd, a, b)
#define SUB(rd, a, b)	      OP(0x20, 0, rd, a, b)
#define SLL(rd, a, b)	      OP(0, 1, rd, a, b)
#define SLT(rd, a, b)	      OP(0, 2, rd, a, b)
#define SLTU(rd, a, b)	      OP(0, 3, rd, a, b)
#define XOR(rd, a, b)	      OP(0, 4, rd, a, b)
#define SRL(rd, a, b)	      OP(0, 5, rd, a, b)
#define SRA(rd, a, b)	      OP(0x20, 5, rd, a, b)
#define OR(rd, a, b)	      OP(0, 6, rd, a, b)
#define AND(rd, a, b)	      OP(0, 7, rd, a, b)
#define ADDW(rd, a, b)	      OPW(0, 0, rd, a, b)
#define SUBW(rd, a, b)	      OPW(0x20, 0, rd, a, b)
#define SLLW(rd, a, b)	      OPW(0, 1, rd, a, b)
#define SRLW(rd, a, b)	      OPW(0, 5, rd, a, b)
#define SRAW(rd, a, b)	      OPW(0x20, 5, rd, a, b)
/* M */
#define MUL(rd, a, b)	 OP(1, 0, rd, a, b)
#define MULH(rd, a, b)	 OP(1, 1, rd, a, b)
#define MULHSU(rd, a, b) OP(1, 2, rd, a, b)
#define MULHU(rd, a, b)	 OP(1, 3, rd, a, b)
#define DIV(rd, a, b)	 OP(1, 4, rd, a, b)
#define DIVU(rd, a, b)	 OP(1, 5, rd, a, b)
#define REM(rd, a, b)	 OP(1, 6, rd, a, b)
#define REMU(rd, a, b)	 OP(1, 7, rd, a, b)
#define MULW(rd, a, b)	 OPW(1, 0, rd, a, b)
#define DIVW(rd, a, b)	 OPW(1, 4, rd, a, b)
#define DIVUW(rd, a, b)	 OPW(1, 5, rd, a, b)
#define REMW(rd, a, b)	 OPW(1, 6, rd, a, b)
#define REMUW(rd, a, b)	 OPW(1, 7, rd, a, b)
/* A: funct5, aq = rl = 0 */
#define AMO(f5, f3, rd, addr, src) R((f5) << 2, src, addr, f3, rd, 0x2f)
#define LR_W(rd, a)		   AMO(0x02, 2, rd, a, 0)
#define LR_D(rd, a)		   AMO(0x02, 3, rd, a, 0)
#define SC_W(rd, a, s)		   AMO(0x03, 2, rd, a, s)
#define SC_D(rd, a, s)		   AMO(0x03, 3, rd, a, s)
/* Zicsr, system */
#define CSRRW(rd, csr, rs1)  I(csr, rs1, 1, rd, 0x73)
#define CSRRS(rd, csr, rs1)  I(csr, rs1, 2, rd, 0x73)
#define CSRRC(rd, csr, rs1)  I(csr, rs1, 3, rd, 0x73)
#define CSRRWI(rd, csr, uim) I(csr, uim, 5, rd, 0x73)
#define CSRRSI(rd, csr, uim) I(csr, uim, 6, rd, 0x73)
#define CSRRCI(rd, csr, uim) I(csr, uim, 7, rd, 0x73)
#define ECALL		     0x00000073U
#define EBREAK		     0x00100073U
#define SRET		     0x10200073U
#define MRET		     0x30200073U
#define WFI		     0x10500073U
#define SFENCE_VMA(a, b)     R(0x09, b, a, 0, 0, 0x73)
#define FENCE		     0x0ff0000fU
#define FENCE_I		     0x0000100fU
#define NOP		     ADDI(0, 0, 0)

/* A machine with RAM at RAM_BASE and one hart in M-mode at RAM_BASE. */
struct rvt {
	struct machine m;
	struct rv_platform p;
	struct hart h;
	struct hart *harts[1];
};

static inline struct rvt *rvt_new(void)
{
	struct rvt *t = calloc(1, sizeof(*t));

	if (!t || gmem_add_ram(&t->m.mem, RAM_BASE, RAM_SIZE))
		abort();
	bus_init(&t->m.mmio, "mmio");
	t->p.m = &t->m;
	t->p.timebase_hz = 10000000;
	t->p.time_origin_ns = now_ns();
	t->p.nharts = 1;
	t->harts[0] = &t->h;
	t->p.harts = t->harts;
	if (hart_init(&t->h, &t->p, 0))
		abort();
	hart_reset(&t->h, PRV_M, RAM_BASE);
	/* GASANG_TEST_JIT=1: the same tests through the binary translator. */
	if (getenv("GASANG_TEST_JIT") && hart_use_jit(&t->h, true))
		abort();
	return t;
}

static inline void rvt_free(struct rvt *t)
{
	hart_free(&t->h);
	bus_free(&t->m.mmio);
	gmem_free(&t->m.mem);
	free(t);
}

/* Writes n instructions at gpa. */
static inline void rvt_code(struct rvt *t, uint64_t gpa, const uint32_t *insn, size_t n)
{
	if (gmem_write(&t->m.mem, gpa, insn, n * 4))
		abort();
	hart_flush_code(&t->h); /* the host wrote guest code */
}

static inline void *rvt_ptr(struct rvt *t, uint64_t gpa)
{
	return gmem_ptr(&t->m.mem, gpa, 8);
}

static inline uint64_t rvt_read64(struct rvt *t, uint64_t gpa)
{
	uint64_t v = 0;

	gmem_read(&t->m.mem, gpa, &v, 8);
	return v;
}

static inline void rvt_write64(struct rvt *t, uint64_t gpa, uint64_t v)
{
	gmem_write(&t->m.mem, gpa, &v, 8);
}

/* Loads code at RAM_BASE, resets the hart there and runs n instructions. */
#define RUN(t, n, ...)                                                                             \
	do {                                                                                       \
		const uint32_t code_[] = {__VA_ARGS__};                                            \
		rvt_code(t, RAM_BASE, code_, sizeof(code_) / 4);                                   \
		(t)->h.pc = RAM_BASE;                                                              \
		hart_step(&(t)->h, n);                                                             \
	} while (0)

/* Loads a 64-bit constant into rd with LUI/ADDI/SLLI sequences is tedious: tests set
 * registers directly instead (t->h.x[r] = v) before running. */

/* The cmocka fixture most core tests share: a fresh machine per test in `t`, with M-mode traps
 * vectored at TRAP (which the test file defines). */
#define RVT_TRAP_FIXTURE()                                                                         \
	static struct rvt *t;                                                                      \
	static int setup(void **state)                                                             \
	{                                                                                          \
		(void)state;                                                                       \
		t = rvt_new();                                                                     \
		t->h.mtvec = TRAP;                                                                 \
		return 0;                                                                          \
	}                                                                                          \
	static int teardown(void **state)                                                          \
	{                                                                                          \
		(void)state;                                                                       \
		rvt_free(t);                                                                       \
		return 0;                                                                          \
	}

#endif
