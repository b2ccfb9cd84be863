/* The accelerator interface: how a machine's vCPUs execute guest code. */
#ifndef GASANG_ACCEL_ACCEL_H
#define GASANG_ACCEL_ACCEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct vcpu;

struct accel_ops {
	const char *name; /* "kvm", "emu", "emu-interp" */
	/* Creates the VM and maps guest RAM (already allocated in m->mem). */
	int (*init)(struct machine *m);
	int (*vcpu_init)(struct vcpu *v);
	/* Runs on the vCPU's own thread: enters the guest, handles each exit (dispatching to the
	 * machine's buses, counting it in v->stats), and returns once the machine is stopping.
	 * A guest error is reported with machine_request_stop(STOP_GUEST_ERROR). */
	int (*vcpu_run)(struct vcpu *v);
	/* Makes vcpu_run notice a stop request soon (signal, immediate_exit or a flag). */
	void (*vcpu_kick)(struct vcpu *v);
	/* Prints the vCPU's registers, for guest errors. */
	void (*vcpu_dump)(struct vcpu *v, FILE *f);
	void (*vcpu_free)(struct vcpu *v);
	void (*free)(struct machine *m);

	/* Fast paths for paravirtual devices; NULL where the accelerator has none (the software
	 * engine calls the bus directly, which is already the fast path there).
	 * ioeventfd: a guest write of len bytes at addr (MMIO, or port I/O when pio) signals fd
	 * instead of exiting to userspace; with datamatch, only when the value equals data.
	 * irqfd: writing to fd raises interrupt line gsi (edge), without a trip through the VMM. */
	int (*ioeventfd)(struct machine *m, uint64_t addr, unsigned len, bool pio, bool datamatch,
			 uint64_t data, int fd);
	int (*irqfd)(struct machine *m, unsigned gsi, int fd);
	/* msi: delivers one message-signalled interrupt (address/data as a PCI device writes
	 * them, e.g. from an MSI-X table entry). Optional. */
	int (*msi)(struct machine *m, uint64_t addr, uint32_t data);
	/* msi_route: points an interrupt route at an MSI message, for irqfd(gsi, fd): with
	 * *gsi < 0 allocates a new GSI (stored in *gsi), else updates that route. Optional. */
	int (*msi_route)(struct machine *m, int *gsi, uint64_t addr, uint32_t data);
};

#endif
