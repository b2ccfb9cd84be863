/* MP table (Intel MultiProcessor Specification 1.4) for the x86 board. */
#ifndef GASANG_BOOT_MPTABLE_H
#define GASANG_BOOT_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

struct machine;

size_t mptable_size(unsigned ncpus);
/* Writes the floating pointer and configuration table at gpa. Returns 0 or -EFAULT. */
int mptable_write(struct machine *m, uint64_t gpa);

#endif
