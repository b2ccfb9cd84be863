/* The interpreter: fetch through the instruction window, expand RVC, one switch on the
 * opcode. Runs for a budget of instructions; hart_step()/hart_run() handle the check points. */
#include "accel/emu/core.h"

#include "machine/machine.h"

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

/* OP (0x33): returns false for an illegal encoding. */
static inline bool exec_op(uint32_t i, uint64_t a, uint64_t b, uint64_t *r)
{
	switch (F7(i) << 3 | F3(i)) {
	case 0x000:
		*r = a + b;
		return true;
	case 0x100:
		*r = a - b;
		return true;
	case 0x001:
		*r = a << (b & 63);
		return true;
	case 0x002:
		*r = (int64_t)a < (int64_t)b;
		return true;
	case 0x003:
		*r = a < b;
		return true;
	case 0x004:
		*r = a ^ b;
		return true;
	case 0x005:
		*r = a >> (b & 63);
		return true;
	case 0x105:
		*r = (uint64_t)((int64_t)a >> (b & 63));
		return true;
	case 0x006:
		*r = a | b;
		return true;
	case 0x007:
		*r = a & b;
		return true;
	case 0x008:
		*r = a * b;
		return true;
	case 0x009:
		*r = mulh((int64_t)a, (int64_t)b);
		return true;
	case 0x00a:
		*r = mulhsu((int64_t)a, b);
		return true;
	case 0x00b:
		*r = mulhu(a, b);
		return true;
	case 0x00c:
		*r = div64((int64_t)a, (int64_t)b);
		return true;
	case 0x00d:
		*r = b ? a / b : UINT64_MAX;
		return true;
	case 0x00e:
		*r = rem64((int64_t)a, (int64_t)b);
		return true;
	case 0x00f:
		*r = b ? a % b : a;
		return true;
	}
	return false;
}

/* OP-32 (0x3b). */
static inline bool exec_op32(uint32_t i, uint64_t a, uint64_t b, uint64_t *r)
{
	uint32_t x = (uint32_t)a, y = (uint32_t)b;

	switch (F7(i) << 3 | F3(i)) {
	case 0x000:
		*r = sext32(x + y);
		return true;
	case 0x100:
		*r = sext32(x - y);
		return true;
	case 0x001:
		*r = sext32(x << (y & 31));
		return true;
	case 0x005:
		*r = sext32(x >> (y & 31));
		return true;
	case 0x105:
		*r = sext32((uint32_t)((int32_t)x >> (y & 31)));
		return true;
	case 0x008:
		*r = sext32(x * y);
		return true;
	case 0x00c:
		*r = div32((int32_t)x, (int32_t)y);
		return true;
	case 0x00d:
		*r = y ? sext32(x / y) : UINT64_MAX;
		return true;
	case 0x00e:
		*r = rem32((int32_t)x, (int32_t)y);
		return true;
	case 0x00f:
		*r = y ? sext32(x % y) : sext32(x);
		return true;
	}
	return false;
}

/* OP-IMM (0x13). */
static inline bool exec_opimm(uint32_t i, uint64_t a, uint64_t *r)
{
	int64_t imm = imm_i(i);
	unsigned sh = (i >> 20) & 63, f6 = i >> 26;

	switch (F3(i)) {
	case 0:
		*r = a + (uint64_t)imm;
		return true;
	case 1:
		if (f6)
			return false;
		*r = a << sh;
		return true;
	case 2:
		*r = (int64_t)a < imm;
		return true;
	case 3:
		*r = a < (uint64_t)imm;
		return true;
	case 4:
		*r = a ^ (uint64_t)imm;
		return true;
	case 5:
		if (f6 == 0)
			*r = a >> sh;
		else if (f6 == 0x10)
			*r = (uint64_t)((int64_t)a >> sh);
		else
			return false;
		return true;
	case 6:
		*r = a | (uint64_t)imm;
		return true;
	default:
		*r = a & (uint64_t)imm;
		return true;
	}
}

/* OP-IMM-32 (0x1b). */
static inline bool exec_opimm32(uint32_t i, uint64_t a, uint64_t *r)
{
	uint32_t x = (uint32_t)a;
	unsigned sh = (i >> 20) & 31;

	switch (F3(i)) {
	case 0:
		*r = sext32(x + (uint32_t)imm_i(i));
		return true;
	case 1:
		if (F7(i))
			return false;
		*r = sext32(x << sh);
		return true;
	case 5:
		if (F7(i) == 0)
			*r = sext32(x >> sh);
		else if (F7(i) == 0x20)
			*r = sext32((uint32_t)((int32_t)x >> sh));
		else
			return false;
		return true;
	}
	return false;
}

static inline bool branch_taken(uint32_t i, uint64_t a, uint64_t b, bool *ok)
{
	*ok = true;
	switch (F3(i)) {
	case 0:
		return a == b;
	case 1:
		return a != b;
	case 4:
		return (int64_t)a < (int64_t)b;
	case 5:
		return (int64_t)a >= (int64_t)b;
	case 6:
		return a < b;
	case 7:
		return a >= b;
	}
	*ok = false;
	return false;
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
			raw = lo_;                                                                 \
			insn = rvc_table[lo_];                                                     \
			npc = pc + 2;                                                              \
		} else {                                                                           \
			if (unlikely((pc & PG_MASK) > PG_SIZE - 4))                                \
				goto slow_fetch;                                                   \
			memcpy(&raw, p_, 4);                                                       \
			insn = raw;                                                                \
			npc = pc + 4;                                                              \
		}                                                                                  \
		goto *ops[insn & 0x7f];                                                            \
	} while (0)

#define CHECK()                                                                                    \
	do {                                                                                       \
		if (unlikely(n >= budget ||                                                        \
			     (c->recheck | __atomic_load_n(&h->kick, __ATOMIC_RELAXED))))          \
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

uint64_t interp_run(struct hart *h, uint64_t budget)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
	static const void *const ops[128] = {
	    [0 ... 127] = &&op_illegal, [0x37] = &&op_lui,   [0x17] = &&op_auipc,
	    [0x6f] = &&op_jal,		[0x67] = &&op_jalr,  [0x63] = &&op_branch,
	    [0x03] = &&op_load,		[0x23] = &&op_store, [0x13] = &&op_imm,
	    [0x1b] = &&op_imm32,	[0x33] = &&op_op,    [0x3b] = &&op_op32,
	    [0x0f] = &&op_fence,	[0x2f] = &&op_amo,   [0x73] = &&op_system,
	    [0x07] = &&op_fp,		[0x27] = &&op_fp,    [0x43] = &&op_fp,
	    [0x47] = &&op_fp,		[0x4b] = &&op_fp,    [0x4f] = &&op_fp,
	    [0x53] = &&op_fp,
	};
#pragma GCC diagnostic pop
	struct core *c = core_of(h);
	uint64_t *x = h->x;
	uint64_t pc = h->pc, n = 0, npc, v;
	/* instret = base + instructions run here (traps included: close enough, and cheap). */
	uint64_t base = h->instret;
	bool smp = h->plat->nharts > 1;
	uint32_t insn, raw;

	CHECK();
	DISPATCH();

slow_fetch:
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
	goto *ops[insn & 0x7f];

op_lui:
	x[RD(insn)] = sext32(insn & 0xfffff000U);
	NEXT();
op_auipc:
	x[RD(insn)] = pc + sext32(insn & 0xfffff000U);
	NEXT();
op_jal:
	x[RD(insn)] = npc;
	npc = pc + (uint64_t)imm_j(insn);
	NEXT_CHECKED();
op_jalr:
	if (F3(insn))
		goto illegal;
	v = (x[RS1(insn)] + (uint64_t)imm_i(insn)) & ~1ULL;
	x[RD(insn)] = npc;
	npc = v;
	NEXT_CHECKED();
op_branch : {
	bool ok;

	if (branch_taken(insn, x[RS1(insn)], x[RS2(insn)], &ok))
		npc = pc + (uint64_t)imm_b(insn);
	if (!ok)
		goto illegal;
	NEXT_CHECKED();
}
op_load : {
	uint64_t va = x[RS1(insn)] + (uint64_t)imm_i(insn);

	h->pc = pc;
	switch (F3(insn)) {
	case 0:
		if (!core_load(h, va, 1, &v))
			goto trapped;
		v = (uint64_t)(int64_t)(int8_t)v;
		break;
	case 1:
		if (!core_load(h, va, 2, &v))
			goto trapped;
		v = (uint64_t)(int64_t)(int16_t)v;
		break;
	case 2:
		if (!core_load(h, va, 4, &v))
			goto trapped;
		v = sext32(v);
		break;
	case 3:
		if (!core_load(h, va, 8, &v))
			goto trapped;
		break;
	case 4:
		if (!core_load(h, va, 1, &v))
			goto trapped;
		break;
	case 5:
		if (!core_load(h, va, 2, &v))
			goto trapped;
		break;
	case 6:
		if (!core_load(h, va, 4, &v))
			goto trapped;
		break;
	default:
		goto illegal;
	}
	x[RD(insn)] = v;
	NEXT();
}
op_store : {
	uint64_t va = x[RS1(insn)] + (uint64_t)imm_s(insn);
	bool ok;

	h->pc = pc;
	switch (F3(insn)) {
	case 0:
		ok = core_store(h, va, 1, x[RS2(insn)]);
		break;
	case 1:
		ok = core_store(h, va, 2, x[RS2(insn)]);
		break;
	case 2:
		ok = core_store(h, va, 4, x[RS2(insn)]);
		break;
	case 3:
		ok = core_store(h, va, 8, x[RS2(insn)]);
		break;
	default:
		goto illegal;
	}
	if (!ok)
		goto trapped;
	NEXT();
}
op_imm:
	if (!exec_opimm(insn, x[RS1(insn)], &v))
		goto illegal;
	x[RD(insn)] = v;
	NEXT();
op_imm32:
	if (!exec_opimm32(insn, x[RS1(insn)], &v))
		goto illegal;
	x[RD(insn)] = v;
	NEXT();
op_op:
	if (!exec_op(insn, x[RS1(insn)], x[RS2(insn)], &v))
		goto illegal;
	x[RD(insn)] = v;
	NEXT();
op_op32:
	if (!exec_op32(insn, x[RS1(insn)], x[RS2(insn)], &v))
		goto illegal;
	x[RD(insn)] = v;
	NEXT();
op_fence: /* FENCE, FENCE.I (nothing is cached from guest code) */
	if (F3(insn) > 1)
		goto illegal;
	if (smp && F3(insn) == 0)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
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
	h->pc = pc;
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
