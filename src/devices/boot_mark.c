/* The boot-time marker, like Firecracker's boot timer: the guest writes the magic value 123 to
 * port 0x3f0 and gasang logs the time since launch. */
#include "devices/pc_misc.h"
#include "machine/machine.h"

static uint64_t boot_mark_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0;
}

static void boot_mark_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	(void)off;
	(void)size;
	if ((val & 0xff) == BOOT_MARK_MAGIC)
		machine_boot_mark(opaque);
}

static const struct bus_ops boot_mark_ops = {.read = boot_mark_read, .write = boot_mark_write};

int boot_mark_init(struct machine *m)
{
	return bus_register(&m->pio, BOOT_MARK_PORT, 1, &boot_mark_ops, m, "boot-mark");
}
