#!/usr/bin/env bash
# Checks the README's promise on a fresh Debian 12: debootstraps a minimal bookworm root (cached
# as a tarball, so every run starts from the same pristine root), puts a clone of this checkout's
# HEAD in it, and runs a README command there as root of a private mount namespace (pivot_root,
# not chroot, so the OCI runtime's own pivot_root works), with no ../shared prebuilt guests:
#
#   scripts/fresh-debian.sh [test|demo]      (default test; needs root, ~15-20 min cold)
#
# test: scripts/test.sh (which installs what it needs); demo: scripts/demo.sh with a command
# that prints `uname -a` and powers off. The root is kept in $GASANG_CACHE/fresh-debian/root
# until the next run, to look at what happened. Not part of scripts/test.sh: it downloads a
# whole Debian and builds the guests from source.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-test}
case $what in
test) cmd='bash scripts/test.sh' ;;
demo) cmd='GASANG_APPEND="gasang.run=\"uname -a\"" bash scripts/demo.sh </dev/null' ;;
*) echo "usage: scripts/fresh-debian.sh [test|demo]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "gasang: fresh-debian.sh needs root (debootstrap, unshare)" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
dir=${GASANG_CACHE:-$HOME/.cache/gasang}/fresh-debian
root=$dir/root
mkdir -p "$dir"
if [ ! -f "$dir/pristine.tar" ]; then
	echo "gasang: debootstrap bookworm (minbase) into $dir" >&2
	rm -rf "$dir/boot"
	debootstrap --variant=minbase bookworm "$dir/boot" http://deb.debian.org/debian >&2
	tar -C "$dir/boot" -cf "$dir/pristine.tar.tmp" .
	mv "$dir/pristine.tar.tmp" "$dir/pristine.tar"
	rm -rf "$dir/boot"
fi
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$dir/pristine.tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$PWD" "$root/root/gasang"
echo "gasang: running '$cmd' in a fresh Debian 12 root ($root)" >&2
# shellcheck disable=SC2016
exec unshare -m bash -c '
	set -e
	r=$1
	mount --make-rprivate /
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs tmpfs "$r/tmp"
	mount -t tmpfs tmpfs "$r/run"
	mkdir -p "$r/oldroot"
	cd "$r"
	pivot_root . oldroot
	umount -l /oldroot
	cd /root/gasang
	exec env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "$2"
' fresh "$root" "$cmd"
