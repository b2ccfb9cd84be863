/* The KVM accelerator (x86_64 guests on /dev/kvm): the ops table, and what the x86 board tells
 * it beyond the generic accelerator interface. */
#ifndef GASANG_ACCEL_KVM_KVM_H
#define GASANG_ACCEL_KVM_KVM_H

#include <stdbool.h>

#include "accel/accel.h"
#include "boot/x86_boot.h"

struct machine;

extern const struct accel_ops kvm_accel_ops;

/* How vCPU 0 enters the guest. Call after init and before vcpu_init. The other vCPUs wait for
 * INIT/SIPI from the guest, as on a PC. */
void kvm_set_entry(struct machine *m, const struct x86_entry *e);

/* Handler for the hypercall I/O port (devices/hypercall.h), which needs the registers. */
typedef void (*kvm_hypercall_fn)(struct machine *m, unsigned vcpu, uint64_t regs[6]);
void kvm_set_hypercall(struct machine *m, uint16_t port, kvm_hypercall_fn fn);

/* KVM_IRQ_LINE on the in-kernel PIC/IOAPIC; opaque is the machine. Install as m->irq_set. */
void kvm_irq_line(void *opaque, unsigned line, bool level);

/* True when the host CPU advertises VT-x or AMD-V (the vmx/svm flags of /proc/cpuinfo). */
bool kvm_host_has_hw_virt(void);

#endif
