/* Subcommands. Each returns the process exit status. */
#ifndef GASANG_CLI_CLI_H
#define GASANG_CLI_CLI_H

int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_oci(int argc, char **argv);

struct vm_config;
/* Parses "gasang run" options; 0 ok, 1 after --help, -1 after an error line. */
int run_parse_args(int argc, char **argv, struct vm_config *cfg);

#endif
