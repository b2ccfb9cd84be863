#include "accel/emu/sbi.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "accel/emu/cpu.h"
#include "backends/chardev.h"
#include "base/util.h"
#include "machine/machine.h"

#define MSTATUS_SIE (1ULL << 1)
/* DBCN transfers are cut to this size per call (the spec allows partial transfers). */
#define DBCN_MAX 4096

struct sbi_fn {
	uint32_t eid, fid;
	const char *name;
};

/* Every call gasang implements, in statistics-id order. Legacy calls ignore a6. */
static const struct sbi_fn sbi_fns[] = {
    {SBI_EXT_BASE, 0, "sbi:BASE.get_spec_version"},
    {SBI_EXT_BASE, 1, "sbi:BASE.get_impl_id"},
    {SBI_EXT_BASE, 2, "sbi:BASE.get_impl_version"},
    {SBI_EXT_BASE, 3, "sbi:BASE.probe_extension"},
    {SBI_EXT_BASE, 4, "sbi:BASE.get_mvendorid"},
    {SBI_EXT_BASE, 5, "sbi:BASE.get_marchid"},
    {SBI_EXT_BASE, 6, "sbi:BASE.get_mimpid"},
    {SBI_EXT_TIME, 0, "sbi:TIME.set_timer"},
    {SBI_EXT_IPI, 0, "sbi:IPI.send_ipi"},
    {SBI_EXT_RFENCE, 0, "sbi:RFENCE.remote_fence_i"},
    {SBI_EXT_RFENCE, 1, "sbi:RFENCE.remote_sfence_vma"},
    {SBI_EXT_RFENCE, 2, "sbi:RFENCE.remote_sfence_vma_asid"},
    {SBI_EXT_HSM, 0, "sbi:HSM.hart_start"},
    {SBI_EXT_HSM, 1, "sbi:HSM.hart_stop"},
    {SBI_EXT_HSM, 2, "sbi:HSM.hart_get_status"},
    {SBI_EXT_HSM, 3, "sbi:HSM.hart_suspend"},
    {SBI_EXT_SRST, 0, "sbi:SRST.system_reset"},
    {SBI_EXT_DBCN, 0, "sbi:DBCN.console_write"},
    {SBI_EXT_DBCN, 1, "sbi:DBCN.console_read"},
    {SBI_EXT_DBCN, 2, "sbi:DBCN.console_write_byte"},
    {SBI_EXT_LEGACY_SET_TIMER, 0, "sbi:legacy.set_timer"},
    {SBI_EXT_LEGACY_PUTCHAR, 0, "sbi:legacy.console_putchar"},
    {SBI_EXT_LEGACY_GETCHAR, 0, "sbi:legacy.console_getchar"},
    {SBI_EXT_LEGACY_CLEAR_IPI, 0, "sbi:legacy.clear_ipi"},
    {SBI_EXT_LEGACY_SEND_IPI, 0, "sbi:legacy.send_ipi"},
    {SBI_EXT_LEGACY_FENCE_I, 0, "sbi:legacy.remote_fence_i"},
    {SBI_EXT_LEGACY_SFENCE_VMA, 0, "sbi:legacy.remote_sfence_vma"},
    {SBI_EXT_LEGACY_SFENCE_ASID, 0, "sbi:legacy.remote_sfence_vma_asid"},
    {SBI_EXT_LEGACY_SHUTDOWN, 0, "sbi:legacy.shutdown"},
};
#define SBI_UNKNOWN_NAME "sbi:unsupported"

static int fn_index(uint64_t eid, uint64_t fid)
{
	if (eid <= SBI_EXT_LEGACY_SHUTDOWN)
		fid = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(sbi_fns); i++)
		if (sbi_fns[i].eid == eid && sbi_fns[i].fid == fid)
			return (int)i;
	return -1;
}

const char *sbi_call_name(uint64_t eid, uint64_t fid)
{
	int i = fn_index(eid, fid);

	return i < 0 ? SBI_UNKNOWN_NAME : sbi_fns[i].name;
}

static bool ext_supported(uint64_t eid)
{
	switch (eid) {
	case SBI_EXT_BASE:
	case SBI_EXT_TIME:
	case SBI_EXT_IPI:
	case SBI_EXT_RFENCE:
	case SBI_EXT_HSM:
	case SBI_EXT_SRST:
	case SBI_EXT_DBCN:
		return true;
	default:
		return eid <= SBI_EXT_LEGACY_SHUTDOWN;
	}
}

struct ret {
	int64_t err;
	uint64_t val;
};

static struct machine *mach(struct hart *h)
{
	return h->plat->m;
}

/* Applies fn to every hart selected by (mask, base); base == -1 selects all harts. */
static int64_t for_harts(struct hart *h, uint64_t mask, uint64_t base,
			 void (*fn)(struct hart *self, struct hart *t))
{
	struct rv_platform *p = h->plat;

	if (base == UINT64_MAX) {
		for (unsigned i = 0; i < p->nharts; i++)
			fn(h, p->harts[i]);
		return SBI_SUCCESS;
	}
	/* Validate first so that a bad mask has no effect at all. */
	for (unsigned b = 0; b < 64; b++)
		if (((mask >> b) & 1) && (base + b < base || base + b >= p->nharts))
			return SBI_ERR_INVALID_PARAM;
	for (unsigned b = 0; b < 64; b++)
		if ((mask >> b) & 1)
			fn(h, p->harts[base + b]);
	return SBI_SUCCESS;
}

static void do_ipi(struct hart *self, struct hart *t)
{
	(void)self;
	hart_set_irq(t, IRQ_S_SOFT, true);
}

/* Flushes self's TLB if another hart asked for it: done while waiting for others, so that two
 * harts fencing each other cannot deadlock. */
static void service_own_flush(struct hart *self)
{
	if (__atomic_load_n(&self->flush_pending, __ATOMIC_ACQUIRE)) {
		hart_flush_tlb(self);
		__atomic_store_n(&self->flush_pending, 0, __ATOMIC_RELEASE);
	}
}

static bool hart_started(struct hart *t)
{
	struct sbi *s = t->plat->sbi;
	int st;

	pthread_mutex_lock(&s->lock);
	st = s->harts[t->hartid].state;
	pthread_mutex_unlock(&s->lock);
	return st == SBI_HSM_STARTED;
}

/* Remote fences complete before the call returns (Linux frees page tables right after). A
 * hart that is not running flushes everything when it starts, so it is not waited for. */
static void do_fence(struct hart *self, struct hart *t)
{
	struct machine *m = self->plat->m;

	if (t == self) {
		hart_flush_tlb(t);
		return;
	}
	hart_remote_flush(t);
	while (__atomic_load_n(&t->flush_pending, __ATOMIC_ACQUIRE) && hart_started(t) &&
	       !machine_stopping(m)) {
		service_own_flush(self);
		sched_yield();
	}
}

#define MENVCFG_STCE (1ULL << 63)

/* The SBI timer is Sstc's stimecmp, as OpenSBI does on Sstc harts: the firmware (us) turns
 * menvcfg.STCE on so that the core drives STIP from it (bare-metal programs start with it off). */
static void set_timer(struct hart *h, uint64_t when)
{
	h->menvcfg |= MENVCFG_STCE;
	__atomic_store_n(&h->stimecmp, when, __ATOMIC_RELEASE);
	hart_set_irq(h, IRQ_S_TIMER, rv_mtime(h->plat) >= when);
	hart_kick(h);
}

static struct ret base_call(struct hart *h, uint64_t fid, uint64_t a0)
{
	(void)h;
	switch (fid) {
	case 0:
		return (struct ret){0, SBI_SPEC_VERSION};
	case 1:
		return (struct ret){0, SBI_IMPL_ID_GASANG};
	case 2:
		return (struct ret){0, SBI_IMPL_VERSION};
	case 3:
		return (struct ret){0, ext_supported(a0) ? 1 : 0};
	case 4: /* mvendorid, marchid, mimpid: not assigned */
	case 5:
	case 6:
		return (struct ret){0, 0};
	default:
		return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
	}
}

static struct ret rfence_call(struct hart *h, uint64_t fid, const uint64_t *a)
{
	if (fid > 2)
		return (struct ret){SBI_ERR_NOT_SUPPORTED, 0}; /* hypervisor fences */
	/* Every fence flushes the whole TLB and fetch state of the targets: always correct. */
	return (struct ret){for_harts(h, a[0], a[1], do_fence), 0};
}

/* Puts h in S-mode at addr with a0 = hartid, a1 = opaque, as hart_start requires. */
static void hsm_enter(struct hart *h, uint64_t addr, uint64_t opaque)
{
	h->priv = PRV_S;
	h->satp = 0;
	h->mstatus &= ~MSTATUS_SIE;
	h->pc = addr;
	h->x[10] = h->hartid;
	h->x[11] = opaque;
	/* As OpenSBI does: user mode may read cycle, time and instret (Linux's vDSO reads time
	 * and leaves scounteren alone without a PMU driver). */
	h->scounteren = 7;
	hart_flush_tlb(h);
}

/* Waits until hart idx leaves STOPPED. Called with s->lock held. */
static bool hsm_wait(struct sbi *s, unsigned idx)
{
	while (s->harts[idx].state != SBI_HSM_START_PENDING && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->stopping)
		return false;
	s->harts[idx].state = SBI_HSM_STARTED;
	pthread_cond_broadcast(&s->cond);
	return true;
}

bool sbi_hsm_wait_start(struct sbi *s, struct hart *h)
{
	unsigned idx = (unsigned)h->hartid;
	uint64_t addr, opaque;
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = hsm_wait(s, idx);
	addr = s->harts[idx].start_addr;
	opaque = s->harts[idx].opaque;
	pthread_mutex_unlock(&s->lock);
	if (ok) {
		hart_reset(h, PRV_S, addr);
		hsm_enter(h, addr, opaque);
	}
	return ok;
}

void sbi_hsm_mark_started(struct sbi *s, unsigned hartid)
{
	pthread_mutex_lock(&s->lock);
	if (hartid < s->plat->nharts)
		s->harts[hartid].state = SBI_HSM_STARTED;
	pthread_mutex_unlock(&s->lock);
}

void sbi_stop(struct sbi *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static struct ret hsm_call(struct hart *h, uint64_t fid, const uint64_t *a)
{
	struct sbi *s = h->plat->sbi;
	unsigned n = h->plat->nharts;
	struct ret r = {SBI_SUCCESS, 0};

	pthread_mutex_lock(&s->lock);
	switch (fid) {
	case 0: /* hart_start(hartid, start_addr, opaque) */
		if (a[0] >= n)
			r.err = SBI_ERR_INVALID_PARAM;
		else if (!gmem_ptr(&mach(h)->mem, a[1], 4))
			r.err = SBI_ERR_INVALID_ADDRESS;
		else if (s->harts[a[0]].state != SBI_HSM_STOPPED)
			r.err = SBI_ERR_ALREADY_AVAILABLE;
		else {
			s->harts[a[0]].start_addr = a[1];
			s->harts[a[0]].opaque = a[2];
			s->harts[a[0]].state = SBI_HSM_START_PENDING;
			pthread_cond_broadcast(&s->cond);
		}
		break;
	case 1: { /* hart_stop(): returns only when started again */
		unsigned idx = (unsigned)h->hartid;

		s->harts[idx].state = SBI_HSM_STOPPED;
		pthread_cond_broadcast(&s->cond);
		if (hsm_wait(s, idx)) {
			/* The core continues at the new pc (not past the ECALL). */
			hsm_enter(h, s->harts[idx].start_addr, s->harts[idx].opaque);
			pthread_mutex_unlock(&s->lock);
			return (struct ret){(int64_t)h->x[10], h->x[11]};
		}
		break;
	}
	case 2: /* hart_get_status(hartid) */
		if (a[0] >= n)
			r.err = SBI_ERR_INVALID_PARAM;
		else
			r.val = (uint64_t)s->harts[a[0]].state;
		break;
	default: /* hart_suspend: no suspend states are described in the device tree */
		r.err = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static struct ret srst_call(struct hart *h, uint64_t fid, uint64_t type, uint64_t reason)
{
	int status;

	if (fid != 0)
		return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
	/* Vendor reset types are valid but not implemented; other unknown values are invalid. */
	if (type >= 0xf0000000UL && type <= 0xffffffffUL)
		return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
	if (type > 2 || (reason > 1 && reason < 0xf0000000UL) || reason > 0xffffffffUL)
		return (struct ret){SBI_ERR_INVALID_PARAM, 0};
	if (reason >= SBI_SRST_REASON_GASANG_STATUS)
		status = (int)(reason & 0xff);
	else
		status = reason == 1 ? 1 : 0; /* system failure */
	machine_request_stop(mach(h), type == 0 ? STOP_POWEROFF : STOP_REBOOT, status);
	return (struct ret){SBI_SUCCESS, 0};
}

static struct ret dbcn_call(struct hart *h, uint64_t fid, const uint64_t *a)
{
	struct sbi *s = h->plat->sbi;
	uint64_t len = MIN(a[0], (uint64_t)DBCN_MAX);
	uint8_t *buf;

	if (fid == 2) {
		uint8_t c = (uint8_t)a[0];

		if (s->console)
			chardev_write(s->console, &c, 1);
		return (struct ret){SBI_SUCCESS, 0};
	}
	if (fid > 1)
		return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
	if (a[2] != 0)
		return (struct ret){SBI_ERR_INVALID_PARAM, 0}; /* beyond 64-bit physical space */
	if (len == 0)
		return (struct ret){SBI_SUCCESS, 0};
	/* The whole buffer the guest named must be RAM, even if we transfer less of it. */
	if (!gmem_ptr(&mach(h)->mem, a[1], a[0]))
		return (struct ret){SBI_ERR_INVALID_PARAM, 0};
	buf = gmem_ptr(&mach(h)->mem, a[1], len);
	if (fid == 0) {
		if (s->console)
			chardev_write(s->console, buf, len);
		return (struct ret){SBI_SUCCESS, len};
	}
	return (struct ret){SBI_SUCCESS, s->console ? chardev_read(s->console, buf, len) : 0};
}

/* Legacy IPI and fences take a pointer to a hart mask in S-mode virtual memory (NULL: all).
 * A bad pointer faults like the guest's own load would (OpenSBI redirects it the same way). */
static bool legacy_mask(struct hart *h, uint64_t ptr, uint64_t *mask, uint64_t *base)
{
	*base = 0;
	if (!ptr) {
		*base = UINT64_MAX;
		return true;
	}
	return hart_load(h, ptr, 8, mask);
}

static struct ret legacy_call(struct hart *h, uint64_t eid, const uint64_t *a)
{
	struct sbi *s = h->plat->sbi;
	uint64_t mask = 0, base;
	uint8_t c;

	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
		set_timer(h, a[0]);
		return (struct ret){0, 0};
	case SBI_EXT_LEGACY_PUTCHAR:
		c = (uint8_t)a[0];
		if (s->console)
			chardev_write(s->console, &c, 1);
		return (struct ret){0, 0};
	case SBI_EXT_LEGACY_GETCHAR:
		if (s->console && chardev_read(s->console, &c, 1) == 1)
			return (struct ret){c, 0};
		return (struct ret){-1, 0};
	case SBI_EXT_LEGACY_CLEAR_IPI:
		hart_set_irq(h, IRQ_S_SOFT, false);
		return (struct ret){0, 0};
	case SBI_EXT_LEGACY_SEND_IPI:
		if (!legacy_mask(h, a[0], &mask, &base))
			return (struct ret){SBI_ERR_INVALID_ADDRESS, 0}; /* fault taken */
		return (struct ret){for_harts(h, mask, base, do_ipi), 0};
	case SBI_EXT_LEGACY_FENCE_I:
	case SBI_EXT_LEGACY_SFENCE_VMA:
	case SBI_EXT_LEGACY_SFENCE_ASID:
		if (!legacy_mask(h, a[0], &mask, &base))
			return (struct ret){SBI_ERR_INVALID_ADDRESS, 0}; /* fault taken */
		return (struct ret){for_harts(h, mask, base, do_fence), 0};
	default: /* SBI_EXT_LEGACY_SHUTDOWN */
		machine_request_stop(mach(h), STOP_POWEROFF, 0);
		return (struct ret){0, 0};
	}
}

static struct ret dispatch(struct hart *h, uint64_t eid, uint64_t fid, const uint64_t *a)
{
	switch (eid) {
	case SBI_EXT_BASE:
		return base_call(h, fid, a[0]);
	case SBI_EXT_TIME:
		if (fid != 0)
			break;
		set_timer(h, a[0]);
		return (struct ret){SBI_SUCCESS, 0};
	case SBI_EXT_IPI:
		if (fid != 0)
			break;
		return (struct ret){for_harts(h, a[0], a[1], do_ipi), 0};
	case SBI_EXT_RFENCE:
		return rfence_call(h, fid, a);
	case SBI_EXT_HSM:
		return hsm_call(h, fid, a);
	case SBI_EXT_SRST:
		return srst_call(h, fid, a[0], a[1]);
	case SBI_EXT_DBCN:
		return dbcn_call(h, fid, a);
	default:
		if (eid <= SBI_EXT_LEGACY_SHUTDOWN)
			return legacy_call(h, eid, a);
		break;
	}
	return (struct ret){SBI_ERR_NOT_SUPPORTED, 0};
}

bool sbi_call(struct hart *h)
{
	uint64_t eid = h->x[17], fid = h->x[16], t0 = now_ns(), at = h->pc;
	uint64_t args[6];
	struct ret r;
	int idx;

	memcpy(args, &h->x[10], sizeof(args));
	r = dispatch(h, eid, fid, args);
	if (eid <= SBI_EXT_LEGACY_SHUTDOWN && h->pc != at) {
		/* A fault was raised reading guest memory: the core delivers it (pc moved), with
		 * the guest's registers as they were. */
	} else if (eid <= SBI_EXT_LEGACY_SHUTDOWN) {
		h->x[10] = (uint64_t)r.err; /* legacy calls return only a0 */
	} else {
		h->x[10] = (uint64_t)r.err;
		h->x[11] = r.val;
	}
	idx = fn_index(eid, fid);
	if (h->vcpu)
		stats_add(&h->vcpu->stats,
			  idx < 0 ? SBI_STATS_FIRST + ARRAY_SIZE(sbi_fns)
				  : SBI_STATS_FIRST + (unsigned)idx,
			  idx < 0 ? SBI_UNKNOWN_NAME : sbi_fns[idx].name, now_ns() - t0);
	return true;
}

int sbi_init(struct sbi *s, struct rv_platform *plat, struct chardev *console)
{
	memset(s, 0, sizeof(*s));
	s->harts = calloc(plat->nharts ? plat->nharts : 1, sizeof(*s->harts));
	if (!s->harts)
		return -ENOMEM;
	s->plat = plat;
	s->console = console;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	for (unsigned i = 0; i < plat->nharts; i++)
		s->harts[i].state = i == 0 ? SBI_HSM_STARTED : SBI_HSM_STOPPED;
	plat->sbi = s;
	return 0;
}

void sbi_free(struct sbi *s)
{
	if (!s->harts)
		return;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->harts);
	s->harts = NULL;
}
