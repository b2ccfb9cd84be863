#!/usr/bin/env bash
# Boots the default x86_64 guest (guests/x86_64/build.sh) with gasang on KVM. Extra arguments
# are the command to run in the guest (it then powers off); without any, a shell.
#   GASANG_MEM (default 512M), GASANG_CPUS (default 2), GASANG_APPEND (extra kernel options)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
gasang="${GASANG:-$root/build/src/gasang}"
eval "$("$here/build.sh" | grep -E '^(KERNEL|INITRD)=')"
append="console=ttyS0 quiet reboot=k panic=-1 ${GASANG_APPEND:-}"
[ $# -gt 0 ] && append="$append -- $*"
exec "$gasang" run --kernel "$KERNEL" --initrd "$INITRD" --mem "${GASANG_MEM:-512M}" \
  --cpus "${GASANG_CPUS:-2}" --append "$append"
