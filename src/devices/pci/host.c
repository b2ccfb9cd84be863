#include "devices/pci/host.h"

#include <errno.h>
#include <string.h>

#include "machine/bus.h"
#include "machine/machine.h"

#define PCI_COMMAND	   0x04
#define PCI_STATUS	   0x06
#define PCI_STATUS_CAPS	   0x10
#define PCI_BAR0	   0x10
#define PCI_CAP_PTR	   0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_CAP_START	   0x40

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t rev,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys)
{
	memset(d, 0, sizeof(*d));
	put16(d->cfg + 0x00, vendor);
	put16(d->cfg + 0x02, device);
	d->cfg[0x08] = rev;
	d->cfg[0x09] = (uint8_t)class_code; /* prog-if */
	d->cfg[0x0a] = (uint8_t)(class_code >> 8);
	d->cfg[0x0b] = (uint8_t)(class_code >> 16);
	put16(d->cfg + 0x2c, subsys_vendor);
	put16(d->cfg + 0x2e, subsys);
	/* Command: I/O space, memory space, bus master, INTx disable are writable. */
	put16(d->wmask + PCI_COMMAND, 0x0407);
	/* Status: the error bits are write-one-to-clear. */
	put16(d->w1c + PCI_STATUS, 0xf900);
	d->wmask[0x0c] = 0xff; /* cache line size */
	d->wmask[0x0d] = 0xff; /* latency timer */
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_next = PCI_CAP_START;
}

unsigned pci_dev_add_cap(struct pci_dev *d, uint8_t id, unsigned len)
{
	unsigned off = d->cap_next;

	len = (len + 3) & ~3u;
	if (len < 4 || off + len > PCI_CFG_SIZE)
		return 0;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last] = (uint8_t)off;
	else
		d->cfg[PCI_CAP_PTR] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAPS;
	d->cap_last = (uint8_t)(off + 1);
	d->cap_next = (uint8_t)(off + len < PCI_CFG_SIZE ? off + len : 0xfc);
	return off;
}

uint64_t pci_host_add_bar64(struct pci_host *h, struct pci_dev *d, unsigned bar, uint64_t size)
{
	uint64_t addr;

	if (bar + 1 >= PCI_HOST_NBARS || size < 16 || (size & (size - 1)) || size > (1ULL << 31))
		return 0;
	addr = (h->mmio_next + size - 1) & ~(size - 1);
	if (addr < h->mmio_next || addr + size > h->mmio_end)
		return 0;
	h->mmio_next = addr + size;
	d->bar_size[bar] = size;
	/* Memory, 64-bit (type 2), not prefetchable. */
	put32(d->cfg + PCI_BAR0 + 4 * bar, (uint32_t)addr | 0x4);
	put32(d->cfg + PCI_BAR0 + 4 * bar + 4, (uint32_t)(addr >> 32));
	put32(d->wmask + PCI_BAR0 + 4 * bar, (uint32_t) ~(size - 1) & ~0xfu);
	put32(d->wmask + PCI_BAR0 + 4 * bar + 4, 0xffffffffu);
	return addr;
}

uint64_t pci_dev_bar64(const struct pci_dev *d, unsigned bar)
{
	if (bar + 1 >= PCI_HOST_NBARS)
		return 0;
	return (uint64_t)(get32(d->cfg + PCI_BAR0 + 4 * bar) & ~0xfu) |
	       (uint64_t)get32(d->cfg + PCI_BAR0 + 4 * bar + 4) << 32;
}

bool pci_dev_mem_enabled(const struct pci_dev *d)
{
	return d->cfg[PCI_COMMAND] & 0x2;
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
	for (unsigned s = 1; s < PCI_HOST_SLOTS; s++) {
		if (!h->dev[s]) {
			h->dev[s] = d;
			d->slot = s;
			return 0;
		}
	}
	return -ENOSPC;
}

static struct pci_dev *find(struct pci_host *h, unsigned devfn)
{
	if (devfn & 7) /* single-function devices only */
		return NULL;
	return devfn >> 3 < PCI_HOST_SLOTS ? h->dev[devfn >> 3] : NULL;
}

uint32_t pci_host_cfg_read(struct pci_host *h, unsigned devfn, unsigned off, unsigned len)
{
	struct pci_dev *d;
	uint32_t v = 0;

	if (len != 1 && len != 2 && len != 4)
		return 0xffffffffu;
	pthread_mutex_lock(&h->lock);
	d = find(h, devfn);
	if (!d) {
		pthread_mutex_unlock(&h->lock);
		return len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	}
	for (unsigned i = 0; i < len; i++)
		if (off + i < PCI_CFG_SIZE)
			v |= (uint32_t)d->cfg[off + i] << (8 * i);
	pthread_mutex_unlock(&h->lock);
	return v;
}

void pci_host_cfg_write(struct pci_host *h, unsigned devfn, unsigned off, unsigned len,
			uint32_t val)
{
	struct pci_dev *d;
	unsigned n = 0;

	if (len != 1 && len != 2 && len != 4)
		return;
	pthread_mutex_lock(&h->lock);
	d = find(h, devfn);
	for (unsigned i = 0; d && i < len && off + i < PCI_CFG_SIZE; i++, n++) {
		uint8_t b = (uint8_t)(val >> (8 * i)), o = off + i;
		d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (b & d->wmask[o]));
		d->cfg[o] &= (uint8_t) ~(b & d->w1c[o]);
	}
	if (d && n && d->written)
		d->written(d, off, n);
	pthread_mutex_unlock(&h->lock);
}

uint64_t pci_host_pio_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_host *h = opaque;
	uint32_t a;

	if (size > 4 || off >= 8)
		return ~0ULL;
	if (off < 4)
		return off == 0 && size == 4 ? h->addr : ~0ULL;
	a = __atomic_load_n(&h->addr, __ATOMIC_RELAXED);
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 || off - 4 + size > 4)
		return (1ULL << (8 * size)) - 1;
	return pci_host_cfg_read(h, (a >> 8) & 0xff, (a & 0xfc) + (unsigned)(off - 4), size);
}

void pci_host_pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_host *h = opaque;
	uint32_t a;

	if (size > 4 || off >= 8)
		return;
	if (off < 4) {
		/* Only a 32-bit write at 0xCF8 latches an address (byte writes to 0xCFB are
		 * the old mechanism #2 probe, ignored). */
		if (off == 0 && size == 4)
			__atomic_store_n(&h->addr, (uint32_t)val, __ATOMIC_RELAXED);
		return;
	}
	a = __atomic_load_n(&h->addr, __ATOMIC_RELAXED);
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 || off - 4 + size > 4)
		return;
	pci_host_cfg_write(h, (a >> 8) & 0xff, (a & 0xfc) + (unsigned)(off - 4), size,
			   (uint32_t)val);
}

static const struct bus_ops pci_host_pio_ops = {.read = pci_host_pio_read,
						.write = pci_host_pio_write};

int pci_host_init(struct pci_host *h, struct machine *m, uint64_t mmio_base, uint64_t mmio_size)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->m = m;
	h->mmio_next = mmio_base;
	h->mmio_end = mmio_base + mmio_size;
	/* Intel 82G33/Q35 DRAM controller ID: Linux's conf1 sanity check wants a host bridge
	 * (class 06/00) or an Intel/Compaq device on bus 0. */
	pci_dev_init(&h->bridge, 0x8086, 0x29c0, 0, 0x060000, 0x1af4, 0x1100);
	h->dev[0] = &h->bridge;
	return m ? pci_host_register_ports(h) : 0;
}

int pci_host_init_quiet(struct pci_host *h, struct machine *m, uint64_t mmio_base,
			uint64_t mmio_size)
{
	int e = pci_host_init(h, NULL, mmio_base, mmio_size);

	h->m = m;
	return e;
}

int pci_host_register_ports(struct pci_host *h)
{
	return bus_register(&h->m->pio, PCI_HOST_PORT, 8, &pci_host_pio_ops, h, "pci-host");
}
