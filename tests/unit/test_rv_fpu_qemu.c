/* Differential test of the F/D unit against a reference RISC-V implementation: builds
 * tests/guests/riscv/fpu_vectors.c with riscv64-linux-gnu-gcc, runs it under qemu-riscv64 (user
 * mode), and executes every instruction it reports on a gasang hart with the same operands and
 * frm, comparing the destination register and fflags bit for bit. Nothing is stored: the
 * vectors are generated at test time. Exits 77 (skip) when the cross compiler or qemu-user are
 * missing.
 *
 * Usage: test_rv_fpu_qemu path/to/fpu_vectors.c [rounds [seed]] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/emu/cpu.h"
#include "machine/machine.h"

#define RAM_BASE 0x80000000ull

static bool have_tool(const char *cmd)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s --version >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

/* Whether the instruction writes x10 (compares, FCVT to integer, FMV.X, FCLASS). */
static bool int_dest(uint32_t insn)
{
	unsigned funct5 = insn >> 27;
	return (insn & 0x7f) == 0x53 && (funct5 == 0x14 || funct5 == 0x18 || funct5 == 0x1c);
}

static const char *insn_name(uint32_t insn)
{
	static const char *const names[32] = {
	    [0x00] = "fadd",	    [0x01] = "fsub",	      [0x02] = "fmul",
	    [0x03] = "fdiv",	    [0x04] = "fsgnj",	      [0x05] = "fminmax",
	    [0x08] = "fcvt.ff",	    [0x0b] = "fsqrt",	      [0x14] = "fcmp",
	    [0x18] = "fcvt.to_int", [0x1a] = "fcvt.from_int", [0x1c] = "fmv.x/fclass",
	    [0x1e] = "fmv.f.x",
	};
	switch (insn & 0x7f) {
	case 0x43:
		return "fmadd";
	case 0x47:
		return "fmsub";
	case 0x4b:
		return "fnmsub";
	case 0x4f:
		return "fnmadd";
	}
	const char *n = names[insn >> 27];
	return n ? n : "?";
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s fpu_vectors.c [rounds [seed]]\n", argv[0]);
		return 2;
	}
	const char *rounds = argc > 2 ? argv[2] : "300", *seed = argc > 3 ? argv[3] : "";
	if (!have_tool("riscv64-linux-gnu-gcc") || !have_tool("qemu-riscv64")) {
		printf("SKIP: riscv64-linux-gnu-gcc or qemu-riscv64 (Debian gcc-riscv64-linux-gnu, "
		       "qemu-user) missing\n");
		return 77;
	}
	char dir[] = "/tmp/gasang-fpu-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "riscv64-linux-gnu-gcc -O2 -static -o %s/fpu_vectors %s", dir,
		 argv[1]);
	if (system(cmd) != 0) {
		printf("SKIP: cannot build a static riscv64 program (libc6-dev-riscv64-cross?)\n");
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		return system(cmd) == 0 ? 77 : 77;
	}
	snprintf(cmd, sizeof(cmd), "qemu-riscv64 %s/fpu_vectors %s %s", dir, rounds, seed);
	FILE *in = popen(cmd, "r");
	if (!in) {
		perror("popen");
		return 1;
	}

	struct machine m = {0};
	struct rv_platform plat = {.m = &m, .timebase_hz = 10000000};
	struct hart h;
	if (gmem_add_ram(&m.mem, RAM_BASE, 0x10000) || hart_init(&h, &plat, 0))
		return 1;
	bus_init(&m.mmio, "mmio");
	hart_reset(&h, PRV_M, RAM_BASE);

	char line[512];
	unsigned long n = 0, bad = 0;
	while (fgets(line, sizeof(line), in)) {
		uint32_t insn;
		unsigned frm;
		uint64_t f1, f2, f3, x11, f0, x10, fl;
		if (sscanf(line,
			   "%" SCNx32 " %u %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64
			   " %" SCNx64 " %" SCNx64,
			   &insn, &frm, &f1, &f2, &f3, &x11, &f0, &x10, &fl) != 9) {
			fprintf(stderr, "bad line: %s", line);
			bad++;
			continue;
		}
		h.f[0] = 0x5555;
		h.f[1] = f1;
		h.f[2] = f2;
		h.f[3] = f3;
		h.x[10] = 0x5555;
		h.x[11] = x11;
		h.frm = frm;
		/* Every other vector starts from some sticky flags already set (fflags accumulates:
		 * the result must be those | the reference's), which exercises the host path's
		 * shortcut of not clearing MXCSR flags that fflags already holds. */
		uint32_t pre = n & 1 ? (uint32_t)(n * 0x9e3779b1u >> 27) : 0;
		h.fflags = pre;
		h.pc = RAM_BASE;
		n++;
		bool ok = fpu_exec(&h, insn);
		uint64_t want = int_dest(insn) ? x10 : f0;
		uint64_t got = int_dest(insn) ? h.x[10] : h.f[0];
		if (ok && got == want && h.fflags == (pre | fl))
			continue;
		if (bad++ < 30)
			fprintf(stderr,
				"MISMATCH %-13s insn %08x rm %u frm %u pre %02x a %016" PRIx64
				" b %016" PRIx64 " c %016" PRIx64 " x %016" PRIx64
				": qemu %016" PRIx64 "/%02" PRIx64 ", gasang %016" PRIx64
				"/%02x%s\n",
				insn_name(insn), insn, (insn >> 12) & 7, frm, pre, f1, f2, f3, x11,
				want, fl, got, h.fflags, ok ? "" : " (trapped)");
	}
	int st = pclose(in);
	hart_free(&h);
	bus_free(&m.mmio);
	gmem_free(&m.mem);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);

	if (st != 0 || n < 1000) {
		fprintf(stderr, "qemu-riscv64 run failed (status %d) after %lu vectors\n", st, n);
		return 1;
	}
	printf("%lu vectors compared with qemu-riscv64, %lu mismatches\n", n, bad);
	return bad ? 1 : 0;
}
