/* A 16550A UART: the console of both engines (port 0x3f8/IRQ 4 on x86, MMIO 0x10000000 on the
 * riscv64 virt board). Transmit is immediate; receive goes through a 16-byte FIFO fed from the
 * chardev; loopback mode works so Linux's 8250 probe accepts it. */
#ifndef GASANG_DEVICES_UART16550_H
#define GASANG_DEVICES_UART16550_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "machine/bus.h"

struct machine;
struct chardev;

#define UART_FIFO_LEN 16

struct uart16550 {
	pthread_mutex_t lock;
	struct machine *m;
	struct chardev *cd;
	unsigned irq;
	bool irq_level;
	uint8_t ier, iir, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool thr_ipending;
	uint8_t fifo[UART_FIFO_LEN];
	unsigned fifo_head, fifo_count;
	uint64_t tx_bytes, rx_bytes;
};

extern const struct bus_ops uart16550_ops;

/* Initializes the UART, wired to cd (may be NULL: output dropped) and interrupt line irq. */
void uart16550_init(struct uart16550 *u, struct machine *m, struct chardev *cd, unsigned irq);

#endif
