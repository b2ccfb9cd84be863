/* Signals under gasang exec: handlers with siginfo, masks, a host-delivered SIGALRM, a fault
 * turned into SIGSEGV and recovered with siglongjmp, FP state kept across a handler, and
 * (last, on request) death by a signal with the default action. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_usr2, got_alrm, usr1_code, order[4], norder;
static sigjmp_buf env;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_usr1 = sig;
	usr1_code = si->si_signo == sig && si->si_pid == getpid();
	/* Clobber FP registers: the interrupted code must not notice. */
	volatile double x = 1.5;
	for (int i = 0; i < 10; i++)
		x = x * 3.25 + 1.0;
	order[norder++] = sig;
}

static void on_usr2(int sig)
{
	got_usr2 = sig;
	order[norder++] = sig;
}

static void on_alrm(int sig)
{
	got_alrm = sig;
}

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

/* A read blocked on a pipe is interrupted by a handled SIGALRM: with SA_RESTART it resumes,
 * without it fails with EINTR. Returns what read() returned. */
static int interrupted_read(int flags, int *err)
{
	struct sigaction sa;
	struct itimerval it = {.it_value = {0, 50000}};
	int p[2], status, n;
	char c;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
	pipe(p);
	pid = fork();
	if (pid == 0) {
		usleep(300000);
		write(p[1], "r", 1);
		_exit(0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	n = (int)read(p[0], &c, 1);
	*err = errno;
	waitpid(pid, &status, 0);
	close(p[0]);
	close(p[1]);
	return n;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("segv handler: sig=%d addr=%p\n", sig, si->si_addr);
	siglongjmp(env, 1);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t set, old;
	double acc = 0.1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, on_usr2);
	signal(SIGALRM, on_alrm);

	for (int i = 0; i < 5; i++)
		acc = acc * 1.25 + 0.5;
	raise(SIGUSR1);
	for (int i = 0; i < 5; i++)
		acc = acc * 1.25 + 0.5;
	printf("usr1: got=%d siginfo_ok=%d fp=%.6f\n", got_usr1, usr1_code, acc);

	/* Blocked signals wait; unblocking delivers them (lowest number first). */
	norder = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("pending: usr1=%d usr2=%d delivered_early=%d\n", sigismember(&pend, SIGUSR1),
	       sigismember(&pend, SIGUSR2), (int)norder);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("order: %d %d\n", order[0], order[1]);

	/* A signal from the host kernel: alarm + pause. */
	alarm(1);
	pause();
	printf("alarm: got=%d\n", got_alrm);

	int err, n = interrupted_read(SA_RESTART, &err);
	printf("sa_restart: read=%d ticks=%d\n", n, (int)ticks);
	n = interrupted_read(0, &err);
	printf("no restart: read=%d eintr=%d ticks=%d\n", n, err == EINTR, (int)ticks);

	/* sigwaitinfo: a blocked signal the program sent itself, then SIGCHLD from the kernel. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR2);
	siginfo_t wi;
	int ws = sigwaitinfo(&set, &wi);
	printf("sigwait: sig=%d from_self=%d\n", ws, wi.si_pid == getpid());
	pid_t cpid = fork();
	if (cpid == 0)
		_exit(4);
	ws = sigwaitinfo(&set, &wi);
	printf("sigwait: sig=%d child_ok=%d status=%d\n", ws, wi.si_pid == cpid, wi.si_status);
	waitpid(cpid, NULL, 0);
	struct timespec zero = {0, 0};
	printf("sigtimedwait timeout: %d eagain=%d\n", sigtimedwait(&set, &wi, &zero) < 0,
	       errno == EAGAIN);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* A fault becomes SIGSEGV; the handler escapes with siglongjmp. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	if (!sigsetjmp(env, 1)) {
		int *volatile bad = (int *)16;
		*bad = 1;
		printf("no fault?\n");
	}
	printf("after segv\n");

	if (argc > 1 && !strcmp(argv[1], "die")) {
		fflush(stdout);
		signal(SIGTERM, SIG_DFL);
		kill(getpid(), SIGTERM);
		printf("still alive\n");
	}
	return 0;
}
