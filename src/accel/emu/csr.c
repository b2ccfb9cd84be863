/* Control and status registers (Zicsr): the M and S CSRs Linux and bare-metal code use,
 * counters with mcounteren/scounteren, Sstc, fcsr. Anything else is illegal-instruction. */
#include "accel/emu/core.h"

enum {
	CSR_FFLAGS = 0x001,
	CSR_FRM = 0x002,
	CSR_FCSR = 0x003,
	CSR_CYCLE = 0xc00,
	CSR_TIME = 0xc01,
	CSR_INSTRET = 0xc02,
	CSR_HPM31 = 0xc1f,
	CSR_SSTATUS = 0x100,
	CSR_SIE = 0x104,
	CSR_STVEC = 0x105,
	CSR_SCOUNTEREN = 0x106,
	CSR_SENVCFG = 0x10a,
	CSR_SSCRATCH = 0x140,
	CSR_SEPC = 0x141,
	CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143,
	CSR_SIP = 0x144,
	CSR_STIMECMP = 0x14d,
	CSR_SATP = 0x180,
	CSR_MSTATUS = 0x300,
	CSR_MISA = 0x301,
	CSR_MEDELEG = 0x302,
	CSR_MIDELEG = 0x303,
	CSR_MIE = 0x304,
	CSR_MTVEC = 0x305,
	CSR_MCOUNTEREN = 0x306,
	CSR_MENVCFG = 0x30a,
	CSR_MCOUNTINHIBIT = 0x320,
	CSR_MHPMEVENT3 = 0x323,
	CSR_MHPMEVENT31 = 0x33f,
	CSR_MSCRATCH = 0x340,
	CSR_MEPC = 0x341,
	CSR_MCAUSE = 0x342,
	CSR_MTVAL = 0x343,
	CSR_MIP = 0x344,
	CSR_PMPCFG0 = 0x3a0,
	CSR_PMPCFG15 = 0x3af,
	CSR_PMPADDR0 = 0x3b0,
	CSR_PMPADDR63 = 0x3ef,
	CSR_MCYCLE = 0xb00,
	CSR_MINSTRET = 0xb02,
	CSR_MHPMCOUNTER3 = 0xb03,
	CSR_MHPMCOUNTER31 = 0xb1f,
	CSR_MVENDORID = 0xf11,
	CSR_MARCHID = 0xf12,
	CSR_MIMPID = 0xf13,
	CSR_MHARTID = 0xf14,
	CSR_MCONFIGPTR = 0xf15,
};

#define MSTATUS_WMASK                                                                              \
	(MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | MS_FS | MS_MPRV | MS_SUM |        \
	 MS_MXR | MS_TVM | MS_TW | MS_TSR)
#define SSTATUS_RMASK (MS_SIE | MS_SPIE | MS_SPP | MS_FS | MS_SUM | MS_MXR | MS_UXL | MS_SD)
#define SSTATUS_WMASK (MS_SIE | MS_SPIE | MS_SPP | MS_FS | MS_SUM | MS_MXR)
#define MIE_MASK      0xaaaULL
#define MIDELEG_MASK  0x222ULL
#define MEDELEG_MASK  0xb3ffULL
#define SSIP	      (1ULL << IRQ_S_SOFT)
#define STIP	      (1ULL << IRQ_S_TIMER)
/* Bits of mstatus whose change alters data translation. */
#define MS_XLATE (MS_SUM | MS_MXR | MS_MPRV | MS_MPP)

uint64_t csr_mip(const struct hart *h)
{
	return __atomic_load_n(&h->mip, __ATOMIC_ACQUIRE);
}

/* mcounteren/scounteren gate the unprivileged counters below M. */
static bool counter_ok(const struct hart *h, unsigned csr)
{
	uint64_t bit = 1ULL << (csr & 31);

	if (h->priv < PRV_M && !(h->mcounteren & bit))
		return false;
	if (h->priv < PRV_S && !(h->scounteren & bit))
		return false;
	return true;
}

static bool fs_on(const struct hart *h)
{
	return (h->mstatus & MS_FS) != 0;
}

static void fs_dirty(struct hart *h)
{
	h->mstatus |= MS_FS | MS_SD;
}

static bool csr_read(struct hart *h, unsigned csr, uint64_t *v)
{
	switch (csr) {
	case CSR_FFLAGS:
		*v = h->fflags;
		return fs_on(h);
	case CSR_FRM:
		*v = h->frm;
		return fs_on(h);
	case CSR_FCSR:
		*v = h->frm << 5 | h->fflags;
		return fs_on(h);
	case CSR_CYCLE:
	case CSR_INSTRET:
		*v = h->instret + (csr == CSR_CYCLE ? h->cycle : 0);
		return counter_ok(h, csr);
	case CSR_TIME:
		*v = rv_mtime(h->plat);
		return counter_ok(h, csr);
	case CSR_SSTATUS:
		*v = h->mstatus & SSTATUS_RMASK;
		return true;
	case CSR_SIE:
		*v = h->mie & h->mideleg;
		return true;
	case CSR_STVEC:
		*v = h->stvec;
		return true;
	case CSR_SCOUNTEREN:
		*v = h->scounteren;
		return true;
	case CSR_SENVCFG:
		*v = h->senvcfg;
		return true;
	case CSR_SSCRATCH:
		*v = h->sscratch;
		return true;
	case CSR_SEPC:
		*v = h->sepc;
		return true;
	case CSR_SCAUSE:
		*v = h->scause;
		return true;
	case CSR_STVAL:
		*v = h->stval;
		return true;
	case CSR_SIP:
		*v = csr_mip(h) & h->mideleg;
		return true;
	case CSR_STIMECMP:
		*v = h->stimecmp;
		return h->priv == PRV_M || ((h->menvcfg & MENVCFG_STCE) && (h->mcounteren & 2));
	case CSR_SATP:
		*v = h->satp;
		return !(h->priv == PRV_S && (h->mstatus & MS_TVM));
	case CSR_MSTATUS:
		*v = h->mstatus;
		return true;
	case CSR_MISA:
		*v = h->misa;
		return true;
	case CSR_MEDELEG:
		*v = h->medeleg;
		return true;
	case CSR_MIDELEG:
		*v = h->mideleg;
		return true;
	case CSR_MIE:
		*v = h->mie;
		return true;
	case CSR_MTVEC:
		*v = h->mtvec;
		return true;
	case CSR_MCOUNTEREN:
		*v = h->mcounteren;
		return true;
	case CSR_MENVCFG:
		*v = h->menvcfg;
		return true;
	case CSR_MCOUNTINHIBIT:
		*v = h->mcountinhibit;
		return true;
	case CSR_MSCRATCH:
		*v = h->mscratch;
		return true;
	case CSR_MEPC:
		*v = h->mepc;
		return true;
	case CSR_MCAUSE:
		*v = h->mcause;
		return true;
	case CSR_MTVAL:
		*v = h->mtval;
		return true;
	case CSR_MIP:
		*v = csr_mip(h);
		return true;
	case CSR_MCYCLE:
		*v = h->instret + h->cycle;
		return true;
	case CSR_MINSTRET:
		*v = h->instret;
		return true;
	case CSR_MHARTID:
		*v = h->hartid;
		return true;
	case CSR_MVENDORID:
	case CSR_MARCHID:
	case CSR_MIMPID:
	case CSR_MCONFIGPTR:
		*v = 0;
		return true;
	}
	*v = 0;
	if (csr > CSR_INSTRET && csr <= CSR_HPM31)
		return counter_ok(h, csr); /* hpmcounter3..31: no events, read 0 */
	if (csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31)
		return true;
	if (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)
		return true;
	/* No PMP entries: legal; RV64 has only the even pmpcfg registers. */
	if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15)
		return (csr & 1) == 0;
	if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63)
		return true;
	return false;
}

static void mip_write(struct hart *h, uint64_t mask, uint64_t val)
{
	uint64_t old = __atomic_load_n(&h->mip, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(&h->mip, &old, (old & ~mask) | (val & mask), false,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
}

static void mstatus_write(struct hart *h, uint64_t mask, uint64_t val)
{
	uint64_t old = h->mstatus, s;

	if ((mask & MS_MPP) && ((val & MS_MPP) >> MS_MPP_SHIFT) == 2)
		val = (val & ~MS_MPP) | (old & MS_MPP); /* WARL: H-mode does not exist */
	s = (old & ~mask) | (val & mask);
	s &= ~MS_SD;
	if ((s & MS_FS) == MS_FS)
		s |= MS_SD;
	h->mstatus = s;
	if ((old ^ s) & MS_XLATE)
		mmu_ctx_update(h);
}

static bool csr_write(struct hart *h, unsigned csr, uint64_t v)
{
	struct core *c = core_of(h);

	switch (csr) {
	case CSR_FFLAGS:
		h->fflags = v & 0x1f;
		fs_dirty(h);
		return true;
	case CSR_FRM:
		h->frm = v & 7;
		fs_dirty(h);
		return true;
	case CSR_FCSR:
		h->fflags = v & 0x1f;
		h->frm = (v >> 5) & 7;
		fs_dirty(h);
		return true;
	case CSR_SSTATUS:
		mstatus_write(h, SSTATUS_WMASK, v);
		break;
	case CSR_SIE:
		h->mie = (h->mie & ~h->mideleg) | (v & h->mideleg & MIDELEG_MASK);
		break;
	case CSR_STVEC:
		h->stvec = (v & 3) >= 2 ? (v & ~3ULL) | (h->stvec & 3) : v;
		return true;
	case CSR_SCOUNTEREN:
		h->scounteren = v & 0xffffffffULL;
		return true;
	case CSR_SENVCFG:
		h->senvcfg = v & MENVCFG_FIOM;
		return true;
	case CSR_SSCRATCH:
		h->sscratch = v;
		return true;
	case CSR_SEPC:
		h->sepc = v & ~1ULL;
		return true;
	case CSR_SCAUSE:
		h->scause = v;
		return true;
	case CSR_STVAL:
		h->stval = v;
		return true;
	case CSR_SIP:
		mip_write(h, SSIP & h->mideleg, v);
		break;
	case CSR_STIMECMP:
		h->stimecmp = v;
		trap_update_timers(h);
		break;
	case CSR_SATP: {
		uint64_t mode = v >> SATP_MODE_SHIFT;

		/* WARL: Sv39 and Sv48 only; an unsupported mode leaves satp unchanged. No ASIDs. */
		if (mode == 0 || mode == 8 || mode == 9) {
			h->satp = (mode << SATP_MODE_SHIFT) | (v & SATP_PPN_MASK);
			hart_flush_tlb(h);
		}
		return true;
	}
	case CSR_MSTATUS:
		mstatus_write(h, MSTATUS_WMASK, v);
		break;
	case CSR_MISA:
		return true; /* WARL, fixed */
	case CSR_MEDELEG:
		h->medeleg = v & MEDELEG_MASK;
		return true;
	case CSR_MIDELEG:
		h->mideleg = v & MIDELEG_MASK;
		break;
	case CSR_MIE:
		h->mie = v & MIE_MASK;
		break;
	case CSR_MTVEC:
		h->mtvec = (v & 3) >= 2 ? (v & ~3ULL) | (h->mtvec & 3) : v;
		return true;
	case CSR_MCOUNTEREN:
		h->mcounteren = v & 0xffffffffULL;
		return true;
	case CSR_MENVCFG:
		h->menvcfg = v & (MENVCFG_STCE | MENVCFG_FIOM);
		trap_update_timers(h);
		break;
	case CSR_MCOUNTINHIBIT:
		h->mcountinhibit = v & ~2ULL & 0xffffffffULL;
		return true;
	case CSR_MSCRATCH:
		h->mscratch = v;
		return true;
	case CSR_MEPC:
		h->mepc = v & ~1ULL;
		return true;
	case CSR_MCAUSE:
		h->mcause = v;
		return true;
	case CSR_MTVAL:
		h->mtval = v;
		return true;
	case CSR_MIP:
		mip_write(h, SSIP | (stip_follows_timer(h) ? 0 : STIP), v);
		break;
	case CSR_MCYCLE:
		h->cycle = v - h->instret;
		return true;
	case CSR_MINSTRET:
		/* The write happens before this instruction retires and increments it. */
		h->cycle += h->instret - (v - 1);
		h->instret = v - 1;
		return true;
	default:
		return true; /* read-only-zero counters and PMP: writes ignored */
	}
	/* Something may have become deliverable: leave the inner loop to look. */
	if (csr_mip(h) & h->mie)
		c->recheck = 1;
	return true;
}

bool csr_exec(struct hart *h, uint32_t insn)
{
	unsigned csr = insn >> 20, rs1 = (insn >> 15) & 31, rd = (insn >> 7) & 31;
	unsigned f3 = (insn >> 12) & 7;
	uint64_t src = (f3 & 4) ? rs1 : h->x[rs1];
	bool write = (f3 & 3) == 1 || rs1 != 0;
	uint64_t old, val;

	if (((csr >> 8) & 3) > h->priv || (write && (csr >> 10) == 3) || (f3 & 3) == 0)
		goto illegal;
	if (!csr_read(h, csr, &old))
		goto illegal;
	if (write) {
		switch (f3 & 3) {
		case 1:
			val = src;
			break;
		case 2:
			val = old | src;
			break;
		default:
			val = old & ~src;
			break;
		}
		if (!csr_write(h, csr, val))
			goto illegal;
	}
	h->x[rd] = old;
	h->x[0] = 0;
	return true;
illegal:
	hart_raise(h, EXC_ILLEGAL_INSN, insn);
	return false;
}
