/* The process VM: one riscv64 Linux process (gasang exec) on the software engine's hart.
 *
 * The guest address space is flat and untranslated: a single guest_mem region covers every
 * address the program may use (its segments, brk heap, mmap area, stack), guest virtual ==
 * guest "physical", and the hart runs in U-mode with satp = Bare. Page 0..UPROC_BASE stays
 * unbacked so that NULL dereferences fault. Every guest pointer a syscall receives is checked
 * against that region (uproc_ptr) before a host syscall sees it. */
#ifndef GASANG_ACCEL_EMU_USER_UPROC_H
#define GASANG_ACCEL_EMU_USER_UPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/emu/cpu.h"
#include "machine/machine.h"

#define UPROC_PAGE	 4096ULL
#define UPROC_BASE	 0x10000ULL	 /* lowest mappable guest address */
#define UPROC_TOP	 0x1000000000ULL /* 64 GiB: end of the guest address space */
#define UPROC_STACK_SIZE (8ULL << 20)	 /* main stack, below UPROC_TOP */
#define UPROC_SIGPAGE	 (UPROC_TOP - UPROC_STACK_SIZE - 2 * UPROC_PAGE) /* sigreturn code */
#define UPROC_MMAP_TOP	 (UPROC_SIGPAGE - 16 * UPROC_PAGE) /* mmap grows down from here */
#define UPROC_PIE_BASE	 0x100000000ULL			   /* load bias for static-pie programs */
#define UPROC_MAX_VMAS	 8192
#define UPROC_NSIG	 64

/* A used range of the guest address space, [start, end), page aligned. */
struct uvma {
	uint64_t start, end;
};

/* Guest sigaction, riscv64 layout (no sa_restorer on riscv). */
struct usigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t mask;
};

/* One thread of the program: a hart and the per-thread half of the Linux state. */
struct uthread {
	struct hart hart;
	struct uproc *proc;
	bool hart_ready;
	int tid;

	/* Signals. */
	uint64_t sigmask;		   /* blocked signals, bit (sig - 1) */
	uint64_t pending;		   /* raised by the thread itself or by faults */
	uint64_t host_pending;		   /* recorded by the host handler on this thread */
	uint64_t ss_sp, ss_size, ss_flags; /* sigaltstack */
	uint64_t suspend_mask;		   /* mask to restore after rt_sigsuspend's handler */
	bool suspend_active;
	uint64_t fault_addr[UPROC_NSIG + 1];
	/* The last syscall, for SA_RESTART: its pc and original a0. */
	bool sys_interrupted;
	uint64_t sys_pc, sys_a0;

	/* Set by the syscall that must not write a0 (rt_sigreturn, exit). */
	bool no_ret;
	uint64_t cur_nr; /* the syscall being handled */
	uint64_t clear_child_tid;
	bool exited; /* this thread called exit */
};

struct uproc {
	struct machine m; /* only m.mem (and an empty m.mmio) are used */
	struct rv_platform plat;
	struct uthread main; /* the thread that started the program */
	/* Serialises the syscalls that change process-wide state (address space, signal
	 * actions) once the program has several threads. */
	pthread_mutex_t lock;
	unsigned nthreads; /* atomic; a futex word */

	/* Program image. */
	char exe[4096];	   /* absolute path of the guest program (/proc/self/exe) */
	char gasang[4096]; /* absolute path of the gasang binary, for execve */
	uint64_t entry, phdr, phnum, load_bias;
	uint64_t brk_start, brk_cur;

	struct uvma vma[UPROC_MAX_VMAS]; /* sorted, non-overlapping */
	unsigned nvma;

	struct usigaction sa[UPROC_NSIG + 1];
	int vfork_fd; /* write end held by a vfork child until it execs or exits, or -1 */

	bool exited;
	int exit_code; /* exit_group status, or 128 + signal */
	int exit_sig;  /* non-zero when killed by a signal */

	/* Called after the address space changed (mmap, munmap, brk, execve): flush the hart's
	 * cached translations. NULL in unit tests. */
	void (*mem_changed)(struct uproc *p);
	uint64_t nsyscalls;
	bool strace; /* log every syscall and its result on stderr (gasang exec --strace) */
};

/* The calling host thread's guest thread: the one running on this host thread, else (unit
 * tests, start-up) the main thread. */
struct uthread *uthread_self(struct uproc *p);
void uthread_set_current(struct uthread *t);

/* Lifetime. uproc_init reserves the address space; uproc_free releases everything. */
int uproc_init(struct uproc *p);
void uproc_free(struct uproc *p);

/* Bounds-checked guest access: a host pointer for [gva, gva+len) or NULL. */
void *uproc_ptr(struct uproc *p, uint64_t gva, uint64_t len);
int uproc_read(struct uproc *p, uint64_t gva, void *dst, uint64_t len);
int uproc_write(struct uproc *p, uint64_t gva, const void *src, uint64_t len);
/* Copies a NUL-terminated guest string of at most size - 1 bytes into buf.
 * Returns its length, -EFAULT or -ENAMETOOLONG. */
long uproc_strcpy(struct uproc *p, uint64_t gva, char *buf, size_t size);

/* Address-space bookkeeping (syscall_mm.c). */
int uproc_vma_add(struct uproc *p, uint64_t start, uint64_t end);
int uproc_vma_remove(struct uproc *p, uint64_t start, uint64_t end);
bool uproc_vma_free(const struct uproc *p, uint64_t start, uint64_t end);
/* Highest free gap of len bytes below top (top-down first fit), 0 when none. */
uint64_t uproc_vma_find(const struct uproc *p, uint64_t len, uint64_t top);
/* Replaces [start, end) with fresh zero pages (host side: a new anonymous mapping). */
int uproc_zero_pages(struct uproc *p, uint64_t start, uint64_t end);

/* ELF loading (elf_user.c). On failure *why names the problem in words. */
int uproc_load_elf(struct uproc *p, const char *path, const char **why);
/* Checks whether path is a riscv64 ELF gasang can run (for execve). */
bool uproc_is_riscv_elf(const char *path);

/* Initial stack (stack.c): argv, envp and auxv as Linux lays them out. Sets hart sp. */
int uproc_build_stack(struct uproc *p, int argc, char *const argv[], char *const envp[],
		      const char *execfn, uint64_t *sp_out);

/* Syscalls (syscall.c). Handles the ECALL at h->pc: reads a7/a0..a5, writes a0. */
void uproc_syscall(struct uproc *p);
/* The guest-visible result of one syscall number with its six arguments. */
int64_t uproc_syscall_dispatch(struct uproc *p, uint64_t nr, const uint64_t a[6]);

/* Signals (signal.c). */
int uproc_signals_init(struct uproc *p);
/* Raises a synchronous signal for a fault at addr (SIGSEGV, SIGILL, SIGBUS, SIGTRAP). */
void uproc_signal_fault(struct uproc *p, int sig, uint64_t addr);
/* Delivers one pending unblocked signal if any: builds the frame or applies the default
 * action (which may set p->exited). */
void uproc_signal_deliver(struct uproc *p);
/* The sigreturn trampoline, written at UPROC_SIGPAGE. */
int uproc_signal_install_trampoline(struct uproc *p);

/* Loads path, builds its stack and readies the hart (run.c). argv0, when not NULL, replaces
 * argv[0] (execve re-executes gasang with the program's own argv[0]). On failure *why may
 * name the problem in words. */
int uproc_start(struct uproc *p, const char *path, const char *argv0, int argc, char **argv,
		char **envp, const char **why);
/* Threads (thread.c). uproc_clone_thread starts a guest thread for clone(CLONE_THREAD) and
 * returns its tid; uthread_loop runs the calling host thread's guest thread until it or the
 * process ends; uproc_exit_process ends a multi-threaded process at once (returns when the
 * process has a single thread); uproc_wait_threads keeps the main thread waiting after it
 * called exit while other threads run, then returns the exit status. */
int64_t uproc_clone_thread(struct uproc *p, struct uthread *parent, const uint64_t *a);
void uthread_loop(struct uthread *t);
void uproc_exit_process(struct uproc *p);
int uproc_wait_threads(struct uproc *p);

/* Executes the program until it exits. Returns the exit status (128 + signal when a signal
 * ended it) or -errno when the engine failed. */
int uproc_run(struct uproc *p);

static inline struct uthread *uthread_of(struct hart *h)
{
	return (struct uthread *)((char *)h - offsetof(struct uthread, hart));
}

#endif
