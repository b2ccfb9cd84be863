/* gasang oci: runc's command line. Shared state of the oci subcommands. */
#ifndef GASANG_CLI_OCI_H
#define GASANG_CLI_OCI_H

#include <stdbool.h>

struct oci_cli {
	const char *root;
	const char *log;
	bool log_json;
	bool debug;
	bool systemd_cgroup;
};

extern struct oci_cli oci_cli;

/* Prints "gasang: <msg>" on stderr (and to --log) and returns 1, runc's failure status. */
int oci_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exactly n positional arguments after the options, else a usage error. */
int oci_want_args(const char *cmd, int argc, int optind_, int n, const char *usage);

int oci_cmd_create(int argc, char **argv);
int oci_cmd_run(int argc, char **argv);
int oci_cmd_exec(int argc, char **argv);
int oci_cmd_update(int argc, char **argv);
int oci_cmd_ps(int argc, char **argv);
int oci_cmd_list(int argc, char **argv);
int oci_cmd_features(int argc, char **argv);
int oci_cmd_spec(int argc, char **argv);
int oci_cmd_events(int argc, char **argv);

#endif
