/* The MC146818 CMOS real-time clock at ports 0x70 (index) and 0x71 (data), reporting the host's
 * UTC time in BCD, 24-hour mode, never "update in progress": enough for Linux to read the wall
 * clock at once instead of probing for seconds. The other CMOS bytes are plain storage. */
#include <string.h>
#include <time.h>

#include "devices/pc_misc.h"
#include "machine/machine.h"

enum {
	RTC_SEC = 0x00,
	RTC_MIN = 0x02,
	RTC_HOUR = 0x04,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MON = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
	RTC_CENTURY = 0x32,
};

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

void rtc_cmos_fill_time(struct rtc_cmos *r, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	r->cmos[RTC_SEC] = bcd(tm.tm_sec);
	r->cmos[RTC_MIN] = bcd(tm.tm_min);
	r->cmos[RTC_HOUR] = bcd(tm.tm_hour);
	r->cmos[RTC_WDAY] = bcd(tm.tm_wday + 1);
	r->cmos[RTC_MDAY] = bcd(tm.tm_mday);
	r->cmos[RTC_MON] = bcd(tm.tm_mon + 1);
	r->cmos[RTC_YEAR] = bcd(tm.tm_year % 100);
	r->cmos[RTC_CENTURY] = bcd((tm.tm_year + 1900) / 100);
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
	struct rtc_cmos *r = opaque;
	uint8_t v;

	(void)size;
	if (off == 0)
		return 0xff;
	pthread_mutex_lock(&r->lock);
	if (r->index <= RTC_YEAR || r->index == RTC_CENTURY)
		rtc_cmos_fill_time(r, (int64_t)time(NULL));
	v = r->cmos[r->index];
	if (r->index == RTC_REG_C)
		r->cmos[RTC_REG_C] = 0; /* read clears the interrupt flags */
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct rtc_cmos *r = opaque;

	(void)size;
	pthread_mutex_lock(&r->lock);
	if (off == 0) {
		r->index = val & 0x7f; /* bit 7 is the NMI mask */
	} else if (r->index > RTC_REG_D || r->index == RTC_REG_A) {
		/* The time registers follow the host clock, B stays binary-coded 24h, C/D are
		 * read only; everything else is storage. */
		if (r->index == RTC_REG_A)
			val = (val & 0x7f);
		r->cmos[r->index] = (uint8_t)val;
	}
	pthread_mutex_unlock(&r->lock);
}

static const struct bus_ops rtc_ops = {.read = rtc_read, .write = rtc_write};

int rtc_cmos_init(struct rtc_cmos *r, struct machine *m)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate, UIP clear */
	r->cmos[RTC_REG_B] = 0x02; /* 24-hour, BCD, no interrupts */
	r->cmos[RTC_REG_D] = 0x80; /* valid RAM and time */
	return bus_register(&m->pio, RTC_PORT, 2, &rtc_ops, r, "rtc-cmos");
}
