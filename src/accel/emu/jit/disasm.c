/* GASANG_JIT_DEBUG=2: every translated block's host code, disassembled with capstone, on
 * stderr ("gasang: jit: <guest pc>: <host address>  <instruction>"). */
#include "accel/emu/jit/disasm.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int level = -1;
static pthread_once_t level_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void level_read(void)
{
	const char *s = getenv("GASANG_JIT_DEBUG");

	level = s ? atoi(s) : 0;
}

bool disasm_enabled(void)
{
	pthread_once(&level_once, level_read);
	return level >= 2;
}

int disasm_block(FILE *out, uint64_t vpc, const uint8_t *code, size_t len)
{
	csh cs;
	cs_insn *insn;
	size_t n;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	n = cs_disasm(cs, code, len, (uint64_t)(uintptr_t)code, 0, &insn);
	pthread_mutex_lock(&out_lock); /* harts translate concurrently: keep blocks whole */
	for (size_t i = 0; i < n; i++)
		fprintf(out, "gasang: jit: %" PRIx64 ": %" PRIx64 "  %s %s\n", vpc, insn[i].address,
			insn[i].mnemonic, insn[i].op_str);
	pthread_mutex_unlock(&out_lock);
	if (n)
		cs_free(insn, n);
	cs_close(&cs);
	return (int)n;
}
