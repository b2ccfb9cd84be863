/* Private state and helpers shared by the CPU core's files (decode, interp, mmu, csr, trap).
 * Not part of the contract in cpu.h. */
#ifndef GASANG_ACCEL_EMU_CORE_H
#define GASANG_ACCEL_EMU_CORE_H

#include <string.h>

#include "accel/emu/cpu.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define PG_SHIFT 12
#define PG_SIZE	 4096ULL
#define PG_MASK	 (PG_SIZE - 1)

#define TLB_BITS    10
#define TLB_SIZE    (1U << TLB_BITS)
#define TLB_INVALID UINT64_MAX

/* mstatus bits */
#define MS_SIE	     (1ULL << 1)
#define MS_MIE	     (1ULL << 3)
#define MS_SPIE	     (1ULL << 5)
#define MS_MPIE	     (1ULL << 7)
#define MS_SPP	     (1ULL << 8)
#define MS_MPP_SHIFT 11
#define MS_MPP	     (3ULL << 11)
#define MS_FS_SHIFT  13
#define MS_FS	     (3ULL << 13)
#define MS_MPRV	     (1ULL << 17)
#define MS_SUM	     (1ULL << 18)
#define MS_MXR	     (1ULL << 19)
#define MS_TVM	     (1ULL << 20)
#define MS_TW	     (1ULL << 21)
#define MS_TSR	     (1ULL << 22)
#define MS_UXL	     (3ULL << 32)
#define MS_SXL	     (3ULL << 34)
#define MS_SD	     (1ULL << 63)

#define MENVCFG_STCE (1ULL << 63)
#define MENVCFG_FIOM 1ULL

#define SATP_MODE_SHIFT 60
#define SATP_PPN_MASK	((1ULL << 44) - 1)

enum rv_access { ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2 };

/* One software TLB entry: tag is the guest virtual page address (TLB_INVALID when empty),
 * host = guest va + addend. Only pages entirely inside guest RAM get entries. */
struct tlb_entry {
	uint64_t tag;
	uintptr_t addend;
};

struct core {
	struct tlb_entry tlb[3][TLB_SIZE]; /* indexed by enum rv_access */
	/* Instruction-fetch window: the guest page at fetch_page (TLB_INVALID when none) is at
	 * host address fetch_host. */
	uint64_t fetch_page;
	uint8_t *fetch_host;
	/* Translation context in TLB tags (bits 3..6): entries filled under one privilege /
	 * SUM / MXR state never hit under another, so switching back and forth needs no flush.
	 * dctx for loads and stores, ictx for fetches. */
	uint64_t dctx, ictx;
	uint64_t lr_val; /* value LR read: SC compares-and-swaps against it */
	/* Virtual addresses [super_lo, super_hi] cover every superpage a TLB entry was filled
	 * from since the last full flush: SFENCE.VMA of an address in there flushes everything
	 * (the superpage's other 4 KiB entries), elsewhere only the address's page. walk_level
	 * is the level of the last walk's leaf (0: 4 KiB page). */
	uint64_t super_lo, super_hi;
	unsigned walk_level;
	int recheck;  /* an interrupt may have become deliverable: leave the inner loop */
	int wfi_exit; /* the inner loop stopped after a WFI */
	/* The interpreter stops after the next control transfer, trap or page crossing (the
	 * translator runs cold blocks this way, one at a time). */
	int block_stop;
	/* Reset into S-mode with a host SBI: the host plays M-mode firmware, and its SBI timer
	 * drives STIP through stimecmp. */
	bool host_fw;
	/* Binary translator (jit/): NULL when the interpreter runs alone. */
	struct jit *jit;
	int64_t jit_budget;   /* instructions left in this jit_run() */
	int jit_dirty;	      /* a store hit translated code, or a flush was requested */
	void *jit_lc;	      /* the jit's lookup cache, for translated code */
	uint64_t jit_lc_salt; /* generation << 48, xor-ed into lookup-cache keys (jit.c) */
	int64_t jit_xpage;    /* the chainable exit just taken leads to another page */
	/* Loads with platform flat_loads (jit/translate_mem.c): va - jit_flat_lo <= jit_flat_span
	 * addresses jit_flat_hva + (va - jit_flat_lo) (RAM region 0, less 8 bytes at its end). */
	uint64_t jit_flat_lo, jit_flat_span;
	uint8_t *jit_flat_hva;
};

static inline struct core *core_of(const struct hart *h)
{
	return h->core;
}

static inline uint64_t sext32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

/* mmu.c */
bool mmu_load_slow(struct hart *h, uint64_t va, unsigned size, uint64_t *val);
bool mmu_store_slow(struct hart *h, uint64_t va, unsigned size, uint64_t val);
/* Reads the instruction at pc (refilling the fetch window). False after raising. */
bool mmu_fetch(struct hart *h, uint64_t pc, uint32_t *insn);
/* Host pointer for an atomic access of size bytes at va (naturally aligned, RAM only), with
 * store permission when write. NULL after raising. */
void *mmu_atomic_ptr(struct hart *h, uint64_t va, unsigned size, bool write, uint64_t *pa);
/* SFENCE.VMA with an address: drops the TLB entries that hold the translation of va. */
void mmu_flush_page(struct hart *h, uint64_t va);
/* Recomputes the TLB contexts after a change of privilege or of mstatus MPRV/MPP/SUM/MXR,
 * and drops the fetch window. */
void mmu_ctx_update(struct hart *h);

/* decode.c: the 32-bit equivalent of a 16-bit instruction, 0 when it is illegal;
 * rvc_table[c] caches it for every c once rvc_init() ran (hart_init() calls it). */
uint32_t rvc_expand(uint16_t c);
extern uint32_t rvc_table[1 << 16] __attribute__((visibility("hidden")));
void rvc_init(void);

/* csr.c: executes a Zicsr instruction (funct3 != 0 of SYSTEM). False after raising. */
bool csr_exec(struct hart *h, uint32_t insn);
/* Effective value of mip including the timer bits (for reads). */
uint64_t csr_mip(const struct hart *h);

/* amo.c: executes an A-extension instruction (opcode 0x2f). False after raising. */
bool amo_exec(struct hart *h, uint32_t insn);

/* trap.c */
void trap_take(struct hart *h, uint64_t cause, bool irq, uint64_t tval);
/* Recomputes MTIP/STIP from the timers. */
void trap_update_timers(struct hart *h);
/* Takes the highest-priority enabled pending interrupt, if any. Returns true when taken. */
bool trap_check_irq(struct hart *h);
bool trap_mret(struct hart *h);
bool trap_sret(struct hart *h);
/* Executes WFI (privilege already checked): sleeps until an interrupt is pending in
 * mip & mie, a timer fires, a kick or a stop. */
void trap_wfi(struct hart *h);
/* Changes privilege level, flushing what depends on it. */
void trap_set_priv(struct hart *h, unsigned prv);

static inline bool stip_follows_timer(const struct hart *h)
{
	return (h->menvcfg & MENVCFG_STCE) || core_of(h)->host_fw;
}

/* interp.c */
uint64_t interp_run(struct hart *h, uint64_t budget);

/* jit/jit.c: the translator's entry points for the rest of the core. */
int jit_init(struct hart *h);
void jit_free(struct hart *h);
uint64_t jit_run(struct hart *h, uint64_t budget);
/* A store to guest RAM at pa (slow path): drops translations of that page. */
void jit_note_store(struct hart *h, uint64_t pa);
/* Drops all translations before the next block runs (FENCE.I, remote fences). */
void jit_request_flush(struct hart *h);

/* Runs up to budget instructions with the translator when enabled, else the interpreter. */
static inline uint64_t core_exec(struct hart *h, uint64_t budget)
{
	return core_of(h)->jit ? jit_run(h, budget) : interp_run(h, budget);
}

/* Fast paths: TLB hit for naturally aligned accesses, else the slow path. */
static inline bool core_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	struct tlb_entry *e = &core_of(h)->tlb[ACC_LOAD][(va >> PG_SHIFT) & (TLB_SIZE - 1)];

	if (likely(e->tag == ((va & ~(PG_MASK & ~(uint64_t)(size - 1))) | core_of(h)->dctx))) {
		void *p = (void *)(uintptr_t)(va + e->addend);

		switch (size) {
		case 1:
			*val = __atomic_load_n((uint8_t *)p, __ATOMIC_RELAXED);
			break;
		case 2:
			*val = __atomic_load_n((uint16_t *)p, __ATOMIC_RELAXED);
			break;
		case 4:
			*val = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
			break;
		default:
			*val = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
			break;
		}
		return true;
	}
	return mmu_load_slow(h, va, size, val);
}

static inline bool core_store(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	struct tlb_entry *e = &core_of(h)->tlb[ACC_STORE][(va >> PG_SHIFT) & (TLB_SIZE - 1)];

	if (likely(e->tag == ((va & ~(PG_MASK & ~(uint64_t)(size - 1))) | core_of(h)->dctx))) {
		void *p = (void *)(uintptr_t)(va + e->addend);

		switch (size) {
		case 1:
			__atomic_store_n((uint8_t *)p, (uint8_t)val, __ATOMIC_RELAXED);
			break;
		case 2:
			__atomic_store_n((uint16_t *)p, (uint16_t)val, __ATOMIC_RELAXED);
			break;
		case 4:
			__atomic_store_n((uint32_t *)p, (uint32_t)val, __ATOMIC_RELAXED);
			break;
		default:
			__atomic_store_n((uint64_t *)p, val, __ATOMIC_RELAXED);
			break;
		}
		return true;
	}
	return mmu_store_slow(h, va, size, val);
}

#endif
