#!/bin/sh
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and runs each
# for a bounded time. Usage: tests/fuzz/run.sh [seconds per target, default 30]
# Environment: FUZZ_OUT (build and corpus directory, default build-fuzz).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-${FUZZ_SECONDS:-30}}
out=${FUZZ_OUT:-build-fuzz}
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang not found; skipping" >&2
	exit 0
fi
mkdir -p "$out"
flags="-g -O1 -std=c17 -D_GNU_SOURCE -fno-strict-aliasing -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
common="src/machine/memory.c src/base/log.c src/base/util.c src/devices/virtio/queue.c"
virtio="src/devices/virtio/virtio.c src/devices/virtio/mmio.c src/devices/virtio/blk.c
	src/devices/virtio/rng.c src/backends/disk_file.c src/backends/disk_uring.c
	src/machine/bus.c src/machine/loop.c src/machine/stats.c"
for t in virtq virtio_mmio net_offload; do
	case $t in
	virtq) srcs=$common libs= ;;
	virtio_mmio) srcs="$common $virtio" libs="-luring -lpthread" ;;
	net_offload) srcs=src/devices/virtio/net_offload.c libs= ;;
	esac
	echo "fuzz: building fuzz_$t"
	# shellcheck disable=SC2086
	clang $flags -o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" $srcs $libs
	mkdir -p "$out/corpus_$t"
	echo "fuzz: running fuzz_$t for ${secs}s"
	rc=0
	nice "$out/fuzz_$t" -max_total_time="$secs" -max_len=70000 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus_$t" \
		>"$out/fuzz_$t.log" 2>&1 || rc=$?
	tail -n 8 "$out/fuzz_$t.log"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz: fuzz_$t FAILED (exit $rc); crash input in $out/" >&2
		grep -A 30 -m1 "ERROR\|==ERROR\|deadly signal" "$out/fuzz_$t.log" >&2 || true
		exit 1
	fi
done
echo "fuzz: all targets ran ${secs}s without a finding"

