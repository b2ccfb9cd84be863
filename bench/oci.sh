#!/usr/bin/env bash
# bench/oci.sh: `run` of /bin/true in a busybox bundle, N times (default 100), with gasang-oci,
# crun and runc in one hyperfine session; prints mean/median times and ratios to crun.
#
# Debian's crun refuses this host's hybrid cgroup layout (v1 controllers plus an empty
# cgroup2 mount), so the whole benchmark runs in a private mount namespace where the cgroup2
# mount is hidden: the three runtimes see the same (pure v1) layout.
#
# usage: bench/oci.sh [RUNS]     (as root; GASANG=path/to/gasang overrides the binary)
set -euo pipefail

RUNS=${1:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GASANG=${GASANG:-$ROOT/build/src/gasang}
OCI="$(dirname "$GASANG")/gasang-oci"
[ -x "$OCI" ] || { echo "bench/oci.sh: $OCI not found: build first" >&2; exit 1; }
for t in hyperfine crun runc busybox; do
  command -v "$t" >/dev/null || { echo "bench/oci.sh: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench/oci.sh: needs root" >&2; exit 1; }

if [ -z "${GASANG_BENCH_INNER:-}" ]; then
  # Re-run ourselves in a private mount namespace without the cgroup2 mount.
  exec unshare -m --propagation private env GASANG_BENCH_INNER=1 GASANG="$GASANG" "$0" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  umount /sys/fs/cgroup/unified
fi

WORK=$(mktemp -d /tmp/gasang-bench-oci.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
B="$WORK/bundle"
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc" "$B/rootfs/sys" "$B/rootfs/dev" "$B/rootfs/tmp"
cp "$(command -v busybox)" "$B/rootfs/bin/busybox"
ln -s busybox "$B/rootfs/bin/true"
ln -s busybox "$B/rootfs/bin/sh"
# The same config for all three: runc's default spec, no terminal, /bin/true.
(cd "$B" && runc spec)
python3 - "$B/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"), indent=1)
PY

cd "$B"
for r in "$OCI" crun runc; do   # sanity: each runtime must run the bundle
  "$r" --root "$WORK/state-$(basename "$r")" run check >/dev/null
done
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$WORK/result.json" \
  -n gasang "$OCI --root $WORK/state-gasang run b1" \
  -n crun "crun --root $WORK/state-crun run b1" \
  -n runc "runc --root $WORK/state-runc run b1"
python3 - "$WORK/result.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
crun = res["crun"]
print()
print(f"{'runtime':8} {'mean ms':>9} {'median ms':>10} {'mean/crun':>10} {'median/crun':>12}")
for name in ("gasang", "crun", "runc"):
    r = res[name]
    print(f"{name:8} {r['mean']*1e3:9.2f} {r['median']*1e3:10.2f} "
          f"{r['mean']/crun['mean']:10.2f} {r['median']/crun['median']:12.2f}")
PY
