#!/usr/bin/env bash
# The main job: install what is missing, build, obtain the default guest, boot it.
# x86_64 on KVM where the host has VT-x/AMD-V; the riscv64 software engine elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
  echo "gasang: hardware virtualization found: booting the x86_64 guest on KVM" >&2
  exec guests/x86_64/boot.sh "$@"
fi
echo "gasang: no VT-x/AMD-V on this host: booting the riscv64 guest on the software engine" >&2
exec guests/riscv64/boot.sh "$@"
