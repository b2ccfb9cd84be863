/* gasang exec: run a static riscv64 Linux program on this host (a process VM). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/emu/user/uproc.h"
#include "base/util.h"
#include "cli/cli.h"

extern char **environ;

static void exec_usage(FILE *f)
{
	fprintf(f, "usage: gasang exec [options] PROG [ARGS...]\n"
		   "\n"
		   "Runs a static (or static-pie) riscv64 Linux program on the software RISC-V\n"
		   "engine, with its Linux system calls carried out by the host: files, pipes,\n"
		   "processes (fork, execve of riscv64 or host programs), signals, terminals.\n"
		   "\n"
		   "  --argv0 NAME   argv[0] the program sees (default: PROG)\n"
		   "  --strace       log every system call and its result on stderr\n"
		   "  -h, --help     this help\n"
		   "\n"
		   "The exit status is the program's; 128+N when signal N ended it; 126 when PROG\n"
		   "cannot be run (not a riscv64 executable, dynamically linked), 127 when it is\n"
		   "missing.\n");
}

static int exec_fail(const char *what, int err, const char *why)
{
	fprintf(stderr, "gasang: %s: %s\n", what, why ? why : err_str(err));
	return err == -ENOENT ? 127 : 126;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"argv0", required_argument, NULL, 'a'},
	    {"strace", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *argv0 = NULL, *why;
	bool strace = false;
	struct uproc *p;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			argv0 = optarg;
			break;
		case 's':
			strace = true;
			break;
		case 'h':
			exec_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "gasang: exec: bad option (try 'gasang exec --help')\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gasang: exec: no program given (try 'gasang exec --help')\n");
		return 2;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return exec_fail("exec", -ENOMEM, NULL);
	ret = uproc_init(p);
	if (ret) {
		free(p);
		return exec_fail("exec: address space", ret, NULL);
	}
	p->strace = strace;
	ret = uproc_start(p, argv[optind], argv0, argc - optind, argv + optind, environ, &why);
	if (ret) {
		ret = exec_fail(argv[optind], ret, why);
	} else {
		ret = uproc_run(p);
		if (ret < 0)
			ret = exec_fail(argv[optind], ret, "the engine failed");
	}
	uproc_free(p);
	free(p);
	return ret;
}
