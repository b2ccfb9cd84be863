#include "base/log.h"

#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level cur_level = LOG_WARN;
static int env_checked;

static void check_env(void)
{
	const char *d;

	if (env_checked)
		return;
	env_checked = 1;
	d = getenv("GASANG_DEBUG");
	if (d && *d && strcmp(d, "0") != 0)
		cur_level = LOG_DEBUG;
}

void log_set_level(enum log_level level)
{
	env_checked = 1;
	cur_level = level;
}

bool log_enabled(enum log_level level)
{
	check_env();
	return level <= cur_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = {"", "warning: ", "", "debug: "};
	char buf[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write so that lines from several threads do not interleave. */
	if (level == LOG_DEBUG) /* debug lines carry a timeline: ms since launch */
		fprintf(stderr, "gasang: debug: [%9.3f ms] %s\n", launch_elapsed_ns() / 1e6, buf);
	else
		fprintf(stderr, "gasang: %s%s\n", tag[level], buf);
}
