/* A machine is guest memory, buses of devices, interrupt lines, an event loop and vCPUs.
 * How the vCPUs execute is the accelerator's business (accel/accel.h); devices never know
 * which accelerator runs them. */
#ifndef GASANG_MACHINE_MACHINE_H
#define GASANG_MACHINE_MACHINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/chardev.h"
#include "machine/bus.h"
#include "machine/config.h"
#include "machine/loop.h"
#include "machine/memory.h"
#include "machine/devstats.h"
#include "machine/stats.h"

#define MACHINE_MAX_CPUS 256

enum machine_state { MACHINE_CREATED, MACHINE_RUNNING, MACHINE_PAUSED, MACHINE_STOPPED };

/* Why the machine stopped; decides gasang's exit status. */
enum stop_reason {
	STOP_NONE,
	STOP_POWEROFF,	 /* status 0 unless the guest gave one (SBI SRST, hypercall) */
	STOP_REBOOT,	 /* treated as an exit with status 0, like QEMU's -no-reboot */
	STOP_DEBUG_EXIT, /* isa-debug-exit style: status chosen by the guest */
	STOP_SIGNAL,	 /* SIGINT/SIGTERM or the Ctrl-A x escape */
	STOP_GUEST_ERROR /* triple fault, emulation failure, panic: non-zero */
};

struct machine;
struct accel_ops;

struct vcpu {
	struct machine *m;
	unsigned id;
	pthread_t thread;
	void *priv; /* the accelerator's per-vCPU state */
	struct stats_table stats;
	struct devstats *devstats; /* exits by device (machine/devstats.h), NULL until one */
};

typedef void (*irq_set_fn)(void *opaque, unsigned line, bool level);

struct machine {
	const struct vm_config *cfg;
	struct guest_mem mem;
	struct bus mmio;
	struct bus pio; /* x86 port I/O; unused on riscv64 */
	struct event_loop loop;
	struct chardev console;

	const struct accel_ops *accel;
	void *accel_priv;
	unsigned ncpus;
	struct vcpu *vcpus;

	/* The interrupt controller model behind irq_set(): the in-kernel irqchip on KVM, the
	 * PLIC on the software engine. Installed by the board. */
	irq_set_fn irq_set;
	void *irq_opaque;

	int state; /* enum machine_state, accessed atomically */
	int stop_reason;
	int exit_status;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;

	/* Launch-relative time of the guest's boot marker, 0 when none was seen. */
	uint64_t boot_mark_ns;
	struct stats_table dev_stats; /* events counted outside vCPU threads */
};

/* m must be zero-filled memory (calloc): the stats tables stay untouched until used. */
int machine_init(struct machine *m, const struct vm_config *cfg, const struct accel_ops *accel);
void machine_free(struct machine *m);

/* Starts the event loop and one thread per vCPU, waits for a stop request (guest poweroff,
 * debug exit, error, or SIGINT/SIGTERM), joins everything and returns the exit status. */
int machine_run(struct machine *m);

/* Asks the machine to stop. The first request wins; later ones are ignored. Callable from any
 * thread, including vCPU threads and signal-handling code running on the loop. */
void machine_request_stop(struct machine *m, enum stop_reason why, int status);
static inline bool machine_stopping(const struct machine *m)
{
	return __atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == MACHINE_STOPPED;
}

/* Pausing: machine_pause() takes a running machine to MACHINE_PAUSED and kicks every vCPU out
 * of the guest; each vCPU thread then waits (machine_vcpu_park(), or its accelerator's own wait)
 * until machine_resume() or a stop. Devices, timers and the event loop keep running, and the
 * guest's clocks keep time. Both return true when the state changed. SIGUSR1 pauses, SIGUSR2
 * resumes. */
bool machine_pause(struct machine *m);
bool machine_resume(struct machine *m);
static inline bool machine_paused(const struct machine *m)
{
	return __atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == MACHINE_PAUSED;
}
/* Called by a vCPU thread that saw machine_paused(): returns when the machine runs again or
 * stops. */
void machine_vcpu_park(struct machine *m);

/* Raises or lowers an interrupt line of the board's interrupt controller. */
static inline void irq_set(struct machine *m, unsigned line, bool level)
{
	if (m->irq_set)
		m->irq_set(m->irq_opaque, line, level);
}

/* Records the boot marker (first write wins) and logs the time since launch. */
void machine_boot_mark(struct machine *m);

/* Prints the merged per-vCPU statistics table. */
void machine_print_stats(struct machine *m);

#endif
