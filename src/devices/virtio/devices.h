/* Constructors of the virtio device types. Each returns 0 and the new device in *out (not yet
 * on a transport), or -errno. */
#ifndef GASANG_DEVICES_VIRTIO_DEVICES_H
#define GASANG_DEVICES_VIRTIO_DEVICES_H

#include "devices/virtio/virtio.h"
#include "machine/config.h"

struct machine;
struct chardev;

int virtio_rng_create(struct machine *m, struct virtio_dev **out);
/* index numbers the default device ID ("gasang-diskN"). */
int virtio_blk_create(struct machine *m, const struct disk_config *dc, unsigned index,
		      struct virtio_dev **out);
/* A single-port console (hvc0) on the character device cd. */
int virtio_console_create(struct machine *m, struct chardev *cd, struct virtio_dev **out);
/* spec: "user[,hostfwd=tcp::H-:G]..." or "tap=NAME". */
int virtio_net_create(struct machine *m, const char *spec, unsigned index, struct virtio_dev **out);
int virtio_vsock_create(struct machine *m, const struct vsock_config *vc, struct virtio_dev **out);

#endif
