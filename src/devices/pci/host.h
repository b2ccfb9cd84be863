/* A minimal PCI host bridge for the x86 board: one root bus (bus 0), configuration mechanism #1
 * on ports 0xCF8 (address) and 0xCFC-0xCFF (data), a host bridge at 00:00.0, type 0 headers
 * with byte-granular write masks (so BAR sizing works the PCI way: write all ones, read back
 * the size mask), a capability-list helper and a bump allocator for memory BARs in a 32-bit
 * MMIO window. Linux finds the bus by probing conf1 (docs/virtio-pci.md). */
#ifndef GASANG_DEVICES_PCI_HOST_H
#define GASANG_DEVICES_PCI_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct machine;

#define PCI_HOST_SLOTS 32
#define PCI_CFG_SIZE   256
#define PCI_HOST_PORT  0xcf8
#define PCI_HOST_NBARS 6

struct pci_dev;

/* Called after a configuration write has been applied to d->cfg (host lock held). */
typedef void (*pci_cfg_written_fn)(struct pci_dev *d, unsigned off, unsigned len);

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* guest-writable bits */
	uint8_t w1c[PCI_CFG_SIZE];   /* write-one-to-clear bits (status register) */
	uint64_t bar_size[PCI_HOST_NBARS];
	uint8_t cap_next; /* next free offset for a capability */
	uint8_t cap_last; /* offset of the last capability's next pointer */
	pci_cfg_written_fn written;
	void *opaque;
	unsigned slot;
};

struct pci_host {
	struct machine *m;
	pthread_mutex_t lock;
	uint32_t addr; /* last value written to 0xCF8 */
	struct pci_dev bridge;
	struct pci_dev *dev[PCI_HOST_SLOTS];
	uint64_t mmio_next, mmio_end;
	unsigned next_irq;
};

/* Sets up the host with its bridge at slot 0 and, when m is not NULL, registers the ports on
 * m->pio. BARs are allocated in [mmio_base, mmio_base + mmio_size). Returns 0 or -errno. */
int pci_host_init(struct pci_host *h, struct machine *m, uint64_t mmio_base, uint64_t mmio_size);
/* The same for machine m, but the configuration ports are registered later, with
 * pci_host_register_ports(), and only if a device sits on the bus: a guest then finds no PCI
 * at all instead of scanning an empty bus 0 (100+ port exits for Linux). */
int pci_host_init_quiet(struct pci_host *h, struct machine *m, uint64_t mmio_base,
			uint64_t mmio_size);
int pci_host_register_ports(struct pci_host *h);

/* Fills a type 0 header (memory decode off, everything else zero). */
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t rev,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys);
/* Appends a capability of len bytes (id, next pointer, then len - 2 bytes of body) to the
 * list; returns its offset, or 0 when the configuration space is full. */
unsigned pci_dev_add_cap(struct pci_dev *d, uint8_t id, unsigned len);
/* Declares BAR bar as a 64-bit prefetchable-free memory BAR of size bytes (a power of two,
 * >= 16; uses bar and bar + 1) and gives it an address from the host's window.
 * Returns the address, or 0 when the window is full or the arguments are wrong. */
uint64_t pci_host_add_bar64(struct pci_host *h, struct pci_dev *d, unsigned bar, uint64_t size);
/* Puts d in the next free slot. Returns 0 or -ENOSPC. */
int pci_host_add(struct pci_host *h, struct pci_dev *d);

/* The current address of a 64-bit memory BAR (as programmed by the guest). */
uint64_t pci_dev_bar64(const struct pci_dev *d, unsigned bar);
/* Whether memory decoding is on (command register bit 1). */
bool pci_dev_mem_enabled(const struct pci_dev *d);

/* Configuration space access of bus 0 for device/function devfn (slot << 3 | fn), len 1, 2 or
 * 4 at any offset: absent functions read as all ones; unaligned or out-of-range accesses are
 * clipped to the 256-byte space. */
uint32_t pci_host_cfg_read(struct pci_host *h, unsigned devfn, unsigned off, unsigned len);
void pci_host_cfg_write(struct pci_host *h, unsigned devfn, unsigned off, unsigned len,
			uint32_t val);

/* Port I/O handlers for 0xCF8..0xCFF (offsets 0..7), exposed for the unit tests. */
uint64_t pci_host_pio_read(void *opaque, uint64_t off, unsigned size);
void pci_host_pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

#endif
