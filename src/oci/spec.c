/* config.json parsing. Every value is type- and range-checked; an error names its JSON path,
 * e.g. "linux.namespaces[1].type: unknown namespace type \"bogus\"". */
#include "oci/fmt.h"
#include "oci/spec.h"

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

struct pctx {
	struct oci_spec *s;
	char *err;
	size_t errlen;
};

static void *arena_alloc(struct oci_arena *a, size_t size)
{
	void *p;

	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 32;
		void **np = realloc(a->ptrs, ncap * sizeof(*np));
		if (!np)
			return NULL;
		a->ptrs = np;
		a->cap = ncap;
	}
	p = calloc(1, size ? size : 1);
	if (p)
		a->ptrs[a->n++] = p;
	return p;
}

static int fail(struct pctx *c, const char *path, const char *fm, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct pctx *c, const char *path, const char *fm, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fm);
	vsnprintf(msg, sizeof(msg), fm, ap);
	va_end(ap);
	fmt(c->err, c->errlen, "%s: %s", path, msg);
	return -EINVAL;
}

#define SUBPATH(buf, parent, key) fmt(buf, sizeof(buf), "%s%s%s", parent, *parent ? "." : "", key)
#define IDXPATH(buf, parent, i)	  fmt(buf, sizeof(buf), "%s[%zu]", parent, (size_t)(i))

static const char *type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Returns the member or NULL; a JSON null counts as absent. */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

static int want(struct pctx *c, json_t *v, json_type t, const char *path)
{
	static const char *const names[] = {"an object", "an array",  "a string",  "a number",
					    "a number",	 "a boolean", "a boolean", "null"};
	bool ok = json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v));
	if (!ok)
		return fail(c, path, "expected %s, got %s", names[t], type_name(v));
	return 0;
}

static int get_str(struct pctx *c, json_t *obj, const char *key, const char *parent,
		   const char **out, bool required)
{
	char p[512];
	json_t *v = member(obj, key);

	SUBPATH(p, parent, key);
	if (!v) {
		if (required)
			return fail(c, p, "required field missing");
		return 0;
	}
	if (want(c, v, JSON_STRING, p))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

static int get_bool(struct pctx *c, json_t *obj, const char *key, const char *parent, bool *out)
{
	char p[512];
	json_t *v = member(obj, key);

	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (want(c, v, JSON_TRUE, p))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

/* Integer in [lo, hi]; sets *present when given. */
static int get_int(struct pctx *c, json_t *obj, const char *key, const char *parent, int64_t lo,
		   int64_t hi, int64_t *out, bool *present)
{
	char p[512];
	json_t *v = member(obj, key);

	if (present)
		*present = false;
	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (!json_is_integer(v))
		return fail(c, p, "expected an integer, got %s", type_name(v));
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(c, p, "value %lld out of range [%lld, %lld]",
			    (long long)json_integer_value(v), (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return 0;
}

/* uint64 values above INT64_MAX arrive as reals or overflowed ints; jansson holds 64-bit
 * signed integers, so the largest uint64 values cannot be represented. Accept what fits. */
static int get_u64(struct pctx *c, json_t *obj, const char *key, const char *parent, uint64_t *out,
		   bool *present)
{
	int64_t v = 0;
	int r = get_int(c, obj, key, parent, 0, INT64_MAX, &v, present);
	if (!r && present && *present)
		*out = (uint64_t)v;
	else if (!r && !present)
		*out = (uint64_t)v;
	return r;
}

static int get_obj(struct pctx *c, json_t *obj, const char *key, const char *parent, json_t **out)
{
	char p[512];
	json_t *v = member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (want(c, v, JSON_OBJECT, p))
		return -EINVAL;
	*out = v;
	return 0;
}

static int get_arr(struct pctx *c, json_t *obj, const char *key, const char *parent, json_t **out)
{
	char p[512];
	json_t *v = member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (want(c, v, JSON_ARRAY, p))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Array of strings -> NULL-terminated vector in the arena. */
static int get_strv(struct pctx *c, json_t *obj, const char *key, const char *parent,
		    const char ***out, size_t *n)
{
	char p[512], ip[560];
	json_t *arr, *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (get_arr(c, obj, key, parent, &arr) || !arr)
		return arr ? 0 : (c->err[0] ? -EINVAL : 0);
	SUBPATH(p, parent, key);
	*out = arena_alloc(&c->s->arena, (json_array_size(arr) + 1) * sizeof(char *));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		IDXPATH(ip, p, i);
		if (want(c, v, JSON_STRING, ip))
			return -EINVAL;
		(*out)[i] = json_string_value(v);
	}
	*n = json_array_size(arr);
	return 0;
}

static void *alloc_n(struct pctx *c, size_t n, size_t size)
{
	return arena_alloc(&c->s->arena, (n + 1) * size);
}

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

static int parse_caps(struct pctx *c, json_t *obj, const char *parent, struct oci_caps *caps)
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
		int r = get_strv(c, obj, sets[i], p, &names, &n);
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
	struct pctx cc = {s, err, errlen}, *c = &cc;
	const char *P = "process";
	json_t *user, *cs, *caps, *rl, *v;
	int64_t x;
	bool has;
	size_t i;
	int r;

	err[0] = 0;
	memset(pr, 0, sizeof(*pr));
	if ((r = get_bool(c, obj, "terminal", P, &pr->terminal)))
		return r;
	if ((r = get_obj(c, obj, "consoleSize", P, &cs)))
		return r;
	if (cs) {
		if ((r = get_int(c, cs, "height", "process.consoleSize", 0, UINT16_MAX, &x, &has)))
			return r;
		pr->console_height = has ? (unsigned)x : 0;
		if ((r = get_int(c, cs, "width", "process.consoleSize", 0, UINT16_MAX, &x, &has)))
			return r;
		pr->console_width = has ? (unsigned)x : 0;
	}
	if ((r = get_obj(c, obj, "user", P, &user)))
		return r;
	if (user) {
		const char *UP = "process.user";
		json_t *gids;
		if ((r = get_int(c, user, "uid", UP, 0, UINT32_MAX - 1, &x, &has)))
			return r;
		pr->uid = has ? (uid_t)x : 0;
		if ((r = get_int(c, user, "gid", UP, 0, UINT32_MAX - 1, &x, &has)))
			return r;
		pr->gid = has ? (gid_t)x : 0;
		if ((r = get_int(c, user, "umask", UP, 0, 0777, &x, &pr->has_umask)))
			return r;
		pr->umask = (mode_t)x;
		if ((r = get_arr(c, user, "additionalGids", UP, &gids)))
			return r;
		if (gids) {
			pr->gids = alloc_n(c, json_array_size(gids), sizeof(gid_t));
			json_array_foreach(gids, i, v)
			{
				char ip[64];
				fmt(ip, sizeof(ip), "process.user.additionalGids[%zu]", i);
				if (!json_is_integer(v) || json_integer_value(v) < 0 ||
				    json_integer_value(v) >= UINT32_MAX)
					return fail(c, ip, "expected a group id");
				pr->gids[i] = (gid_t)json_integer_value(v);
			}
			pr->ngids = json_array_size(gids);
		}
	}
	if ((r = get_strv(c, obj, "args", P, (const char ***)&pr->args, &pr->nargs)))
		return r;
	if ((r = get_strv(c, obj, "env", P, (const char ***)&pr->env, &pr->nenv)))
		return r;
	for (i = 0; i < pr->nenv; i++)
		if (!strchr(pr->env[i], '='))
			return fail(c, "process.env", "entry %zu \"%s\" is not KEY=VALUE", i,
				    pr->env[i]);
	pr->cwd = "/";
	if ((r = get_str(c, obj, "cwd", P, &pr->cwd, false)))
		return r;
	if (pr->cwd[0] != '/')
		return fail(c, "process.cwd", "must be an absolute path, got \"%s\"", pr->cwd);
	if ((r = get_obj(c, obj, "capabilities", P, &caps)))
		return r;
	if (caps) {
		pr->has_caps = true;
		if ((r = parse_caps(c, caps, P, &pr->caps)))
			return r;
	}
	if ((r = get_arr(c, obj, "rlimits", P, &rl)))
		return r;
	if (rl) {
		pr->rlimits = alloc_n(c, json_array_size(rl), sizeof(*pr->rlimits));
		json_array_foreach(rl, i, v)
		{
			char ip[64];
			const char *type = NULL;
			bool h1, h2;
			IDXPATH(ip, "process.rlimits", i);
			if (want(c, v, JSON_OBJECT, ip) || get_str(c, v, "type", ip, &type, true))
				return -EINVAL;
			pr->rlimits[i].resource = parse_rlimit_name(type);
			if (pr->rlimits[i].resource < 0) {
				char tp[80];
				SUBPATH(tp, ip, "type");
				return fail(c, tp, "unknown rlimit \"%s\"", type);
			}
			if (get_u64(c, v, "soft", ip, &pr->rlimits[i].soft, &h1) ||
			    get_u64(c, v, "hard", ip, &pr->rlimits[i].hard, &h2))
				return -EINVAL;
			if (!h1 || !h2)
				return fail(c, ip, "soft and hard are required");
		}
		pr->nrlimits = json_array_size(rl);
	}
	if ((r = get_bool(c, obj, "noNewPrivileges", P, &pr->no_new_privileges)))
		return r;
	if ((r = get_int(c, obj, "oomScoreAdj", P, -1000, 1000, &x, &pr->has_oom_score_adj)))
		return r;
	pr->oom_score_adj = (int)x;
	return 0;
}

static int parse_hooks(struct pctx *c, json_t *root)
{
	static const char *const keys[HOOK_KINDS] = {"prestart",	"createRuntime",
						     "createContainer", "startContainer",
						     "poststart",	"poststop"};
	json_t *hooks, *arr, *v;
	size_t i;

	if (get_obj(c, root, "hooks", "", &hooks) || !hooks)
		return c->err[0] ? -EINVAL : 0;
	for (int k = 0; k < HOOK_KINDS; k++) {
		char p[64];
		if (get_arr(c, hooks, keys[k], "hooks", &arr))
			return -EINVAL;
		if (!arr)
			continue;
		SUBPATH(p, "hooks", keys[k]);
		c->s->hooks[k] = alloc_n(c, json_array_size(arr), sizeof(struct oci_hook));
		json_array_foreach(arr, i, v)
		{
			struct oci_hook *h = &c->s->hooks[k][i];
			char ip[96];
			size_t n;
			int64_t t = 0;
			IDXPATH(ip, p, i);
			if (want(c, v, JSON_OBJECT, ip) ||
			    get_str(c, v, "path", ip, &h->path, true) ||
			    get_strv(c, v, "args", ip, (const char ***)&h->args, &n) ||
			    get_strv(c, v, "env", ip, (const char ***)&h->env, &n) ||
			    get_int(c, v, "timeout", ip, 1, INT32_MAX, &t, NULL))
				return -EINVAL;
			if (h->path[0] != '/')
				return fail(c, ip, "path must be absolute");
			h->timeout = (int)t;
		}
		c->s->nhooks[k] = json_array_size(arr);
	}
	return 0;
}

static int parse_mounts(struct pctx *c, json_t *root)
{
	json_t *arr, *v;
	size_t i;

	if (get_arr(c, root, "mounts", "", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	c->s->mounts = alloc_n(c, json_array_size(arr), sizeof(struct oci_mount));
	json_array_foreach(arr, i, v)
	{
		struct oci_mount *m = &c->s->mounts[i];
		char ip[64];
		IDXPATH(ip, "mounts", i);
		if (want(c, v, JSON_OBJECT, ip) ||
		    get_str(c, v, "destination", ip, &m->destination, true) ||
		    get_str(c, v, "type", ip, &m->type, false) ||
		    get_str(c, v, "source", ip, &m->source, false) ||
		    get_strv(c, v, "options", ip, &m->options, &m->noptions))
			return -EINVAL;
		if (m->destination[0] != '/')
			return fail(c, ip, "destination \"%s\" is not an absolute path",
				    m->destination);
	}
	c->s->nmounts = json_array_size(arr);
	return 0;
}

static int parse_idmaps(struct pctx *c, json_t *lin, const char *key, struct oci_idmap **out,
			size_t *n)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (get_arr(c, lin, key, "linux", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	SUBPATH(p, "linux", key);
	*out = alloc_n(c, json_array_size(arr), sizeof(**out));
	json_array_foreach(arr, i, v)
	{
		char ip[96];
		int64_t a, b, s;
		bool ha, hb, hs;
		IDXPATH(ip, p, i);
		if (want(c, v, JSON_OBJECT, ip) ||
		    get_int(c, v, "containerID", ip, 0, UINT32_MAX, &a, &ha) ||
		    get_int(c, v, "hostID", ip, 0, UINT32_MAX, &b, &hb) ||
		    get_int(c, v, "size", ip, 1, UINT32_MAX, &s, &hs))
			return -EINVAL;
		if (!ha || !hb || !hs)
			return fail(c, ip, "containerID, hostID and size are required");
		(*out)[i] = (struct oci_idmap){(uint32_t)a, (uint32_t)b, (uint32_t)s};
	}
	*n = json_array_size(arr);
	return 0;
}

static int parse_namespaces(struct pctx *c, json_t *lin)
{
	json_t *arr, *v;
	size_t i;

	if (get_arr(c, lin, "namespaces", "linux", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	c->s->namespaces = alloc_n(c, json_array_size(arr), sizeof(struct oci_namespace));
	json_array_foreach(arr, i, v)
	{
		struct oci_namespace *ns = &c->s->namespaces[i];
		const char *type = NULL;
		char ip[64], tp[80];
		IDXPATH(ip, "linux.namespaces", i);
		SUBPATH(tp, ip, "type");
		if (want(c, v, JSON_OBJECT, ip) || get_str(c, v, "type", ip, &type, true) ||
		    get_str(c, v, "path", ip, &ns->path, false))
			return -EINVAL;
		ns->type = spec_ns_type(type);
		if (!ns->type)
			return fail(c, tp, "unknown namespace type \"%s\"", type);
		for (size_t j = 0; j < i; j++)
			if (c->s->namespaces[j].type == ns->type)
				return fail(c, tp, "duplicate namespace \"%s\"", type);
		if (ns->path && ns->path[0] != '/')
			return fail(c, ip, "path must be absolute");
	}
	c->s->nnamespaces = json_array_size(arr);
	return 0;
}

static int parse_kv_object(struct pctx *c, json_t *obj, const char *path, struct oci_kv **out,
			   size_t *n)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	*out = alloc_n(c, json_object_size(obj), sizeof(**out));
	json_object_foreach(obj, k, v)
	{
		char p[512];
		SUBPATH(p, path, k);
		if (want(c, v, JSON_STRING, p))
			return -EINVAL;
		(*out)[i].key = k;
		(*out)[i++].value = json_string_value(v);
	}
	*n = i;
	return 0;
}

static int parse_dev_rules(struct pctx *c, json_t *arr, struct oci_resources *r)
{
	json_t *v;
	size_t i;

	r->dev_rules = alloc_n(c, json_array_size(arr), sizeof(*r->dev_rules));
	json_array_foreach(arr, i, v)
	{
		struct oci_dev_rule *d = &r->dev_rules[i];
		const char *type = "a", *access = "rwm";
		bool allow = false, has;
		char ip[64];
		IDXPATH(ip, "linux.resources.devices", i);
		d->major = d->minor = -1;
		if (want(c, v, JSON_OBJECT, ip) || get_bool(c, v, "allow", ip, &allow) ||
		    get_str(c, v, "type", ip, &type, false) ||
		    get_str(c, v, "access", ip, &access, false) ||
		    get_int(c, v, "major", ip, -1, UINT32_MAX, &d->major, &has) ||
		    get_int(c, v, "minor", ip, -1, UINT32_MAX, &d->minor, &has))
			return -EINVAL;
		if (strlen(type) != 1 || !strchr("acb", type[0]))
			return fail(c, ip, "type must be a, c or b, got \"%s\"", type);
		if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
			return fail(c, ip, "access must be a combination of r, w, m; got \"%s\"",
				    access);
		d->allow = allow;
		d->type = type[0];
		fmt(d->access, sizeof(d->access), "%s", access);
	}
	r->ndev_rules = json_array_size(arr);
	return 0;
}

static int parse_weight_devs(struct pctx *c, json_t *blk, const char *key, bool throttle,
			     struct oci_weight_dev **out, size_t *n)
{
	json_t *arr, *v;
	size_t i;
	char p[96];

	if (get_arr(c, blk, key, "linux.resources.blockIO", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	SUBPATH(p, "linux.resources.blockIO", key);
	*out = alloc_n(c, json_array_size(arr), sizeof(**out));
	json_array_foreach(arr, i, v)
	{
		struct oci_weight_dev *d = &(*out)[i];
		char ip[128];
		bool h1, h2;
		IDXPATH(ip, p, i);
		d->weight = d->leaf_weight = -1;
		if (want(c, v, JSON_OBJECT, ip) ||
		    get_int(c, v, "major", ip, 0, UINT32_MAX, &d->major, &h1) ||
		    get_int(c, v, "minor", ip, 0, UINT32_MAX, &d->minor, &h2))
			return -EINVAL;
		if (!h1 || !h2)
			return fail(c, ip, "major and minor are required");
		if (throttle) {
			if (get_u64(c, v, "rate", ip, &d->rate, &h1))
				return -EINVAL;
			if (!h1)
				return fail(c, ip, "rate is required");
		} else if (get_int(c, v, "weight", ip, 0, 10000, &d->weight, NULL) ||
			   get_int(c, v, "leafWeight", ip, 0, 10000, &d->leaf_weight, NULL)) {
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

static int resources(struct pctx *c, json_t *res, struct oci_resources *r)
{
	const char *RP = "linux.resources";
	json_t *mem, *cpu, *pids, *blk, *devs, *uni;
	static const char *const thr[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
					   "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};

	spec_resources_init(r);
	if (get_obj(c, res, "memory", RP, &mem) || get_obj(c, res, "cpu", RP, &cpu) ||
	    get_obj(c, res, "pids", RP, &pids) || get_obj(c, res, "blockIO", RP, &blk) ||
	    get_arr(c, res, "devices", RP, &devs) || get_obj(c, res, "unified", RP, &uni))
		return -EINVAL;
	if (mem) {
		const char *MP = "linux.resources.memory";
		if (get_int(c, mem, "limit", MP, -1, INT64_MAX, &r->mem_limit, NULL) ||
		    get_int(c, mem, "reservation", MP, -1, INT64_MAX, &r->mem_reservation, NULL) ||
		    get_int(c, mem, "swap", MP, -1, INT64_MAX, &r->mem_swap, NULL) ||
		    get_int(c, mem, "swappiness", MP, 0, 100, &r->mem_swappiness, NULL) ||
		    get_bool(c, mem, "disableOOMKiller", MP, &r->mem_disable_oom_killer))
			return -EINVAL;
		if (r->mem_limit > 0 && r->mem_swap > 0 && r->mem_swap < r->mem_limit)
			return fail(c, "linux.resources.memory.swap",
				    "must be at least the memory limit (%lld)",
				    (long long)r->mem_limit);
	}
	if (cpu) {
		const char *CP = "linux.resources.cpu";
		if (get_int(c, cpu, "shares", CP, 0, INT64_MAX, &r->cpu_shares, NULL) ||
		    get_int(c, cpu, "quota", CP, -1, INT64_MAX, &r->cpu_quota, NULL) ||
		    get_int(c, cpu, "period", CP, 0, INT64_MAX, &r->cpu_period, NULL) ||
		    get_int(c, cpu, "realtimeRuntime", CP, -1, INT64_MAX, &r->cpu_rt_runtime,
			    NULL) ||
		    get_int(c, cpu, "realtimePeriod", CP, 0, INT64_MAX, &r->cpu_rt_period, NULL) ||
		    get_str(c, cpu, "cpus", CP, &r->cpu_cpus, false) ||
		    get_str(c, cpu, "mems", CP, &r->cpu_mems, false))
			return -EINVAL;
	}
	if (pids &&
	    get_int(c, pids, "limit", "linux.resources.pids", -1, INT64_MAX, &r->pids_limit, NULL))
		return -EINVAL;
	if (blk) {
		const char *BP = "linux.resources.blockIO";
		if (get_int(c, blk, "weight", BP, 0, 1000, &r->blkio_weight, NULL) ||
		    get_int(c, blk, "leafWeight", BP, 0, 1000, &r->blkio_leaf_weight, NULL) ||
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
	struct pctx c = {s, err, errlen};
	err[0] = 0;
	return resources(&c, obj, r);
}

static int parse_devices(struct pctx *c, json_t *lin)
{
	json_t *arr, *v;
	size_t i;

	if (get_arr(c, lin, "devices", "linux", &arr) || !arr)
		return c->err[0] ? -EINVAL : 0;
	c->s->devices = alloc_n(c, json_array_size(arr), sizeof(struct oci_device));
	json_array_foreach(arr, i, v)
	{
		struct oci_device *d = &c->s->devices[i];
		const char *type = NULL;
		int64_t x;
		bool h1, h2;
		char ip[64];
		IDXPATH(ip, "linux.devices", i);
		if (want(c, v, JSON_OBJECT, ip) || get_str(c, v, "path", ip, &d->path, true) ||
		    get_str(c, v, "type", ip, &type, true) ||
		    get_int(c, v, "major", ip, 0, UINT32_MAX, &d->major, &h1) ||
		    get_int(c, v, "minor", ip, 0, UINT32_MAX, &d->minor, &h2) ||
		    get_int(c, v, "fileMode", ip, 0, 07777, &x, &d->has_mode))
			return -EINVAL;
		d->mode = (mode_t)x;
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return fail(c, ip, "type must be c, b, u or p, got \"%s\"", type);
		d->type = type[0];
		if (d->type != 'p' && (!h1 || !h2))
			return fail(c, ip, "major and minor are required for type %c", d->type);
		if (get_int(c, v, "uid", ip, 0, UINT32_MAX - 1, &x, &h1))
			return -EINVAL;
		d->uid = h1 ? (uid_t)x : 0;
		if (get_int(c, v, "gid", ip, 0, UINT32_MAX - 1, &x, &h1))
			return -EINVAL;
		d->gid = h1 ? (gid_t)x : 0;
		if (d->path[0] != '/')
			return fail(c, ip, "path must be absolute");
	}
	c->s->ndevices = json_array_size(arr);
	return 0;
}

static int parse_seccomp(struct pctx *c, json_t *sc)
{
	const char *SP = "linux.seccomp";
	struct oci_seccomp *s = alloc_n(c, 1, sizeof(*s));
	const char *defact = NULL, **archs, **flags;
	size_t narch, nflags, i;
	int64_t def_errno = -1;
	json_t *arr, *v;
	char p[96];

	c->s->seccomp = s;
	if (get_str(c, sc, "defaultAction", SP, &defact, true) ||
	    get_int(c, sc, "defaultErrnoRet", SP, 0, 4095, &def_errno, NULL) ||
	    get_strv(c, sc, "architectures", SP, &archs, &narch) ||
	    get_strv(c, sc, "flags", SP, &flags, &nflags) || get_arr(c, sc, "syscalls", SP, &arr))
		return -EINVAL;
	if (seccomp_parse_action(defact, def_errno, &s->default_action))
		return fail(c, "linux.seccomp.defaultAction", "unknown action \"%s\"", defact);
	if (get_str(c, sc, "listenerPath", SP, &defact, false))
		return -EINVAL;
	s->archs = alloc_n(c, narch, sizeof(uint32_t));
	for (i = 0; i < narch; i++) {
		if (seccomp_parse_arch(archs[i], &s->archs[s->narchs]) == 0)
			s->narchs++;
		else if (seccomp_arch_known(archs[i]) != 0)
			return fail(c, "linux.seccomp.architectures", "unknown architecture \"%s\"",
				    archs[i]);
	}
	for (i = 0; i < nflags; i++) {
		if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG"))
			s->flag_log = true;
		else if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			s->flag_spec_allow = true;
		else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC"))
			return fail(c, "linux.seccomp.flags", "unknown flag \"%s\"", flags[i]);
	}
	if (!arr)
		return 0;
	s->rules = alloc_n(c, json_array_size(arr), sizeof(*s->rules));
	json_array_foreach(arr, i, v)
	{
		struct oci_seccomp_rule *rule = &s->rules[i];
		const char *act = NULL;
		int64_t eno = -1;
		json_t *args, *a;
		size_t j;
		IDXPATH(p, "linux.seccomp.syscalls", i);
		if (want(c, v, JSON_OBJECT, p) ||
		    get_strv(c, v, "names", p, &rule->names, &rule->nnames) ||
		    get_str(c, v, "action", p, &act, true) ||
		    get_int(c, v, "errnoRet", p, 0, 4095, &eno, NULL) ||
		    get_arr(c, v, "args", p, &args))
			return -EINVAL;
		if (seccomp_parse_action(act, eno, &rule->action)) {
			char ap[128];
			SUBPATH(ap, p, "action");
			return fail(c, ap, "unknown action \"%s\"", act);
		}
		if (!args)
			continue;
		rule->args = alloc_n(c, json_array_size(args), sizeof(*rule->args));
		json_array_foreach(args, j, a)
		{
			struct oci_seccomp_arg *sa = &rule->args[j];
			char ap[160];
			const char *op = NULL;
			int64_t idx;
			bool h;
			fmt(ap, sizeof(ap), "%s.args[%zu]", p, j);
			if (want(c, a, JSON_OBJECT, ap) ||
			    get_int(c, a, "index", ap, 0, 5, &idx, &h) ||
			    get_u64(c, a, "value", ap, &sa->value, NULL) ||
			    get_u64(c, a, "valueTwo", ap, &sa->value_two, NULL) ||
			    get_str(c, a, "op", ap, &op, true))
				return -EINVAL;
			if (!h)
				return fail(c, ap, "index is required");
			sa->index = (unsigned)idx;
			sa->op = seccomp_parse_op(op);
			if (sa->op < 0)
				return fail(c, ap, "unknown operator \"%s\"", op);
		}
		rule->nargs = json_array_size(args);
	}
	s->nrules = json_array_size(arr);
	return 0;
}

static int parse_linux(struct pctx *c, json_t *root)
{
	struct oci_spec *s = c->s;
	json_t *lin, *obj;
	const char *LP = "linux";

	if (get_obj(c, root, "linux", "", &lin))
		return -EINVAL;
	spec_resources_init(&s->res);
	if (!lin)
		return 0;
	if (parse_namespaces(c, lin) ||
	    parse_idmaps(c, lin, "uidMappings", &s->uid_maps, &s->nuid_maps) ||
	    parse_idmaps(c, lin, "gidMappings", &s->gid_maps, &s->ngid_maps) ||
	    parse_devices(c, lin) || get_str(c, lin, "cgroupsPath", LP, &s->cgroups_path, false) ||
	    get_str(c, lin, "rootfsPropagation", LP, &s->rootfs_propagation, false) ||
	    get_strv(c, lin, "maskedPaths", LP, &s->masked_paths, &s->nmasked) ||
	    get_strv(c, lin, "readonlyPaths", LP, &s->readonly_paths, &s->nreadonly))
		return -EINVAL;
	if (s->rootfs_propagation) {
		static const char *const ok[] = {"private",    "rprivate",   "slave",
						 "rslave",     "shared",     "rshared",
						 "unbindable", "runbindable"};
		bool found = false;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			found |= !strcmp(ok[i], s->rootfs_propagation);
		if (!found)
			return fail(c, "linux.rootfsPropagation", "invalid value \"%s\"",
				    s->rootfs_propagation);
	}
	if (get_obj(c, lin, "sysctl", LP, &obj))
		return -EINVAL;
	if (obj && parse_kv_object(c, obj, "linux.sysctl", &s->sysctl, &s->nsysctl))
		return -EINVAL;
	if (get_obj(c, lin, "resources", LP, &obj))
		return -EINVAL;
	if (obj && resources(c, obj, &s->res))
		return -EINVAL;
	if (get_obj(c, lin, "seccomp", LP, &obj))
		return -EINVAL;
	if (obj && parse_seccomp(c, obj))
		return -EINVAL;
	if (get_obj(c, lin, "timeOffsets", LP, &obj))
		return -EINVAL;
	if (obj) {
		json_t *bt, *mono;
		int64_t ns = 0;
		if (get_obj(c, obj, "boottime", "linux.timeOffsets", &bt) ||
		    get_obj(c, obj, "monotonic", "linux.timeOffsets", &mono))
			return -EINVAL;
		s->has_time_offsets = true;
		if (bt && (get_int(c, bt, "secs", "linux.timeOffsets.boottime", INT32_MIN,
				   INT32_MAX, &s->boottime_secs, NULL) ||
			   get_int(c, bt, "nanosecs", "linux.timeOffsets.boottime", 0, 999999999,
				   &ns, NULL)))
			return -EINVAL;
		s->boottime_nsecs = (uint32_t)ns;
		ns = 0;
		if (mono && (get_int(c, mono, "secs", "linux.timeOffsets.monotonic", INT32_MIN,
				     INT32_MAX, &s->monotonic_secs, NULL) ||
			     get_int(c, mono, "nanosecs", "linux.timeOffsets.monotonic", 0,
				     999999999, &ns, NULL)))
			return -EINVAL;
		s->monotonic_nsecs = (uint32_t)ns;
	}
	if ((s->nuid_maps || s->ngid_maps) && !spec_namespace(s, CLONE_NEWUSER))
		return fail(c, "linux.uidMappings", "mappings given without a user namespace");
	return 0;
}

static int parse_root(struct pctx *c, json_t *root)
{
	json_t *r, *proc, *ann;
	int ret;

	c->err[0] = 0;
	if (want(c, root, JSON_OBJECT, "(root)"))
		return -EINVAL;
	if (get_str(c, root, "ociVersion", "", &c->s->oci_version, true))
		return -EINVAL;
	if (get_obj(c, root, "root", "", &r))
		return -EINVAL;
	if (!r)
		return fail(c, "root", "required field missing");
	if (get_str(c, r, "path", "root", &c->s->root_path, true) ||
	    get_bool(c, r, "readonly", "root", &c->s->root_readonly))
		return -EINVAL;
	if (!c->s->root_path[0])
		return fail(c, "root.path", "must not be empty");
	if (get_obj(c, root, "process", "", &proc))
		return -EINVAL;
	if (proc) {
		c->s->has_process = true;
		ret = spec_parse_process_json(proc, c->s, &c->s->process, c->err, c->errlen);
		if (ret)
			return ret;
	}
	if (get_str(c, root, "hostname", "", &c->s->hostname, false) ||
	    get_str(c, root, "domainname", "", &c->s->domainname, false) ||
	    get_obj(c, root, "annotations", "", &ann))
		return -EINVAL;
	if (ann) {
		const char *k;
		json_t *v;
		json_object_foreach(ann, k, v)
		{
			char p[512];
			SUBPATH(p, "annotations", k);
			if (want(c, v, JSON_STRING, p))
				return -EINVAL;
		}
	}
	if (parse_mounts(c, root) || parse_hooks(c, root) || parse_linux(c, root))
		return -EINVAL;
	return 0;
}

int spec_parse(const char *text, struct oci_spec *spec, char *err, size_t errlen)
{
	struct pctx c = {spec, err, errlen};
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
