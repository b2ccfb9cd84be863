#include "devices/uart16550.h"

#include <string.h>

#include "backends/chardev.h"
#include "machine/machine.h"

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_FIFO   0xc0

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_INT_ANY 0x1e

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_ANY_DELTA 0x0f

static void update_irq(struct uart16550 *u)
{
	uint8_t iir = IIR_NO_INT;
	bool level;

	if ((u->ier & IER_RLSI) && (u->lsr & LSR_INT_ANY))
		iir = IIR_RLSI;
	else if ((u->ier & IER_RDI) && (u->lsr & LSR_DR))
		iir = IIR_RDI;
	else if ((u->ier & IER_THRI) && u->thr_ipending)
		iir = IIR_THRI;
	else if ((u->ier & IER_MSI) && (u->msr & MSR_ANY_DELTA))
		iir = IIR_MSI;
	u->iir = iir | ((u->fcr & 1) ? IIR_FIFO : 0);
	level = iir != IIR_NO_INT;
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(u->m, u->irq, level);
	}
}

static void fifo_push(struct uart16550 *u, uint8_t ch)
{
	if (u->fifo_count == UART_FIFO_LEN) {
		u->lsr |= LSR_OE;
		return;
	}
	u->fifo[(u->fifo_head + u->fifo_count++) % UART_FIFO_LEN] = ch;
	u->lsr |= LSR_DR;
	u->rx_bytes++;
}

/* Moves input from the chardev into the FIFO while it has room (not in loopback mode, where
 * the FIFO is fed by our own transmitter). */
static void refill(struct uart16550 *u)
{
	uint8_t buf[UART_FIFO_LEN];
	size_t n;

	if (!u->cd || (u->mcr & MCR_LOOP) || u->fifo_count == UART_FIFO_LEN)
		return;
	n = chardev_read(u->cd, buf, UART_FIFO_LEN - u->fifo_count);
	for (size_t i = 0; i < n; i++)
		fifo_push(u, buf[i]);
}

static void on_input(void *opaque)
{
	struct uart16550 *u = opaque;

	pthread_mutex_lock(&u->lock);
	refill(u);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static uint8_t loop_msr(uint8_t mcr)
{
	return (uint8_t)(((mcr & MCR_DTR) ? MSR_DSR : 0) | ((mcr & MCR_RTS) ? MSR_CTS : 0) |
			 ((mcr & MCR_OUT1) ? MSR_RI : 0) | ((mcr & MCR_OUT2) ? MSR_DCD : 0));
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned size)
{
	struct uart16550 *u = opaque;
	uint8_t v = 0;
	(void)size;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
			break;
		}
		if (u->fifo_count) {
			v = u->fifo[u->fifo_head];
			u->fifo_head = (u->fifo_head + 1) % UART_FIFO_LEN;
			u->fifo_count--;
		}
		if (!u->fifo_count)
			refill(u);
		if (!u->fifo_count)
			u->lsr &= (uint8_t)~LSR_DR;
		update_irq(u);
		break;
	case REG_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case REG_IIR_FCR:
		v = u->iir;
		/* Reading IIR while it reports THR empty acknowledges that interrupt. */
		if ((v & 0x0f) == IIR_THRI) {
			u->thr_ipending = false;
			update_irq(u);
		}
		break;
	case REG_LCR:
		v = u->lcr;
		break;
	case REG_MCR:
		v = u->mcr;
		break;
	case REG_LSR:
		v = u->lsr;
		/* Error bits clear on read. */
		u->lsr &= (uint8_t)~LSR_INT_ANY;
		update_irq(u);
		break;
	case REG_MSR:
		v = (u->mcr & MCR_LOOP) ? (uint8_t)(loop_msr(u->mcr) | (u->msr & MSR_ANY_DELTA))
					: u->msr;
		u->msr &= (uint8_t)~MSR_ANY_DELTA;
		update_irq(u);
		break;
	case REG_SCR:
		v = u->scr;
		break;
	default:
		v = 0xff;
		break;
	}
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void uart_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct uart16550 *u = opaque;
	uint8_t v = (uint8_t)val;
	(void)size;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP) {
			fifo_push(u, v);
		} else {
			if (u->cd)
				chardev_write(u->cd, &v, 1);
			u->tx_bytes++;
		}
		/* Transmission is instantaneous: THR is empty again at once. */
		u->lsr |= LSR_THRE | LSR_TEMT;
		u->thr_ipending = true;
		update_irq(u);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		if (!(u->ier & IER_THRI) && (v & IER_THRI) && (u->lsr & LSR_THRE))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		update_irq(u);
		break;
	case REG_IIR_FCR:
		if (v & 0x02) { /* clear receive FIFO */
			u->fifo_count = 0;
			u->lsr &= (uint8_t)~(LSR_DR | LSR_OE);
		}
		u->fcr = v & 0xc9;
		refill(u);
		update_irq(u);
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR: {
		bool was_loop = u->mcr & MCR_LOOP;
		u->mcr = v & 0x1f;
		if (was_loop && !(u->mcr & MCR_LOOP))
			refill(u);
		update_irq(u);
		break;
	}
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&u->lock);
}

const struct bus_ops uart16550_ops = {.read = uart_read, .write = uart_write};

void uart16550_init(struct uart16550 *u, struct machine *m, struct chardev *cd, unsigned irq)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->m = m;
	u->cd = cd;
	u->irq = irq;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	u->iir = IIR_NO_INT;
	if (cd) {
		cd->notify = on_input;
		cd->notify_opaque = u;
	}
}
