/* Container process setup and exec. */
#include "oci/fmt.h"
#include "oci/process.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/caps.h"
#include "oci/seccomp.h"
#include "oci/spec.h"

#define ERR(r, ...)  ((void)fmt(msg, len, __VA_ARGS__), (r))
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(const struct oci_process *p, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < p->nenv; i++)
		if (!strncmp(p->env[i], key, n) && p->env[i][n] == '=')
			return p->env[i] + n + 1;
	return NULL;
}

int process_lookup(const struct oci_process *p, char *out, size_t len)
{
	const char *path, *s;
	struct stat st;

	if (!p->nargs || !p->args[0][0])
		return -EINVAL;
	if (strchr(p->args[0], '/')) {
		fmt(out, len, "%s", p->args[0]);
		if (stat(out, &st) < 0)
			return -errno;
		return S_ISDIR(st.st_mode) ? -EACCES : 0;
	}
	path = env_get(p, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (s = path; s;) {
		const char *e = strchr(s, ':');
		size_t dl = e ? (size_t)(e - s) : strlen(s);
		fmt(out, len, "%.*s/%s", (int)dl, dl ? s : ".", p->args[0]);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		s = e ? e + 1 : NULL;
	}
	return -ENOENT;
}

int process_prepare(const struct oci_process *p, const struct oci_seccomp *sc, char *msg,
		    size_t len)
{
	int r;

	for (size_t i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return ERR(-errno, "setrlimit %d: %s", p->rlimits[i].resource,
				   strerror(errno));
	}
	if (p->has_caps) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return ERR(-errno, "PR_SET_KEEPCAPS: %s", strerror(errno));
		if ((r = caps_drop_bounding(&p->caps)))
			return ERR(r, "dropping bounding capabilities: %s", strerror(-r));
	}
	/* Without no_new_privileges seccomp needs CAP_SYS_ADMIN: load it while we have it. */
	if (sc && !p->no_new_privileges && (r = seccomp_apply(sc, msg, len)))
		return r;
	if (setgroups(p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
		return ERR(-errno, "setgroups: %s", strerror(errno));
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return ERR(-errno, "setgid %u: %s", (unsigned)p->gid, strerror(errno));
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return ERR(-errno, "setuid %u: %s", (unsigned)p->uid, strerror(errno));
	if (p->has_caps) {
		if ((r = caps_apply(&p->caps)))
			return ERR(r, "setting capabilities: %s", strerror(-r));
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	umask(p->has_umask ? p->umask : 022);
	if (chdir(p->cwd) < 0)
		return ERR(-errno, "chdir to cwd (\"%s\") set in config.json: %s", p->cwd,
			   strerror(errno));
	return 0;
}

/* runc sets HOME when the environment lacks it: the user's home from the container's
 * /etc/passwd, else "/". env_buf has room for nenv + 2 pointers. */
static char *const *with_home(const struct oci_process *p, char *home, size_t len, char **env_buf)
{
	char line[512];
	FILE *f;

	if (!env_buf || env_get(p, "HOME"))
		return p->env;
	fmt(home, len, "HOME=/");
	f = fopen("/etc/passwd", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *fld[7] = {0}, *save = NULL, *t = line;
		int n = 0;
		/* name:pw:uid:gid:gecos:home:shell, empty fields allowed */
		while (n < 7 && (fld[n] = strsep(&t, ":")))
			n++;
		if (n >= 6 && strtoul(fld[2], &save, 10) == p->uid && save != fld[2] && fld[5][0]) {
			fmt(home, len, "HOME=%s", fld[5]);
			break;
		}
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < p->nenv; i++)
		env_buf[i] = p->env[i];
	env_buf[p->nenv] = home;
	env_buf[p->nenv + 1] = NULL;
	return env_buf;
}

int process_exec(const struct oci_process *p, const char *path, const struct oci_seccomp *sc,
		 int preserve_fds, char *msg, size_t len)
{
	char *const noenv[] = {NULL};
	char home_buf[PATH_MAX + 8];
	char **env_buf = calloc(p->nenv + 2, sizeof(char *));
	/* Before seccomp: the profile may not allow reading /etc/passwd. */
	char *const *envp = with_home(p, home_buf, sizeof(home_buf), env_buf);
	int r;

	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ERR(-errno, "no_new_privileges: %s", strerror(errno));
	if (sc && p->no_new_privileges && (r = seccomp_apply(sc, msg, len)))
		return r;
	syscall(SYS_close_range, 3 + preserve_fds, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
	execve(path, p->args, envp ? envp : noenv);
	return ERR(-errno, "exec %s: %s", path, strerror(errno));
}

int process_sysctl(const struct oci_spec *spec, char *msg, size_t len)
{
	for (size_t i = 0; i < spec->nsysctl; i++) {
		char path[PATH_MAX];
		const char *k = spec->sysctl[i].key;
		size_t off = (size_t)fmt(path, sizeof(path), "/proc/sys/");
		int fd, r;
		if (strstr(k, "..") || k[0] == '/' || strlen(k) + off >= sizeof(path))
			return ERR(-EINVAL, "sysctl %s: invalid name", k);
		for (size_t j = 0; k[j]; j++)
			path[off + j] = k[j] == '.' ? '/' : k[j];
		path[off + strlen(k)] = 0;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return ERR(-errno, "sysctl %s: %s", k, strerror(errno));
		r = write_all(fd, spec->sysctl[i].value, strlen(spec->sysctl[i].value));
		close(fd);
		if (r)
			return ERR(r, "sysctl %s=%s: %s", k, spec->sysctl[i].value, strerror(-r));
	}
	return 0;
}
