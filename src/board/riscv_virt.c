#include "base/log.h"
#include "board/board.h"

int board_riscv_run(const struct vm_config *cfg)
{
	(void)cfg;
	log_error("run: the riscv64 board is not built yet");
	return -1;
}
