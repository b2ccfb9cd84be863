#!/usr/bin/env bash
# gasang vs qemu-system-x86_64 -accel kvm on this host, same Multiboot payloads, one run:
# launch to first instruction, launch to exit, port-I/O and MMIO exit round trips, peak RSS,
# with ratios. Usage: bench/kvm-host.sh [RUNS (default 3)] [N exits (default 20000)]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/src/gasang ] || scripts/build.sh >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
tests/guests/x86/build.sh "$out" >/dev/null
echo "gasang vs QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}') on /dev/kvm," \
  "$(grep -qwE 'vmx|svm' /proc/cpuinfo && echo 'VT-x/AMD-V host' || echo 'host without VT-x/AMD-V (kvm-pvm?)')," \
  "$(date -u +%Y-%m-%dT%H:%MZ)"
exec /usr/bin/python3 bench/kvm_host.py "$PWD/build/src/gasang" "$out" "${1:-3}" "${2:-20000}"
