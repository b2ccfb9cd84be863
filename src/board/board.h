/* Boards assemble a machine from memory, devices, an accelerator and a loader. Each returns
 * the guest's exit status (>= 0), or -1 after printing one error line. */
#ifndef GASANG_BOARD_BOARD_H
#define GASANG_BOARD_BOARD_H

#include "machine/config.h"

/* x86_64 PC-like board on KVM. */
int board_x86_run(const struct vm_config *cfg);
/* riscv64 board compatible with QEMU's virt, on the software engine. */
int board_riscv_run(const struct vm_config *cfg);

#endif
