/* A minimal virtio-blk driver over virtio-mmio (slot 0 at 0xd0000000) or virtio-pci (the first
 * 1af4:1042 function on bus 0, found through ports 0xCF8/0xCFC): VERSION_1 (+FLUSH), one split
 * queue of 8, then a write of a known pattern to sector `sector=` (default 5), a flush and a read
 * back. After each request the driver halts until the completion's interrupt arrives and counts
 * it in a handler: on mmio the slot's ISA IRQ 5 through the 8259 (vector 0x25; InterruptStatus
 * read and acknowledged afterwards), on pci an MSI-X message (table entry 0 -> local APIC,
 * vector 0x41) assigned to the queue. Notifications are plain writes to the notify register,
 * which gasang turns into ioeventfds. Exit 0x2a on success, 0x2b on failure. With hang=1 it
 * prints "vblk flushed" after the flush completes and spins (the kill -9 durability test). */
#include "lib.h"

#define QSZ	  8
#define MMIO_BASE 0xd0000000u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
struct req {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct desc descs[QSZ] __attribute__((aligned(16)));
static struct {
	uint16_t flags, idx, ring[QSZ], event;
} avail __attribute__((aligned(4)));
static volatile struct {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[QSZ];
	uint16_t event;
} used __attribute__((aligned(4)));
static struct req hdr;
static uint32_t sector;
static volatile uint8_t status;
static uint8_t wbuf[512], rbuf[512];
static char out[160];

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));
static struct gate idt[256];
extern void irq_wait(uint32_t want);
extern volatile uint32_t irq_count;
extern void pic_stub(void), msi_stub(void);

#define MSI_VECTOR 0x41
#define LAPIC	   0xfee00000u

static void set_gate(unsigned vec, void (*fn)(void))
{
	uint32_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vec] = (struct gate){(uint16_t)(uint32_t)fn, (uint16_t)cs, 0, 0x8e,
				 (uint16_t)((uint32_t)fn >> 16)};
}

/* Transport: registers reached through one of two small sets of helpers. */
static int pci;
static volatile uint8_t *common, *isr, *notify;
static volatile uint32_t *msix_table;
static unsigned pci_dev, msix_cap;
static volatile uint32_t *mmio = (volatile uint32_t *)MMIO_BASE;

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static uint32_t cfg_rd(unsigned dev, unsigned off)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	return inl(0xcfc);
}
static void cfg_wr(unsigned dev, unsigned off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(0xcfc, v);
}
#define C8(o)  (*(volatile uint8_t *)(common + (o)))
#define C16(o) (*(volatile uint16_t *)(common + (o)))
#define C32(o) (*(volatile uint32_t *)(common + (o)))

static void set_status(uint8_t s)
{
	if (pci)
		C8(0x14) = s;
	else
		mmio[0x70 / 4] = s;
}
static uint8_t get_status(void)
{
	return pci ? C8(0x14) : (uint8_t)mmio[0x70 / 4];
}
static uint32_t dev_features(uint32_t sel)
{
	if (pci) {
		C32(0x00) = sel;
		return C32(0x04);
	}
	mmio[0x14 / 4] = sel;
	return mmio[0x10 / 4];
}
static void drv_features(uint32_t sel, uint32_t v)
{
	if (pci) {
		C32(0x08) = sel;
		C32(0x0c) = v;
	} else {
		mmio[0x24 / 4] = sel;
		mmio[0x20 / 4] = v;
	}
}
/* Reads and acknowledges the interrupt status; bit 0 is "used buffer". */
static uint32_t irq_status(void)
{
	uint32_t v;
	if (pci)
		return *isr; /* read clears */
	v = mmio[0x60 / 4];
	mmio[0x64 / 4] = v;
	return v;
}

/* Finds the virtio-blk PCI function and maps its capabilities. Returns 0 or -1. */
static int pci_probe(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		uint32_t id = cfg_rd(dev, 0), bar;
		if (id != 0x10421af4u)
			continue;
		cfg_wr(dev, 0x04, cfg_rd(dev, 0x04) | 2); /* memory space on */
		bar = cfg_rd(dev, 0x10) & ~0xfu;
		pci_dev = dev;
		for (unsigned p = cfg_rd(dev, 0x34) & 0xfc; p; p = (cfg_rd(dev, p) >> 8) & 0xfc) {
			uint32_t w0 = cfg_rd(dev, p), type = w0 >> 24, off = cfg_rd(dev, p + 8);
			if ((w0 & 0xff) == 0x11) { /* MSI-X: table offset/BIR at +4 */
				uint32_t t = cfg_rd(dev, p + 4);
				msix_cap = p;
				if ((t & 7) == 0)
					msix_table = (volatile uint32_t *)(bar + (t & ~7u));
				continue;
			}
			if ((w0 & 0xff) != 9 || (cfg_rd(dev, p + 4) & 0xff) != 0)
				continue; /* not a virtio capability on BAR 0 */
			volatile uint8_t *a = (volatile uint8_t *)(bar + off);
			if (type == 1)
				common = a;
			else if (type == 3)
				isr = a;
			else if (type == 2)
				notify = a; /* queue 0: notify_off 0 */
		}
		return common && isr && notify && msix_table ? 0 : -1;
	}
	return -1;
}

static uint32_t irqs_wanted;

/* Queues one request (2 or 3 descriptors), notifies, waits for its interrupt. */
static int submit(uint32_t type, uint8_t *data, int dev_writes)
{
	uint16_t want = used.idx + 1, n = 0;

	hdr = (struct req){type, 0, type == 4 ? 0 : sector};
	descs[0] = (struct desc){(uint32_t)&hdr, sizeof(hdr), 1, 1};
	if (data) {
		descs[1] =
		    (struct desc){(uint32_t)data, 512, (uint16_t)(1 | (dev_writes ? 2 : 0)), 2};
		n = 1;
	}
	descs[n + 1] = (struct desc){(uint32_t)&status, 1, 2, 0};
	status = 0xff;
	avail.ring[avail.idx % QSZ] = 0;
	__asm__ volatile("" ::: "memory");
	avail.idx++;
	__asm__ volatile("mfence" ::: "memory");
	if (pci)
		*(volatile uint16_t *)notify = 0;
	else
		mmio[0x50 / 4] = 0;
	/* The completion's interrupt: halt until the handler has counted it. */
	irq_wait(++irqs_wanted);
	while (used.idx != want)
		__asm__ volatile("pause");
	return status;
}

int main(struct mb_info *mbi)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint32_t)idt};
	uint32_t f1, f0, isr_bits = 0, qvec = 0xffff;
	int st[3], bad = 0;
	char *p;

	sector = cmdline_u(mbi, "sector", 5);

	/* Transport: a virtio-mmio slot answers with its magic; otherwise look on the PCI bus. */
	if (mmio[0] == 0x74726976u) {
		if (mmio[1] != 2 || mmio[2] != 2)
			return 0x2c;
	} else {
		pci = 1;
		if (pci_probe())
			return 0x2d;
	}
	set_gate(0x25, pic_stub);
	set_gate(MSI_VECTOR, msi_stub);
	__asm__ volatile("lidt %0" : : "m"(idtr));
	/* mmio unmasks only IRQ 5 (slot 0's line), pci masks all. */
	pic_init(pci ? 0xff : 0xdf, 0xff);
	if (pci) {
		/* Local APIC on (spurious vector 0xff); MSI-X table entry 0 -> APIC 0, vector 0x41,
		 * unmasked; MSI-X enabled in the capability. */
		*(volatile uint32_t *)(LAPIC + 0xf0) = 0x1ff;
		msix_table[0] = LAPIC;
		msix_table[1] = 0;
		msix_table[2] = MSI_VECTOR;
		msix_table[3] = 0;
		cfg_wr(pci_dev, msix_cap, cfg_rd(pci_dev, msix_cap) | 0x80000000u);
	}

	set_status(0);
	set_status(1);
	set_status(1 | 2);
	f1 = dev_features(1);
	f0 = dev_features(0);
	if (!(f1 & 1))
		return 0x2e;
	drv_features(1, 1);
	drv_features(0, f0 & (1u << 9)); /* FLUSH */
	set_status(1 | 2 | 8);
	if (!(get_status() & 8) || !(f0 & (1u << 9)))
		return 0x2f;
	if (pci) {
		C16(0x16) = 0;
		if (C16(0x18) < QSZ)
			return 0x30;
		C16(0x18) = QSZ;
		C16(0x1a) = 0; /* the queue's interrupts: MSI-X vector (table entry) 0 */
		qvec = C16(0x1a);
		C32(0x20) = (uint32_t)descs;
		C32(0x24) = 0;
		C32(0x28) = (uint32_t)&avail;
		C32(0x2c) = 0;
		C32(0x30) = (uint32_t)&used;
		C32(0x34) = 0;
		C16(0x1c) = 1;
	} else {
		mmio[0x30 / 4] = 0;
		if (mmio[0x34 / 4] < QSZ)
			return 0x30;
		mmio[0x38 / 4] = QSZ;
		mmio[0x80 / 4] = (uint32_t)descs;
		mmio[0x84 / 4] = 0;
		mmio[0x90 / 4] = (uint32_t)&avail;
		mmio[0x94 / 4] = 0;
		mmio[0xa0 / 4] = (uint32_t)&used;
		mmio[0xa4 / 4] = 0;
		mmio[0x44 / 4] = 1;
	}
	set_status(1 | 2 | 8 | 4);

	for (unsigned i = 0; i < 512; i++)
		wbuf[i] = (uint8_t)(i ^ 0xa5 ^ sector);
	/* mmio: InterruptStatus says "used buffer" and is acknowledged; pci: the ISR is read (and
	 * so cleared) once per request too, though with MSI-X the driver need not look at it. */
	st[0] = submit(1, wbuf, 0);
	isr_bits += irq_status() & 1;
	st[1] = submit(4, 0, 0);
	isr_bits += irq_status() & 1;
	if (cmdline_u(mbi, "hang", 0)) {
		/* For the kill -9 test: the flush completed; wait to be killed. */
		puts_hc(st[0] == 0 && st[1] == 0 ? "vblk flushed\n" : "vblk flush failed\n");
		for (;;)
			__asm__ volatile("pause");
	}
	st[2] = submit(0, rbuf, 1);
	isr_bits += irq_status() & 1;
	for (unsigned i = 0; i < 512; i++)
		bad += rbuf[i] != wbuf[i];

	p = fmt_s(out, pci ? "vblk pci" : "vblk mmio");
	p = fmt_s(p, " status=");
	for (int i = 0; i < 3; i++) {
		p = fmt_u(p, (uint32_t)st[i]);
		p = fmt_s(p, i < 2 ? "," : "");
	}
	p = fmt_s(p, " mismatches=");
	p = fmt_u(p, (uint32_t)bad);
	p = fmt_s(p, " irqs=");
	p = fmt_u(p, irq_count);
	p = fmt_s(p, " isr=");
	p = fmt_u(p, isr_bits);
	p = fmt_s(p, " qvec=");
	p = fmt_u(p, qvec);
	fmt_s(p, "\n");
	puts_hc(out);
	return st[0] == 0 && st[1] == 0 && st[2] == 0 && bad == 0 && irq_count == 3 &&
		       (pci || isr_bits == 3) && qvec == (pci ? 0u : 0xffffu)
		   ? 0x2a
		   : 0x2b;
}
