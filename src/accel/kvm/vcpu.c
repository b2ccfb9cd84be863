/* KVM vCPUs: creation, the kvm_run page, and the exit loop. One switch on the exit reason, each
 * case one call into the handler that owns it; every exit is counted with its handling time. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/kvm_int.h"
#include "base/log.h"
#include "base/util.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. Its handler does nothing: the point is
 * the EINTR, and run->immediate_exit covers a kick that lands just before KVM_RUN. A real-time
 * signal: SIGUSR1 and SIGUSR2 are the user's (pause and resume, machine/machine.h). */
#define KICK_SIGNAL (SIGRTMIN + 1)

/* Stats ids: the KVM exit reason, and one past the last for EINTR. */
#define STAT_INTR 63

static void kick_handler(int sig)
{
	(void)sig;
}

static void kick_handler_init(void)
{
	/* SA_RESTART keeps device syscalls on the vCPU thread whole; KVM_RUN still returns EINTR
	 * (KVM reports -EINTR itself, which is never restarted). */
	struct sigaction sa = {.sa_handler = kick_handler, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
}

static void install_kick_handler(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, kick_handler_init);
}

int kvm_vcpu_init(struct vcpu *v)
{
	struct kvm_vm *k = kvm_of(v->m);
	struct kvm_vcpu *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	v->priv = c;
	c->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (c->fd < 0) {
		r = -errno;
		log_error("kvm: cannot create vCPU %u: %s", v->id, strerror(errno));
		return r;
	}
	c->run = mmap(NULL, (size_t)k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		r = -errno;
		log_error("kvm: cannot map vCPU %u's run page: %s", v->id, strerror(errno));
		return r;
	}
	install_kick_handler();
	r = cpu_x86_setup_cpuid(v);
	if (!r)
		r = cpu_x86_setup_msrs(v);
	if (!r)
		r = cpu_x86_setup_fpu_lapic(v);
	if (!r && v->id == 0 && k->have_entry)
		r = cpu_x86_setup_entry(v, &k->entry);
	if (r)
		log_error("kvm: cannot set up vCPU %u: %s", v->id, strerror(-r));
	return r;
}

static const char *const exit_names[] = {
    [KVM_EXIT_UNKNOWN] = "UNKNOWN",
    [KVM_EXIT_EXCEPTION] = "EXCEPTION",
    [KVM_EXIT_IO] = "IO",
    [KVM_EXIT_HYPERCALL] = "HYPERCALL",
    [KVM_EXIT_DEBUG] = "DEBUG",
    [KVM_EXIT_HLT] = "HLT",
    [KVM_EXIT_MMIO] = "MMIO",
    [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
    [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
    [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
    [KVM_EXIT_INTR] = "INTR",
    [KVM_EXIT_SET_TPR] = "SET_TPR",
    [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
    [KVM_EXIT_NMI] = "NMI",
    [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
    [KVM_EXIT_OSI] = "OSI",
    [KVM_EXIT_WATCHDOG] = "WATCHDOG",
    [KVM_EXIT_EPR] = "EPR",
    [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
    [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
    [KVM_EXIT_HYPERV] = "HYPERV",
    [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
    [KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
    [KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
    [KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
};

static const char *exit_name(unsigned reason)
{
	if (reason < ARRAY_SIZE(exit_names) && exit_names[reason])
		return exit_names[reason];
	return "OTHER";
}

static int vcpu_dispatch(struct vcpu *v, unsigned reason)
{
	switch (reason) {
	case KVM_EXIT_IO:
		return exits_io(v);
	case KVM_EXIT_MMIO:
		return exits_mmio(v);
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return 0; /* nothing to do: enter again (the irqchip is in the kernel) */
	case KVM_EXIT_SHUTDOWN:
		return exits_shutdown(v);
	case KVM_EXIT_SYSTEM_EVENT:
		return exits_system_event(v);
	case KVM_EXIT_INTERNAL_ERROR:
		return exits_internal_error(v);
	case KVM_EXIT_FAIL_ENTRY:
		return exits_fail_entry(v);
	default:
		return exits_unknown(v);
	}
}

int kvm_vcpu_run(struct vcpu *v)
{
	struct kvm_vcpu *c = kvm_vcpu_of(v);
	struct machine *m = v->m;
	bool first_exit = true;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	log_debug("vCPU %u: first KVM_RUN", v->id);
	while (!machine_stopping(m)) {
		if (machine_paused(m)) {
			machine_vcpu_park(m);
			continue;
		}
		int r = ioctl(c->fd, KVM_RUN, 0);
		uint64_t t0 = now_ns();
		unsigned reason;

		if (r < 0) {
			if (errno != EINTR && errno != EAGAIN)
				return exits_guest_error(v, "vCPU %u: KVM_RUN failed: %s", v->id,
							 strerror(errno));
			__atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_RELAXED);
			stats_add(&v->stats, STAT_INTR, "INTR", now_ns() - t0);
			continue;
		}
		reason = c->run->exit_reason;
		if (first_exit) {
			first_exit = false;
			log_debug("vCPU %u: first exit (%s)", v->id, exit_name(reason));
		}
		r = vcpu_dispatch(v, reason);
		stats_add(&v->stats, reason < STAT_INTR ? reason : STAT_INTR - 1, exit_name(reason),
			  now_ns() - t0);
		if (r < 0)
			return -1;
	}
	return 0;
}

void kvm_vcpu_kick(struct vcpu *v)
{
	struct kvm_vcpu *c = kvm_vcpu_of(v);

	if (!c || !c->run)
		return;
	__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, KICK_SIGNAL);
}

void kvm_vcpu_dump(struct vcpu *v, FILE *f)
{
	cpu_x86_dump(v, f);
}

void kvm_vcpu_free(struct vcpu *v)
{
	struct kvm_vcpu *c = kvm_vcpu_of(v);

	if (!c)
		return;
	if (c->run)
		munmap(c->run, (size_t)kvm_of(v->m)->run_size);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	v->priv = NULL;
}
