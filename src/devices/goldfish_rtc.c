#include "devices/goldfish_rtc.h"

#include <string.h>
#include <time.h>

enum {
	RTC_TIME_LOW = 0x00,
	RTC_TIME_HIGH = 0x04,
	RTC_ALARM_LOW = 0x08,
	RTC_ALARM_HIGH = 0x0c,
	RTC_IRQ_ENABLED = 0x10,
	RTC_CLEAR_ALARM = 0x14,
	RTC_ALARM_STATUS = 0x18,
	RTC_CLEAR_INTERRUPT = 0x1c,
};

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t guest_ns(const struct goldfish_rtc *r)
{
	return host_ns() + (uint64_t)r->offset_ns;
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
	struct goldfish_rtc *r = opaque;
	uint64_t v = 0, now;

	if (size != 4)
		return 0;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW:
		now = guest_ns(r);
		r->time_high = (uint32_t)(now >> 32);
		v = (uint32_t)now;
		break;
	case RTC_TIME_HIGH:
		v = r->time_high;
		break;
	case RTC_ALARM_LOW:
		v = (uint32_t)r->alarm;
		break;
	case RTC_ALARM_HIGH:
		v = (uint32_t)(r->alarm >> 32);
		break;
	case RTC_IRQ_ENABLED:
		v = r->irq_enabled;
		break;
	case RTC_ALARM_STATUS:
		v = r->alarm_status;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct goldfish_rtc *r = opaque;
	uint64_t now, want;

	if (size != 4)
		return;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW: /* sets the time: high half from the last TIME_HIGH write */
		now = guest_ns(r);
		want = ((uint64_t)r->time_high << 32) | (uint32_t)val;
		r->offset_ns += (int64_t)(want - now);
		break;
	case RTC_TIME_HIGH:
		r->time_high = (uint32_t)val;
		break;
	case RTC_ALARM_HIGH:
		r->alarm_high = (uint32_t)val;
		break;
	case RTC_ALARM_LOW:
		r->alarm = ((uint64_t)r->alarm_high << 32) | (uint32_t)val;
		r->alarm_status = 1;
		break;
	case RTC_IRQ_ENABLED:
		r->irq_enabled = (uint32_t)val & 1;
		break;
	case RTC_CLEAR_ALARM:
		r->alarm_status = 0;
		break;
	default: /* CLEAR_INTERRUPT: the alarm never raises one */
		break;
	}
	pthread_mutex_unlock(&r->lock);
}

const struct bus_ops goldfish_rtc_ops = {.read = rtc_read, .write = rtc_write};

void goldfish_rtc_init(struct goldfish_rtc *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
}
