#!/usr/bin/env bash
# Builds gasang's x86 test payloads into OUTDIR (default build/x86-payloads) with gcc/as/ld.
# Each C payload is a 32-bit Multiboot ELF: mb32.S + lib.c + <name>.c; assembly payloads stand
# alone. Prints OUTDIR.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$src/../../../build/x86-payloads}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
CFLAGS=(-m32 -march=i686 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
        -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mgeneral-regs-only -nostdlib -Wall -Werror)
LDFLAGS=(-m elf_i386 -nostdlib -static -z noexecstack --no-warn-rwx-segments -T "$src/link32.ld" --build-id=none)

gcc "${CFLAGS[@]}" -c "$src/mb32.S" -o "$out/mb32.o"
gcc "${CFLAGS[@]}" -c "$src/lib.c" -o "$out/lib.o"
for c in pio mmio hcall devices timer smp rt vblk; do
  gcc "${CFLAGS[@]}" -c "$src/$c.c" -o "$out/$c.o"
  extra=()
  [ -f "$src/${c}_asm.S" ] && { gcc "${CFLAGS[@]}" -c "$src/${c}_asm.S" -o "$out/${c}_asm.o"; extra=("$out/${c}_asm.o"); }
  ld "${LDFLAGS[@]}" "$out/mb32.o" "$out/lib.o" "$out/$c.o" "${extra[@]}" -o "$out/$c.elf"
done
# Stand-alone assembly payloads (ELF32 Multiboot unless noted).
for s in triple emufail first; do
  gcc "${CFLAGS[@]}" -c "$src/$s.S" -o "$out/$s.o"
  ld "${LDFLAGS[@]}" "$out/$s.o" -o "$out/$s.elf"
done
# Long mode: assembled and linked as x86-64, then turned into the ELF32 Multiboot wants.
gcc -m64 -ffreestanding -nostdlib -c "$src/long64.S" -o "$out/long64.o"
ld -m elf_x86_64 -nostdlib -static -z noexecstack --no-warn-rwx-segments -T "$src/link32.ld" \
  --build-id=none "$out/long64.o" -o "$out/long64.elf64"
objcopy -O elf32-i386 "$out/long64.elf64" "$out/long64.elf"
# PVH ELF (keeps its Xen note).
gcc "${CFLAGS[@]}" -c "$src/pvh.S" -o "$out/pvh.o"
ld -m elf_i386 -nostdlib -static -z noexecstack --no-warn-rwx-segments -T "$src/pvh.ld" --build-id=none "$out/pvh.o" -o "$out/pvh.elf"
# 64-bit boot protocol: an x86-64 ELF "vmlinux" (no Multiboot header, no PVH note).
gcc -m64 -ffreestanding -nostdlib -c "$src/vm64.S" -o "$out/vm64.o"
ld -m elf_x86_64 -nostdlib -static -z noexecstack --no-warn-rwx-segments -T "$src/vm64.ld" \
  --build-id=none "$out/vm64.o" -o "$out/vm64.elf"
# a.out-kludge Multiboot kernel: a flat binary.
gcc "${CFLAGS[@]}" -c "$src/aout.S" -o "$out/aout.o"
ld -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -Ttext=0x200000 -e start --oformat=binary "$out/aout.o" -o "$out/aout.bin"
echo "$out"
