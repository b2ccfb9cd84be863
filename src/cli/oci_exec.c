/* gasang oci exec | update. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"
#include "cli/oci.h"
#include "oci/fmt.h"
#include "oci/cgroup.h"
#include "oci/container.h"

int oci_cmd_exec(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"console-socket", required_argument, 0, 'c'},
	    {"cwd", required_argument, 0, 'w'},
	    {"env", required_argument, 0, 'e'},
	    {"tty", no_argument, 0, 't'},
	    {"user", required_argument, 0, 'u'},
	    {"process", required_argument, 0, 'p'},
	    {"detach", no_argument, 0, 'd'},
	    {"pid-file", required_argument, 0, 'P'},
	    {"preserve-fds", required_argument, 0, 'F'},
	    {"no-new-privs", no_argument, 0, 'N'},
	    {"apparmor", required_argument, 0, 'A'},
	    {"process-label", required_argument, 0, 'L'},
	    {"ignore-paused", no_argument, 0, 'I'},
	    {"help", no_argument, 0, 'h'},
	    {0},
	};
	struct exec_opts o = {.console_fd = -1, .relay = -1};
	int cpair[2] = {-1, -1};
	struct oci_state st;
	char msg[2048] = "";
	char **env = calloc((size_t)argc, sizeof(char *));
	uint64_t v;
	int c, r, status = 0;

	if (!env)
		return oci_fail("exec: out of memory");
	o.env = env;
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+e:tu:p:dw:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.console_socket = optarg;
			break;
		case 'w':
			o.cwd = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=')) {
				free(env);
				return oci_fail("exec: --env %s: expected KEY=VALUE", optarg);
			}
			env[o.nenv++] = optarg;
			break;
		case 't':
			o.tty = o.tty_set = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'p':
			o.process_file = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'P':
			o.pid_file = optarg;
			break;
		case 'F':
			if (parse_u64(optarg, &v) || v > 65536) {
				free(env);
				return oci_fail("exec: --preserve-fds: invalid number \"%s\"",
						optarg);
			}
			o.preserve_fds = (int)v;
			break;
		case 'N':
		case 'A':
		case 'L':
		case 'I':
			break;
		case 'h':
			printf(
			    "usage: gasang oci exec [options] <container-id> <command> [args...]\n"
			    "       gasang oci exec --process FILE [options] <container-id>\n");
			free(env);
			return 0;
		default:
			free(env);
			return 1;
		}
	}
	if (optind >= argc || (!o.process_file && optind + 1 >= argc)) {
		free(env);
		return oci_fail("exec: expected <container-id> <command> [args...] or --process");
	}
	o.args = argv + optind + 1;
	o.nargs = (size_t)(argc - optind - 1);
	r = state_load(oci_cli.root, argv[optind], &st);
	if (r) {
		free(env);
		return oci_fail("container \"%s\" does not exist", argv[optind]);
	}
	/* --tty in the foreground without --console-socket: we relay the pty ourselves. */
	if (o.tty && !o.detach && !o.console_socket &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cpair) == 0) {
		o.console_fd = cpair[1];
		o.relay = cpair[0];
	}
	r = container_exec(&st, &o, &status, msg, sizeof(msg));
	if (cpair[0] >= 0)
		close(cpair[0]);
	if (cpair[1] >= 0)
		close(cpair[1]);
	state_release(&st);
	free(env);
	if (r)
		return oci_fail("%s", msg);
	return status;
}

static int num_opt(const char *name, const char *s, int64_t *out)
{
	uint64_t v;

	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	if (parse_size(s, &v) || v > INT64_MAX)
		return oci_fail("update: --%s: invalid value \"%s\"", name, s);
	*out = (int64_t)v;
	return 0;
}

int oci_cmd_update(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"resources", required_argument, 0, 'r'},
	    {"memory", required_argument, 0, 'm'},
	    {"memory-swap", required_argument, 0, 's'},
	    {"memory-reservation", required_argument, 0, 'R'},
	    {"cpu-shares", required_argument, 0, 'S'},
	    {"cpu-quota", required_argument, 0, 'Q'},
	    {"cpu-period", required_argument, 0, 'E'},
	    {"cpuset-cpus", required_argument, 0, 'C'},
	    {"cpuset-mems", required_argument, 0, 'M'},
	    {"pids-limit", required_argument, 0, 'p'},
	    {"blkio-weight", required_argument, 0, 'b'},
	    {"help", no_argument, 0, 'h'},
	    {0},
	};
	struct oci_spec holder = {0};
	struct oci_resources res;
	struct oci_state st;
	const char *file = NULL;
	char msg[1024] = "", err[512];
	int c, r, idx = 0;

	spec_resources_init(&res);
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+r:h", lo, &idx)) != -1) {
		int64_t *dst = NULL;
		switch (c) {
		case 'r':
			file = optarg;
			continue;
		case 'm':
			dst = &res.mem_limit;
			break;
		case 's':
			dst = &res.mem_swap;
			break;
		case 'R':
			dst = &res.mem_reservation;
			break;
		case 'S':
			dst = &res.cpu_shares;
			break;
		case 'Q':
			dst = &res.cpu_quota;
			break;
		case 'E':
			dst = &res.cpu_period;
			break;
		case 'p':
			dst = &res.pids_limit;
			break;
		case 'b':
			dst = &res.blkio_weight;
			break;
		case 'C':
			res.cpu_cpus = optarg;
			continue;
		case 'M':
			res.cpu_mems = optarg;
			continue;
		case 'h':
			printf(
			    "usage: gasang oci update [-r FILE|-] [--memory N] [--memory-swap N] "
			    "[--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] "
			    "[--cpuset-mems L] [--pids-limit N] [--blkio-weight N] "
			    "<container-id>\n");
			return 0;
		default:
			return 1;
		}
		if (num_opt(lo[idx].name, optarg, dst))
			return 1;
	}
	if (oci_want_args("update", argc, optind, 1, "update [options] <container-id>"))
		return 1;
	if (file) {
		json_error_t je;
		holder.json =
		    !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
		if (!holder.json)
			return oci_fail("update: resources %s: %s", file, je.text);
		if (spec_parse_resources_json(holder.json, &holder, &res, err, sizeof(err))) {
			spec_free(&holder);
			return oci_fail("update: %s", err);
		}
	}
	if (state_load(oci_cli.root, argv[optind], &st)) {
		spec_free(&holder);
		return oci_fail("container \"%s\" does not exist", argv[optind]);
	}
	if (state_status(&st) == STATUS_STOPPED)
		r = oci_fail("container not running");
	else if (cgroup_apply(st.cgroup, &res, msg, sizeof(msg)))
		r = oci_fail("%s", msg);
	else
		r = 0;
	state_release(&st);
	spec_free(&holder);
	return r;
}
