/* isa-debug-exit, as in QEMU: the guest writes v to port 0xf4 and gasang exits with
 * status (v << 1) | 1. */
#include "devices/pc_misc.h"
#include "machine/machine.h"

static uint64_t debug_exit_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0;
}

static void debug_exit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	(void)off;
	(void)size;
	machine_request_stop(opaque, STOP_DEBUG_EXIT, (int)(((val << 1) | 1) & 0xff));
}

static const struct bus_ops debug_exit_ops = {.read = debug_exit_read, .write = debug_exit_write};

int debug_exit_init(struct machine *m)
{
	return bus_register(&m->pio, DEBUG_EXIT_PORT, 1, &debug_exit_ops, m, "debug-exit");
}
