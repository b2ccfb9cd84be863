/* The interpreter: fetch through the instruction window, expand RVC, threaded dispatch on
 * opcode and funct3. Runs for a budget of instructions; hart_step()/hart_run() handle the
 * check points. */
#include "accel/emu/core.h"

#include "machine/machine.h"

/* Keep one indirect jump per handler (threaded dispatch): do not let GCC merge the copies. */
#pragma GCC optimize("no-crossjumping", "no-gcse")

#if defined(__x86_64__) || defined(__i386__)
#define HOST_TSO 1
#else
#define HOST_TSO 0
#endif

#define RD(i)  (((i) >> 7) & 31)
#define RS1(i) (((i) >> 15) & 31)
#define RS2(i) (((i) >> 20) & 31)
#define F3(i)  (((i) >> 12) & 7)
#define F7(i)  ((i) >> 25)

static inline int64_t imm_i(uint32_t i)
{
	return (int32_t)i >> 20;
}

static inline int64_t imm_s(uint32_t i)
{
	return (int64_t)((int32_t)i >> 25) * 32 + (int64_t)((i >> 7) & 31);
}

static inline int64_t imm_b(uint32_t i)
{
	return (int32_t)((uint32_t)((int32_t)(i & 0x80000000U) >> 19) | ((i & 0x80) << 4) |
			 ((i >> 20) & 0x7e0) | ((i >> 7) & 0x1e));
}

static inline int64_t imm_j(uint32_t i)
{
	return (int32_t)((uint32_t)((int32_t)(i & 0x80000000U) >> 11) | (i & 0xff000) |
			 ((i >> 9) & 0x800) | ((i >> 20) & 0x7fe));
}

static inline uint64_t mulh(int64_t a, int64_t b)
{
	return (uint64_t)(((__int128)a * b) >> 64);
}

static inline uint64_t mulhsu(int64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)a * (__int128)b) >> 64);
}

static inline uint64_t mulhu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static inline uint64_t div64(int64_t a, int64_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT64_MIN && b == -1)
		return (uint64_t)a;
	return (uint64_t)(a / b);
}

static inline uint64_t rem64(int64_t a, int64_t b)
{
	if (b == 0)
		return (uint64_t)a;
	if (a == INT64_MIN && b == -1)
		return 0;
	return (uint64_t)(a % b);
}

static inline uint64_t div32(int32_t a, int32_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT32_MIN && b == -1)
		return sext32((uint32_t)a);
	return sext32((uint32_t)(a / b));
}

static inline uint64_t rem32(int32_t a, int32_t b)
{
	if (b == 0)
		return sext32((uint32_t)a);
	if (a == INT32_MIN && b == -1)
		return 0;
	return sext32((uint32_t)(a % b));
}

/* SYSTEM with funct3 = 0: ECALL, EBREAK, xRET, WFI, SFENCE.VMA. */
static bool exec_system(struct hart *h, uint32_t insn, uint64_t *npc)
{
	struct core *c = core_of(h);

	if (insn == 0x00000073) { /* ECALL */
		uint64_t at = h->pc;

		if (h->priv == PRV_S && h->plat->sbi_call && h->plat->sbi_call(h)) {
			/* SBI HSM (hart_stop, later restarted) may move the hart elsewhere. */
			if (h->pc != at)
				*npc = h->pc;
			/* The host answered as firmware (also in --elf mode once the program left
			 * M-mode without a trap handler): its SBI timer drives STIP from now on. */
			c->host_fw = true;
			trap_update_timers(h);
			c->recheck = 1;
			return true;
		}
		hart_raise(h,
			   h->priv == PRV_U   ? EXC_ECALL_U
			   : h->priv == PRV_S ? EXC_ECALL_S
					      : EXC_ECALL_M,
			   0);
		return false;
	}
	if (insn == 0x00100073) { /* EBREAK */
		hart_raise(h, EXC_BREAKPOINT, h->pc);
		return false;
	}
	if (insn == 0x30200073 || insn == 0x10200073) { /* MRET, SRET */
		if (!(insn == 0x30200073 ? trap_mret(h) : trap_sret(h)))
			return false;
		*npc = h->pc;
		return true;
	}
	if (insn == 0x10500073) { /* WFI */
		if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MS_TW)))
			goto illegal;
		trap_wfi(h);
		c->wfi_exit = 1;
		return true;
	}
	if ((insn >> 25) == 0x09 && RD(insn) == 0) { /* SFENCE.VMA */
		if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MS_TVM)))
			goto illegal;
		/* No ASIDs: rs2 is ignored (flushing more than asked is allowed). */
		if (RS1(insn))
			mmu_flush_page(h, h->x[RS1(insn)]);
		else
			hart_flush_tlb(h);
		return true;
	}
illegal:
	hart_raise(h, EXC_ILLEGAL_INSN, insn);
	return false;
}

/* Threaded dispatch: every handler ends with its own copy of fetch + decode + indirect jump,
 * which the host's branch predictor tracks per handler. The budget, kick and recheck are
 * budget is counted everywhere; kick and recheck are looked at on control transfers, page
 * crossings and traps only (straight-line code within one page is at most 2048
 * instructions). h->pc is stored only where a trap can happen. */
#define DISPATCH()                                                                                 \
	do {                                                                                       \
		const uint8_t *p_;                                                                 \
		uint16_t lo_;                                                                      \
		if (unlikely((pc & ~PG_MASK) != c->fetch_page))                                    \
			goto slow_fetch;                                                           \
		p_ = c->fetch_host + (pc & PG_MASK);                                               \
		memcpy(&lo_, p_, 2);                                                               \
		if ((lo_ & 3) != 3) {                                                              \
			insn = rvc_table[lo_];                                                     \
			npc = pc + 2;                                                              \
		} else {                                                                           \
			if (unlikely((pc & PG_MASK) > PG_SIZE - 4))                                \
				goto slow_fetch;                                                   \
			memcpy(&insn, p_, 4);                                                      \
			npc = pc + 4;                                                              \
		}                                                                                  \
		goto *ops[(insn & 0x7f) | ((insn >> 5) & 0x380)];                                  \
	} while (0)

#define CHECK()                                                                                    \
	do {                                                                                       \
		if (unlikely(n >= budget || (c->recheck | c->block_stop |                          \
					     __atomic_load_n(&h->kick, __ATOMIC_RELAXED))))        \
			goto out;                                                                  \
	} while (0)

/* After an instruction that cannot change control flow or machine state. */
#define NEXT()                                                                                     \
	do {                                                                                       \
		x[0] = 0;                                                                          \
		pc = npc;                                                                          \
		if (unlikely(++n >= budget))                                                       \
			goto out;                                                                  \
		DISPATCH();                                                                        \
	} while (0)

/* After jumps, branches and system instructions. */
#define NEXT_CHECKED()                                                                             \
	do {                                                                                       \
		x[0] = 0;                                                                          \
		pc = npc;                                                                          \
		n++;                                                                               \
		CHECK();                                                                           \
		DISPATCH();                                                                        \
	} while (0)

#define XD    x[RD(insn)]
#define XS1   x[RS1(insn)]
#define XS2   x[RS2(insn)]
#define IMM_I ((uint64_t)imm_i(insn))

/* Handlers are selected by opcode and funct3 together (ops[] below); these cover the rest. */
#define OPR(lbl, e0, e20, e1)                                                                      \
	lbl : {                                                                                    \
		uint64_t a = XS1, b = XS2;                                                         \
		uint32_t f7 = F7(insn);                                                            \
		(void)a;                                                                           \
		(void)b;                                                                           \
		if (likely(f7 == 0)) {                                                             \
			e0;                                                                        \
		} else if (f7 == 1) {                                                              \
			e1;                                                                        \
		} else if (f7 == 0x20) {                                                           \
			e20;                                                                       \
		} else {                                                                           \
			goto illegal;                                                              \
		}                                                                                  \
		XD = v;                                                                            \
		NEXT();                                                                            \
	}
#define LOAD(lbl, size, conv)                                                                      \
	lbl:                                                                                       \
	h->pc = pc;                                                                                \
	if (!core_load(h, XS1 + IMM_I, size, &v))                                                  \
		goto trapped;                                                                      \
	XD = (conv);                                                                               \
	NEXT();
#define STORE(lbl, size)                                                                           \
	lbl:                                                                                       \
	h->pc = pc;                                                                                \
	if (!core_store(h, XS1 + (uint64_t)imm_s(insn), size, XS2))                                \
		goto trapped;                                                                      \
	NEXT();
#define BRANCH(lbl, cond)                                                                          \
	lbl:                                                                                       \
	if (cond)                                                                                  \
		npc = pc + (uint64_t)imm_b(insn);                                                  \
	NEXT_CHECKED();

#define IDX(op, f3) ((op) | (f3) << 7)
#define ALL8(op, lbl)                                                                              \
	[IDX(op, 0)] = &&lbl, [IDX(op, 1)] = &&lbl, [IDX(op, 2)] = &&lbl, [IDX(op, 3)] = &&lbl,    \
		 [IDX(op, 4)] = &&lbl, [IDX(op, 5)] = &&lbl, [IDX(op, 6)] = &&lbl,                 \
		 [IDX(op, 7)] = &&lbl

uint64_t interp_run(struct hart *h, uint64_t budget)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
	static const void *const ops[1024] = {
	    [0 ... 1023] = &&op_illegal,
	    ALL8(0x37, op_lui),
	    ALL8(0x17, op_auipc),
	    ALL8(0x6f, op_jal),
	    [IDX(0x67, 0)] = &&op_jalr,
	    [IDX(0x63, 0)] = &&op_beq,
	    [IDX(0x63, 1)] = &&op_bne,
	    [IDX(0x63, 4)] = &&op_blt,
	    [IDX(0x63, 5)] = &&op_bge,
	    [IDX(0x63, 6)] = &&op_bltu,
	    [IDX(0x63, 7)] = &&op_bgeu,
	    [IDX(0x03, 0)] = &&op_lb,
	    [IDX(0x03, 1)] = &&op_lh,
	    [IDX(0x03, 2)] = &&op_lw,
	    [IDX(0x03, 3)] = &&op_ld,
	    [IDX(0x03, 4)] = &&op_lbu,
	    [IDX(0x03, 5)] = &&op_lhu,
	    [IDX(0x03, 6)] = &&op_lwu,
	    [IDX(0x23, 0)] = &&op_sb,
	    [IDX(0x23, 1)] = &&op_sh,
	    [IDX(0x23, 2)] = &&op_sw,
	    [IDX(0x23, 3)] = &&op_sd,
	    [IDX(0x13, 0)] = &&op_addi,
	    [IDX(0x13, 1)] = &&op_slli,
	    [IDX(0x13, 2)] = &&op_slti,
	    [IDX(0x13, 3)] = &&op_sltiu,
	    [IDX(0x13, 4)] = &&op_xori,
	    [IDX(0x13, 5)] = &&op_srxi,
	    [IDX(0x13, 6)] = &&op_ori,
	    [IDX(0x13, 7)] = &&op_andi,
	    [IDX(0x1b, 0)] = &&op_addiw,
	    [IDX(0x1b, 1)] = &&op_slliw,
	    [IDX(0x1b, 5)] = &&op_srxiw,
	    [IDX(0x33, 0)] = &&op_r0,
	    [IDX(0x33, 1)] = &&op_r1,
	    [IDX(0x33, 2)] = &&op_r2,
	    [IDX(0x33, 3)] = &&op_r3,
	    [IDX(0x33, 4)] = &&op_r4,
	    [IDX(0x33, 5)] = &&op_r5,
	    [IDX(0x33, 6)] = &&op_r6,
	    [IDX(0x33, 7)] = &&op_r7,
	    [IDX(0x3b, 0)] = &&op_w0,
	    [IDX(0x3b, 1)] = &&op_w1,
	    [IDX(0x3b, 4)] = &&op_w4,
	    [IDX(0x3b, 5)] = &&op_w5,
	    [IDX(0x3b, 6)] = &&op_w6,
	    [IDX(0x3b, 7)] = &&op_w7,
	    [IDX(0x0f, 0)] = &&op_fence,
	    [IDX(0x0f, 1)] = &&op_fence_i,
	    [IDX(0x2f, 2)] = &&op_amo,
	    [IDX(0x2f, 3)] = &&op_amo,
	    ALL8(0x73, op_system),
	    ALL8(0x07, op_fp),
	    ALL8(0x27, op_fp),
	    ALL8(0x43, op_fp),
	    ALL8(0x47, op_fp),
	    ALL8(0x4b, op_fp),
	    ALL8(0x4f, op_fp),
	    ALL8(0x53, op_fp),
	};
#pragma GCC diagnostic pop
	struct core *c = core_of(h);
	uint64_t *x = h->x;
	uint64_t pc = h->pc, n = 0, npc, v;
	/* instret = base + instructions run here (traps included: close enough, and cheap). */
	uint64_t base = h->instret;
	bool smp = h->plat->nharts > 1;
	uint32_t insn, raw;

	/* block_stop ends the run after a control transfer or page crossing, not before the
	 * first instruction. */
	if (unlikely(!budget || (c->recheck | __atomic_load_n(&h->kick, __ATOMIC_RELAXED))))
		goto out;
	DISPATCH();

slow_fetch:
	if (n)
		CHECK();
	h->pc = pc;
	if (!mmu_fetch(h, pc, &raw))
		goto trapped;
	if ((raw & 3) != 3) {
		insn = rvc_table[(uint16_t)raw];
		npc = pc + 2;
	} else {
		insn = raw;
		npc = pc + 4;
	}
	goto *ops[(insn & 0x7f) | ((insn >> 5) & 0x380)];

op_lui:
	XD = sext32(insn & 0xfffff000U);
	NEXT();
op_auipc:
	XD = pc + sext32(insn & 0xfffff000U);
	NEXT();
op_jal:
	XD = npc;
	npc = pc + (uint64_t)imm_j(insn);
	NEXT_CHECKED();
op_jalr:
	v = (XS1 + IMM_I) & ~1ULL;
	XD = npc;
	npc = v;
	NEXT_CHECKED();
	BRANCH(op_beq, XS1 == XS2)
	BRANCH(op_bne, XS1 != XS2)
	BRANCH(op_blt, (int64_t)XS1 < (int64_t)XS2)
	BRANCH(op_bge, (int64_t)XS1 >= (int64_t)XS2)
	BRANCH(op_bltu, XS1 < XS2)
	BRANCH(op_bgeu, XS1 >= XS2)
	LOAD(op_lb, 1, (uint64_t)(int64_t)(int8_t)v)
	LOAD(op_lh, 2, (uint64_t)(int64_t)(int16_t)v)
	LOAD(op_lw, 4, sext32(v))
	LOAD(op_ld, 8, v)
	LOAD(op_lbu, 1, v)
	LOAD(op_lhu, 2, v)
	LOAD(op_lwu, 4, v)
	STORE(op_sb, 1)
	STORE(op_sh, 2)
	STORE(op_sw, 4)
	STORE(op_sd, 8)
op_addi:
	XD = XS1 + IMM_I;
	NEXT();
op_slli:
	if (insn >> 26)
		goto illegal;
	XD = XS1 << ((insn >> 20) & 63);
	NEXT();
op_slti:
	XD = (int64_t)XS1 < imm_i(insn);
	NEXT();
op_sltiu:
	XD = XS1 < IMM_I;
	NEXT();
op_xori:
	XD = XS1 ^ IMM_I;
	NEXT();
op_srxi:
	if ((insn >> 26) == 0)
		XD = XS1 >> ((insn >> 20) & 63);
	else if ((insn >> 26) == 0x10)
		XD = (uint64_t)((int64_t)XS1 >> ((insn >> 20) & 63));
	else
		goto illegal;
	NEXT();
op_ori:
	XD = XS1 | IMM_I;
	NEXT();
op_andi:
	XD = XS1 & IMM_I;
	NEXT();
op_addiw:
	XD = sext32((uint32_t)XS1 + (uint32_t)imm_i(insn));
	NEXT();
op_slliw:
	if (F7(insn))
		goto illegal;
	XD = sext32((uint32_t)XS1 << ((insn >> 20) & 31));
	NEXT();
op_srxiw:
	if (F7(insn) == 0)
		XD = sext32((uint32_t)XS1 >> ((insn >> 20) & 31));
	else if (F7(insn) == 0x20)
		XD = sext32((uint32_t)((int32_t)(uint32_t)XS1 >> ((insn >> 20) & 31)));
	else
		goto illegal;
	NEXT();
	OPR(op_r0, v = a + b, v = a - b, v = a * b)
	OPR(op_r1, v = a << (b & 63), goto illegal, v = mulh((int64_t)a, (int64_t)b))
	OPR(op_r2, v = (int64_t)a < (int64_t)b, goto illegal, v = mulhsu((int64_t)a, b))
	OPR(op_r3, v = a < b, goto illegal, v = mulhu(a, b))
	OPR(op_r4, v = a ^ b, goto illegal, v = div64((int64_t)a, (int64_t)b))
	OPR(op_r5, v = a >> (b & 63), v = (uint64_t)((int64_t)a >> (b & 63)),
	    v = b ? a / b : UINT64_MAX)
	OPR(op_r6, v = a | b, goto illegal, v = rem64((int64_t)a, (int64_t)b))
	OPR(op_r7, v = a & b, goto illegal, v = b ? a % b : a)
	OPR(op_w0, v = sext32((uint32_t)a + (uint32_t)b), v = sext32((uint32_t)a - (uint32_t)b),
	    v = sext32((uint32_t)a * (uint32_t)b))
	OPR(op_w1, v = sext32((uint32_t)a << (b & 31)), goto illegal, goto illegal)
	OPR(op_w4, goto illegal, goto illegal, v = div32((int32_t)a, (int32_t)b))
	OPR(op_w5, v = sext32((uint32_t)a >> (b & 31)),
	    v = sext32((uint32_t)((int32_t)(uint32_t)a >> (b & 31))),
	    v = (uint32_t)b ? sext32((uint32_t)a / (uint32_t)b) : UINT64_MAX)
	OPR(op_w6, goto illegal, goto illegal, v = rem32((int32_t)a, (int32_t)b))
	OPR(op_w7, goto illegal, goto illegal,
	    v = (uint32_t)b ? sext32((uint32_t)a % (uint32_t)b) : sext32(a))
op_fence:
	/* On an x86-64 (TSO) host only store -> load ordering (pred W, succ R; not FENCE.TSO)
	 * needs a full barrier; every other ordering already holds, the compiler just must not
	 * reorder. Other hosts always get a full barrier. */
	if (smp && (!HOST_TSO || ((insn & (1U << 24)) && (insn & (1U << 21)) && (insn >> 28) != 8)))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	NEXT();
op_fence_i: /* the interpreter caches nothing from guest code; the translator does */
	if (c->jit)
		jit_request_flush(h);
	NEXT();
op_amo:
	h->pc = pc;
	if (!amo_exec(h, insn))
		goto trapped;
	NEXT();
op_system:
	h->pc = pc;
	if (F3(insn)) {
		bool ok;

		h->instret = base + n;
		ok = csr_exec(h, insn);
		base = h->instret - n;
		if (!ok)
			goto trapped;
	} else if (!exec_system(h, insn, &npc)) {
		goto trapped;
	}
	NEXT_CHECKED();
op_fp:
	h->pc = pc;
	if (!(h->mstatus & MS_FS))
		goto illegal;
	if (!fpu_exec(h, insn))
		goto trapped;
	h->mstatus |= MS_FS | MS_SD;
	NEXT();

op_illegal:
illegal:
	/* mtval gets the instruction as fetched (16 bits for RVC): fetch it again. */
	h->pc = pc;
	if (!mmu_fetch(h, pc, &raw))
		goto trapped;
	hart_raise(h, EXC_ILLEGAL_INSN, raw);
trapped:
	x[0] = 0;
	pc = h->pc;
	n++;
	CHECK();
	DISPATCH();

out:
	h->pc = pc;
	h->instret = base + n;
	return n;
}
