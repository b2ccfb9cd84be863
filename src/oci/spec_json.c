/* Typed getters for config.json values: each checks type and range and names the JSON path
 * of a bad value. A JSON null counts as absent. */
#include "oci/spec_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *spec_arena_alloc(struct oci_arena *a, size_t size)
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

int spec_fail(struct spec_ctx *c, const char *path, const char *fm, ...)
    __attribute__((format(printf, 3, 4)));
int spec_fail(struct spec_ctx *c, const char *path, const char *fm, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fm);
	vsnprintf(msg, sizeof(msg), fm, ap);
	va_end(ap);
	fmt(c->err, c->errlen, "%s: %s", path, msg);
	return -EINVAL;
}

const char *spec_type_name(json_t *v)
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
json_t *spec_member(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

int spec_want(struct spec_ctx *c, json_t *v, json_type t, const char *path)
{
	static const char *const names[] = {"an object", "an array",  "a string",  "a number",
					    "a number",	 "a boolean", "a boolean", "null"};
	bool ok = json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v));
	if (!ok)
		return spec_fail(c, path, "expected %s, got %s", names[t], spec_type_name(v));
	return 0;
}

int spec_get_str(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		 const char **out, bool required)
{
	char p[512];
	json_t *v = spec_member(obj, key);

	SUBPATH(p, parent, key);
	if (!v) {
		if (required)
			return spec_fail(c, p, "required field missing");
		return 0;
	}
	if (spec_want(c, v, JSON_STRING, p))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

int spec_get_bool(struct spec_ctx *c, json_t *obj, const char *key, const char *parent, bool *out)
{
	char p[512];
	json_t *v = spec_member(obj, key);

	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (spec_want(c, v, JSON_TRUE, p))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

/* Integer in [lo, hi]; sets *present when given. */
int spec_get_int(struct spec_ctx *c, json_t *obj, const char *key, const char *parent, int64_t lo,
		 int64_t hi, int64_t *out, bool *present)
{
	char p[512];
	json_t *v = spec_member(obj, key);

	if (present)
		*present = false;
	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (!json_is_integer(v))
		return spec_fail(c, p, "expected an integer, got %s", spec_type_name(v));
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return spec_fail(c, p, "value %lld out of range [%lld, %lld]",
				 (long long)json_integer_value(v), (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return 0;
}

/* uint64 values above INT64_MAX arrive as reals or overflowed ints; jansson holds 64-bit
 * signed integers, so the largest uint64 values cannot be represented. Accept what fits. */
int spec_get_u64(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		 uint64_t *out, bool *present)
{
	int64_t v = 0;
	int r = spec_get_int(c, obj, key, parent, 0, INT64_MAX, &v, present);
	if (!r && present && *present)
		*out = (uint64_t)v;
	else if (!r && !present)
		*out = (uint64_t)v;
	return r;
}

int spec_get_obj(struct spec_ctx *c, json_t *obj, const char *key, const char *parent, json_t **out)
{
	char p[512];
	json_t *v = spec_member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (spec_want(c, v, JSON_OBJECT, p))
		return -EINVAL;
	*out = v;
	return 0;
}

int spec_get_arr(struct spec_ctx *c, json_t *obj, const char *key, const char *parent, json_t **out)
{
	char p[512];
	json_t *v = spec_member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	SUBPATH(p, parent, key);
	if (spec_want(c, v, JSON_ARRAY, p))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Array of strings -> NULL-terminated vector in the arena. */
int spec_get_strv(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		  const char ***out, size_t *n)
{
	char p[512], ip[560];
	json_t *arr, *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (spec_get_arr(c, obj, key, parent, &arr) || !arr)
		return arr ? 0 : (c->err[0] ? -EINVAL : 0);
	SUBPATH(p, parent, key);
	*out = spec_arena_alloc(&c->s->arena, (json_array_size(arr) + 1) * sizeof(char *));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		IDXPATH(ip, p, i);
		if (spec_want(c, v, JSON_STRING, ip))
			return -EINVAL;
		(*out)[i] = json_string_value(v);
	}
	*n = json_array_size(arr);
	return 0;
}

void *spec_alloc_n(struct spec_ctx *c, size_t n, size_t size)
{
	return spec_arena_alloc(&c->s->arena, (n + 1) * size);
}
