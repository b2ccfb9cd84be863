#!/usr/bin/env bash
# Builds the bare-metal RISC-V test programs with Debian's riscv64-unknown-elf-gcc into OUTDIR
# (default: ${GASANG_CACHE:-~/.cache/gasang}/riscv-tests). Prints OUTDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${GASANG_CACHE:-$HOME/.cache/gasang}/riscv-tests}
mkdir -p "$out"
cc=${RISCV_CC:-riscv64-unknown-elf-gcc}
flags=(-march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -O2 -g -Wall -Werror
	-ffreestanding -nostdlib -nostartfiles -fno-builtin -T "$here/link.ld" -Wl,--no-warn-rwx-segments)
for t in trap paging timer sbi plic hsm; do
	if [ ! -f "$out/$t.elf" ] || [ -n "$(find "$here" -newer "$out/$t.elf" -type f)" ]; then
		"$cc" "${flags[@]}" -o "$out/$t.elf" "$here/crt.S" "$here/rt.c" "$here/$t.c"
	fi
done
echo "$out"
