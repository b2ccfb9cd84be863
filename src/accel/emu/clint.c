#include "accel/emu/clint.h"

#include "accel/emu/cpu.h"

/* Reads size bytes at byte offset off of a 64-bit register. */
static uint64_t part_read(uint64_t reg, uint64_t off, unsigned size)
{
	unsigned shift = (unsigned)(off & 7) * 8;

	reg >>= shift;
	return size == 8 ? reg : reg & ((1ULL << (size * 8)) - 1);
}

static uint64_t part_write(uint64_t reg, uint64_t off, unsigned size, uint64_t val)
{
	unsigned shift = (unsigned)(off & 7) * 8;
	uint64_t mask = size == 8 ? ~0ULL : ((1ULL << (size * 8)) - 1) << shift;

	return (reg & ~mask) | ((val << shift) & mask);
}

static struct hart *hart_at(struct clint *c, uint64_t idx)
{
	return idx < c->plat->nharts ? c->plat->harts[idx] : NULL;
}

static uint64_t clint_read(void *opaque, uint64_t off, unsigned size)
{
	struct clint *c = opaque;
	struct hart *h;

	/* Accesses must be naturally aligned and may not straddle registers. */
	if (off & (size - 1))
		return 0;
	if (off >= CLINT_MTIME_OFF && off < CLINT_MTIME_OFF + 8)
		return part_read(rv_mtime(c->plat), off, size);
	if (off >= CLINT_MTIMECMP_OFF && off < CLINT_MTIME_OFF) {
		h = hart_at(c, (off - CLINT_MTIMECMP_OFF) / 8);
		return h ? part_read(__atomic_load_n(&h->mtimecmp, __ATOMIC_ACQUIRE), off, size)
			 : 0;
	}
	if (off < CLINT_MTIMECMP_OFF && size == 4) {
		h = hart_at(c, off / 4);
		return h ? (__atomic_load_n(&h->mip, __ATOMIC_ACQUIRE) >> IRQ_M_SOFT) & 1 : 0;
	}
	return 0;
}

static void clint_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct clint *c = opaque;
	struct hart *h;

	if (off & (size - 1))
		return;
	if (off >= CLINT_MTIMECMP_OFF && off < CLINT_MTIME_OFF) {
		uint64_t cmp;

		h = hart_at(c, (off - CLINT_MTIMECMP_OFF) / 8);
		if (!h)
			return;
		/* Only this register's owner hart and M-mode software write it; a plain
		 * read-modify-write is enough for 32-bit halves. */
		cmp = part_write(__atomic_load_n(&h->mtimecmp, __ATOMIC_ACQUIRE), off, size, val);
		__atomic_store_n(&h->mtimecmp, cmp, __ATOMIC_RELEASE);
		hart_set_irq(h, IRQ_M_TIMER, rv_mtime(c->plat) >= cmp);
		hart_kick(h);
		return;
	}
	if (off < CLINT_MTIMECMP_OFF && size == 4) {
		h = hart_at(c, off / 4);
		if (h)
			hart_set_irq(h, IRQ_M_SOFT, val & 1);
	}
	/* mtime is read-only here: gasang's time base is the host clock. */
}

const struct bus_ops clint_ops = {.read = clint_read, .write = clint_write};

void clint_init(struct clint *c, struct rv_platform *plat)
{
	c->plat = plat;
}
