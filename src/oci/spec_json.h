/* Internal to the config.json parser (spec.c, spec_json.c, spec_linux.c): typed JSON
 * getters that check a value and name its path on error, and the parse context. */
#ifndef GASANG_OCI_SPEC_JSON_H
#define GASANG_OCI_SPEC_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/fmt.h"
#include "oci/spec.h"

struct spec_ctx {
	struct oci_spec *s;
	char *err;
	size_t errlen;
};

#define SUBPATH(buf, parent, key) fmt(buf, sizeof(buf), "%s%s%s", parent, *parent ? "." : "", key)
#define IDXPATH(buf, parent, i)	  fmt(buf, sizeof(buf), "%s[%zu]", parent, (size_t)(i))

int spec_fail(struct spec_ctx *c, const char *path, const char *fm, ...)
    __attribute__((format(printf, 3, 4)));
void *spec_arena_alloc(struct oci_arena *a, size_t size);
const char *spec_type_name(json_t *v);
json_t *spec_member(json_t *obj, const char *key);
int spec_want(struct spec_ctx *c, json_t *v, json_type t, const char *path);
int spec_get_str(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		 const char **out, bool required);
int spec_get_bool(struct spec_ctx *c, json_t *obj, const char *key, const char *parent, bool *out);
int spec_get_int(struct spec_ctx *c, json_t *obj, const char *key, const char *parent, int64_t lo,
		 int64_t hi, int64_t *out, bool *present);
int spec_get_u64(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		 uint64_t *out, bool *present);
int spec_get_obj(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		 json_t **out);
int spec_get_arr(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		 json_t **out);
int spec_get_strv(struct spec_ctx *c, json_t *obj, const char *key, const char *parent,
		  const char ***out, size_t *n);
void *spec_alloc_n(struct spec_ctx *c, size_t n, size_t size);
/* The "linux" object (spec_linux.c). */
int spec_parse_linux(struct spec_ctx *c, json_t *root);

#endif
