/* The CLINT of the riscv64 virt board (SiFive CLINT layout, as QEMU's virt): msip per hart at
 * 0x0, mtimecmp per hart at 0x4000, mtime at 0xbff8, counting at the platform's timebase.
 * Writes to msip drive mip.MSIP; writes to mtimecmp update hart->mtimecmp (the core raises
 * mip.MTIP when mtime reaches it, and sleeps in WFI until then) and kick the hart so a
 * sleeping WFI recomputes its deadline. */
#ifndef GASANG_ACCEL_EMU_CLINT_H
#define GASANG_ACCEL_EMU_CLINT_H

#include <stdint.h>

#include "machine/bus.h"

#define CLINT_BASE	   0x02000000ULL
#define CLINT_SIZE	   0x10000ULL
#define CLINT_MSIP_OFF	   0x0
#define CLINT_MTIMECMP_OFF 0x4000
#define CLINT_MTIME_OFF	   0xbff8

struct rv_platform;

struct clint {
	struct rv_platform *plat; /* harts and the time source */
};

extern const struct bus_ops clint_ops;

void clint_init(struct clint *c, struct rv_platform *plat);

#endif
