#include "boot/fdt.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

/* Phandles: hart i's interrupt controller is PH_INTC + i; the PLIC is PH_PLIC. */
#define PH_PLIC 1
#define PH_INTC 2

#define IRQ_M_SOFT  3
#define IRQ_M_TIMER 7
#define IRQ_S_EXT   9
#define IRQ_M_EXT   11

/* libfdt error => -errno. */
static int fe(int r)
{
	if (r >= 0)
		return 0;
	/* Inner helpers already return -errno: keep ENOSPC when it is one. */
	return r == -FDT_ERR_NOSPACE || r == -ENOSPC ? -ENOSPC : -EINVAL;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		int _r = fe(x);                                                                    \
		if (_r)                                                                            \
			return _r;                                                                 \
	} while (0)

static int set_reg(void *fdt, int node, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};

	return fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
}

/* Adds node "name@addr" under parent; returns its offset or a negative libfdt error. */
static int add_node_at(void *fdt, int parent, const char *name, uint64_t addr)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	return fdt_add_subnode(fdt, parent, buf);
}

static int add_cpus(void *fdt, const struct fdt_riscv *c)
{
	int cpus = fdt_add_subnode(fdt, 0, "cpus");

	TRY(cpus);
	TRY(fdt_setprop_u32(fdt, cpus, "#address-cells", 1));
	TRY(fdt_setprop_u32(fdt, cpus, "#size-cells", 0));
	TRY(fdt_setprop_u32(fdt, cpus, "timebase-frequency", (uint32_t)c->timebase_hz));
	/* fdt_add_subnode inserts first, so add in reverse to list cpu@0 first. */
	for (unsigned i = c->nharts; i-- > 0;) {
		int cpu = add_node_at(fdt, cpus, "cpu", i), intc;

		TRY(cpu);
		TRY(fdt_setprop_string(fdt, cpu, "device_type", "cpu"));
		TRY(fdt_setprop_u32(fdt, cpu, "reg", i));
		TRY(fdt_setprop_string(fdt, cpu, "status", "okay"));
		TRY(fdt_setprop_string(fdt, cpu, "compatible", "riscv"));
		TRY(fdt_setprop_string(fdt, cpu, "riscv,isa", c->isa));
		TRY(fdt_setprop_string(fdt, cpu, "mmu-type", c->mmu_type));
		intc = fdt_add_subnode(fdt, cpu, "interrupt-controller");
		TRY(intc);
		TRY(fdt_setprop_u32(fdt, intc, "#interrupt-cells", 1));
		TRY(fdt_setprop(fdt, intc, "interrupt-controller", NULL, 0));
		TRY(fdt_setprop_string(fdt, intc, "compatible", "riscv,cpu-intc"));
		TRY(fdt_setprop_u32(fdt, intc, "phandle", PH_INTC + i));
	}
	return 0;
}

static int add_chosen(void *fdt, const struct fdt_riscv *c)
{
	int ch = fdt_add_subnode(fdt, 0, "chosen");
	char path[64];

	TRY(ch);
	if (c->bootargs)
		TRY(fdt_setprop_string(fdt, ch, "bootargs", c->bootargs));
	snprintf(path, sizeof(path), "/soc/serial@%llx", (unsigned long long)c->uart_base);
	TRY(fdt_setprop_string(fdt, ch, "stdout-path", path));
	if (c->initrd_end > c->initrd_start) {
		TRY(fdt_setprop_u64(fdt, ch, "linux,initrd-start", c->initrd_start));
		TRY(fdt_setprop_u64(fdt, ch, "linux,initrd-end", c->initrd_end));
	}
	return 0;
}

/* interrupts-extended of the CLINT (MSIP, MTIP per hart) or PLIC (MEIP, SEIP per hart). */
static int set_irqs_ext(void *fdt, int node, unsigned nharts, uint32_t a, uint32_t b)
{
	fdt32_t cells[4 * 256];

	if (nharts > 256)
		return -FDT_ERR_BADVALUE;
	for (unsigned i = 0; i < nharts; i++) {
		cells[4 * i] = cpu_to_fdt32(PH_INTC + i);
		cells[4 * i + 1] = cpu_to_fdt32(a);
		cells[4 * i + 2] = cpu_to_fdt32(PH_INTC + i);
		cells[4 * i + 3] = cpu_to_fdt32(b);
	}
	return fdt_setprop(fdt, node, "interrupts-extended", cells, 16 * nharts);
}

static int add_soc(void *fdt, const struct fdt_riscv *c)
{
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	int soc = fdt_add_subnode(fdt, 0, "soc"), n;

	TRY(soc);
	TRY(fdt_setprop_u32(fdt, soc, "#address-cells", 2));
	TRY(fdt_setprop_u32(fdt, soc, "#size-cells", 2));
	TRY(fdt_setprop_string(fdt, soc, "compatible", "simple-bus"));
	TRY(fdt_setprop(fdt, soc, "ranges", NULL, 0));

	if (c->rtc_base) {
		n = add_node_at(fdt, soc, "rtc", c->rtc_base);
		TRY(n);
		TRY(fdt_setprop_string(fdt, n, "compatible", "google,goldfish-rtc"));
		TRY(set_reg(fdt, n, c->rtc_base, 0x1000));
		TRY(fdt_setprop_u32(fdt, n, "interrupts", c->rtc_irq));
		TRY(fdt_setprop_u32(fdt, n, "interrupt-parent", PH_PLIC));
	}

	n = add_node_at(fdt, soc, "serial", c->uart_base);
	TRY(n);
	TRY(fdt_setprop_string(fdt, n, "compatible", "ns16550a"));
	TRY(set_reg(fdt, n, c->uart_base, c->uart_size));
	TRY(fdt_setprop_u32(fdt, n, "clock-frequency", c->uart_clock_hz));
	TRY(fdt_setprop_u32(fdt, n, "interrupts", c->uart_irq));
	TRY(fdt_setprop_u32(fdt, n, "interrupt-parent", PH_PLIC));

	n = add_node_at(fdt, soc, "plic", c->plic_base);
	TRY(n);
	TRY(fdt_setprop(fdt, n, "compatible", plic_compat, sizeof(plic_compat)));
	TRY(set_reg(fdt, n, c->plic_base, c->plic_size));
	TRY(fdt_setprop_u32(fdt, n, "#address-cells", 0));
	TRY(fdt_setprop_u32(fdt, n, "#interrupt-cells", 1));
	TRY(fdt_setprop(fdt, n, "interrupt-controller", NULL, 0));
	TRY(fdt_setprop_u32(fdt, n, "riscv,ndev", c->plic_ndev));
	TRY(fdt_setprop_u32(fdt, n, "phandle", PH_PLIC));
	TRY(set_irqs_ext(fdt, n, c->nharts, IRQ_M_EXT, IRQ_S_EXT));

	n = add_node_at(fdt, soc, "clint", c->clint_base);
	TRY(n);
	TRY(fdt_setprop(fdt, n, "compatible", clint_compat, sizeof(clint_compat)));
	TRY(set_reg(fdt, n, c->clint_base, c->clint_size));
	TRY(set_irqs_ext(fdt, n, c->nharts, IRQ_M_SOFT, IRQ_M_TIMER));
	return 0;
}

int fdt_riscv_build(const struct fdt_riscv *c, void *buf, size_t size)
{
	int mem;

	if (!c->nharts || c->nharts > 256 || size > INT32_MAX)
		return -EINVAL;
	TRY(fdt_create_empty_tree(buf, (int)size));
	TRY(fdt_setprop_u32(buf, 0, "#address-cells", 2));
	TRY(fdt_setprop_u32(buf, 0, "#size-cells", 2));
	TRY(fdt_setprop_string(buf, 0, "compatible", "riscv-virtio"));
	TRY(fdt_setprop_string(buf, 0, "model", "gasang,riscv-virt"));
	/* Added in reverse order of appearance (fdt_add_subnode prepends). */
	TRY(add_soc(buf, c));
	mem = add_node_at(buf, 0, "memory", c->ram_base);
	TRY(mem);
	TRY(fdt_setprop_string(buf, mem, "device_type", "memory"));
	TRY(set_reg(buf, mem, c->ram_base, c->ram_size));
	TRY(add_cpus(buf, c));
	TRY(add_chosen(buf, c));
	return 0;
}

int fdt_riscv_add_virtio_mmio(void *fdt, uint64_t base, uint64_t size, unsigned irq)
{
	int soc = fdt_path_offset(fdt, "/soc"), n;

	TRY(soc);
	n = add_node_at(fdt, soc, "virtio_mmio", base);
	TRY(n);
	TRY(fdt_setprop_string(fdt, n, "compatible", "virtio,mmio"));
	TRY(set_reg(fdt, n, base, size));
	TRY(fdt_setprop_u32(fdt, n, "interrupts", irq));
	TRY(fdt_setprop_u32(fdt, n, "interrupt-parent", PH_PLIC));
	return 0;
}

int fdt_riscv_finish(void *fdt)
{
	if (fdt_pack(fdt) < 0)
		return -EINVAL;
	return (int)fdt_totalsize(fdt);
}
