#!/usr/bin/env bash
# Installs the Debian 12 packages gasang needs to build, test and boot its guests.
# Quiet and quick when everything is already there.
set -euo pipefail

pkgs=(
  # build (make: the riscv64 guest kernel and busybox are built from Debian's sources)
  gcc make meson ninja-build pkg-config
  libfdt-dev libjansson-dev libseccomp-dev libcap-dev liburing-dev libslirp-dev libglib2.0-dev
  zlib1g-dev liblzma-dev libzstd-dev liblz4-dev libcapstone-dev
  # tests
  libcmocka-dev python3 python3-pytest gzip xz-utils zstd lz4
  # fuzzing (tests/fuzz/run.sh): clang with the libFuzzer runtime
  clang libclang-rt-14-dev
  # guests: cross compilers, busybox, initramfs and disk tools
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  busybox-static cpio e2fsprogs bzip2
  # guests/riscv64/build-kernel.sh (kconfig and the kernel build need them)
  flex bison bc
  # reference implementations for tests and benchmarks
  qemu-system-x86 qemu-system-misc qemu-user hyperfine time
  # OCI runtime: clients that drive gasang-oci in tests, runtimes it is compared with
  podman conmon containerd runc crun procps
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "gasang: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
