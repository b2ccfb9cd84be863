/* Signal name parsing. */
#include "oci/fmt.h"
#include "oci/signal.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int sig;
} names[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},	 {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},	 {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},	  {"IO", SIGIO},	 {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},	 {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},	 {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},	  {"TERM", SIGTERM},	 {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	 {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

static int parse_num(const char *s, int lo, int hi)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	return (int)v;
}

int signal_parse(const char *s)
{
	if (!s || !*s)
		return -EINVAL;
	if (*s >= '0' && *s <= '9')
		return parse_num(s, 1, SIGRTMAX);
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(names[i].name, s))
			return names[i].sig;
	if (!strncasecmp(s, "RTMIN", 5)) {
		int off = 0;
		if (s[5] == '+' && (off = parse_num(s + 6, 0, SIGRTMAX - SIGRTMIN)) < 0)
			return -EINVAL;
		if (s[5] && s[5] != '+')
			return -EINVAL;
		return SIGRTMIN + off;
	}
	if (!strncasecmp(s, "RTMAX", 5)) {
		int off = 0;
		if (s[5] == '-' && (off = parse_num(s + 6, 0, SIGRTMAX - SIGRTMIN)) < 0)
			return -EINVAL;
		if (s[5] && s[5] != '-')
			return -EINVAL;
		return SIGRTMAX - off;
	}
	return -EINVAL;
}
