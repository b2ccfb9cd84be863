#!/usr/bin/env bash
# Boots the default riscv64 guest (Linux + busybox initramfs) on gasang's software engine with
# an interactive shell on this terminal (Ctrl-A x quits). Extra arguments go to `gasang run`,
# e.g. `guests/riscv64/boot.sh --cpus 2`. GASANG_APPEND adds to the kernel command line
# (gasang.run="CMD" runs CMD and powers off instead of giving a shell).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gasang=${GASANG:-$root/build/src/gasang}
[ -x "$gasang" ] || "$root/scripts/build.sh"
kernel=$("$here/build-kernel.sh")
initrd=$("$here/build-initramfs.sh")
echo "gasang: booting riscv64 Linux on the software engine (Ctrl-A x quits)" >&2
exec "$gasang" run --arch riscv64 --kernel "$kernel" --initrd "$initrd" --mem 256M \
	--append "console=ttyS0 quiet ${GASANG_APPEND:-}" "$@"
