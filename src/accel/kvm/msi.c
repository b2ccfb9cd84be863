/* MSI routing for irqfds: KVM_SET_GSI_ROUTING replaces the whole table, so it is rebuilt from
 * KVM's default x86 routes (GSI 0-15: PIC and IOAPIC pin, 16-23: IOAPIC pin, as KVM sets them
 * up with KVM_CREATE_IRQCHIP; kvm_irq_line() relies on them) plus every MSI route handed out.
 * An irqfd on an MSI GSI injects the message with no trip through userspace or a vCPU exit. */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "base/log.h"

#define NDEFAULT (16 * 2 + 8)

static int commit(struct kvm_vm *k)
{
	unsigned n = NDEFAULT + k->nmsi, i = 0;
	struct kvm_irq_routing *r =
	    calloc(1, sizeof(*r) + n * sizeof(struct kvm_irq_routing_entry));
	int e = 0;

	if (!r)
		return -ENOMEM;
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16)
			r->entries[i++] = (struct kvm_irq_routing_entry){
			    .gsi = gsi,
			    .type = KVM_IRQ_ROUTING_IRQCHIP,
			    .u.irqchip = {.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							     : KVM_IRQCHIP_PIC_SLAVE,
					  .pin = gsi % 8}};
		r->entries[i++] = (struct kvm_irq_routing_entry){
		    .gsi = gsi,
		    .type = KVM_IRQ_ROUTING_IRQCHIP,
		    .u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi}};
	}
	for (unsigned j = 0; j < k->nmsi; j++)
		r->entries[i++] = k->msi[j];
	r->nr = i;
	if (ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		e = -errno;
	free(r);
	return e;
}

int kvm_msi_route(struct machine *m, int *gsi, uint64_t addr, uint32_t data)
{
	struct kvm_vm *k = kvm_of(m);
	struct kvm_irq_routing_entry *en;
	int e;

	pthread_mutex_lock(&k->msi_lock);
	if (*gsi < 0) {
		if (k->nmsi >= KVM_MSI_ROUTES) {
			pthread_mutex_unlock(&k->msi_lock);
			return -ENOSPC;
		}
		en = &k->msi[k->nmsi];
		*en = (struct kvm_irq_routing_entry){.gsi = KVM_MSI_GSI_BASE + k->nmsi,
						     .type = KVM_IRQ_ROUTING_MSI};
		k->nmsi++;
	} else {
		unsigned j = (unsigned)*gsi - KVM_MSI_GSI_BASE;
		if (*gsi < KVM_MSI_GSI_BASE || j >= k->nmsi) {
			pthread_mutex_unlock(&k->msi_lock);
			return -EINVAL;
		}
		en = &k->msi[j];
	}
	en->u.msi.address_lo = (uint32_t)addr;
	en->u.msi.address_hi = (uint32_t)(addr >> 32);
	en->u.msi.data = data;
	e = commit(k);
	if (!e)
		*gsi = (int)en->gsi;
	else if (*gsi < 0)
		k->nmsi--;
	pthread_mutex_unlock(&k->msi_lock);
	if (e)
		log_debug("kvm: KVM_SET_GSI_ROUTING: %d", e);
	return e;
}
