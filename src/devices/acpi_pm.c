/* The ACPI PM1a event and control registers the FADT points at (boot/acpi.h): writing sleep
 * type S5 with SLP_EN to PM1a_CNT powers the machine off, which is how Linux's `poweroff` ends
 * gasang with status 0. SCI_EN reads as set: the machine is always in ACPI mode. */
#include <pthread.h>
#include <string.h>

#include "boot/acpi.h"
#include "devices/pc_misc.h"
#include "machine/machine.h"

#define PM1_SCI_EN     0x0001
#define PM1_SLP_EN     0x2000
#define PM1_SLP_TYP(v) (((v) >> 10) & 7)

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint64_t v;

	pthread_mutex_lock(&pm->lock);
	switch (off) {
	case 0: /* PM1a_STS, then PM1a_EN */
		v = pm->sts | ((uint32_t)pm->en << 16);
		break;
	case 2:
		v = pm->en;
		break;
	case 4:
		v = pm->cnt | PM1_SCI_EN;
		break;
	default:
		v = 0;
		break;
	}
	pthread_mutex_unlock(&pm->lock);
	return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	if (off == 0) {
		pm->sts &= (uint16_t)~val; /* write one to clear */
		if (size == 4)
			pm->en = (uint16_t)(val >> 16);
	} else if (off == 2) {
		pm->en = (uint16_t)val;
	} else if (off == 4) {
		pm->cnt = (uint16_t)(val & ~PM1_SLP_EN);
		if ((val & PM1_SLP_EN) && PM1_SLP_TYP(val) == ACPI_S5_SLP_TYP)
			machine_request_stop(pm->m, STOP_POWEROFF, 0);
	}
	pthread_mutex_unlock(&pm->lock);
}

static const struct bus_ops pm_ops = {.read = pm_read, .write = pm_write};

int acpi_pm_init(struct acpi_pm *pm, struct machine *m)
{
	memset(pm, 0, sizeof(*pm));
	pm->m = m;
	pthread_mutex_init(&pm->lock, NULL);
	return bus_register(&m->pio, ACPI_PM1A_EVT_PORT, 6, &pm_ops, pm, "acpi-pm");
}
