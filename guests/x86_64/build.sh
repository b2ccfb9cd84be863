#!/usr/bin/env bash
# Builds the default x86_64 guest from Debian packages, cached outside the tree:
#   kernel:    Debian's linux-image-cloud-amd64, fetched with `apt-get download` and unpacked
#              with dpkg-deb -x (nothing is installed on the host)
#   initramfs: busybox-static, the kernel's virtio modules and an /init that runs the command
#              given after "--" on the kernel command line and powers off, or starts a shell.
# Output (also printed as KERNEL=... and INITRD=... lines, for scripts):
#   ${GASANG_CACHE:-~/.cache/gasang}/x86_64/vmlinuz
#   ${GASANG_CACHE:-~/.cache/gasang}/x86_64/initramfs.cpio.gz
# Options: --force rebuilds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${GASANG_CACHE:-$HOME/.cache/gasang}/x86_64"
kernel="$cache/vmlinuz"
initrd="$cache/initramfs.cpio.gz"
force=0
[ "${1:-}" = "--force" ] && force=1

if [ $force = 0 ] && [ -s "$kernel" ] && [ -s "$initrd" ] && [ "$initrd" -nt "$here/init" ] && [ "$initrd" -nt "$here/build.sh" ] && [ "$initrd" -nt "$here/bootmark.S" ]; then
  echo "KERNEL=$kernel"
  echo "INITRD=$initrd"
  exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

# The metapackage names the versioned image package. Fresh machines may have no package lists.
image_pkg() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
pkg="$(image_pkg)"
if [ -z "$pkg" ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2 || true
  pkg="$(image_pkg)"
fi
[ -n "$pkg" ] || { echo "gasang: guests/x86_64: linux-image-cloud-amd64 not found (apt-get update?)" >&2; exit 1; }
echo "gasang: fetching $pkg" >&2
apt-get download -q "$pkg" >/dev/null 2>&1 || apt-get download "$pkg" >&2
dpkg-deb -x ./"$pkg"_*.deb pkg
kver="$(ls pkg/lib/modules | head -1)"
cp pkg/boot/vmlinuz-"$kver" "$kernel.tmp"

# busybox: the host's busybox-static, else the package unpacked.
bb=/bin/busybox
if ! { [ -x "$bb" ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; }; then
  apt-get download -q busybox-static >/dev/null
  dpkg-deb -x ./busybox-static_*.deb bbpkg
  bb=bbpkg/bin/busybox
fi

root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,lib/modules}
cp "$bb" "$root/bin/busybox"
cp "$here/init" "$root/init"
gcc -nostdlib -static -o "$root/bin/gasang-bootmark" "$here/bootmark.S"
chmod 755 "$root/init" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# Virtio modules (and pvpanic, so a guest panic ends gasang non-zero) in dependency order (the .deb ships no modules.dep).
mods=(virtio virtio_ring virtio_mmio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
      virtio_blk failover net_failover virtio_net virtio_console virtio-rng
      vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport
      pvpanic pvpanic-mmio)
: > "$root/lib/modules/order"
for m in "${mods[@]}"; do
  f="$(find pkg/lib/modules/"$kver" -name "$m.ko*" | head -1)"
  [ -n "$f" ] || continue
  cp "$f" "$root/lib/modules/"
  echo "$(basename "$f")" >> "$root/lib/modules/order"
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -9 > "$initrd.tmp"
mv "$kernel.tmp" "$kernel"
mv "$initrd.tmp" "$initrd"
echo "$kver" > "$cache/kernel-version"
echo "KERNEL=$kernel"
echo "INITRD=$initrd"
