#!/bin/sh
# Builds the differential ISA test program: build.sh OUT.elf [extra gcc flags]
set -eu
here=$(dirname "$0")
out=$1
shift
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -ffreestanding \
	-nostdlib -nostartfiles -fno-builtin -Wall -Wextra -Wl,--no-warn-rwx-segments \
	-T "$here/link.ld" "$here/start.S" "$here/runtime.S" "$here/isa_diff.c" -o "$out" "$@"
