#!/usr/bin/env bash
# gasang exec vs qemu-riscv64 (Debian's qemu-user) vs native on bench/exec/cpubench.c
# (CRC32, SHA-256, integer matmul, qsort with callbacks, FP Mandelbrot). The checksums of all
# three runs must match. Prints wall and CPU (user+sys) time and slowdowns against native, and
# appends the table to BENCHMARKS.md.
#   usage: bench/exec.sh [SCALE]        (GASANG=path/to/gasang to pick a build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GASANG=${GASANG:-$ROOT/build/src/gasang}
SCALE=${1:-1}
DIR=${GASANG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gasang}/bench-exec
SRC=$ROOT/bench/exec/cpubench.c
mkdir -p "$DIR"

command -v riscv64-linux-gnu-gcc >/dev/null || { echo "bench: riscv64-linux-gnu-gcc missing" >&2; exit 1; }
[ -x "$GASANG" ] || { echo "bench: $GASANG not built" >&2; exit 1; }
gcc -O2 -static -o "$DIR/cpubench-native" "$SRC"
riscv64-linux-gnu-gcc -O2 -static -o "$DIR/cpubench-rv64" "$SRC"

declare -A WALL CPU
# run NAME CMD...: stdout to NAME.out, per-kernel times to NAME.err, totals into WALL/CPU.
run() {
	local name=$1 t
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"; } 2>&1 )
	read -r w u s <<<"$t"
	WALL[$name]=$w
	CPU[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
}

run native "$DIR/cpubench-native" "$SCALE"
engines=(native)
if command -v qemu-riscv64 >/dev/null; then
	run qemu qemu-riscv64 "$DIR/cpubench-rv64" "$SCALE"
	engines+=(qemu)
fi
run gasang "$GASANG" exec "$DIR/cpubench-rv64" "$SCALE"
engines+=(gasang)

for e in "${engines[@]}"; do
	if ! cmp -s "$DIR/native.out" "$DIR/$e.out"; then
		echo "bench: checksums of $e differ from native:" >&2
		diff "$DIR/native.out" "$DIR/$e.out" >&2 || true
		exit 1
	fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.001) }'; }
table=$(
	printf '| engine | wall s | cpu s | cpu vs native |'
	for k in crc32 sha256 matmul qsort mandelbrot; do printf ' %s s |' "$k"; done
	printf '\n|---|---|---|---|---|---|---|---|---|\n'
	for e in "${engines[@]}"; do
		printf '| %s | %s | %.3f | %sx |' "$e" "${WALL[$e]}" "${CPU[$e]}" \
			"$(ratio "${CPU[$e]}" "${CPU[native]}")"
		while read -r k t _; do printf ' %s |' "$t"; done <"$DIR/$e.err"
		printf '\n'
	done
)
echo "$table"
echo "checksums: identical across ${engines[*]}"
if [ -n "${CPU[qemu]:-}" ]; then
	echo "gasang/qemu-riscv64 cpu time: $(ratio "${CPU[gasang]}" "${CPU[qemu]}")x"
fi

{
	echo
	echo "## gasang exec vs qemu-riscv64 vs native ($(date -u '+%Y-%m-%d %H:%M UTC'))"
	echo
	echo "Command: \`bench/exec.sh $SCALE\` on $(nproc) host CPUs ($(uname -m)); gasang $("$GASANG" --version | cut -d' ' -f2), engine: interpreter."
	echo
	echo "$table"
} >>"$ROOT/BENCHMARKS.md"
