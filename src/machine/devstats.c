#include "machine/devstats.h"

#include <stdlib.h>

#include "machine/bus.h"
#include "machine/machine.h"

/* Row ids: devices on the port bus, devices on the MMIO bus, exits of gasang's own, the named
 * address groups, then the catch-alls. */
#define ID_PIO	     0u
#define ID_MMIO	     36u
#define ID_OWN	     72u
#define N_OWN	     4u
#define ID_GROUP     (ID_OWN + N_OWN)
#define ID_OTHER_DEV (ID_GROUP + DEVSTATS_UNASSIGNED)
#define ID_OTHER     (ID_OTHER_DEV + 1)
_Static_assert(ID_OTHER < STATS_MAX_REASONS, "devstats ids");

static struct devstats *table(struct vcpu *v)
{
	if (!v->m->cfg || !v->m->cfg->stats)
		return NULL; /* only for --stats */
	if (!v->devstats)
		v->devstats = calloc(1, sizeof(*v->devstats)); /* untouched pages stay free */
	return v->devstats;
}

static unsigned group_id(struct devstats *d, bool pio, uint64_t addr)
{
	uint64_t g = pio ? addr & ~7ull : addr & ~0xfffull;
	uint64_t key = (g << 1 | pio) + 1;

	for (unsigned i = 0; i < DEVSTATS_UNASSIGNED; i++) {
		if (d->keys[i] == key)
			return ID_GROUP + i;
		if (!d->keys[i]) {
			d->keys[i] = key;
			if (pio)
				snprintf(d->names[i], sizeof(d->names[i]), "no device: ports %#x-%#x",
					 (unsigned)(g & 0xffff), (unsigned)(g & 0xffff) + 7);
			else
				snprintf(d->names[i], sizeof(d->names[i]), "no device: MMIO %#llx",
					 (unsigned long long)g);
			return ID_GROUP + i;
		}
	}
	return ID_OTHER;
}

void devstats_add(struct vcpu *v, const struct bus *b, bool pio, uint64_t addr, uint64_t ns)
{
	struct devstats *d = table(v);
	const struct bus_range *r;
	unsigned id, idx;

	if (!d)
		return;
	r = bus_find(b, addr);
	if (!r) {
		id = group_id(d, pio, addr);
		stats_add(&d->t, id,
			  id == ID_OTHER ? "no device: other addresses" : d->names[id - ID_GROUP],
			  ns);
		return;
	}
	idx = (unsigned)(r - b->r);
	id = idx < ID_MMIO - ID_PIO ? (pio ? ID_PIO : ID_MMIO) + idx : ID_OTHER_DEV;
	stats_add(&d->t, id, id == ID_OTHER_DEV ? "other devices" : r->name, ns);
}

void devstats_add_named(struct vcpu *v, unsigned slot, const char *name, uint64_t ns)
{
	struct devstats *d = table(v);

	if (d && slot < N_OWN)
		stats_add(&d->t, ID_OWN + slot, name, ns);
}

void devstats_print(struct vcpu *vcpus, unsigned n, FILE *f)
{
	struct stats_table *all = NULL;

	for (unsigned i = 0; i < n; i++) {
		if (!vcpus[i].devstats)
			continue;
		if (!all)
			all = calloc(1, sizeof(*all));
		if (!all)
			return;
		stats_merge(all, &vcpus[i].devstats->t);
	}
	if (all)
		stats_print_by(all, "exits by device (time in gasang's device model)", "device", f);
	free(all);
}
