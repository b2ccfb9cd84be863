/* The riscv64 virt board's device tree, built with libfdt: memory, cpus (ISA, MMU type and a
 * per-hart interrupt controller), chosen (bootargs, initrd, stdout-path), and the soc devices
 * (CLINT, PLIC, UART, goldfish RTC, virtio-mmio slots). The layout follows QEMU's virt so stock
 * kernels find everything where they expect it. */
#ifndef GASANG_BOOT_FDT_H
#define GASANG_BOOT_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_SIZE (128 * 1024)

struct fdt_riscv {
	uint64_t ram_base, ram_size;
	unsigned nharts;
	const char *isa;      /* riscv,isa of every hart */
	const char *mmu_type; /* "riscv,sv48" */
	uint64_t timebase_hz;
	const char *bootargs;		   /* may be NULL */
	uint64_t initrd_start, initrd_end; /* both 0: no initrd */
	uint64_t clint_base, clint_size;
	uint64_t plic_base, plic_size;
	unsigned plic_ndev;
	uint64_t uart_base, uart_size;
	unsigned uart_irq;
	uint32_t uart_clock_hz;
	uint64_t rtc_base; /* goldfish RTC, 0 when absent */
	unsigned rtc_irq;
};

/* Writes the tree into buf (size bytes; FDT_MAX_SIZE holds 256 harts). Returns 0 or
 * -ENOSPC / -EINVAL. */
int fdt_riscv_build(const struct fdt_riscv *c, void *buf, size_t size);

/* Adds a "virtio,mmio" node at base (size bytes) with PLIC interrupt irq to a tree made by
 * fdt_riscv_build(). For the virtio devices of the board. Returns 0 or -ENOSPC / -EINVAL. */
int fdt_riscv_add_virtio_mmio(void *fdt, uint64_t base, uint64_t size, unsigned irq);

/* Packs the tree to its minimal size. Returns the size, or -EINVAL. */
int fdt_riscv_finish(void *fdt);

#endif
