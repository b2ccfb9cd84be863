#include "base/log.h"
#include "board/board.h"

int board_x86_run(const struct vm_config *cfg)
{
	(void)cfg;
	log_error("run: the x86_64 board is not built yet");
	return -1;
}
