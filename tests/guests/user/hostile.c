/* A hostile program: calls every syscall number with garbage, boundary and wild pointer
 * arguments, in forked children. gasang must contain all of it: a child may fail or die of a
 * guest fault (exit status 128+N), but gasang itself must never crash, which the parent
 * sees as a child killed by SIGSEGV/SIGBUS/SIGABRT/SIGILL/SIGFPE. Prints "contained" on
 * success. Run in a scratch directory with stdin from /dev/null; argv[1] varies the seed. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static char buf[4096];

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t arg(void)
{
	switch (next() % 12) {
	case 0:
		return 0;
	case 1:
		return next() % 8;
	case 2:
		return (uint64_t)-1;
	case 3:
		return (uint64_t)-100; /* AT_FDCWD */
	case 4:
		return next();
	case 5:
		return (uint64_t)(uintptr_t)buf + next() % sizeof(buf);
	case 6:
		return 0x1000000000ULL - next() % 16; /* around gasang's space end */
	case 7:
		return 0x10000 - next() % 16; /* just below the lowest guest page */
	case 8:
		return 0x3fffffff00ULL + next() % 0x100; /* Sv39 user top */
	case 9:
		return (uint64_t)(uintptr_t)&rng ^ (1ULL << (next() % 64));
	case 10:
		return 1ULL << (next() % 64);
	default:
		return (uint64_t)(uintptr_t)buf;
	}
}

/* Syscalls that would end the test, hurt the host outside this program, or just sleep. */
static int skipped(long nr)
{
	static const long skip[] = {
		93,  94,  221, 220, 435, 129, 130, 131, 424, /* exit, exec, clone, kill */
		101, 115, 72,  73,  22,  133, 137, 441,	     /* sleeps and waits */
		102, 103, 140, 261, 164, 142, 117,	     /* timers, other processes' limits */
		33,  34,  35,  36,  37,  38,  276, 53,	54,  45, 40, 39, /* namespace changes */
	};
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		if (skip[i] == nr)
			return 1;
	}
	return 0;
}

static void child(long first, long last)
{
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (next() % 4) ? (char)('a' + next() % 26) : 0;
	alarm(5);
	for (long nr = first; nr < last; nr++) {
		if (skipped(nr))
			continue;
		for (int k = 0; k < 40; k++)
			syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int crashes = 0, faults = 0;

	if (argc > 1)
		rng ^= strtoull(argv[1], NULL, 0) * 0x2545f4914f6cdd1dULL;

	for (long first = 0; first < 460; first += 20) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0)
			child(first, first + 20);
		if (pid < 0) {
			printf("fork failed\n");
			return 1;
		}
		/* The child may have blocked or ignored SIGALRM and then blocked for good: that
		 * is the program's own hang, not gasang's, so it is killed after a while. */
		int waited = 0;
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (++waited == 100) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				break;
			}
			usleep(100000);
		}
		if (WIFSIGNALED(status)) {
			int s = WTERMSIG(status);
			if (s == SIGSEGV || s == SIGBUS || s == SIGABRT || s == SIGILL || s == SIGFPE) {
				printf("gasang crashed: syscalls %ld..%ld, signal %d\n", first,
				       first + 19, s);
				crashes++;
			}
		} else if (WEXITSTATUS(status) > 128) {
			faults++; /* the guest itself faulted: contained */
		}
	}
	printf("guest faults: %d\n", faults);
	if (crashes)
		return 1;
	printf("contained\n");
	return 0;
}
