/* Container state under --root: <root>/<id>/state.json (written atomically: temp + rename)
 * and <root>/<id>/exec.fifo while the container is "created". */
#ifndef GASANG_OCI_STATE_H
#define GASANG_OCI_STATE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum oci_status { STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED };

struct oci_state {
	char id[256];
	char dir[PATH_MAX];
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char cgroup[PATH_MAX]; /* resolved cgroup path, "" when none */
	char created[64];      /* RFC 3339 */
	pid_t pid;
	uint64_t pid_start; /* /proc/<pid>/stat starttime, against pid reuse */
	uid_t owner;
	json_t *config; /* the config.json the container was created from */
};

/* Container ids: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
bool state_id_valid(const char *id);
/* Makes <root>/<id>; -EEXIST when a container with that id exists. */
int state_dir_create(const char *root, const char *id, char *dir, size_t len);
int state_save(const struct oci_state *st);
/* -ENOENT when there is no such container. */
int state_load(const char *root, const char *id, struct oci_state *st);
void state_release(struct oci_state *st);
int state_remove(const struct oci_state *st);
enum oci_status state_status(const struct oci_state *st);
const char *state_status_name(enum oci_status s);
/* The runtime-spec State object (ociVersion, id, status, pid, bundle, annotations). */
json_t *state_to_json(const struct oci_state *st, enum oci_status status);
/* Reads the starttime of pid; -ESRCH when gone or a zombie. */
int state_pid_start(pid_t pid, uint64_t *start);
/* True while the recorded init process is alive (and is the same process). */
bool state_pid_alive(const struct oci_state *st);
/* Path of the exec fifo. */
void state_fifo_path(const struct oci_state *st, char *buf, size_t len);
/* Writes a file atomically: dir/.name.tmp then rename. */
int state_write_atomic(const char *path, const char *data, size_t len);

#endif
