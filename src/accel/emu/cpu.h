/* The software engine's RISC-V hart (RV64IMAFDC, Zicsr, Zifencei, M/S/U, Sv39/Sv48, Sstc).
 *
 * This header is the contract between the CPU core (decode/interp/mmu/csr/trap, owned by
 * accel/emu), the FPU (fpu.c) and the riscv64 board (CLINT, PLIC, SBI, loaders in board/ and
 * accel/emu/{clint,plic,sbi}.c). Fields may be added; the meaning of these stays. */
#ifndef GASANG_ACCEL_EMU_CPU_H
#define GASANG_ACCEL_EMU_CPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct vcpu;
struct hart;

enum rv_priv { PRV_U = 0, PRV_S = 1, PRV_M = 3 };

/* Exception causes (mcause without the interrupt bit). */
enum rv_exc {
	EXC_INSN_MISALIGNED = 0,
	EXC_INSN_ACCESS = 1,
	EXC_ILLEGAL_INSN = 2,
	EXC_BREAKPOINT = 3,
	EXC_LOAD_MISALIGNED = 4,
	EXC_LOAD_ACCESS = 5,
	EXC_STORE_MISALIGNED = 6,
	EXC_STORE_ACCESS = 7,
	EXC_ECALL_U = 8,
	EXC_ECALL_S = 9,
	EXC_ECALL_M = 11,
	EXC_INSN_PAGE_FAULT = 12,
	EXC_LOAD_PAGE_FAULT = 13,
	EXC_STORE_PAGE_FAULT = 15,
};

/* Interrupt numbers: bit positions in mip/mie. */
enum rv_irq {
	IRQ_S_SOFT = 1,
	IRQ_M_SOFT = 3,
	IRQ_S_TIMER = 5,
	IRQ_M_TIMER = 7,
	IRQ_S_EXT = 9,
	IRQ_M_EXT = 11,
};

/* What the board provides to its harts. */
struct rv_platform {
	struct machine *m; /* guest RAM (m->mem) and MMIO bus (m->mmio) */
	uint64_t timebase_hz; /* mtime frequency; 10 MHz like QEMU's virt */
	uint64_t time_origin_ns; /* host monotonic ns at which mtime was 0 */
	/* Called for an ECALL from S-mode when no M-mode firmware runs (Linux boot): the host
	 * implements SBI. Returns true when handled (a0/a1 set; pc advanced by the core). NULL
	 * means ECALLs trap normally (bare-metal --elf mode). */
	bool (*sbi_call)(struct hart *h);
	/* riscv64 --elf mode: HTIF tohost physical address, 0 when absent. Stores there are
	 * reported to htif_write(). */
	uint64_t tohost_pa;
	void (*htif_write)(struct hart *h, uint64_t val);
	/* Process VM (gasang exec): called for every synchronous exception raised in U-mode
	 * (ECALL_U included) instead of taking the trap. h->pc is the pc of the instruction
	 * that raised it; a handler returning true has set h->pc (pc + 4 after an ECALL) and the
	 * core continues there. NULL, or false returned: the trap is taken normally. */
	bool (*user_trap)(struct hart *h, unsigned cause, uint64_t tval);
	/* Set by the process VM: loads never go through page tables or MPRV (U-mode, satp Bare,
	 * for good), so the translator may address the single RAM region directly. */
	bool flat_loads;
	unsigned nharts;
	struct hart **harts;
	void *sbi; /* the host SBI's state (accel/emu/sbi.c), used by sbi_call */
};

struct hart {
	/* Architectural state. */
	uint64_t x[32]; /* x[0] is kept 0 */
	uint64_t pc;
	uint64_t f[32]; /* NaN-boxed when holding single precision */
	uint32_t fflags; /* fcsr[4:0] */
	uint32_t frm;    /* fcsr[7:5] */
	unsigned priv;   /* enum rv_priv */
	uint64_t hartid;

	/* CSRs (machine) */
	uint64_t mstatus, misa, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause, mtval;
	uint64_t mcounteren, menvcfg, mcountinhibit;
	/* mip is written by other threads (CLINT, PLIC, IPIs): always through hart_set_irq(). */
	uint64_t mip;
	/* CSRs (supervisor) */
	uint64_t stvec, sscratch, sepc, scause, stval, satp, scounteren, senvcfg;
	uint64_t stimecmp; /* Sstc; the SBI timer also lands here */
	uint64_t mtimecmp; /* the CLINT's compare register for this hart */
	uint64_t instret, cycle;

	/* LR/SC reservation (physical address), valid flag. */
	uint64_t lr_pa;
	bool lr_valid;

	/* Set by another thread to make the hart leave its inner loop soon (interrupt, stop). */
	int kick;
	/* WFI sleeps here until an interrupt is pending, a timer fires or the machine stops. */
	pthread_mutex_t wfi_lock;
	pthread_cond_t wfi_cond;

	struct rv_platform *plat;
	struct vcpu *vcpu; /* owner; stats go to vcpu->stats */

	/* Added by the core (additive): */
	/* Nonzero while the hart is stopped (SBI HSM): hart_run() waits on wfi_cond instead of
	 * executing. Whoever clears it (after hart_reset()) calls hart_kick(). */
	int halted;
	/* Set by hart_remote_flush(); cleared by the hart once its TLB has been flushed. */
	int flush_pending;
	void *core; /* the core's private state (TLBs, fetch window, translation cache) */
};

/* Timers (owned by the core): the core computes mip.MTIP as rv_mtime() >= mtimecmp and
 * mip.STIP as rv_mtime() >= stimecmp, at least every few thousand instructions and while in
 * WFI. STIP follows stimecmp when menvcfg.STCE is set (Sstc) or in host-SBI mode (below: the
 * host SBI's set_timer writes h->stimecmp then calls hart_kick(h)); otherwise mip.STIP is a
 * plain bit M-mode software may write. The CLINT writes h->mtimecmp then calls hart_kick(h).
 * Reset values of both compare registers are UINT64_MAX (never).
 *
 * Host-SBI mode (plat->sbi_call != NULL and hart_reset() to a privilege below M, or from the
 * first ECALL sbi_call() answered; a reset to M-mode means the guest is its own firmware):
 * hart_reset() to S/U also sets what firmware would: medeleg
 * delegates every delegable exception except ECALL_S/ECALL_M, mideleg = SSIP|STIP|SEIP,
 * menvcfg.STCE = 1, mcounteren = 7 (cycle, time, instret readable below M).
 *
 * Statistics: the core counts into h->vcpu->stats (when h->vcpu is set) with ids below
 * RV_STATS_BOARD_BASE: exceptions "exc:<name>", interrupts "irq:<name>". The board uses ids
 * from RV_STATS_BOARD_BASE up (e.g. "sbi:..."). */
#define RV_STATS_BOARD_BASE 32

/* Current value of mtime, derived from the host clock. */
uint64_t rv_mtime(const struct rv_platform *p);

/* Sets or clears an interrupt-pending bit (enum rv_irq) in mip from any thread, and wakes the
 * hart if it is waiting in WFI. */
void hart_set_irq(struct hart *h, unsigned irq, bool level);
/* Makes the hart leave its inner loop and look at interrupts / machine state. */
void hart_kick(struct hart *h);

/* Core API (accel/emu). */
int hart_init(struct hart *h, struct rv_platform *p, uint64_t hartid);
void hart_free(struct hart *h);
/* Resets to privilege prv at pc. */
void hart_reset(struct hart *h, unsigned prv, uint64_t pc);
/* Executes until the machine stops. Returns 0, or -1 after reporting a fatal condition. */
int hart_run(struct hart *h);
/* Executes at most n instructions (fewer on WFI or kick); for tests. Returns executed count. */
uint64_t hart_step(struct hart *h, uint64_t n);

/* Raises a synchronous exception: the core takes the trap (delegation, xepc, xtval...)
 * before the next instruction. Used by fpu.c and by the core itself. */
void hart_raise(struct hart *h, unsigned cause, uint64_t tval);
/* Virtual-memory loads and stores with the current privilege/translation (used by fpu.c for
 * FLW/FLD/FSW/FSD). size is 1, 2, 4 or 8. Return false after raising the exception. */
bool hart_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val);
bool hart_store(struct hart *h, uint64_t va, unsigned size, uint64_t val);
/* Flushes the hart's TLB and fetch window / translation cache (sfence.vma, satp writes).
 * Only from the hart's own thread. */
void hart_flush_tlb(struct hart *h);
/* From another thread (SBI RFENCE): asks h to flush its TLB at its next check point (within
 * a few instructions, or on waking from WFI) and kicks it. The caller may wait for
 * __atomic_load_n(&h->flush_pending, __ATOMIC_ACQUIRE) == 0 (not while h is halted). */
void hart_remote_flush(struct hart *h);
/* Selects the binary translator (on) or the interpreter alone (off) for this hart; from the
 * hart's own thread, outside hart_run(). Returns 0 or -errno (no executable memory). */
int hart_use_jit(struct hart *h, bool on);
/* Drops all translated code of this hart (the host wrote guest code, e.g. a new mapping in
 * the process VM). Any thread of the hart's own. */
void hart_flush_code(struct hart *h);
/* Prints pc, privilege, the integer registers and trap CSRs. */
void hart_dump(const struct hart *h, FILE *f);

/* FPU (fpu.c): executes one 32-bit F/D instruction (opcodes LOAD-FP 0x07, STORE-FP 0x27,
 * FMADD 0x43, FMSUB 0x47, FNMSUB 0x4b, FNMADD 0x4f, OP-FP 0x53); compressed FP loads/stores
 * are expanded to these by the decoder first. The caller has checked mstatus.FS != Off.
 * Returns true when executed (the caller advances pc and marks FS dirty), false when an
 * exception was raised through hart_raise() (illegal encoding or rounding mode, memory fault). */
bool fpu_exec(struct hart *h, uint32_t insn);

/* The accelerator ops of the software engine. The board allocates the harts, calls
 * hart_init()/hart_reset(), sets vcpu->priv = hart and hart->vcpu = vcpu before
 * machine_run(), and calls hart_free() after it; vcpu_run runs hart_run(vcpu->priv). */
extern const struct accel_ops emu_accel_ops;
extern const struct accel_ops emu_interp_accel_ops;

#endif
