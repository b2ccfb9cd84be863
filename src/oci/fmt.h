/* fmt(): snprintf for messages and paths where truncation is acceptable (the result is
 * always terminated); returns what snprintf returns. Keeps -Wformat-truncation quiet where
 * a truncated message or an over-long path (later rejected by the kernel) is fine. */
#ifndef GASANG_OCI_FMT_H
#define GASANG_OCI_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int fmt(char *buf, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static inline int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int r;

	va_start(ap, f);
	r = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return r;
}

#endif
