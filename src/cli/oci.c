/* gasang oci [global options] <command> ...: runc's command line. Global options, the
 * command table, and the small commands (start, state, kill, delete, pause, resume). */
#include "cli/oci.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "oci/fmt.h"
#include "oci/cgroup.h"
#include "oci/container.h"
#include "oci/signal.h"
#include "oci/state.h"

struct oci_cli oci_cli = {.root = "/run/gasang"};

static void log_to_file(const char *level, const char *text)
{
	char ts[64];
	struct timespec now;
	struct tm tm;
	FILE *f;

	if (!oci_cli.log)
		return;
	f = fopen(oci_cli.log, "ae");
	if (!f)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (oci_cli.log_json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", text, "time", ts);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s)
			fprintf(f, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, text);
	}
	fclose(f);
}

int oci_fail(const char *fm, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fm);
	vsnprintf(buf, sizeof(buf), fm, ap);
	va_end(ap);
	fprintf(stderr, "gasang: %s\n", buf);
	log_to_file("error", buf);
	return 1;
}

int oci_want_args(const char *cmd, int argc, int optind_, int n, const char *usage)
{
	if (argc - optind_ == n)
		return 0;
	return oci_fail("%s: expected %d argument%s: %s", cmd, n, n == 1 ? "" : "s", usage);
}

static int load(const char *id, struct oci_state *st)
{
	int r = state_load(oci_cli.root, id, st);

	if (r == -ENOENT || r == -EAGAIN)
		return oci_fail("container \"%s\" does not exist", id);
	if (r)
		return oci_fail("loading state of %s: %s", id, strerror(-r));
	return 0;
}

/* Commands taking only an id and boolean flags. */
static int simple_opts(int argc, char **argv, const struct option *lo, const char *so, bool *flags)
{
	int c, idx;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, so, lo, &idx)) != -1) {
		if (c == '?')
			return -1;
		if (c == 'h')
			return -2;
		for (int i = 0; lo[i].name; i++)
			if (lo[i].val == c)
				flags[i] = true;
	}
	return 0;
}

static int cmd_start(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, 0, 'h'}, {0}};
	bool f[2] = {0};
	struct oci_state st;
	char msg[1024];
	int r;

	if (simple_opts(argc, argv, lo, "+h", f) ||
	    oci_want_args("start", argc, optind, 1, "start <container-id>"))
		return 1;
	if (load(argv[optind], &st))
		return 1;
	r = container_start(&st, msg, sizeof(msg));
	state_release(&st);
	return r ? oci_fail("%s", msg) : 0;
}

static int cmd_state(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, 0, 'h'}, {0}};
	bool f[2] = {0};
	struct oci_state st;
	json_t *j;
	char *s;

	if (simple_opts(argc, argv, lo, "+h", f) ||
	    oci_want_args("state", argc, optind, 1, "state <container-id>"))
		return 1;
	if (load(argv[optind], &st))
		return 1;
	j = state_to_json(&st, state_status(&st));
	s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
	state_release(&st);
	return s ? 0 : oci_fail("state: out of memory");
}

static int cmd_kill(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"all", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0}};
	bool f[3] = {0};
	struct oci_state st;
	const char *signame = "SIGTERM";
	char msg[1024];
	int sig, r;

	if (simple_opts(argc, argv, lo, "+ah", f))
		return 1;
	if (argc - optind == 2)
		signame = argv[optind + 1];
	else if (oci_want_args("kill", argc, optind, 1, "kill [--all] <container-id> [signal]"))
		return 1;
	sig = signal_parse(signame);
	if (sig < 0)
		return oci_fail("unknown signal \"%s\"", signame);
	if (load(argv[optind], &st))
		return 1;
	r = container_kill(&st, sig, f[0], msg, sizeof(msg));
	state_release(&st);
	return r ? oci_fail("%s", msg) : 0;
}

static int cmd_delete(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"force", no_argument, 0, 'f'}, {"help", no_argument, 0, 'h'}, {0}};
	bool f[3] = {0};
	char msg[1024];

	if (simple_opts(argc, argv, lo, "+fh", f) ||
	    oci_want_args("delete", argc, optind, 1, "delete [--force] <container-id>"))
		return 1;
	if (container_delete(oci_cli.root, argv[optind], f[0], msg, sizeof(msg)))
		return oci_fail("%s", msg);
	return 0;
}

static int pause_resume(int argc, char **argv, bool freeze)
{
	static const struct option lo[] = {{"help", no_argument, 0, 'h'}, {0}};
	const char *cmd = freeze ? "pause" : "resume";
	bool f[2] = {0};
	struct oci_state st;
	enum oci_status s;
	int r;

	if (simple_opts(argc, argv, lo, "+h", f) ||
	    oci_want_args(cmd, argc, optind, 1, "<container-id>"))
		return 1;
	if (load(argv[optind], &st))
		return 1;
	s = state_status(&st);
	if (freeze && s != STATUS_RUNNING) {
		state_release(&st);
		return oci_fail("container not running");
	}
	if (!freeze && s != STATUS_PAUSED) {
		state_release(&st);
		return oci_fail("container not paused");
	}
	r = cgroup_freeze(st.cgroup, freeze);
	state_release(&st);
	return r ? oci_fail("%s: freezer: %s", cmd, strerror(-r)) : 0;
}

static int cmd_pause(int argc, char **argv)
{
	return pause_resume(argc, argv, true);
}

static int cmd_resume(int argc, char **argv)
{
	return pause_resume(argc, argv, false);
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
    {"create", oci_cmd_create, "create a container"},
    {"start", cmd_start, "start the user process of a created container"},
    {"run", oci_cmd_run, "create and start a container"},
    {"state", cmd_state, "output the state of a container"},
    {"kill", cmd_kill, "send a signal to the container's init process"},
    {"delete", cmd_delete, "delete a container and the resources it holds"},
    {"exec", oci_cmd_exec, "execute a new process inside the container"},
    {"ps", oci_cmd_ps, "list the processes running inside a container"},
    {"list", oci_cmd_list, "list containers"},
    {"ls", oci_cmd_list, NULL},
    {"pause", cmd_pause, "suspend all processes of a container"},
    {"resume", cmd_resume, "resume all processes of a paused container"},
    {"update", oci_cmd_update, "update the resource limits of a container"},
    {"events", oci_cmd_events, "container resource usage (--stats: one sample)"},
    {"features", oci_cmd_features, "show the enabled features"},
    {"spec", oci_cmd_spec, "create a new specification file"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gasang oci [global options] <command> [options] [arguments]\n"
		   "       (also as gasang-oci, with runc's command line)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].help)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nglobal options:\n"
		   "  --root DIR          state directory (default /run/gasang)\n"
		   "  --log FILE          also write errors to FILE\n"
		   "  --log-format FMT    text or json\n"
		   "  --systemd-cgroup    use systemd cgroups (not supported: refused)\n"
		   "  --debug             debug logging\n");
}

/* "--flag value" or "--flag=value", with one or two dashes as runc accepts. */
static const char *global_value(int argc, char **argv, int *i, const char *name)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	a += a[1] == '-' ? 2 : 1;
	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int cmd_oci(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1), *v;
		if (!strcmp(a, "help") || !strcmp(a, "h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "version") || !strcmp(a, "v")) {
			printf("gasang-oci version 0.1.0\nspec: 1.1.0\n");
			return 0;
		}
		if (!strcmp(a, "debug")) {
			oci_cli.debug = true;
			log_set_level(LOG_DEBUG);
		} else if (!strcmp(a, "systemd-cgroup")) {
			oci_cli.systemd_cgroup = true;
		} else if (!strcmp(a, "rootless") || !strncmp(a, "rootless=", 9) ||
			   !strncmp(a, "criu", 4)) {
			if (!strchr(a, '=') && !strcmp(a, "criu"))
				i++;
		} else if ((v = global_value(argc, argv, &i, "root"))) {
			oci_cli.root = v;
		} else if ((v = global_value(argc, argv, &i, "log-format"))) {
			if (strcmp(v, "json") && strcmp(v, "text"))
				return oci_fail("--log-format: unknown format \"%s\"", v);
			oci_cli.log_json = !strcmp(v, "json");
		} else if ((v = global_value(argc, argv, &i, "log-level"))) {
			/* crun's option; accepted for clients that pass it */
		} else if ((v = global_value(argc, argv, &i, "log"))) {
			oci_cli.log = v;
		} else {
			return oci_fail("unknown global option %s", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (oci_cli.systemd_cgroup && strcmp(argv[i], "features") && strcmp(argv[i], "spec") &&
	    strcmp(argv[i], "state") && strcmp(argv[i], "list") && strcmp(argv[i], "delete") &&
	    strcmp(argv[i], "kill"))
		return oci_fail("--systemd-cgroup: the systemd cgroup driver is not supported; use "
				"cgroupfs");
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].fn(argc - i, argv + i);
	return oci_fail("unknown command \"%s\" (try 'gasang oci --help')", argv[i]);
}
