#!/usr/bin/env bash
# bench/emu: riscv64 boot time and in-guest CPU benchmark, gasang vs QEMU (TCG) vs native.
# Usage: bench/emu.sh [--runs N] [--accel emu|emu-interp]. Results go in BENCHMARKS.md by hand, with the host's load.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/src/gasang ] || scripts/build.sh
exec /usr/bin/python3 bench/emu.py "$@"
