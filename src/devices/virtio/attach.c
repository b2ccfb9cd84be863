#include "devices/virtio/attach.h"

#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "devices/virtio/devices.h"
#include "machine/machine.h"

static int place(const struct virtio_slots *slots, struct virtio_set *s, struct virtio_dev *d,
		 const char *what)
{
	struct virtio_attached *a;
	int e;

	if (s->n >= slots->n || s->n >= VIRTIO_MAX_SLOTS) {
		virtio_dev_free(d);
		log_error("%s: no free virtio slot (the board has %u)", what, slots->n);
		return -ENOSPC;
	}
	a = &s->a[s->n];
	a->dev = d;
	if (slots->pci) {
		a->pci = true;
		a->irq = slots->irq[s->n];
		e = virtio_pci_attach(&a->p, slots->pci, d, a->irq);
		a->base = a->p.bar;
		if (e) {
			virtio_pci_detach(&a->p);
			virtio_dev_free(d);
			log_error("%s: cannot attach a virtio-pci function: %s", what, err_str(e));
			return e;
		}
		s->n++;
		return 0;
	}
	a->base = slots->base + (uint64_t)s->n * VIRTIO_MMIO_SIZE;
	a->irq = slots->irq[s->n];
	e = virtio_mmio_attach(&a->t, d, a->base, a->irq);
	if (e) {
		virtio_mmio_detach(&a->t);
		virtio_dev_free(d);
		log_error("%s: cannot map at 0x%" PRIx64 ": %s", what, a->base, err_str(e));
		return e;
	}
	s->n++;
	return 0;
}

/* Creation errors from back ends already printed their line return -ECANCELED. */
static int created(int e, const char *what, const char *arg)
{
	if (e && e != -ECANCELED)
		log_error("%s%s%s: %s", what, arg ? " " : "", arg ? arg : "", err_str(e));
	return e;
}

static int attach_all(struct machine *m, const struct vm_config *cfg,
		      const struct virtio_slots *slots, struct virtio_set *s)
{
	struct virtio_dev *d;
	int e;

	if (cfg->console && strcmp(cfg->console, "virtio") == 0) {
		if ((e = created(virtio_console_create(m, &m->console, &d), "--console virtio",
				 NULL)) ||
		    (e = place(slots, s, d, "--console virtio")))
			return e;
	}
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		if ((e = created(virtio_blk_create(m, &cfg->disks[i], i, &d), "--disk",
				 cfg->disks[i].path)) ||
		    (e = place(slots, s, d, "--disk")))
			return e;
	}
	for (unsigned i = 0; i < cfg->nnets; i++) {
		if ((e = created(virtio_net_create(m, cfg->nets[i].spec, i, &d), "--net",
				 cfg->nets[i].spec)) ||
		    (e = place(slots, s, d, "--net")))
			return e;
	}
	if (cfg->rng) {
		if ((e = created(virtio_rng_create(m, &d), "--rng", NULL)) ||
		    (e = place(slots, s, d, "--rng")))
			return e;
	}
	if (cfg->vsock_enabled) {
		if ((e = created(virtio_vsock_create(m, &cfg->vsock, &d), "--vsock",
				 cfg->vsock.uds)) ||
		    (e = place(slots, s, d, "--vsock")))
			return e;
	}
	return 0;
}

int virtio_attach_all(struct machine *m, const struct vm_config *cfg,
		      const struct virtio_slots *slots, struct virtio_set **out)
{
	struct virtio_set *s = calloc(1, sizeof(*s));
	int e;

	*out = NULL;
	if (!s) {
		log_error("virtio: %s", err_str(-ENOMEM));
		return -ENOMEM;
	}
	e = attach_all(m, cfg, slots, s);
	if (e) {
		virtio_detach_all(s);
		return e;
	}
	*out = s;
	return 0;
}

void virtio_detach_all(struct virtio_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->a[i].pci)
			virtio_pci_detach(&s->a[i].p);
		else
			virtio_mmio_detach(&s->a[i].t);
		virtio_dev_free(s->a[i].dev);
	}
	free(s);
}

int virtio_mmio_cmdline(const struct virtio_set *s, char *buf, size_t len)
{
	size_t used = strnlen(buf, len);

	for (unsigned i = 0; s && i < s->n; i++) {
		if (s->a[i].pci)
			continue;
		int n = snprintf(buf + used, len - used, " virtio_mmio.device=4K@0x%" PRIx64 ":%u",
				 s->a[i].base, s->a[i].irq);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}

int virtio_mmio_fdt(const struct virtio_set *s, void *fdt, int parent, uint32_t intc)
{
	/* fdt_add_subnode() puts a node first among its siblings: adding the slots in reverse
	 * keeps them in address order, which is the order Linux probes (vda before vdb). */
	for (unsigned i = s ? s->n : 0; i-- > 0;) {
		const struct virtio_attached *a = &s->a[i];
		if (a->pci)
			continue;
		fdt64_t reg[2] = {cpu_to_fdt64(a->base), cpu_to_fdt64(VIRTIO_MMIO_SIZE)};
		char name[40];
		int node, e;

		snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, a->base);
		node = fdt_add_subnode(fdt, parent, name);
		if (node < 0)
			return node;
		if ((e = fdt_setprop_string(fdt, node, "compatible", "virtio,mmio")) ||
		    (e = fdt_setprop(fdt, node, "reg", reg, sizeof(reg))) ||
		    (e = fdt_setprop_u32(fdt, node, "interrupts", a->irq)) ||
		    (e = fdt_setprop_u32(fdt, node, "interrupt-parent", intc)) ||
		    (e = fdt_setprop_empty(fdt, node, "dma-coherent")))
			return e;
	}
	return 0;
}
