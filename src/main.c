/* gasang: the subcommand table. Each subcommand lives in src/cli/<name>.c. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"run", cmd_run, "boot a virtual machine (KVM or the software RISC-V engine)"},
	{"exec", cmd_exec, "run a static riscv64 Linux program on this host (process VM)"},
	{"oci", cmd_oci, "OCI container runtime with runc's command line (also: gasang-oci)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gasang <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'gasang <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/');

	launch_time_init();
	signal(SIGPIPE, SIG_IGN);
	prog = prog ? prog + 1 : argv[0];
	if (!strcmp(prog, "gasang-oci"))
		return cmd_oci(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("gasang 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "gasang: unknown command '%s' (try 'gasang --help')\n", argv[1]);
	return 2;
}
