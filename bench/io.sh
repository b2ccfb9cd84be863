#!/usr/bin/env bash
# bench/io: virtio-blk (O_DIRECT sequential and 4 KiB random) and guest<->host TCP throughput,
# gasang vs QEMU (TCG), same riscv64 guest, image and back end. Higher is better; ratio = gasang/QEMU.
# Usage: bench/io.sh [--runs N] [--accel emu|emu-interp] [--seq-mib N] [--rand-ops N] [--tcp-mib N]
#                    [--disk-mib N] [--image-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/src/gasang ] || scripts/build.sh
exec /usr/bin/python3 bench/io.py "$@"
