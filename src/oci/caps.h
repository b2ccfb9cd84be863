/* Linux capabilities (libcap): names and applying process.capabilities. */
#ifndef GASANG_OCI_CAPS_H
#define GASANG_OCI_CAPS_H

#include <stdint.h>

struct oci_caps;

/* "CAP_SYS_ADMIN" (any case, with or without CAP_) -> number, or -1 when unknown. */
int caps_from_name(const char *name);
/* Drops the bounding set to caps->bounding. Call before changing user ids. 0 or -errno. */
int caps_drop_bounding(const struct oci_caps *caps);
/* Sets effective, permitted, inheritable and ambient sets. Call after changing user ids
 * (with PR_SET_KEEPCAPS). 0 or -errno. */
int caps_apply(const struct oci_caps *caps);
/* Capabilities this host's kernel and our bounding set allow. */
uint64_t caps_available(void);

#endif
