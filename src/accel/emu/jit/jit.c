/* The translator's code cache and dispatcher: block lookup (per-hart lookup cache in front
 * of a hash table), chaining, invalidation of pages written by the guest, full flushes. */
#include "accel/emu/jit/jit.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

#define JIT_TRAMP_SIZE 512 /* enter, exit, exit_lookup, cold_code at the start of the cache */

void jit_emit_probe(struct emit *e)
{
	uint8_t *miss, *miss2, *miss3;

	emit_mov_rr(e, true, RCX, RAX);
	emit_shift_ri(e, true, SH_SHR, RCX, 1);
	emit_alu_ri(e, false, ALU_AND, RCX, JIT_LC_SIZE - 1);
	emit_shift_ri(e, false, SH_SHL, RCX, 5);
	emit_alu_rm(e, true, ALU_ADD, RCX, MEM(R12, (int32_t)offsetof(struct core, jit_lc)));
	emit_mov_rm(e, true, RDX, MEM(R12, (int32_t)offsetof(struct core, jit_lc_salt)));
	emit_alu_rr(e, true, ALU_XOR, RDX, RAX);
	emit_alu_rm(e, true, ALU_CMP, RDX, MEM(RCX, 0));
	miss = emit_jcc(e, CC_NE, NULL);
	/* The fetch TLB still maps the page, to the same host page (addend). */
	emit_mov_rr(e, true, RDX, RAX);
	emit_shift_ri(e, true, SH_SHR, RDX, PG_SHIFT);
	emit_mov_rr(e, true, RSI, RDX);
	emit_shift_ri(e, true, SH_SHL, RSI, PG_SHIFT);
	emit_alu_rm(e, true, ALU_OR, RSI, MEM(R12, (int32_t)offsetof(struct core, ictx)));
	emit_alu_ri(e, false, ALU_AND, RDX, TLB_SIZE - 1);
	emit_shift_ri(e, false, SH_SHL, RDX, 4);
	emit_alu_rm(e, true, ALU_CMP, RSI,
		    MEMX(R12, RDX, (int32_t)offsetof(struct core, tlb[ACC_FETCH][0].tag)));
	miss2 = emit_jcc(e, CC_NE, NULL);
	emit_mov_rm(e, true, RSI,
		    MEMX(R12, RDX, (int32_t)offsetof(struct core, tlb[ACC_FETCH][0].addend)));
	emit_alu_rm(e, true, ALU_CMP, RSI, MEM(RCX, 8));
	miss3 = emit_jcc(e, CC_NE, NULL);
	emit_mov_rm(e, true, RDX, MEM(RCX, 24));
	emit_jmp_reg(e, RDX);
	if (miss)
		emit_patch_rel32(miss, e->p);
	if (miss2)
		emit_patch_rel32(miss2, e->p);
	if (miss3)
		emit_patch_rel32(miss3, e->p);
}

static void emit_trampolines(struct jit *j)
{
	struct emit e;
	_Static_assert(sizeof(struct jit_lc_entry) == 32, "lookup cache entries are 32 bytes");
	_Static_assert(sizeof(struct tlb_entry) == 16, "TLB entries are 16 bytes");
	emit_init(&e, j->cache, JIT_TRAMP_SIZE);
	j->enter = (uint64_t(*)(struct hart *, struct core *, const void *))(void *)j->cache;
	/* After the call rsp = 8 mod 16; the pushes and the adjustment align it for helper calls
	 * in blocks. r13-r15 cache guest registers, rbp holds the budget. */
	emit_push(&e, RBX);
	emit_push(&e, R12);
	emit_push(&e, RBP);
	emit_push(&e, R13);
	emit_push(&e, R14);
	emit_push(&e, R15);
	emit_alu_ri(&e, true, ALU_SUB, RSP, 8); /* 6 pushes + 8: 16-byte aligned */
	emit_mov_rr(&e, true, RBX, RDI);
	emit_mov_rr(&e, true, R12, RSI);
	/* rbp: the budget in translated code (translate.c) */
	emit_mov_rm(&e, true, RBP, MEM(R12, (int32_t)offsetof(struct core, jit_budget)));
	translate_fp_emit_clear(&e); /* MXCSR flags: inline F/D's (translate_fp.c) */
	emit_jmp_reg(&e, RDX);
	j->exit = e.p;
	emit_mov_mr(&e, true, MEM(R12, (int32_t)offsetof(struct core, jit_budget)), RBP);
	translate_fp_emit_fold(&e, RCX, RDX); /* rax: the return value */
	emit_alu_ri(&e, true, ALU_ADD, RSP, 8);
	emit_pop(&e, R15);
	emit_pop(&e, R14);
	emit_pop(&e, R13);
	emit_pop(&e, RBP);
	emit_pop(&e, R12);
	emit_pop(&e, RBX);
	emit_ret(&e);
	/* exit_lookup: rax = target pc. */
	j->exit_lookup = e.p;
	jit_emit_probe(&e);
	/* Cold blocks (and lookup misses): back to the dispatcher with rax = 0. */
	j->cold_code = e.p;
	emit_alu_rr(&e, false, ALU_XOR, RAX, RAX);
	emit_jmp(&e, j->exit);
	j->cache_top = j->cache + JIT_TRAMP_SIZE;
	if (e.overflow)
		log_warn("jit: trampolines overflow"); /* cannot happen: checked by the tests */
}

/* Empties the lookup cache. Keys are pc ^ salt, salt = generation << 48 with generations
 * 1..0x7fff: pcs that reach an entry have bits 48-63 all 0 or all 1 (canonical, or RAM in
 * Bare mode; others never pass the fetch-TLB check), and two generations differ by less
 * than 0x8000 there, so an old key never equals a new pc ^ salt. Wrapping clears for real
 * (an odd key never matches). */
static void jit_lc_clear(struct core *c)
{
	struct jit *j = c->jit;

	c->jit_lc_salt += 1ULL << 48;
	if ((c->jit_lc_salt >> 48) < 0x8000)
		return;
	for (unsigned i = 0; i < JIT_LC_SIZE; i++)
		j->lc[i].vpc = 1;
	c->jit_lc_salt = 1ULL << 48;
}

static inline uint64_t jit_hash(uint64_t vpc, uint64_t pa)
{
	return ((vpc ^ (pa << 23)) * 0x9e3779b97f4a7c15ULL) >> (64 - JIT_HASH_BITS);
}

static void jit_flush_all(struct hart *h)
{
	struct jit *j = core_of(h)->jit;

	for (unsigned i = 0; i < j->nmarked; i++) {
		free(j->pages[j->marked[i]]);
		j->pages[j->marked[i]] = NULL;
	}
	j->nmarked = 0;
	j->nxlinks = 0; /* the code they were in is gone */
	memset(j->hash, 0, sizeof(j->hash));
	j->nblocks = 0;
	j->cache_top = j->cache + JIT_TRAMP_SIZE;
	j->flushes++;
	jit_lc_clear(core_of(h));
	core_of(h)->jit_dirty = 1;
	if (j->debug)
		log_warn("jit: hart %" PRIu64 ": code cache flushed", h->hartid);
}

int jit_init(struct hart *h)
{
	struct core *c = core_of(h);
	const struct guest_mem *mem = &h->plat->m->mem;
	struct jit *j;

	if (c->jit)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->cache = mmap(NULL, JIT_CACHE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (j->cache == MAP_FAILED) {
		free(j);
		return -errno;
	}
	j->cache_end = j->cache + JIT_CACHE_SIZE;
	for (int i = 0; i < mem->n; i++)
		j->npages += mem->r[i].size >> PG_SHIFT;
	j->page_map_bytes = (j->npages * sizeof(void *) + PG_MASK) & ~PG_MASK;
	j->pages = mmap(NULL, j->page_map_bytes ? j->page_map_bytes : PG_SIZE,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	j->blocks = calloc(JIT_MAX_BLOCKS, sizeof(*j->blocks));
	j->marked = calloc(JIT_MAX_BLOCKS, sizeof(*j->marked));
	if (j->pages == MAP_FAILED || !j->blocks || !j->marked) {
		if (j->pages != MAP_FAILED)
			munmap(j->pages, j->page_map_bytes ? j->page_map_bytes : PG_SIZE);
		munmap(j->cache, JIT_CACHE_SIZE);
		free(j->blocks);
		free(j->marked);
		free(j);
		return -ENOMEM;
	}
	j->debug = getenv("GASANG_JIT_DEBUG") != NULL;
	j->stats = j->debug || getenv("GASANG_JIT_STATS") != NULL;
	j->smp = h->plat->nharts > 1;
	j->hot = JIT_HOT;
	if (getenv("GASANG_JIT_HOT"))
		j->hot = (unsigned)strtoul(getenv("GASANG_JIT_HOT"), NULL, 0);
	if (!j->hot)
		j->hot = 1;
	j->start_ns = now_ns();
	emit_trampolines(j);
	c->jit = j;
	c->jit_lc = j->lc;
	/* Generation 1 over calloc's zeros: a zero key equals pc ^ salt only for pc = 1 << 48,
	 * which never passes the fetch-TLB check with addend 0 (no host page is at guest
	 * address 0). Writing 1 MiB here cost the process VM's start-up its page faults. */
	c->jit_lc_salt = 1ULL << 48;
	return 0;
}

void jit_free(struct hart *h)
{
	struct core *c = core_of(h);
	struct jit *j = c->jit;

	if (!j)
		return;
	if (j->stats) {
		uint64_t total = now_ns() - j->start_ns;

		fprintf(stderr,
			"gasang: jit: hart %" PRIu64 ": %" PRIu64
			" blocks translated in %.1f ms (%.1f%% "
			"of %.1f ms), %" PRIu64 " page invalidations, %" PRIu64 " flushes, %" PRIu64
			" cold blocks interpreted (hot after %u), %" PRIu64
			" lookup-cache misses\n",
			h->hartid, j->translations, j->translate_ns / 1e6,
			total ? 100.0 * (double)j->translate_ns / (double)total : 0.0, total / 1e6,
			j->invalidations, j->flushes, j->cold_runs, j->hot, j->lc_misses);
	}
	for (unsigned i = 0; i < j->nmarked; i++) {
		free(j->pages[j->marked[i]]);
		j->pages[j->marked[i]] = NULL;
	}
	munmap(j->cache, JIT_CACHE_SIZE);
	munmap(j->pages, j->page_map_bytes ? j->page_map_bytes : PG_SIZE);
	free(j->blocks);
	free(j->marked);
	free(j);
	c->jit = NULL;
	c->jit_lc = NULL;
}

uint64_t jit_page_index(const struct hart *h, uint64_t pa)
{
	const struct guest_mem *mem = &h->plat->m->mem;
	uint64_t base = 0;

	for (int i = 0; i < mem->n; i++) {
		const struct gmem_region *r = &mem->r[i];

		if (pa - r->gpa < r->size)
			return base + ((pa - r->gpa) >> PG_SHIFT);
		base += r->size >> PG_SHIFT;
	}
	return UINT64_MAX;
}

/* Guest physical address of a host pointer into guest RAM. */
static uint64_t host_to_pa(const struct hart *h, const uint8_t *p)
{
	const struct guest_mem *mem = &h->plat->m->mem;

	for (int i = 0; i < mem->n; i++) {
		const struct gmem_region *r = &mem->r[i];

		if ((uintptr_t)(p - r->hva) < r->size)
			return r->gpa + (uint64_t)(p - r->hva);
	}
	return UINT64_MAX;
}

/* A page gets its first block: no store TLB entry may point at it any more, so that every
 * store to it takes the slow path, which invalidates the page's translations. */
static void jit_mark_page(struct hart *h, uint64_t idx, const uint8_t *host_page)
{
	struct core *c = core_of(h);
	struct jit *j = c->jit;

	j->marked[j->nmarked++] = idx;
	for (unsigned i = 0; i < TLB_SIZE; i++) {
		struct tlb_entry *e = &c->tlb[ACC_STORE][i];

		if (e->tag != TLB_INVALID &&
		    (uintptr_t)((e->tag & ~PG_MASK) + e->addend) == (uintptr_t)host_page)
			e->tag = TLB_INVALID;
	}
}

/* Unlinks the chained jumps into page idx (all of them: UINT64_MAX): each goes back to its
 * exit stub right after it. */
static void jit_unlink_pages(struct jit *j, uint64_t idx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < j->nxlinks; i++) {
		struct jit_xlink *l = &j->xlinks[i];

		if (idx == UINT64_MAX || l->idx == idx)
			emit_patch_rel32(l->field, l->field + 4);
		else
			j->xlinks[n++] = *l;
	}
	j->nxlinks = n;
}

/* Drops the translations of RAM page idx. */
static void jit_drop_page(struct hart *h, uint64_t idx)
{
	struct core *c = core_of(h);
	struct jit *j = c->jit;

	for (struct jit_block *b = j->pages[idx]->head; b; b = b->pnext) {
		struct jit_block **pp = &j->hash[jit_hash(b->vpc, b->pa)];

		while (*pp && *pp != b)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = b->hnext;
		b->valid = false;
	}
	free(j->pages[idx]);
	j->pages[idx] = NULL;
	jit_unlink_pages(j, idx);
	j->invalidations++;
	jit_lc_clear(c);  /* drop lookup-cache entries of the page's blocks */
	c->jit_dirty = 1; /* the running block may be one of them: leave it */
}

void jit_note_store(struct hart *h, uint64_t pa)
{
	struct jit *j = core_of(h)->jit;
	uint64_t idx = jit_page_index(h, pa);

	if (idx != UINT64_MAX && j->pages[idx])
		jit_drop_page(h, idx);
}

void jit_request_flush(struct hart *h)
{
	struct core *c = core_of(h);

	if (c->jit) {
		/* Pages are compared with their copies before their blocks run again. */
		c->jit->epoch++;
		jit_unlink_pages(c->jit, UINT64_MAX);
		jit_lc_clear(c);
		c->jit_dirty = 1;
	}
}

void hart_flush_code(struct hart *h)
{
	jit_request_flush(h);
}

/* A new cold block for (vpc, pa), in the hash table. Flushes everything when full. */
static struct jit_block *jit_new_block(struct hart *h, uint64_t vpc, uint64_t pa)
{
	struct jit *j = core_of(h)->jit;
	struct jit_block *b;
	uint64_t hv = jit_hash(vpc, pa);

	if (j->nblocks == JIT_MAX_BLOCKS ||
	    (uint64_t)(j->cache_end - j->cache_top) < JIT_BLOCK_ROOM)
		jit_flush_all(h);
	b = &j->blocks[j->nblocks++];
	memset(b, 0, sizeof(*b));
	b->vpc = vpc;
	b->pa = pa;
	b->code = j->cold_code;
	b->cold = true;
	b->valid = true;
	b->hnext = j->hash[hv];
	j->hash[hv] = b;
	return b;
}

/* Translates cold block b (its page is at host address page). Returns the translated block:
 * b, or a new one when the cache had to be flushed first; &j->interp_block on failure. */
static struct jit_block *jit_heat(struct hart *h, struct jit_block *b, const uint8_t *page)
{
	struct jit *j = core_of(h)->jit;
	uint64_t idx = jit_page_index(h, b->pa);

	if ((uint64_t)(j->cache_end - j->cache_top) < JIT_BLOCK_ROOM)
		b = jit_new_block(h, b->vpc, b->pa); /* flushes first */
	if (!j->pages[idx]) {
		struct jit_page *pg = malloc(sizeof(*pg));

		if (!pg)
			return &j->interp_block;
		pg->head = NULL;
		pg->epoch = j->epoch;
		memcpy(pg->bytes, page, PG_SIZE);
		j->pages[idx] = pg;
		jit_mark_page(h, idx, page);
	}
	b->code = j->cache_top;
	uint64_t t0 = j->stats ? now_ns() : 0;
	b->ninsn = jit_translate(h, b, page);
	if (j->stats)
		j->translate_ns += now_ns() - t0;
	j->translations++;
	b->cold = false;
	b->pnext = j->pages[idx]->head;
	j->pages[idx]->head = b;
	if (j->debug)
		log_warn("jit: block %016" PRIx64 " (pa %" PRIx64 "): %u insns, %zu bytes at %p",
			 b->vpc, b->pa, b->ninsn, (size_t)(j->cache_top - b->code),
			 (void *)b->code);
	return b;
}

/* The block at h->pc, translated if needed. NULL when fetching raised an exception. */
static struct jit_block *jit_lookup(struct hart *h)
{
	struct core *c = core_of(h);
	struct jit *j = c->jit;
	uint64_t pc = h->pc, pa, idx;
	struct jit_page *pg;
	struct jit_lc_entry *l = &j->lc[(pc >> 1) % JIT_LC_SIZE];
	struct tlb_entry *te;
	struct jit_block *b;
	const uint8_t *page;
	uint32_t insn;

	te = &c->tlb[ACC_FETCH][(pc >> PG_SHIFT) & (TLB_SIZE - 1)];
	/* A hit needs the fetch TLB to map pc's page (for this privilege) to the same host page
	 * as when the entry was made: TLB flushes need not empty the lookup cache. */
	if (l->vpc == (pc ^ c->jit_lc_salt) && te->tag == ((pc & ~PG_MASK) | c->ictx) &&
	    te->addend == l->addend)
		return l->b;
	j->lc_misses++;
	/* Checks fetch permission for the current privilege and fills the fetch TLB. */
	if (!mmu_fetch(h, pc, &insn))
		return NULL;
	te = &c->tlb[ACC_FETCH][(pc >> PG_SHIFT) & (TLB_SIZE - 1)];
	page = (const uint8_t *)(uintptr_t)((pc & ~PG_MASK) + te->addend);
	pa = host_to_pa(h, page) + (pc & PG_MASK);
	idx = jit_page_index(h, pa);
	if (te->tag != ((pc & ~PG_MASK) | c->ictx) || idx == UINT64_MAX)
		return &j->interp_block; /* cannot happen: fetches come from RAM pages */
	pg = j->pages[idx];
	if (pg && pg->epoch != j->epoch) {
		if (memcmp(pg->bytes, page, PG_SIZE))
			jit_drop_page(h, idx);
		else
			pg->epoch = j->epoch;
	}
	for (b = j->hash[jit_hash(pc, pa)]; b; b = b->hnext)
		if (b->vpc == pc && b->pa == pa)
			break;
	if (!b)
		b = jit_new_block(h, pc, pa);
	if (b->cold && j->hot <= 1)
		b = jit_heat(h, b, page);
	l->vpc = pc ^ c->jit_lc_salt;
	l->addend = te->addend;
	l->b = b;
	l->code = b->code;
	return b;
}

uint64_t jit_run(struct hart *h, uint64_t budget)
{
	struct core *c = core_of(h);
	struct jit *j = c->jit;
	struct jit_block *next = NULL; /* the block at h->pc, already looked up */

	c->jit_budget = (int64_t)budget;
	while (c->jit_budget > 0) {
		struct jit_block *b;
		uint64_t r, flushes;

		if (c->recheck | __atomic_load_n(&h->kick, __ATOMIC_RELAXED))
			break;
		b = next ? next : jit_lookup(h);
		next = NULL;
		if (!b) {
			/* Fetching raised (and took) the exception: it counts as an instruction,
			 * as in the interpreter. */
			h->instret++;
			c->jit_budget--;
			continue;
		}
		if (b->cold && ++b->hits >= j->hot) {
			const uint8_t *page = gmem_ptr(&h->plat->m->mem, b->pa & ~PG_MASK, PG_SIZE);
			struct jit_lc_entry *l = &j->lc[(h->pc >> 1) % JIT_LC_SIZE];

			if (page)
				b = jit_heat(h, b, page);
			if (l->b == b && l->vpc == (h->pc ^ c->jit_lc_salt))
				l->code = b->code;
		}
		if (b->cold) {
			/* Interpreted up to the next control transfer, then looked up again. */
			uint64_t ran;

			c->block_stop = 1;
			ran = interp_run(h, (uint64_t)c->jit_budget);
			c->block_stop = 0;
			j->cold_runs++;
			c->jit_budget -= (int64_t)ran;
			if (!ran || c->wfi_exit)
				break;
			continue;
		}
		if (b->ninsn && c->jit_budget < b->ninsn && c->jit_budget < (int64_t)budget)
			break; /* the block does not fit: hart_step()/hart_run() come back with a
				* fresh budget (interpreting the rest of a slice costs more) */
		if (b->ninsn == 0 || c->jit_budget < b->ninsn) {
			uint64_t ran = interp_run(h, b->ninsn ? (uint64_t)c->jit_budget : 1);

			c->jit_budget -= (int64_t)ran;
			if (!ran || c->wfi_exit)
				break;
			continue;
		}
		c->jit_dirty = 0;
		c->jit_xpage = 0;
		j->enter_budget = c->jit_budget;
		r = j->enter(h, c, b->code);
		/* Translated code counts instructions in the budget only (translate.c). */
		h->instret += (uint64_t)(j->enter_budget - c->jit_budget);
		if (!r || c->jit_dirty || !c->jit_budget)
			continue;
		/* A static exit to the same page: link it to its target, which runs next. */
		flushes = j->flushes;
		b = jit_lookup(h);
		if (!b) {
			h->instret++; /* fetching raised, as above */
			c->jit_budget--;
			continue;
		}
		if (b->ninsn && j->flushes == flushes && !c->jit_dirty) {
			if (c->jit_xpage) { /* another page: unlinked when that page changes */
				uint64_t idx = jit_page_index(h, b->pa);

				if (j->nxlinks < JIT_MAX_XLINKS && idx != UINT64_MAX &&
				    j->pages[idx] && j->pages[idx]->epoch == j->epoch) {
					j->xlinks[j->nxlinks++] =
					    (struct jit_xlink){(uint8_t *)(uintptr_t)r, idx};
					emit_patch_rel32((uint8_t *)(uintptr_t)r, b->code);
				}
			} else {
				emit_patch_rel32((uint8_t *)(uintptr_t)r, b->code);
			}
		}
		next = b;
	}
	return budget - (uint64_t)c->jit_budget;
}
