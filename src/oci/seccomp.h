/* seccomp filters from linux.seccomp, built with libseccomp. */
#ifndef GASANG_OCI_SECCOMP_H
#define GASANG_OCI_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

struct oci_seccomp;

/* "SCMP_ACT_ERRNO" + errno (-1: EPERM) -> libseccomp action. 0 or -EINVAL. */
int seccomp_parse_action(const char *name, int64_t errno_ret, uint32_t *out);
/* "SCMP_ARCH_X86_64" -> libseccomp arch token. 0, or -EINVAL when unknown or unsupported. */
int seccomp_parse_arch(const char *name, uint32_t *out);
/* 0 when the name is a valid OCI architecture (even if libseccomp cannot use it). */
int seccomp_arch_known(const char *name);
/* "SCMP_CMP_EQ" -> enum scmp_compare, or -1. */
int seccomp_parse_op(const char *name);
/* Builds and loads the filter into the calling thread. 0 or -errno; msg gets details. */
int seccomp_apply(const struct oci_seccomp *sc, char *msg, size_t msglen);

#endif
