/* Namespaces: clone flags for new ones, setns for joined ones, id maps, time offsets. */
#ifndef GASANG_OCI_NS_H
#define GASANG_OCI_NS_H

#include <stddef.h>
#include <sys/types.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct oci_spec;

/* Flags for clone(): namespaces to create without a path. The cgroup namespace is left out
 * (the init unshares it once it sits in its cgroup), and so is the time namespace
 * (unshared by the parent, see ns_prepare_parent). */
int ns_clone_flags(const struct oci_spec *spec);
/* In the parent before clone: joins pid/time namespaces given by path (they apply to
 * children) and unshares a new time namespace with its offsets. */
int ns_prepare_parent(const struct oci_spec *spec, char *msg, size_t len);
/* In the child: joins the namespaces given by path (user first). */
int ns_join_paths(const struct oci_spec *spec, char *msg, size_t len);
/* In the parent: writes uid_map/gid_map of the child. */
int ns_write_idmaps(const struct oci_spec *spec, pid_t pid, char *msg, size_t len);
/* Joins every namespace of pid that differs from ours (for exec). Returns the set joined. */
int ns_join_pid(pid_t pid, int *joined, char *msg, size_t len);

#endif
