/* OCI runtime spec 1.1: config.json parsed into plain C structs.
 * Unknown fields are ignored; invalid values are rejected with the JSON path of the field. */
#ifndef GASANG_OCI_SPEC_H
#define GASANG_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every allocation of a parsed spec lives in one arena, freed at once. */
struct oci_arena {
	void **ptrs;
	size_t n, cap;
};

struct oci_idmap {
	uint32_t container_id, host_id, size;
};

struct oci_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct oci_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_process {
	bool terminal;
	unsigned console_height, console_width;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	bool has_umask;
	mode_t umask;
	char **args; /* NULL-terminated */
	size_t nargs;
	char **env; /* NULL-terminated */
	size_t nenv;
	const char *cwd;
	bool has_caps;
	struct oci_caps caps;
	struct oci_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
};

struct oci_mount {
	const char *destination, *type, *source;
	const char **options;
	size_t noptions;
};

enum oci_hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};

struct oci_hook {
	const char *path;
	char **args; /* NULL-terminated, may be NULL */
	char **env;  /* NULL-terminated, may be NULL */
	int timeout; /* seconds, 0 = none */
};

struct oci_namespace {
	int type; /* CLONE_NEW* */
	const char *path;
};

struct oci_device {
	const char *path;
	char type; /* c, b, u, p */
	int64_t major, minor;
	bool has_mode;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct oci_dev_rule {
	bool allow;
	char type;	      /* a, c, b */
	int64_t major, minor; /* -1 = wildcard */
	char access[4];
};

struct oci_weight_dev {
	int64_t major, minor;
	int64_t weight, leaf_weight; /* -1 unset */
	uint64_t rate;		     /* throttle entries */
};

struct oci_kv {
	const char *key, *value;
};

/* -1 (or NULL) means "not set" for every field. */
struct oci_resources {
	int64_t mem_limit, mem_reservation, mem_swap, mem_swappiness;
	bool mem_disable_oom_killer;
	int64_t cpu_shares, cpu_quota, cpu_period, cpu_rt_runtime, cpu_rt_period;
	const char *cpu_cpus, *cpu_mems;
	int64_t pids_limit;
	int64_t blkio_weight, blkio_leaf_weight;
	struct oci_weight_dev *weight_devs;
	size_t nweight_devs;
	struct oci_weight_dev *throttle[4]; /* read bps, write bps, read iops, write iops */
	size_t nthrottle[4];
	struct oci_dev_rule *dev_rules;
	size_t ndev_rules;
	struct oci_kv *unified;
	size_t nunified;
};

struct oci_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* enum scmp_compare */
};

struct oci_seccomp_rule {
	const char **names;
	size_t nnames;
	uint32_t action; /* SCMP_ACT_* with errno folded in */
	struct oci_seccomp_arg *args;
	size_t nargs;
};

struct oci_seccomp {
	uint32_t default_action;
	uint32_t *archs; /* SCMP_ARCH_* */
	size_t narchs;
	bool flag_log, flag_spec_allow;
	struct oci_seccomp_rule *rules;
	size_t nrules;
};

struct oci_spec {
	struct oci_arena arena;
	json_t *json; /* kept for annotations and for features that read raw values */
	const char *oci_version;
	const char *root_path;
	bool root_readonly;
	bool has_process;
	struct oci_process process;
	const char *hostname, *domainname;
	struct oci_mount *mounts;
	size_t nmounts;
	struct oci_hook *hooks[HOOK_KINDS];
	size_t nhooks[HOOK_KINDS];
	struct oci_namespace *namespaces;
	size_t nnamespaces;
	struct oci_idmap *uid_maps, *gid_maps;
	size_t nuid_maps, ngid_maps;
	struct oci_kv *sysctl;
	size_t nsysctl;
	struct oci_resources res;
	const char *cgroups_path;
	struct oci_device *devices;
	size_t ndevices;
	struct oci_seccomp *seccomp;
	const char *rootfs_propagation;
	const char **masked_paths, **readonly_paths;
	size_t nmasked, nreadonly;
	bool has_personality;
	unsigned long personality; /* PER_LINUX or PER_LINUX32 */
	bool has_time_offsets;
	int64_t boottime_secs, monotonic_secs;
	uint32_t boottime_nsecs, monotonic_nsecs;
};

/* Loads and validates a config.json. On error returns -EINVAL (or -errno for I/O) and writes
 * a message naming the JSON path of the offending field into err. */
int spec_load(const char *path, struct oci_spec *spec, char *err, size_t errlen);
/* Same from a string already in memory (used by the unit tests). */
int spec_parse(const char *text, struct oci_spec *spec, char *err, size_t errlen);
/* Parses a Process object (exec --process); allocations go to spec's arena. */
int spec_parse_process_json(json_t *obj, struct oci_spec *spec, struct oci_process *p, char *err,
			    size_t errlen);
/* Parses a LinuxResources object (update -r); allocations go to spec's arena. */
int spec_parse_resources_json(json_t *obj, struct oci_spec *spec, struct oci_resources *r,
			      char *err, size_t errlen);
void spec_resources_init(struct oci_resources *r);
void spec_free(struct oci_spec *spec);

/* Looks up a namespace entry by CLONE_NEW* type; NULL if absent. */
const struct oci_namespace *spec_namespace(const struct oci_spec *spec, int type);
/* "pid" -> CLONE_NEWPID etc.; 0 if unknown. */
int spec_ns_type(const char *name);
const char *spec_ns_name(int type);
const char *spec_hook_name(enum oci_hook_kind k);

#endif
