/* Hart lifecycle, cross-thread signalling (irq, kick, remote flush), the run loop around the
 * interpreter, and the software engine's accel_ops. */
#include "accel/emu/core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel/accel.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

/* Instructions between two looks at timers, interrupts and the machine state. */
#define RUN_BUDGET 4096

#define MISA_RV64GC                                                                                \
	((2ULL << 62) | (1 << ('A' - 'A')) | (1 << ('C' - 'A')) | (1 << ('D' - 'A')) |             \
	 (1 << ('F' - 'A')) | (1 << ('I' - 'A')) | (1 << ('M' - 'A')) | (1 << ('S' - 'A')) |       \
	 (1 << ('U' - 'A')))

uint64_t rv_mtime(const struct rv_platform *p)
{
	uint64_t ns = now_ns() - p->time_origin_ns;

	return (uint64_t)((unsigned __int128)ns * p->timebase_hz / 1000000000ULL);
}

int hart_init(struct hart *h, struct rv_platform *p, uint64_t hartid)
{
	pthread_condattr_t ca;
	struct core *c;

	rvc_init();
	memset(h, 0, sizeof(*h));
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	h->core = c;
	h->plat = p;
	h->hartid = hartid;
	if (!p->timebase_hz)
		p->timebase_hz = 10000000;
	pthread_mutex_init(&h->wfi_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wfi_cond, &ca);
	pthread_condattr_destroy(&ca);
	hart_reset(h, PRV_M, 0);
	return 0;
}

void hart_free(struct hart *h)
{
	if (!h->core)
		return;
	jit_free(h);
	pthread_cond_destroy(&h->wfi_cond);
	pthread_mutex_destroy(&h->wfi_lock);
	free(h->core);
	h->core = NULL;
}

void hart_reset(struct hart *h, unsigned prv, uint64_t pc)
{
	struct core *c = core_of(h);

	memset(h->x, 0, sizeof(h->x));
	memset(h->f, 0, sizeof(h->f));
	h->fflags = h->frm = 0;
	h->pc = pc;
	h->priv = prv;
	h->mstatus = (2ULL << 32) | (2ULL << 34); /* UXL = SXL = 64 */
	h->misa = MISA_RV64GC;
	h->medeleg = h->mideleg = h->mie = 0;
	h->mtvec = h->mscratch = h->mepc = h->mcause = h->mtval = 0;
	h->mcounteren = h->menvcfg = h->mcountinhibit = 0;
	__atomic_store_n(&h->mip, 0, __ATOMIC_RELEASE);
	h->stvec = h->sscratch = h->sepc = h->scause = h->stval = h->satp = 0;
	h->scounteren = h->senvcfg = 0;
	h->stimecmp = h->mtimecmp = UINT64_MAX;
	h->instret = h->cycle = 0;
	h->lr_valid = false;
	c->host_fw = h->plat->sbi_call && prv != PRV_M;
	if (c->host_fw) {
		/* What M-mode firmware would have set up before entering S-mode. */
		h->medeleg = 0xffffULL & ~((1ULL << EXC_ECALL_S) | (1ULL << EXC_ECALL_M) |
					   (1ULL << 10) | (1ULL << 14));
		h->mideleg = (1ULL << IRQ_S_SOFT) | (1ULL << IRQ_S_TIMER) | (1ULL << IRQ_S_EXT);
		h->menvcfg = MENVCFG_STCE;
		h->mcounteren = 7;
	}
	c->recheck = 1;
	hart_flush_tlb(h);
}

void hart_kick(struct hart *h)
{
	__atomic_store_n(&h->kick, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&h->wfi_lock);
	pthread_cond_broadcast(&h->wfi_cond);
	pthread_mutex_unlock(&h->wfi_lock);
}

void hart_set_irq(struct hart *h, unsigned irq, bool level)
{
	uint64_t bit = 1ULL << irq;

	if (level)
		__atomic_fetch_or(&h->mip, bit, __ATOMIC_ACQ_REL);
	else
		__atomic_fetch_and(&h->mip, ~bit, __ATOMIC_ACQ_REL);
	hart_kick(h);
}

void hart_remote_flush(struct hart *h)
{
	__atomic_store_n(&h->flush_pending, 1, __ATOMIC_RELEASE);
	hart_kick(h);
}

/* The check point between two runs of the interpreter. */
static void hart_service(struct hart *h)
{
	__atomic_store_n(&h->kick, 0, __ATOMIC_RELAXED);
	core_of(h)->recheck = 0;
	if (__atomic_load_n(&h->flush_pending, __ATOMIC_ACQUIRE)) {
		hart_flush_tlb(h);
		jit_request_flush(h); /* a remote FENCE.I comes this way too */
		__atomic_store_n(&h->flush_pending, 0, __ATOMIC_RELEASE);
	}
	trap_update_timers(h);
	trap_check_irq(h);
}

uint64_t hart_step(struct hart *h, uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t chunk = n - done < RUN_BUDGET ? n - done : RUN_BUDGET;
		uint64_t ran;

		hart_service(h);
		ran = core_exec(h, chunk);
		done += ran;
		/* Stop early after a WFI or a kick; other early returns are check points. */
		if (core_of(h)->wfi_exit || __atomic_load_n(&h->kick, __ATOMIC_ACQUIRE)) {
			core_of(h)->wfi_exit = 0;
			break;
		}
	}
	return done;
}

/* True while the hart must sleep: halted (HSM stop), or the machine paused. */
static bool hart_must_wait(struct hart *h)
{
	struct machine *m = h->plat->m;

	if (machine_stopping(m))
		return false;
	return machine_paused(m) || __atomic_load_n(&h->halted, __ATOMIC_ACQUIRE);
}

/* Sleeps while hart_must_wait(), still answering remote TLB flushes: a hart in the middle of
 * an SBI remote fence waits for them. A kick wakes it to check again. */
static void hart_wait(struct hart *h)
{
	pthread_mutex_lock(&h->wfi_lock);
	while (hart_must_wait(h)) {
		if (__atomic_load_n(&h->flush_pending, __ATOMIC_ACQUIRE)) {
			hart_flush_tlb(h);
			__atomic_store_n(&h->flush_pending, 0, __ATOMIC_RELEASE);
		}
		pthread_cond_wait(&h->wfi_cond, &h->wfi_lock);
	}
	pthread_mutex_unlock(&h->wfi_lock);
}

int hart_run(struct hart *h)
{
	struct machine *m = h->plat->m;

	while (!machine_stopping(m)) {
		if (hart_must_wait(h)) {
			hart_wait(h);
			continue;
		}
		hart_service(h);
		core_exec(h, RUN_BUDGET);
		core_of(h)->wfi_exit = 0;
	}
	return 0;
}

void hart_dump(const struct hart *h, FILE *f)
{
	fprintf(f, "hart %" PRIu64 ": pc %016" PRIx64 " priv %u\n", h->hartid, h->pc, h->priv);
	for (unsigned i = 0; i < 32; i += 4)
		fprintf(f, "x%-2u %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", i,
			h->x[i], h->x[i + 1], h->x[i + 2], h->x[i + 3]);
	fprintf(f,
		"mstatus %016" PRIx64 " mcause %016" PRIx64 " mepc %016" PRIx64 " mtval %016" PRIx64
		"\nscause  %016" PRIx64 " sepc %016" PRIx64 " stval %016" PRIx64 " satp %016" PRIx64
		"\n",
		h->mstatus, h->mcause, h->mepc, h->mtval, h->scause, h->sepc, h->stval, h->satp);
}

static int emu_init(struct machine *m)
{
	(void)m;
	return 0;
}

static int emu_vcpu_init(struct vcpu *v)
{
	(void)v;
	return 0;
}

static int emu_vcpu_run(struct vcpu *v)
{
	struct hart *h = v->priv;

	if (!h)
		return -EINVAL;
	h->vcpu = v;
	return hart_run(h);
}

int hart_use_jit(struct hart *h, bool on)
{
	if (!on) {
		jit_free(h);
		return 0;
	}
	return jit_init(h);
}

static int emu_jit_vcpu_run(struct vcpu *v)
{
	struct hart *h = v->priv;
	int ret;

	if (!h)
		return -EINVAL;
	ret = hart_use_jit(h, true);
	if (ret)
		log_warn("emu: translator unavailable (%s): interpreting", strerror(-ret));
	return emu_vcpu_run(v);
}

static void emu_vcpu_kick(struct vcpu *v)
{
	if (v->priv)
		hart_kick(v->priv);
}

static void emu_vcpu_dump(struct vcpu *v, FILE *f)
{
	if (v->priv)
		hart_dump(v->priv, f);
}

static void emu_vcpu_free(struct vcpu *v)
{
	(void)v; /* the board owns its harts */
}

static void emu_free(struct machine *m)
{
	(void)m;
}

const struct accel_ops emu_interp_accel_ops = {
    .name = "emu-interp",
    .init = emu_init,
    .vcpu_init = emu_vcpu_init,
    .vcpu_run = emu_vcpu_run,
    .vcpu_kick = emu_vcpu_kick,
    .vcpu_dump = emu_vcpu_dump,
    .vcpu_free = emu_vcpu_free,
    .free = emu_free,
};

/* The default engine: the binary translator (jit/), with the interpreter for what it leaves. */
const struct accel_ops emu_accel_ops = {
    .name = "emu",
    .init = emu_init,
    .vcpu_init = emu_vcpu_init,
    .vcpu_run = emu_jit_vcpu_run,
    .vcpu_kick = emu_vcpu_kick,
    .vcpu_dump = emu_vcpu_dump,
    .vcpu_free = emu_vcpu_free,
    .free = emu_free,
};
