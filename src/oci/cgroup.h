/* cgroups v1, v2 and the hybrid layout (v1 controllers plus a cgroup2 mount), found in
 * /proc/self/mountinfo. A container's cgroup is one path applied in every hierarchy. */
#ifndef GASANG_OCI_CGROUP_H
#define GASANG_OCI_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct oci_resources;

enum cgroup_mode { CGROUP_V1, CGROUP_HYBRID, CGROUP_V2 };

enum cgroup_mode cgroup_mode(void);
/* Resolves linux.cgroupsPath (relative paths are taken under our own cgroup; empty means
 * "/<id>") into an absolute cgroup path. -EOPNOTSUPP for systemd "slice:prefix:name". */
int cgroup_resolve(const char *spec_path, const char *id, char *out, size_t len);
/* Creates the cgroup in every hierarchy and applies resources. msg explains failures. */
int cgroup_create(const char *path, const struct oci_resources *res, char *msg, size_t msglen);
int cgroup_apply(const char *path, const struct oci_resources *res, char *msg, size_t msglen);
int cgroup_add_pid(const char *path, pid_t pid);
/* Moves the calling (single-threaded) process into path in every v1 hierarchy. */
int cgroup_attach_self_v1(const char *path);
/* O_PATH fd of path in the v2 (or hybrid's cgroup2) hierarchy, for CLONE_INTO_CGROUP. */
int cgroup_open_v2(const char *path);
/* Writes pid into path's cgroup.procs in the v2 hierarchy only (0 when there is none). */
int cgroup_add_pid_v2(const char *path, pid_t pid);
/* The pids in the container's cgroup (malloc'd array). */
int cgroup_pids(const char *path, pid_t **pids, size_t *n);
int cgroup_freeze(const char *path, bool freeze);
bool cgroup_frozen(const char *path);
/* Removes the cgroup everywhere (waits briefly for exiting tasks). */
int cgroup_destroy(const char *path);
/* Directory of a hierarchy holding controller ctrl ("memory", "" = unified), or -ENOENT. */
int cgroup_dir(const char *ctrl, const char *path, char *out, size_t len);

#endif
