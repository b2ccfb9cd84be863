/* config.json: the "linux" object (namespaces, id maps, devices, resources, seccomp,
 * sysctl, paths, time offsets). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/seccomp.h"
#include "oci/spec_json.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int parse_idmaps(struct spec_ctx *c, json_t *lin, const char *key, struct oci_idmap **out,
			size_t *n)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (spec_get_arr(c, lin, key, "linux", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	SUBPATH(p, "linux", key);
	*out = spec_alloc_n(c, json_array_size(arr), sizeof(**out));
	json_array_foreach(arr, i, v)
	{
		char ip[96];
		int64_t a, b, s;
		bool ha, hb, hs;
		IDXPATH(ip, p, i);
		if (spec_want(c, v, JSON_OBJECT, ip) ||
		    spec_get_int(c, v, "containerID", ip, 0, UINT32_MAX, &a, &ha) ||
		    spec_get_int(c, v, "hostID", ip, 0, UINT32_MAX, &b, &hb) ||
		    spec_get_int(c, v, "size", ip, 1, UINT32_MAX, &s, &hs))
			return -EINVAL;
		if (!ha || !hb || !hs)
			return spec_fail(c, ip, "containerID, hostID and size are required");
		(*out)[i] = (struct oci_idmap){(uint32_t)a, (uint32_t)b, (uint32_t)s};
	}
	*n = json_array_size(arr);
	return 0;
}

static int parse_namespaces(struct spec_ctx *c, json_t *lin)
{
	json_t *arr, *v;
	size_t i;

	if (spec_get_arr(c, lin, "namespaces", "linux", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	c->s->namespaces = spec_alloc_n(c, json_array_size(arr), sizeof(struct oci_namespace));
	json_array_foreach(arr, i, v)
	{
		struct oci_namespace *ns = &c->s->namespaces[i];
		const char *type = NULL;
		char ip[64], tp[80];
		IDXPATH(ip, "linux.namespaces", i);
		SUBPATH(tp, ip, "type");
		if (spec_want(c, v, JSON_OBJECT, ip) ||
		    spec_get_str(c, v, "type", ip, &type, true) ||
		    spec_get_str(c, v, "path", ip, &ns->path, false))
			return -EINVAL;
		ns->type = spec_ns_type(type);
		if (!ns->type)
			return spec_fail(c, tp, "unknown namespace type \"%s\"", type);
		for (size_t j = 0; j < i; j++)
			if (c->s->namespaces[j].type == ns->type)
				return spec_fail(c, tp, "duplicate namespace \"%s\"", type);
		if (ns->path && ns->path[0] != '/')
			return spec_fail(c, ip, "path must be absolute");
	}
	c->s->nnamespaces = json_array_size(arr);
	return 0;
}

static int parse_kv_object(struct spec_ctx *c, json_t *obj, const char *path, struct oci_kv **out,
			   size_t *n)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	*out = spec_alloc_n(c, json_object_size(obj), sizeof(**out));
	json_object_foreach(obj, k, v)
	{
		char p[512];
		SUBPATH(p, path, k);
		if (spec_want(c, v, JSON_STRING, p))
			return -EINVAL;
		(*out)[i].key = k;
		(*out)[i++].value = json_string_value(v);
	}
	*n = i;
	return 0;
}

static int parse_dev_rules(struct spec_ctx *c, json_t *arr, struct oci_resources *r)
{
	json_t *v;
	size_t i;

	r->dev_rules = spec_alloc_n(c, json_array_size(arr), sizeof(*r->dev_rules));
	json_array_foreach(arr, i, v)
	{
		struct oci_dev_rule *d = &r->dev_rules[i];
		const char *type = "a", *access = "rwm";
		bool allow = false, has;
		char ip[64];
		IDXPATH(ip, "linux.resources.devices", i);
		d->major = d->minor = -1;
		if (spec_want(c, v, JSON_OBJECT, ip) || spec_get_bool(c, v, "allow", ip, &allow) ||
		    spec_get_str(c, v, "type", ip, &type, false) ||
		    spec_get_str(c, v, "access", ip, &access, false) ||
		    spec_get_int(c, v, "major", ip, -1, UINT32_MAX, &d->major, &has) ||
		    spec_get_int(c, v, "minor", ip, -1, UINT32_MAX, &d->minor, &has))
			return -EINVAL;
		if (strlen(type) != 1 || !strchr("acb", type[0]))
			return spec_fail(c, ip, "type must be a, c or b, got \"%s\"", type);
		if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
			return spec_fail(
			    c, ip, "access must be a combination of r, w, m; got \"%s\"", access);
		d->allow = allow;
		d->type = type[0];
		fmt(d->access, sizeof(d->access), "%s", access);
	}
	r->ndev_rules = json_array_size(arr);
	return 0;
}

static int parse_weight_devs(struct spec_ctx *c, json_t *blk, const char *key, bool throttle,
			     struct oci_weight_dev **out, size_t *n)
{
	json_t *arr, *v;
	size_t i;
	char p[96];

	if (spec_get_arr(c, blk, key, "linux.resources.blockIO", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	SUBPATH(p, "linux.resources.blockIO", key);
	*out = spec_alloc_n(c, json_array_size(arr), sizeof(**out));
	json_array_foreach(arr, i, v)
	{
		struct oci_weight_dev *d = &(*out)[i];
		char ip[128];
		bool h1, h2;
		IDXPATH(ip, p, i);
		d->weight = d->leaf_weight = -1;
		if (spec_want(c, v, JSON_OBJECT, ip) ||
		    spec_get_int(c, v, "major", ip, 0, UINT32_MAX, &d->major, &h1) ||
		    spec_get_int(c, v, "minor", ip, 0, UINT32_MAX, &d->minor, &h2))
			return -EINVAL;
		if (!h1 || !h2)
			return spec_fail(c, ip, "major and minor are required");
		if (throttle) {
			if (spec_get_u64(c, v, "rate", ip, &d->rate, &h1))
				return -EINVAL;
			if (!h1)
				return spec_fail(c, ip, "rate is required");
		} else if (spec_get_int(c, v, "weight", ip, 0, 10000, &d->weight, NULL) ||
			   spec_get_int(c, v, "leafWeight", ip, 0, 10000, &d->leaf_weight, NULL)) {
			return -EINVAL;
		}
	}
	*n = json_array_size(arr);
	return 0;
}

void spec_resources_init(struct oci_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->mem_limit = r->mem_reservation = r->mem_swap = r->mem_swappiness = -1;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_rt_runtime = r->cpu_rt_period = -1;
	r->pids_limit = -1;
	r->blkio_weight = r->blkio_leaf_weight = -1;
}

static int resources(struct spec_ctx *c, json_t *res, struct oci_resources *r)
{
	const char *RP = "linux.resources";
	json_t *mem, *cpu, *pids, *blk, *devs, *uni;
	static const char *const thr[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
					   "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};

	spec_resources_init(r);
	if (spec_get_obj(c, res, "memory", RP, &mem) || spec_get_obj(c, res, "cpu", RP, &cpu) ||
	    spec_get_obj(c, res, "pids", RP, &pids) || spec_get_obj(c, res, "blockIO", RP, &blk) ||
	    spec_get_arr(c, res, "devices", RP, &devs) || spec_get_obj(c, res, "unified", RP, &uni))
		return -EINVAL;
	if (mem) {
		const char *MP = "linux.resources.memory";
		if (spec_get_int(c, mem, "limit", MP, -1, INT64_MAX, &r->mem_limit, NULL) ||
		    spec_get_int(c, mem, "reservation", MP, -1, INT64_MAX, &r->mem_reservation,
				 NULL) ||
		    spec_get_int(c, mem, "swap", MP, -1, INT64_MAX, &r->mem_swap, NULL) ||
		    spec_get_int(c, mem, "swappiness", MP, 0, 100, &r->mem_swappiness, NULL) ||
		    spec_get_bool(c, mem, "disableOOMKiller", MP, &r->mem_disable_oom_killer))
			return -EINVAL;
		if (r->mem_limit > 0 && r->mem_swap > 0 && r->mem_swap < r->mem_limit)
			return spec_fail(c, "linux.resources.memory.swap",
					 "must be at least the memory limit (%lld)",
					 (long long)r->mem_limit);
	}
	if (cpu) {
		const char *CP = "linux.resources.cpu";
		if (spec_get_int(c, cpu, "shares", CP, 0, INT64_MAX, &r->cpu_shares, NULL) ||
		    spec_get_int(c, cpu, "quota", CP, -1, INT64_MAX, &r->cpu_quota, NULL) ||
		    spec_get_int(c, cpu, "period", CP, 0, INT64_MAX, &r->cpu_period, NULL) ||
		    spec_get_int(c, cpu, "realtimeRuntime", CP, -1, INT64_MAX, &r->cpu_rt_runtime,
				 NULL) ||
		    spec_get_int(c, cpu, "realtimePeriod", CP, 0, INT64_MAX, &r->cpu_rt_period,
				 NULL) ||
		    spec_get_str(c, cpu, "cpus", CP, &r->cpu_cpus, false) ||
		    spec_get_str(c, cpu, "mems", CP, &r->cpu_mems, false))
			return -EINVAL;
	}
	if (pids && spec_get_int(c, pids, "limit", "linux.resources.pids", -1, INT64_MAX,
				 &r->pids_limit, NULL))
		return -EINVAL;
	if (blk) {
		const char *BP = "linux.resources.blockIO";
		if (spec_get_int(c, blk, "weight", BP, 0, 1000, &r->blkio_weight, NULL) ||
		    spec_get_int(c, blk, "leafWeight", BP, 0, 1000, &r->blkio_leaf_weight, NULL) ||
		    parse_weight_devs(c, blk, "weightDevice", false, &r->weight_devs,
				      &r->nweight_devs))
			return -EINVAL;
		for (int i = 0; i < 4; i++)
			if (parse_weight_devs(c, blk, thr[i], true, &r->throttle[i],
					      &r->nthrottle[i]))
				return -EINVAL;
	}
	if (devs && parse_dev_rules(c, devs, r))
		return -EINVAL;
	if (uni && parse_kv_object(c, uni, "linux.resources.unified", &r->unified, &r->nunified))
		return -EINVAL;
	return 0;
}

int spec_parse_resources_json(json_t *obj, struct oci_spec *s, struct oci_resources *r, char *err,
			      size_t errlen)
{
	struct spec_ctx c = {s, err, errlen};
	err[0] = 0;
	return resources(&c, obj, r);
}

static int parse_devices(struct spec_ctx *c, json_t *lin)
{
	json_t *arr, *v;
	size_t i;

	if (spec_get_arr(c, lin, "devices", "linux", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	c->s->devices = spec_alloc_n(c, json_array_size(arr), sizeof(struct oci_device));
	json_array_foreach(arr, i, v)
	{
		struct oci_device *d = &c->s->devices[i];
		const char *type = NULL;
		int64_t x;
		bool h1, h2;
		char ip[64];
		IDXPATH(ip, "linux.devices", i);
		if (spec_want(c, v, JSON_OBJECT, ip) ||
		    spec_get_str(c, v, "path", ip, &d->path, true) ||
		    spec_get_str(c, v, "type", ip, &type, true) ||
		    spec_get_int(c, v, "major", ip, 0, UINT32_MAX, &d->major, &h1) ||
		    spec_get_int(c, v, "minor", ip, 0, UINT32_MAX, &d->minor, &h2) ||
		    spec_get_int(c, v, "fileMode", ip, 0, 07777, &x, &d->has_mode))
			return -EINVAL;
		d->mode = (mode_t)x;
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return spec_fail(c, ip, "type must be c, b, u or p, got \"%s\"", type);
		d->type = type[0];
		if (d->type != 'p' && (!h1 || !h2))
			return spec_fail(c, ip, "major and minor are required for type %c",
					 d->type);
		if (spec_get_int(c, v, "uid", ip, 0, UINT32_MAX - 1, &x, &h1))
			return -EINVAL;
		d->uid = h1 ? (uid_t)x : 0;
		if (spec_get_int(c, v, "gid", ip, 0, UINT32_MAX - 1, &x, &h1))
			return -EINVAL;
		d->gid = h1 ? (gid_t)x : 0;
		if (d->path[0] != '/')
			return spec_fail(c, ip, "path must be absolute");
	}
	c->s->ndevices = json_array_size(arr);
	return 0;
}

static int parse_seccomp(struct spec_ctx *c, json_t *sc)
{
	const char *SP = "linux.seccomp";
	struct oci_seccomp *s = spec_alloc_n(c, 1, sizeof(*s));
	const char *defact = NULL, **archs, **flags;
	size_t narch, nflags, i;
	int64_t def_errno = -1;
	json_t *arr, *v;
	char p[96];

	c->s->seccomp = s;
	if (spec_get_str(c, sc, "defaultAction", SP, &defact, true) ||
	    spec_get_int(c, sc, "defaultErrnoRet", SP, 0, 4095, &def_errno, NULL) ||
	    spec_get_strv(c, sc, "architectures", SP, &archs, &narch) ||
	    spec_get_strv(c, sc, "flags", SP, &flags, &nflags) ||
	    spec_get_arr(c, sc, "syscalls", SP, &arr))
		return -EINVAL;
	if (seccomp_parse_action(defact, def_errno, &s->default_action))
		return spec_fail(c, "linux.seccomp.defaultAction", "unknown action \"%s\"", defact);
	if (spec_get_str(c, sc, "listenerPath", SP, &defact, false))
		return -EINVAL;
	s->archs = spec_alloc_n(c, narch, sizeof(uint32_t));
	for (i = 0; i < narch; i++) {
		if (seccomp_parse_arch(archs[i], &s->archs[s->narchs]) == 0)
			s->narchs++;
		else if (seccomp_arch_known(archs[i]) != 0)
			return spec_fail(c, "linux.seccomp.architectures",
					 "unknown architecture \"%s\"", archs[i]);
	}
	for (i = 0; i < nflags; i++) {
		if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG"))
			s->flag_log = true;
		else if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			s->flag_spec_allow = true;
		else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC"))
			return spec_fail(c, "linux.seccomp.flags", "unknown flag \"%s\"", flags[i]);
	}
	if (!arr)
		return 0;
	s->rules = spec_alloc_n(c, json_array_size(arr), sizeof(*s->rules));
	json_array_foreach(arr, i, v)
	{
		struct oci_seccomp_rule *rule = &s->rules[i];
		const char *act = NULL;
		int64_t eno = -1;
		json_t *args, *a;
		size_t j;
		IDXPATH(p, "linux.seccomp.syscalls", i);
		if (spec_want(c, v, JSON_OBJECT, p) ||
		    spec_get_strv(c, v, "names", p, &rule->names, &rule->nnames) ||
		    spec_get_str(c, v, "action", p, &act, true) ||
		    spec_get_int(c, v, "errnoRet", p, 0, 4095, &eno, NULL) ||
		    spec_get_arr(c, v, "args", p, &args))
			return -EINVAL;
		if (seccomp_parse_action(act, eno, &rule->action)) {
			char ap[128];
			SUBPATH(ap, p, "action");
			return spec_fail(c, ap, "unknown action \"%s\"", act);
		}
		if (!args)
			continue;
		rule->args = spec_alloc_n(c, json_array_size(args), sizeof(*rule->args));
		json_array_foreach(args, j, a)
		{
			struct oci_seccomp_arg *sa = &rule->args[j];
			char ap[160];
			const char *op = NULL;
			int64_t idx;
			bool h;
			fmt(ap, sizeof(ap), "%s.args[%zu]", p, j);
			if (spec_want(c, a, JSON_OBJECT, ap) ||
			    spec_get_int(c, a, "index", ap, 0, 5, &idx, &h) ||
			    spec_get_u64(c, a, "value", ap, &sa->value, NULL) ||
			    spec_get_u64(c, a, "valueTwo", ap, &sa->value_two, NULL) ||
			    spec_get_str(c, a, "op", ap, &op, true))
				return -EINVAL;
			if (!h)
				return spec_fail(c, ap, "index is required");
			sa->index = (unsigned)idx;
			sa->op = seccomp_parse_op(op);
			if (sa->op < 0)
				return spec_fail(c, ap, "unknown operator \"%s\"", op);
		}
		rule->nargs = json_array_size(args);
	}
	s->nrules = json_array_size(arr);
	return 0;
}

int spec_parse_linux(struct spec_ctx *c, json_t *root)
{
	struct oci_spec *s = c->s;
	json_t *lin, *obj;
	const char *LP = "linux";

	if (spec_get_obj(c, root, "linux", "", &lin))
		return -EINVAL;
	spec_resources_init(&s->res);
	if (!lin)
		return 0;
	if (parse_namespaces(c, lin) ||
	    parse_idmaps(c, lin, "uidMappings", &s->uid_maps, &s->nuid_maps) ||
	    parse_idmaps(c, lin, "gidMappings", &s->gid_maps, &s->ngid_maps) ||
	    parse_devices(c, lin) ||
	    spec_get_str(c, lin, "cgroupsPath", LP, &s->cgroups_path, false) ||
	    spec_get_str(c, lin, "rootfsPropagation", LP, &s->rootfs_propagation, false) ||
	    spec_get_strv(c, lin, "maskedPaths", LP, &s->masked_paths, &s->nmasked) ||
	    spec_get_strv(c, lin, "readonlyPaths", LP, &s->readonly_paths, &s->nreadonly))
		return -EINVAL;
	if (s->rootfs_propagation) {
		static const char *const ok[] = {"private",    "rprivate",   "slave",
						 "rslave",     "shared",     "rshared",
						 "unbindable", "runbindable"};
		bool found = false;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			found |= !strcmp(ok[i], s->rootfs_propagation);
		if (!found)
			return spec_fail(c, "linux.rootfsPropagation", "invalid value \"%s\"",
					 s->rootfs_propagation);
	}
	if (spec_get_obj(c, lin, "sysctl", LP, &obj))
		return -EINVAL;
	if (obj && parse_kv_object(c, obj, "linux.sysctl", &s->sysctl, &s->nsysctl))
		return -EINVAL;
	if (spec_get_obj(c, lin, "resources", LP, &obj))
		return -EINVAL;
	if (obj && resources(c, obj, &s->res))
		return -EINVAL;
	if (spec_get_obj(c, lin, "seccomp", LP, &obj))
		return -EINVAL;
	if (obj && parse_seccomp(c, obj))
		return -EINVAL;
	if (spec_get_obj(c, lin, "personality", LP, &obj))
		return -EINVAL;
	if (obj) {
		const char *dom = NULL;
		if (spec_get_str(c, obj, "domain", "linux.personality", &dom, true))
			return -EINVAL;
		if (!strcmp(dom, "LINUX"))
			s->personality = 0x0000; /* PER_LINUX */
		else if (!strcmp(dom, "LINUX32"))
			s->personality = 0x0008; /* PER_LINUX32 */
		else
			return spec_fail(c, "linux.personality.domain", "unknown domain \"%s\"",
					 dom);
		s->has_personality = true;
	}
	if (spec_get_obj(c, lin, "timeOffsets", LP, &obj))
		return -EINVAL;
	if (obj) {
		json_t *bt, *mono;
		int64_t ns = 0;
		if (spec_get_obj(c, obj, "boottime", "linux.timeOffsets", &bt) ||
		    spec_get_obj(c, obj, "monotonic", "linux.timeOffsets", &mono))
			return -EINVAL;
		s->has_time_offsets = true;
		if (bt && (spec_get_int(c, bt, "secs", "linux.timeOffsets.boottime", INT32_MIN,
					INT32_MAX, &s->boottime_secs, NULL) ||
			   spec_get_int(c, bt, "nanosecs", "linux.timeOffsets.boottime", 0,
					999999999, &ns, NULL)))
			return -EINVAL;
		s->boottime_nsecs = (uint32_t)ns;
		ns = 0;
		if (mono && (spec_get_int(c, mono, "secs", "linux.timeOffsets.monotonic", INT32_MIN,
					  INT32_MAX, &s->monotonic_secs, NULL) ||
			     spec_get_int(c, mono, "nanosecs", "linux.timeOffsets.monotonic", 0,
					  999999999, &ns, NULL)))
			return -EINVAL;
		s->monotonic_nsecs = (uint32_t)ns;
	}
	if ((s->nuid_maps || s->ngid_maps) && !spec_namespace(s, CLONE_NEWUSER))
		return spec_fail(c, "linux.uidMappings", "mappings given without a user namespace");
	return 0;
}
