/* Exceptions and interrupts (delegation, priority), xRET, WFI and the timers. */
#include "accel/emu/core.h"

#include <errno.h>
#include <time.h>

#include "machine/machine.h"

static const char *const exc_names[16] = {
    "exc:insn_misaligned", "exc:insn_access",	  "exc:illegal_insn",	  "exc:breakpoint",
    "exc:load_misaligned", "exc:load_access",	  "exc:store_misaligned", "exc:store_access",
    "exc:ecall_u",	   "exc:ecall_s",	  "exc:reserved10",	  "exc:ecall_m",
    "exc:insn_page_fault", "exc:load_page_fault", "exc:reserved14",	  "exc:store_page_fault",
};

static const char *const irq_names[12] = {
    "irq:0", "irq:s_soft",  "irq:2", "irq:m_soft", "irq:4",  "irq:s_timer",
    "irq:6", "irq:m_timer", "irq:8", "irq:s_ext",  "irq:10", "irq:m_ext",
};

static void trap_count(struct hart *h, uint64_t cause, bool irq)
{
	if (!h->vcpu)
		return;
	if (irq && cause < 12)
		stats_add(&h->vcpu->stats, 16 + (unsigned)cause, irq_names[cause], 0);
	else if (!irq && cause < 16)
		stats_add(&h->vcpu->stats, (unsigned)cause, exc_names[cause], 0);
}

void trap_set_priv(struct hart *h, unsigned prv)
{
	/* Always: even a trap from M to M changes MPP, which MPRV accesses depend on. */
	h->priv = prv;
	mmu_ctx_update(h);
}

void trap_take(struct hart *h, uint64_t cause, bool irq, uint64_t tval)
{
	uint64_t deleg = irq ? h->mideleg : h->medeleg;
	unsigned from = h->priv;
	uint64_t xcause = cause | (irq ? 1ULL << 63 : 0);
	uint64_t s = h->mstatus;

	trap_count(h, cause, irq);
	if (!irq && from == PRV_U && h->plat->user_trap &&
	    h->plat->user_trap(h, (unsigned)cause, tval))
		return;
	if (from <= PRV_S && cause < 64 && ((deleg >> cause) & 1)) {
		h->scause = xcause;
		h->sepc = h->pc;
		h->stval = tval;
		s = (s & ~(MS_SPIE | MS_SIE | MS_SPP)) | ((s & MS_SIE) ? MS_SPIE : 0) |
		    (from == PRV_S ? MS_SPP : 0);
		h->mstatus = s;
		h->pc = (h->stvec & ~3ULL) + ((irq && (h->stvec & 1)) ? 4 * cause : 0);
		trap_set_priv(h, PRV_S);
	} else {
		h->mcause = xcause;
		h->mepc = h->pc;
		h->mtval = tval;
		s = (s & ~(MS_MPIE | MS_MIE | MS_MPP)) | ((s & MS_MIE) ? MS_MPIE : 0) |
		    ((uint64_t)from << MS_MPP_SHIFT);
		h->mstatus = s;
		h->pc = (h->mtvec & ~3ULL) + ((irq && (h->mtvec & 1)) ? 4 * cause : 0);
		trap_set_priv(h, PRV_M);
	}
	/* MPRV/SUM semantics changed with the privilege; data TLBs were flushed above. */
}

void hart_raise(struct hart *h, unsigned cause, uint64_t tval)
{
	trap_take(h, cause, false, tval);
}

static void mip_assign(struct hart *h, uint64_t bit, bool on)
{
	if (on) {
		if (!(__atomic_load_n(&h->mip, __ATOMIC_RELAXED) & bit))
			__atomic_fetch_or(&h->mip, bit, __ATOMIC_ACQ_REL);
	} else if (__atomic_load_n(&h->mip, __ATOMIC_RELAXED) & bit) {
		__atomic_fetch_and(&h->mip, ~bit, __ATOMIC_ACQ_REL);
	}
}

void trap_update_timers(struct hart *h)
{
	uint64_t now = rv_mtime(h->plat);

	mip_assign(h, 1ULL << IRQ_M_TIMER, now >= h->mtimecmp);
	if (stip_follows_timer(h))
		mip_assign(h, 1ULL << IRQ_S_TIMER, now >= h->stimecmp);
}

/* Priority order of the privileged spec: MEI, MSI, MTI, SEI, SSI, STI. */
static const unsigned irq_order[] = {IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER,
				     IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER};

static bool take_first(struct hart *h, uint64_t bits)
{
	for (unsigned i = 0; i < sizeof(irq_order) / sizeof(irq_order[0]); i++) {
		if (bits & (1ULL << irq_order[i])) {
			trap_take(h, irq_order[i], true, 0);
			return true;
		}
	}
	return false;
}

bool trap_check_irq(struct hart *h)
{
	uint64_t pending = __atomic_load_n(&h->mip, __ATOMIC_ACQUIRE) & h->mie;
	uint64_t m_bits, s_bits;

	if (!pending)
		return false;
	m_bits = pending & ~h->mideleg;
	if (h->priv < PRV_M || (h->mstatus & MS_MIE)) {
		if (take_first(h, m_bits))
			return true;
	}
	s_bits = pending & h->mideleg;
	if (h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MS_SIE)))
		return take_first(h, s_bits);
	return false;
}

bool trap_mret(struct hart *h)
{
	uint64_t s = h->mstatus;
	unsigned mpp = (unsigned)((s & MS_MPP) >> MS_MPP_SHIFT);

	if (h->priv != PRV_M) {
		hart_raise(h, EXC_ILLEGAL_INSN, 0x30200073);
		return false;
	}
	s = (s & ~(MS_MIE | MS_MPP)) | ((s & MS_MPIE) ? MS_MIE : 0) | MS_MPIE;
	if (mpp != PRV_M)
		s &= ~MS_MPRV;
	h->mstatus = s;
	h->pc = h->mepc;
	h->priv = mpp;
	mmu_ctx_update(h);
	if (__atomic_load_n(&h->mip, __ATOMIC_RELAXED) & h->mie)
		core_of(h)->recheck = 1;
	return true;
}

bool trap_sret(struct hart *h)
{
	uint64_t s = h->mstatus;
	unsigned spp = (s & MS_SPP) ? PRV_S : PRV_U;

	if (h->priv == PRV_U || (h->priv == PRV_S && (s & MS_TSR))) {
		hart_raise(h, EXC_ILLEGAL_INSN, 0x10200073);
		return false;
	}
	s = (s & ~(MS_SIE | MS_SPP | MS_MPRV)) | ((s & MS_SPIE) ? MS_SIE : 0) | MS_SPIE;
	h->mstatus = s;
	h->pc = h->sepc;
	h->priv = spp;
	mmu_ctx_update(h);
	if (__atomic_load_n(&h->mip, __ATOMIC_RELAXED) & h->mie)
		core_of(h)->recheck = 1;
	return true;
}

/* Absolute CLOCK_MONOTONIC time at which mtime reaches ticks. */
static void mtime_deadline(const struct rv_platform *p, uint64_t ticks, struct timespec *ts)
{
	unsigned __int128 ns = (unsigned __int128)ticks * 1000000000ULL / p->timebase_hz;
	uint64_t abs = p->time_origin_ns + (ns > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)ns);

	ts->tv_sec = (time_t)(abs / 1000000000ULL);
	ts->tv_nsec = (long)(abs % 1000000000ULL);
}

void trap_wfi(struct hart *h)
{
	struct machine *m = h->plat->m;

	pthread_mutex_lock(&h->wfi_lock);
	for (;;) {
		uint64_t next = UINT64_MAX;
		struct timespec ts;

		trap_update_timers(h);
		if ((__atomic_load_n(&h->mip, __ATOMIC_ACQUIRE) & h->mie) ||
		    __atomic_load_n(&h->kick, __ATOMIC_ACQUIRE) || machine_stopping(m))
			break;
		if (h->mie & (1ULL << IRQ_M_TIMER))
			next = h->mtimecmp;
		if ((h->mie & (1ULL << IRQ_S_TIMER)) && stip_follows_timer(h) && h->stimecmp < next)
			next = h->stimecmp;
		/* A bounded sleep even without a deadline: a safety net, not a busy loop. */
		mtime_deadline(h->plat, rv_mtime(h->plat) + h->plat->timebase_hz / 10, &ts);
		if (next != UINT64_MAX) {
			struct timespec t2;

			mtime_deadline(h->plat, next, &t2);
			if (t2.tv_sec < ts.tv_sec ||
			    (t2.tv_sec == ts.tv_sec && t2.tv_nsec < ts.tv_nsec))
				ts = t2;
		}
		if (pthread_cond_timedwait(&h->wfi_cond, &h->wfi_lock, &ts) == ETIMEDOUT)
			continue;
	}
	pthread_mutex_unlock(&h->wfi_lock);
	core_of(h)->recheck = 1;
}
