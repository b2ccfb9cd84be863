/* GASANG_JIT_DEBUG=2: every translated block's host code, disassembled with capstone, on
 * stderr ("gasang: jit: <guest pc>: <host address>  <instruction>"). capstone is loaded with
 * dlopen() on first use: linked in, its relocations alone cost every gasang process ~3 MiB of
 * RSS (bench/kvm-host.sh's VMM overhead), for a tool only this debug flag uses. */
#include "accel/emu/jit/disasm.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
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

static struct {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	size_t (*disasm)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
	bool ok;
} cs_api;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void cs_load(void)
{
	void *lib = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		lib = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "gasang: jit: cannot load capstone for GASANG_JIT_DEBUG=2: %s\n",
			dlerror());
		return;
	}
	*(void **)&cs_api.open = dlsym(lib, "cs_open");
	*(void **)&cs_api.disasm = dlsym(lib, "cs_disasm");
	*(void **)&cs_api.free = dlsym(lib, "cs_free");
	*(void **)&cs_api.close = dlsym(lib, "cs_close");
	cs_api.ok = cs_api.open && cs_api.disasm && cs_api.free && cs_api.close;
	if (!cs_api.ok)
		fprintf(stderr, "gasang: jit: capstone lacks cs_open/cs_disasm/cs_free/cs_close\n");
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

	pthread_once(&cs_once, cs_load);
	if (!cs_api.ok || cs_api.open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	n = cs_api.disasm(cs, code, len, (uint64_t)(uintptr_t)code, 0, &insn);
	pthread_mutex_lock(&out_lock); /* harts translate concurrently: keep blocks whole */
	for (size_t i = 0; i < n; i++)
		fprintf(out, "gasang: jit: %" PRIx64 ": %" PRIx64 "  %s %s\n", vpc, insn[i].address,
			insn[i].mnemonic, insn[i].op_str);
	pthread_mutex_unlock(&out_lock);
	if (n)
		cs_api.free(insn, n);
	cs_api.close(&cs);
	return (int)n;
}
