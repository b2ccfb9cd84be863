/* File and directory syscalls: run in an empty scratch directory given as argv[1]. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno);              \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char buf[256], cwd[4096], *names[16];
	struct stat st;
	int fd, n = 0, p[2];

	CHECK(argc == 2 && chdir(argv[1]) == 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	printf("cwd_matches=%d\n", strcmp(cwd, argv[1]) == 0);

	fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0640);
	CHECK(fd >= 0);
	struct iovec iov[2] = {{"hello ", 6}, {"world\n", 6}};
	CHECK(writev(fd, iov, 2) == 12);
	CHECK(pwrite(fd, "W", 1, 6) == 1);
	CHECK(close(fd) == 0);

	fd = open("a.txt", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	printf("size=%lld mode=%o nlink=%lu reg=%d\n", (long long)st.st_size, st.st_mode & 0777,
	       (unsigned long)st.st_nlink, S_ISREG(st.st_mode));
	CHECK(lseek(fd, 6, SEEK_SET) == 6);
	memset(buf, 0, sizeof(buf));
	CHECK(read(fd, buf, sizeof(buf)) == 6);
	printf("read=%s", buf);
	CHECK(pread(fd, buf, 5, 0) == 5);
	printf("pread=%.5s\n", buf);
	char b1[3], b2[4];
	struct iovec riov[2] = {{b1, 3}, {b2, 4}};
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(readv(fd, riov, 2) == 7);
	printf("readv=%.3s|%.4s\n", b1, b2);
	CHECK(close(fd) == 0);

	CHECK(stat("a.txt", &st) == 0 && st.st_size == 12);
	CHECK(mkdir("sub", 0755) == 0);
	CHECK(symlink("a.txt", "link") == 0);
	ssize_t l = readlink("link", buf, sizeof(buf));
	CHECK(l == 5);
	printf("readlink=%.*s\n", (int)l, buf);
	CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(rename("a.txt", "sub/b.txt") == 0);
	CHECK(access("sub/b.txt", R_OK) == 0);
	CHECK(access("a.txt", F_OK) == -1 && errno == ENOENT);
	CHECK(link("sub/b.txt", "hard") == 0);
	CHECK(stat("hard", &st) == 0 && st.st_nlink == 2);

	DIR *d = opendir(".");
	CHECK(d);
	struct dirent *e;
	while ((e = readdir(d)) && n < 16) {
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	printf("dir:");
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");

	CHECK(unlink("hard") == 0 && unlink("link") == 0 && unlink("sub/b.txt") == 0);
	CHECK(rmdir("sub") == 0);
	CHECK(open("missing", O_RDONLY) == -1 && errno == ENOENT);

	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "pipe!", 5) == 5);
	int d2 = dup(p[0]);
	CHECK(d2 > p[1]);
	CHECK(read(d2, buf, 5) == 5);
	printf("pipe=%.5s\n", buf);
	CHECK(dup2(p[1], 20) == 20 && fcntl(20, F_GETFD) == 0);
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	CHECK(read(p[0], buf, 1) == -1 && errno == EAGAIN);

	struct utsname u;
	CHECK(uname(&u) == 0);
	printf("machine=%s sysname=%s\n", u.machine, u.sysname);
	struct timespec t0;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0 && (t0.tv_sec || t0.tv_nsec));
	struct termios tio;
	int tty = tcgetattr(0, &tio);
	printf("stdin_tty=%d errno_ok=%d\n", tty == 0, tty == 0 || errno == ENOTTY);
	void *volatile bad = (void *)8;
	printf("bad_pointer=%d\n", (int)write(1, bad, 4) == -1 && errno == EFAULT);
	printf("done\n");
	return 0;
}
