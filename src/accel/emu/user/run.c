/* Starting and running a riscv64 program on the software engine's hart in U-mode. */
#include <errno.h>
#include <signal.h>

#include "accel/emu/user/uproc.h"
#include "base/util.h"

#define MSTATUS_FS_INITIAL (1ULL << 13)
#define STEP_BUDGET	   (1ULL << 22)

/* Every exception raised in U-mode lands here instead of in a trap vector: an ECALL is a
 * syscall, anything else becomes the signal Linux would send. */
static bool user_trap(struct hart *h, unsigned cause, uint64_t tval)
{
	struct uthread *t = uthread_of(h);
	struct uproc *p = t->proc;

	switch (cause) {
	case EXC_ECALL_U:
		uproc_syscall(p);
		break;
	case EXC_BREAKPOINT:
		uproc_signal_fault(p, SIGTRAP, h->pc);
		break;
	case EXC_ILLEGAL_INSN:
		uproc_signal_fault(p, SIGILL, h->pc);
		break;
	case EXC_INSN_MISALIGNED:
	case EXC_LOAD_MISALIGNED:
	case EXC_STORE_MISALIGNED:
		uproc_signal_fault(p, SIGBUS, tval);
		break;
	default: /* access and page faults */
		uproc_signal_fault(p, SIGSEGV, tval);
		break;
	}
	if (p->exited || t->exited)
		__atomic_store_n(&h->kick, 1, __ATOMIC_RELEASE);
	return true;
}

static void flush_hart(struct uproc *p)
{
	struct uthread *t = uthread_self(p);
	if (t->hart_ready) {
		hart_flush_tlb(&t->hart);
		hart_flush_code(&t->hart); /* the host may have put new code in memory */
	}
}

int uproc_start(struct uproc *p, const char *path, const char *argv0, int argc, char **argv,
		char **envp, const char **why)
{
	struct uthread *t = &p->main;
	struct hart *h = &t->hart;
	uint64_t sp;
	int ret;

	*why = NULL;
	ret = uproc_load_elf(p, path, why);
	if (ret)
		return ret;
	p->plat.m = &p->m;
	p->plat.timebase_hz = 10000000;
	p->plat.time_origin_ns = now_ns();
	p->plat.user_trap = user_trap;
	p->plat.flat_loads = true;
	p->plat.nharts = 1;
	ret = hart_init(h, &p->plat, 0);
	if (ret)
		return ret;
	t->hart_ready = true;
	if (p->jit && (ret = hart_use_jit(h, true)))
		return ret;
	p->mem_changed = flush_hart;
	if (argv0 && argc > 0)
		argv[0] = (char *)argv0;
	ret = uproc_build_stack(p, argc, argv, envp, path, &sp);
	if (ret) {
		*why = "arguments and environment do not fit on the stack";
		return ret;
	}
	ret = uproc_signals_init(p);
	if (ret)
		return ret;
	hart_reset(h, PRV_U, p->entry);
	h->mstatus |= MSTATUS_FS_INITIAL;
	h->mcounteren = h->scounteren = 7; /* cycle, time, instret readable, as on Linux */
	h->x[2] = sp;
	return 0;
}

void uthread_loop(struct uthread *t)
{
	struct uproc *p = t->proc;

	while (!p->exited && !t->exited) {
		hart_step(&t->hart, STEP_BUDGET);
		uproc_signal_deliver(p);
	}
}

int uproc_run(struct uproc *p)
{
	uthread_loop(&p->main);
	return uproc_wait_threads(p);
}
