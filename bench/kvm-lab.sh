#!/usr/bin/env bash
# bench/kvm-lab.sh: in ONE KVM lab run (tests/lab), boots Debian's stock cloud kernel with
# gasang and with QEMU -M microvm,rtc=on (both on the lab's real kvm-amd, same kernel, initramfs,
# command line, 2 vCPUs, 512 MiB), RUNS times each, alternating, and reports per VMM (median):
#   - time from the VMM's launch to the guest's /init (stamp marks the /init's first line on
#     the serial console, on the outer VM's monotonic clock) and to the VMM's exit after poweroff
#   - exits to userspace until /init: KVM's own io_exits + mmio_exits counters (debugfs in the
#     outer VM), plus all VM exits ("exits") for scale, and gasang's --stats total
# and the ratios gasang/QEMU, and the same for each VMM's fastest boot (the one least slowed
# by other work on the host); the order alternates (qemu gasang gasang qemu ...). Appends the
# results to BENCHMARKS.md (with --record).
#
#   bench/kvm-lab.sh [--runs N] [--record]       (GASANG=path/to/gasang, default build/src/gasang)
# Target (issue 2): gasang <= 0.5x QEMU's time to /init.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 record=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--record) record=1; shift ;;
	*) echo "usage: bench/kvm-lab.sh [--runs N] [--record]" >&2; exit 2 ;;
	esac
done
export GASANG=${GASANG:-$PWD/build/src/gasang}
[ -x "$GASANG" ] || { echo "gasang: bench: $GASANG not built (scripts/build.sh)" >&2; exit 1; }
export RUNS=$runs RECORD=$record CMDLINE="bench/kvm-lab.sh --runs $runs"

exec /usr/bin/python3 - <<'EOF'
import datetime, os, re, statistics, subprocess, sys
sys.path.insert(0, "tests/lab")
import lab

why = lab.unavailable()
if why:
    sys.exit(f"kvm-lab: {why}")
runs = int(os.environ["RUNS"])
append = "console=ttyS0 quiet panic=-1 -- true"
vmms = {
    "qemu": "qemu-system-x86_64 -M microvm,rtc=on -accel kvm -cpu host -m 512M -smp 2 "
            "-nodefaults -no-user-config -display none -serial stdio -no-reboot "
            "-kernel $GUEST_KERNEL -initrd $GUEST_INITRD -append \"$APPEND\"",
    # GASANG_DEBUG=1 for its start-up timeline (a handful of lines): when the first KVM_RUN
    # came, i.e. how much of the time to /init was gasang's own work and how much the guest's
    "gasang": "env GASANG_DEBUG=1 /lab/gasang run --kernel $GUEST_KERNEL --initrd $GUEST_INITRD "
              "--append \"$APPEND\" --cpus 2 --mem 512M --stats",
}
script = f"APPEND='{append}'\n"
# Later inner VMs in the same outer VM run slower (memory their predecessors used costs more to
# reuse under TCG, tests/lab/README.md): the order alternates, qemu gasang gasang qemu ..., so
# neither VMM always gets the later slot.
for i in range(runs):
    for name, cmd in (list(vmms.items()) if i % 2 == 0 else list(vmms.items())[::-1]):
        script += f"section {name}-{i} inner {cmd}\n"
load0 = open("/proc/loadavg").read().split()[0]
r = lab.run(script, [os.environ["GASANG"]], timeout=120 + runs * 2 * 300)
if not r.kvm_ok:
    sys.exit(f"kvm-lab: no /dev/kvm in the lab:\n{r.output}")

rows = {}
for name in vmms:
    init, end, uexits, exits, gstats, fails, kern, entry = [], [], [], [], [], [], [], []
    for i in range(runs):
        s = r.section(f"{name}-{i}")
        if s.time_to_init is None or s.exit_status != 0:
            fails.append(s)
            continue
        init.append(s.time_to_init)
        if s.kernel_to_init is not None:
            kern.append(s.kernel_to_init)
        end.append(s.exit_time)
        st = s.stats.get("@@INNER-INIT@@", {})
        if "io_exits" in st:
            uexits.append(st["io_exits"] + st.get("mmio_exits", 0))
            exits.append(st["exits"])
        e = re.search(r"debug: \[ *([\d.]+) ms\] vCPU 0: first KVM_RUN", s.output)
        if e:
            entry.append(float(e.group(1)) / 1e3)
        t = re.search(r"^total\s+(\d+)", s.output, re.M)
        if t:
            gstats.append(int(t.group(1)))
    med = lambda v: statistics.median(v) if v else None
    pre = [a - b for a, b in zip(init, kern)] if len(kern) == len(init) else []
    guest = [a - b for a, b in zip(init, entry)] if len(entry) == len(init) else []
    rows[name] = dict(init=med(init), end=med(end), kern=med(kern), pre=med(pre),
                      entry=med(entry), guest=med(guest),
                      best=min(init) if init else None, kbest=min(kern) if kern else None,
                      pbest=min(pre) if pre else None,
                      uexits=med(uexits), exits=med(exits),
                      gstats=med(gstats), ok=len(init), fails=fails,
                      inits=" ".join(f"{x:.2f}" for x in init))

def fmt(v, unit=""):
    if v is None:
        return "-"
    return f"{v:.2f}{unit}" if isinstance(v, float) else f"{v}{unit}"

img = lab.build()
lines = [f"KVM lab: outer {img['OUTER_VERSION']} in QEMU TCG (-cpu {lab.OUTER_CPU}, kvm-amd npt=1); inner "
         f"{img['INNER_VERSION']}, 2 vCPUs, 512 MiB,",
         f"append \"{append}\"; {runs} runs each (order qemu gasang gasang qemu ...), medians:",
         f"{'vmm':8} {'ok':>4} {'to /init':>10} {'pre-kern':>9} {'kernel':>8} {'to exit':>9} "
         f"{'user exits':>11} "
         f"{'all exits':>10} {'--stats':>8}  to /init per run"]
for name, v in rows.items():
    lines.append(f"{name:8} {v['ok']:>2}/{runs} {fmt(v['init'], ' s'):>10} {fmt(v['pre'], ' s'):>9} "
                 f"{fmt(v['kern'], ' s'):>8} {fmt(v['end'], ' s'):>9} "
                 f"{fmt(v['uexits']):>11} {fmt(v['exits']):>10} {fmt(v['gstats']):>8}  {v['inits']}")
g, q = rows["gasang"], rows["qemu"]
def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"
lines.append(f"gasang/QEMU: time to /init {ratio(g['init'], q['init'])} (target <= 0.50x), pre-kernel "
             f"{ratio(g['pre'], q['pre'])}, kernel {ratio(g['kern'], q['kern'])}, "
             f"to exit {ratio(g['end'], q['end'])}, exits to userspace "
             f"{ratio(g['uexits'], q['uexits'])}, all exits {ratio(g['exits'], q['exits'])}")
# Each boot is slowed by whatever else the 2 host cores run at that moment: the fastest boot
# of each VMM (the least disturbed one) is a second, less noisy comparison, same rule for both.
lines.append(f"fastest boots: gasang {fmt(g['best'], ' s')} (pre-kernel {fmt(g['pbest'], ' s')}, "
             f"kernel {fmt(g['kbest'], ' s')}), QEMU {fmt(q['best'], ' s')} (pre-kernel "
             f"{fmt(q['pbest'], ' s')}, kernel {fmt(q['kbest'], ' s')}): to /init "
             f"{ratio(g['best'], q['best'])}, pre-kernel {ratio(g['pbest'], q['pbest'])}, kernel "
             f"{ratio(g['kbest'], q['kbest'])}")
if g["entry"] is not None:
    # The guest's own part of gasang's time to /init (from vCPU 0's first KVM_RUN): what even a
    # VMM that took no time at all would need, as a fraction of QEMU's whole time to /init.
    lines.append(f"gasang's own work before the first KVM_RUN {fmt(g['entry'], ' s')} (launch, "
                 f"host decompression, set-up); the guest's from there to /init "
                 f"{fmt(g['guest'], ' s')}, alone {ratio(g['guest'], q['init'])} of QEMU's time "
                 f"to /init: the floor for any VMM booting this guest here")
lines.append("kernel = the guest's uptime at /init; pre-kern = to /init - kernel (VMM start, "
             "loading, firmware, the kernel's self-decompression)")
lines.append("user exits = KVM io_exits + mmio_exits until /init (outer debugfs); outer VM "
             f"to /init {fmt(r.outer_to_init, ' s')}, lab run {r.wall:.0f} s, host load average "
             f"{load0} -> {open('/proc/loadavg').read().split()[0]}")
print("\n".join(lines))
for name, v in rows.items():
    for s in v["fails"]:
        print(f"\n{name}: run {s.name} failed (status {s.exit_status}, timed out {s.timed_out}):"
              f"\n{s.output[-3000:]}", file=sys.stderr)

if os.environ["RECORD"] == "1":
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    new = not os.path.exists("BENCHMARKS.md")
    with open("BENCHMARKS.md", "a") as f:
        if new:
            f.write("# Benchmarks\n")
        f.write(f"\n## KVM lab: stock cloud kernel, gasang vs QEMU microvm ({when}, {rev})\n\n"
                f"Command: `{os.environ['CMDLINE']}` (host: 2 cores, shared)\n\n```\n")
        f.write("\n".join(lines) + "\n```\n")
    print("recorded in BENCHMARKS.md")
sys.exit(0 if g["ok"] == runs and q["ok"] == runs else 1)
EOF
