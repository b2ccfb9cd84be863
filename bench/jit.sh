#!/usr/bin/env bash
# bench/jit: the binary translator against the interpreter, QEMU (system and user mode) and
# native, on bench/cpubench.c; boot to /init; the translator's start-up cost.
# Usage: bench/jit.sh [--runs N]. Prints a Markdown section (paste it into BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/src/gasang ] || scripts/build.sh
exec /usr/bin/python3 bench/jit.py "$@"
