/* Signals of the process VM.
 *
 * Guest dispositions are mirrored onto the host: SIG_DFL and SIG_IGN become the host's own
 * (so the kernel kills, stops or ignores gasang exactly as it would the program, and ignored
 * signals survive execve), and a guest handler becomes a small host handler that only records
 * the signal and kicks the hart. The guest's blocked mask is mirrored too, so host syscalls are
 * interrupted (EINTR) only by signals the guest will take. Pending signals are delivered
 * between instructions by building a riscv64 rt_sigframe on the guest stack, as
 * arch/riscv/kernel/signal.c does; the return path is a two-instruction trampoline page
 * (li a7, 139; ecall) standing in for the vDSO's __vdso_rt_sigreturn. Signals raised by the
 * program itself (faults, kill/tgkill of itself) are queued internally. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"
#include "base/log.h"
#include "base/util.h"

#define G_SIG_DFL      0
#define G_SIG_IGN      1
#define G_SA_SIGINFO   0x00000004ULL
#define G_SA_ONSTACK   0x08000000ULL
#define G_SA_RESTART   0x10000000ULL
#define G_SA_NODEFER   0x40000000ULL
#define G_SA_RESETHAND 0x80000000ULL
#define G_SS_ONSTACK   1
#define G_SS_DISABLE   2
#define SIGBIT(s)      (1ULL << ((s)-1))
#define UNBLOCKABLE    (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
/* Signals the CPU raises synchronously: never routed through host handlers. */
#define SYNCHRONOUS                                                                                \
	(SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGFPE) | SIGBIT(SIGTRAP) |    \
	 SIGBIT(SIGSYS))

/* struct rt_sigframe for riscv64: siginfo (128 bytes) then ucontext (960 bytes). */
#define FRAME_INFO  0
#define FRAME_UC    128
#define UC_FLAGS    (FRAME_UC + 0)
#define UC_LINK	    (FRAME_UC + 8)
#define UC_STACK    (FRAME_UC + 16)
#define UC_SIGMASK  (FRAME_UC + 40)
#define UC_MCONTEXT (FRAME_UC + 176)
#define MC_FPREGS   (UC_MCONTEXT + 256)
#define MC_FCSR	    (MC_FPREGS + 256)
#define FRAME_SIZE  (FRAME_UC + 960)

/* The guest thread running on this host thread: the host handler records signals there. */
static __thread struct uthread *cur_thread;
static siginfo_t host_info[UPROC_NSIG + 1];

void uthread_set_current(struct uthread *t)
{
	cur_thread = t;
}

struct uthread *uthread_self(struct uproc *p)
{
	struct uthread *t = cur_thread;

	return t && t->proc == p ? t : &p->main;
}

static void host_handler(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	if (sig < 1 || sig > UPROC_NSIG)
		return;
	host_info[sig] = *info;
	if (!cur_thread)
		return;
	__atomic_fetch_or(&cur_thread->host_pending, SIGBIT(sig), __ATOMIC_SEQ_CST);
	/* Not hart_kick(): it takes a mutex, which a signal handler must not. The flag is all
	 * the interpreter looks at. */
	__atomic_store_n(&cur_thread->hart.kick, 1, __ATOMIC_RELEASE);
}

/* Signals glibc keeps for itself on the host (SIGCANCEL, SIGSETXID) cannot be mirrored. */
static bool host_mirrorable(int sig)
{
	return sig < SIGRTMIN || sig > 33;
}

static void mirror_action(int sig, uint64_t handler)
{
	struct sigaction sa = {0};

	if (!host_mirrorable(sig) || sig == SIGKILL || sig == SIGSTOP)
		return;
	if (handler == G_SIG_IGN) {
		sa.sa_handler = SIG_IGN;
	} else if (handler == G_SIG_DFL || (SIGBIT(sig) & SYNCHRONOUS)) {
		sa.sa_handler = SIG_DFL;
	} else {
		sa.sa_sigaction = host_handler;
		sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: the guest's flags decide that */
		sigfillset(&sa.sa_mask);
	}
	sigaction(sig, &sa, NULL);
}

/* The host mask of the calling host thread follows its guest thread's. */
static void mirror_mask(const struct uthread *t)
{
	sigset_t set;

	sigemptyset(&set);
	for (int s = 1; s <= UPROC_NSIG; s++) {
		if ((t->sigmask & SIGBIT(s)) && host_mirrorable(s) && !(SIGBIT(s) & SYNCHRONOUS))
			sigaddset(&set, s);
	}
	sigprocmask(SIG_SETMASK, &set, NULL);
}

int uproc_signals_init(struct uproc *p)
{
	struct uthread *t = uthread_self(p);
	sigset_t cur;

	t->proc = p;
	uthread_set_current(t);
	__atomic_store_n(&t->host_pending, 0, __ATOMIC_SEQ_CST);
	/* main() ignores SIGPIPE for gasang's own sake; a program starts with the default. */
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	for (int s = 1; s <= UPROC_NSIG; s++) {
		struct sigaction old;

		if (host_mirrorable(s) && sigismember(&cur, s) == 1)
			t->sigmask |= SIGBIT(s);
		if (host_mirrorable(s) && !sigaction(s, NULL, &old) && old.sa_handler == SIG_IGN)
			p->sa[s].handler = G_SIG_IGN; /* inherited across execve, as on Linux */
	}
	t->sigmask &= ~UNBLOCKABLE;
	t->ss_flags = G_SS_DISABLE;
	return uproc_signal_install_trampoline(p);
}

int uproc_signal_install_trampoline(struct uproc *p)
{
	static const uint32_t code[] = {
	    0x08b00893, /* addi a7, zero, 139 (__NR_rt_sigreturn) */
	    0x00000073, /* ecall */
	};

	return uproc_write(p, UPROC_SIGPAGE, code, sizeof(code));
}

static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static const char *sig_name(int sig)
{
	const char *s = sigabbrev_np(sig);

	return s ? s : "RT";
}

/* The program dies of sig. */
static void terminate(struct uproc *p, int sig)
{
	p->exited = true;
	p->exit_sig = sig;
	p->exit_code = 128 + sig;
}

void uproc_signal_fault(struct uproc *p, int sig, uint64_t addr)
{
	struct uthread *t = uthread_self(p);
	uint64_t h = p->sa[sig].handler;

	if (h == G_SIG_DFL || h == G_SIG_IGN || (t->sigmask & SIGBIT(sig))) {
		/* Like Linux's force_sig: a blocked or ignored fault still kills. */
		log_error("guest: SIG%s at pc 0x%llx (address 0x%llx)", sig_name(sig),
			  (unsigned long long)t->hart.pc, (unsigned long long)addr);
		terminate(p, sig);
		return;
	}
	t->fault_addr[sig] = addr;
	t->pending |= SIGBIT(sig);
	uproc_signal_deliver(p);
}

static void fill_siginfo(struct uproc *p, int sig, uint8_t *info)
{
	struct uthread *t = uthread_self(p);
	int32_t head[4] = {sig, 0, 0, 0};

	memset(info, 0, 128);
	if (SIGBIT(sig) & SYNCHRONOUS) {
		head[2] = 1; /* SEGV_MAPERR / ILL_ILLOPC / BUS_ADRALN / TRAP_BRKPT */
		memcpy(info, head, sizeof(head));
		memcpy(info + 16, &t->fault_addr[sig], 8);
		return;
	}
	if (host_info[sig].si_signo == sig) {
		/* siginfo_t is the asm-generic layout on both x86_64 and riscv64. */
		memcpy(info, &host_info[sig], 128);
		return;
	}
	head[2] = 0; /* SI_USER from the program itself */
	memcpy(info, head, sizeof(head));
	int32_t pid = getpid(), uid = (int32_t)getuid();
	memcpy(info + 16, &pid, 4);
	memcpy(info + 20, &uid, 4);
}

static bool on_altstack(const struct uthread *t, uint64_t sp)
{
	return t->ss_size && sp - t->ss_sp < t->ss_size;
}

static void build_frame(struct uproc *p, int sig, const struct usigaction *sa)
{
	struct uthread *t = uthread_self(p);
	struct hart *h = &t->hart;
	uint64_t sp = h->x[2], frame;
	uint8_t *f;

	if ((sa->flags & G_SA_ONSTACK) && !(t->ss_flags & G_SS_DISABLE) && !on_altstack(t, sp))
		sp = t->ss_sp + t->ss_size;
	frame = ALIGN_DOWN(sp - FRAME_SIZE, 16);
	f = uproc_ptr(p, frame, FRAME_SIZE);
	if (sp < FRAME_SIZE || !f) {
		log_error("guest: no room for a SIG%s frame at sp 0x%llx", sig_name(sig),
			  (unsigned long long)sp);
		terminate(p, SIGSEGV);
		return;
	}
	memset(f, 0, FRAME_SIZE);
	fill_siginfo(p, sig, f + FRAME_INFO);
	uint64_t stack[3] = {t->ss_sp, on_altstack(t, h->x[2]) ? G_SS_ONSTACK : t->ss_flags,
			     t->ss_size};
	uint64_t mask = t->suspend_active ? t->suspend_mask : t->sigmask;
	memcpy(f + UC_STACK, stack, sizeof(stack));
	memcpy(f + UC_SIGMASK, &mask, 8);
	memcpy(f + UC_MCONTEXT, &h->pc, 8);
	memcpy(f + UC_MCONTEXT + 8, &h->x[1], 31 * 8);
	memcpy(f + MC_FPREGS, h->f, 32 * 8);
	uint32_t fcsr = (h->frm << 5) | h->fflags;
	memcpy(f + MC_FCSR, &fcsr, 4);

	t->sigmask = mask | sa->mask;
	if (!(sa->flags & G_SA_NODEFER))
		t->sigmask |= SIGBIT(sig);
	t->sigmask &= ~UNBLOCKABLE;
	t->suspend_active = false;
	mirror_mask(t);

	h->x[1] = UPROC_SIGPAGE;
	h->x[2] = frame;
	h->x[10] = (uint64_t)sig;
	h->x[11] = frame + FRAME_INFO;
	h->x[12] = frame + FRAME_UC;
	h->pc = sa->handler;
}

static void deliver_one(struct uproc *p, int sig)
{
	struct uthread *t = uthread_self(p);
	struct usigaction sa = p->sa[sig];

	if (sa.handler == G_SIG_IGN)
		return;
	if (sa.handler == G_SIG_DFL) {
		if (default_ignored(sig))
			return;
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			kill(getpid(), SIGSTOP);
			return;
		}
		terminate(p, sig);
		return;
	}
	if (t->sys_interrupted && (sa.flags & G_SA_RESTART)) {
		t->hart.pc = t->sys_pc;
		t->hart.x[10] = t->sys_a0;
	}
	t->sys_interrupted = false;
	if (sa.flags & G_SA_RESETHAND) {
		p->sa[sig].handler = G_SIG_DFL;
		mirror_action(sig, G_SIG_DFL);
	}
	build_frame(p, sig, &sa);
}

void uproc_signal_deliver(struct uproc *p)
{
	struct uthread *t = uthread_self(p);
	for (int rounds = 0; rounds < UPROC_NSIG && !p->exited; rounds++) {
		uint64_t ready;
		int sig;

		t->pending |= __atomic_exchange_n(&t->host_pending, 0, __ATOMIC_SEQ_CST);
		ready = t->pending & ~t->sigmask;
		if (!ready)
			break;
		sig = __builtin_ctzll(ready) + 1;
		t->pending &= ~SIGBIT(sig);
		deliver_one(p, sig);
	}
	t->sys_interrupted = false;
}

SYSCALL(rt_sigaction)
{
	int sig = (int)a[0];
	struct usigaction act;

	if (a[3] != 8 || sig < 1 || sig > UPROC_NSIG)
		return -EINVAL;
	if (a[2] && uproc_write(p, a[2], &p->sa[sig], sizeof(act)))
		return -EFAULT;
	if (!a[1])
		return 0;
	if (sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	if (uproc_read(p, a[1], &act, sizeof(act)))
		return -EFAULT;
	act.mask &= ~UNBLOCKABLE;
	p->sa[sig] = act;
	mirror_action(sig, act.handler);
	return 0;
}

SYSCALL(rt_sigprocmask)
{
	struct uthread *t = uthread_self(p);
	uint64_t set, old = t->sigmask;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (uproc_read(p, a[1], &set, 8))
			return -EFAULT;
		switch (a[0]) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
		mirror_mask(t);
	}
	if (a[2] && uproc_write(p, a[2], &old, 8))
		return -EFAULT;
	return 0;
}

SYSCALL(rt_sigreturn)
{
	struct uthread *t = uthread_self(p);
	struct hart *h = &t->hart;
	uint64_t frame = h->x[2], mask;
	uint8_t *f = uproc_ptr(p, frame, FRAME_SIZE);
	uint32_t fcsr;

	(void)a;
	t->no_ret = true;
	if (!f) {
		terminate(p, SIGSEGV);
		return 0;
	}
	memcpy(&mask, f + UC_SIGMASK, 8);
	memcpy(&h->pc, f + UC_MCONTEXT, 8);
	memcpy(&h->x[1], f + UC_MCONTEXT + 8, 31 * 8);
	memcpy(h->f, f + MC_FPREGS, 32 * 8);
	memcpy(&fcsr, f + MC_FCSR, 4);
	h->fflags = fcsr & 0x1f;
	h->frm = (fcsr >> 5) & 7;
	t->sigmask = mask & ~UNBLOCKABLE;
	mirror_mask(t);
	return 0;
}

SYSCALL(rt_sigsuspend)
{
	struct uthread *t = uthread_self(p);
	uint64_t mask;
	sigset_t set;

	if (a[1] != 8)
		return -EINVAL;
	if (uproc_read(p, a[0], &mask, 8))
		return -EFAULT;
	t->suspend_mask = t->sigmask;
	t->suspend_active = true;
	t->sigmask = mask & ~UNBLOCKABLE;
	if (!((t->pending | __atomic_load_n(&t->host_pending, __ATOMIC_SEQ_CST)) & ~t->sigmask)) {
		sigemptyset(&set);
		for (int s = 1; s <= UPROC_NSIG; s++) {
			if ((t->sigmask & SIGBIT(s)) && host_mirrorable(s))
				sigaddset(&set, s);
		}
		sigsuspend(&set);
	}
	/* The handler's frame records suspend_mask, restored by its rt_sigreturn. */
	return -EINTR;
}

SYSCALL(rt_sigtimedwait)
{
	struct uthread *t = uthread_self(p);
	const struct timespec *ts = NULL;
	uint64_t set, ready;
	uint8_t info[128];
	siginfo_t si;
	sigset_t hs;
	int sig;

	if (a[3] != 8)
		return -EINVAL;
	if (uproc_read(p, a[0], &set, 8))
		return -EFAULT;
	if (a[2] && !(ts = uproc_ptr(p, a[2], sizeof(*ts))))
		return -EFAULT;
	if (a[1] && !uproc_ptr(p, a[1], sizeof(info)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	/* Queued here already (raised by the program, or recorded by the host handler)? */
	t->pending |= __atomic_exchange_n(&t->host_pending, 0, __ATOMIC_SEQ_CST);
	ready = t->pending & set;
	if (ready) {
		sig = __builtin_ctzll(ready) + 1;
		t->pending &= ~SIGBIT(sig);
		fill_siginfo(p, sig, info);
	} else {
		/* Blocked signals stay pending in the host kernel (the mask is mirrored): wait
		 * for them there. */
		sigemptyset(&hs);
		for (int s = 1; s <= UPROC_NSIG; s++) {
			if ((set & SIGBIT(s)) && host_mirrorable(s))
				sigaddset(&hs, s);
		}
		sig = sigtimedwait(&hs, &si, ts);
		if (sig < 0)
			return -errno;
		memcpy(info, &si, sizeof(info)); /* asm-generic siginfo_t on both sides */
	}
	if (a[1])
		uproc_write(p, a[1], info, sizeof(info));
	return sig;
}

SYSCALL(rt_sigpending)
{
	struct uthread *t = uthread_self(p);
	uint64_t set =
	    (t->pending | __atomic_load_n(&t->host_pending, __ATOMIC_SEQ_CST)) & t->sigmask;

	if (a[1] != 8)
		return -EINVAL;
	return uproc_write(p, a[0], &set, 8) ? -EFAULT : 0;
}

SYSCALL(sigaltstack)
{
	struct uthread *t = uthread_self(p);
	uint64_t old[3] = {t->ss_sp, t->ss_flags, t->ss_size}, ss[3];

	if (on_altstack(t, t->hart.x[2]))
		old[1] = G_SS_ONSTACK;
	if (a[0]) {
		if (uproc_read(p, a[0], ss, sizeof(ss)))
			return -EFAULT;
		if (on_altstack(t, t->hart.x[2]))
			return -EPERM;
		ss[1] &= 0xffffffff;
		if (ss[1] & ~(uint64_t)G_SS_DISABLE)
			return -EINVAL;
		if (ss[1] & G_SS_DISABLE) {
			t->ss_sp = t->ss_size = 0;
		} else {
			if (ss[2] < 2048)
				return -ENOMEM;
			t->ss_sp = ss[0];
			t->ss_size = ss[2];
		}
		t->ss_flags = ss[1];
	}
	if (a[1] && uproc_write(p, a[1], old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* A signal the program sends itself is queued here and taken on return from the syscall. */
static int64_t raise_self(struct uproc *p, int sig)
{
	struct uthread *t = uthread_self(p);
	if (sig < 0 || sig > UPROC_NSIG)
		return -EINVAL;
	if (sig) {
		host_info[sig].si_signo = 0;
		t->pending |= SIGBIT(sig);
	}
	return 0;
}

SYSCALL(kill)
{
	pid_t pid = (pid_t)(int32_t)a[0];

	if (pid == getpid())
		return raise_self(p, (int)a[1]);
	return host_ret(kill(pid, (int)a[1]));
}

SYSCALL(tkill)
{
	pid_t tid = (pid_t)(int32_t)a[0];

	if (tid == gettid())
		return raise_self(p, (int)a[1]);
	return host_ret(syscall(SYS_tkill, tid, (int)a[1]));
}

SYSCALL(tgkill)
{
	pid_t tgid = (pid_t)(int32_t)a[0], tid = (pid_t)(int32_t)a[1];

	if (tgid == getpid() && tid == gettid())
		return raise_self(p, (int)a[2]);
	return host_ret(syscall(SYS_tgkill, tgid, tid, (int)a[2]));
}
