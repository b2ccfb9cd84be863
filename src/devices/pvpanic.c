/* QEMU's pvpanic device at port 0x505 (ACPI QEMU0001, declared in the DSDT): Linux's pvpanic
 * driver writes 1 when the kernel panics, and gasang ends with a guest error (status 1) instead
 * of the reboot that panic=-1 would ask for. Reads report the events we handle. */
#include "base/log.h"
#include "devices/pc_misc.h"
#include "machine/machine.h"

#define PVPANIC_PANICKED     1u
#define PVPANIC_CRASH_LOADED 2u

static uint64_t pvpanic_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return PVPANIC_PANICKED;
}

static void pvpanic_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct machine *m = opaque;

	(void)off;
	(void)size;
	if (!(val & PVPANIC_PANICKED) || machine_stopping(m))
		return;
	log_error("guest error: the guest kernel panicked (pvpanic)");
	machine_request_stop(m, STOP_GUEST_ERROR, 1);
}

static const struct bus_ops pvpanic_ops = {.read = pvpanic_read, .write = pvpanic_write};

int pvpanic_init(struct machine *m)
{
	return bus_register(&m->pio, PVPANIC_PORT, 1, &pvpanic_ops, m, "pvpanic");
}
