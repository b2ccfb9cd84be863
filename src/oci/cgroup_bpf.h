/* Device rules on cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE built
 * from linux.resources.devices (plus the default devices every container gets). */
#ifndef GASANG_OCI_CGROUP_BPF_H
#define GASANG_OCI_CGROUP_BPF_H

#include <stddef.h>
#include <stdint.h>

struct oci_dev_rule;

struct bpf_insn;

/* Builds the program into insns (capacity cap); returns the instruction count or -E2BIG. */
int cgroup_bpf_build(const struct oci_dev_rule *rules, size_t n, struct bpf_insn *insns,
		     size_t cap);
/* Loads the program and attaches it to the cgroup2 directory dir. 0 or -errno. */
int cgroup_bpf_attach(const char *dir, const struct oci_dev_rule *rules, size_t n);

#endif
