#!/usr/bin/env bash
# Configures and builds gasang in build/ (and, with --asan, build-asan/ under ASan+UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
if [ "${1:-}" = "--asan" ]; then
  [ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null
  ninja -C build-asan >/dev/null
fi
