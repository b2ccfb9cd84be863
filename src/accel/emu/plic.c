#include "accel/emu/plic.h"

#include <errno.h>
#include <string.h>

static bool bit(const uint32_t *v, unsigned n)
{
	return (v[n / 32] >> (n % 32)) & 1;
}

static void set_bit(uint32_t *v, unsigned n, bool on)
{
	if (on)
		v[n / 32] |= 1u << (n % 32);
	else
		v[n / 32] &= ~(1u << (n % 32));
}

/* Highest-priority source that context ctx may take now (ties go to the lowest id), or 0. */
static unsigned best_source(const struct plic *p, unsigned ctx)
{
	unsigned best = 0;
	uint32_t best_prio = p->threshold[ctx];

	for (unsigned w = 0; w < PLIC_WORDS; w++) {
		uint32_t cand = p->pending[w] & p->enable[ctx][w] & ~p->claimed[w];

		while (cand) {
			unsigned s = w * 32 + (unsigned)__builtin_ctz(cand);

			cand &= cand - 1;
			if (p->prio[s] > best_prio) {
				best_prio = p->prio[s];
				best = s;
			}
		}
	}
	return best;
}

static void update(struct plic *p)
{
	for (unsigned c = 0; c < p->nctx; c++) {
		bool level = best_source(p, c) != 0;

		if (level != p->out[c]) {
			p->out[c] = level;
			if (p->out_fn)
				p->out_fn(p->out_opaque, c, level);
		}
	}
}

void plic_set_irq(struct plic *p, unsigned line, bool level)
{
	if (line == 0 || line >= PLIC_NSRC)
		return;
	pthread_mutex_lock(&p->lock);
	set_bit(p->level, line, level);
	/* Level-triggered gateway: pending follows the line while the source is not claimed. */
	if (!bit(p->claimed, line))
		set_bit(p->pending, line, level);
	update(p);
	pthread_mutex_unlock(&p->lock);
}

void plic_irq_set(void *opaque, unsigned line, bool level)
{
	plic_set_irq(opaque, line, level);
}

static uint32_t claim(struct plic *p, unsigned ctx)
{
	unsigned s = best_source(p, ctx);

	if (!s) {
		p->spurious++;
		return 0;
	}
	set_bit(p->pending, s, false);
	set_bit(p->claimed, s, true);
	p->claims++;
	update(p);
	return s;
}

static void complete(struct plic *p, unsigned ctx, uint32_t s)
{
	/* Completion of a source not enabled for this context is ignored (PLIC spec). */
	if (s == 0 || s >= PLIC_NSRC || !bit(p->enable[ctx], s) || !bit(p->claimed, s))
		return;
	set_bit(p->claimed, s, false);
	if (bit(p->level, s))
		set_bit(p->pending, s, true);
	update(p);
}

static uint64_t plic_read(void *opaque, uint64_t off, unsigned size)
{
	struct plic *p = opaque;
	uint32_t v = 0;

	if (size != 4 || (off & 3))
		return 0;
	pthread_mutex_lock(&p->lock);
	if (off < PLIC_NSRC * 4) {
		v = p->prio[off / 4];
	} else if (off >= PLIC_PENDING_OFF && off < PLIC_PENDING_OFF + PLIC_WORDS * 4) {
		v = p->pending[(off - PLIC_PENDING_OFF) / 4];
	} else if (off >= PLIC_ENABLE_OFF && off < PLIC_ENABLE_OFF + p->nctx * PLIC_ENABLE_STRIDE) {
		uint64_t r = off - PLIC_ENABLE_OFF;
		unsigned w = (unsigned)(r % PLIC_ENABLE_STRIDE) / 4;

		if (w < PLIC_WORDS)
			v = p->enable[r / PLIC_ENABLE_STRIDE][w];
	} else if (off >= PLIC_CTX_OFF && off < PLIC_SIZE(p->nctx)) {
		uint64_t r = off - PLIC_CTX_OFF;
		unsigned ctx = (unsigned)(r / PLIC_CTX_STRIDE);

		if (r % PLIC_CTX_STRIDE == 0)
			v = p->threshold[ctx];
		else if (r % PLIC_CTX_STRIDE == 4)
			v = claim(p, ctx);
	}
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void plic_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct plic *p = opaque;
	uint32_t v = (uint32_t)val;

	if (size != 4 || (off & 3))
		return;
	pthread_mutex_lock(&p->lock);
	if (off < PLIC_NSRC * 4) {
		if (off)
			p->prio[off / 4] = v & PLIC_PRIO_MAX;
	} else if (off >= PLIC_ENABLE_OFF && off < PLIC_ENABLE_OFF + p->nctx * PLIC_ENABLE_STRIDE) {
		uint64_t r = off - PLIC_ENABLE_OFF;
		unsigned w = (unsigned)(r % PLIC_ENABLE_STRIDE) / 4;

		if (w < PLIC_WORDS)
			p->enable[r / PLIC_ENABLE_STRIDE][w] = w ? v : v & ~1u; /* source 0 */
	} else if (off >= PLIC_CTX_OFF && off < PLIC_SIZE(p->nctx)) {
		uint64_t r = off - PLIC_CTX_OFF;
		unsigned ctx = (unsigned)(r / PLIC_CTX_STRIDE);

		if (r % PLIC_CTX_STRIDE == 0)
			p->threshold[ctx] = v & PLIC_PRIO_MAX;
		else if (r % PLIC_CTX_STRIDE == 4)
			complete(p, ctx, v);
	}
	/* Pending bits are read-only. */
	update(p);
	pthread_mutex_unlock(&p->lock);
}

const struct bus_ops plic_ops = {.read = plic_read, .write = plic_write};

int plic_init(struct plic *p, unsigned nharts, plic_out_fn out, void *opaque)
{
	if (nharts == 0 || 2 * nharts > PLIC_MAX_CTX)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->nctx = 2 * nharts;
	p->out_fn = out;
	p->out_opaque = opaque;
	return 0;
}

void plic_free(struct plic *p)
{
	pthread_mutex_destroy(&p->lock);
}
