#include "machine/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
}

void bus_free(struct bus *b)
{
	free(b->r);
	b->r = NULL;
	b->n = b->cap = 0;
}

int bus_register(struct bus *b, uint64_t base, uint64_t size, const struct bus_ops *ops,
		 void *opaque, const char *name)
{
	unsigned pos = 0;

	if (!size || base + size - 1 < base || !ops)
		return -EINVAL;
	while (pos < b->n && b->r[pos].base < base)
		pos++;
	if (pos > 0 && b->r[pos - 1].base + b->r[pos - 1].size > base)
		return -EEXIST;
	if (pos < b->n && base + size > b->r[pos].base)
		return -EEXIST;
	if (b->n == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *r = realloc(b->r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		b->r = r;
		b->cap = cap;
	}
	memmove(&b->r[pos + 1], &b->r[pos], (b->n - pos) * sizeof(*b->r));
	b->r[pos] = (struct bus_range){base, size, ops, opaque, name};
	b->n++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	unsigned lo = 0, hi = b->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &b->r[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *val)
{
	const struct bus_range *r = bus_find(b, addr);

	if (!r || !r->ops->read) {
		__atomic_add_fetch(&b->unassigned, 1, __ATOMIC_RELAXED);
		*val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
		return r != NULL;
	}
	*val = r->ops->read(r->opaque, addr - r->base, size);
	return true;
}

bool bus_write(struct bus *b, uint64_t addr, unsigned size, uint64_t val)
{
	const struct bus_range *r = bus_find(b, addr);

	if (!r || !r->ops->write) {
		__atomic_add_fetch(&b->unassigned, 1, __ATOMIC_RELAXED);
		return r != NULL;
	}
	r->ops->write(r->opaque, addr - r->base, val, size);
	return true;
}
