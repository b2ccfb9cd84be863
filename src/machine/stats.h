/* Exit statistics: for each exit reason (a VM exit on KVM; a trap, interrupt or SBI call on
 * the software engine) the count, total handling time and a latency histogram for p99.
 * Each vCPU owns one table and updates it without locks; tables are merged for printing. */
#ifndef GASANG_MACHINE_STATS_H
#define GASANG_MACHINE_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_REASONS 96
/* Log-linear histogram: 64 powers of two, each split in 8 linear steps. */
#define STATS_BUCKETS (64 * 8)

struct stat_entry {
	const char *name; /* static string; NULL when the slot is unused */
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
	uint32_t hist[STATS_BUCKETS];
};

struct stats_table {
	struct stat_entry e[STATS_MAX_REASONS];
};

/* Records one event of reason id (a small integer chosen by the engine, < STATS_MAX_REASONS)
 * named name, which took ns nanoseconds to handle. */
void stats_add(struct stats_table *t, unsigned id, const char *name, uint64_t ns);
/* Adds every entry of src into dst, matching entries by name. */
void stats_merge(struct stats_table *dst, const struct stats_table *src);
uint64_t stats_count(const struct stats_table *t, const char *name);
/* Latency at quantile q (0..1) of an entry, in ns (bucket upper bound, so never optimistic). */
uint64_t stats_quantile(const struct stat_entry *e, double q);
/* Prints the table: reason, count, total ms, mean us, p99 us; sorted by count. */
void stats_print(const struct stats_table *t, const char *title, FILE *f);
/* The same with another name for the first column (what the rows are). */
void stats_print_by(const struct stats_table *t, const char *title, const char *what, FILE *f);

#endif
