/* The PLIC of the riscv64 virt board (SiFive PLIC 1.0.0 register layout, as QEMU's virt):
 * level-triggered sources 1..PLIC_NSRC-1 with 3-bit priorities, and two contexts per hart
 * (2*hart = M-mode, 2*hart+1 = S-mode) each with enable bits, a threshold and a claim/complete
 * register. A context's output is "some source is pending, enabled, not claimed and above the
 * threshold"; it drives mip.MEIP / mip.SEIP through the out() callback. */
#ifndef GASANG_ACCEL_EMU_PLIC_H
#define GASANG_ACCEL_EMU_PLIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "machine/bus.h"

#define PLIC_BASE     0x0c000000ULL
#define PLIC_NSRC     64 /* source 0 is reserved; riscv,ndev = PLIC_NSRC - 1 */
#define PLIC_MAX_CTX  (2 * 256)
#define PLIC_PRIO_MAX 7
#define PLIC_WORDS    (PLIC_NSRC / 32)

#define PLIC_PENDING_OFF   0x1000
#define PLIC_ENABLE_OFF	   0x2000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CTX_OFF	   0x200000
#define PLIC_CTX_STRIDE	   0x1000

/* Size of the register window for nctx contexts. */
#define PLIC_SIZE(nctx) (PLIC_CTX_OFF + (uint64_t)(nctx)*PLIC_CTX_STRIDE)

/* Drives the interrupt output of context ctx (called with the PLIC lock held; must not call
 * back into the PLIC). */
typedef void (*plic_out_fn)(void *opaque, unsigned ctx, bool level);

struct plic {
	pthread_mutex_t lock;
	unsigned nctx;
	uint32_t prio[PLIC_NSRC];
	uint32_t level[PLIC_WORDS];   /* input line levels */
	uint32_t pending[PLIC_WORDS]; /* gateway pending bits */
	uint32_t claimed[PLIC_WORDS]; /* claimed, not yet completed */
	uint32_t enable[PLIC_MAX_CTX][PLIC_WORDS];
	uint32_t threshold[PLIC_MAX_CTX];
	bool out[PLIC_MAX_CTX];
	plic_out_fn out_fn;
	void *out_opaque;
	uint64_t claims, spurious;
};

extern const struct bus_ops plic_ops;

/* nharts harts => 2*nharts contexts. Returns 0 or -EINVAL when nharts is 0 or too large. */
int plic_init(struct plic *p, unsigned nharts, plic_out_fn out, void *opaque);
void plic_free(struct plic *p);
/* Sets the level of source line (1..PLIC_NSRC-1); other lines are ignored. Any thread. */
void plic_set_irq(struct plic *p, unsigned line, bool level);
/* Same, with the signature of machine.irq_set (opaque is the struct plic). */
void plic_irq_set(void *opaque, unsigned line, bool level);

#endif
