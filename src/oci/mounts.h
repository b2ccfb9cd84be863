/* The container's filesystem: mounts under the rootfs, /dev, pivot_root (or chroot with
 * --no-pivot), masked and read-only paths. Runs in the init, in its mount namespace. */
#ifndef GASANG_OCI_MOUNTS_H
#define GASANG_OCI_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

struct oci_spec;

/* Makes the mount tree private/slave, binds the rootfs and mounts everything under it,
 * including /dev's default devices. userns: devices are bind-mounted, not created. */
/* before_cgroup (may be NULL) runs once before the first "cgroup" mount: the init uses it
 * to wait until it sits in its cgroup and then unshare its cgroup namespace. */
int mounts_setup(const struct oci_spec *spec, const char *rootfs, bool userns,
		 const char *cgroup_path, bool cgroupns, int (*before_cgroup)(void *), void *arg,
		 char *msg, size_t len);
/* Switches root to rootfs. */
int mounts_pivot(const char *rootfs, bool no_pivot, char *msg, size_t len);
/* After pivot: masked paths, read-only paths, read-only root, root propagation. */
int mounts_finalize(const struct oci_spec *spec, char *msg, size_t len);
/* Parses a mount option list into flags and data (exposed for unit tests). */
struct mount_opts {
	unsigned long flags, clear, propagation;
	unsigned long long rattr_set, rattr_clr; /* MOUNT_ATTR_* for rro, rnosuid, ... */
	bool bind, rec;
	char data[1024];
};
void mounts_parse_options(const char *const *opts, size_t n, struct mount_opts *out);

#endif
