#!/usr/bin/env python3
"""bench/jit: system mode (gasang run --accel emu / emu-interp, qemu-system-riscv64, in-guest
cpubench; boot to /init), user mode (gasang exec --accel emu / emu-interp, qemu-riscv64,
native, CPU time of the whole process) and the translator's start-up cost (GASANG_JIT_STATS:
share of time spent translating; wall time of `gasang exec busybox true`). Checksums of every
run must match native. Prints a Markdown section with medians of --runs runs."""
import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import emu  # noqa: E402  (bench/emu.py: guest images and the in-guest runner)

LINE = emu.LINE
STATS = re.compile(r"translated in ([\d.]+) ms \(([\d.]+)% of ([\d.]+) ms\)")


def cpu_run(cmd, env=None):
    """Runs cmd; returns (stdout+stderr, wall s, cpu s of the child)."""
    before = os.times()
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    wall = time.monotonic() - t0
    after = os.times()
    if r.returncode:
        sys.exit(f"bench/jit: {cmd[0]} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system -
                                                          before.children_system)
    return r.stdout + r.stderr, wall, cpu


def sums(out):
    return {m.group(1): m.group(2) for m in LINE.finditer(out)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gasang", default=os.environ.get("GASANG", ROOT / "build/src/gasang"))
    args = ap.parse_args()
    g = str(args.gasang)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gasang-bench-jit-"))
    src = ROOT / "bench/cpubench.c"
    flags = ["-O2", "-ffp-contract=off", "-static"]
    subprocess.run(["gcc", *flags, "-o", tmp / "native", src], check=True)
    subprocess.run(["riscv64-linux-gnu-gcc", *flags, "-o", tmp / "rv", src], check=True)
    med = statistics.median
    rows = []

    # User mode: whole-process CPU time.
    user = {"native": [str(tmp / "native")],
            "gasang exec (translator)": [g, "exec", "--accel", "emu", str(tmp / "rv")],
            "gasang exec (interpreter)": [g, "exec", "--accel", "emu-interp", str(tmp / "rv")]}
    if shutil.which("qemu-riscv64"):
        user["qemu-riscv64"] = ["qemu-riscv64", str(tmp / "rv")]
    ures = {k: [cpu_run(c) for _ in range(args.runs)] for k, c in user.items()}
    want = sums(ures["native"][0][0])
    for k, rs in ures.items():
        if sums(rs[0][0]) != want:
            sys.exit(f"bench/jit: checksums of {k} differ from native")
    ucpu = {k: med(r[2] for r in rs) for k, rs in ures.items()}
    uwall = {k: med(r[1] for r in rs) for k, rs in ures.items()}

    # Start-up: translation share for cpubench, and `busybox true`.
    out, _, _ = cpu_run(user["gasang exec (translator)"], env={**os.environ,
                                                              "GASANG_JIT_STATS": "1"})
    st = STATS.search(out)
    bb = None
    for p in (ROOT.parent / "shared/guests/riscv64/busybox",
              pathlib.Path("/work/shared/guests/riscv64/busybox")):
        if p.is_file():
            bb = {e: med(cpu_run([g, "exec", "--accel", e, str(p), "true"])[1]
                         for _ in range(args.runs)) for e in ("emu", "emu-interp")}
            break

    # System mode: boot to /init and in-guest cpubench.
    kernel = emu.script("guests/riscv64/build-kernel.sh")
    base = emu.script("guests/riscv64/build-initramfs.sh")
    initrd = tmp / "initrd.cpio"
    emu.bench_initrd(base, tmp / "rv", initrd)
    append = 'console=ttyS0 quiet gasang.run="/bin/cpubench"'
    gas = [g, "run", "--arch", "riscv64", "--kernel", kernel, "--initrd", str(initrd),
           "--mem", "256M", "--append", append]
    vms = {"gasang (translator)": gas + ["--accel", "emu"],
           "gasang (interpreter)": gas + ["--accel", "emu-interp"]}
    if shutil.which("qemu-system-riscv64"):
        vms["qemu-system-riscv64"] = ["qemu-system-riscv64", "-M", "virt", "-m", "256M",
                                      "-smp", "1", "-nographic", "-no-reboot", "-kernel",
                                      kernel, "-initrd", str(initrd), "-append", append]
    sres = emu.interleaved(vms, args.runs)
    for k, rs in sres.items():
        if {n: v[0] for n, v in rs[0][1].items()} != want:
            sys.exit(f"bench/jit: in-guest checksums of {k} differ from native")
    ntotal = float(LINE.search(ures["native"][0][0]) and
                   [m for m in LINE.finditer(ures["native"][0][0])
                    if m.group(1) == "total"][0].group(3))

    load = os.getloadavg()[0]
    print(f"## Binary translator: bench/jit ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print()
    print(f"Command: `bench/jit.sh --runs {args.runs}` (medians; {os.cpu_count()} shared host "
          f"CPUs, load average {load:.1f}). Checksums identical to native everywhere.")
    print()
    print("System mode (in-guest cpubench total, boot = launch to /init):")
    print()
    print("| engine | boot s | cpubench total ms | vs native |")
    print("|---|---|---|---|")
    for k, rs in sres.items():
        tot = med(r[1]["total"][1] for r in rs)
        print(f"| {k} | {med(r[0] for r in rs):.2f} | {tot:.1f} | {tot / ntotal:.1f}x |")
    print(f"| native | - | {ntotal:.1f} | 1.0x |")
    print()
    print("User mode (CPU time of the whole process):")
    print()
    print("| engine | wall s | cpu s | vs native |")
    print("|---|---|---|---|")
    for k in ucpu:
        print(f"| {k} | {uwall[k]:.3f} | {ucpu[k]:.3f} | {ucpu[k] / ucpu['native']:.1f}x |")
    print()
    print("User mode, cpubench's own total (in-program ms; CPU time above is in 10 ms ticks):")
    print()
    print("| engine | total ms | vs native |")
    print("|---|---|---|")
    for k, rs in ures.items():
        tot = med(float([m for m in LINE.finditer(r[0]) if m.group(1) == "total"][0].group(3))
                  for r in rs)
        print(f"| {k} | {tot:.1f} | {tot / ntotal:.1f}x |")
    print()
    if st:
        print(f"Start-up: translating cpubench's blocks took {st.group(1)} ms, {st.group(2)}% of "
              f"the run ({st.group(3)} ms).")
    if bb:
        print(f"`gasang exec busybox true` wall: translator {bb['emu'] * 1000:.0f} ms, "
              f"interpreter {bb['emu-interp'] * 1000:.0f} ms.")
    if "qemu-system-riscv64" in sres:
        bt = med(r[0] for r in sres["gasang (translator)"])
        bq = med(r[0] for r in sres["qemu-system-riscv64"])
        print(f"Boot to /init, translator / QEMU: {bt / bq:.2f}x.")


if __name__ == "__main__":
    main()
