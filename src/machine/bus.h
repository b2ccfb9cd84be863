/* A bus dispatches guest accesses (MMIO or x86 port I/O) to the device that registered the
 * address range. Ranges are registered before the vCPUs start and never change while they run,
 * so lookups take no lock; devices lock their own state where several vCPUs may reach them. */
#ifndef GASANG_MACHINE_BUS_H
#define GASANG_MACHINE_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	/* off is relative to the range's base; size is 1, 2, 4 or 8. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned size);
};

struct bus_range {
	uint64_t base;
	uint64_t size;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	struct bus_range *r; /* sorted by base, non-overlapping */
	unsigned n, cap;
	const char *name;
	/* Accesses that hit no device: counted, reads return all ones. */
	uint64_t unassigned;
};

void bus_init(struct bus *b, const char *name);
void bus_free(struct bus *b);
/* Returns 0, -EINVAL for an empty or wrapping range, -EEXIST when it overlaps another. */
int bus_register(struct bus *b, uint64_t base, uint64_t size, const struct bus_ops *ops,
		 void *opaque, const char *name);
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);
/* Dispatch. Return true when a device claimed the access. */
bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *val);
bool bus_write(struct bus *b, uint64_t addr, unsigned size, uint64_t val);

#endif
