#!/usr/bin/env bash
# gasang exec vs qemu-riscv64 (Debian's qemu-user) vs native, on the same CPU benchmark the
# system-mode bench runs in the guest (bench/cpubench.c: CRC32, SHA-256, integer matmul, qsort
# with callbacks, FP Mandelbrot). The checksums of all runs must match. Prints wall and CPU
# (user+sys) time, slowdowns against native, and appends the table to BENCHMARKS.md.
#   usage: bench/exec.sh          (GASANG=path/to/gasang to pick a build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GASANG=${GASANG:-$ROOT/build/src/gasang}
DIR=${GASANG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gasang}/bench-exec
SRC=$ROOT/bench/cpubench.c
CFLAGS=(-O2 -ffp-contract=off -static)
mkdir -p "$DIR"

command -v riscv64-linux-gnu-gcc >/dev/null || { echo "bench: riscv64-linux-gnu-gcc missing" >&2; exit 1; }
[ -x "$GASANG" ] || { echo "bench: $GASANG not built (scripts/build.sh)" >&2; exit 1; }
gcc "${CFLAGS[@]}" -o "$DIR/cpubench-native" "$SRC"
riscv64-linux-gnu-gcc "${CFLAGS[@]}" -o "$DIR/cpubench-rv64" "$SRC"

declare -A WALL CPU
# run NAME CMD...: output to NAME.out, totals into WALL/CPU.
run() {
	local name=$1 t
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$DIR/$name.out" 2>&1; } 2>&1 )
	read -r w u s <<<"$t"
	WALL[$name]=$w
	CPU[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
}
checksums() { awk '$2 != "total" { print $2, $3 }' "$DIR/$1.out"; }
kernel_ms() { awk '{ printf " %s |", $4 }' "$DIR/$1.out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.001) }'; }

run native "$DIR/cpubench-native"
engines=(native)
if command -v qemu-riscv64 >/dev/null; then
	run qemu qemu-riscv64 "$DIR/cpubench-rv64"
	engines+=(qemu)
fi
run gasang "$GASANG" exec "$DIR/cpubench-rv64"
engines+=(gasang)

for e in "${engines[@]}"; do
	if [ "$(checksums native)" != "$(checksums "$e")" ]; then
		echo "bench: checksums of $e differ from native:" >&2
		diff <(checksums native) <(checksums "$e") >&2 || true
		exit 1
	fi
done

table=$(
	printf '| engine | wall s | cpu s | cpu vs native |'
	awk '{ printf " %s ms |", $2 }' "$DIR/native.out"
	printf '\n|---|---|---|---|---|---|---|---|---|---|\n'
	for e in "${engines[@]}"; do
		printf '| %s | %s | %s | %sx |%s\n' "$e" "${WALL[$e]}" "${CPU[$e]}" \
			"$(ratio "${CPU[$e]}" "${CPU[native]}")" "$(kernel_ms "$e")"
	done
)
echo "$table"
echo "checksums: identical across ${engines[*]}"
summary=""
if [ -n "${CPU[qemu]:-}" ]; then
	summary="gasang exec / qemu-riscv64: $(ratio "${CPU[gasang]}" "${CPU[qemu]}")x cpu time, $(ratio "${WALL[gasang]}" "${WALL[qemu]}")x wall time"
	echo "$summary"
fi

{
	echo
	echo "## gasang exec vs qemu-riscv64 vs native ($(date -u '+%Y-%m-%d %H:%M UTC'))"
	echo
	echo "Command: \`bench/exec.sh\` (bench/cpubench.c, $(nproc) shared host CPUs, load average $(cut -d' ' -f1 /proc/loadavg)); engine: the interpreter."
	echo
	echo "$table"
	[ -z "$summary" ] || { echo; echo "$summary"; }
} >>"$ROOT/BENCHMARKS.md"
