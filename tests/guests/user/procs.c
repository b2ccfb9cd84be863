/* Processes: fork + wait, vfork + execve of this very program, a MAP_SHARED page seen by
 * parent and child, pipes between them, and memory syscalls (mmap/munmap/mremap/brk). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status, p[2];
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		printf("exec'd child argv0=%s arg=%s\n", argv[0], argc > 2 ? argv[2] : "");
		return 9;
	}

	/* Memory: big anonymous mapping, file mapping, mremap, brk. */
	size_t big = 64 << 20;
	char *m = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < big; i += 4096)
		m[i] = (char)(i >> 12);
	long sum = 0;
	for (size_t i = 0; i < big; i += 4096)
		sum += (unsigned char)m[i];
	printf("mmap64M sum=%ld zero_after_remap=", sum);
	munmap(m + 4096, 4096);
	char *again = mmap(m + 4096, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("%d\n", again == m + 4096 && again[0] == 0);
	char *g = mremap(m, big, 2 * big, MREMAP_MAYMOVE);
	printf("mremap_kept=%d\n", g != MAP_FAILED && g[8192] == 2);
	munmap(g, 2 * big);
	int fd = open(argv[0], O_RDONLY);
	char *f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("file_map_elf=%d\n", f != MAP_FAILED && !memcmp(f, "\177ELF", 4));
	close(fd);
	char *b0 = sbrk(0), *b1 = sbrk(1 << 20);
	printf("brk_grows=%d\n", b1 == b0 && sbrk(0) == b0 + (1 << 20));
	b1[(1 << 20) - 1] = 1;

	/* fork + waitpid, shared page. */
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = 1;
	pipe(p);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		*shared = 77;
		write(p[1], "from child", 10);
		_exit(5);
	}
	char buf[16] = {0};
	read(p[0], buf, 10);
	waitpid(pid, &status, 0);
	printf("fork: pipe=%s exited=%d status=%d shared=%d\n", buf, WIFEXITED(status),
	       WEXITSTATUS(status), *shared);

	/* vfork + execve of ourselves through /proc/self/exe. */
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		char *args[] = {"renamed", "child", "xyz", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("vfork+exec: status=%d\n", WEXITSTATUS(status));

	/* A child killed by a signal is seen as such by its parent. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("killed child: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));

	/* execve failure is an error return, not a crash. */
	char *none[] = {"x", NULL};
	printf("execve_missing=%d\n", execv("/nonexistent/prog", none) == -1 && errno == ENOENT);
	return 0;
}
