/* Goldfish RTC (Android emulator, QEMU's virt board at 0x101000): wall-clock time in ns
 * since the epoch from the host's CLOCK_REALTIME, settable by the guest (kept as an offset).
 * The alarm registers are kept but the alarm never fires (Linux does not need it to boot). */
#ifndef GASANG_DEVICES_GOLDFISH_RTC_H
#define GASANG_DEVICES_GOLDFISH_RTC_H

#include <pthread.h>
#include <stdint.h>

#include "machine/bus.h"

#define GOLDFISH_RTC_SIZE 0x1000

struct goldfish_rtc {
	pthread_mutex_t lock;
	int64_t offset_ns;  /* guest time - host time */
	uint32_t time_high; /* latched by a TIME_LOW read */
	uint64_t alarm;
	uint32_t alarm_high, irq_enabled, alarm_status;
};

extern const struct bus_ops goldfish_rtc_ops;

void goldfish_rtc_init(struct goldfish_rtc *r);

#endif
