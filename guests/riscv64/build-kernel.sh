#!/usr/bin/env bash
# Obtains the riscv64 guest kernel Image and prints its path.
# Uses the prebuilt Image in ../shared/guests/riscv64 when present (same recipe); otherwise
# builds Linux from Debian's linux-source-6.1 with gcc-riscv64-linux-gnu:
#   make ARCH=riscv tinyconfig + kernel.fragment (merge_config.sh) + olddefconfig, make Image.
# The result is cached in ${GASANG_CACHE:-~/.cache/gasang}/riscv64/Image (about 10 CPU-minutes
# the first time). --force rebuilds even when a prebuilt or cached Image exists.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${GASANG_CACHE:-$HOME/.cache/gasang}/riscv64
force=0
[ "${1:-}" = "--force" ] && force=1
mkdir -p "$cache"

if [ $force = 0 ]; then
	for d in "${GASANG_SHARED_GUESTS:-}" /work/shared/guests "$root/../shared/guests"; do
		[ -n "$d" ] && [ -f "$d/riscv64/Image" ] && { echo "$d/riscv64/Image"; exit 0; }
	done
	if [ -f "$cache/Image" ] && [ "$cache/Image" -nt "$here/kernel.fragment" ]; then
		echo "$cache/Image"
		exit 0
	fi
fi

tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1 || true)
if [ -z "$tarball" ]; then
	echo "gasang: installing linux-source-6.1 (Debian's kernel source)" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq --no-install-recommends linux-source-6.1 >/dev/null
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -1)
fi
src=$cache/linux-src
if [ ! -f "$src/Makefile" ]; then
	echo "gasang: unpacking $tarball" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
fi
echo "gasang: building the riscv64 kernel (about 10 CPU-minutes)" >&2
mk() { nice make -C "$src" -s ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- "$@"; }
mk tinyconfig >/dev/null
(cd "$src" && ARCH=riscv scripts/kconfig/merge_config.sh -m .config "$here/kernel.fragment" >/dev/null)
mk olddefconfig >/dev/null
mk -j"$(nproc)" Image
cp "$src/arch/riscv/boot/Image" "$cache/Image.tmp"
mv "$cache/Image.tmp" "$cache/Image"
echo "$cache/Image"
