/*
 * stamp: runs a command inside the KVM lab and times its output on a monotonic clock.
 *
 *   stamp [-t SECONDS] [-m MARKER]... [-s FILE]... -- COMMAND [ARGS...]
 *
 * The command's stdout and stderr are copied to stdout line by line. The first time a line
 * contains MARKER, stamp prints "@@STAMP mark MARKER SECONDS@@" with the time since the command
 * was started. When the command ends it prints "@@STAMP exit STATUS SECONDS@@" (STATUS is the
 * exit code, or 128+signal) and exits with that status. After -t SECONDS the command is killed
 * (SIGKILL) and stamp prints "@@STAMP timeout SECONDS@@". At each marker, stamp also prints the
 * first line of each FILE as "@@STAMP stat MARKER NAME VALUE@@" (NAME: the file's base name), to
 * sample counters such as KVM's debugfs statistics (/sys/kernel/debug/kvm/io_exits) while the
 * inner VM still exists.
 *
 * Built statically by tests/lab/build.sh and run in the outer lab VM, which has no clock tool
 * finer than /proc/uptime's 10 ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MARKS    16
#define LINE_MAX_LEN 4096

struct mark {
	const char *text;
	bool seen;
};

static struct mark marks[MAX_MARKS];
static int nmarks;
static const char *stats[MAX_MARKS];
static int nstats;
static struct timespec t0;

static double stamp_elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void stamp_stat(const char *mark, const char *path)
{
	char value[64] = "?";
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(value, sizeof(value), f))
			strcpy(value, "?");
		fclose(f);
	}
	value[strcspn(value, "\n")] = 0;
	const char *name = strrchr(path, '/');
	printf("@@STAMP stat %s %s %s@@\n", mark, name ? name + 1 : path, value);
}

static void stamp_line(const char *line, size_t len)
{
	fwrite(line, 1, len, stdout);
	for (int i = 0; i < nmarks; i++) {
		if (marks[i].seen || !memmem(line, len, marks[i].text, strlen(marks[i].text)))
			continue;
		marks[i].seen = true;
		/* On its own line, even when the guest's line had no newline yet. */
		printf("%s@@STAMP mark %s %.6f@@\n", len && line[len - 1] == '\n' ? "" : "\n",
		       marks[i].text, stamp_elapsed());
		for (int j = 0; j < nstats; j++)
			stamp_stat(marks[i].text, stats[j]);
	}
	fflush(stdout);
}

static int stamp_usage(void)
{
	fprintf(stderr,
		"usage: stamp [-t SECONDS] [-m MARKER]... [-s FILE]... -- COMMAND [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	double timeout = 0;
	int opt;

	while ((opt = getopt(argc, argv, "+t:m:s:")) != -1) {
		if (opt == 't') {
			timeout = atof(optarg);
		} else if (opt == 'm' && nmarks < MAX_MARKS) {
			marks[nmarks++].text = optarg;
		} else if (opt == 's' && nstats < MAX_MARKS) {
			stats[nstats++] = optarg;
		} else {
			return stamp_usage();
		}
	}
	if (optind >= argc)
		return stamp_usage();

	int fds[2];
	if (pipe(fds) < 0) {
		perror("stamp: pipe");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("stamp: fork");
		return 1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "stamp: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(fds[1]);

	static char buf[LINE_MAX_LEN];
	size_t used = 0;
	bool timed_out = false;
	for (;;) {
		int wait_ms = -1;
		if (timeout > 0) {
			double left = timeout - stamp_elapsed();
			if (left <= 0) {
				kill(pid, SIGKILL);
				timed_out = true;
				break;
			}
			wait_ms = (int)(left * 1000) + 1;
		}
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		int r = poll(&p, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		ssize_t n = read(fds[0], buf + used, sizeof(buf) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < used; i++) {
			if (buf[i] == '\n') {
				stamp_line(buf + start, i + 1 - start);
				start = i + 1;
			}
		}
		memmove(buf, buf + start, used - start);
		used -= start;
		if (used == sizeof(buf)) {
			stamp_line(buf, used);
			used = 0;
		}
	}
	if (used)
		stamp_line(buf, used);

	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (timed_out)
		printf("\n@@STAMP timeout %.6f@@\n", stamp_elapsed());
	printf("@@STAMP exit %d %.6f@@\n", code, stamp_elapsed());
	return code;
}
