/* Exits by device: which device model each port I/O or MMIO exit reached, with the time spent
 * in it (`gasang run --stats` prints this table under the exit reasons). Accesses that reach no
 * device are grouped by address: per block of 8 ports, or per 4 KiB page of MMIO. Each vCPU
 * owns its table (allocated on first use) and updates it without locks. */
#ifndef GASANG_MACHINE_DEVSTATS_H
#define GASANG_MACHINE_DEVSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "machine/stats.h"

struct bus;
struct vcpu;

#define DEVSTATS_UNASSIGNED 16 /* address groups named per vCPU; more go to one "other" row */

struct devstats {
	struct stats_table t;
	char names[DEVSTATS_UNASSIGNED][40];
	uint64_t keys[DEVSTATS_UNASSIGNED]; /* the group of each named slot, + 1 (0: free) */
};

/* Records an access at addr on bus b (the port I/O bus when pio) that took ns to handle. */
void devstats_add(struct vcpu *v, const struct bus *b, bool pio, uint64_t addr, uint64_t ns);
/* Records an exit handled by gasang itself, not a device on a bus (name: a static string). */
void devstats_add_named(struct vcpu *v, unsigned slot, const char *name, uint64_t ns);
/* Merges every vCPU's table and prints it; nothing when no exit reached a device. */
void devstats_print(struct vcpu *vcpus, unsigned n, FILE *f);

#endif
