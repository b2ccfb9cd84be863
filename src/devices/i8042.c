/* The part of the i8042 keyboard controller a guest uses to reset the machine: Linux's
 * reboot=k waits for the input buffer to drain (status bit 1 clear), then writes 0xfe (pulse
 * the reset line) to port 0x64. gasang treats the reset as the end of the run (status 0). */
#include "devices/pc_misc.h"
#include "machine/machine.h"

#define I8042_CMD_RESET 0xfe

static uint64_t i8042_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0; /* status: no data, input buffer empty; data: nothing */
}

static void i8042_data_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)val;
	(void)size;
}

static void i8042_cmd_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	(void)off;
	(void)size;
	if ((val & 0xff) == I8042_CMD_RESET)
		machine_request_stop(opaque, STOP_REBOOT, 0);
}

static const struct bus_ops i8042_data_ops = {.read = i8042_read, .write = i8042_data_write};
static const struct bus_ops i8042_cmd_ops = {.read = i8042_read, .write = i8042_cmd_write};

int i8042_init(struct machine *m)
{
	int e = bus_register(&m->pio, I8042_DATA_PORT, 1, &i8042_data_ops, m, "i8042");

	/* Port 0x61 in between belongs to the in-kernel PIT (speaker). */
	return e ? e : bus_register(&m->pio, I8042_CMD_PORT, 1, &i8042_cmd_ops, m, "i8042");
}
