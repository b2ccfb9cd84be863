/* Network back ends for virtio-net: a host tap device (net_tap.c) or user-mode networking
 * through libslirp (net_slirp.c). Frames are plain Ethernet frames without virtio headers. */
#ifndef GASANG_BACKENDS_NET_H
#define GASANG_BACKENDS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct event_loop;

struct net_backend {
	const char *name;
	/* Sends one frame to the network. Returns 0 or -errno (the frame is dropped). */
	int (*send)(struct net_backend *nb, const struct iovec *iov, unsigned niov);
	/* Takes the next frame from the network into buf: its length, 0 when none is waiting,
	 * or -errno. A frame longer than len is dropped. */
	/* Optional: the device sent a batch of frames (after a whole TX queue run). */
	void (*flush)(struct net_backend *nb);
	ssize_t (*recv)(struct net_backend *nb, void *buf, size_t len);
	void (*close)(struct net_backend *nb);
	/* The back end takes IPv4/IPv6 TCP packets of up to 64 KiB (not only MTU-sized frames),
	 * with complete checksums: the device need not segment the guest's TSO frames. */
	bool large_frames;
	/* Installed by the device: called (from the back end's thread, with none of the back
	 * end's locks held) when frames are waiting. */
	void (*rx_ready)(void *opaque);
	void *opaque;
};

/* "tap=NAME": attaches to (or creates) the tap interface NAME. Prints one error line and
 * returns -ECANCELED when the host refuses (no privileges, no /dev/net/tun). */
int net_tap_open(const char *ifname, struct event_loop *loop, struct net_backend **out);
/* opts: what follows "user" in --net user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:PORT]...
 * Same error convention (e.g. a host port already in use). */
int net_slirp_open(const char *opts, struct net_backend **out);

#endif
