#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs the C unit tests (plain and
# under ASan+UBSan) and the system tests that boot real guests. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --asan

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "== unit tests (ASan+UBSan)"
meson test -C build-asan --suite unit --print-errorlogs --num-processes 2
echo "== unit tests"
meson test -C build --suite unit --print-errorlogs --num-processes 2

echo "== fuzzing (bounded; GASANG_FUZZ_SECONDS per target)"
tests/fuzz/run.sh "${GASANG_FUZZ_SECONDS:-30}"

echo "== guests: a riscv64 kernel with vsock for the vsock test (built once from source, cached)"
kcache=${GASANG_CACHE:-$HOME/.cache/gasang}
if ! grep -qs '^CONFIG_VIRTIO_VSOCKETS=y' "$kcache/riscv64/linux-src/.config" \
	"$kcache/riscv64-vsock/kernel.config"; then
	guests/riscv64/build-kernel.sh --force >/dev/null ||
		echo "gasang: building the riscv64 kernel failed: the riscv64 vsock test will skip" >&2
fi

echo "== system tests"
export GASANG="$PWD/build/src/gasang"
export GASANG_ASAN="$PWD/build-asan/src/gasang"
exec /usr/bin/python3 -m pytest -q -rs tests/system "$@"
