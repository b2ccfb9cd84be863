/* Container cgroups. On v1 and hybrid hosts every v1 hierarchy (and the cgroup2 mount of a
 * hybrid host) gets the same path; resources go to the controller that owns them. */
#include "oci/fmt.h"
#include "oci/cgroup.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/cgroup_bpf.h"
#include "oci/spec.h"

#define MAX_HIER 24

struct hier {
	char mnt[256];
	char opts[256]; /* comma-separated super options: "rw,memory" / "rw,name=systemd" */
	bool v2;
};

static struct hier hiers[MAX_HIER];
static size_t nhiers;
static bool scanned;

static void scan(void)
{
	FILE *f;
	char line[4096];

	if (scanned)
		return;
	scanned = true;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && nhiers < MAX_HIER) {
		char root[1024], mnt[1024], fstype[64], src[256], sopts[1024];
		char *dash = strstr(line, " - ");
		if (!dash)
			continue;
		if (sscanf(line, "%*d %*d %*s %1023s %1023s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s %255s %1023s", fstype, src, sopts) != 3)
			continue;
		if (strcmp(root, "/") != 0)
			continue;
		if (!strcmp(fstype, "cgroup") || !strcmp(fstype, "cgroup2")) {
			struct hier *h = &hiers[nhiers++];
			fmt(h->mnt, sizeof(h->mnt), "%s", mnt);
			fmt(h->opts, sizeof(h->opts), "%s", sopts);
			h->v2 = !strcmp(fstype, "cgroup2");
		}
	}
	fclose(f);
}

enum cgroup_mode cgroup_mode(void)
{
	bool v1 = false, v2 = false;

	scan();
	for (size_t i = 0; i < nhiers; i++)
		*(hiers[i].v2 ? &v2 : &v1) = true;
	if (v1 && v2)
		return CGROUP_HYBRID;
	return v1 ? CGROUP_V1 : CGROUP_V2;
}

static bool has_opt(const char *opts, const char *want)
{
	size_t n = strlen(want);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, want, n) && (p[n] == ',' || p[n] == 0))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static struct hier *find(const char *ctrl)
{
	scan();
	for (size_t i = 0; i < nhiers; i++) {
		if (!ctrl[0] ? hiers[i].v2 : (!hiers[i].v2 && has_opt(hiers[i].opts, ctrl)))
			return &hiers[i];
	}
	/* On pure v2 every controller lives in the unified hierarchy. */
	if (ctrl[0] && cgroup_mode() == CGROUP_V2)
		return find("");
	return NULL;
}

int cgroup_dir(const char *ctrl, const char *path, char *out, size_t len)
{
	struct hier *h = find(ctrl);

	if (!h)
		return -ENOENT;
	if ((size_t)fmt(out, len, "%s%s", h->mnt, path) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Our own cgroup in the hierarchy identified by its /proc/self/cgroup controller list. */
static int own_cgroup(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];
	int r = -ENOENT;

	if (!f)
		return -errno;
	/* The memory (or unified) line is representative; others match on sane hosts. */
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		if (has_opt(c1 + 1, "memory") || (c1[1] == 0 && r != 0)) {
			c2[strcspn(c2 + 1, "\n") + 1] = 0;
			fmt(out, len, "%s", c2 + 1);
			r = 0;
		}
	}
	fclose(f);
	return r;
}

int cgroup_resolve(const char *spec_path, const char *id, char *out, size_t len)
{
	char own[1024] = "/";

	if (!spec_path || !spec_path[0]) {
		fmt(out, len, "/%s", id);
		return 0;
	}
	if (strchr(spec_path, ':'))
		return -EOPNOTSUPP;
	if (strstr(spec_path, ".."))
		return -EINVAL;
	if (spec_path[0] == '/') {
		fmt(out, len, "%s", spec_path);
		return 0;
	}
	own_cgroup(own, sizeof(own));
	fmt(out, len, "%s%s%s", own, own[strlen(own) - 1] == '/' ? "" : "/", spec_path);
	return 0;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char p[PATH_MAX];
	int fd, r;

	fmt(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	fmt(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* A new v1 cpuset cgroup starts with empty cpus/mems; copy the parent's. */
static void cpuset_inherit(const char *dir, const char *parent)
{
	char buf[4096];

	for (int i = 0; i < 2; i++) {
		const char *f = i ? "cpuset.mems" : "cpuset.cpus";
		if (read_str(dir, f, buf, sizeof(buf)) == 0 && buf[0] != '\n' && buf[0])
			continue;
		if (read_str(parent, f, buf, sizeof(buf)) == 0)
			write_str(dir, f, buf);
	}
}

static int mkdir_path(struct hier *h, const char *path)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	size_t base = strlen(h->mnt);
	bool cpuset = !h->v2 && has_opt(h->opts, "cpuset");
	char *p;

	if ((size_t)fmt(dir, sizeof(dir), "%s%s", h->mnt, path) >= sizeof(dir))
		return -ENAMETOOLONG;
	for (p = dir + base + 1; p; p = strchr(p + 1, '/')) {
		char save = *p;
		if (p == dir + base + 1 && save != '/')
			continue;
		*p = 0;
		if (strlen(dir) > base) {
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				*p = save;
				return -errno;
			}
			if (cpuset) {
				fmt(parent, sizeof(parent), "%s", dir);
				*strrchr(parent, '/') = 0;
				cpuset_inherit(dir, parent);
			}
			if (h->v2 && save == '/')
				write_str(dir, "cgroup.subtree_control",
					  "+cpu +memory +pids +io +cpuset");
		}
		*p = save;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (cpuset) {
		fmt(parent, sizeof(parent), "%s", dir);
		*strrchr(parent, '/') = 0;
		cpuset_inherit(dir, parent);
	}
	return 0;
}

static int setv(const char *ctrl, const char *path, const char *file, const char *val, char *msg,
		size_t msglen)
{
	char dir[PATH_MAX];
	int r = cgroup_dir(ctrl, path, dir, sizeof(dir));

	if (!r)
		r = write_str(dir, file, val);
	if (r)
		fmt(msg, msglen, "cgroup %s: writing \"%s\": %s", file, val, strerror(-r));
	return r;
}

static int setnum(const char *ctrl, const char *path, const char *file, int64_t v, char *msg,
		  size_t msglen)
{
	char buf[32];

	fmt(buf, sizeof(buf), "%lld", (long long)v);
	return setv(ctrl, path, file, buf, msg, msglen);
}

static void dev_rule_str(const struct oci_dev_rule *d, char *buf, size_t len)
{
	char maj[16] = "*", min[16] = "*";

	if (d->major >= 0)
		fmt(maj, sizeof(maj), "%lld", (long long)d->major);
	if (d->minor >= 0)
		fmt(min, sizeof(min), "%lld", (long long)d->minor);
	if (d->type == 'a')
		fmt(buf, len, "a");
	else
		fmt(buf, len, "%c %s:%s %s", d->type, maj, min, d->access[0] ? d->access : "rwm");
}

static int apply_devices_v1(const char *path, const struct oci_resources *r, char *msg,
			    size_t msglen)
{
	/* Default devices every container gets (null, zero, full, tty, random, urandom, ptmx,
	 * pts, and mknod of any char/block device), as runc allows them. */
	static const char *const defaults[] = {"c *:* m",   "b *:* m",	  "c 1:3 rwm", "c 1:5 rwm",
					       "c 1:7 rwm", "c 5:0 rwm",  "c 1:8 rwm", "c 1:9 rwm",
					       "c 5:2 rwm", "c 136:* rwm"};
	char rule[64];
	int ret;

	if (!find("devices"))
		return 0;
	if (r->ndev_rules == 0)
		return 0; /* no rules: leave the devices cgroup as inherited */
	if ((ret = setv("devices", path, "devices.deny", "a", msg, msglen)))
		return ret;
	for (size_t i = 0; i < r->ndev_rules; i++) {
		dev_rule_str(&r->dev_rules[i], rule, sizeof(rule));
		ret =
		    setv("devices", path, r->dev_rules[i].allow ? "devices.allow" : "devices.deny",
			 rule, msg, msglen);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if ((ret = setv("devices", path, "devices.allow", defaults[i], msg, msglen)))
			return ret;
	return 0;
}

static int apply_v1(const char *path, const struct oci_resources *r, char *msg, size_t msglen)
{
	static const char *const thr[4] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	int ret = 0;
	char buf[128];

	if (r->mem_limit != -1 && r->mem_swap != -1) {
		/* memsw must stay >= limit at every step: order the writes accordingly. */
		if (setnum("memory", path, "memory.memsw.limit_in_bytes", r->mem_swap, msg,
			   msglen)) {
			if ((ret = setnum("memory", path, "memory.limit_in_bytes", r->mem_limit,
					  msg, msglen)))
				return ret;
			if ((ret = setnum("memory", path, "memory.memsw.limit_in_bytes",
					  r->mem_swap, msg, msglen)))
				return ret;
		} else if ((ret = setnum("memory", path, "memory.limit_in_bytes", r->mem_limit, msg,
					 msglen))) {
			return ret;
		}
	} else if (r->mem_limit != -1) {
		if ((ret = setnum("memory", path, "memory.limit_in_bytes", r->mem_limit, msg,
				  msglen)))
			return ret;
	} else if (r->mem_swap != -1) {
		if ((ret = setnum("memory", path, "memory.memsw.limit_in_bytes", r->mem_swap, msg,
				  msglen)))
			return ret;
	}
	if (r->mem_reservation != -1 && (ret = setnum("memory", path, "memory.soft_limit_in_bytes",
						      r->mem_reservation, msg, msglen)))
		return ret;
	if (r->mem_swappiness != -1 &&
	    (ret = setnum("memory", path, "memory.swappiness", r->mem_swappiness, msg, msglen)))
		return ret;
	if (r->mem_disable_oom_killer &&
	    (ret = setv("memory", path, "memory.oom_control", "1", msg, msglen)))
		return ret;
	if (r->cpu_shares > 0 &&
	    (ret = setnum("cpu", path, "cpu.shares", r->cpu_shares, msg, msglen)))
		return ret;
	if (r->cpu_period > 0 &&
	    (ret = setnum("cpu", path, "cpu.cfs_period_us", r->cpu_period, msg, msglen)))
		return ret;
	if (r->cpu_quota != -1 && r->cpu_quota != 0 &&
	    (ret = setnum("cpu", path, "cpu.cfs_quota_us", r->cpu_quota, msg, msglen)))
		return ret;
	if (r->cpu_rt_period > 0 &&
	    (ret = setnum("cpu", path, "cpu.rt_period_us", r->cpu_rt_period, msg, msglen)))
		return ret;
	if (r->cpu_rt_runtime != -1 &&
	    (ret = setnum("cpu", path, "cpu.rt_runtime_us", r->cpu_rt_runtime, msg, msglen)))
		return ret;
	if (r->cpu_cpus && r->cpu_cpus[0] &&
	    (ret = setv("cpuset", path, "cpuset.cpus", r->cpu_cpus, msg, msglen)))
		return ret;
	if (r->cpu_mems && r->cpu_mems[0] &&
	    (ret = setv("cpuset", path, "cpuset.mems", r->cpu_mems, msg, msglen)))
		return ret;
	if (r->pids_limit != -1 && r->pids_limit != 0) {
		fmt(buf, sizeof(buf), "%lld", (long long)r->pids_limit);
		if ((ret = setv("pids", path, "pids.max", r->pids_limit < 0 ? "max" : buf, msg,
				msglen)))
			return ret;
	}
	if (r->blkio_weight > 0 &&
	    setnum("blkio", path, "blkio.weight", r->blkio_weight, msg, msglen) &&
	    (ret = setnum("blkio", path, "blkio.bfq.weight", r->blkio_weight, msg, msglen)))
		return ret;
	if (r->blkio_leaf_weight > 0 &&
	    (ret = setnum("blkio", path, "blkio.leaf_weight", r->blkio_leaf_weight, msg, msglen)))
		return ret;
	for (size_t i = 0; i < r->nweight_devs; i++) {
		const struct oci_weight_dev *d = &r->weight_devs[i];
		if (d->weight < 0)
			continue;
		fmt(buf, sizeof(buf), "%lld:%lld %lld", (long long)d->major, (long long)d->minor,
		    (long long)d->weight);
		if (setv("blkio", path, "blkio.weight_device", buf, msg, msglen) &&
		    (ret = setv("blkio", path, "blkio.bfq.weight_device", buf, msg, msglen)))
			return ret;
	}
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < r->nthrottle[t]; i++) {
			const struct oci_weight_dev *d = &r->throttle[t][i];
			fmt(buf, sizeof(buf), "%lld:%lld %llu", (long long)d->major,
			    (long long)d->minor, (unsigned long long)d->rate);
			if ((ret = setv("blkio", path, thr[t], buf, msg, msglen)))
				return ret;
		}
	return apply_devices_v1(path, r, msg, msglen);
}

static int apply_v2(const char *path, const struct oci_resources *r, char *msg, size_t msglen)
{
	static const char *const thr[4] = {"rbps", "wbps", "riops", "wiops"};
	char buf[128];
	int ret;

	if (r->mem_limit != -1 &&
	    (ret = setv("", path, "memory.max",
			r->mem_limit < 0
			    ? "max"
			    : (fmt(buf, sizeof(buf), "%lld", (long long)r->mem_limit), buf),
			msg, msglen)))
		return ret;
	if (r->mem_reservation > 0 &&
	    (ret = setnum("", path, "memory.low", r->mem_reservation, msg, msglen)))
		return ret;
	if (r->mem_swap > 0 && r->mem_limit > 0 &&
	    (ret = setnum("", path, "memory.swap.max", r->mem_swap - r->mem_limit, msg, msglen)))
		return ret;
	if (r->cpu_shares > 0 &&
	    (ret = setnum("", path, "cpu.weight", 1 + ((r->cpu_shares - 2) * 9999) / 262142, msg,
			  msglen)))
		return ret;
	if (r->cpu_quota != -1 || r->cpu_period > 0) {
		int64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;
		if (r->cpu_quota > 0)
			fmt(buf, sizeof(buf), "%lld %lld", (long long)r->cpu_quota,
			    (long long)period);
		else
			fmt(buf, sizeof(buf), "max %lld", (long long)period);
		if ((ret = setv("", path, "cpu.max", buf, msg, msglen)))
			return ret;
	}
	if (r->cpu_cpus && r->cpu_cpus[0] &&
	    (ret = setv("", path, "cpuset.cpus", r->cpu_cpus, msg, msglen)))
		return ret;
	if (r->cpu_mems && r->cpu_mems[0] &&
	    (ret = setv("", path, "cpuset.mems", r->cpu_mems, msg, msglen)))
		return ret;
	if (r->pids_limit > 0 && (ret = setnum("", path, "pids.max", r->pids_limit, msg, msglen)))
		return ret;
	if (r->pids_limit < -1 && (ret = setv("", path, "pids.max", "max", msg, msglen)))
		return ret;
	if (r->blkio_weight > 0) {
		fmt(buf, sizeof(buf), "default %lld",
		    (long long)(1 + (r->blkio_weight - 10) * 9999 / 990));
		if ((ret = setv("", path, "io.weight", buf, msg, msglen)))
			return ret;
	}
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < r->nthrottle[t]; i++) {
			const struct oci_weight_dev *d = &r->throttle[t][i];
			fmt(buf, sizeof(buf), "%lld:%lld %s=%llu", (long long)d->major,
			    (long long)d->minor, thr[t], (unsigned long long)d->rate);
			if ((ret = setv("", path, "io.max", buf, msg, msglen)))
				return ret;
		}
	for (size_t i = 0; i < r->nunified; i++) {
		if (strchr(r->unified[i].key, '/')) {
			fmt(msg, msglen, "cgroup: invalid unified key \"%s\"", r->unified[i].key);
			return -EINVAL;
		}
		if ((ret = setv("", path, r->unified[i].key, r->unified[i].value, msg, msglen)))
			return ret;
	}
	/* Device rules on cgroup v2: an eBPF program attached to the cgroup. */
	if (r->ndev_rules) {
		char dir[PATH_MAX];
		if ((ret = cgroup_dir("", path, dir, sizeof(dir))) ||
		    (ret = cgroup_bpf_attach(dir, r->dev_rules, r->ndev_rules))) {
			fmt(msg, msglen, "cgroup: device filter (eBPF): %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int cgroup_apply(const char *path, const struct oci_resources *res, char *msg, size_t msglen)
{
	if (cgroup_mode() == CGROUP_V2)
		return apply_v2(path, res, msg, msglen);
	if (res->nunified) {
		fmt(msg, msglen, "cgroup: linux.resources.unified needs cgroup v2");
		return -EOPNOTSUPP;
	}
	return apply_v1(path, res, msg, msglen);
}

int cgroup_create(const char *path, const struct oci_resources *res, char *msg, size_t msglen)
{
	int r;

	scan();
	for (size_t i = 0; i < nhiers; i++) {
		r = mkdir_path(&hiers[i], path);
		if (r) {
			fmt(msg, msglen, "cgroup: mkdir %s%s: %s", hiers[i].mnt, path,
			    strerror(-r));
			cgroup_destroy(path);
			return r;
		}
	}
	r = cgroup_apply(path, res, msg, msglen);
	if (r)
		cgroup_destroy(path);
	return r;
}

int cgroup_attach_self_v1(const char *path)
{
	char dir[PATH_MAX];
	int r;

	scan();
	for (size_t i = 0; i < nhiers; i++) {
		if (hiers[i].v2)
			continue;
		fmt(dir, sizeof(dir), "%s%s", hiers[i].mnt, path);
		/* "0" in "tasks" moves just the calling thread: the kernel then skips the
		 * global threadgroup lock (and its RCU grace period) that cgroup.procs and
		 * other pids take. */
		r = write_str(dir, "tasks", "0");
		if (r)
			return r;
	}
	return 0;
}

int cgroup_open_v2(const char *path)
{
	char dir[PATH_MAX];
	struct hier *h;
	int fd;

	scan();
	h = find("");
	if (!h)
		return -ENOENT;
	fmt(dir, sizeof(dir), "%s%s", h->mnt, path);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgroup_add_pid_v2(const char *path, pid_t pid)
{
	char dir[PATH_MAX], buf[32];
	struct hier *h;

	scan();
	h = find("");
	if (!h)
		return 0;
	fmt(buf, sizeof(buf), "%d", (int)pid);
	fmt(dir, sizeof(dir), "%s%s", h->mnt, path);
	return write_str(dir, "cgroup.procs", buf);
}

int cgroup_add_pid(const char *path, pid_t pid)
{
	char dir[PATH_MAX], buf[32];
	int r;

	fmt(buf, sizeof(buf), "%d", (int)pid);
	scan();
	for (size_t i = 0; i < nhiers; i++) {
		fmt(dir, sizeof(dir), "%s%s", hiers[i].mnt, path);
		r = write_str(dir, "cgroup.procs", buf);
		if (r)
			return r;
	}
	return 0;
}

int cgroup_pids(const char *path, pid_t **pids, size_t *n)
{
	char dir[PATH_MAX], p[PATH_MAX + 16], line[32];
	const char *ctrl = cgroup_mode() == CGROUP_V2 ? "" : (find("pids") ? "pids" : "memory");
	size_t cap = 0;
	FILE *f;
	int r;

	*pids = NULL;
	*n = 0;
	if ((r = cgroup_dir(ctrl, path, dir, sizeof(dir))))
		return r;
	fmt(p, sizeof(p), "%s/cgroup.procs", dir);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (*n == cap) {
			pid_t *np = realloc(*pids, (cap = cap ? cap * 2 : 16) * sizeof(pid_t));
			if (!np) {
				fclose(f);
				return -ENOMEM;
			}
			*pids = np;
		}
		(*pids)[(*n)++] = atoi(line);
	}
	fclose(f);
	return 0;
}

int cgroup_freeze(const char *path, bool freeze)
{
	char dir[PATH_MAX], buf[64];
	int r;

	if (cgroup_mode() == CGROUP_V2) {
		if ((r = cgroup_dir("", path, dir, sizeof(dir))))
			return r;
		if ((r = write_str(dir, "cgroup.freeze", freeze ? "1" : "0")))
			return r;
		/* Freezing completes asynchronously: wait for cgroup.events to say so. */
		for (int i = 0; i < 1000; i++) {
			char *p;
			if (read_str(dir, "cgroup.events", buf, sizeof(buf)))
				break;
			p = strstr(buf, "frozen ");
			if (p && p[7] == (freeze ? '1' : '0'))
				return 0;
			usleep(1000);
		}
		return -EBUSY;
	}
	if ((r = cgroup_dir("freezer", path, dir, sizeof(dir))))
		return r;
	if ((r = write_str(dir, "freezer.state", freeze ? "FROZEN" : "THAWED")))
		return r;
	/* FREEZING settles into FROZEN once every task has stopped. */
	for (int i = 0; i < 1000; i++) {
		if (read_str(dir, "freezer.state", buf, sizeof(buf)))
			break;
		if (!strncmp(buf, freeze ? "FROZEN" : "THAWED", 6))
			return 0;
		if (freeze && i % 50 == 49)
			write_str(dir, "freezer.state", "FROZEN");
		usleep(1000);
	}
	return -EBUSY;
}

bool cgroup_frozen(const char *path)
{
	char dir[PATH_MAX], buf[64];

	if (cgroup_mode() == CGROUP_V2) {
		char *p;
		if (cgroup_dir("", path, dir, sizeof(dir)) ||
		    read_str(dir, "cgroup.events", buf, sizeof(buf)))
			return false;
		p = strstr(buf, "frozen ");
		if (p && p[7] == '1')
			return true;
		/* Still freezing counts as paused, like v1's FREEZING. */
		return read_str(dir, "cgroup.freeze", buf, sizeof(buf)) == 0 && buf[0] == '1';
	}
	if (cgroup_dir("freezer", path, dir, sizeof(dir)) ||
	    read_str(dir, "freezer.state", buf, sizeof(buf)))
		return false;
	return !strncmp(buf, "FROZEN", 6) || !strncmp(buf, "FREEZING", 8);
}

int cgroup_destroy(const char *path)
{
	char dir[PATH_MAX];
	bool gone[MAX_HIER] = {0};
	int ret = 0;

	if (!path[0] || !strcmp(path, "/"))
		return 0;
	scan();
	/* Exiting tasks keep a cgroup busy for a moment: retry all hierarchies together. */
	for (int t = 0; t < 400; t++) {
		size_t left = 0;
		ret = 0;
		for (size_t i = 0; i < nhiers; i++) {
			if (gone[i])
				continue;
			fmt(dir, sizeof(dir), "%s%s", hiers[i].mnt, path);
			if (rmdir(dir) == 0 || errno == ENOENT) {
				gone[i] = true;
				continue;
			}
			ret = -errno;
			if (errno != EBUSY)
				gone[i] = true;
			else
				left++;
		}
		if (!left)
			break;
		usleep(5000);
	}
	return ret;
}
