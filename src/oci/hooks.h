/* OCI hooks: each gets the container state JSON on stdin. */
#ifndef GASANG_OCI_HOOKS_H
#define GASANG_OCI_HOOKS_H

#include <stddef.h>

struct oci_hook;

/* Runs hooks in order; stops at the first failure (non-zero exit or timeout). */
int hooks_run(const struct oci_hook *hooks, size_t n, const char *state_json, char *msg,
	      size_t len);

#endif
