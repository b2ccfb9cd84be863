#include "machine/stats.h"

#include <stdlib.h>
#include <string.h>

static unsigned bucket_of(uint64_t ns)
{
	unsigned lg, sub;

	if (ns < 8)
		return (unsigned)ns;
	lg = 63 - (unsigned)__builtin_clzll(ns);
	sub = (unsigned)(ns >> (lg - 3)) & 7;
	return (lg - 2) * 8 + sub;
}

/* Largest value that falls in bucket b. */
static uint64_t bucket_upper(unsigned b)
{
	unsigned lg, sub;

	if (b < 8)
		return b;
	lg = b / 8 + 2;
	sub = b % 8;
	if (lg >= 63)
		return UINT64_MAX;
	return ((8ULL + sub + 1) << (lg - 3)) - 1;
}

void stats_add(struct stats_table *t, unsigned id, const char *name, uint64_t ns)
{
	struct stat_entry *e;

	if (id >= STATS_MAX_REASONS)
		id = STATS_MAX_REASONS - 1;
	e = &t->e[id];
	e->name = name;
	e->count++;
	e->total_ns += ns;
	if (ns > e->max_ns)
		e->max_ns = ns;
	e->hist[bucket_of(ns)]++;
}

static struct stat_entry *find_or_add(struct stats_table *t, const char *name)
{
	for (unsigned i = 0; i < STATS_MAX_REASONS; i++) {
		if (t->e[i].name && strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	}
	for (unsigned i = 0; i < STATS_MAX_REASONS; i++) {
		if (!t->e[i].name) {
			t->e[i].name = name;
			return &t->e[i];
		}
	}
	return NULL;
}

void stats_merge(struct stats_table *dst, const struct stats_table *src)
{
	for (unsigned i = 0; i < STATS_MAX_REASONS; i++) {
		const struct stat_entry *s = &src->e[i];
		struct stat_entry *d;

		if (!s->name || !s->count)
			continue;
		d = find_or_add(dst, s->name);
		if (!d)
			continue;
		d->count += s->count;
		d->total_ns += s->total_ns;
		if (s->max_ns > d->max_ns)
			d->max_ns = s->max_ns;
		for (unsigned b = 0; b < STATS_BUCKETS; b++)
			d->hist[b] += s->hist[b];
	}
}

uint64_t stats_count(const struct stats_table *t, const char *name)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < STATS_MAX_REASONS; i++) {
		if (t->e[i].name && strcmp(t->e[i].name, name) == 0)
			n += t->e[i].count;
	}
	return n;
}

uint64_t stats_quantile(const struct stat_entry *e, double q)
{
	uint64_t want, seen = 0;

	if (!e->count)
		return 0;
	want = (uint64_t)(q * (double)e->count + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < STATS_BUCKETS; b++) {
		seen += e->hist[b];
		if (seen >= want) {
			uint64_t u = bucket_upper(b);
			return u < e->max_ns ? u : e->max_ns;
		}
	}
	return e->max_ns;
}

static int cmp_count(const void *a, const void *b)
{
	const struct stat_entry *x = *(const struct stat_entry *const *)a;
	const struct stat_entry *y = *(const struct stat_entry *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

void stats_print(const struct stats_table *t, const char *title, FILE *f)
{
	stats_print_by(t, title, "reason", f);
}

void stats_print_by(const struct stats_table *t, const char *title, const char *what, FILE *f)
{
	const struct stat_entry *rows[STATS_MAX_REASONS];
	unsigned n = 0;
	uint64_t total = 0, total_ns = 0;

	for (unsigned i = 0; i < STATS_MAX_REASONS; i++) {
		if (t->e[i].name && t->e[i].count)
			rows[n++] = &t->e[i];
	}
	qsort(rows, n, sizeof(rows[0]), cmp_count);
	fprintf(f, "%s\n", title);
	fprintf(f, "%-32s %12s %12s %10s %10s\n", what, "count", "total_ms", "mean_us", "p99_us");
	for (unsigned i = 0; i < n; i++) {
		const struct stat_entry *e = rows[i];
		fprintf(f, "%-32s %12llu %12.3f %10.3f %10.3f\n", e->name,
			(unsigned long long)e->count, (double)e->total_ns / 1e6,
			(double)e->total_ns / (double)e->count / 1e3,
			(double)stats_quantile(e, 0.99) / 1e3);
		total += e->count;
		total_ns += e->total_ns;
	}
	fprintf(f, "%-32s %12llu %12.3f\n", "total", (unsigned long long)total,
		(double)total_ns / 1e6);
}
