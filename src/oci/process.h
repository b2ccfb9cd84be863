/* The container process: rlimits, user and groups, capabilities, no_new_privileges,
 * seccomp, umask, cwd, environment, sysctl, and the final execve. */
#ifndef GASANG_OCI_PROCESS_H
#define GASANG_OCI_PROCESS_H

#include <stddef.h>

struct oci_process;
struct oci_seccomp;
struct oci_spec;

/* Finds args[0] in the PATH of the process environment (inside the container). */
int process_lookup(const struct oci_process *p, char *out, size_t len);
/* Everything up to the exec that may fail visibly: rlimits, seccomp (unless
 * no_new_privileges delays it), groups, uid/gid, capabilities, umask, cwd. */
int process_prepare(const struct oci_process *p, const struct oci_seccomp *sc, char *msg,
		    size_t len);
/* no_new_privileges, delayed seccomp, fd hygiene (fds >= 3 + preserve_fds are closed on
 * exec), then execve. Returns only on failure. */
int process_exec(const struct oci_process *p, const char *path, const struct oci_seccomp *sc,
		 int preserve_fds, char *msg, size_t len);
/* linux.sysctl through /proc/sys. */
int process_sysctl(const struct oci_spec *spec, char *msg, size_t len);

#endif
