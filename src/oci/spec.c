/* config.json parsing. Every value is type- and range-checked; an error names its JSON path,
 * e.g. "linux.namespaces[1].type: unknown namespace type \"bogus\"". */
#include "oci/fmt.h"
#include "oci/spec.h"
#include "oci/spec_json.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "oci/seccomp.h"
#include "oci/caps.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int parse_rlimit_name(const char *name)
{
	static const struct {
		const char *n;
		int r;
	} t[] = {
	    {"RLIMIT_AS", RLIMIT_AS},
	    {"RLIMIT_CORE", RLIMIT_CORE},
	    {"RLIMIT_CPU", RLIMIT_CPU},
	    {"RLIMIT_DATA", RLIMIT_DATA},
	    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
	    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
	    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	    {"RLIMIT_NICE", RLIMIT_NICE},
	    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
	    {"RLIMIT_NPROC", RLIMIT_NPROC},
	    {"RLIMIT_RSS", RLIMIT_RSS},
	    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
	    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	    {"RLIMIT_STACK", RLIMIT_STACK},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].n, name))
			return t[i].r;
	return -1;
}

static int parse_caps(struct spec_ctx *c, json_t *obj, const char *parent, struct oci_caps *caps)
{
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
					   "ambient"};
	uint64_t *dst[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
			   &caps->ambient};
	char p[512];

	SUBPATH(p, parent, "capabilities");
	for (size_t i = 0; i < 5; i++) {
		const char **names;
		size_t n;
		int r = spec_get_strv(c, obj, sets[i], p, &names, &n);
		if (r)
			return r;
		*dst[i] = 0;
		for (size_t j = 0; j < n; j++) {
			int cap = caps_from_name(names[j]);
			if (cap < 0)
				continue; /* runc ignores capabilities this kernel does not know */
			*dst[i] |= 1ULL << cap;
		}
	}
	return 0;
}

int spec_parse_process_json(json_t *obj, struct oci_spec *s, struct oci_process *pr, char *err,
			    size_t errlen)
{
	struct spec_ctx cc = {s, err, errlen}, *c = &cc;
	const char *P = "process";
	json_t *user, *cs, *caps, *rl, *v;
	int64_t x;
	bool has;
	size_t i;
	int r;

	err[0] = 0;
	memset(pr, 0, sizeof(*pr));
	if ((r = spec_get_bool(c, obj, "terminal", P, &pr->terminal)))
		return r;
	if ((r = spec_get_obj(c, obj, "consoleSize", P, &cs)))
		return r;
	if (cs) {
		if ((r = spec_get_int(c, cs, "height", "process.consoleSize", 0, UINT16_MAX, &x,
				      &has)))
			return r;
		pr->console_height = has ? (unsigned)x : 0;
		if ((r = spec_get_int(c, cs, "width", "process.consoleSize", 0, UINT16_MAX, &x,
				      &has)))
			return r;
		pr->console_width = has ? (unsigned)x : 0;
	}
	if ((r = spec_get_obj(c, obj, "user", P, &user)))
		return r;
	if (user) {
		const char *UP = "process.user";
		json_t *gids;
		if ((r = spec_get_int(c, user, "uid", UP, 0, UINT32_MAX - 1, &x, &has)))
			return r;
		pr->uid = has ? (uid_t)x : 0;
		if ((r = spec_get_int(c, user, "gid", UP, 0, UINT32_MAX - 1, &x, &has)))
			return r;
		pr->gid = has ? (gid_t)x : 0;
		if ((r = spec_get_int(c, user, "umask", UP, 0, 0777, &x, &pr->has_umask)))
			return r;
		pr->umask = (mode_t)x;
		if ((r = spec_get_arr(c, user, "additionalGids", UP, &gids)))
			return r;
		if (gids) {
			pr->gids = spec_alloc_n(c, json_array_size(gids), sizeof(gid_t));
			json_array_foreach(gids, i, v)
			{
				char ip[64];
				fmt(ip, sizeof(ip), "process.user.additionalGids[%zu]", i);
				if (!json_is_integer(v) || json_integer_value(v) < 0 ||
				    json_integer_value(v) >= UINT32_MAX)
					return spec_fail(c, ip, "expected a group id");
				pr->gids[i] = (gid_t)json_integer_value(v);
			}
			pr->ngids = json_array_size(gids);
		}
	}
	if ((r = spec_get_strv(c, obj, "args", P, (const char ***)&pr->args, &pr->nargs)))
		return r;
	if ((r = spec_get_strv(c, obj, "env", P, (const char ***)&pr->env, &pr->nenv)))
		return r;
	for (i = 0; i < pr->nenv; i++)
		if (!strchr(pr->env[i], '='))
			return spec_fail(c, "process.env", "entry %zu \"%s\" is not KEY=VALUE", i,
					 pr->env[i]);
	pr->cwd = "/";
	if ((r = spec_get_str(c, obj, "cwd", P, &pr->cwd, false)))
		return r;
	if (pr->cwd[0] != '/')
		return spec_fail(c, "process.cwd", "must be an absolute path, got \"%s\"", pr->cwd);
	if ((r = spec_get_obj(c, obj, "capabilities", P, &caps)))
		return r;
	if (caps) {
		pr->has_caps = true;
		if ((r = parse_caps(c, caps, P, &pr->caps)))
			return r;
	}
	if ((r = spec_get_arr(c, obj, "rlimits", P, &rl)))
		return r;
	if (rl) {
		pr->rlimits = spec_alloc_n(c, json_array_size(rl), sizeof(*pr->rlimits));
		json_array_foreach(rl, i, v)
		{
			char ip[64];
			const char *type = NULL;
			bool h1, h2;
			IDXPATH(ip, "process.rlimits", i);
			if (spec_want(c, v, JSON_OBJECT, ip) ||
			    spec_get_str(c, v, "type", ip, &type, true))
				return -EINVAL;
			pr->rlimits[i].resource = parse_rlimit_name(type);
			if (pr->rlimits[i].resource < 0) {
				char tp[80];
				SUBPATH(tp, ip, "type");
				return spec_fail(c, tp, "unknown rlimit \"%s\"", type);
			}
			if (spec_get_u64(c, v, "soft", ip, &pr->rlimits[i].soft, &h1) ||
			    spec_get_u64(c, v, "hard", ip, &pr->rlimits[i].hard, &h2))
				return -EINVAL;
			if (!h1 || !h2)
				return spec_fail(c, ip, "soft and hard are required");
		}
		pr->nrlimits = json_array_size(rl);
	}
	if ((r = spec_get_bool(c, obj, "noNewPrivileges", P, &pr->no_new_privileges)))
		return r;
	if ((r = spec_get_int(c, obj, "oomScoreAdj", P, -1000, 1000, &x, &pr->has_oom_score_adj)))
		return r;
	pr->oom_score_adj = (int)x;
	return 0;
}

static int parse_hooks(struct spec_ctx *c, json_t *root)
{
	static const char *const keys[HOOK_KINDS] = {"prestart",	"createRuntime",
						     "createContainer", "startContainer",
						     "poststart",	"poststop"};
	json_t *hooks, *arr, *v;
	size_t i;

	if (spec_get_obj(c, root, "hooks", "", &hooks) || !hooks)
		return c->err[0] ? -EINVAL : 0;
	for (int k = 0; k < HOOK_KINDS; k++) {
		char p[64];
		if (spec_get_arr(c, hooks, keys[k], "hooks", &arr))
			return -EINVAL;
		if (!arr)
			continue;
		SUBPATH(p, "hooks", keys[k]);
		c->s->hooks[k] = spec_alloc_n(c, json_array_size(arr), sizeof(struct oci_hook));
		json_array_foreach(arr, i, v)
		{
			struct oci_hook *h = &c->s->hooks[k][i];
			char ip[96];
			size_t n;
			int64_t t = 0;
			IDXPATH(ip, p, i);
			if (spec_want(c, v, JSON_OBJECT, ip) ||
			    spec_get_str(c, v, "path", ip, &h->path, true) ||
			    spec_get_strv(c, v, "args", ip, (const char ***)&h->args, &n) ||
			    spec_get_strv(c, v, "env", ip, (const char ***)&h->env, &n) ||
			    spec_get_int(c, v, "timeout", ip, 1, INT32_MAX, &t, NULL))
				return -EINVAL;
			if (h->path[0] != '/')
				return spec_fail(c, ip, "path must be absolute");
			h->timeout = (int)t;
		}
		c->s->nhooks[k] = json_array_size(arr);
	}
	return 0;
}

static int parse_mounts(struct spec_ctx *c, json_t *root)
{
	json_t *arr, *v;
	size_t i;

	if (spec_get_arr(c, root, "mounts", "", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	c->s->mounts = spec_alloc_n(c, json_array_size(arr), sizeof(struct oci_mount));
	json_array_foreach(arr, i, v)
	{
		struct oci_mount *m = &c->s->mounts[i];
		char ip[64];
		IDXPATH(ip, "mounts", i);
		if (spec_want(c, v, JSON_OBJECT, ip) ||
		    spec_get_str(c, v, "destination", ip, &m->destination, true) ||
		    spec_get_str(c, v, "type", ip, &m->type, false) ||
		    spec_get_str(c, v, "source", ip, &m->source, false) ||
		    spec_get_strv(c, v, "options", ip, &m->options, &m->noptions))
			return -EINVAL;
		if (m->destination[0] != '/')
			return spec_fail(c, ip, "destination \"%s\" is not an absolute path",
					 m->destination);
	}
	c->s->nmounts = json_array_size(arr);
	return 0;
}

static int parse_root(struct spec_ctx *c, json_t *root)
{
	json_t *r, *proc, *ann;
	int ret;

	c->err[0] = 0;
	if (spec_want(c, root, JSON_OBJECT, "(root)"))
		return -EINVAL;
	if (spec_get_str(c, root, "ociVersion", "", &c->s->oci_version, true))
		return -EINVAL;
	if (spec_get_obj(c, root, "root", "", &r))
		return -EINVAL;
	if (!r)
		return spec_fail(c, "root", "required field missing");
	if (spec_get_str(c, r, "path", "root", &c->s->root_path, true) ||
	    spec_get_bool(c, r, "readonly", "root", &c->s->root_readonly))
		return -EINVAL;
	if (!c->s->root_path[0])
		return spec_fail(c, "root.path", "must not be empty");
	if (spec_get_obj(c, root, "process", "", &proc))
		return -EINVAL;
	if (proc) {
		c->s->has_process = true;
		ret = spec_parse_process_json(proc, c->s, &c->s->process, c->err, c->errlen);
		if (ret)
			return ret;
	}
	if (spec_get_str(c, root, "hostname", "", &c->s->hostname, false) ||
	    spec_get_str(c, root, "domainname", "", &c->s->domainname, false) ||
	    spec_get_obj(c, root, "annotations", "", &ann))
		return -EINVAL;
	if (ann) {
		const char *k;
		json_t *v;
		json_object_foreach(ann, k, v)
		{
			char p[512];
			SUBPATH(p, "annotations", k);
			if (spec_want(c, v, JSON_STRING, p))
				return -EINVAL;
		}
	}
	if (parse_mounts(c, root) || parse_hooks(c, root) || spec_parse_linux(c, root))
		return -EINVAL;
	return 0;
}

int spec_parse(const char *text, struct oci_spec *spec, char *err, size_t errlen)
{
	struct spec_ctx c = {spec, err, errlen};
	json_error_t je;
	int r;

	memset(spec, 0, sizeof(*spec));
	spec->json = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!spec->json) {
		fmt(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column,
		    je.text);
		return -EINVAL;
	}
	r = parse_root(&c, spec->json);
	if (r && !err[0])
		fmt(err, errlen, "out of memory");
	if (r)
		spec_free(spec); /* a failed parse leaves nothing to free */
	return r;
}

int spec_load(const char *path, struct oci_spec *spec, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long len;
	int r;

	memset(spec, 0, sizeof(*spec));
	if (!f) {
		r = -errno;
		fmt(err, errlen, "open %s: %s", path, strerror(errno));
		return r;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (len < 0 || len > 64 * 1024 * 1024) {
		fclose(f);
		fmt(err, errlen, "%s: unreasonable size", path);
		return -EFBIG;
	}
	buf = malloc((size_t)len + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	buf[fread(buf, 1, (size_t)len, f)] = 0;
	fclose(f);
	r = spec_parse(buf, spec, err, errlen);
	free(buf);
	return r;
}

void spec_free(struct oci_spec *spec)
{
	for (size_t i = 0; i < spec->arena.n; i++)
		free(spec->arena.ptrs[i]);
	free(spec->arena.ptrs);
	if (spec->json)
		json_decref(spec->json);
	memset(spec, 0, sizeof(*spec));
}

static const struct {
	const char *name;
	int type;
} ns_names[] = {
    {"pid", CLONE_NEWPID},	 {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int spec_ns_type(const char *name)
{
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (!strcmp(ns_names[i].name, name))
			return ns_names[i].type;
	return 0;
}

const char *spec_ns_name(int type)
{
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (ns_names[i].type == type)
			return ns_names[i].name;
	return "?";
}

const struct oci_namespace *spec_namespace(const struct oci_spec *spec, int type)
{
	for (size_t i = 0; i < spec->nnamespaces; i++)
		if (spec->namespaces[i].type == type)
			return &spec->namespaces[i];
	return NULL;
}

const char *spec_hook_name(enum oci_hook_kind k)
{
	static const char *const n[HOOK_KINDS] = {"prestart",	     "createRuntime",
						  "createContainer", "startContainer",
						  "poststart",	     "poststop"};
	return k < HOOK_KINDS ? n[k] : "?";
}
