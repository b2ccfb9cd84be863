#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "backends/chardev.h"
#include "devices/uart16550.h"
#include "machine/machine.h"

struct irq_log {
	int raises, lowers;
	bool level;
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct irq_log *l = opaque;
	assert_int_equal(line, 4);
	l->level = level;
	if (level)
		l->raises++;
	else
		l->lowers++;
}

struct fixture {
	struct machine m;
	struct chardev cd;
	struct uart16550 u;
	struct irq_log irq;
	int pipefd[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(pipe(f->pipefd), 0);
	assert_int_equal(chardev_open(&f->cd, "none"), 0);
	f->cd.out_fd = f->pipefd[1];
	f->m.irq_set = record_irq;
	f->m.irq_opaque = &f->irq;
	uart16550_init(&f->u, &f->m, &f->cd, 4);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->pipefd[0]);
	close(f->pipefd[1]);
	free(f);
	return 0;
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
	return (uint8_t)uart16550_ops.read(&f->u, reg, 1);
}

static void wr(struct fixture *f, unsigned reg, uint8_t v)
{
	uart16550_ops.write(&f->u, reg, v, 1);
}

static void test_transmit_reaches_chardev(void **state)
{
	struct fixture *f = *state;
	char buf[8] = {0};

	wr(f, 0, 'h');
	wr(f, 0, 'i');
	assert_int_equal(read(f->pipefd[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	assert_int_equal(rd(f, 5) & 0x60, 0x60); /* THRE and TEMT */
}

static void test_receive_and_rx_interrupt(void **state)
{
	struct fixture *f = *state;

	wr(f, 1, 0x01); /* enable RX data interrupt */
	assert_int_equal(f->irq.raises, 0);
	chardev_push_input(&f->cd, (const uint8_t *)"ab", 2);
	assert_true(f->irq.level);
	assert_int_equal(rd(f, 2) & 0x0f, 0x04);
	assert_int_equal(rd(f, 5) & 1, 1);
	assert_int_equal(rd(f, 0), 'a');
	assert_int_equal(rd(f, 0), 'b');
	assert_int_equal(rd(f, 5) & 1, 0);
	assert_false(f->irq.level);
	assert_int_equal(rd(f, 2) & 0x0f, 0x01);
}

static void test_fifo_backpressure_keeps_bytes(void **state)
{
	struct fixture *f = *state;
	uint8_t in[40];

	for (int i = 0; i < 40; i++)
		in[i] = (uint8_t)('A' + i % 26);
	chardev_push_input(&f->cd, in, sizeof(in));
	/* Only 16 fit in the FIFO; the rest wait in the chardev and arrive in order. */
	for (int i = 0; i < 40; i++)
		assert_int_equal(rd(f, 0), in[i]);
	assert_int_equal(rd(f, 5) & 0x03, 0); /* no data, no overrun */
}

static void test_thr_empty_interrupt_acked_by_iir_read(void **state)
{
	struct fixture *f = *state;

	wr(f, 1, 0x02);
	assert_true(f->irq.level);
	assert_int_equal(rd(f, 2) & 0x0f, 0x02);
	assert_false(f->irq.level);
	wr(f, 0, 'x');
	assert_true(f->irq.level);
}

static void test_loopback_and_scratch_probe(void **state)
{
	struct fixture *f = *state;
	char buf[4];

	/* What Linux's 8250 autoconfig does. */
	wr(f, 7, 0xa5);
	assert_int_equal(rd(f, 7), 0xa5);
	wr(f, 4, 0x10 | 0x0a);
	assert_int_equal(rd(f, 6) & 0xf0, 0x90);
	wr(f, 0, 'z');
	assert_int_equal(rd(f, 0), 'z'); /* looped back, not transmitted */
	wr(f, 4, 0);
	assert_int_equal(read(f->pipefd[0], buf, 0), 0);
	/* FIFO detection */
	wr(f, 2, 0x01);
	assert_int_equal(rd(f, 2) & 0xc0, 0xc0);
	/* divisor latch */
	wr(f, 3, 0x80);
	wr(f, 0, 0x01);
	wr(f, 1, 0x00);
	assert_int_equal(rd(f, 0), 0x01);
	wr(f, 3, 0x03);
	assert_int_equal(rd(f, 3), 0x03);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transmit_reaches_chardev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_and_rx_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_backpressure_keeps_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thr_empty_interrupt_acked_by_iir_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loopback_and_scratch_probe, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
