/* The binary translator's private interface: translated blocks, the per-hart code cache,
 * the dispatcher (jit.c) and the RISC-V -> x86-64 block translator (translate.c). */
#ifndef GASANG_ACCEL_EMU_JIT_JIT_H
#define GASANG_ACCEL_EMU_JIT_JIT_H

#include "accel/emu/core.h"
#include "accel/emu/jit/emit.h"

#define JIT_CACHE_SIZE (32ULL << 20) /* bytes of host code per hart */
#define JIT_MAX_BLOCKS (1U << 16)
#define JIT_HASH_BITS  16
#define JIT_HASH_SIZE  (1U << JIT_HASH_BITS)
#define JIT_HOT	       32	   /* entries before a block is translated (GASANG_JIT_HOT) */
#define JIT_LC_SIZE    (1U << 15)  /* per-hart lookup cache entries */
#define JIT_MAX_INSNS  64	   /* guest instructions per block */
#define JIT_BLOCK_ROOM (24U << 10) /* code bytes a block may need at most */
#define JIT_MAX_XLINKS 4096	   /* chained jumps to other pages (process VM) */

/* One translated guest basic block. Key: (guest virtual pc, physical address of pc). The
 * code does not depend on the privilege level or the page tables: loads and stores go
 * through the soft TLB (which is flushed on every change), and every instruction whose
 * behaviour depends on privilege or CSRs is left to the interpreter. */
struct jit_block {
	uint64_t vpc, pa;
	uint8_t *code;
	struct jit_block *hnext; /* hash chain */
	struct jit_block *pnext; /* blocks on the same physical page */
	uint32_t ninsn;		 /* 0: the first instruction is run by the interpreter */
	uint32_t hits;		 /* entries while cold */
	bool valid;
	bool cold; /* not translated yet: interpreted until entered JIT_HOT times */
};

/* Lookup cache entry (32 bytes: indexed by << 5 in translated code). */
/* A RAM page with translations: its blocks, and a copy of its bytes when they were translated,
 * checked after FENCE.I-like requests (a later epoch) before its blocks run again. */
struct jit_page {
	struct jit_block *head;
	uint64_t epoch;
	uint8_t bytes[PG_SIZE];
};

/* Valid while the fetch TLB maps vpc's page with this addend (checked on every hit). */
struct jit_lc_entry {
	uint64_t vpc;
	uintptr_t addend;
	struct jit_block *b;
	const uint8_t *code;
};

struct jit {
	uint8_t *cache, *cache_top, *cache_end;
	/* uint64_t enter(struct hart *h, struct core *c, void *code): runs translated code
	 * until it jumps to exit. Returns 0, or the address of a chainable jump's rel32. */
	uint64_t (*enter)(struct hart *h, struct core *c, const void *code);
	uint8_t *exit;
	/* Jumped to with rax = h->pc = the next guest pc: probes the lookup cache and jumps to
	 * the block, else exits to the dispatcher. */
	uint8_t *exit_lookup;
	struct jit_block *blocks;
	unsigned nblocks;
	struct jit_block *hash[JIT_HASH_SIZE];
	/* Per page of guest RAM: NULL, or its translations (the "has code" map). */
	struct jit_page **pages;
	uint64_t npages, page_map_bytes;
	uint64_t *marked; /* indexes of pages with code, to clear them on a flush */
	unsigned nmarked;
	struct jit_lc_entry lc[JIT_LC_SIZE];
	struct jit_block interp_block; /* ninsn 0: run by the interpreter */
	uint64_t epoch;	      /* bumped by jit_request_flush(): pages must be checked again */
	uint8_t *cold_code;   /* code of cold blocks: back to the dispatcher */
	unsigned hot;	      /* entries before translation (1: at once) */
	bool smp;	      /* other harts run: FENCE may need a host barrier */
	int64_t enter_budget; /* jit_budget when translated code was entered (instret) */
	uint64_t flushes, translations, invalidations;
	uint64_t cold_runs;		 /* blocks run by the interpreter while cold */
	uint64_t lc_misses;		 /* dispatcher lookups that missed the lookup cache */
	uint64_t translate_ns, start_ns; /* time spent translating; jit_init() time */
	bool debug;			 /* GASANG_JIT_DEBUG: log translations and flushes */
	bool stats; /* GASANG_JIT_STATS: print a summary when the hart is freed */
	/* Chained jumps to another page (the process VM only: its fetches are untranslated,
	 * so a virtual page is its physical page for good): the rel32 field and the target's
	 * page. Unlinked when that page is dropped, on every flush request (epoch) and on a
	 * full flush, so every entry into a page that may have changed goes through a lookup. */
	struct jit_xlink {
		uint8_t *field;
		uint64_t idx;
	} xlinks[JIT_MAX_XLINKS];
	unsigned nxlinks;
};

/* jit.c */
int jit_init(struct hart *h);
void jit_free(struct hart *h);
uint64_t jit_run(struct hart *h, uint64_t budget);
/* Index of the RAM page holding pa in page_head, or UINT64_MAX. */
uint64_t jit_page_index(const struct hart *h, uint64_t pa);
/* The lookup-cache probe (rax = guest pc, stored in h->pc): jumps to the block on a hit, falls
 * through on a miss; clobbers rcx, rdx, rsi. In exit_lookup, and inlined at indirect exits so
 * that each has its own indirect jump (and branch prediction). */
void jit_emit_probe(struct emit *e);
/* translate_fp.c: accrues MXCSR's sticky flags into fflags (rbx = hart; a, b: scratch) and
 * clears them, when any is set; clears them (no register used). [rsp] is scratch. */
void translate_fp_emit_fold(struct emit *e, int a, int b);
void translate_fp_emit_clear(struct emit *e);

/* translate.c: translates the block at (vpc, pa) from host bytes at code (the start of the
 * guest page, host mapping). Returns the number of guest instructions translated. */
unsigned jit_translate(struct hart *h, struct jit_block *b, const uint8_t *page);

#endif
