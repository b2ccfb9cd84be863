/* A fault in the middle of a translated block: a hot loop (translated after its first
 * entries) loads through a pointer table; in the last round one entry points below the
 * guest's lowest mappable address. The SIGSEGV handler prints the fault address, the faulting
 * pc (relative to the loop function) and a hash of every register in the signal frame: the
 * translator must give the interpreter's values. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#define N 512

static sigjmp_buf env;
static long vals[N];
static long *ptrs[N];

__attribute__((noinline)) static long sum_loop(long *const *p, int n)
{
	long s = 0;

	for (int i = 0; i < n; i++)
		s += *p[i] * (i + 3) + (s >> 7);
	return s;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	unsigned long h = 0;

	for (int r = 1; r < 32; r++)
		h = h * 31 + uc->uc_mcontext.__gregs[r];
	printf("segv: sig=%d addr=%p pc=sum_loop+%ld regs=%lx\n", sig, si->si_addr,
	       (long)(uc->uc_mcontext.__gregs[0] - (unsigned long)(void *)sum_loop), h);
	siglongjmp(env, 1);
}

int main(void)
{
	struct sigaction sa;
	long total = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	for (int i = 0; i < N; i++) {
		vals[i] = i * 7 + 1;
		ptrs[i] = &vals[i];
	}
	for (int r = 0; r < 200; r++)
		total += sum_loop(ptrs, N);
	printf("total=%ld\n", total);
	ptrs[N / 2 + 1] = (long *)0x18;
	if (!sigsetjmp(env, 1))
		printf("no fault? %ld\n", sum_loop(ptrs, N));
	printf("after segv\n");
	return 0;
}
