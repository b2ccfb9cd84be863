#!/bin/sh
# /init of the lab's inner guest (a stock Debian cloud kernel under gasang or QEMU on the lab's
# KVM). Prints a marker as soon as it runs (time to /init), then runs the command given after
# " -- " on the kernel command line between clear markers, and powers off.
#   ... console=ttyS0 quiet -- uname -r
export PATH=/bin:/sbin
/bin/busybox mount -t proc proc /proc
echo "@@INNER-INIT@@"
# The kernel's own share of the time to /init (its clock starts after the VMM, firmware and
# the kernel's self-decompression).
echo "@@INNER-UPTIME $(/bin/busybox cut -d' ' -f1 /proc/uptime)@@"
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The cloud kernel's virtio drivers are modules: load them when asked (lab.virtio on the
# command line), dependencies first.
if grep -q 'lab.virtio' /proc/cmdline; then
	m=/lib/modules/$(uname -r)
	for k in virtio_ring virtio virtio_mmio virtio_pci_legacy_dev virtio_pci_modern_dev \
		virtio_pci virtio_blk virtio_console virtio-rng failover net_failover virtio_net \
		vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport; do
		f=$(find $m -name "$k.ko" | head -n 1)
		[ -n "$f" ] && insmod "$f" 2>/dev/null
	done
fi
cmd=$(sed -n 's/^.* -- //p' /proc/cmdline)
echo "@@INNER-CMD-BEGIN@@"
sh -c "$cmd"
echo "@@INNER-CMD-END rc=$?@@"
poweroff -f
