/* Private state of the KVM accelerator, shared by vm.c, vcpu.c, cpu_x86.c and exits.c. */
#ifndef GASANG_ACCEL_KVM_KVM_INT_H
#define GASANG_ACCEL_KVM_KVM_INT_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

#include "accel/kvm/kvm.h"
#include "machine/machine.h"

/* Fixed addresses KVM needs for its real-mode TSS and EPT identity map (under 4 GiB, above the
 * PCI hole's devices, outside RAM). */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_TSS_ADDR	      0xfeffd000ULL

#define KVM_MSI_GSI_BASE 24 /* after the IOAPIC's 24 pins */
#define KVM_MSI_ROUTES	 256

struct kvm_vm {
	int sys_fd;
	int vm_fd;
	int run_size;
	unsigned max_vcpus;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
	struct x86_entry entry;
	bool have_entry;
	uint16_t hc_port;
	kvm_hypercall_fn hc_fn;
	/* msi.c: MSI routes (GSIs from KVM_MSI_GSI_BASE), kept to rebuild the routing table. */
	pthread_mutex_t msi_lock;
	unsigned nmsi;
	struct kvm_irq_routing_entry msi[KVM_MSI_ROUTES];
};

struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
};

static inline struct kvm_vm *kvm_of(const struct machine *m)
{
	return m->accel_priv;
}

static inline struct kvm_vcpu *kvm_vcpu_of(const struct vcpu *v)
{
	return v->priv;
}

/* cpu_x86.c: per-vCPU architectural setup. */
int cpu_x86_setup_cpuid(struct vcpu *v);
int cpu_x86_setup_msrs(struct vcpu *v);
int cpu_x86_setup_fpu_lapic(struct vcpu *v);
int cpu_x86_setup_entry(struct vcpu *v, const struct x86_entry *e);
void cpu_x86_dump(struct vcpu *v, FILE *f);

/* msi.c: accel_ops.msi_route. */
int kvm_msi_route(struct machine *m, int *gsi, uint64_t addr, uint32_t data);

/* exits.c: one handler per exit reason. Return 0 to enter the guest again, -1 after the
 * machine was asked to stop because of a guest error. */
int exits_io(struct vcpu *v);
int exits_mmio(struct vcpu *v);
int exits_shutdown(struct vcpu *v);
int exits_system_event(struct vcpu *v);
int exits_internal_error(struct vcpu *v);
int exits_fail_entry(struct vcpu *v);
int exits_unknown(struct vcpu *v);
/* Stops the machine for a guest error: logs msg, dumps the registers. */
int exits_guest_error(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
