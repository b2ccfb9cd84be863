/* Exits by device (machine/devstats.c): each access is counted on the row of the device whose
 * range it hit, accesses where no device sits are grouped per 8 ports / 4 KiB page (16 groups per
 * vCPU, then one "other" row), vCPU tables merge by name, and nothing is collected without
 * --stats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "machine/bus.h"
#include "machine/config.h"
#include "machine/devstats.h"
#include "machine/machine.h"

static uint64_t rd(void *o, uint64_t off, unsigned size)
{
	(void)o, (void)off, (void)size;
	return 0;
}

static void wr(void *o, uint64_t off, uint64_t val, unsigned size)
{
	(void)o, (void)off, (void)val, (void)size;
}

static const struct bus_ops ops = {rd, wr};

/* The row for name in the printed table, or -1. */
static long row(const char *out, const char *name)
{
	const char *p = out;

	while ((p = strstr(p, name))) {
		if ((p == out || p[-1] == '\n') && p[strlen(name)] == ' ')
			return strtol(p + strlen(name), NULL, 10);
		p++;
	}
	return -1;
}

static char *print(struct vcpu *v, unsigned n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	devstats_print(v, n, f);
	fclose(f);
	return buf;
}

static void test_rows(void **state)
{
	(void)state;
	struct vm_config cfg = {.stats = true};
	struct machine m = {.cfg = &cfg};
	struct vcpu v[2] = {{.m = &m, .id = 0}, {.m = &m, .id = 1}};
	char *out;

	bus_init(&m.pio, "pio");
	bus_init(&m.mmio, "mmio");
	assert_int_equal(bus_register(&m.pio, 0x3f8, 8, &ops, NULL, "uart16550"), 0);
	assert_int_equal(bus_register(&m.pio, 0x70, 2, &ops, NULL, "rtc-cmos"), 0);
	assert_int_equal(bus_register(&m.mmio, 0xd0000000, 0x200, &ops, NULL, "virtio-blk"), 0);
	for (int i = 0; i < 5; i++)
		devstats_add(&v[i % 2], &m.pio, true, 0x3fd, 1000);
	devstats_add(&v[1], &m.pio, true, 0x71, 1000);
	devstats_add(&v[0], &m.mmio, false, 0xd0000050, 1000);
	devstats_add(&v[0], &m.mmio, false, 0xd0000400, 1000); /* past the device: no device */
	devstats_add(&v[1], &m.pio, true, 0x2f9, 1000);
	devstats_add(&v[0], &m.pio, true, 0x2fe, 1000);
	devstats_add_named(&v[0], 0, "hypercall port", 1000);
	/* 16 more groups on vCPU 0: one still has a slot, the rest go to "other addresses" */
	for (unsigned i = 0; i < 16; i++)
		devstats_add(&v[0], &m.pio, true, 0x1000 + 8 * i, 1000);
	out = print(v, 2);
	assert_non_null(strstr(out, "exits by device"));
	assert_int_equal(row(out, "uart16550"), 5); /* merged across both vCPUs */
	assert_int_equal(row(out, "rtc-cmos"), 1);
	assert_int_equal(row(out, "virtio-blk"), 1);
	assert_int_equal(row(out, "no device: MMIO 0xd0000000"), 1);
	assert_int_equal(row(out, "no device: ports 0x2f8-0x2ff"), 2);
	assert_int_equal(row(out, "hypercall port"), 1);
	/* vCPU 0 used 2 of its 16 group slots before: 14 more named, 2 in "other" */
	assert_int_equal(row(out, "no device: ports 0x1000-0x1007"), 1);
	assert_int_equal(row(out, "no device: ports 0x1068-0x106f"), 1);
	assert_int_equal(row(out, "no device: ports 0x1070-0x1077"), -1);
	assert_int_equal(row(out, "no device: other addresses"), 2);
	assert_int_equal(row(out, "total"), 5 + 1 + 1 + 1 + 2 + 1 + 16);
	free(out);
	free(v[0].devstats);
	free(v[1].devstats);
	bus_free(&m.pio);
	bus_free(&m.mmio);
}

static void test_off_without_stats(void **state)
{
	(void)state;
	struct vm_config cfg = {.stats = false};
	struct machine m = {.cfg = &cfg};
	struct vcpu v = {.m = &m};
	char *out;

	bus_init(&m.pio, "pio");
	devstats_add(&v, &m.pio, true, 0x80, 1000);
	devstats_add_named(&v, 0, "hypercall port", 1000);
	assert_null(v.devstats);
	out = print(&v, 1);
	assert_string_equal(out, "");
	free(out);
	bus_free(&m.pio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_off_without_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
