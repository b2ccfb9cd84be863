/* Container lifecycle: create (the init blocks on the exec fifo), start, kill, delete, and
 * exec into a running container. The CLI in src/cli/oci*.c is a thin layer over this. */
#ifndef GASANG_OCI_CONTAINER_H
#define GASANG_OCI_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "oci/state.h"

struct create_opts {
	const char *root, *id, *bundle, *pid_file, *console_socket;
	int preserve_fds;
	bool no_pivot;
	/* run: no exec fifo; the init waits for container_start_sync() on *sync_out. */
	int *sync_out;
	/* run --tty without --console-socket: our end of a socketpair (-1: none). */
	int console_fd;
};

struct exec_opts {
	const char *console_socket, *pid_file, *process_file, *cwd, *user;
	char **env;
	size_t nenv;
	char **args;
	size_t nargs;
	bool tty, tty_set, detach;
	int preserve_fds;
	int console_fd; /* as in create_opts (-1: none) */
	int relay;	/* our end of that socketpair: receive the master and relay it */
};

/* Creates the container; on success st describes it and its init waits for start. */
int container_create(const struct create_opts *o, struct oci_state *st, char *msg, size_t len);
int container_start(struct oci_state *st, char *msg, size_t len);
/* Starts a container created with create_opts.sync_out (closes sync). */
int container_start_sync(struct oci_state *st, int sync, char *msg, size_t len);
int container_kill(struct oci_state *st, int sig, bool all, char *msg, size_t len);
/* Deletes a container. force kills a running one; not-found is an error unless force. */
int container_delete(const char *root, const char *id, bool force, char *msg, size_t len);
/* Kills what is left, runs poststop hooks, removes the cgroup and the state. */
int container_destroy(struct oci_state *st, char *msg, size_t len);
/* Parses the config.json saved with the container. */
int container_spec(const struct oci_state *st, struct oci_spec *spec, char *msg, size_t len);
/* Runs a process in the container; *status gets its exit status (foreground). */
int container_exec(struct oci_state *st, const struct exec_opts *o, int *status, char *msg,
		   size_t len);
/* Writes a pid file atomically (relative paths are relative to the current directory). */
int container_write_pidfile(int dirfd, const char *path, pid_t pid);
/* Waits (polling /proc) until pid is gone or a zombie; true if it went away. */
bool container_wait_gone(pid_t pid, uint64_t start, int timeout_ms);

#endif
