/* gasang oci create | run. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "cli/oci.h"
#include "oci/fmt.h"
#include "oci/console.h"
#include "oci/container.h"

static pid_t run_child;

static void forward(int sig)
{
	if (run_child > 0)
		kill(run_child, sig);
}

static int parse(int argc, char **argv, const char *cmd, struct create_opts *o, bool *detach)
{
	static const struct option lo[] = {
	    {"bundle", required_argument, 0, 'b'},
	    {"console-socket", required_argument, 0, 'c'},
	    {"pid-file", required_argument, 0, 'p'},
	    {"preserve-fds", required_argument, 0, 'P'},
	    {"no-pivot", no_argument, 0, 'n'},
	    {"no-new-keyring", no_argument, 0, 'k'},
	    {"detach", no_argument, 0, 'd'},
	    {"keep", no_argument, 0, 'K'},
	    {"no-subreaper", no_argument, 0, 'S'},
	    {"help", no_argument, 0, 'h'},
	    {0},
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->console_fd = -1;
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+b:dh", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'P':
			if (parse_u64(optarg, &v) || v > 65536)
				return oci_fail("%s: --preserve-fds: invalid number \"%s\"", cmd,
						optarg);
			o->preserve_fds = (int)v;
			break;
		case 'n':
			o->no_pivot = true;
			break;
		case 'd':
			if (detach) {
				*detach = true;
				break;
			}
			return oci_fail("%s: unknown option --detach", cmd);
		case 'k':
		case 'K':
		case 'S':
			break;
		case 'h':
			printf(
			    "usage: gasang oci %s [--bundle DIR] [--console-socket PATH] "
			    "[--pid-file PATH] [--preserve-fds N] [--no-pivot]%s <container-id>\n",
			    cmd, detach ? " [--detach]" : "");
			return -1;
		default:
			return 1;
		}
	}
	if (oci_want_args(cmd, argc, optind, 1, "<container-id>"))
		return 1;
	o->id = argv[optind];
	o->root = oci_cli.root;
	return 0;
}

int oci_cmd_create(int argc, char **argv)
{
	struct create_opts o;
	struct oci_state st;
	char msg[2048] = "";
	int r = parse(argc, argv, "create", &o, NULL);

	if (r)
		return r < 0 ? 0 : 1;
	if (container_create(&o, &st, msg, sizeof(msg)))
		return oci_fail("%s", msg);
	state_release(&st);
	return 0;
}

int oci_cmd_run(int argc, char **argv)
{
	struct create_opts o;
	struct oci_state st;
	char msg[2048] = "";
	bool detach = false;
	int r = parse(argc, argv, "run", &o, &detach), ws = 0, sync = -1, master = -1;
	int cpair[2] = {-1, -1};

	if (r)
		return r < 0 ? 0 : 1;
	o.sync_out = &sync;
	/* A terminal without --console-socket: we hold the pty master and relay it. */
	if (!detach && !o.console_socket &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cpair) == 0)
		o.console_fd = cpair[1];
	r = container_create(&o, &st, msg, sizeof(msg));
	if (cpair[1] >= 0)
		close(cpair[1]);
	if (r) {
		if (cpair[0] >= 0)
			close(cpair[0]);
		return oci_fail("%s", msg);
	}
	/* The init is our child: forward signals to it while we wait. */
	run_child = st.pid;
	if (!detach)
		for (int sig = 1; sig < 32; sig++)
			if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
				signal(sig, forward);
	if (container_start_sync(&st, sync, msg, sizeof(msg))) {
		container_destroy(&st, msg, sizeof(msg));
		state_release(&st);
		return oci_fail("%s", msg);
	}
	if (detach) {
		state_release(&st);
		return 0;
	}
	if (cpair[0] >= 0) {
		/* The init sent the master only if the process has a terminal. */
		struct pollfd p = {.fd = cpair[0], .events = POLLIN};
		if (poll(&p, 1, 0) == 1 && (master = console_recv_fd(cpair[0])) >= 0) {
			console_proxy(master);
			close(master);
		}
		close(cpair[0]);
	}
	while (waitpid(st.pid, &ws, 0) < 0 && errno == EINTR)
		;
	r = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (container_destroy(&st, msg, sizeof(msg)))
		oci_fail("%s", msg);
	state_release(&st);
	return r;
}
