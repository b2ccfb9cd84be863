/* Address translation (Sv39/Sv48 with hardware A/D updates), software TLBs, the fetch window,
 * physical accesses to RAM and MMIO, misaligned accesses. */
#include "accel/emu/core.h"

#include "machine/machine.h"

#define PTE_V	      (1ULL << 0)
#define PTE_R	      (1ULL << 1)
#define PTE_W	      (1ULL << 2)
#define PTE_X	      (1ULL << 3)
#define PTE_U	      (1ULL << 4)
#define PTE_A	      (1ULL << 6)
#define PTE_D	      (1ULL << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK  ((1ULL << 44) - 1)
#define PTE_RESERVED  (~0ULL << 54) /* N, PBMT and reserved: no Svnapot/Svpbmt here */

static const unsigned fault_cause[3] = {EXC_INSN_PAGE_FAULT, EXC_LOAD_PAGE_FAULT,
					EXC_STORE_PAGE_FAULT};
static const unsigned access_cause[3] = {EXC_INSN_ACCESS, EXC_LOAD_ACCESS, EXC_STORE_ACCESS};

void hart_flush_tlb(struct hart *h)
{
	struct core *c = core_of(h);

	for (unsigned a = 0; a < 3; a++)
		for (unsigned i = 0; i < TLB_SIZE; i++)
			c->tlb[a][i].tag = TLB_INVALID;
	c->super_lo = UINT64_MAX;
	c->super_hi = 0;
	mmu_ctx_update(h);
}

void mmu_flush_page(struct hart *h, uint64_t va)
{
	struct core *c = core_of(h);
	unsigned idx = (va >> PG_SHIFT) & (TLB_SIZE - 1);

	if (va >= c->super_lo && va <= c->super_hi) {
		hart_flush_tlb(h); /* other pages of the same superpage may be cached */
		return;
	}
	/* Entries are per 4 KiB page, direct-mapped by the page number: one slot per TLB, under
	 * any translation context. */
	for (unsigned a = 0; a < 3; a++)
		if (((c->tlb[a][idx].tag ^ va) & ~PG_MASK) == 0)
			c->tlb[a][idx].tag = TLB_INVALID;
	c->fetch_page = TLB_INVALID;
}

/* Privilege used for an access: loads and stores in M-mode with MPRV use MPP. */
static unsigned access_priv(const struct hart *h, enum rv_access acc)
{
	if (acc != ACC_FETCH && h->priv == PRV_M && (h->mstatus & MS_MPRV))
		return (unsigned)((h->mstatus & MS_MPP) >> MS_MPP_SHIFT);
	return h->priv;
}

void mmu_ctx_update(struct hart *h)
{
	struct core *c = core_of(h);
	uint64_t s = h->mstatus;

	c->dctx =
	    ((uint64_t)access_priv(h, ACC_LOAD) | ((s & MS_SUM) ? 4 : 0) | ((s & MS_MXR) ? 8 : 0))
	    << 3;
	c->ictx = (uint64_t)h->priv << 3;
	c->fetch_page = TLB_INVALID;
}

/* Walks the page table. Returns 0 with *pa set, or the exception cause. */
static unsigned mmu_walk(struct hart *h, uint64_t va, enum rv_access acc, unsigned prv,
			 uint64_t *pa)
{
	struct guest_mem *mem = &h->plat->m->mem;
	unsigned mode = (unsigned)(h->satp >> SATP_MODE_SHIFT);
	int levels = mode == 9 ? 4 : 3;
	unsigned vabits = 12 + 9 * (unsigned)levels;
	int64_t top = (int64_t)va >> (vabits - 1);

	if (top != 0 && top != -1)
		return fault_cause[acc];
retry:;
	uint64_t a = (h->satp & SATP_PPN_MASK) << PG_SHIFT;
	for (int i = levels - 1; i >= 0; i--) {
		uint64_t idx = (va >> (PG_SHIFT + 9 * (unsigned)i)) & 511;
		uint64_t *pp = gmem_ptr(mem, a + idx * 8, 8);
		uint64_t pte, ppn;

		if (!pp || ((a + idx * 8) & 7))
			return access_cause[acc];
		pte = __atomic_load_n(pp, __ATOMIC_ACQUIRE);
		if (!(pte & PTE_V) || ((pte & (PTE_R | PTE_W)) == PTE_W) || (pte & PTE_RESERVED))
			return fault_cause[acc];
		ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
		if (!(pte & (PTE_R | PTE_X))) {
			if (pte & (PTE_A | PTE_D | PTE_U))
				return fault_cause[acc]; /* reserved for non-leaf PTEs */
			a = ppn << PG_SHIFT;
			continue;
		}
		/* Leaf: permissions. */
		if (pte & PTE_U) {
			if (prv == PRV_S && (acc == ACC_FETCH || !(h->mstatus & MS_SUM)))
				return fault_cause[acc];
		} else if (prv == PRV_U) {
			return fault_cause[acc];
		}
		if (acc == ACC_FETCH && !(pte & PTE_X))
			return fault_cause[acc];
		if (acc == ACC_LOAD && !((pte & PTE_R) || ((h->mstatus & MS_MXR) && (pte & PTE_X))))
			return fault_cause[acc];
		if (acc == ACC_STORE && !(pte & PTE_W))
			return fault_cause[acc];
		if (i > 0 && (ppn & ((1ULL << (9 * (unsigned)i)) - 1)))
			return fault_cause[acc]; /* misaligned superpage */
		uint64_t want = PTE_A | (acc == ACC_STORE ? PTE_D : 0);
		if ((pte & want) != want) {
			/* Atomic, so a concurrent change of the PTE by another hart is not lost. */
			if (!__atomic_compare_exchange_n(pp, &pte, pte | want, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				goto retry;
		}
		uint64_t off_mask = (1ULL << (PG_SHIFT + 9 * (unsigned)i)) - 1;
		*pa = ((ppn << PG_SHIFT) & ~off_mask) | (va & off_mask);
		core_of(h)->walk_level = (unsigned)i;
		return 0;
	}
	return fault_cause[acc];
}

/* Translates va for acc. Returns 0 or the exception cause. */
static unsigned mmu_translate(struct hart *h, uint64_t va, enum rv_access acc, uint64_t *pa)
{
	unsigned prv = access_priv(h, acc);

	if (prv == PRV_M || (h->satp >> SATP_MODE_SHIFT) == 0) {
		*pa = va;
		core_of(h)->walk_level = 0;
		return 0;
	}
	return mmu_walk(h, va, acc, prv, pa);
}

/* Host pointer of the RAM page holding pa, or NULL (MMIO, unmapped). */
static uint8_t *ram_page(struct hart *h, uint64_t pa)
{
	return gmem_ptr(&h->plat->m->mem, pa & ~PG_MASK, PG_SIZE);
}

static void tlb_fill(struct hart *h, enum rv_access acc, uint64_t va, uint8_t *host_page)
{
	struct core *c = core_of(h);
	unsigned idx = (va >> PG_SHIFT) & (TLB_SIZE - 1);
	struct tlb_entry *e = &c->tlb[acc][idx];

	/* Every fill follows the walk that translated va. */
	if (c->walk_level) {
		uint64_t mask = (1ULL << (PG_SHIFT + 9 * c->walk_level)) - 1;

		if ((va & ~mask) < c->super_lo)
			c->super_lo = va & ~mask;
		if ((va | mask) > c->super_hi)
			c->super_hi = va | mask;
	}
	e->tag = (va & ~PG_MASK) | (acc == ACC_FETCH ? c->ictx : c->dctx);
	e->addend = (uintptr_t)host_page - (uintptr_t)(va & ~PG_MASK);
}

static uint64_t host_read(const void *p, unsigned size)
{
	switch (size) {
	case 1:
		return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
	case 2:
		return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
	case 4:
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
	default:
		return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
	}
}

static void host_write(void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		__atomic_store_n((uint8_t *)p, (uint8_t)v, __ATOMIC_RELAXED);
		break;
	case 2:
		__atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED);
		break;
	case 4:
		__atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED);
		break;
	default:
		__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
		break;
	}
}

/* An access that crosses a natural boundary: done byte by byte (little endian). A fault on
 * any byte raises with that byte's address; earlier bytes of a store may be visible, which
 * the ISA allows for misaligned stores. */
static bool load_split(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	uint64_t v = 0, b;

	for (unsigned i = 0; i < size; i++) {
		if (!core_load(h, va + i, 1, &b))
			return false;
		v |= b << (8 * i);
	}
	*val = v;
	return true;
}

static bool store_split(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	/* Translate every byte first so a fault leaves memory untouched where possible. */
	uint64_t pa;

	for (unsigned i = 0; i < size; i++) {
		unsigned e = mmu_translate(h, va + i, ACC_STORE, &pa);
		if (e) {
			hart_raise(h, e, va + i);
			return false;
		}
	}
	for (unsigned i = 0; i < size; i++) {
		if (!core_store(h, va + i, 1, val >> (8 * i)))
			return false;
	}
	return true;
}

/* Host address of a misaligned access that stays inside one RAM page, or NULL. */
static uint8_t *misaligned_host(struct hart *h, uint64_t va, unsigned size)
{
	struct tlb_entry *e;

	if ((va & PG_MASK) + size > PG_SIZE)
		return NULL;
	e = &core_of(h)->tlb[ACC_LOAD][(va >> PG_SHIFT) & (TLB_SIZE - 1)];
	if (e->tag != ((va & ~PG_MASK) | core_of(h)->dctx)) {
		uint64_t b;

		/* Fill the TLB through a one-byte access (it faults like the access would). */
		if (!mmu_load_slow(h, va, 1, &b))
			return (uint8_t *)-1;
		if (e->tag != ((va & ~PG_MASK) | core_of(h)->dctx))
			return NULL; /* MMIO: byte by byte */
	}
	return (uint8_t *)(uintptr_t)(va + e->addend);
}

/* A misaligned store inside one page: translated once, then one copy. */
static int store_misaligned_page(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	struct tlb_entry *e = &core_of(h)->tlb[ACC_STORE][(va >> PG_SHIFT) & (TLB_SIZE - 1)];

	if ((va & PG_MASK) + size > PG_SIZE)
		return 0;
	if (e->tag != ((va & ~PG_MASK) | core_of(h)->dctx)) {
		/* A one-byte store of the byte we are about to write anyway fills the TLB. */
		if (!mmu_store_slow(h, va, 1, val & 0xff))
			return -1;
		if (e->tag != ((va & ~PG_MASK) | core_of(h)->dctx))
			return 0; /* MMIO or the tohost page: byte by byte */
	}
	memcpy((void *)(uintptr_t)(va + e->addend), &val, size);
	return 1;
}

bool mmu_load_slow(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	uint64_t pa;
	unsigned e;
	uint8_t *page;

	if (va & (size - 1)) {
		uint8_t *p = misaligned_host(h, va, size);

		if (p == (uint8_t *)-1)
			return false;
		if (p) {
			*val = 0;
			memcpy(val, p, size);
			return true;
		}
		return load_split(h, va, size, val);
	}
	e = mmu_translate(h, va, ACC_LOAD, &pa);
	if (e) {
		hart_raise(h, e, va);
		return false;
	}
	page = ram_page(h, pa);
	if (page) {
		tlb_fill(h, ACC_LOAD, va, page);
		*val = host_read(page + (pa & PG_MASK), size);
		return true;
	}
	if (bus_read(&h->plat->m->mmio, pa, size, val))
		return true;
	hart_raise(h, EXC_LOAD_ACCESS, va);
	return false;
}

bool mmu_store_slow(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	struct rv_platform *p = h->plat;
	uint64_t pa;
	unsigned e;
	uint8_t *page;

	if (va & (size - 1)) {
		int r = store_misaligned_page(h, va, size, val);

		if (r)
			return r > 0;
		return store_split(h, va, size, val);
	}
	e = mmu_translate(h, va, ACC_STORE, &pa);
	if (e) {
		hart_raise(h, e, va);
		return false;
	}
	page = ram_page(h, pa);
	if (page) {
		bool tohost = p->tohost_pa && ((pa ^ p->tohost_pa) & ~PG_MASK) == 0;

		host_write(page + (pa & PG_MASK), size, val);
		if (core_of(h)->jit)
			jit_note_store(h, pa);
		/* The tohost page never gets a store TLB entry, so every store there comes here. */
		if (!tohost)
			tlb_fill(h, ACC_STORE, va, page);
		else if (pa == p->tohost_pa && p->htif_write && val)
			p->htif_write(h, size == 8 ? val : host_read(page + (pa & PG_MASK), 8));
		return true;
	}
	if (bus_write(&p->m->mmio, pa, size, val))
		return true;
	hart_raise(h, EXC_STORE_ACCESS, va);
	return false;
}

bool hart_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	return core_load(h, va, size, val);
}

bool hart_store(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	return core_store(h, va, size, val);
}

/* Points the fetch window at the page holding va, through the fetch TLB. */
static bool fetch_window(struct hart *h, uint64_t va)
{
	struct core *c = core_of(h);
	struct tlb_entry *e = &c->tlb[ACC_FETCH][(va >> PG_SHIFT) & (TLB_SIZE - 1)];
	uint64_t pa;
	unsigned exc;
	uint8_t *page;

	if (e->tag != ((va & ~PG_MASK) | c->ictx)) {
		exc = mmu_translate(h, va, ACC_FETCH, &pa);
		if (exc) {
			hart_raise(h, exc, va);
			return false;
		}
		page = ram_page(h, pa);
		if (!page) {
			hart_raise(h, EXC_INSN_ACCESS, va);
			return false;
		}
		tlb_fill(h, ACC_FETCH, va, page);
	}
	c->fetch_page = va & ~PG_MASK;
	c->fetch_host = (uint8_t *)(uintptr_t)((va & ~PG_MASK) + e->addend);
	return true;
}

bool mmu_fetch(struct hart *h, uint64_t pc, uint32_t *insn)
{
	struct core *c = core_of(h);
	uint16_t lo, hi;

	if (!fetch_window(h, pc))
		return false;
	memcpy(&lo, c->fetch_host + (pc & PG_MASK), 2);
	if ((lo & 3) != 3) {
		*insn = lo;
		return true;
	}
	if ((pc & PG_MASK) <= PG_SIZE - 4) {
		memcpy(insn, c->fetch_host + (pc & PG_MASK), 4);
		return true;
	}
	/* The upper half lies on the next page. */
	if (!fetch_window(h, pc + 2))
		return false;
	memcpy(&hi, c->fetch_host, 2);
	*insn = (uint32_t)lo | (uint32_t)hi << 16;
	return true;
}

void *mmu_atomic_ptr(struct hart *h, uint64_t va, unsigned size, bool write, uint64_t *pa_out)
{
	enum rv_access acc = write ? ACC_STORE : ACC_LOAD;
	uint64_t pa;
	unsigned e;
	void *p;

	if (va & (size - 1)) {
		hart_raise(h, write ? EXC_STORE_MISALIGNED : EXC_LOAD_MISALIGNED, va);
		return NULL;
	}
	/* TLB hit: a RAM page (the tohost page and pages with translated code never have store
	 * entries, so nothing to tell the translator). AMOs need R and W: a W page is R. */
	struct core *c = core_of(h);
	struct tlb_entry *te = &c->tlb[acc][(va >> PG_SHIFT) & (TLB_SIZE - 1)];

	if (te->tag == ((va & ~PG_MASK) | c->dctx)) {
		const struct guest_mem *mem = &h->plat->m->mem;

		p = (void *)(uintptr_t)(va + te->addend);
		for (int i = 0; i < mem->n; i++)
			if ((uintptr_t)((uint8_t *)p - mem->r[i].hva) < mem->r[i].size) {
				*pa_out = mem->r[i].gpa + (uint64_t)((uint8_t *)p - mem->r[i].hva);
				return p;
			}
	}
	e = mmu_translate(h, va, acc, &pa);
	if (e) {
		hart_raise(h, e, va);
		return NULL;
	}
	p = gmem_ptr(&h->plat->m->mem, pa, size);
	if (!p) {
		/* Atomics on devices are not supported: an access fault, as the PMAs allow. */
		hart_raise(h, write ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS, va);
		return NULL;
	}
	if (write && core_of(h)->jit)
		jit_note_store(h, pa);
	*pa_out = pa;
	return p;
}
