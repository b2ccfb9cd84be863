/* gasang oci ps | list | features | spec. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "cli/oci.h"
#include "oci/fmt.h"
#include "oci/cgroup.h"
#include "oci/state.h"

static int format_opt(int argc, char **argv, bool *json, bool *quiet)
{
	static const struct option lo[] = {{"format", required_argument, 0, 'f'},
					   {"quiet", no_argument, 0, 'q'},
					   {"help", no_argument, 0, 'h'},
					   {0}};
	int c;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+f:qh", lo, NULL)) != -1) {
		if (c == 'f') {
			if (strcmp(optarg, "json") && strcmp(optarg, "table"))
				return oci_fail("invalid format option \"%s\"", optarg);
			*json = !strcmp(optarg, "json");
		} else if (c == 'q' && quiet) {
			*quiet = true;
		} else {
			return 1;
		}
	}
	return 0;
}

static bool pid_in(pid_t p, const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

/* True when prog is an executable in $PATH. */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], file[PATH_MAX];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		fmt(dir, sizeof(dir), "%.*s", (int)len, path);
		fmt(file, sizeof(file), "%s/%s", len ? dir : ".", prog);
		if (access(file, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

int oci_cmd_ps(int argc, char **argv)
{
	struct oci_state st;
	bool json = false;
	pid_t *pids = NULL;
	size_t n = 0;
	char cmd[4096] = "ps", line[4096];
	int pidcol = -1;
	FILE *f;

	if (format_opt(argc, argv, &json, NULL))
		return 1;
	if (optind >= argc)
		return oci_fail("ps: expected <container-id> [ps options]");
	if (state_load(oci_cli.root, argv[optind], &st))
		return oci_fail("container \"%s\" does not exist", argv[optind]);
	if (st.cgroup[0])
		cgroup_pids(st.cgroup, &pids, &n);
	state_release(&st);
	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		free(pids);
		return 0;
	}
	if (!in_path("ps")) {
		free(pids);
		return oci_fail("ps: no ps(1) in PATH (install procps), or use --format json");
	}
	if (optind + 1 >= argc)
		strcat(cmd, " -ef");
	for (int i = optind + 1; i < argc; i++) {
		if (strlen(cmd) + strlen(argv[i]) + 4 >= sizeof(cmd) || strchr(argv[i], '\'')) {
			free(pids);
			return oci_fail("ps: invalid arguments");
		}
		strcat(cmd, " '");
		strcat(cmd, argv[i]);
		strcat(cmd, "'");
	}
	f = popen(cmd, "re");
	if (!f) {
		free(pids);
		return oci_fail("ps: %s", strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char copy[4096], *tok, *save;
		int col = 0;
		fmt(copy, sizeof(copy), "%s", line);
		if (pidcol < 0) {
			for (tok = strtok_r(copy, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save), col++)
				if (!strcmp(tok, "PID"))
					pidcol = col;
			fputs(line, stdout);
			if (pidcol < 0) {
				pclose(f);
				free(pids);
				return oci_fail("ps: no PID column in ps output");
			}
			continue;
		}
		for (tok = strtok_r(copy, " \t\n", &save); tok && col < pidcol;
		     tok = strtok_r(NULL, " \t\n", &save))
			col++;
		if (tok && pid_in(atoi(tok), pids, n))
			fputs(line, stdout);
	}
	int status = pclose(f);
	free(pids);
	if (pidcol < 0) /* not even a header: ps(1) is missing or refused its options */
		return oci_fail("ps: %s printed nothing (exit status %d; is procps installed?)",
				cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int oci_cmd_list(int argc, char **argv)
{
	bool json = false, quiet = false;
	struct dirent *e;
	json_t *arr;
	DIR *d;

	if (format_opt(argc, argv, &json, &quiet))
		return 1;
	arr = json_array();
	d = opendir(oci_cli.root);
	while (d && (e = readdir(d))) {
		struct oci_state st;
		enum oci_status s;
		json_t *j;
		if (e->d_name[0] == '.' || state_load(oci_cli.root, e->d_name, &st))
			continue;
		s = state_status(&st);
		j = state_to_json(&st, s);
		json_array_append_new(arr, j);
		state_release(&st);
	}
	if (d)
		closedir(d);
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT);
		printf("%s\n", json_array_size(arr) ? s : "null");
		free(s);
	} else {
		size_t i;
		json_t *j;
		if (!quiet)
			printf("%-12s %-10s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS",
			       "BUNDLE", "CREATED", "OWNER");
		json_array_foreach(arr, i, j)
		{
			if (quiet) {
				printf("%s\n", json_string_value(json_object_get(j, "id")));
				continue;
			}
			printf("%-12s %-10lld %-10s %-40s %-31s %s\n",
			       json_string_value(json_object_get(j, "id")),
			       (long long)json_integer_value(json_object_get(j, "pid")),
			       json_string_value(json_object_get(j, "status")),
			       json_string_value(json_object_get(j, "bundle")),
			       json_string_value(json_object_get(j, "created")),
			       json_string_value(json_object_get(j, "owner")));
		}
	}
	json_decref(arr);
	return 0;
}

int oci_cmd_features(int argc, char **argv)
{
	static const char *const features =
	    "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.1.0\","
	    "\"hooks\":[\"prestart\",\"createRuntime\",\"createContainer\",\"startContainer\","
	    "\"poststart\",\"poststop\"],"
	    "\"mountOptions\":[\"async\",\"atime\",\"bind\",\"defaults\",\"dev\",\"diratime\","
	    "\"dirsync\",\"exec\",\"mand\",\"noatime\",\"nodev\",\"nodiratime\",\"noexec\","
	    "\"nomand\",\"norelatime\",\"nostrictatime\",\"nosuid\",\"private\",\"rbind\","
	    "\"relatime\",\"remount\",\"ro\",\"rprivate\",\"rshared\",\"rslave\","
	    "\"runbindable\",\"rw\",\"shared\",\"slave\",\"strictatime\",\"suid\",\"sync\","
	    "\"unbindable\"],"
	    "\"linux\":{\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\","
	    "\"time\",\"user\",\"uts\"],"
	    "\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false,\"systemdUser\":false},"
	    "\"seccomp\":{\"enabled\":true,\"actions\":[\"SCMP_ACT_ALLOW\",\"SCMP_ACT_ERRNO\","
	    "\"SCMP_ACT_KILL\",\"SCMP_ACT_KILL_PROCESS\",\"SCMP_ACT_KILL_THREAD\","
	    "\"SCMP_ACT_LOG\",\"SCMP_ACT_TRACE\",\"SCMP_ACT_TRAP\"],"
	    "\"operators\":[\"SCMP_CMP_EQ\",\"SCMP_CMP_GE\",\"SCMP_CMP_GT\",\"SCMP_CMP_LE\","
	    "\"SCMP_CMP_LT\",\"SCMP_CMP_MASKED_EQ\",\"SCMP_CMP_NE\"],"
	    "\"archs\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X32\","
	    "\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\",\"SCMP_ARCH_RISCV64\"],"
	    "\"supportedFlags\":[\"SECCOMP_FILTER_FLAG_LOG\","
	    "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\"]},"
	    "\"apparmor\":{\"enabled\":false},\"selinux\":{\"enabled\":false}},"
	    "\"annotations\":{\"org.opencontainers.runc.version\":\"gasang-0.1.0\"}}";
	json_t *j = json_loads(features, 0, NULL);
	char *s = j ? json_dumps(j, JSON_INDENT(4)) : NULL;

	(void)argc;
	(void)argv;
	if (!s)
		return oci_fail("features: internal error");
	printf("%s\n", s);
	free(s);
	json_decref(j);
	return 0;
}

static const char default_spec[] =
    "{\"ociVersion\":\"1.1.0\","
    "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
    "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
    "\"CAP_NET_BIND_SERVICE\"],\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
    "\"CAP_NET_BIND_SERVICE\"],\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
    "\"CAP_NET_BIND_SERVICE\"],\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\","
    "\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"hostname\":\"gasang\","
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
    "\"gid=5\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
    "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
    "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
    "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
    "\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
    "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
    "\"/proc/sysrq-trigger\"]}}";

int oci_cmd_spec(int argc, char **argv)
{
	static const struct option lo[] = {{"bundle", required_argument, 0, 'b'},
					   {"rootless", no_argument, 0, 'r'},
					   {"help", no_argument, 0, 'h'},
					   {0}};
	const char *bundle = ".";
	char path[4096];
	json_t *j;
	char *s;
	int c, r;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+b:h", lo, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			return oci_fail("spec: --rootless is not supported");
		else if (c == 'h') {
			printf("usage: gasang oci spec [--bundle DIR]\n");
			return 0;
		} else
			return 1;
	}
	fmt(path, sizeof(path), "%s/config.json", bundle);
	if (access(path, F_OK) == 0)
		return oci_fail("File %s exists. Remove it first", path);
	j = json_loads(default_spec, 0, NULL);
	s = j ? json_dumps(j, JSON_INDENT(8)) : NULL;
	json_decref(j);
	if (!s)
		return oci_fail("spec: internal error");
	r = state_write_atomic(path, s, strlen(s));
	free(s);
	if (r)
		return oci_fail("spec: writing %s: %s", path, strerror(-r));
	return 0;
}

/* One stats sample in runc's events format (the fields we can read from cgroups). */
static json_t *stats_json(const struct oci_state *st)
{
	char dir[4096], buf[256], path[4200];
	unsigned long long cpu = 0, mem = 0, lim = 0, pids = 0;
	json_t *j;
	FILE *f;

	struct {
		const char *ctrl, *file;
		unsigned long long *dst;
	} v1[] = {
	    {"cpuacct", "cpuacct.usage", &cpu},
	    {"memory", "memory.usage_in_bytes", &mem},
	    {"memory", "memory.limit_in_bytes", &lim},
	    {"pids", "pids.current", &pids},
	};
	bool v2 = cgroup_mode() == CGROUP_V2;

	for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
		const char *file = v1[i].file;
		if (v2) {
			static const char *const v2f[] = {"cpu.stat", "memory.current",
							  "memory.max", "pids.current"};
			file = v2f[i];
		}
		if (cgroup_dir(v2 ? "" : v1[i].ctrl, st->cgroup, dir, sizeof(dir)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (v2 && i == 0) {
			while (fgets(buf, sizeof(buf), f))
				if (sscanf(buf, "usage_usec %llu", v1[i].dst) == 1)
					*v1[i].dst *= 1000;
		} else if (fgets(buf, sizeof(buf), f)) {
			*v1[i].dst = strtoull(buf, NULL, 10);
		}
		fclose(f);
	}
	j = json_pack("{s:s, s:s, s:{s:{s:{s:I}}, s:{s:{s:I, s:I}}, s:{s:I}}}", "type", "stats",
		      "id", st->id, "data", "cpu", "usage", "total", (json_int_t)cpu, "memory",
		      "usage", "usage", (json_int_t)mem, "limit", (json_int_t)lim, "pids",
		      "current", (json_int_t)pids);
	return j;
}

int oci_cmd_events(int argc, char **argv)
{
	static const struct option lo[] = {{"stats", no_argument, 0, 's'},
					   {"interval", required_argument, 0, 'i'},
					   {"help", no_argument, 0, 'h'},
					   {0}};
	bool once = false;
	unsigned interval = 5;
	struct oci_state st;
	int c;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+h", lo, NULL)) != -1) {
		if (c == 's') {
			once = true;
		} else if (c == 'i') {
			char *end;
			double s = strtod(optarg, &end);
			/* "5s", "1s", "500ms" are accepted like Go durations, to the second */
			if (end == optarg || s < 0)
				return oci_fail("events: invalid --interval \"%s\"", optarg);
			interval = !strcmp(end, "ms") ? (unsigned)(s / 1000) : (unsigned)s;
			if (!interval)
				interval = 1;
		} else if (c == 'h') {
			printf(
			    "usage: gasang oci events [--stats] [--interval 5s] <container-id>\n");
			return 0;
		} else {
			return 1;
		}
	}
	if (oci_want_args("events", argc, optind, 1, "events [--stats] <container-id>"))
		return 1;
	if (state_load(oci_cli.root, argv[optind], &st))
		return oci_fail("container \"%s\" does not exist", argv[optind]);
	for (;;) {
		json_t *j;
		char *s;
		if (state_status(&st) == STATUS_STOPPED) {
			state_release(&st);
			return once ? oci_fail("container not running") : 0;
		}
		j = stats_json(&st);
		s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s)
			printf("%s\n", s);
		fflush(stdout);
		free(s);
		json_decref(j);
		if (once)
			break;
		sleep(interval);
	}
	state_release(&st);
	return 0;
}
