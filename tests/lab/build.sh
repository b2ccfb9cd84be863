#!/usr/bin/env bash
# Builds the KVM lab: real KVM on emulated hardware (../../docs and ../shared/design/KVM-HERE.md).
#
#   tests/lab/build.sh                     fetch + build the lab images (cached), print their paths
#   tests/lab/build.sh overlay OUT SCRIPT [FILE...]
#                                          write OUT, a cpio overlay for one lab run: SCRIPT as
#                                          /lab/script.sh, and each FILE (an ELF gets its shared
#                                          libraries and loader) under /lab/ by its base name
#
# The outer VM is Debian's generic kernel (linux-image-amd64, which ships kvm.ko and kvm-amd.ko)
# booted by qemu-system-x86_64 in TCG with an AMD CPU that has SVM; its initramfs holds busybox,
# the four KVM modules, the inner guest (Debian's stock linux-image-cloud-amd64 kernel and a
# busybox initramfs whose /init runs the command given after " -- " on the kernel command line),
# QEMU itself (the reference inner VMM) and `stamp`, which times the inner VMM's output.
# Packages are fetched with `apt-get download` and the files the lab needs unpacked with
# dpkg-deb (nothing is installed). Everything is cached in ${GASANG_CACHE:-~/.cache/gasang}/lab; rebuilt only when
# an input changes. Prints KEY=VALUE lines (OUTER_KERNEL, OUTER_INITRD, INNER_KERNEL,
# INNER_INITRD, INNER_VERSION, OUTER_VERSION) on stdout; progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
lab=${GASANG_CACHE:-$HOME/.cache/gasang}/lab
mkdir -p "$lab"

log() { echo "lab: $*" >&2; }
die() {
	echo "lab: $*" >&2
	exit 1
}

is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
is_dynamic() { is_elf "$1" && readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }

# copy_elf ROOT FILE DEST: FILE at ROOT/DEST, plus every shared library it needs and the dynamic
# loader at the paths ldd reports (real files, not symlinks).
copy_elf() {
	local root=$1 file=$2 dest=$3 lib
	mkdir -p "$root/$(dirname "$dest")"
	cp -L "$file" "$root/$dest"
	# a program with an interpreter, or a shared library that needs others
	is_dynamic "$file" || readelf -d "$file" 2>/dev/null | grep -c '(NEEDED)' >/dev/null || return 0
	ldd "$file" | grep -q 'not found' && die "$file: missing shared libraries: $(ldd "$file")"
	for lib in $(ldd "$file" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	copy_dlopened "$root" "$file"
}

# Libraries gasang loads with dlopen() (ldd cannot see them): libslirp (with the glib and pcre2
# it needs) for --net user. copy_dlopened ROOT FILE: each one FILE names, with its own
# libraries, at the path the ld.so cache gives (a default search path of the loader).
DLOPENED="libslirp.so.0"
copy_dlopened() {
	local root=$1 file=$2 soname path
	for soname in $DLOPENED; do
		grep -qaF "$soname" "$file" || continue
		path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ && !p {p = $NF} END {print p}')
		[ -n "$path" ] || die "$file loads $soname, which is not installed"
		[ -e "$root$path" ] || copy_elf "$root" "$path" "$path"
	done
}

# make_cpio DIR OUT: a newc archive of DIR owned by root, uncompressed (the lab's kernels would
# spend seconds of emulated CPU time decompressing).
make_cpio() {
	(cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --reproducible --quiet) >"$2.tmp"
	mv "$2.tmp" "$2"
}

if [ "${1:-}" = overlay ]; then
	[ $# -ge 3 ] || die "usage: build.sh overlay OUT SCRIPT [FILE...]"
	out=$2 script=$3
	shift 3
	stage=$(mktemp -d "$lab/overlay.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/lab"
	cp "$script" "$stage/lab/script.sh"
	for f in "$@"; do
		[ -r "$f" ] || die "$f: not readable"
		if is_elf "$f"; then
			copy_elf "$stage" "$f" "lab/$(basename "$f")"
		else
			cp -L "$f" "$stage/lab/"
		fi
	done
	make_cpio "$stage" "$out"
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb cpio gcc readelf ldd qemu-system-x86_64; do
	command -v $tool >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done
busybox=/bin/busybox
is_elf $busybox && ! is_dynamic $busybox || die "$busybox is not static: install busybox-static"

# The versioned packages behind Debian's metapackages, e.g. linux-image-6.1.0-56-amd64.
versioned() {
	apt-cache depends "$1" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
outer_pkg=$(versioned linux-image-amd64)
inner_pkg=$(versioned linux-image-cloud-amd64)
if { [ -z "$outer_pkg" ] || [ -z "$inner_pkg" ]; } && [ "$(id -u)" -eq 0 ]; then
	log "apt-get update (package lists missing)"
	apt-get update -qq >&2 || true
	outer_pkg=$(versioned linux-image-amd64)
	inner_pkg=$(versioned linux-image-cloud-amd64)
fi
[ -n "$outer_pkg" ] && [ -n "$inner_pkg" ] ||
	die "cannot resolve linux-image-amd64 / linux-image-cloud-amd64 (run apt-get update)"

# fetch PKG PATTERN...: download PKG and unpack the files matching the tar wildcards once (the
# kernel and the few modules the lab uses: the whole generic package unpacks to ~400 MB);
# prints the unpacked directory. dpkg-deb --fsys-tarfile is dpkg-deb -x restricted to those.
fetch() {
	local pkg=$1 dir=$lab/pkg/$1 done
	shift
	done=$dir/.done-$(echo "$*" | sha256sum | cut -c1-8)
	if [ ! -f "$done" ]; then
		log "fetching $pkg"
		mkdir -p "$lab/debs"
		rm -f "$lab/debs/${pkg}_"*.deb
		(cd "$lab/debs" && apt-get download -q "$pkg" >/dev/null 2>"$lab/debs/$pkg.log") ||
			die "apt-get download $pkg failed: $(cat "$lab/debs/$pkg.log")"
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb --fsys-tarfile "$lab/debs/${pkg}_"*.deb |
			tar -x -C "$dir" --wildcards --no-wildcards-match-slash "$@" 2>/dev/null || true
		[ -n "$(ls "$dir/boot/"vmlinuz-* 2>/dev/null)" ] || die "$pkg: no kernel in the package"
		rm -f "$lab/debs/${pkg}_"*.deb
		touch "$done"
	fi
	echo "$dir"
}
mods='./lib/modules/*/kernel'
outer_dir=$(fetch "$outer_pkg" './boot/vmlinuz-*' "$mods/virt/lib/irqbypass.ko*" \
	"$mods/arch/x86/kvm/kvm.ko*" "$mods/arch/x86/kvm/kvm-amd.ko*" \
	"$mods/drivers/crypto/ccp/ccp.ko*")
inner_dir=$(fetch "$inner_pkg" './boot/vmlinuz-*' "$mods/drivers/virtio/*" \
	"$mods/drivers/block/virtio_blk.ko*" "$mods/drivers/char/virtio_console.ko*" \
	"$mods/drivers/char/hw_random/virtio-rng.ko*" "$mods/drivers/net/virtio_net.ko*" \
	"$mods/drivers/net/net_failover.ko*" "$mods/net/core/failover.ko*" \
	"$mods/net/vmw_vsock/vsock.ko*" "$mods/net/vmw_vsock/vmw_vsock_virtio_transport*.ko*")
outer_ver=$(ls "$outer_dir/lib/modules")
inner_ver=$(ls "$inner_dir/lib/modules")

qemu=$(command -v qemu-system-x86_64)
key=$( (
	echo "$outer_pkg $inner_pkg"
	cat "$0" "$here/outer-init.sh" "$here/inner-init.sh" "$here/stamp.c"
	ls -l --time-style=+%s "$(readlink -f "$qemu")" "$(readlink -f $busybox)"
) | sha256sum | cut -c1-16)

if [ "$(cat "$lab/key" 2>/dev/null)" != "$key" ] || [ ! -f "$lab/outer-initrd.cpio" ]; then
	log "building lab images ($outer_pkg outer, $inner_pkg inner)"
	rm -rf "$lab/stage"
	mkdir -p "$lab/stage"

	# stamp: times the inner VMM's output (static: the outer VM has only what we put there).
	gcc -std=gnu17 -O2 -Wall -Wextra -Werror -static -o "$lab/stamp" "$here/stamp.c"

	# modfile DIR NAME: the module's path in an unpacked kernel package, decompressed if the
	# package ships it compressed (busybox insmod takes plain .ko files).
	modfile() {
		local f
		f=$(find "$1/lib/modules" -name "$2.ko" -o -name "$2.ko.xz" -o -name "$2.ko.zst" |
			head -n 1)
		[ -n "$f" ] || die "module $2 not found in $1"
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -dc "$f" ;;
		*) cat "$f" ;;
		esac
	}

	# Inner guest initramfs.
	in=$lab/stage/inner
	mkdir -p "$in"/{bin,sbin,dev,proc,sys,tmp,root,etc}
	cp $busybox "$in/bin/busybox"
	ln -s busybox "$in/bin/sh"
	cp "$here/inner-init.sh" "$in/init"
	chmod 755 "$in/init"
	for m in virtio_ring virtio virtio_mmio virtio_pci_legacy_dev virtio_pci_modern_dev \
		virtio_pci virtio_blk virtio_console virtio-rng failover net_failover virtio_net \
		vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport; do
		if find "$inner_dir/lib/modules" -name "$m.ko*" | grep -q .; then
			mkdir -p "$in/lib/modules/$inner_ver/kernel"
			modfile "$inner_dir" "$m" >"$in/lib/modules/$inner_ver/kernel/$m.ko"
		fi
	done
	make_cpio "$in" "$lab/inner-initrd.cpio"
	cp "$inner_dir/boot/vmlinuz-$inner_ver" "$lab/inner-vmlinuz"
	echo "$inner_ver" >"$lab/inner-version"

	# Outer initramfs: busybox, KVM modules, the inner guest, stamp, QEMU.
	out=$lab/stage/outer
	mkdir -p "$out"/{bin,sbin,dev,proc,sys,tmp,root,etc,lab,guest,lib/modules/lab}
	cp $busybox "$out/bin/busybox"
	ln -s busybox "$out/bin/sh"
	cp "$here/outer-init.sh" "$out/init"
	chmod 755 "$out/init"
	for m in irqbypass kvm ccp kvm-amd; do
		modfile "$outer_dir" "$m" >"$out/lib/modules/lab/$m.ko"
	done
	cp "$lab/inner-vmlinuz" "$out/guest/vmlinuz"
	cp "$lab/inner-initrd.cpio" "$out/guest/initrd.cpio"
	echo "$inner_ver" >"$out/guest/version"
	cp "$lab/stamp" "$out/bin/stamp"
	copy_elf "$out" "$qemu" /usr/bin/qemu-system-x86_64
	mkdir -p "$out/usr/share/qemu"
	for f in bios-microvm.bin qboot.rom linuxboot_dma.bin pvh.bin kvmvapic.bin; do
		[ -e "/usr/share/qemu/$f" ] && cp -L "/usr/share/qemu/$f" "$out/usr/share/qemu/$f"
	done
	make_cpio "$out" "$lab/outer-initrd.cpio"
	cp "$outer_dir/boot/vmlinuz-$outer_ver" "$lab/outer-vmlinuz"
	echo "$outer_ver" >"$lab/outer-version"
	rm -rf "$lab/stage"
	echo "$key" >"$lab/key"
fi

cat <<EOF
OUTER_KERNEL=$lab/outer-vmlinuz
OUTER_INITRD=$lab/outer-initrd.cpio
OUTER_VERSION=$(cat "$lab/outer-version")
INNER_KERNEL=$lab/inner-vmlinuz
INNER_INITRD=$lab/inner-initrd.cpio
INNER_VERSION=$(cat "$lab/inner-version")
EOF
