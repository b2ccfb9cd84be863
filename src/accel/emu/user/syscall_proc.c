/* Process syscalls of the process VM: exit, fork-style clone, execve, wait.
 *
 * fork and vfork fork the whole emulator on the host: the child gets a copy-on-write copy of
 * the guest address space and continues on its own hart. vfork's "parent waits until the
 * child execs or exits" is kept with a close-on-exec pipe. execve of a riscv64 program
 * re-executes gasang on it; anything else (host programs, #! scripts) goes to the host's
 * execve as it would under qemu-user. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"
#include "base/util.h"

#define ARG_MAX_COUNT  65536
#define ARG_STRLEN_MAX (128 * 1024)
#define ARG_TOTAL_MAX  (4 * 1024 * 1024)

static void clone_child(struct uproc *p, const uint64_t *a, int vfork_write_end)
{
	struct uthread *t = uthread_self(p);
	uint64_t flags = a[0];
	int32_t tid = gettid();

	/* A forked child has only the thread that forked. */
	__atomic_store_n(&p->nthreads, 1, __ATOMIC_RELEASE);
	if (p->vfork_fd >= 0)
		close(p->vfork_fd); /* our parent's vfork wait is not ours to hold */
	p->vfork_fd = vfork_write_end;
	if (a[1])
		t->hart.x[2] = a[1];
	if (flags & CLONE_SETTLS)
		t->hart.x[4] = a[3];
	if (flags & CLONE_CHILD_SETTID)
		uproc_write(p, a[4], &tid, sizeof(tid));
	if (flags & CLONE_PARENT_SETTID)
		uproc_write(p, a[2], &tid, sizeof(tid));
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = a[4];
}

SYSCALL(clone)
{
	uint64_t flags = a[0];
	int vpipe[2] = {-1, -1}, err;
	int32_t child;
	char c;

	if (flags & CLONE_THREAD)
		return uproc_clone_thread(p, uthread_self(p), a);
	if (flags & CLONE_SIGHAND)
		return -EINVAL;
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -ENOSYS;
	if ((flags & CLONE_VFORK) && pipe2(vpipe, O_CLOEXEC))
		return -errno;
	/* No other thread may be half-way through an address-space change when the child's
	 * copy is taken. */
	pthread_mutex_lock(&p->lock);
	if ((flags & 0xff) == SIGCHLD)
		child = fork();
	else
		child = (int32_t)syscall(SYS_clone, flags & 0xff, 0, NULL, NULL, 0);
	err = errno;
	pthread_mutex_unlock(&p->lock);
	if (child < 0) {
		if (vpipe[0] >= 0) {
			close(vpipe[0]);
			close(vpipe[1]);
		}
		return -err;
	}
	if (child == 0) {
		if (vpipe[0] >= 0)
			close(vpipe[0]);
		clone_child(p, a, vpipe[1]);
		return 0;
	}
	if (flags & CLONE_PARENT_SETTID)
		uproc_write(p, a[2], &child, sizeof(child));
	if (vpipe[0] >= 0) {
		close(vpipe[1]);
		while (read(vpipe[0], &c, 1) < 0 && errno == EINTR)
			;
		close(vpipe[0]);
	}
	return child;
}

/* Copies a NULL-terminated guest array of strings into host memory (one allocation).
 * Returns the vector or NULL with *err set. */
static char **copy_strv(struct uproc *p, uint64_t gva, size_t *total, int *err)
{
	size_t n = 0, cap = 16;
	char **v = calloc(cap, sizeof(*v));
	uint64_t ptr;

	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	for (; gva; n++) {
		if (n >= ARG_MAX_COUNT) {
			*err = -E2BIG;
			goto fail;
		}
		if (uproc_read(p, gva + n * 8, &ptr, 8)) {
			*err = -EFAULT;
			goto fail;
		}
		if (!ptr)
			break;
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv) {
				*err = -ENOMEM;
				goto fail;
			}
			v = nv;
		}
		char *s = malloc(ARG_STRLEN_MAX);
		long len = s ? uproc_strcpy(p, ptr, s, ARG_STRLEN_MAX) : -ENOMEM;
		if (len < 0) {
			free(s);
			*err = len == -ENAMETOOLONG ? -E2BIG : (int)len;
			goto fail;
		}
		*total += (size_t)len + 1;
		if (*total > ARG_TOTAL_MAX) {
			free(s);
			*err = -E2BIG;
			goto fail;
		}
		v[n] = realloc(s, (size_t)len + 1) ?: s;
	}
	v[n] = NULL;
	return v;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* execve of a riscv64 program: gasang exec --argv0 ARGV0 -- PATH ARGV[1..]. */
static int exec_riscv(struct uproc *p, const char *path, char **argv, char **envp)
{
	size_t argc = 0;
	char **hv;

	while (argv[argc])
		argc++;
	hv = calloc(argc + 7, sizeof(*hv));
	if (!hv)
		return -ENOMEM;
	hv[0] = "gasang";
	hv[1] = "exec";
	hv[2] = "--argv0";
	hv[3] = argc ? argv[0] : "";
	hv[4] = "--";
	hv[5] = (char *)path;
	for (size_t i = 1; i < argc; i++)
		hv[5 + i] = argv[i];
	execve(p->gasang, hv, envp);
	free(hv);
	return -errno;
}

/* A "#!INTERP [ARG]" script whose interpreter is a riscv64 program, which the host kernel
 * cannot start: runs INTERP [ARG] SCRIPT ARGV[1..] as Linux's binfmt_script would. Returns 1
 * when path is not such a script. */
static int exec_script(struct uproc *p, const char *path, char **argv, char **envp)
{
	char line[256], *interp, *arg, *end, **v;
	size_t k = 0, argc = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 1;
	line[n] = '\0';
	end = strchr(line, '\n');
	if (!end)
		return 1;
	*end = '\0';
	interp = line + 2 + strspn(line + 2, " \t");
	arg = interp + strcspn(interp, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
	}
	if (!*interp || !uproc_is_riscv_elf(interp))
		return 1;
	while (argv[argc])
		argc++;
	v = calloc(argc + 4, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[k++] = interp;
	if (*arg)
		v[k++] = arg;
	v[k++] = (char *)path;
	for (size_t i = 1; i < argc; i++)
		v[k++] = argv[i];
	v[k] = NULL;
	fd = exec_riscv(p, interp, v, envp); /* returns only on failure: -errno */
	free(v);
	return fd;
}

SYSCALL(execve)
{
	char path[4096], self[4096];
	size_t total = 0;
	char **argv, **envp;
	const char *target = path;
	int ret = 0;
	long n = uproc_strcpy(p, a[0], path, sizeof(path));

	if (n < 0)
		return n;
	argv = copy_strv(p, a[1], &total, &ret);
	if (!argv)
		return ret;
	envp = copy_strv(p, a[2], &total, &ret);
	if (!envp) {
		free_strv(argv);
		return ret;
	}
	if (uproc_fs_self_exe(p, AT_FDCWD, path, self, sizeof(self)))
		target = self;
	if (access(target, X_OK))
		ret = -errno;
	else if (uproc_is_riscv_elf(target))
		ret = exec_riscv(p, target, argv, envp);
	else if ((ret = exec_script(p, target, argv, envp)) != 1)
		; /* a #! script run by a riscv64 interpreter: ret is execve's error */
	else
		ret = execve(target, argv, envp) ? -errno : 0;
	free_strv(argv);
	free_strv(envp);
	return ret;
}

SYSCALL(wait4)
{
	int *status = NULL;
	struct rusage *ru = NULL;

	/* int status and struct rusage (144 bytes) match between the two ABIs. */
	if (a[1] && !(status = uproc_ptr(p, a[1], sizeof(int))))
		return -EFAULT;
	if (a[3] && !(ru = uproc_ptr(p, a[3], sizeof(*ru))))
		return -EFAULT;
	return host_ret(wait4((pid_t)(int32_t)a[0], status, (int)a[2], ru));
}
