/* The riscv64 device tree (boot/fdt.c), decoded back with libfdt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "boot/fdt.h"

static const struct fdt_riscv base_cfg = {
    .ram_base = 0x80000000,
    .ram_size = 256 << 20,
    .nharts = 2,
    .isa = "rv64imafdc_zicsr_zifencei",
    .mmu_type = "riscv,sv48",
    .timebase_hz = 10000000,
    .bootargs = "console=ttyS0 gasang.run=\"echo hi\"",
    .initrd_start = 0x8f000000,
    .initrd_end = 0x8f100000,
    .clint_base = 0x2000000,
    .clint_size = 0x10000,
    .plic_base = 0xc000000,
    .plic_size = 0x204000,
    .plic_ndev = 63,
    .uart_base = 0x10000000,
    .uart_size = 0x100,
    .uart_irq = 10,
    .uart_clock_hz = 3686400,
    .rtc_base = 0x101000,
    .rtc_irq = 11,
};

static void *build(const struct fdt_riscv *c)
{
	void *fdt = calloc(1, FDT_MAX_SIZE);

	assert_int_equal(fdt_riscv_build(c, fdt, FDT_MAX_SIZE), 0);
	assert_int_equal(fdt_check_header(fdt), 0);
	return fdt;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	const void *p;

	assert_true(node >= 0);
	p = fdt_getprop(fdt, node, name, len);
	assert_non_null(p);
	return p;
}

static uint32_t prop_u32(const void *fdt, const char *path, const char *name)
{
	int len;
	const fdt32_t *p = prop(fdt, path, name, &len);

	assert_int_equal(len, 4);
	return fdt32_to_cpu(*p);
}

/* Cell i of a 64-bit property (properties are only 4-byte aligned). */
static uint64_t cell64(const void *p, int i)
{
	fdt64_t v;

	memcpy(&v, (const char *)p + 8 * i, 8);
	return fdt64_to_cpu(v);
}

static uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
	int len;
	const void *p = prop(fdt, path, name, &len);

	assert_int_equal(len, 8);
	return cell64(p, 0);
}

static void test_memory_and_chosen(void **state)
{
	void *fdt = build(&base_cfg);
	const void *reg;
	const char *s;
	int len, node;
	(void)state;

	reg = prop(fdt, "/memory@80000000", "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(cell64(reg, 0), 0x80000000);
	assert_int_equal(cell64(reg, 1), 256 << 20);
	assert_string_equal(prop(fdt, "/memory@80000000", "device_type", &len), "memory");
	assert_string_equal(prop(fdt, "/chosen", "bootargs", &len), base_cfg.bootargs);
	assert_int_equal(prop_u64(fdt, "/chosen", "linux,initrd-start"), 0x8f000000);
	assert_int_equal(prop_u64(fdt, "/chosen", "linux,initrd-end"), 0x8f100000);
	/* stdout-path names the UART node. */
	s = prop(fdt, "/chosen", "stdout-path", &len);
	node = fdt_path_offset(fdt, s);
	assert_true(node >= 0);
	assert_int_equal(fdt_node_check_compatible(fdt, node, "ns16550a"), 0);
	assert_int_equal(prop_u32(fdt, s, "interrupts"), 10);
	assert_int_equal(prop_u32(fdt, s, "clock-frequency"), 3686400);
	assert_int_equal(prop_u32(fdt, "/", "#address-cells"), 2);
	free(fdt);
}

static void test_cpus(void **state)
{
	void *fdt = build(&base_cfg);
	int len, cpus, n = 0, node;
	(void)state;

	assert_int_equal(prop_u32(fdt, "/cpus", "timebase-frequency"), 10000000);
	cpus = fdt_path_offset(fdt, "/cpus");
	fdt_for_each_subnode(node, fdt, cpus)
	{
		char path[64];

		snprintf(path, sizeof(path), "/cpus/cpu@%d", n);
		assert_int_equal(node, fdt_path_offset(fdt, path)); /* in order, cpu@0 first */
		assert_int_equal(prop_u32(fdt, path, "reg"), n);
		assert_string_equal(prop(fdt, path, "riscv,isa", &len), base_cfg.isa);
		assert_string_equal(prop(fdt, path, "mmu-type", &len), "riscv,sv48");
		assert_string_equal(prop(fdt, path, "device_type", &len), "cpu");
		strcat(path, "/interrupt-controller");
		assert_string_equal(prop(fdt, path, "compatible", &len), "riscv,cpu-intc");
		assert_int_equal(prop_u32(fdt, path, "#interrupt-cells"), 1);
		assert_int_equal(fdt_get_phandle(fdt, fdt_path_offset(fdt, path)) != 0, 1);
		n++;
	}
	assert_int_equal(n, 2);
	free(fdt);
}

/* interrupts-extended entries point at each hart's intc with the right irq numbers. */
static void check_irqs_ext(const void *fdt, const char *path, uint32_t a, uint32_t b)
{
	int len;
	const fdt32_t *c = prop(fdt, path, "interrupts-extended", &len);

	assert_int_equal(len, 2 * 16);
	for (int h = 0; h < 2; h++) {
		char ipath[64];
		int intc;

		snprintf(ipath, sizeof(ipath), "/cpus/cpu@%d/interrupt-controller", h);
		intc = fdt_path_offset(fdt, ipath);
		assert_int_equal(fdt32_to_cpu(c[4 * h]), fdt_get_phandle(fdt, intc));
		assert_int_equal(fdt32_to_cpu(c[4 * h + 1]), a);
		assert_int_equal(fdt32_to_cpu(c[4 * h + 2]), fdt_get_phandle(fdt, intc));
		assert_int_equal(fdt32_to_cpu(c[4 * h + 3]), b);
	}
}

static void test_soc(void **state)
{
	void *fdt = build(&base_cfg);
	int plic, uart, len;
	(void)state;

	plic = fdt_path_offset(fdt, "/soc/plic@c000000");
	assert_true(plic >= 0);
	assert_int_equal(fdt_node_check_compatible(fdt, plic, "sifive,plic-1.0.0"), 0);
	assert_int_equal(prop_u32(fdt, "/soc/plic@c000000", "riscv,ndev"), 63);
	assert_non_null(prop(fdt, "/soc/plic@c000000", "interrupt-controller", &len));
	check_irqs_ext(fdt, "/soc/plic@c000000", 11, 9);
	assert_int_equal(fdt_node_check_compatible(fdt, fdt_path_offset(fdt, "/soc/clint@2000000"),
						   "riscv,clint0"),
			 0);
	check_irqs_ext(fdt, "/soc/clint@2000000", 3, 7);
	uart = fdt_path_offset(fdt, "/soc/serial@10000000");
	assert_int_equal(prop_u32(fdt, "/soc/serial@10000000", "interrupt-parent"),
			 fdt_get_phandle(fdt, plic));
	(void)uart;
	assert_int_equal(fdt_node_check_compatible(fdt, fdt_path_offset(fdt, "/soc/rtc@101000"),
						   "google,goldfish-rtc"),
			 0);
	assert_int_equal(prop_u32(fdt, "/soc/rtc@101000", "interrupts"), 11);
	free(fdt);
}

static void test_virtio_and_pack(void **state)
{
	void *fdt = build(&base_cfg);
	const void *reg;
	int len, size;
	(void)state;

	assert_int_equal(fdt_riscv_add_virtio_mmio(fdt, 0x10001000, 0x1000, 1), 0);
	assert_int_equal(fdt_riscv_add_virtio_mmio(fdt, 0x10002000, 0x1000, 2), 0);
	assert_int_equal(fdt_node_check_compatible(
			     fdt, fdt_path_offset(fdt, "/soc/virtio_mmio@10002000"), "virtio,mmio"),
			 0);
	assert_int_equal(prop_u32(fdt, "/soc/virtio_mmio@10002000", "interrupts"), 2);
	reg = prop(fdt, "/soc/virtio_mmio@10001000", "reg", &len);
	assert_int_equal(cell64(reg, 0), 0x10001000);
	assert_int_equal(cell64(reg, 1), 0x1000);
	size = fdt_riscv_finish(fdt);
	assert_true(size > 0 && size < FDT_MAX_SIZE);
	assert_int_equal(fdt_check_header(fdt), 0);
	free(fdt);
}

static void test_no_initrd_and_limits(void **state)
{
	struct fdt_riscv c = base_cfg;
	void *fdt;
	char small[256];
	int len;
	(void)state;

	c.initrd_start = c.initrd_end = 0;
	c.bootargs = NULL;
	c.nharts = 256;
	fdt = build(&c);
	assert_null(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "linux,initrd-start", &len));
	assert_null(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", &len));
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@ff") >= 0);
	free(fdt);
	c.nharts = 0;
	assert_int_equal(fdt_riscv_build(&c, small, sizeof(small)), -22);
	c.nharts = 257;
	assert_int_equal(fdt_riscv_build(&c, small, sizeof(small)), -22);
	c.nharts = 1;
	assert_int_equal(fdt_riscv_build(&c, small, sizeof(small)), -28); /* ENOSPC */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memory_and_chosen),
	    cmocka_unit_test(test_cpus),
	    cmocka_unit_test(test_soc),
	    cmocka_unit_test(test_virtio_and_pack),
	    cmocka_unit_test(test_no_initrd_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
