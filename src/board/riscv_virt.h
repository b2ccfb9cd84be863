/* The riscv64 virt board: QEMU-virt-compatible memory map.
 *   0x00101000  goldfish RTC, PLIC source 11
 *   0x02000000  CLINT (msip, mtimecmp, mtime; 10 MHz timebase)
 *   0x0c000000  PLIC (2 contexts per hart: M, S)
 *   0x10000000  ns16550a UART, PLIC source 10
 *   0x10001000  virtio-mmio slot i at + i * 0x1000, PLIC source 1 + i (8 slots)
 *   0x80000000  RAM (--mem)
 * Virtio devices register on m->mmio at riscv_virt_virtio_slot() addresses before the device
 * tree is built; the board adds a "virtio,mmio" node for every occupied slot. */
#ifndef GASANG_BOARD_RISCV_VIRT_H
#define GASANG_BOARD_RISCV_VIRT_H

#include <stdint.h>

#define RV_RAM_BASE	  0x80000000ULL
#define RV_RTC_BASE	  0x101000ULL
#define RV_RTC_IRQ	  11
#define RV_UART_BASE	  0x10000000ULL
#define RV_UART_SIZE	  0x100ULL
#define RV_UART_IRQ	  10
#define RV_UART_CLOCK	  3686400
#define RV_VIRTIO_BASE	  0x10001000ULL
#define RV_VIRTIO_STRIDE  0x1000ULL
#define RV_VIRTIO_SLOTS	  8
#define RV_TIMEBASE_HZ	  10000000ULL
#define RV_ISA		  "rv64imafdc_zicsr_zifencei_sstc"
#define RV_MMU_TYPE	  "riscv,sv48"
#define RV_DEFAULT_APPEND "console=ttyS0"

/* Address and PLIC interrupt line of virtio-mmio slot i (< RV_VIRTIO_SLOTS). */
static inline uint64_t riscv_virt_virtio_base(unsigned i)
{
	return RV_VIRTIO_BASE + i * RV_VIRTIO_STRIDE;
}
static inline unsigned riscv_virt_virtio_irq(unsigned i)
{
	return 1 + i;
}

#endif
