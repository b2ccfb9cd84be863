#!/usr/bin/env bash
# Builds the riscv64 guest initramfs (an uncompressed newc cpio): a static busybox and gasang's /init (guests/riscv64/init).
# Busybox: the prebuilt one in ../shared/guests/riscv64 when present, else cross-built from
# Debian's busybox source with gcc-riscv64-linux-gnu. Output path on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${GASANG_CACHE:-$HOME/.cache/gasang}/riscv64
mkdir -p "$cache"
# Uncompressed: unpacking a gzip archive costs the interpreted guest ~2 s of its boot, while an
# uncompressed one is just copied (the kernel still accepts gzip: CONFIG_RD_GZIP).
out=$cache/initramfs.cpio

find_busybox() {
	# GASANG_NO_SHARED=1 ignores prebuilt guests (to exercise the fresh-machine path).
	for d in "${GASANG_SHARED_GUESTS:-}" /work/shared/guests "$root/../shared/guests"; do
		[ -z "${GASANG_NO_SHARED:-}" ] || break
		[ -n "$d" ] && [ -x "$d/riscv64/busybox" ] && { echo "$d/riscv64/busybox"; return; }
	done
	[ -x "$cache/busybox" ] && { echo "$cache/busybox"; return; }
	build_busybox >&2
	echo "$cache/busybox"
}

build_busybox() {
	local src=$cache/busybox-src
	echo "gasang: cross-building a static riscv64 busybox (a few minutes)" >&2
	mkdir -p "$src"
	if [ ! -f "$src/Makefile" ]; then
		"$root/guests/apt-source.sh" busybox "$cache" >/dev/null || {
			echo "gasang: cannot download Debian's busybox source package" >&2
			exit 1
		}
		tar -xf "$cache"/busybox_*.orig.tar.* -C "$src" --strip-components=1
	fi
	make -C "$src" -s defconfig >/dev/null
	sed -i 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/; s/^CONFIG_TC=y/# CONFIG_TC is not set/' "$src/.config"
	nice make -C "$src" -s -j"$(nproc)" CROSS_COMPILE=riscv64-linux-gnu- busybox >/dev/null
	cp "$src/busybox" "$cache/busybox"
}

bb=$(find_busybox)
# Rebuild only when /init or busybox changed.
if [ -f "$out" ] && [ "$out" -nt "$here/init" ] && [ "$out" -nt "$bb" ]; then
	echo "$out"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
cp "$bb" "$tmp/bin/busybox"
chmod 755 "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$tmp/etc/passwd"
(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
