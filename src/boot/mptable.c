/* An Intel MultiProcessor Specification 1.4 table, so guests find every vCPU, the I/O APIC and
 * the ISA interrupt wiring without ACPI. Written into the reserved BIOS area (0xf0000), where
 * Linux scans for the floating pointer. */
#include <errno.h>
#include <string.h>

#include "boot/mptable.h"
#include "boot/x86_boot.h"
#include "machine/machine.h"

#define APIC_DEFAULT_ADDR   0xfee00000u
#define IOAPIC_DEFAULT_ADDR 0xfec00000u
#define ISA_IRQS	    16

struct __attribute__((packed)) mpf {
	char sig[4];
	uint32_t physptr;
	uint8_t length, rev, checksum, feature1;
	uint8_t feature2, feature3[3];
};

struct __attribute__((packed)) mpc {
	char sig[4];
	uint16_t length;
	uint8_t rev, checksum;
	char oem[8], product[12];
	uint32_t oemptr;
	uint16_t oemsize, count;
	uint32_t lapic;
	uint16_t extlen;
	uint8_t extcsum, reserved;
};

struct __attribute__((packed)) mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t signature, features, reserved[2];
};

struct __attribute__((packed)) mpc_bus {
	uint8_t type, busid;
	char bustype[6];
};

struct __attribute__((packed)) mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t addr;
};

struct __attribute__((packed)) mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
};

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += b[i];
	return (uint8_t)-s;
}

size_t mptable_size(unsigned ncpus)
{
	return sizeof(struct mpf) + sizeof(struct mpc) + ncpus * sizeof(struct mpc_cpu) +
	       sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       (ISA_IRQS + 2) * sizeof(struct mpc_intsrc);
}

int mptable_write(struct machine *m, uint64_t gpa)
{
	unsigned ncpus = m->ncpus;
	size_t size = mptable_size(ncpus);
	uint8_t *base = gmem_ptr(&m->mem, gpa, size);
	struct mpf *f;
	struct mpc *c;
	uint8_t *p;
	uint8_t ioapic_id = (uint8_t)ncpus;

	if (!base || gpa + size > 0xffffffffu)
		return -EFAULT;
	memset(base, 0, size);
	f = (struct mpf *)base;
	c = (struct mpc *)(f + 1);
	p = (uint8_t *)(c + 1);
	for (unsigned i = 0; i < ncpus; i++, p += sizeof(struct mpc_cpu)) {
		struct mpc_cpu cpu = {.type = 0,
				      .apicid = (uint8_t)i,
				      .apicver = 0x14,
				      .cpuflag = (uint8_t)(1 | (i == 0 ? 2 : 0)),
				      .signature = 0x600,
				      .features = 0x201};
		memcpy(p, &cpu, sizeof(cpu));
	}
	memcpy(p, &(struct mpc_bus){.type = 1, .busid = 0, .bustype = "ISA   "},
	       sizeof(struct mpc_bus));
	p += sizeof(struct mpc_bus);
	memcpy(p,
	       &(struct mpc_ioapic){.type = 2,
				    .apicid = ioapic_id,
				    .apicver = 0x11,
				    .flags = 1,
				    .addr = IOAPIC_DEFAULT_ADDR},
	       sizeof(struct mpc_ioapic));
	p += sizeof(struct mpc_ioapic);
	/* ISA IRQ n is I/O APIC pin n, as in KVM's default GSI routing. */
	for (unsigned i = 0; i < ISA_IRQS; i++, p += sizeof(struct mpc_intsrc))
		memcpy(p,
		       &(struct mpc_intsrc){.type = 3,
					    .irqtype = 0,
					    .srcbusirq = (uint8_t)i,
					    .dstapic = ioapic_id,
					    .dstirq = (uint8_t)i},
		       sizeof(struct mpc_intsrc));
	/* Local interrupts: ExtINT on LINT0, NMI on LINT1, for all local APICs. */
	memcpy(p, &(struct mpc_intsrc){.type = 4, .irqtype = 3, .dstapic = 0xff, .dstirq = 0},
	       sizeof(struct mpc_intsrc));
	p += sizeof(struct mpc_intsrc);
	memcpy(p, &(struct mpc_intsrc){.type = 4, .irqtype = 1, .dstapic = 0xff, .dstirq = 1},
	       sizeof(struct mpc_intsrc));
	p += sizeof(struct mpc_intsrc);

	memcpy(c->sig, "PCMP", 4);
	c->length = (uint16_t)(p - (uint8_t *)c);
	c->rev = 4;
	memcpy(c->oem, "GASANG  ", 8);
	memcpy(c->product, "GASANG PC   ", 12);
	c->count = (uint16_t)(ncpus + 2 + ISA_IRQS + 2);
	c->lapic = APIC_DEFAULT_ADDR;
	c->checksum = checksum(c, c->length);

	memcpy(f->sig, "_MP_", 4);
	f->physptr = (uint32_t)(gpa + sizeof(*f));
	f->length = 1;
	f->rev = 4;
	f->checksum = checksum(f, sizeof(*f));
	return 0;
}
